//! Handlers of a plan's life: create, read, list, submit, approve, return, revise
//! (`services::plans::lifecycle`).

use super::{respond, respond_created};
use crate::context::caller::Caller;
use crate::context::write::IfMatch;
use crate::http::error::responses::{Conflict, Forbidden, Invalid, NotFound, Stale, Unauthenticated};
use crate::http::error::ApiError;
use crate::http::extract::{Json, Query};
use crate::http::pagination::{Page, PageParams};
use crate::services::plans::lifecycle::{self, CreatePlan, PlanQuery, PlanSummary, ReturnRequest};
use crate::services::plans::PlanView;
use crate::state::AppState;
use actix_web::http::StatusCode;
use actix_web::{get, post, web, HttpResponse};
use kinerja_domain::workflow::PlanAction;
use uuid::Uuid;

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
pub(crate) async fn create_plan(
    caller: Caller,
    state: web::Data<AppState>,
    body: Json<CreatePlan>,
) -> Result<HttpResponse, ApiError> {
    let view = lifecycle::create(&caller, &state, body.into_inner()).await?;
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
pub(crate) async fn get_plan(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let view = lifecycle::read(&caller, &state, path.into_inner()).await?;
    Ok(respond(StatusCode::OK, &view))
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
pub(crate) async fn list_plans(
    caller: Caller,
    state: web::Data<AppState>,
    query: Query<PlanQuery>,
    page: Query<PageParams>,
) -> Result<web::Json<Page<PlanSummary>>, ApiError> {
    Ok(web::Json(lifecycle::list(&caller, &state, query.into_inner(), page.into_inner()).await?))
}

/// The employee submits their draft to the rating official.
#[utoipa::path(
    tag = "performance",
    security(("bearer" = [])),
    params(("plan_id" = Uuid, Path), ("If-Match" = Option<String>, Header, description = "The plan's ETag")),
    responses((status = 200, description = "Submitted", body = PlanView, headers(("ETag" = String))), Unauthenticated, Forbidden, NotFound, Conflict, Stale)
)]
#[post("/performance-plans/{plan_id}/submit")]
pub(crate) async fn submit_plan(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<Uuid>,
    if_match: IfMatch,
) -> Result<HttpResponse, ApiError> {
    let view = lifecycle::move_plan(&caller, &state, &if_match, path.into_inner(), PlanAction::Submit, None).await?;
    Ok(respond(StatusCode::OK, &view))
}

/// The rating official approves a submitted plan; it is then locked.
#[utoipa::path(
    tag = "performance",
    security(("bearer" = [])),
    params(("plan_id" = Uuid, Path), ("If-Match" = Option<String>, Header, description = "The plan's ETag")),
    responses((status = 200, description = "Approved", body = PlanView, headers(("ETag" = String))), Unauthenticated, Forbidden, NotFound, Conflict, Stale)
)]
#[post("/performance-plans/{plan_id}/approve")]
pub(crate) async fn approve_plan(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<Uuid>,
    if_match: IfMatch,
) -> Result<HttpResponse, ApiError> {
    let view = lifecycle::move_plan(&caller, &state, &if_match, path.into_inner(), PlanAction::Approve, None).await?;
    Ok(respond(StatusCode::OK, &view))
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
pub(crate) async fn return_plan(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<Uuid>,
    if_match: IfMatch,
    body: Json<ReturnRequest>,
) -> Result<HttpResponse, ApiError> {
    let reason = body.into_inner().reason.trim().to_owned();
    if reason.is_empty() || reason.chars().count() > 2000 {
        return Err(ApiError::validation("reason", "invalid_length", "say why, in 1 to 2000 characters"));
    }
    let view =
        lifecycle::move_plan(&caller, &state, &if_match, path.into_inner(), PlanAction::Return, Some(reason)).await?;
    Ok(respond(StatusCode::OK, &view))
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
pub(crate) async fn revise_plan(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<Uuid>,
    if_match: IfMatch,
) -> Result<HttpResponse, ApiError> {
    let view = lifecycle::revise(&caller, &state, path.into_inner(), &if_match).await?;
    Ok(respond_created(&view))
}
