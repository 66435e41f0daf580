//! Handlers of acting officials, Plt/Plh (`services::acting_officials`).

use crate::context::caller::Caller;
use crate::context::write::{created, with_etag, IfMatch};
use crate::http::error::responses::{Forbidden, Invalid, NotFound, Stale, Unauthenticated};
use crate::http::error::ApiError;
use crate::http::extract::{Json, Query};
use crate::http::pagination::{Page, PageParams};
use crate::services::acting_officials::{self, ActingQuery, ActingView, CreateActing, UpdateActing};
use crate::state::AppState;
use actix_web::http::StatusCode;
use actix_web::{delete, get, patch, post, web, HttpResponse};
use uuid::Uuid;

/// List acting officials.
///
/// An agency's delegations (its readers), or those an employee is part of
/// (`acting_employee_id` or `for_employee_id` naming themself).
#[utoipa::path(
    tag = "organisation",
    security(("bearer" = [])),
    params(ActingQuery, PageParams),
    responses((status = 200, description = "A page of delegations", body = Page<ActingView>), Unauthenticated, Forbidden, Invalid)
)]
#[get("/acting-officials")]
pub(super) async fn list_acting_officials(
    caller: Caller,
    state: web::Data<AppState>,
    query: Query<ActingQuery>,
    page: Query<PageParams>,
) -> Result<web::Json<Page<ActingView>>, ApiError> {
    Ok(web::Json(acting_officials::list(&caller, &state, query.into_inner(), page.into_inner()).await?))
}

/// Record an acting official.
///
/// Record that an employee stands in (Plt/Plh) for an official, or for whoever holds a
/// position, from `starts_on` to `ends_on` (agency admins). Nobody stands in for themself, and
/// one official has one stand-in at a time (422 `self_delegation`, `overlapping_delegation`).
#[utoipa::path(
    tag = "organisation",
    security(("bearer" = [])),
    request_body = CreateActing,
    responses(
        (status = 201, description = "Recorded", body = ActingView, headers(("Location" = String), ("ETag" = String))),
        Unauthenticated, Forbidden, Invalid,
    )
)]
#[post("/acting-officials")]
pub(super) async fn create_acting_official(
    caller: Caller,
    state: web::Data<AppState>,
    body: Json<CreateActing>,
) -> Result<HttpResponse, ApiError> {
    let view = acting_officials::create(&caller, &state, body.into_inner()).await?;
    let location = format!("/api/v1/acting-officials/{}", view.id);
    Ok(created(location, view.updated_at, &view))
}

/// Read a delegation.
#[utoipa::path(
    tag = "organisation",
    security(("bearer" = [])),
    params(("acting_official_id" = Uuid, Path)),
    responses((status = 200, description = "The delegation", body = ActingView, headers(("ETag" = String))), Unauthenticated, NotFound)
)]
#[get("/acting-officials/{acting_official_id}")]
pub(super) async fn get_acting_official(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let view = acting_officials::read(&caller, &state, path.into_inner()).await?;
    Ok(with_etag(StatusCode::OK, view.updated_at, &view))
}

/// End a delegation early, or extend it.
#[utoipa::path(
    tag = "organisation",
    security(("bearer" = [])),
    params(("acting_official_id" = Uuid, Path), ("If-Match" = Option<String>, Header, description = "The ETag you read")),
    request_body = UpdateActing,
    responses(
        (status = 200, description = "Updated", body = ActingView, headers(("ETag" = String))),
        Unauthenticated, Forbidden, NotFound, Stale, Invalid,
    )
)]
#[patch("/acting-officials/{acting_official_id}")]
pub(super) async fn update_acting_official(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<Uuid>,
    if_match: IfMatch,
    body: Json<UpdateActing>,
) -> Result<HttpResponse, ApiError> {
    let view = acting_officials::update(&caller, &state, path.into_inner(), &if_match, body.into_inner()).await?;
    Ok(with_etag(StatusCode::OK, view.updated_at, &view))
}

/// Remove a delegation recorded in error.
#[utoipa::path(
    tag = "organisation",
    security(("bearer" = [])),
    params(("acting_official_id" = Uuid, Path), ("If-Match" = Option<String>, Header, description = "The ETag you read")),
    responses((status = 204, description = "Removed"), Unauthenticated, Forbidden, NotFound, Stale)
)]
#[delete("/acting-officials/{acting_official_id}")]
pub(super) async fn delete_acting_official(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<Uuid>,
    if_match: IfMatch,
) -> Result<HttpResponse, ApiError> {
    acting_officials::delete(&caller, &state, path.into_inner(), &if_match).await?;
    Ok(HttpResponse::NoContent().finish())
}
