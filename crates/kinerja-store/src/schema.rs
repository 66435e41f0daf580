// The Diesel view of the tables in `migrations/`. Kept in step with them by the
// `schema_matches_migrations` test, which compares every column with the migrated database.

diesel::table! {
    agencies (id) {
        id -> Uuid,
        code -> Text,
        name -> Text,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
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
    employees (id) {
        id -> Uuid,
        agency_id -> Uuid,
        nip -> Text,
        name -> Text,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    login_failures (key) {
        key -> Text,
        failures -> Int4,
        window_started_at -> Timestamptz,
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
    }
}

diesel::joinable!(clients -> agencies (agency_id));
diesel::joinable!(clients -> users (created_by));
diesel::joinable!(employees -> agencies (agency_id));
diesel::joinable!(refresh_tokens -> users (user_id));
diesel::joinable!(users -> agencies (agency_id));
diesel::joinable!(users -> employees (employee_id));

diesel::allow_tables_to_appear_in_same_query!(agencies, clients, employees, login_failures, refresh_tokens, users,);
