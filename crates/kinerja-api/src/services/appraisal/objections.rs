//! Objections (keberatan, PP 30/2019 art. 59): filed by the employee within the window, explained
//! by both sides, decided by the rating official's supervisor.

use crate::context::access::party;
use crate::context::caller::Caller;
use crate::context::write::{self, record, Change, IfMatch};
use crate::http::error::ApiError;
use crate::http::error::ProblemCode;
use crate::http::pagination::{Page, PageParams};
use crate::state::AppState;
use chrono::{DateTime, Utc};
use kinerja_domain::audit::AuditEntity;
use kinerja_domain::objection::{self, check_deciders, ObjectionStatus, Outcome, Party};
use kinerja_domain::rule_sets::Predikat;
use kinerja_domain::workflow::PlanParty;
use kinerja_domain::RegistryAction;
use kinerja_store::appraisal_rows::{self, FinalRatingRow, ObjectionFilter, ObjectionRow};
use kinerja_store::coded::Coded;
use kinerja_store::plan_rows::PlanRow;
use kinerja_store::{audit_rows, plan_rows, AsyncPgConnection, StoreError};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::{check_predikat, period_of, required_text, visible_final_rating, window_days};

record!(ObjectionRow, AuditEntity::Objection, audited: ObjectionView, agency: |o| Some(o.agency_id),
        lock: appraisal_rows::lock_objection, save: appraisal_rows::update_objection);

// ---- objections (keberatan) ----

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"reason": "Realisasi triwulan IV belum diperhitungkan; bukti dukung terlampir."}))]
pub struct FileObjection {
    #[schema(min_length = 1, max_length = 4000)]
    reason: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ObjectionView {
    pub id: Uuid,
    plan_id: Uuid,
    employee_id: Uuid,
    /// The rating official's supervisor (atasan pejabat penilai), who decides.
    decider_id: Option<Uuid>,
    reason: String,
    status: ObjectionStatus,
    employee_explanation: Option<String>,
    rating_official_explanation: Option<String>,
    outcome: Option<Outcome>,
    /// The new predikat of an upheld objection.
    predikat: Option<Predikat>,
    decision_note: Option<String>,
    decided_by: Option<Uuid>,
    filed_at: DateTime<Utc>,
    decided_at: Option<DateTime<Utc>>,
    pub updated_at: DateTime<Utc>,
}

impl From<&ObjectionRow> for ObjectionView {
    fn from(o: &ObjectionRow) -> Self {
        ObjectionView {
            id: o.id,
            plan_id: o.plan_id,
            employee_id: o.employee_id,
            decider_id: o.decider_id,
            reason: o.reason.clone(),
            status: o.status.0,
            employee_explanation: o.employee_explanation.clone(),
            rating_official_explanation: o.rating_official_explanation.clone(),
            outcome: o.outcome.map(|c| c.0),
            predikat: o.decided_predikat.map(|c| c.0),
            decision_note: o.decision_note.clone(),
            decided_by: o.decided_by,
            filed_at: o.filed_at,
            decided_at: o.decided_at,
            updated_at: o.updated_at,
        }
    }
}

pub async fn file(
    caller: &Caller,
    state: &AppState,
    plan_id: Uuid,
    body: FileObjection,
) -> Result<ObjectionView, ApiError> {
    let (plan, _) = visible_final_rating(state, caller, plan_id).await?;
    if party(caller, &plan) != PlanParty::Owner {
        return Err(ApiError::Forbidden("only the employee objects to their own rating"));
    }
    let reason = required_text("reason", &body.reason)?;
    let row = write::transaction(state, async |tx| {
        // The rating as it stands, locked against a calibration that would move the window.
        let rating = appraisal_rows::lock_final_rating(tx, plan.id).await?.ok_or(ApiError::NotFound("final rating"))?;
        let window = window_days(tx, plan.agency_id).await?;
        let now = Utc::now();
        if !objection::on_time(rating.in_force_since(), window, now) {
            return Err(ApiError::Unprocessable {
                code: ProblemCode::DeadlinePassed,
                detail: format!(
                    "objections to this rating closed on {} ({window} days after its predikat was set)",
                    objection::deadline(rating.in_force_since(), window)
                ),
            });
        }
        let row = ObjectionRow {
            id: Uuid::now_v7(),
            plan_id: plan.id,
            agency_id: plan.agency_id,
            employee_id: plan.employee_id,
            decider_id: plan.rater_supervisor_id,
            reason,
            status: Coded(ObjectionStatus::Open),
            employee_explanation: None,
            rating_official_explanation: None,
            outcome: None,
            decided_predikat: None,
            decision_note: None,
            decided_by: None,
            filed_at: now,
            decided_at: None,
            updated_at: now,
        };
        appraisal_rows::insert_objection(tx, &row).await.map_err(|e| match e {
            StoreError::Duplicate(_) => ApiError::Conflict {
                code: ProblemCode::ObjectionExists,
                detail: "this rating already has an objection; its decision is final".into(),
            },
            other => other.into(),
        })?;
        let changes = json!({"plan_id": row.plan_id, "predikat": rating.predikat, "decider_id": row.decider_id});
        audit_rows::record(
            tx,
            caller.audit_actor().raw(AuditEntity::Objection, Some(row.id), "file", Some(row.agency_id), changes),
        )
        .await?;
        Ok(row)
    })
    .await?;
    Ok(ObjectionView::from(&row))
}

/// Loads an objection the caller may see: the agency's readers, the employee, the one who
/// decides and the rating official.
async fn visible_objection(state: &AppState, caller: &Caller, id: Uuid) -> Result<(ObjectionRow, PlanRow), ApiError> {
    let mut conn = state.db.conn().await?;
    let objection = appraisal_rows::get_objection(&mut conn, id).await?.ok_or(ApiError::NotFound("objection"))?;
    let plan = plan_rows::get_plan(&mut conn, Some(objection.agency_id), objection.plan_id)
        .await?
        .ok_or(ApiError::NotFound("objection"))?;
    let me = caller.employee_id();
    let involved = (me.is_some() && me == Some(objection.employee_id))
        || [objection.decider_id, plan.rater_supervisor_id, plan.rater_id]
            .into_iter()
            .any(|o| caller.is_or_acts_for(o));
    if involved || caller.actor.may_on_registry(RegistryAction::ReadPeople, objection.agency_id) {
        Ok((objection, plan))
    } else {
        Err(ApiError::NotFound("objection"))
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ObjectionQuery {
    /// Only objections in this status.
    status: Option<ObjectionStatus>,
    plan_id: Option<Uuid>,
    employee_id: Option<Uuid>,
    /// The rating official's supervisor who decides.
    decider_id: Option<Uuid>,
    /// Super admins: one agency's.
    agency_id: Option<Uuid>,
}

pub async fn list(
    caller: &Caller,
    state: &AppState,
    query: ObjectionQuery,
    page: PageParams,
) -> Result<Page<ObjectionView>, ApiError> {
    let request = page.parse()?;
    let mut filter = ObjectionFilter {
        status: query.status,
        plan_id: query.plan_id,
        employee_id: query.employee_id,
        decider_id: query.decider_id,
        ..ObjectionFilter::default()
    };
    let agency = if caller.reads_every_agency() { query.agency_id } else { caller.agency_id() };
    match agency {
        Some(a) if caller.actor.may_on_registry(RegistryAction::ReadPeople, a) => filter.agency_id = Some(a),
        _ if caller.reads_every_agency() => {}
        _ => filter.involving = Some(caller.employee_id().unwrap_or(Uuid::nil())),
    }
    let mut conn = state.read_conn(caller.reads_from).await?;
    let rows = appraisal_rows::list_objections(&mut conn, &filter, request.after, request.fetch()).await?;
    Ok(Page::from_rows(rows, request, |o| o.id, |o| ObjectionView::from(&o)))
}

pub async fn read(caller: &Caller, state: &AppState, objection_id: Uuid) -> Result<ObjectionView, ApiError> {
    let (objection, _) = visible_objection(state, caller, objection_id).await?;
    Ok(ObjectionView::from(&objection))
}

/// The one who decides: the plan's rating official's supervisor now (an admin's change of
/// rating official moves it), and never the employee or the rating official themselves.
fn ensure_decider(caller: &Caller, plan: &PlanRow) -> Result<Uuid, ApiError> {
    let me = match caller.employee_id() {
        Some(me) if caller.is_or_acts_for(plan.rater_supervisor_id) => me,
        _ => {
            return Err(ApiError::Forbidden(
                "only the rating official's supervisor (atasan pejabat penilai) acts on an objection",
            ))
        }
    };
    check_deciders(&plan.employee_id, plan.rater_id.as_ref(), Some(&me)).map_err(|e| ApiError::Conflict {
        code: ProblemCode::OwnCase,
        detail: format!("{e}; an agency admin names another"),
    })?;
    Ok(me)
}

fn ensure_open(objection: &ObjectionRow) -> Result<(), ApiError> {
    if objection.status.0 == ObjectionStatus::Open {
        Ok(())
    } else {
        Err(ApiError::Conflict {
            code: ProblemCode::ObjectionDecided,
            detail: "the objection is decided; the decision is final".into(),
        })
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"party": "rating_official", "text": "Realisasi triwulan IV sudah diperhitungkan dalam penilaian."}))]
pub struct ExplanationRequest {
    /// Whose explanation this is.
    party: Party,
    #[schema(min_length = 1, max_length = 4000)]
    text: String,
}

pub async fn record_explanation(
    caller: &Caller,
    state: &AppState,
    objection_id: Uuid,
    if_match: &IfMatch,
    body: ExplanationRequest,
) -> Result<ObjectionView, ApiError> {
    let (visible, plan) = visible_objection(state, caller, objection_id).await?;
    let text = required_text("text", &body.text)?;
    let row = write::update_on(
        &mut *state.db.conn().await?,
        &caller.audit_actor_for(plan.rater_supervisor_id),
        if_match,
        visible.id,
        "explanation",
        async |tx, current: &ObjectionRow| {
            ensure_decider(caller, &plan_of(tx, current).await?)?;
            ensure_open(current)?;
            let mut next = current.clone();
            match body.party {
                Party::Employee => next.employee_explanation = Some(text),
                Party::RatingOfficial => next.rating_official_explanation = Some(text),
            }
            Ok(Change::with_changes(next, json!({"party": body.party.as_str()})))
        },
    )
    .await?;
    Ok(ObjectionView::from(&row))
}

/// The plan an objection is about, as it now is.
async fn plan_of(tx: &mut AsyncPgConnection, objection: &ObjectionRow) -> Result<PlanRow, ApiError> {
    plan_rows::get_plan(tx, Some(objection.agency_id), objection.plan_id).await?.ok_or(ApiError::NotFound("objection"))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"outcome": "upheld", "predikat": "baik",
    "note": "Bukti dukung triwulan IV sah dan belum diperhitungkan."}))]
pub struct DecisionRequest {
    outcome: Outcome,
    /// The new predikat; required when upheld, absent when rejected.
    #[serde(default)]
    predikat: Option<Predikat>,
    #[schema(min_length = 1, max_length = 4000)]
    note: String,
}

pub async fn decide(
    caller: &Caller,
    state: &AppState,
    objection_id: Uuid,
    if_match: &IfMatch,
    body: DecisionRequest,
) -> Result<ObjectionView, ApiError> {
    let (visible, visible_plan) = visible_objection(state, caller, objection_id).await?;
    let note = required_text("note", &body.note)?;
    let rule_set = period_of(&mut *state.db.conn().await?, &visible_plan).await?.rule_set.0;
    let actor = caller.audit_actor_for(visible_plan.rater_supervisor_id);
    let row = write::update_on(
        &mut *state.db.conn().await?,
        &actor,
        if_match,
        visible.id,
        "decide",
        async |tx, current: &ObjectionRow| {
            let plan = plan_of(tx, current).await?;
            let me = ensure_decider(caller, &plan)?;
            ensure_open(current)?;
            let missing: Vec<&str> = [
                (current.employee_explanation.is_some(), Party::Employee),
                (current.rating_official_explanation.is_some(), Party::RatingOfficial),
            ]
            .into_iter()
            .filter(|(explained, _)| !explained)
            .map(|(_, party)| party.as_str())
            .collect();
            if !missing.is_empty() {
                return Err(ApiError::Conflict {
                    code: ProblemCode::ExplanationsMissing,
                    detail: format!("record the explanation of: {} before deciding", missing.join(", ")),
                });
            }
            let rating =
                appraisal_rows::lock_final_rating(tx, plan.id).await?.ok_or(ApiError::NotFound("final rating"))?;
            match (body.outcome, body.predikat) {
                (Outcome::Upheld, None) => {
                    return Err(ApiError::validation("predikat", "required", "an upheld objection sets a new predikat"))
                }
                (Outcome::Upheld, Some(p)) => {
                    check_predikat("predikat", p, rule_set)?;
                    if p == rating.predikat.0 {
                        return Err(ApiError::validation(
                            "predikat",
                            "unchanged",
                            format!("the predikat is already {}; reject the objection instead", rating.predikat),
                        ));
                    }
                }
                (Outcome::Rejected, Some(_)) => {
                    return Err(ApiError::validation(
                        "predikat",
                        "not_used",
                        "a rejected objection leaves the predikat",
                    ))
                }
                (Outcome::Rejected, None) => {}
            }
            let now = Utc::now();
            let next = ObjectionRow {
                status: Coded(ObjectionStatus::Decided),
                outcome: Some(Coded(body.outcome)),
                decided_predikat: body.predikat.map(Coded),
                decision_note: Some(note),
                decided_by: Some(me),
                decider_id: Some(me),
                decided_at: Some(now),
                ..current.clone()
            };
            let mut changes = json!({"outcome": next.outcome, "note": next.decision_note});
            if let Some(p) = body.predikat.filter(|_| body.outcome == Outcome::Upheld) {
                // The decision is final: the predikat in force changes, and no new window opens.
                let updated = FinalRatingRow {
                    predikat: Coded(p),
                    updated_at: write::next_version(rating.updated_at),
                    ..rating.clone()
                };
                appraisal_rows::update_final_rating(tx, &updated).await?;
                changes["predikat"] = json!({"old": rating.predikat, "new": p});
            }
            Ok(Change::with_changes(next, changes))
        },
    )
    .await?;
    Ok(ObjectionView::from(&row))
}
