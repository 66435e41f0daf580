//! An employee's competency profile: levels per source, gaps and the job-person match.

use crate::context::caller::Caller;
use crate::http::error::responses::{NotFound, Unauthenticated};
use crate::http::error::ApiError;
use crate::http::extract::Query;
use crate::services::competency_profiles::{profile_view, CompetencyProfile, PeriodParam};
use crate::state::AppState;
use actix_web::{get, web};
use uuid::Uuid;

/// Read an employee's competency profile for a period.
///
/// An employee's competency profile for a period: per competency the required and assessed
/// level, the gap and every source; JPM and its categories; self-vs-supervisor differences.
#[utoipa::path(
    tag = "competencies",
    security(("bearer" = [])),
    params(("employee_id" = Uuid, Path), PeriodParam),
    responses(
        (status = 200, description = "The profile", body = CompetencyProfile), Unauthenticated, NotFound,
        (status = 422, description = "`no_competency_standard`: the employee's position has no standard",
         body = crate::http::error::Problem, content_type = "application/problem+json"),
    )
)]
#[get("/employees/{employee_id}/competency-profile")]
pub(crate) async fn get_competency_profile(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<Uuid>,
    query: Query<PeriodParam>,
) -> Result<web::Json<CompetencyProfile>, ApiError> {
    Ok(web::Json(profile_view(&state, &caller, path.into_inner(), query.period_id).await?))
}
