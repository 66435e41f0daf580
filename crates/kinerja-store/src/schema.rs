// The Diesel view of the tables in `migrations/`. Kept in step with them by the
// `schema_matches_migrations` test, which compares every column with the migrated database.

diesel::table! {
    agencies (id) {
        id -> Uuid,
        code -> Text,
        name -> Text,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        objection_window_days -> Int4,
    }
}

diesel::table! {
    audit_events (id) {
        id -> Uuid,
        at -> Timestamptz,
        actor_kind -> Text,
        actor_id -> Nullable<Uuid>,
        agency_id -> Nullable<Uuid>,
        entity -> Text,
        entity_id -> Nullable<Uuid>,
        action -> Text,
        changes -> Jsonb,
        request_id -> Nullable<Text>,
        acting_for -> Nullable<Uuid>,
    }
}

diesel::table! {
    events (id) {
        id -> Int8,
        event_id -> Uuid,
        event_type -> Text,
        agency_id -> Uuid,
        subject_id -> Nullable<Uuid>,
        occurred_at -> Timestamptz,
        data -> Jsonb,
        tx -> Int8,
    }
}

diesel::table! {
    acting_officials (id) {
        id -> Uuid,
        agency_id -> Uuid,
        acting_id -> Uuid,
        for_employee_id -> Nullable<Uuid>,
        for_position_id -> Nullable<Uuid>,
        kind -> Text,
        starts_on -> Date,
        ends_on -> Date,
        reason -> Text,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    behaviour_expectations (plan_id, value) {
        plan_id -> Uuid,
        value -> Text,
        expectation -> Nullable<Text>,
        agency_id -> Uuid,
    }
}

diesel::table! {
    clients (id) {
        id -> Uuid,
        agency_id -> Uuid,
        name -> Text,
        secret_hash -> Bytea,
        scopes -> Array<Text>,
        created_by -> Nullable<Uuid>,
        created_at -> Timestamptz,
        revoked_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    employee_nips (nip) {
        nip -> Text,
        agency_id -> Uuid,
        employee_id -> Uuid,
    }
}

diesel::table! {
    employees (id) {
        id -> Uuid,
        agency_id -> Uuid,
        nip -> Text,
        name -> Text,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        unit_id -> Nullable<Uuid>,
        position_id -> Nullable<Uuid>,
        supervisor_id -> Nullable<Uuid>,
        employment_type -> Text,
        grade -> Nullable<Text>,
        email -> Nullable<Text>,
    }
}

diesel::table! {
    evaluations (id) {
        id -> Uuid,
        plan_id -> Uuid,
        agency_id -> Uuid,
        period_label -> Text,
        self_note -> Nullable<Text>,
        result_rating -> Nullable<Text>,
        behaviour_rating -> Nullable<Text>,
        predikat -> Nullable<Text>,
        explanation -> Nullable<Jsonb>,
        feedback -> Nullable<Jsonb>,
        rated_by -> Nullable<Uuid>,
        rated_at -> Nullable<Timestamptz>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    feedback (id) {
        id -> Uuid,
        agency_id -> Uuid,
        employee_id -> Uuid,
        period_id -> Uuid,
        author_id -> Uuid,
        author_relation -> Text,
        value -> Nullable<Text>,
        text -> Text,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    login_failures (key) {
        key -> Text,
        failures -> Int4,
        last_failed_at -> Timestamptz,
    }
}

diesel::table! {
    performance_plans (id) {
        id -> Uuid,
        agency_id -> Uuid,
        employee_id -> Uuid,
        period_id -> Uuid,
        revision -> Int4,
        approach -> Text,
        status -> Text,
        rater_id -> Nullable<Uuid>,
        rater_supervisor_id -> Nullable<Uuid>,
        rater_override_reason -> Nullable<Text>,
        return_reason -> Nullable<Text>,
        annex -> Jsonb,
        superseded_by -> Nullable<Uuid>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    periods (id) {
        id -> Uuid,
        agency_id -> Uuid,
        name -> Text,
        starts_on -> Date,
        ends_on -> Date,
        cadence -> Text,
        rule_set -> Text,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        status -> Text,
        status_reason -> Nullable<Text>,
        planning_due -> Nullable<Date>,
        evaluation_due -> Jsonb,
        rating_due -> Nullable<Date>,
    }
}

diesel::table! {
    plan_indicators (id) {
        id -> Uuid,
        result_id -> Uuid,
        plan_id -> Uuid,
        description -> Text,
        aspect -> Text,
        target_value -> Nullable<Float8>,
        target_unit -> Nullable<Text>,
        target_text -> Nullable<Text>,
        agency_id -> Uuid,
    }
}

diesel::table! {
    plan_results (id) {
        id -> Uuid,
        plan_id -> Uuid,
        kind -> Text,
        description -> Text,
        parent_result_id -> Nullable<Uuid>,
        perspective -> Nullable<Text>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        agency_id -> Uuid,
    }
}

diesel::table! {
    positions (id) {
        id -> Uuid,
        agency_id -> Uuid,
        unit_id -> Nullable<Uuid>,
        code -> Text,
        name -> Text,
        kind -> Text,
        level -> Nullable<Text>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    realizations (id) {
        id -> Uuid,
        evaluation_id -> Uuid,
        indicator_id -> Uuid,
        value -> Nullable<Float8>,
        text -> Nullable<Text>,
        evidence -> Jsonb,
        agency_id -> Uuid,
    }
}

diesel::table! {
    refresh_tokens (id) {
        id -> Uuid,
        user_id -> Uuid,
        family_id -> Uuid,
        token_hash -> Bytea,
        expires_at -> Timestamptz,
        spent_at -> Nullable<Timestamptz>,
        revoked_at -> Nullable<Timestamptz>,
        created_at -> Timestamptz,
        spent_from -> Nullable<Text>,
    }
}

diesel::table! {
    units (id) {
        id -> Uuid,
        agency_id -> Uuid,
        parent_id -> Nullable<Uuid>,
        code -> Text,
        name -> Text,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    users (id) {
        id -> Uuid,
        username -> Text,
        password_hash -> Text,
        roles -> Array<Text>,
        agency_id -> Nullable<Uuid>,
        employee_id -> Nullable<Uuid>,
        is_active -> Bool,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        session_version -> Int4,
    }
}

diesel::table! {
    organisation_ratings (unit_id, period_id) {
        unit_id -> Uuid,
        period_id -> Uuid,
        agency_id -> Uuid,
        predikat -> Text,
        note -> Nullable<Text>,
        rated_by -> Nullable<Uuid>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    final_ratings (plan_id) {
        plan_id -> Uuid,
        agency_id -> Uuid,
        period_id -> Uuid,
        employee_id -> Uuid,
        unit_id -> Nullable<Uuid>,
        result_rating -> Nullable<Text>,
        behaviour_rating -> Nullable<Text>,
        rated_predikat -> Text,
        predikat -> Text,
        explanation -> Jsonb,
        note -> Nullable<Text>,
        rated_by -> Uuid,
        rated_at -> Timestamptz,
        calibration -> Nullable<Jsonb>,
        updated_at -> Timestamptz,
        calibrated_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    objections (id) {
        id -> Uuid,
        plan_id -> Uuid,
        agency_id -> Uuid,
        employee_id -> Uuid,
        decider_id -> Nullable<Uuid>,
        reason -> Text,
        status -> Text,
        employee_explanation -> Nullable<Text>,
        rating_official_explanation -> Nullable<Text>,
        outcome -> Nullable<Text>,
        decided_predikat -> Nullable<Text>,
        decision_note -> Nullable<Text>,
        decided_by -> Nullable<Uuid>,
        filed_at -> Timestamptz,
        decided_at -> Nullable<Timestamptz>,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    competencies (id) {
        id -> Uuid,
        agency_id -> Nullable<Uuid>,
        code -> Text,
        name -> Text,
        competency_group -> Text,
        description -> Nullable<Text>,
        levels -> Jsonb,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    competency_requirements (position_id, competency_id) {
        position_id -> Uuid,
        competency_id -> Uuid,
        required_level -> Int2,
        updated_at -> Timestamptz,
        agency_id -> Uuid,
    }
}

diesel::table! {
    competency_requirement_defaults (position_kind, competency_id) {
        position_kind -> Text,
        competency_id -> Uuid,
        required_level -> Int2,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    competency_assessor_versions (agency_id) {
        agency_id -> Uuid,
        version -> Timestamptz,
    }
}

diesel::table! {
    competency_default_versions (position_kind) {
        position_kind -> Text,
        version -> Timestamptz,
    }
}

diesel::table! {
    competency_assessors (agency_id, user_id) {
        agency_id -> Uuid,
        user_id -> Uuid,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    competency_assessments (id) {
        id -> Uuid,
        agency_id -> Uuid,
        employee_id -> Uuid,
        period_id -> Uuid,
        source -> Text,
        assessor_user_id -> Uuid,
        assessor_employee_id -> Nullable<Uuid>,
        potential -> Nullable<Text>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    competency_ratings (assessment_id, competency_id) {
        assessment_id -> Uuid,
        competency_id -> Uuid,
        level -> Int2,
        note -> Nullable<Text>,
        agency_id -> Uuid,
    }
}

diesel::table! {
    development_activities (id) {
        id -> Uuid,
        agency_id -> Uuid,
        employee_id -> Uuid,
        competency_id -> Nullable<Uuid>,
        kind -> Text,
        title -> Text,
        mentor_id -> Nullable<Uuid>,
        due_on -> Nullable<Date>,
        status -> Text,
        evidence -> Jsonb,
        created_by -> Nullable<Uuid>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::joinable!(clients -> agencies (agency_id));
diesel::joinable!(clients -> users (created_by));
diesel::joinable!(employees -> agencies (agency_id));
diesel::joinable!(employees -> positions (position_id));
diesel::joinable!(employees -> units (unit_id));
diesel::joinable!(behaviour_expectations -> performance_plans (plan_id));
diesel::joinable!(evaluations -> performance_plans (plan_id));
diesel::joinable!(feedback -> periods (period_id));
diesel::joinable!(performance_plans -> periods (period_id));
diesel::joinable!(realizations -> evaluations (evaluation_id));
diesel::joinable!(realizations -> plan_indicators (indicator_id));
diesel::joinable!(periods -> agencies (agency_id));
diesel::joinable!(plan_indicators -> plan_results (result_id));
diesel::joinable!(plan_results -> performance_plans (plan_id));
diesel::joinable!(positions -> agencies (agency_id));
diesel::joinable!(positions -> units (unit_id));
diesel::joinable!(units -> agencies (agency_id));
diesel::joinable!(refresh_tokens -> users (user_id));
diesel::joinable!(users -> agencies (agency_id));
diesel::joinable!(users -> employees (employee_id));
diesel::joinable!(final_ratings -> performance_plans (plan_id));
diesel::joinable!(objections -> final_ratings (plan_id));
diesel::joinable!(competency_requirements -> competencies (competency_id));
diesel::joinable!(competency_requirements -> positions (position_id));
diesel::joinable!(competency_requirement_defaults -> competencies (competency_id));
diesel::joinable!(competency_ratings -> competency_assessments (assessment_id));
diesel::joinable!(competency_ratings -> competencies (competency_id));

diesel::table! {
    idempotency_keys (actor_id, key) {
        actor_id -> Uuid,
        key -> Text,
        fingerprint -> Bytea,
        status -> Int2,
        answer -> Jsonb,
        created_at -> Timestamptz,
    }
}

diesel::allow_tables_to_appear_in_same_query!(agencies, clients, employees, login_failures, refresh_tokens, users,);
diesel::allow_tables_to_appear_in_same_query!(
    competencies,
    competency_requirements,
    competency_requirement_defaults,
    competency_ratings,
    competency_assessments,
    positions,
);

diesel::table! {
    webhook_endpoints (id) {
        id -> Uuid,
        agency_id -> Uuid,
        url -> Text,
        description -> Text,
        event_types -> Array<Text>,
        secret -> Text,
        enabled -> Bool,
        disabled_reason -> Nullable<Text>,
        failing_since -> Nullable<Timestamptz>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        previous_secret -> Nullable<Text>,
        previous_secret_expires_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    webhook_deliveries (id) {
        id -> Int8,
        endpoint_id -> Uuid,
        agency_id -> Uuid,
        event_id -> Uuid,
        state -> Text,
        attempts -> Int4,
        next_attempt_at -> Timestamptz,
        last_attempt_at -> Nullable<Timestamptz>,
        last_status -> Nullable<Int4>,
        last_error -> Nullable<Text>,
        delivered_at -> Nullable<Timestamptz>,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    career_snapshots (id) {
        id -> Int8,
        agency_id -> Uuid,
        employee_id -> Uuid,
        period_id -> Uuid,
        act -> Text,
        act_id -> Uuid,
        position_id -> Nullable<Uuid>,
        position_code -> Nullable<Text>,
        position_name -> Nullable<Text>,
        unit_id -> Nullable<Uuid>,
        unit_name -> Nullable<Text>,
        grade -> Nullable<Text>,
        rule_set -> Text,
        standard -> Jsonb,
        taken_at -> Timestamptz,
    }
}
