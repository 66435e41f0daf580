//! Handlers of the annual rating (`services::appraisal::final_rating`).

use actix_web::http::StatusCode;
use actix_web::{get, post, web, HttpResponse};
use uuid::Uuid;

use crate::context::caller::Caller;
use crate::context::write::{created, with_etag, IfMatch};
use crate::http::error::responses::{Conflict, Forbidden, Invalid, NotFound, Stale, Unauthenticated};
use crate::http::error::ApiError;
use crate::http::extract::Json;
use crate::services::appraisal::final_rating;
use crate::services::appraisal::{FinalRatingRequest, FinalRatingView};
use crate::state::AppState;

/// Give the annual rating of an approved plan.
///
/// Give the annual (final) rating of an approved plan (the rating official). The period's rule
/// set decides the predikat; the plan is then locked. The head of a unit takes the unit's
/// organisation predikat as their rating hasil kerja (istimewa → di atas, baik → sesuai, the rest
/// → di bawah).
#[utoipa::path(
    tag = "rules",
    security(("bearer" = [])),
    params(("plan_id" = Uuid, Path), ("If-Match" = Option<String>, Header, description = "The plan's ETag")),
    request_body = FinalRatingRequest,
    responses(
        (status = 201, description = "Rated", body = FinalRatingView, headers(("Location" = String), ("ETag" = String))),
        Unauthenticated, Forbidden, NotFound, Conflict, Stale, Invalid,
    )
)]
#[post("/performance-plans/{plan_id}/final-rating")]
pub(crate) async fn give_final_rating(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<Uuid>,
    if_match: IfMatch,
    body: Json<FinalRatingRequest>,
) -> Result<HttpResponse, ApiError> {
    let view = final_rating::give(&caller, &state, path.into_inner(), &if_match, body.into_inner()).await?;
    Ok(created(format!("/api/v1/performance-plans/{}/final-rating", view.plan_id), view.updated_at, &view))
}

/// Read a plan's annual rating.
///
/// Read a plan's annual rating: the predikat in force, the rating official's, the periodic
/// predikat it drew on, every change since, and the objection deadline.
#[utoipa::path(
    tag = "rules",
    security(("bearer" = [])),
    params(("plan_id" = Uuid, Path)),
    responses((status = 200, description = "The annual rating", body = FinalRatingView, headers(("ETag" = String))), Unauthenticated, NotFound)
)]
#[get("/performance-plans/{plan_id}/final-rating")]
pub(crate) async fn get_final_rating(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let view = final_rating::read(&caller, &state, path.into_inner()).await?;
    Ok(with_etag(StatusCode::OK, view.updated_at, &view))
}
