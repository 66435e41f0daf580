//! Handlers of a unit's organisation predikat and its distribution curve
//! (`services::appraisal::curve`).

use actix_web::http::StatusCode;
use actix_web::{get, put, web, HttpResponse};
use uuid::Uuid;

use crate::context::caller::Caller;
use crate::context::write::{created, with_etag, IfMatch};
use crate::http::error::responses::{Forbidden, Invalid, NotFound, Stale, Unauthenticated};
use crate::http::error::ApiError;
use crate::http::extract::{Json, Query};
use crate::services::appraisal::curve::{self, DistributionQuery, DistributionView, OrgRatingRequest, OrgRatingView};
use crate::state::AppState;

/// Record a unit's organisation predikat for a period.
///
/// Record the organisation's own predikat for a unit (or, on its top unit, the whole agency)
/// and period: istimewa, baik, butuh perbaikan, kurang, sangat kurang. It bounds how the unit's
/// employee predikat may be distributed, and is its head's rating hasil kerja.
#[utoipa::path(
    tag = "rules",
    security(("bearer" = [])),
    params(("unit_id" = Uuid, Path), ("period_id" = Uuid, Path), ("If-Match" = Option<String>, Header, description = "The ETag you read")),
    request_body = OrgRatingRequest,
    responses(
        (status = 200, description = "Replaced", body = OrgRatingView, headers(("ETag" = String))),
        (status = 201, description = "Recorded", body = OrgRatingView, headers(("ETag" = String), ("Location" = String))),
        Unauthenticated, Forbidden, NotFound, Stale, Invalid,
    )
)]
#[put("/units/{unit_id}/organisation-rating/{period_id}")]
pub(crate) async fn replace_organisation_rating(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<(Uuid, Uuid)>,
    if_match: IfMatch,
    body: Json<OrgRatingRequest>,
) -> Result<HttpResponse, ApiError> {
    let (unit, period) = path.into_inner();
    let (view, existed) =
        curve::replace_organisation_rating(&caller, &state, (unit, period), &if_match, body.into_inner()).await?;
    if existed {
        return Ok(with_etag(StatusCode::OK, view.updated_at, &view));
    }
    Ok(created(format!("/api/v1/units/{unit}/organisation-rating/{period}"), view.updated_at, &view))
}

/// Read a unit's organisation predikat for a period.
#[utoipa::path(
    tag = "rules",
    security(("bearer" = [])),
    params(("unit_id" = Uuid, Path), ("period_id" = Uuid, Path)),
    responses((status = 200, description = "The organisation rating", body = OrgRatingView, headers(("ETag" = String))), Unauthenticated, NotFound)
)]
#[get("/units/{unit_id}/organisation-rating/{period_id}")]
pub(crate) async fn get_organisation_rating(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<(Uuid, Uuid)>,
) -> Result<HttpResponse, ApiError> {
    let view = curve::organisation_rating(&caller, &state, path.into_inner()).await?;
    Ok(with_etag(StatusCode::OK, view.updated_at, &view))
}

/// Check a unit's predikat distribution against its curve.
///
/// The distribution curve of SE MenPANRB 3/2023 for a unit and period: how its employees'
/// predikat in force are distributed, each rule of its organisation predikat with its outcome,
/// and for a non-compliant unit the fewest changes that would comply.
#[utoipa::path(
    tag = "rules",
    security(("bearer" = [])),
    params(("unit_id" = Uuid, Path), DistributionQuery),
    responses((status = 200, description = "The distribution", body = DistributionView), Unauthenticated, Forbidden, NotFound, Invalid)
)]
#[get("/units/{unit_id}/distribution")]
pub(crate) async fn get_unit_distribution(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<Uuid>,
    query: Query<DistributionQuery>,
) -> Result<web::Json<DistributionView>, ApiError> {
    Ok(web::Json(curve::unit_distribution(&caller, &state, path.into_inner(), query.into_inner()).await?))
}
