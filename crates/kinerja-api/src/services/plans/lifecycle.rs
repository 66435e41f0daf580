//! A plan's life: created as a draft from the period and the employee's chain, read, listed, moved
//! through the workflow, revised.

use crate::context::access::{party, visible, visible_plan};
use crate::context::caller::Caller;
use crate::context::write::{self, Change, IfMatch};
use crate::http::error::ApiError;
use crate::http::error::ProblemCode;
use crate::http::pagination::{Page, PageParams};
use crate::services::plan_contents::{created_event, default_expectations, draft_plan};
use crate::state::AppState;
use chrono::{DateTime, Utc};
use kinerja_domain::objection::check_deciders;
use kinerja_domain::skp::Approach;
use kinerja_domain::workflow::{transition, PlanAction, PlanParty, PlanStatus};
use kinerja_domain::RegistryAction;
use kinerja_store::coded::Coded;
use kinerja_store::org_rows::{self};
use kinerja_store::plan_rows::PeriodRow;
use kinerja_store::plan_rows::{self, PlanFilter, PlanRow};
use kinerja_store::{audit_rows, AsyncConnection};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::services::plans::{edit_plan, load_view, visible_view, PlanView};

// ---- create, read, list ----

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"employee_id": "0193a0c2-0000-7000-8000-00000000e001", "period_id": "0193a0c2-0000-7000-8000-00000000d001", "approach": "kuantitatif"}))]
pub struct CreatePlan {
    employee_id: Uuid,
    period_id: Uuid,
    approach: Approach,
    /// Admins only: a rating official other than the supervisor (acting official, transfer).
    #[serde(default)]
    rater_id: Option<Uuid>,
    /// Required with `rater_id`.
    #[serde(default)]
    rater_override_reason: Option<String>,
}

pub async fn create(caller: &Caller, state: &AppState, body: CreatePlan) -> Result<PlanView, ApiError> {
    let period = visible::<PeriodRow>(state, caller, body.period_id)
        .await
        .map_err(|_| ApiError::validation("period_id", "not_found", "no such period visible to you"))?;
    let mut conn = state.db.conn().await?;
    let employee = org_rows::get_employee(&mut conn, Some(period.agency_id), body.employee_id)
        .await?
        .filter(|e| e.agency_id == period.agency_id)
        .ok_or_else(|| ApiError::validation("employee_id", "not_found", "no such employee in the period's agency"))?;
    let admin = caller.actor.may_on_registry(RegistryAction::Write, employee.agency_id);
    if !admin && caller.employee_id() != Some(employee.id) {
        return Err(ApiError::Forbidden("a plan is started by the employee or an admin"));
    }
    let rater_id = match (body.rater_id, body.rater_override_reason.as_deref().map(str::trim)) {
        (Some(_), _) if !admin => return Err(ApiError::Forbidden("only an admin names another rating official")),
        (Some(_), None | Some("")) => {
            return Err(ApiError::validation(
                "rater_override_reason",
                "required",
                "say why the rating official differs",
            ))
        }
        (Some(rater), Some(_)) => {
            if !org_rows::employee_in_agency(&mut conn, rater, employee.agency_id).await? {
                return Err(ApiError::validation("rater_id", "not_found", "no employee with that id in this agency"));
            }
            Some(rater)
        }
        (None, Some(_)) => return Err(ApiError::validation("rater_override_reason", "not_used", "only with rater_id")),
        (None, None) => employee.supervisor_id,
    };
    let rater_supervisor_id = match rater_id {
        Some(rater) => {
            org_rows::get_employee(&mut conn, Some(employee.agency_id), rater).await?.and_then(|r| r.supervisor_id)
        }
        None => None,
    };
    check_deciders(&employee.id, rater_id.as_ref(), rater_supervisor_id.as_ref())?;
    let mut row = draft_plan(employee.agency_id, employee.id, period.id, body.approach, rater_id, rater_supervisor_id);
    row.rater_override_reason = body.rater_id.and(body.rater_override_reason);
    let view = conn
        .transaction::<_, ApiError, _>(async |tx| {
            // Holds the period open, with its dates and rule set, while its plans start.
            write::open_period(tx, period.agency_id, period.id).await?;
            let plan = plan_rows::insert_plan(tx, &row).await.map_err(|e| match e {
                kinerja_store::StoreError::Duplicate(_) => ApiError::Conflict {
                    code: ProblemCode::DuplicatePlan,
                    detail: "the employee already has a plan for this period".into(),
                },
                other => other.into(),
            })?;
            plan_rows::replace_expectations(tx, &plan, &default_expectations(plan.agency_id, plan.id)).await?;
            audit_rows::record(tx, created_event(&caller.audit_actor(), &plan)).await?;
            load_view(tx, plan.agency_id, plan.id).await
        })
        .await?;
    Ok(view)
}

pub async fn read(caller: &Caller, state: &AppState, plan_id: Uuid) -> Result<PlanView, ApiError> {
    let mut conn = state.db.conn().await?;
    visible_view(&mut conn, caller, plan_id).await
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PlanQuery {
    employee_id: Option<Uuid>,
    period_id: Option<Uuid>,
    rater_id: Option<Uuid>,
    /// Only plans in this status.
    #[param(inline)]
    status: Option<PlanStatus>,
    /// Include earlier, superseded revisions.
    #[serde(default)]
    all_revisions: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PlanSummary {
    id: Uuid,
    employee_id: Uuid,
    period_id: Uuid,
    revision: i32,
    status: PlanStatus,
    rater_id: Option<Uuid>,
    superseded_by: Option<Uuid>,
    updated_at: DateTime<Utc>,
}

pub async fn list(
    caller: &Caller,
    state: &AppState,
    query: PlanQuery,
    page: PageParams,
) -> Result<Page<PlanSummary>, ApiError> {
    let request = page.parse()?;
    let mut filter = PlanFilter {
        employee_id: query.employee_id,
        period_id: query.period_id,
        rater_id: query.rater_id,
        status: query.status,
        all_revisions: query.all_revisions,
        ..PlanFilter::default()
    };
    let mut conn = state.read_conn(caller.reads_from).await?;
    if !caller.reads_every_agency() {
        let own = caller.agency_id().ok_or(ApiError::Forbidden("you belong to no agency"))?;
        filter.agency_id = Some(own);
        if !caller.actor.may_on_registry(RegistryAction::ReadPeople, own) {
            let me = caller.employee_id().ok_or(ApiError::Forbidden("your role does not allow listing plans"))?;
            // A rating official (or whoever stands in for them) lists the plans they rate.
            if !caller.is_or_acts_for(filter.rater_id) {
                filter.within_subtree_of = Some(me);
            }
        }
    }
    let rows = plan_rows::list_plans(&mut conn, &filter, request.after, request.fetch()).await?;
    Ok(Page::from_rows(
        rows,
        request,
        |p| p.id,
        |p| PlanSummary {
            id: p.id,
            employee_id: p.employee_id,
            period_id: p.period_id,
            revision: p.revision,
            status: p.status.0,
            rater_id: p.rater_id,
            superseded_by: p.superseded_by,
            updated_at: p.updated_at,
        },
    ))
}

// ---- workflow ----

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"reason": "Indikator hasil kerja kedua belum terukur; mohon tambahkan target angka."}))]
pub struct ReturnRequest {
    #[schema(example = "Indikator kedua belum terukur; mohon tambahkan target kuantitatif.", min_length = 1)]
    pub reason: String,
}

/// Moves a plan one step through its workflow (submit, approve, return), as the caller's party
/// to it may.
pub async fn move_plan(
    caller: &Caller,
    state: &AppState,
    if_match: &IfMatch,
    id: Uuid,
    action: PlanAction,
    reason: Option<String>,
) -> Result<PlanView, ApiError> {
    let visible = visible_plan(state, caller, id).await?;
    let name = match action {
        PlanAction::Submit => "submit",
        PlanAction::Approve => "approve",
        PlanAction::Return => "return",
        PlanAction::Rate => "final_rating",
    };
    edit_plan(state, caller, if_match, &visible, name, async |tx, plan| {
        let next_status = transition(plan.status.0, action, party(caller, plan))?;
        // A plan is agreed on its work results: one with none has nothing to agree on. The plan
        // is locked, so a result deleted meanwhile cannot slip past this count.
        if action == PlanAction::Submit && plan_rows::result_count(tx, plan.id).await? == 0 {
            return Err(ApiError::Conflict {
                code: ProblemCode::EmptyPlan,
                detail: "the plan has no work result (RHK); add one before submitting".into(),
            });
        }
        let return_reason = if action == PlanAction::Return { reason } else { None };
        Ok(Change::row(PlanRow { status: Coded(next_status), return_reason, ..plan.clone() }))
    })
    .await
}

pub async fn revise(
    caller: &Caller,
    state: &AppState,
    plan_id: Uuid,
    if_match: &IfMatch,
) -> Result<PlanView, ApiError> {
    let visible = visible_plan(state, caller, plan_id).await?;
    let mut conn = state.db.conn().await?;
    let old = write::update_on(&mut conn, &caller.audit_actor(), if_match, visible.id, "revise", async |tx, plan| {
        let is_party = party(caller, plan) != PlanParty::Other;
        if !is_party && !caller.actor.may_on_registry(RegistryAction::Write, plan.agency_id) {
            return Err(ApiError::Forbidden("only the employee, the rating official or an admin revises a plan"));
        }
        if plan.status.0 != PlanStatus::Approved || plan.superseded_by.is_some() {
            return Err(ApiError::Conflict {
                code: ProblemCode::InvalidTransition,
                detail: "only the current approved plan gets a new revision; a draft is edited directly".into(),
            });
        }
        write::open_period(tx, plan.agency_id, plan.period_id).await?;
        let whole =
            plan_rows::whole_plan(tx, Some(plan.agency_id), plan.id).await?.ok_or(ApiError::NotFound("plan"))?;
        let now = Utc::now();
        let new_id = Uuid::now_v7();
        // One current plan per employee and period: the old revision steps aside (pointing at
        // itself for a moment) before the new one exists, then points at it.
        plan_rows::update_plan(tx, &PlanRow { superseded_by: Some(plan.id), ..plan.clone() }).await?;
        let revision = PlanRow {
            id: new_id,
            revision: plan.revision + 1,
            status: Coded(PlanStatus::Draft),
            return_reason: None,
            superseded_by: None,
            created_at: now,
            updated_at: now,
            ..plan.clone()
        };
        plan_rows::insert_plan(tx, &revision).await?;
        // The results cascaded from this plan's follow them to the new revision.
        let repointed = plan_rows::copy_contents(tx, &whole, new_id).await?;
        let changes = serde_json::json!({"superseded_by": {"old": null, "new": new_id},
                                         "revision": plan.revision + 1, "cascaded_results_moved": repointed});
        Ok(Change::with_changes(PlanRow { superseded_by: Some(new_id), ..plan.clone() }, changes))
    })
    .await?;
    let new_id = old.superseded_by.ok_or_else(|| ApiError::internal("a revised plan names its revision"))?;
    let view = load_view(&mut conn, old.agency_id, new_id).await?;
    Ok(view)
}
