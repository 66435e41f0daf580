//! Handlers of performance periods (`services::periods`).

use crate::context::caller::Caller;
use crate::context::write::IfMatch;
use crate::context::write::{created, with_etag};
use crate::http::error::responses::{Conflict, Forbidden, Invalid, NotFound, Stale, Unauthenticated};
use crate::http::error::ApiError;
use crate::http::extract::{Json, Query};
use crate::http::pagination::{Page, PageParams};
use crate::services::periods::{self, CreatePeriod, PeriodQuery, PeriodStatusChange, PeriodView, UpdatePeriod};
use crate::state::AppState;
use actix_web::http::StatusCode;
use actix_web::{get, patch, post, web, HttpResponse};
use kinerja_domain::deadlines::PeriodStatus;
use uuid::Uuid;

/// List periods: an agency's, or every agency's for a super admin.
#[utoipa::path(
    tag = "performance",
    security(("bearer" = [])),
    params(PeriodQuery, PageParams),
    responses((status = 200, description = "A page of periods", body = Page<PeriodView>), Unauthenticated, Forbidden, Invalid)
)]
#[get("/periods")]
pub(super) async fn list_periods(
    caller: Caller,
    state: web::Data<AppState>,
    query: Query<PeriodQuery>,
    page: Query<PageParams>,
) -> Result<web::Json<Page<PeriodView>>, ApiError> {
    Ok(web::Json(periods::list(&caller, &state, query.into_inner(), page.into_inner()).await?))
}

/// Open a period for an agency.
#[utoipa::path(
    tag = "performance",
    security(("bearer" = [])),
    request_body = CreatePeriod,
    responses(
        (status = 201, description = "Created", body = PeriodView, headers(("Location" = String), ("ETag" = String))),
        Unauthenticated, Forbidden, NotFound, Invalid,
    )
)]
#[post("/periods")]
pub(super) async fn create_period(
    caller: Caller,
    state: web::Data<AppState>,
    body: Json<CreatePeriod>,
) -> Result<HttpResponse, ApiError> {
    let view = periods::create(&caller, &state, body.into_inner()).await?;
    let location = format!("/api/v1/periods/{}", view.id);
    Ok(created(location, view.updated_at, &view))
}

/// Read a period, with its sub-period labels.
#[utoipa::path(
    tag = "performance",
    security(("bearer" = [])),
    params(("period_id" = Uuid, Path)),
    responses((status = 200, description = "The period", body = PeriodView, headers(("ETag" = String))), Unauthenticated, NotFound)
)]
#[get("/periods/{period_id}")]
pub(super) async fn get_period(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let view = periods::read(&caller, &state, path.into_inner()).await?;
    Ok(with_etag(StatusCode::OK, view.updated_at, &view))
}

/// Change a period.
///
/// Change a period. Its dates, cadence and rule set are fixed once a plan exists in it
/// (`period_in_use`); the name can always change.
#[utoipa::path(
    tag = "performance",
    security(("bearer" = [])),
    params(("period_id" = Uuid, Path), ("If-Match" = Option<String>, Header, description = "The ETag you read")),
    request_body = UpdatePeriod,
    responses(
        (status = 200, description = "Updated", body = PeriodView, headers(("ETag" = String))),
        Unauthenticated, Forbidden, NotFound, Conflict, Stale, Invalid,
    )
)]
#[patch("/periods/{period_id}")]
pub(super) async fn update_period(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<Uuid>,
    if_match: IfMatch,
    body: Json<UpdatePeriod>,
) -> Result<HttpResponse, ApiError> {
    let view = periods::update(&caller, &state, path.into_inner(), &if_match, body.into_inner()).await?;
    Ok(with_etag(StatusCode::OK, view.updated_at, &view))
}

/// Close a period.
///
/// Close a period (agency admins), with a reason: it then refuses new plans, realisations,
/// ratings and calibrations with 409 `period_closed`; objections still run their window.
/// Closing a closed period is 409 `invalid_transition`.
#[utoipa::path(
    tag = "performance",
    security(("bearer" = [])),
    params(("period_id" = Uuid, Path), ("If-Match" = Option<String>, Header, description = "The ETag you read")),
    request_body = PeriodStatusChange,
    responses(
        (status = 200, description = "Closed", body = PeriodView, headers(("ETag" = String))),
        Unauthenticated, Forbidden, NotFound, Conflict, Stale, Invalid,
    )
)]
#[post("/periods/{period_id}/close")]
pub(super) async fn close_period(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<Uuid>,
    if_match: IfMatch,
    body: Json<PeriodStatusChange>,
) -> Result<HttpResponse, ApiError> {
    let view =
        periods::change_status(&caller, &state, path.into_inner(), &if_match, body.into_inner(), PeriodStatus::Closed)
            .await?;
    Ok(with_etag(StatusCode::OK, view.updated_at, &view))
}

/// Reopen a closed period.
///
/// Reopen a closed period (agency admins), with a reason; audited like the close.
#[utoipa::path(
    tag = "performance",
    security(("bearer" = [])),
    params(("period_id" = Uuid, Path), ("If-Match" = Option<String>, Header, description = "The ETag you read")),
    request_body = PeriodStatusChange,
    responses(
        (status = 200, description = "Reopened", body = PeriodView, headers(("ETag" = String))),
        Unauthenticated, Forbidden, NotFound, Conflict, Stale, Invalid,
    )
)]
#[post("/periods/{period_id}/reopen")]
pub(super) async fn reopen_period(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<Uuid>,
    if_match: IfMatch,
    body: Json<PeriodStatusChange>,
) -> Result<HttpResponse, ApiError> {
    let view =
        periods::change_status(&caller, &state, path.into_inner(), &if_match, body.into_inner(), PeriodStatus::Open)
            .await?;
    Ok(with_etag(StatusCode::OK, view.updated_at, &view))
}
