//! Handlers of what a plan holds: results, behaviour expectations, annex and rater
//! (`services::plans::contents`).

use super::respond;
use crate::context::caller::Caller;
use crate::context::write::{created, IfMatch};
use crate::http::error::responses::{Conflict, Forbidden, Invalid, NotFound, Stale, Unauthenticated};
use crate::http::error::ApiError;
use crate::http::extract::Json;
use crate::services::plan_contents::{ResultInput, ResultPatch};
use crate::services::plans::contents::{self, RaterOverride};
use crate::services::plans::{Annex, Expectation, PlanView};
use crate::state::AppState;
use actix_web::http::StatusCode;
use actix_web::{delete, patch, post, put, web, HttpResponse};
use uuid::Uuid;

/// Add a result (RHK) with its indicators to a draft plan.
#[utoipa::path(
    tag = "performance",
    security(("bearer" = [])),
    params(("plan_id" = Uuid, Path), ("If-Match" = Option<String>, Header, description = "The plan's ETag")),
    request_body = ResultInput,
    responses(
        (status = 201, description = "The plan with the new result", body = PlanView, headers(("ETag" = String), ("Location" = String, description = "The new result (to change or remove it)"))),
        Unauthenticated, Forbidden, NotFound, Conflict, Stale, Invalid,
    )
)]
#[post("/performance-plans/{plan_id}/results")]
pub(crate) async fn add_result(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<Uuid>,
    if_match: IfMatch,
    body: Json<ResultInput>,
) -> Result<HttpResponse, ApiError> {
    let (view, result_id) =
        contents::add_result(&caller, &state, path.into_inner(), &if_match, body.into_inner()).await?;
    Ok(created(format!("/api/v1/performance-plans/{}/results/{result_id}", view.id), view.updated_at, &view))
}

/// Change a result of a draft plan.
///
/// Change a result of a draft plan: the fields named change and the others stay (a merge, as
/// every PATCH); `indicators`, when named, replaces them all. The whole result is checked as it
/// would be after the change.
#[utoipa::path(
    tag = "performance",
    security(("bearer" = [])),
    params(("plan_id" = Uuid, Path), ("result_id" = Uuid, Path), ("If-Match" = Option<String>, Header, description = "The plan's ETag")),
    request_body = ResultPatch,
    responses(
        (status = 200, description = "The plan", body = PlanView, headers(("ETag" = String))),
        Unauthenticated, Forbidden, NotFound, Conflict, Stale, Invalid,
    )
)]
#[patch("/performance-plans/{plan_id}/results/{result_id}")]
pub(crate) async fn update_result(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<(Uuid, Uuid)>,
    if_match: IfMatch,
    body: Json<ResultPatch>,
) -> Result<HttpResponse, ApiError> {
    let view = contents::update_result(&caller, &state, path.into_inner(), &if_match, body.into_inner()).await?;
    Ok(respond(StatusCode::OK, &view))
}

/// Remove a result from a draft plan; refused while other results are cascaded from it.
#[utoipa::path(
    tag = "performance",
    security(("bearer" = [])),
    params(("plan_id" = Uuid, Path), ("result_id" = Uuid, Path), ("If-Match" = Option<String>, Header, description = "The plan's ETag")),
    responses((status = 204, description = "Removed"), Unauthenticated, Forbidden, NotFound, Conflict, Stale)
)]
#[delete("/performance-plans/{plan_id}/results/{result_id}")]
pub(crate) async fn delete_result(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<(Uuid, Uuid)>,
    if_match: IfMatch,
) -> Result<HttpResponse, ApiError> {
    contents::delete_result(&caller, &state, path.into_inner(), &if_match).await?;
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
pub(crate) async fn replace_behaviour_expectations(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<Uuid>,
    if_match: IfMatch,
    body: Json<Vec<Expectation>>,
) -> Result<HttpResponse, ApiError> {
    let view = contents::replace_expectations(&caller, &state, path.into_inner(), &if_match, body.into_inner()).await?;
    Ok(respond(StatusCode::OK, &view))
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
pub(crate) async fn replace_annex(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<Uuid>,
    if_match: IfMatch,
    body: Json<Annex>,
) -> Result<HttpResponse, ApiError> {
    let view = contents::replace_annex(&caller, &state, path.into_inner(), &if_match, body.into_inner()).await?;
    Ok(respond(StatusCode::OK, &view))
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
pub(crate) async fn override_rater(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<Uuid>,
    if_match: IfMatch,
    body: Json<RaterOverride>,
) -> Result<HttpResponse, ApiError> {
    let view = contents::override_rater(&caller, &state, path.into_inner(), &if_match, body.into_inner()).await?;
    Ok(respond(StatusCode::OK, &view))
}
