//! Performance plans (SKP): results cascaded from the rating official's, indicators, the
//! BerAKHLAK behaviour expectations, and the draft → submitted → approved workflow.

use actix_web::http::StatusCode;
use actix_web::{delete, get, patch, post, put, web, HttpResponse};
use chrono::{DateTime, Utc};
use kinerja_domain::audit::AuditEntity;
use kinerja_domain::civil_service::PositionKind;
use kinerja_domain::limits::MAX_RESULTS_PER_PLAN;
use kinerja_domain::objection::{check_deciders, OwnCase};
use kinerja_domain::rule_sets::Aspect;
use kinerja_domain::skp::{Approach, BerAkhlak, Perspective, ResultKind};
use kinerja_domain::workflow::{transition, PlanAction, PlanParty, PlanStatus};
use kinerja_domain::RegistryAction;
use kinerja_store::org::{self, EmployeeRow};
use kinerja_store::plans::{self, ExpectationRow, IndicatorRow, PlanFilter, PlanRow, ResultRow, WholePlan};
use kinerja_store::{audit, AsyncConnection, AsyncPgConnection};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::access::{party, visible, visible_plan};
use crate::auth::Caller;
use crate::checks::reject;
use crate::error::responses::{Conflict, Forbidden, Invalid, NotFound, Stale, Unauthenticated};
use crate::error::{ApiError, FieldError};
use crate::pagination::{Page, PageParams};
use crate::plan_contents::{
    created_event, default_expectations, draft_plan, result_errors, status_of, IndicatorInput, ResultInput,
};
use crate::write::{self, record, Change, IfMatch};
use crate::write::{created, with_etag};
use crate::AppState;
use kinerja_store::plans::PeriodRow;

// ---- views ----

/// A person as a plan shows them.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PersonView {
    id: Uuid,
    nip: String,
    name: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct IndicatorView {
    id: Uuid,
    #[schema(example = "Persentase sekolah yang terakreditasi")]
    description: String,
    aspect: Aspect,
    #[schema(example = 90)]
    target_value: Option<f64>,
    #[schema(example = "persen")]
    target_unit: Option<String>,
    target_text: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ResultView {
    id: Uuid,
    kind: ResultKind,
    #[schema(example = "Meningkatnya mutu layanan pendidikan dasar")]
    description: String,
    /// The rating official's result this one is cascaded from.
    parent_result_id: Option<Uuid>,
    perspective: Option<Perspective>,
    indicators: Vec<IndicatorView>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Expectation {
    value: BerAkhlak,
    /// The rating official's specific expectation (ekspektasi khusus pimpinan), if any.
    #[serde(default)]
    expectation: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PlanView {
    id: Uuid,
    agency_id: Uuid,
    employee_id: Uuid,
    period_id: Uuid,
    /// 1 for the first plan; a changed approved plan becomes a new revision.
    revision: i32,
    approach: Approach,
    status: PlanStatus,
    rater: Option<PersonView>,
    rater_supervisor: Option<PersonView>,
    /// Why an admin named a rating official other than the supervisor (acting official, transfer).
    rater_override_reason: Option<String>,
    /// Why the rating official returned the plan, when it was returned.
    return_reason: Option<String>,
    /// The later revision that replaces this one.
    superseded_by: Option<Uuid>,
    results: Vec<ResultView>,
    behaviour_expectations: Vec<Expectation>,
    /// Resources, accountability scheme and consequences (lampiran).
    #[schema(value_type = Annex)]
    annex: serde_json::Value,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

fn person(e: &EmployeeRow) -> PersonView {
    PersonView { id: e.id, nip: e.nip.clone(), name: e.name.clone() }
}

fn indicator_view(i: &IndicatorRow) -> IndicatorView {
    IndicatorView {
        id: i.id,
        description: i.description.clone(),
        aspect: Aspect::parse(&i.aspect).unwrap_or(Aspect::Kuantitas),
        target_value: i.target_value,
        target_unit: i.target_unit.clone(),
        target_text: i.target_text.clone(),
    }
}

/// The whole plan as the API shows it; `people` holds the rater and their supervisor.
fn plan_view(whole: &WholePlan, people: &[EmployeeRow]) -> PlanView {
    let p = &whole.plan;
    let find = |id: Option<Uuid>| id.and_then(|id| people.iter().find(|e| e.id == id)).map(person);
    let results = whole
        .results
        .iter()
        .map(|r| ResultView {
            id: r.id,
            kind: ResultKind::parse(&r.kind).unwrap_or(ResultKind::Utama),
            description: r.description.clone(),
            parent_result_id: r.parent_result_id,
            perspective: r.perspective.as_deref().and_then(Perspective::parse),
            indicators: whole.indicators.iter().filter(|i| i.result_id == r.id).map(indicator_view).collect(),
        })
        .collect();
    let behaviour_expectations = BerAkhlak::ALL
        .iter()
        .map(|value| Expectation {
            value: *value,
            expectation: whole
                .expectations
                .iter()
                .find(|e| e.value == value.as_str())
                .and_then(|e| e.expectation.clone()),
        })
        .collect();
    PlanView {
        id: p.id,
        agency_id: p.agency_id,
        employee_id: p.employee_id,
        period_id: p.period_id,
        revision: p.revision,
        approach: Approach::parse(&p.approach).unwrap_or(Approach::Kuantitatif),
        status: status_of(p),
        rater: find(p.rater_id),
        rater_supervisor: find(p.rater_supervisor_id),
        rater_override_reason: p.rater_override_reason.clone(),
        return_reason: p.return_reason.clone(),
        superseded_by: p.superseded_by,
        results,
        behaviour_expectations,
        annex: p.annex.clone(),
        created_at: p.created_at,
        updated_at: p.updated_at,
    }
}

/// Reads the whole plan and the people it names: five queries, whatever the plan's size.
async fn load_view(conn: &mut AsyncPgConnection, id: Uuid) -> Result<PlanView, ApiError> {
    let whole = plans::whole_plan(conn, id).await?.ok_or(ApiError::NotFound("plan"))?;
    let ids: Vec<Uuid> = [whole.plan.rater_id, whole.plan.rater_supervisor_id].into_iter().flatten().collect();
    let people = org::employees_by_ids(conn, &ids).await?;
    Ok(plan_view(&whole, &people))
}

fn respond(status: StatusCode, view: &PlanView) -> HttpResponse {
    with_etag(status, view.updated_at, view)
}

/// `201 Created` with the plan's `Location` and `ETag`.
fn respond_created(view: &PlanView) -> HttpResponse {
    created(format!("/api/v1/performance-plans/{}", view.id), view.updated_at, view)
}

// ---- who may do what ----

/// The employee, their rating official, or an agency admin may edit a draft.
fn ensure_editor(caller: &Caller, plan: &PlanRow) -> Result<(), ApiError> {
    let is_party = party(caller, plan) != PlanParty::Other;
    if !is_party && !caller.actor.may_on_registry(RegistryAction::Write, plan.agency_id) {
        return Err(ApiError::Forbidden("only the employee, the rating official or an admin edits a plan"));
    }
    ensure_editable(plan)
}

/// The specific expectations of the leader (ekspektasi khusus pimpinan, PermenPANRB 6/2022) are
/// set by the leader: the rating official, or an agency admin; not the employee.
fn ensure_leader(caller: &Caller, plan: &PlanRow) -> Result<(), ApiError> {
    if party(caller, plan) != PlanParty::Rater && !caller.actor.may_on_registry(RegistryAction::Write, plan.agency_id) {
        return Err(ApiError::Forbidden("the rating official (or an agency admin) sets the leader's expectations"));
    }
    ensure_editable(plan)
}

fn ensure_editable(plan: &PlanRow) -> Result<(), ApiError> {
    if !status_of(plan).is_editable() {
        return Err(ApiError::Conflict {
            code: "invalid_transition",
            detail: format!("a {} plan cannot be edited; start a new revision", plan.status),
        });
    }
    Ok(())
}

/// What the audit trail records of a plan's header.
#[derive(Debug, Serialize)]
pub struct PlanAudit {
    status: String,
    rater_id: Option<Uuid>,
    rater_supervisor_id: Option<Uuid>,
    return_reason: Option<String>,
    superseded_by: Option<Uuid>,
    annex: serde_json::Value,
}

impl From<&PlanRow> for PlanAudit {
    fn from(p: &PlanRow) -> Self {
        PlanAudit {
            status: p.status.clone(),
            rater_id: p.rater_id,
            rater_supervisor_id: p.rater_supervisor_id,
            return_reason: p.return_reason.clone(),
            superseded_by: p.superseded_by,
            annex: p.annex.clone(),
        }
    }
}

// A plan's header carries the version of the whole plan: every change to it or to what it holds
// (results, indicators, expectations, annex, rater, status) locks it and gives it a new ETag.
record!(PlanRow, AuditEntity::Plan, audited: PlanAudit, agency: |p| Some(p.agency_id),
        lock: plans::lock_plan, save: plans::update_plan);

/// A change to a plan or to what it holds, made through the audited write on the locked plan;
/// answers with the whole plan as it then is.
async fn edit_plan(
    state: &AppState,
    caller: &Caller,
    if_match: &IfMatch,
    id: Uuid,
    action: &'static str,
    status: StatusCode,
    change: impl AsyncFnOnce(&mut AsyncPgConnection, &PlanRow) -> Result<Change<PlanRow>, ApiError>,
) -> Result<HttpResponse, ApiError> {
    let mut conn = state.db.conn().await?;
    write::update_on(&mut conn, &caller.audit_actor(), if_match, id, action, change).await?;
    Ok(respond(status, &load_view(&mut conn, id).await?))
}

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

/// Start a performance plan.
///
/// Start an employee's plan for a period. The rating official and their supervisor are taken
/// from the supervisor links now, unless an admin names another official with a reason.
#[utoipa::path(
    tag = "performance",
    security(("bearer" = [])),
    request_body = CreatePlan,
    responses(
        (status = 201, description = "Created", body = PlanView, headers(("Location" = String), ("ETag" = String))),
        Unauthenticated, Forbidden, NotFound, Conflict, Invalid,
    )
)]
#[post("/performance-plans")]
pub(super) async fn create_plan(
    caller: Caller,
    state: web::Data<AppState>,
    body: web::Json<CreatePlan>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let period = visible::<PeriodRow>(&state, &caller, body.period_id)
        .await
        .map_err(|_| ApiError::validation("period_id", "not_found", "no such period visible to you"))?;
    let mut conn = state.db.conn().await?;
    let employee = org::get_employee(&mut conn, body.employee_id)
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
            if !org::employee_in_agency(&mut conn, rater, employee.agency_id).await? {
                return Err(ApiError::validation("rater_id", "not_found", "no employee with that id in this agency"));
            }
            Some(rater)
        }
        (None, Some(_)) => return Err(ApiError::validation("rater_override_reason", "not_used", "only with rater_id")),
        (None, None) => employee.supervisor_id,
    };
    let rater_supervisor_id = match rater_id {
        Some(rater) => org::get_employee(&mut conn, rater).await?.and_then(|r| r.supervisor_id),
        None => None,
    };
    check_deciders(&employee.id, rater_id.as_ref(), rater_supervisor_id.as_ref()).map_err(own_case)?;
    let mut row = draft_plan(employee.agency_id, employee.id, period.id, body.approach, rater_id, rater_supervisor_id);
    row.rater_override_reason = body.rater_id.and(body.rater_override_reason);
    let view = conn
        .transaction::<_, ApiError, _>(async |tx| {
            // Holds the period's dates and rule set while its first plans start.
            plans::lock_period(tx, period.id).await?;
            let plan = plans::insert_plan(tx, &row).await.map_err(|e| match e {
                kinerja_store::StoreError::Duplicate(_) => ApiError::Conflict {
                    code: "duplicate_plan",
                    detail: "the employee already has a plan for this period".into(),
                },
                other => other.into(),
            })?;
            plans::replace_expectations(tx, plan.id, &default_expectations(plan.id)).await?;
            audit::record(tx, created_event(&caller.audit_actor(), &plan)).await?;
            load_view(tx, plan.id).await
        })
        .await?;
    Ok(respond_created(&view))
}

/// Read a whole performance plan.
///
/// Read a whole plan: results with their indicators, behaviour expectations, annex, the rating
/// official and their supervisor.
#[utoipa::path(
    tag = "performance",
    security(("bearer" = [])),
    params(("plan_id" = Uuid, Path)),
    responses((status = 200, description = "The plan", body = PlanView, headers(("ETag" = String))), Unauthenticated, NotFound)
)]
#[get("/performance-plans/{plan_id}")]
pub(super) async fn get_plan(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let plan = visible_plan(&state, &caller, path.into_inner()).await?;
    let mut conn = state.db.conn().await?;
    Ok(respond(StatusCode::OK, &load_view(&mut conn, plan.id).await?))
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

/// List performance plans.
///
/// List plans: all of an agency for its readers; an employee's own, those they rate, and those
/// of everyone below them.
#[utoipa::path(
    tag = "performance",
    security(("bearer" = [])),
    params(PlanQuery, PageParams),
    responses((status = 200, description = "A page of plans", body = Page<PlanSummary>), Unauthenticated, Forbidden, Invalid)
)]
#[get("/performance-plans")]
pub(super) async fn list_plans(
    caller: Caller,
    state: web::Data<AppState>,
    query: web::Query<PlanQuery>,
    page: web::Query<PageParams>,
) -> Result<web::Json<Page<PlanSummary>>, ApiError> {
    let request = page.parse()?;
    let query = query.into_inner();
    let mut filter = PlanFilter {
        employee_id: query.employee_id,
        period_id: query.period_id,
        rater_id: query.rater_id,
        status: query.status.map(|s| s.as_str().to_owned()),
        all_revisions: query.all_revisions,
        ..PlanFilter::default()
    };
    let mut conn = state.db.conn().await?;
    if !caller.is_super_admin() {
        let own = caller.agency_id().ok_or(ApiError::Forbidden("you belong to no agency"))?;
        filter.agency_id = Some(own);
        if !caller.actor.may_on_registry(RegistryAction::ReadPeople, own) {
            let me = caller.employee_id().ok_or(ApiError::Forbidden("your role does not allow listing plans"))?;
            if filter.rater_id != Some(me) {
                filter.within_subtree_of = Some(me);
            }
        }
    }
    let rows = plans::list_plans(&mut conn, &filter, request.after, request.fetch()).await?;
    Ok(web::Json(Page::from_rows(
        rows,
        request,
        |p| p.id,
        |p| PlanSummary {
            id: p.id,
            employee_id: p.employee_id,
            period_id: p.period_id,
            revision: p.revision,
            status: status_of(&p),
            rater_id: p.rater_id,
            superseded_by: p.superseded_by,
            updated_at: p.updated_at,
        },
    )))
}

// ---- results and indicators ----

/// Checks a result against its plan: text, targets by approach, perspective by position kind,
/// and that its parent is a result of the rating official's current plan for the period.
async fn check_result(tx: &mut AsyncPgConnection, plan: &PlanRow, input: &ResultInput) -> Result<(), ApiError> {
    let employee = org::get_employee(tx, plan.employee_id).await?;
    let position = match employee.and_then(|e| e.position_id) {
        Some(p) => org::get_position(tx, p).await?,
        None => None,
    };
    let jpt = position.and_then(|p| PositionKind::parse(&p.kind)).is_some_and(PositionKind::is_jpt);
    let quantitative = plan.approach == Approach::Kuantitatif.as_str();
    let mut errors = result_errors(quantitative, jpt, input);
    if let Some(parent) = input.parent_result_id {
        let parent_plan = match plans::get_result(tx, parent).await? {
            Some(r) => plans::get_plan(tx, r.plan_id).await?,
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

pub(super) const INVALID_PARENT_RESULT: &str = "must be a result in the rating official's plan for the same period";

fn indicator_rows(plan_id: Uuid, result_id: Uuid, input: &[IndicatorInput]) -> Vec<IndicatorRow> {
    input
        .iter()
        .map(|i| IndicatorRow {
            id: Uuid::now_v7(),
            result_id,
            plan_id,
            description: i.description.trim().to_owned(),
            aspect: i.aspect.as_str().to_owned(),
            target_value: i.target_value,
            target_unit: i.target_unit.clone(),
            target_text: i.target_text.clone(),
        })
        .collect()
}

/// Add a result (RHK) with its indicators to a draft plan.
#[utoipa::path(
    tag = "performance",
    security(("bearer" = [])),
    params(("plan_id" = Uuid, Path), ("If-Match" = Option<String>, Header, description = "The plan's ETag")),
    request_body = ResultInput,
    responses(
        (status = 201, description = "The plan with the new result", body = PlanView, headers(("ETag" = String))),
        Unauthenticated, Forbidden, NotFound, Conflict, Stale, Invalid,
    )
)]
#[post("/performance-plans/{plan_id}/results")]
pub(super) async fn add_result(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<Uuid>,
    if_match: IfMatch,
    body: web::Json<ResultInput>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let visible = visible_plan(&state, &caller, path.into_inner()).await?;
    edit_plan(&state, &caller, &if_match, visible.id, "add_result", StatusCode::CREATED, async |tx, plan| {
        ensure_editor(&caller, plan)?;
        if plans::result_count(tx, plan.id).await? >= MAX_RESULTS_PER_PLAN {
            let message = format!("a plan holds at most {MAX_RESULTS_PER_PLAN} results");
            return Err(ApiError::validation("", "too_many", message));
        }
        check_result(tx, plan, &body).await?;
        let now = Utc::now();
        let result = ResultRow {
            id: Uuid::now_v7(),
            plan_id: plan.id,
            kind: body.kind.as_str().to_owned(),
            description: body.description.trim().to_owned(),
            parent_result_id: body.parent_result_id,
            perspective: body.perspective.map(|p| p.as_str().to_owned()),
            created_at: now,
            updated_at: now,
        };
        plans::insert_result(tx, &result, &indicator_rows(plan.id, result.id, &body.indicators)).await?;
        let changes = serde_json::json!({"result_id": result.id, "description": result.description});
        Ok(Change::with_changes(plan.clone(), changes))
    })
    .await
}

/// The result `id` of `plan`, read on the write's transaction.
async fn result_of(tx: &mut AsyncPgConnection, plan: &PlanRow, id: Uuid) -> Result<ResultRow, ApiError> {
    plans::get_result(tx, id).await?.filter(|r| r.plan_id == plan.id).ok_or(ApiError::NotFound("result"))
}

/// Replace a result of a draft plan (its indicators too).
#[utoipa::path(
    tag = "performance",
    security(("bearer" = [])),
    params(("plan_id" = Uuid, Path), ("result_id" = Uuid, Path), ("If-Match" = Option<String>, Header, description = "The plan's ETag")),
    request_body = ResultInput,
    responses(
        (status = 200, description = "The plan", body = PlanView, headers(("ETag" = String))),
        Unauthenticated, Forbidden, NotFound, Conflict, Stale, Invalid,
    )
)]
#[patch("/performance-plans/{plan_id}/results/{result_id}")]
pub(super) async fn update_result(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<(Uuid, Uuid)>,
    if_match: IfMatch,
    body: web::Json<ResultInput>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let (plan_id, result_id) = path.into_inner();
    let visible = visible_plan(&state, &caller, plan_id).await?;
    edit_plan(&state, &caller, &if_match, visible.id, "update_result", StatusCode::OK, async |tx, plan| {
        let current = result_of(tx, plan, result_id).await?;
        ensure_editor(&caller, plan)?;
        check_result(tx, plan, &body).await?;
        let next = ResultRow {
            kind: body.kind.as_str().to_owned(),
            description: body.description.trim().to_owned(),
            parent_result_id: body.parent_result_id,
            perspective: body.perspective.map(|p| p.as_str().to_owned()),
            updated_at: Utc::now(),
            ..current.clone()
        };
        plans::update_result(tx, &next, Some(&indicator_rows(plan.id, next.id, &body.indicators))).await?;
        let changes = serde_json::json!({"result_id": next.id, "description": {"old": current.description, "new": next.description}});
        Ok(Change::with_changes(plan.clone(), changes))
    })
    .await
}

/// Remove a result from a draft plan; refused while other results are cascaded from it.
#[utoipa::path(
    tag = "performance",
    security(("bearer" = [])),
    params(("plan_id" = Uuid, Path), ("result_id" = Uuid, Path), ("If-Match" = Option<String>, Header, description = "The plan's ETag")),
    responses((status = 204, description = "Removed"), Unauthenticated, Forbidden, NotFound, Conflict, Stale)
)]
#[delete("/performance-plans/{plan_id}/results/{result_id}")]
pub(super) async fn delete_result(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<(Uuid, Uuid)>,
    if_match: IfMatch,
) -> Result<HttpResponse, ApiError> {
    let (plan_id, result_id) = path.into_inner();
    let visible = visible_plan(&state, &caller, plan_id).await?;
    write::update(&state, &caller, &if_match, visible.id, "delete_result", async |tx, plan: &PlanRow| {
        let result = result_of(tx, plan, result_id).await?;
        ensure_editor(&caller, plan)?;
        if plans::result_has_children(tx, result.id).await? {
            return Err(ApiError::Conflict {
                code: "result_has_cascades",
                detail: "results in other plans are cascaded from this one; detach them first".into(),
            });
        }
        plans::delete_result(tx, result.id).await?;
        let changes = serde_json::json!({"result_id": result.id, "description": result.description});
        Ok(Change::with_changes(plan.clone(), changes))
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Set a plan's BerAKHLAK behaviour expectations.
///
/// Set the behaviour expectations: all seven BerAKHLAK values, each with the rating official's
/// optional specific expectation. Values left out keep no specific expectation.
#[utoipa::path(
    tag = "performance",
    security(("bearer" = [])),
    params(("plan_id" = Uuid, Path), ("If-Match" = Option<String>, Header, description = "The plan's ETag")),
    request_body(content = Vec<Expectation>, example = json!([{"value": "berorientasi_pelayanan", "expectation": "Menanggapi pengaduan orang tua murid paling lambat 2 hari kerja"}, {"value": "akuntabel"}, {"value": "kompeten"}, {"value": "harmonis"}, {"value": "loyal"}, {"value": "adaptif"}, {"value": "kolaboratif", "expectation": "Berbagi data akreditasi dengan bidang lain"}])),
    responses(
        (status = 200, description = "The plan", body = PlanView, headers(("ETag" = String))),
        Unauthenticated, Forbidden, NotFound, Conflict, Stale, Invalid,
    )
)]
#[put("/performance-plans/{plan_id}/behaviour-expectations")]
pub(super) async fn replace_behaviour_expectations(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<Uuid>,
    if_match: IfMatch,
    body: web::Json<Vec<Expectation>>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let visible = visible_plan(&state, &caller, path.into_inner()).await?;
    ensure_leader(&caller, &visible)?;
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
            plan_id: visible.id,
            value: v.as_str().to_owned(),
            expectation: body
                .iter()
                .find(|e| e.value == *v)
                .and_then(|e| e.expectation.clone())
                .filter(|t| !t.trim().is_empty()),
        })
        .collect();
    edit_plan(&state, &caller, &if_match, visible.id, "set_expectations", StatusCode::OK, async |tx, plan| {
        ensure_leader(&caller, plan)?;
        plans::replace_expectations(tx, plan.id, &rows).await?;
        Ok(Change::with_changes(plan.clone(), serde_json::to_value(&body).unwrap_or_default()))
    })
    .await
}

/// The plan's annex (lampiran SKP): resources provided, the accountability scheme and the
/// consequences.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"resources": "Anggaran DPA Dinas Pendidikan 2026; 2 tenaga administrasi", "accountability": "Laporan triwulanan kepada Sekretaris Daerah", "consequences": "Predikat kinerja menjadi dasar pengembangan karier"}))]
pub struct Annex {
    /// Dukungan sumber daya.
    #[serde(default)]
    #[schema(example = "Anggaran DPA Dinas Pendidikan 2026; 2 tenaga administrasi")]
    resources: Option<String>,
    /// Skema pertanggungjawaban.
    #[serde(default)]
    #[schema(example = "Laporan triwulanan kepada Sekretaris Daerah")]
    accountability: Option<String>,
    /// Konsekuensi.
    #[serde(default)]
    #[schema(example = "Predikat kinerja menjadi dasar pengembangan karier")]
    consequences: Option<String>,
}

/// Set the annex of a draft plan.
#[utoipa::path(
    tag = "performance",
    security(("bearer" = [])),
    params(("plan_id" = Uuid, Path), ("If-Match" = Option<String>, Header, description = "The plan's ETag")),
    request_body = Annex,
    responses(
        (status = 200, description = "The plan", body = PlanView, headers(("ETag" = String))),
        Unauthenticated, Forbidden, NotFound, Conflict, Stale, Invalid,
    )
)]
#[put("/performance-plans/{plan_id}/annex")]
pub(super) async fn replace_annex(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<Uuid>,
    if_match: IfMatch,
    body: web::Json<Annex>,
) -> Result<HttpResponse, ApiError> {
    let annex = body.into_inner();
    let visible = visible_plan(&state, &caller, path.into_inner()).await?;
    ensure_editor(&caller, &visible)?;
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
    edit_plan(&state, &caller, &if_match, visible.id, "set_annex", StatusCode::OK, async |_, plan| {
        ensure_editor(&caller, plan)?;
        Ok(Change::row(PlanRow { annex, ..plan.clone() }))
    })
    .await
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

/// Name another rating official for a plan.
///
/// Name another rating official for a plan, with a reason (agency admins): acting officials
/// (Plt/Plh) and transfers mid-period; and, when needed, the official's supervisor who decides
/// objections. Allowed in any status; the change is in the audit trail.
#[utoipa::path(
    tag = "performance",
    security(("bearer" = [])),
    params(("plan_id" = Uuid, Path), ("If-Match" = Option<String>, Header, description = "The plan's ETag")),
    request_body = RaterOverride,
    responses(
        (status = 200, description = "The plan", body = PlanView, headers(("ETag" = String))),
        Unauthenticated, Forbidden, NotFound, Stale, Invalid,
    )
)]
#[put("/performance-plans/{plan_id}/rater")]
pub(super) async fn override_rater(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<Uuid>,
    if_match: IfMatch,
    body: web::Json<RaterOverride>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let visible = visible_plan(&state, &caller, path.into_inner()).await?;
    if !caller.actor.may_on_registry(RegistryAction::Write, visible.agency_id) {
        return Err(ApiError::Forbidden("only an agency admin names another rating official"));
    }
    let reason = body.reason.trim().to_owned();
    if reason.is_empty() || reason.chars().count() > 2000 {
        return Err(ApiError::validation("reason", "invalid_length", "say why, in 1 to 2000 characters"));
    }
    edit_plan(&state, &caller, &if_match, visible.id, "override_rater", StatusCode::OK, async |tx, plan| {
        let in_agency = |e: &EmployeeRow| e.agency_id == plan.agency_id;
        let rater = org::get_employee(tx, body.rater_id)
            .await?
            .filter(in_agency)
            .ok_or_else(|| ApiError::validation("rater_id", "not_found", "no employee with that id in this agency"))?;
        let rater_supervisor = match body.rater_supervisor_id {
            Some(id) => Some(org::get_employee(tx, id).await?.filter(in_agency).map(|s| s.id).ok_or_else(|| {
                ApiError::validation("rater_supervisor_id", "not_found", "no employee with that id in this agency")
            })?),
            None => rater.supervisor_id,
        };
        check_deciders(&plan.employee_id, Some(&rater.id), rater_supervisor.as_ref()).map_err(own_case)?;
        Ok(Change::row(PlanRow {
            rater_id: Some(rater.id),
            rater_supervisor_id: rater_supervisor,
            rater_override_reason: Some(reason),
            ..plan.clone()
        }))
    })
    .await
}

/// A plan naming someone who would judge their own case (422 `own_case`).
pub(super) fn own_case(e: OwnCase) -> ApiError {
    ApiError::validation(e.field(), "own_case", e.to_string())
}

// ---- workflow ----

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"reason": "Indikator hasil kerja kedua belum terukur; mohon tambahkan target angka."}))]
pub struct ReturnRequest {
    #[schema(example = "Indikator kedua belum terukur; mohon tambahkan target kuantitatif.", min_length = 1)]
    reason: String,
}

async fn move_plan(
    caller: &Caller,
    state: &AppState,
    if_match: &IfMatch,
    id: Uuid,
    action: PlanAction,
    reason: Option<String>,
) -> Result<HttpResponse, ApiError> {
    let visible = visible_plan(state, caller, id).await?;
    let name = match action {
        PlanAction::Submit => "submit",
        PlanAction::Approve => "approve",
        PlanAction::Return => "return",
        PlanAction::Rate => "final_rating",
    };
    edit_plan(state, caller, if_match, visible.id, name, StatusCode::OK, async |_, plan| {
        let next_status = transition(status_of(plan), action, party(caller, plan))?;
        let return_reason = if action == PlanAction::Return { reason } else { None };
        Ok(Change::row(PlanRow { status: next_status.as_str().to_owned(), return_reason, ..plan.clone() }))
    })
    .await
}

/// The employee submits their draft to the rating official.
#[utoipa::path(
    tag = "performance",
    security(("bearer" = [])),
    params(("plan_id" = Uuid, Path), ("If-Match" = Option<String>, Header, description = "The plan's ETag")),
    responses((status = 200, description = "Submitted", body = PlanView, headers(("ETag" = String))), Unauthenticated, Forbidden, NotFound, Conflict, Stale)
)]
#[post("/performance-plans/{plan_id}/submit")]
pub(super) async fn submit_plan(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<Uuid>,
    if_match: IfMatch,
) -> Result<HttpResponse, ApiError> {
    move_plan(&caller, &state, &if_match, path.into_inner(), PlanAction::Submit, None).await
}

/// The rating official approves a submitted plan; it is then locked.
#[utoipa::path(
    tag = "performance",
    security(("bearer" = [])),
    params(("plan_id" = Uuid, Path), ("If-Match" = Option<String>, Header, description = "The plan's ETag")),
    responses((status = 200, description = "Approved", body = PlanView, headers(("ETag" = String))), Unauthenticated, Forbidden, NotFound, Conflict, Stale)
)]
#[post("/performance-plans/{plan_id}/approve")]
pub(super) async fn approve_plan(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<Uuid>,
    if_match: IfMatch,
) -> Result<HttpResponse, ApiError> {
    move_plan(&caller, &state, &if_match, path.into_inner(), PlanAction::Approve, None).await
}

/// The rating official returns a submitted plan to draft, with a reason.
#[utoipa::path(
    tag = "performance",
    security(("bearer" = [])),
    params(("plan_id" = Uuid, Path), ("If-Match" = Option<String>, Header, description = "The plan's ETag")),
    request_body = ReturnRequest,
    responses((status = 200, description = "Returned to draft", body = PlanView, headers(("ETag" = String))), Unauthenticated, Forbidden, NotFound, Conflict, Stale, Invalid)
)]
#[post("/performance-plans/{plan_id}/return")]
pub(super) async fn return_plan(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<Uuid>,
    if_match: IfMatch,
    body: web::Json<ReturnRequest>,
) -> Result<HttpResponse, ApiError> {
    let reason = body.into_inner().reason.trim().to_owned();
    if reason.is_empty() || reason.chars().count() > 2000 {
        return Err(ApiError::validation("reason", "invalid_length", "say why, in 1 to 2000 characters"));
    }
    move_plan(&caller, &state, &if_match, path.into_inner(), PlanAction::Return, Some(reason)).await
}

/// Start a new revision of an approved plan.
///
/// Start a new revision of an approved plan: a draft copy (revision + 1) replaces it; the
/// approved one stays readable as it was, marked `superseded_by`. Results cascaded from the
/// plan's results follow them to the new revision.
#[utoipa::path(
    tag = "performance",
    security(("bearer" = [])),
    params(("plan_id" = Uuid, Path), ("If-Match" = Option<String>, Header, description = "The plan's ETag")),
    responses(
        (status = 201, description = "The new revision", body = PlanView, headers(("Location" = String), ("ETag" = String))),
        Unauthenticated, Forbidden, NotFound, Conflict, Stale,
    )
)]
#[post("/performance-plans/{plan_id}/revisions")]
pub(super) async fn revise_plan(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<Uuid>,
    if_match: IfMatch,
) -> Result<HttpResponse, ApiError> {
    let visible = visible_plan(&state, &caller, path.into_inner()).await?;
    let mut conn = state.db.conn().await?;
    let old = write::update_on(&mut conn, &caller.audit_actor(), &if_match, visible.id, "revise", async |tx, plan| {
        let is_party = party(&caller, plan) != PlanParty::Other;
        if !is_party && !caller.actor.may_on_registry(RegistryAction::Write, plan.agency_id) {
            return Err(ApiError::Forbidden("only the employee, the rating official or an admin revises a plan"));
        }
        if status_of(plan) != PlanStatus::Approved || plan.superseded_by.is_some() {
            return Err(ApiError::Conflict {
                code: "invalid_transition",
                detail: "only the current approved plan gets a new revision; a draft is edited directly".into(),
            });
        }
        let whole = plans::whole_plan(tx, plan.id).await?.ok_or(ApiError::NotFound("plan"))?;
        let now = Utc::now();
        let new_id = Uuid::now_v7();
        // One current plan per employee and period: the old revision steps aside (pointing at
        // itself for a moment) before the new one exists, then points at it.
        plans::update_plan(tx, &PlanRow { superseded_by: Some(plan.id), ..plan.clone() }).await?;
        let revision = PlanRow {
            id: new_id,
            revision: plan.revision + 1,
            status: PlanStatus::Draft.as_str().to_owned(),
            return_reason: None,
            superseded_by: None,
            created_at: now,
            updated_at: now,
            ..plan.clone()
        };
        plans::insert_plan(tx, &revision).await?;
        // The results cascaded from this plan's follow them to the new revision.
        let repointed = plans::copy_contents(tx, &whole, new_id).await?;
        let changes = serde_json::json!({"superseded_by": {"old": null, "new": new_id},
                                         "revision": plan.revision + 1, "cascaded_results_moved": repointed});
        Ok(Change::with_changes(PlanRow { superseded_by: Some(new_id), ..plan.clone() }, changes))
    })
    .await?;
    let new_id = old.superseded_by.ok_or_else(|| ApiError::internal("a revised plan names its revision"))?;
    let view = load_view(&mut conn, new_id).await?;
    Ok(respond_created(&view))
}

// ---- cascade ----

#[derive(Debug, Serialize, ToSchema)]
pub struct CascadeNode {
    result_id: Uuid,
    plan_id: Uuid,
    employee_id: Uuid,
    #[schema(example = "Drs. Hendra Wijaya")]
    employee_name: String,
    description: String,
    parent_result_id: Option<Uuid>,
    /// Steps from this plan: 1 is the rating official's result (up) or a direct report's (down).
    depth: i32,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Cascade {
    plan_id: Uuid,
    /// The chain of results above this plan's, up to the root (the agency head's plan).
    up: Vec<CascadeNode>,
    /// Every result cascaded from this plan's, across people, at any depth.
    down: Vec<CascadeNode>,
}

fn node(r: plans::CascadeRow) -> CascadeNode {
    CascadeNode {
        result_id: r.result_id,
        plan_id: r.plan_id,
        employee_id: r.employee_id,
        employee_name: r.employee_name,
        description: r.description,
        parent_result_id: r.parent_result_id,
        depth: r.depth,
    }
}

/// Read the cascade of work results around a plan.
///
/// The cascade around a plan: the results it intervenes, up to the root, and the results
/// cascaded from it below, across people (one recursive query each way).
#[utoipa::path(
    tag = "performance",
    security(("bearer" = [])),
    params(("plan_id" = Uuid, Path)),
    responses((status = 200, description = "The cascade", body = Cascade), Unauthenticated, NotFound)
)]
#[get("/performance-plans/{plan_id}/cascade")]
pub(super) async fn get_cascade(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<Uuid>,
) -> Result<web::Json<Cascade>, ApiError> {
    let plan = visible_plan(&state, &caller, path.into_inner()).await?;
    let mut conn = state.db.conn().await?;
    let mut up: Vec<CascadeNode> = plans::cascade_up(&mut conn, plan.id).await?.into_iter().map(node).collect();
    up.sort_by_key(|n| (n.depth, n.result_id));
    let down = plans::cascade_down(&mut conn, plan.id).await?.into_iter().map(node).collect();
    Ok(web::Json(Cascade { plan_id: plan.id, up, down }))
}
