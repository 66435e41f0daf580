//! Handlers of objections (keberatan) (`services::appraisal::objections`).

use actix_web::http::StatusCode;
use actix_web::{get, post, web, HttpResponse};
use uuid::Uuid;

use crate::context::caller::Caller;
use crate::context::write::{created, with_etag, IfMatch};
use crate::http::error::responses::{Conflict, Forbidden, Invalid, NotFound, Stale, Unauthenticated};
use crate::http::error::ApiError;
use crate::http::extract::{Json, Query};
use crate::http::pagination::{Page, PageParams};
use crate::services::appraisal::objections::{
    self, DecisionRequest, ExplanationRequest, FileObjection, ObjectionQuery, ObjectionView,
};
use crate::state::AppState;

/// Object to an annual rating.
///
/// Object to the annual rating (the employee, within the agency's window after it was issued:
/// 14 days unless set; the days are counted on the WIB calendar). One objection per plan.
#[utoipa::path(
    tag = "rules",
    security(("bearer" = [])),
    params(("plan_id" = Uuid, Path)),
    request_body = FileObjection,
    responses(
        (status = 201, description = "Filed", body = ObjectionView, headers(("Location" = String), ("ETag" = String))),
        (status = 422, description = "`deadline_passed` after the window, or a field error",
         body = crate::http::error::Problem, content_type = "application/problem+json"),
        Unauthenticated, Forbidden, NotFound, Conflict,
    )
)]
#[post("/performance-plans/{plan_id}/objections")]
pub(crate) async fn file_objection(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<Uuid>,
    body: Json<FileObjection>,
) -> Result<HttpResponse, ApiError> {
    let view = objections::file(&caller, &state, path.into_inner(), body.into_inner()).await?;
    Ok(created(format!("/api/v1/objections/{}", view.id), view.updated_at, &view))
}

/// List objections.
///
/// List objections: an agency's for its readers; one's own and those one decides for an
/// employee.
#[utoipa::path(
    tag = "rules",
    security(("bearer" = [])),
    params(ObjectionQuery, PageParams),
    responses((status = 200, description = "A page of objections", body = Page<ObjectionView>), Unauthenticated, Invalid)
)]
#[get("/objections")]
pub(crate) async fn list_objections(
    caller: Caller,
    state: web::Data<AppState>,
    query: Query<ObjectionQuery>,
    page: Query<PageParams>,
) -> Result<web::Json<Page<ObjectionView>>, ApiError> {
    let page = objections::list(&caller, &state, query.into_inner(), page.into_inner()).await?;
    Ok(web::Json(page))
}

/// Read an objection.
#[utoipa::path(
    tag = "rules",
    security(("bearer" = [])),
    params(("objection_id" = Uuid, Path)),
    responses((status = 200, description = "The objection", body = ObjectionView, headers(("ETag" = String))), Unauthenticated, NotFound)
)]
#[get("/objections/{objection_id}")]
pub(crate) async fn get_objection(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let view = objections::read(&caller, &state, path.into_inner()).await?;
    Ok(with_etag(StatusCode::OK, view.updated_at, &view))
}

/// Record an explanation for an objection.
///
/// Record the employee's or the rating official's explanation (the rating official's
/// supervisor, who asks both before deciding). A later one replaces the earlier.
#[utoipa::path(
    tag = "rules",
    security(("bearer" = [])),
    params(("objection_id" = Uuid, Path), ("If-Match" = Option<String>, Header, description = "The objection's ETag")),
    request_body = ExplanationRequest,
    responses((status = 200, description = "Recorded", body = ObjectionView, headers(("ETag" = String))), Unauthenticated, Forbidden, NotFound, Conflict, Stale, Invalid)
)]
#[post("/objections/{objection_id}/explanations")]
pub(crate) async fn record_explanation(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<Uuid>,
    if_match: IfMatch,
    body: Json<ExplanationRequest>,
) -> Result<HttpResponse, ApiError> {
    let view = objections::record_explanation(&caller, &state, path.into_inner(), &if_match, body.into_inner()).await?;
    Ok(with_etag(StatusCode::OK, view.updated_at, &view))
}

/// Decide an objection.
///
/// Decide an objection (the rating official's supervisor, after recording both explanations):
/// upheld with a new predikat, which then is in force, or rejected. Final; the rating
/// official's predikat stays on record.
#[utoipa::path(
    tag = "rules",
    security(("bearer" = [])),
    params(("objection_id" = Uuid, Path), ("If-Match" = Option<String>, Header, description = "The objection's ETag")),
    request_body = DecisionRequest,
    responses((status = 200, description = "Decided", body = ObjectionView, headers(("ETag" = String))), Unauthenticated, Forbidden, NotFound, Conflict, Stale, Invalid)
)]
#[post("/objections/{objection_id}/decision")]
pub(crate) async fn decide_objection(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<Uuid>,
    if_match: IfMatch,
    body: Json<DecisionRequest>,
) -> Result<HttpResponse, ApiError> {
    let view = objections::decide(&caller, &state, path.into_inner(), &if_match, body.into_inner()).await?;
    Ok(with_etag(StatusCode::OK, view.updated_at, &view))
}
