//! What a plan holds, changed on the locked plan: results and indicators, behaviour expectations,
//! annex, and the rater an admin names.

use crate::context::access::visible_plan;
use crate::context::caller::Caller;
use crate::context::write::{self, Change, IfMatch};
use crate::http::checks::reject;
use crate::http::error::ProblemCode;
use crate::http::error::{ApiError, FieldError};
use crate::services::plan_contents::{result_errors, IndicatorInput, ResultInput, ResultPatch};
use crate::state::AppState;
use chrono::Utc;
use kinerja_domain::civil_service::PositionKind;
use kinerja_domain::limits::MAX_RESULTS_PER_PLAN;
use kinerja_domain::objection::check_deciders;
use kinerja_domain::skp::{Approach, BerAkhlak};
use kinerja_domain::RegistryAction;
use kinerja_store::coded::Coded;
use kinerja_store::org_rows::{self, EmployeeRow};
use kinerja_store::plan_rows::{self, ExpectationRow, IndicatorRow, PlanRow, ResultRow};
use kinerja_store::AsyncPgConnection;
use serde::Deserialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::services::plans::{edit_plan, ensure_editor, ensure_leader, Annex, Expectation, PlanView};

// ---- results and indicators ----

/// Checks a result against its plan: text, targets by approach, perspective by position kind,
/// and that its parent is a result of the rating official's current plan for the period.
async fn check_result(tx: &mut AsyncPgConnection, plan: &PlanRow, input: &ResultInput) -> Result<(), ApiError> {
    let employee = org_rows::get_employee(tx, Some(plan.agency_id), plan.employee_id).await?;
    let position = match employee.and_then(|e| e.position_id) {
        Some(p) => org_rows::get_position(tx, p).await?,
        None => None,
    };
    let jpt = position.map(|p| p.kind.0).is_some_and(PositionKind::is_jpt);
    let quantitative = plan.approach.0 == Approach::Kuantitatif;
    let mut errors = result_errors(quantitative, jpt, input);
    if let Some(parent) = input.parent_result_id {
        let parent_plan = match plan_rows::get_result(tx, parent).await? {
            Some(r) => plan_rows::get_plan(tx, Some(r.agency_id), r.plan_id).await?,
            None => None,
        };
        let fits = parent_plan.is_some_and(|p| {
            Some(p.employee_id) == plan.rater_id && p.period_id == plan.period_id && p.superseded_by.is_none()
        });
        if !fits {
            errors.push(FieldError::new("parent_result_id", "invalid_parent_result", INVALID_PARENT_RESULT));
        }
    }
    reject(errors)
}

pub(crate) const INVALID_PARENT_RESULT: &str = "must be a result in the rating official's plan for the same period";

fn indicator_rows(plan: &PlanRow, result_id: Uuid, input: &[IndicatorInput]) -> Vec<IndicatorRow> {
    input
        .iter()
        .map(|i| IndicatorRow {
            id: Uuid::now_v7(),
            agency_id: plan.agency_id,
            result_id,
            plan_id: plan.id,
            description: i.description.trim().to_owned(),
            aspect: Coded(i.aspect),
            target_value: i.target_value,
            target_unit: i.target_unit.clone(),
            target_text: i.target_text.clone(),
        })
        .collect()
}

pub async fn add_result(
    caller: &Caller,
    state: &AppState,
    plan_id: Uuid,
    if_match: &IfMatch,
    body: ResultInput,
) -> Result<(PlanView, Uuid), ApiError> {
    let visible = visible_plan(state, caller, plan_id).await?;
    let result_id = Uuid::now_v7();
    let view = edit_plan(state, caller, if_match, &visible, "add_result", async |tx, plan| {
        ensure_editor(caller, plan)?;
        if plan_rows::result_count(tx, plan.id).await? >= MAX_RESULTS_PER_PLAN {
            let message = format!("a plan holds at most {MAX_RESULTS_PER_PLAN} results");
            return Err(ApiError::validation("", "too_many", message));
        }
        check_result(tx, plan, &body).await?;
        let now = Utc::now();
        let result = ResultRow {
            id: result_id,
            agency_id: plan.agency_id,
            plan_id: plan.id,
            kind: Coded(body.kind),
            description: body.description.trim().to_owned(),
            parent_result_id: body.parent_result_id,
            perspective: body.perspective.map(Coded),
            created_at: now,
            updated_at: now,
        };
        plan_rows::insert_result(tx, &result, &indicator_rows(plan, result.id, &body.indicators)).await?;
        let changes = serde_json::json!({"result_id": result.id, "description": result.description});
        Ok(Change::with_changes(plan.clone(), changes))
    })
    .await?;
    Ok((view, result_id))
}

/// The result `id` of `plan`, read on the write's transaction.
async fn result_of(tx: &mut AsyncPgConnection, plan: &PlanRow, id: Uuid) -> Result<ResultRow, ApiError> {
    plan_rows::get_result(tx, id).await?.filter(|r| r.plan_id == plan.id).ok_or(ApiError::NotFound("result"))
}

pub async fn update_result(
    caller: &Caller,
    state: &AppState,
    (plan_id, result_id): (Uuid, Uuid),
    if_match: &IfMatch,
    patch: ResultPatch,
) -> Result<PlanView, ApiError> {
    let visible = visible_plan(state, caller, plan_id).await?;
    let view = edit_plan(state, caller, if_match, &visible, "update_result", async |tx, plan| {
        let current = result_of(tx, plan, result_id).await?;
        ensure_editor(caller, plan)?;
        let (body, replaces_indicators) = patch.merged_onto(&current, &plan_rows::indicators_of(tx, current.id).await?);
        check_result(tx, plan, &body).await?;
        let next = ResultRow {
            kind: Coded(body.kind),
            description: body.description.trim().to_owned(),
            parent_result_id: body.parent_result_id,
            perspective: body.perspective.map(Coded),
            updated_at: Utc::now(),
            ..current.clone()
        };
        let indicators = replaces_indicators.then(|| indicator_rows(plan, next.id, &body.indicators));
        plan_rows::update_result(tx, &next, indicators.as_deref()).await?;
        let changes = serde_json::json!({"result_id": next.id, "description": {"old": current.description, "new": next.description}});
        Ok(Change::with_changes(plan.clone(), changes))
    })
    .await?;
    Ok(view)
}

pub async fn delete_result(
    caller: &Caller,
    state: &AppState,
    (plan_id, result_id): (Uuid, Uuid),
    if_match: &IfMatch,
) -> Result<(), ApiError> {
    let visible = visible_plan(state, caller, plan_id).await?;
    write::update(state, caller, if_match, visible.id, "delete_result", async |tx, plan: &PlanRow| {
        let result = result_of(tx, plan, result_id).await?;
        ensure_editor(caller, plan)?;
        if plan_rows::result_has_children(tx, result.id).await? {
            return Err(ApiError::Conflict {
                code: ProblemCode::ResultHasCascades,
                detail: "results in other plans are cascaded from this one; detach them first".into(),
            });
        }
        plan_rows::delete_result(tx, &result).await?;
        let changes = serde_json::json!({"result_id": result.id, "description": result.description});
        Ok(Change::with_changes(plan.clone(), changes))
    })
    .await?;
    Ok(())
}

pub async fn replace_expectations(
    caller: &Caller,
    state: &AppState,
    plan_id: Uuid,
    if_match: &IfMatch,
    body: Vec<Expectation>,
) -> Result<PlanView, ApiError> {
    let visible = visible_plan(state, caller, plan_id).await?;
    ensure_leader(caller, &visible)?;
    let mut errors = Vec::new();
    for (i, e) in body.iter().enumerate() {
        if body[..i].iter().any(|earlier| earlier.value == e.value) {
            errors.push(FieldError::new(format!("[{i}].value"), "duplicate", "each value at most once"));
        }
        if e.expectation.as_deref().is_some_and(|t| t.chars().count() > 2000) {
            errors.push(FieldError::new(format!("[{i}].expectation"), "too_long", "at most 2000 characters"));
        }
    }
    reject(errors)?;
    let rows: Vec<ExpectationRow> = BerAkhlak::ALL
        .iter()
        .map(|v| ExpectationRow {
            agency_id: visible.agency_id,
            plan_id: visible.id,
            value: Coded(*v),
            expectation: body
                .iter()
                .find(|e| e.value == *v)
                .and_then(|e| e.expectation.clone())
                .filter(|t| !t.trim().is_empty()),
        })
        .collect();
    let view = edit_plan(state, caller, if_match, &visible, "set_expectations", async |tx, plan| {
        ensure_leader(caller, plan)?;
        plan_rows::replace_expectations(tx, plan, &rows).await?;
        Ok(Change::with_changes(plan.clone(), serde_json::to_value(&body).unwrap_or_default()))
    })
    .await?;
    Ok(view)
}

pub async fn replace_annex(
    caller: &Caller,
    state: &AppState,
    plan_id: Uuid,
    if_match: &IfMatch,
    body: Annex,
) -> Result<PlanView, ApiError> {
    let annex = body;
    let visible = visible_plan(state, caller, plan_id).await?;
    ensure_editor(caller, &visible)?;
    let too_long: Vec<FieldError> = [
        ("resources", &annex.resources),
        ("accountability", &annex.accountability),
        ("consequences", &annex.consequences),
    ]
    .into_iter()
    .filter(|(_, text)| text.as_deref().is_some_and(|t| t.chars().count() > 4000))
    .map(|(field, _)| FieldError::new(field, "too_long", "at most 4000 characters"))
    .collect();
    reject(too_long)?;
    let annex = serde_json::to_value(&annex).map_err(ApiError::internal)?;
    let view = edit_plan(state, caller, if_match, &visible, "set_annex", async |_, plan| {
        ensure_editor(caller, plan)?;
        Ok(Change::row(PlanRow { annex, ..plan.clone() }))
    })
    .await?;
    Ok(view)
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"rater_id": "0193a0c2-0000-7000-8000-00000000e003", "reason": "Plt. Kepala Dinas sejak 1 Maret 2026 (SK Bupati No. 821/45/2026)"}))]
pub struct RaterOverride {
    /// The acting rating official (Plt/Plh), or the new one after a transfer.
    rater_id: Uuid,
    /// The rating official's supervisor (atasan pejabat penilai), who decides objections; by
    /// default the rating official's supervisor in the registry. Name one when that link is
    /// missing or does not apply.
    #[serde(default)]
    rater_supervisor_id: Option<Uuid>,
    #[schema(example = "Plt. Kepala Bidang selama Kabid cuti", min_length = 1)]
    reason: String,
}

pub async fn override_rater(
    caller: &Caller,
    state: &AppState,
    plan_id: Uuid,
    if_match: &IfMatch,
    body: RaterOverride,
) -> Result<PlanView, ApiError> {
    let visible = visible_plan(state, caller, plan_id).await?;
    if !caller.actor.may_on_registry(RegistryAction::Write, visible.agency_id) {
        return Err(ApiError::Forbidden("only an agency admin names another rating official"));
    }
    let reason = body.reason.trim().to_owned();
    if reason.is_empty() || reason.chars().count() > 2000 {
        return Err(ApiError::validation("reason", "invalid_length", "say why, in 1 to 2000 characters"));
    }
    let view = edit_plan(state, caller, if_match, &visible, "override_rater", async |tx, plan| {
        let in_agency = |e: &EmployeeRow| e.agency_id == plan.agency_id;
        let rater = org_rows::get_employee(tx, Some(plan.agency_id), body.rater_id)
            .await?
            .filter(in_agency)
            .ok_or_else(|| ApiError::validation("rater_id", "not_found", "no employee with that id in this agency"))?;
        let rater_supervisor = match body.rater_supervisor_id {
            Some(id) => Some(
                org_rows::get_employee(tx, Some(plan.agency_id), id)
                    .await?
                    .filter(in_agency)
                    .map(|s| s.id)
                    .ok_or_else(|| {
                        ApiError::validation(
                            "rater_supervisor_id",
                            "not_found",
                            "no employee with that id in this agency",
                        )
                    })?,
            ),
            None => rater.supervisor_id,
        };
        check_deciders(&plan.employee_id, Some(&rater.id), rater_supervisor.as_ref())?;
        Ok(Change::row(PlanRow {
            rater_id: Some(rater.id),
            rater_supervisor_id: rater_supervisor,
            rater_override_reason: Some(reason),
            ..plan.clone()
        }))
    })
    .await?;
    Ok(view)
}
