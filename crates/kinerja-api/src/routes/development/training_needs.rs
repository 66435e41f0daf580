//! The handler of a unit's training needs (`services::development::training_needs`).

use crate::context::caller::Caller;
use crate::http::error::responses::{Forbidden, Invalid, NotFound, Unauthenticated};
use crate::http::error::ApiError;
use crate::http::extract::Query;
use crate::services::development::training_needs::{self, TrainingNeeds, TrainingNeedsQuery};
use crate::state::AppState;
use actix_web::{get, web};
use uuid::Uuid;

/// A unit's gaps aggregated per competency and ranked, for the training needs analysis.
#[utoipa::path(
    tag = "competencies",
    security(("bearer" = [])),
    params(("unit_id" = Uuid, Path), TrainingNeedsQuery),
    responses((status = 200, description = "Ranked needs", body = TrainingNeeds), Unauthenticated, Forbidden, NotFound, Invalid)
)]
#[get("/units/{unit_id}/training-needs")]
pub(crate) async fn list_training_needs(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<Uuid>,
    query: Query<TrainingNeedsQuery>,
) -> Result<web::Json<TrainingNeeds>, ApiError> {
    Ok(web::Json(training_needs::training_needs(&caller, &state, path.into_inner(), query.into_inner()).await?))
}
