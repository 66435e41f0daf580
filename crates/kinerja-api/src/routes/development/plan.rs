//! Handlers of individual development plans (`services::development::plan`).

use crate::context::caller::Caller;
use crate::context::write::IfMatch;
use crate::context::write::{created, with_etag};
use crate::http::error::responses::{Forbidden, Invalid, NotFound, Stale, Unauthenticated};
use crate::http::error::ApiError;
use crate::http::extract::{Json, Query};
use crate::http::pagination::{Page, PageParams};
use crate::services::competency_profiles::PeriodParam;
use crate::services::development::plan::{self, ActivityView, CreateActivity, Suggestions, UpdateActivity};
use crate::state::AppState;
use actix_web::http::StatusCode;
use actix_web::{get, patch, post, web, HttpResponse};
use uuid::Uuid;

/// The employee's development plan: its activities.
#[utoipa::path(
    tag = "competencies",
    security(("bearer" = [])),
    params(("employee_id" = Uuid, Path), PageParams),
    responses((status = 200, description = "A page of activities", body = Page<ActivityView>), Unauthenticated, NotFound, Invalid)
)]
#[get("/employees/{employee_id}/development-plan")]
pub(crate) async fn list_development_activities(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<Uuid>,
    page: Query<PageParams>,
) -> Result<web::Json<Page<ActivityView>>, ApiError> {
    Ok(web::Json(plan::list_activities(&caller, &state, path.into_inner(), page.into_inner()).await?))
}

/// Add an activity to the employee's development plan.
#[utoipa::path(
    tag = "competencies",
    security(("bearer" = [])),
    params(("employee_id" = Uuid, Path)),
    request_body = CreateActivity,
    responses(
        (status = 201, description = "Added", body = ActivityView, headers(("Location" = String), ("ETag" = String))),
        Unauthenticated, Forbidden, NotFound, Invalid,
    )
)]
#[post("/employees/{employee_id}/development-plan")]
pub(crate) async fn create_development_activity(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<Uuid>,
    body: Json<CreateActivity>,
) -> Result<HttpResponse, ApiError> {
    let view = plan::create_activity(&caller, &state, path.into_inner(), body.into_inner()).await?;
    let location = format!("/api/v1/employees/{}/development-plan/{}", view.employee_id, view.id);
    Ok(created(location, view.updated_at, &view))
}

/// Change an activity: its status as it progresses, the evidence when done.
#[utoipa::path(
    tag = "competencies",
    security(("bearer" = [])),
    params(("employee_id" = Uuid, Path), ("activity_id" = Uuid, Path),
           ("If-Match" = Option<String>, Header, description = "The ETag you read")),
    request_body = UpdateActivity,
    responses(
        (status = 200, description = "Updated", body = ActivityView, headers(("ETag" = String))),
        Unauthenticated, Forbidden, NotFound, Stale, Invalid,
    )
)]
#[patch("/employees/{employee_id}/development-plan/{activity_id}")]
pub(crate) async fn update_development_activity(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<(Uuid, Uuid)>,
    if_match: IfMatch,
    body: Json<UpdateActivity>,
) -> Result<HttpResponse, ApiError> {
    let view = plan::update_activity(&caller, &state, path.into_inner(), &if_match, body.into_inner()).await?;
    Ok(with_etag(StatusCode::OK, view.updated_at, &view))
}

/// The employee's gaps turned into proposed activities, with mentor candidates.
#[utoipa::path(
    tag = "competencies",
    security(("bearer" = [])),
    params(("employee_id" = Uuid, Path), PeriodParam),
    responses(
        (status = 200, description = "Suggestions", body = Suggestions), Unauthenticated, NotFound,
        (status = 422, description = "`no_competency_standard`: the employee's position has no standard",
         body = crate::http::error::Problem, content_type = "application/problem+json"),
    )
)]
#[get("/employees/{employee_id}/development-plan/suggestions")]
pub(crate) async fn suggest_development_activities(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<Uuid>,
    query: Query<PeriodParam>,
) -> Result<web::Json<Suggestions>, ApiError> {
    Ok(web::Json(plan::suggest_activities(&caller, &state, path.into_inner(), query.into_inner()).await?))
}
