//! Periodic evaluation: the employee records realisations with evidence, the rating official
//! rates results and behaviour, and the period's rule set gives the predikat with its reasons.
//! Also continuous feedback from the rating official, peers and subordinates.

use chrono::{DateTime, Utc};
use kinerja_domain::audit::AuditEntity;
use kinerja_domain::competency::{feedback_author_shown, AuthorRelation};
use kinerja_domain::skp::BerAkhlak;
use kinerja_domain::workflow::{PlanParty, PlanStatus};
use kinerja_domain::RegistryAction;
use kinerja_store::coded::Coded;
use kinerja_store::evaluation_rows::{self, EvaluationRow, FeedbackRow, RealizationRow};
use kinerja_store::shard::RowKey;
use kinerja_store::{audit_rows, org_rows, plan_rows, AsyncConnection};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::context::access::{ensure_employee_visible, party, visible_plan};
use crate::context::caller::Caller;
use crate::http::checks::{reject, text_error};
use crate::http::error::ProblemCode;
use crate::http::error::{ApiError, FieldError};
use crate::http::pagination::{Page, PageParams};
use crate::services::plan_contents::{realization_errors, RealizationInput, ONLY_APPROVED};

use crate::context::write::{self, IfMatch};
use crate::services::scoring;
use crate::services::scoring::{rating_request, Evaluation, Explanation};
use crate::state::AppState;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"period_label": "2026-Q1", "self_note": "Akreditasi 12 sekolah selesai lebih awal.", "realizations": [{"indicator_id": "0193a0c2-0000-7000-8000-000000002001", "value": 92.5, "evidence": [{"description": "Laporan triwulan I", "url": "https://drive.batanghari.go.id/laporan-q1.pdf"}]}]}))]
pub struct CreateEvaluation {
    /// A sub-period of the plan's period: `2026-01`, `2026-Q1`, `2026-S1` or `2026`.
    #[schema(example = "2026-Q1")]
    period_label: String,
    realizations: Vec<RealizationInput>,
    #[serde(default)]
    self_note: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BehaviourFeedback {
    value: BerAkhlak,
    text: String,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RatingFeedback {
    /// On the results.
    #[serde(default)]
    results: Option<String>,
    /// Per BerAKHLAK value, each at most once.
    #[serde(default)]
    #[schema(max_items = 7)]
    behaviour: Vec<BehaviourFeedback>,
}

rating_request! {
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"result_rating": "di_atas_ekspektasi", "behaviour_rating": "sesuai_ekspektasi", "feedback": {"results": "Target akreditasi sekolah terlampaui pada triwulan ini.", "behaviour": [{"value": "kolaboratif", "text": "Aktif berkoordinasi dengan pengawas sekolah."}]}}))]
pub struct RatingRequest {
    #[serde(default)]
    feedback: RatingFeedback,
}
}

#[derive(Debug, Serialize, ToSchema)]
pub struct EvaluationView {
    pub id: Uuid,
    pub plan_id: Uuid,
    period_label: String,
    self_note: Option<String>,
    realizations: Vec<RealizationInput>,
    /// Present once rated.
    predikat: Option<kinerja_domain::rule_sets::Predikat>,
    /// Present once rated: how the rule set decided.
    #[schema(value_type = Option<Explanation>)]
    explanation: Option<serde_json::Value>,
    /// Present once rated: the rating official's feedback.
    #[schema(value_type = Option<RatingFeedback>)]
    feedback: Option<serde_json::Value>,
    rated_by: Option<Uuid>,
    rated_at: Option<DateTime<Utc>>,
    created_at: DateTime<Utc>,
    /// The evaluation's version (its `ETag`); rating it moves it.
    pub updated_at: DateTime<Utc>,
}

fn view(e: &EvaluationRow, realizations: &[RealizationRow]) -> EvaluationView {
    EvaluationView {
        id: e.id,
        plan_id: e.plan_id,
        period_label: e.period_label.clone(),
        self_note: e.self_note.clone(),
        realizations: realizations
            .iter()
            .map(|r| RealizationInput {
                indicator_id: r.indicator_id,
                value: r.value,
                text: r.text.clone(),
                evidence: serde_json::from_value(r.evidence.clone()).unwrap_or_default(),
            })
            .collect(),
        predikat: e.predikat.map(|c| c.0),
        explanation: e.explanation.clone(),
        feedback: e.feedback.clone(),
        rated_by: e.rated_by,
        rated_at: e.rated_at,
        created_at: e.created_at,
        updated_at: e.updated_at,
    }
}

pub async fn create(
    caller: &Caller,
    state: &AppState,
    plan_id: Uuid,
    body: CreateEvaluation,
) -> Result<EvaluationView, ApiError> {
    let plan = visible_plan(state, caller, plan_id).await?;
    if caller.employee_id() != Some(plan.employee_id) {
        return Err(ApiError::Forbidden("only the employee records their realisations"));
    }
    if !Some(plan.status.0).is_some_and(PlanStatus::is_evaluated) || plan.superseded_by.is_some() {
        return Err(ApiError::Conflict { code: ProblemCode::InvalidTransition, detail: ONLY_APPROVED.into() });
    }
    let mut conn = state.db.conn().await?;
    let period = plan_rows::get_period(&mut conn, Some(plan.agency_id), plan.period_id)
        .await?
        .ok_or(ApiError::NotFound("period"))?;
    let whole =
        plan_rows::whole_plan(&mut conn, Some(plan.agency_id), plan.id).await?.ok_or(ApiError::NotFound("plan"))?;
    let cadence = period.cadence.0;
    let labels = cadence.labels(period.starts_on, period.ends_on);
    let mut errors = Vec::new();
    if !labels.contains(&body.period_label) {
        errors.push(FieldError::new("period_label", "invalid_period_label", format!("one of {}", labels.join(", "))));
    }
    if body.self_note.as_deref().is_some_and(|n| n.chars().count() > 4000) {
        errors.push(FieldError::new("self_note", "too_long", "at most 4000 characters"));
    }
    for (i, r) in body.realizations.iter().enumerate() {
        if !whole.indicators.iter().any(|ind| ind.id == r.indicator_id) {
            errors.push(FieldError::new(
                format!("realizations[{i}].indicator_id"),
                "unknown_indicator",
                "not an indicator of this plan",
            ));
        }
        if body.realizations[..i].iter().any(|earlier| earlier.indicator_id == r.indicator_id) {
            errors.push(FieldError::new(
                format!("realizations[{i}].indicator_id"),
                "duplicate",
                "each indicator at most once",
            ));
        }
        errors.extend(realization_errors(&format!("realizations[{i}]."), r));
    }
    reject(errors)?;
    let now = Utc::now();
    let row = EvaluationRow {
        id: Uuid::now_v7(),
        plan_id: plan.id,
        agency_id: plan.agency_id,
        period_label: body.period_label.clone(),
        self_note: body.self_note.clone(),
        result_rating: None,
        behaviour_rating: None,
        predikat: None,
        explanation: None,
        feedback: None,
        rated_by: None,
        rated_at: None,
        created_at: now,
        updated_at: now,
    };
    let rows: Vec<RealizationRow> = body
        .realizations
        .iter()
        .map(|r| RealizationRow {
            id: Uuid::now_v7(),
            agency_id: row.agency_id,
            evaluation_id: row.id,
            indicator_id: r.indicator_id,
            value: r.value,
            text: r.text.clone(),
            evidence: serde_json::to_value(&r.evidence).unwrap_or_default(),
        })
        .collect();
    conn.transaction::<_, ApiError, _>(async |tx| {
        write::open_period(tx, plan.agency_id, plan.period_id).await?;
        evaluation_rows::insert_evaluation(tx, &row, &rows).await.map_err(|e| match e {
            kinerja_store::StoreError::Duplicate(_) => ApiError::Conflict {
                code: ProblemCode::DuplicateEvaluation,
                detail: format!("{} is already recorded for this plan", row.period_label),
            },
            other => other.into(),
        })?;
        let changes = serde_json::json!({"period_label": row.period_label, "realizations": rows.len()});
        audit_rows::record(
            tx,
            caller.audit_actor().raw(AuditEntity::Evaluation, Some(row.id), "create", Some(row.agency_id), changes),
        )
        .await?;
        Ok(())
    })
    .await?;
    Ok(view(&row, &rows))
}

pub async fn read(
    caller: &Caller,
    state: &AppState,
    (plan_id, evaluation_id): (Uuid, Uuid),
) -> Result<EvaluationView, ApiError> {
    let plan = visible_plan(state, caller, plan_id).await?;
    let mut conn = state.db.conn().await?;
    let evaluation = evaluation_rows::get_evaluation(&mut conn, evaluation_id)
        .await?
        .filter(|e| e.plan_id == plan.id)
        .ok_or(ApiError::NotFound("evaluation"))?;
    let realizations = evaluation_rows::realizations_of(&mut conn, evaluation.id).await?;
    Ok(view(&evaluation, &realizations))
}

pub async fn rate(
    caller: &Caller,
    state: &AppState,
    evaluation_id: Uuid,
    if_match: &IfMatch,
    body: RatingRequest,
) -> Result<(Evaluation, DateTime<Utc>), ApiError> {
    let mut conn = state.db.conn().await?;
    let visible =
        evaluation_rows::get_evaluation(&mut conn, evaluation_id).await?.ok_or(ApiError::NotFound("evaluation"))?;
    drop(conn);
    let plan = visible_plan(state, caller, visible.plan_id).await.map_err(|_| ApiError::NotFound("evaluation"))?;
    let behaviour = &body.feedback.behaviour;
    if behaviour.len() > BerAkhlak::ALL.len() {
        let message = format!("at most {} items, one per BerAKHLAK value", BerAkhlak::ALL.len());
        return Err(ApiError::validation("feedback.behaviour", "too_many", message));
    }
    let mut feedback_errors: Vec<FieldError> = behaviour
        .iter()
        .enumerate()
        .filter_map(|(i, f)| text_error(format!("feedback.behaviour[{i}].text"), &f.text, 2000))
        .collect();
    for (i, f) in behaviour.iter().enumerate() {
        if behaviour[..i].iter().any(|earlier| earlier.value == f.value) {
            feedback_errors.push(FieldError::new(
                format!("feedback.behaviour[{i}].value"),
                "duplicate",
                "each value at most once",
            ));
        }
    }
    reject(feedback_errors)?;
    let outcome = write::transaction(state, async |tx| {
        // The plan locked: its rater, status and revision hold while the rating is written.
        let plan = plan_rows::lock_plan(tx, RowKey::new(plan.agency_id, plan.id)).await?.ok_or(ApiError::NotFound("evaluation"))?;
        if party(caller, &plan) != PlanParty::Rater {
            return Err(ApiError::Forbidden("only the rating official rates"));
        }
        if plan.superseded_by.is_some() {
            return Err(ApiError::Conflict {
                code: ProblemCode::Superseded,
                detail: "this evaluation belongs to a superseded revision of the plan; it is kept as history".into(),
            });
        }
        if plan.status.0 == PlanStatus::Rated {
            return Err(ApiError::Conflict {
                code: ProblemCode::InvalidTransition,
                detail: "the plan has its annual rating and is locked".into(),
            });
        }
        let current = evaluation_rows::get_evaluation(tx, visible.id).await?.ok_or(ApiError::NotFound("evaluation"))?;
        if_match.check(current.updated_at)?;
        let period = write::open_period(tx, plan.agency_id, plan.period_id).await?;
        let inputs = body.rater_inputs();
        let outcome =
            scoring::rate(tx, period.rule_set.0, scoring::PlanKey::of(&plan), Some(current.id), inputs, &body.result_ratings).await?;
        let now = Utc::now();
        let mut next = current.clone();
        next.result_rating = body.result_rating.map(Coded);
        next.behaviour_rating = body.behaviour_rating.map(Coded);
        next.predikat = Some(Coded(outcome.predikat));
        next.explanation = serde_json::to_value(&outcome.explanation).ok();
        next.feedback = serde_json::to_value(&body.feedback).ok();
        next.rated_by = caller.employee_id();
        next.rated_at = Some(now);
        next.updated_at = write::next_version(current.updated_at);
        evaluation_rows::save_rating(tx, &next).await?;
        let changes = serde_json::json!({"predikat": {"old": current.predikat, "new": next.predikat},
                                         "result_rating": {"old": current.result_rating, "new": next.result_rating},
                                         "behaviour_rating": {"old": current.behaviour_rating, "new": next.behaviour_rating}});
        let actor = caller.audit_actor_for(plan.rater_id);
        audit_rows::record(tx, actor.raw(AuditEntity::Evaluation, Some(next.id), "rate", Some(next.agency_id), changes)).await?;
        Ok((outcome, next.updated_at))
    })
    .await?;
    Ok(outcome)
}

// ---- continuous feedback ----

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"employee_id": "0193a0c2-0000-7000-8000-00000000e001", "period_id": "0193a0c2-0000-7000-8000-00000000d001", "value": "berorientasi_pelayanan", "text": "Laporan layanan publik disusun rapi dan tepat waktu."}))]
pub struct CreateFeedback {
    employee_id: Uuid,
    period_id: Uuid,
    #[schema(example = "Presentasi rapat koordinasi sangat jelas dan tepat waktu.", min_length = 1, max_length = 4000)]
    text: String,
    /// The BerAKHLAK value it speaks to, if any.
    #[serde(default)]
    value: Option<BerAkhlak>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct FeedbackView {
    pub id: Uuid,
    employee_id: Uuid,
    period_id: Uuid,
    /// Who gave it: withheld (`null`) from the person it is about, and from everyone but
    /// admins and auditors, when a peer or subordinate gave it.
    author_id: Option<Uuid>,
    author_relation: AuthorRelation,
    value: Option<BerAkhlak>,
    text: String,
    created_at: DateTime<Utc>,
}

impl FeedbackView {
    /// The feedback as `caller` may read it.
    fn for_reader(f: FeedbackRow, caller: &Caller) -> Self {
        let shown = feedback_author_shown(
            f.author_relation.0 == AuthorRelation::Rater,
            caller.employee_id() == Some(f.author_id),
            caller.actor.may_on_registry(RegistryAction::ReadPeople, f.agency_id),
        );
        FeedbackView {
            id: f.id,
            employee_id: f.employee_id,
            period_id: f.period_id,
            author_id: shown.then_some(f.author_id),
            author_relation: f.author_relation.0,
            value: f.value.map(|v| v.0),
            text: f.text,
            created_at: f.created_at,
        }
    }
}

pub async fn give_feedback(caller: &Caller, state: &AppState, body: CreateFeedback) -> Result<FeedbackView, ApiError> {
    let me = caller.employee_id().ok_or(ApiError::Forbidden("feedback comes from an employee"))?;
    if me == body.employee_id {
        return Err(ApiError::validation("employee_id", "self_feedback", "feedback is never about oneself"));
    }
    let text = body.text.trim().to_owned();
    if text.is_empty() || text.chars().count() > 4000 {
        return Err(ApiError::validation("text", "invalid_length", "1 to 4000 characters"));
    }
    let mut conn = state.db.conn().await?;
    let author = org_rows::get_employee(&mut conn, caller.shard_hint(), me)
        .await?
        .ok_or(ApiError::Forbidden("your employee record is gone"))?;
    let subject = org_rows::get_employee(&mut conn, Some(author.agency_id), body.employee_id)
        .await?
        .filter(|e| e.agency_id == author.agency_id)
        .ok_or_else(|| ApiError::validation("employee_id", "not_found", "no such colleague in your agency"))?;
    let period = plan_rows::get_period(&mut conn, caller.shard_hint(), body.period_id)
        .await?
        .filter(|p| p.agency_id == author.agency_id)
        .ok_or_else(|| ApiError::validation("period_id", "not_found", "no such period in your agency"))?;
    let relation = if subject.supervisor_id == Some(author.id) {
        AuthorRelation::Rater
    } else if author.supervisor_id == Some(subject.id) {
        AuthorRelation::Subordinate
    } else if author.unit_id.is_some() && author.unit_id == subject.unit_id {
        AuthorRelation::Peer
    } else {
        return Err(ApiError::Forbidden("feedback comes from the supervisor, peers in the same unit, or subordinates"));
    };
    let row = FeedbackRow {
        id: Uuid::now_v7(),
        agency_id: author.agency_id,
        employee_id: subject.id,
        period_id: period.id,
        author_id: author.id,
        author_relation: Coded(relation),
        value: body.value.map(Coded),
        text,
        created_at: Utc::now(),
    };
    conn.transaction::<_, ApiError, _>(async |tx| {
        evaluation_rows::insert_feedback(tx, &row).await?;
        let changes = serde_json::json!({"employee_id": row.employee_id, "author_relation": row.author_relation});
        audit_rows::record(
            tx,
            caller.audit_actor().raw(AuditEntity::Feedback, Some(row.id), "create", Some(row.agency_id), changes),
        )
        .await?;
        Ok(())
    })
    .await?;
    Ok(FeedbackView::for_reader(row, caller))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FeedbackQuery {
    period_id: Option<Uuid>,
}

/// One piece of feedback: for its author, and for whoever may read the feedback its subject
/// received.
pub async fn read_feedback(caller: &Caller, state: &AppState, id: Uuid) -> Result<FeedbackView, ApiError> {
    let mut conn = state.db.conn().await?;
    let row = evaluation_rows::get_feedback(&mut conn, id).await?.ok_or(ApiError::NotFound("feedback"))?;
    if caller.employee_id() != Some(row.author_id) {
        let employee = org_rows::get_employee(&mut conn, Some(row.agency_id), row.employee_id)
            .await?
            .ok_or(ApiError::NotFound("feedback"))?;
        drop(conn);
        ensure_employee_visible(state, caller, &employee).await.map_err(|_| ApiError::NotFound("feedback"))?;
    }
    Ok(FeedbackView::for_reader(row, caller))
}

pub async fn list_feedback(
    caller: &Caller,
    state: &AppState,
    employee_id: Uuid,
    query: FeedbackQuery,
    page: PageParams,
) -> Result<Page<FeedbackView>, ApiError> {
    let request = page.parse()?;
    let mut conn = state.db.conn().await?;
    let employee = org_rows::get_employee(&mut conn, caller.shard_hint(), employee_id)
        .await?
        .ok_or(ApiError::NotFound("employee"))?;
    drop(conn);
    ensure_employee_visible(state, caller, &employee).await?;
    let mut conn = state.db.conn().await?;
    let rows =
        evaluation_rows::list_feedback(&mut conn, employee.id, query.period_id, request.after, request.fetch()).await?;
    Ok(Page::from_rows(rows, request, |f| f.id, |f| FeedbackView::for_reader(f, caller)))
}
