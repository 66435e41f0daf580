//! The handler of calibration (`services::appraisal::calibration`).

use actix_web::http::StatusCode;
use actix_web::{post, web, HttpResponse};
use uuid::Uuid;

use crate::context::caller::Caller;
use crate::context::write::{with_etag, IfMatch};
use crate::http::error::responses::{Conflict, Forbidden, Invalid, NotFound, Stale, Unauthenticated};
use crate::http::error::ApiError;
use crate::http::extract::Json;
use crate::services::appraisal::calibration::{self, CalibrationRequest};
use crate::services::appraisal::FinalRatingView;
use crate::state::AppState;

/// Calibrate the predikat of an annual rating.
///
/// Record a calibrated predikat (an agency admin, with a justification): the curve of the
/// unit's organisation predikat. The rating official's predikat stays on record, every change
/// is in the audit trail, and the explanation names the calibration. Not once an objection is
/// filed: its decision is final.
#[utoipa::path(
    tag = "rules",
    security(("bearer" = [])),
    params(("plan_id" = Uuid, Path), ("If-Match" = Option<String>, Header, description = "The final rating's ETag")),
    request_body = CalibrationRequest,
    responses((status = 200, description = "Calibrated", body = FinalRatingView, headers(("ETag" = String))), Unauthenticated, Forbidden, NotFound, Conflict, Stale, Invalid)
)]
#[post("/performance-plans/{plan_id}/calibration")]
pub(crate) async fn calibrate_final_rating(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<Uuid>,
    if_match: IfMatch,
    body: Json<CalibrationRequest>,
) -> Result<HttpResponse, ApiError> {
    let view = calibration::calibrate(&caller, &state, path.into_inner(), &if_match, body.into_inner()).await?;
    Ok(with_etag(StatusCode::OK, view.updated_at, &view))
}
