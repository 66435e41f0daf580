//! Handlers of periodic evaluations, their rating and continuous feedback
//! (`services::evaluations`).

use actix_web::http::{header, StatusCode};
use actix_web::{get, post, web, HttpResponse};
use uuid::Uuid;

use crate::context::caller::Caller;
use crate::context::write::{created, with_etag, IfMatch};
use crate::http::error::responses::{Conflict, Forbidden, Invalid, NotFound, Stale, Unauthenticated};
use crate::http::error::ApiError;
use crate::http::extract::{Json, Query};
use crate::http::pagination::{Page, PageParams};
use crate::services::evaluations::{
    self, CreateEvaluation, CreateFeedback, EvaluationView, FeedbackQuery, FeedbackView, RatingRequest,
};
use crate::services::scoring::Evaluation;
use crate::state::AppState;

/// Record the realisations of a sub-period of an approved plan (the employee).
#[utoipa::path(
    tag = "performance",
    security(("bearer" = [])),
    params(("plan_id" = Uuid, Path)),
    request_body = CreateEvaluation,
    responses(
        (status = 201, description = "Recorded", body = EvaluationView, headers(("Location" = String), ("ETag" = String))),
        Unauthenticated, Forbidden, NotFound, Conflict, Invalid,
    )
)]
#[post("/performance-plans/{plan_id}/evaluations")]
pub(super) async fn create_evaluation(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<Uuid>,
    body: Json<CreateEvaluation>,
) -> Result<HttpResponse, ApiError> {
    let view = evaluations::create(&caller, &state, path.into_inner(), body.into_inner()).await?;
    let location = format!("/api/v1/performance-plans/{}/evaluations/{}", view.plan_id, view.id);
    Ok(created(location, view.updated_at, &view))
}

/// Read an evaluation with its realisations and, once rated, the predikat and explanation.
#[utoipa::path(
    tag = "performance",
    security(("bearer" = [])),
    params(("plan_id" = Uuid, Path), ("evaluation_id" = Uuid, Path)),
    responses((status = 200, description = "The evaluation", body = EvaluationView, headers(("ETag" = String))), Unauthenticated, NotFound)
)]
#[get("/performance-plans/{plan_id}/evaluations/{evaluation_id}")]
pub(super) async fn get_evaluation(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<(Uuid, Uuid)>,
) -> Result<HttpResponse, ApiError> {
    let view = evaluations::read(&caller, &state, path.into_inner()).await?;
    Ok(with_etag(StatusCode::OK, view.updated_at, &view))
}

/// Rate an evaluation.
///
/// Rate an evaluation (the rating official): the period's rule set turns the inputs into the
/// predikat, and the answer names the rule set, the inputs and the cell or band that decided.
#[utoipa::path(
    tag = "performance",
    security(("bearer" = [])),
    params(("evaluation_id" = Uuid, Path), ("If-Match" = Option<String>, Header, description = "The evaluation's ETag you read")),
    request_body = RatingRequest,
    responses(
        (status = 200, description = "The predikat and why", body = Evaluation, headers(("ETag" = String, description = "The evaluation's new version"))),
        Unauthenticated, Forbidden, NotFound, Stale, Invalid,
    )
)]
#[post("/evaluations/{evaluation_id}/rating")]
pub(super) async fn rate_evaluation(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<Uuid>,
    if_match: IfMatch,
    body: Json<RatingRequest>,
) -> Result<HttpResponse, ApiError> {
    let (outcome, version) =
        evaluations::rate(&caller, &state, path.into_inner(), &if_match, body.into_inner()).await?;
    Ok(with_etag(StatusCode::OK, version, &outcome))
}

/// Give continuous feedback to a colleague.
///
/// Give continuous feedback to a colleague: as their supervisor (rater), a peer in the same
/// unit, or a subordinate. Never about oneself.
#[utoipa::path(
    tag = "performance",
    security(("bearer" = [])),
    request_body = CreateFeedback,
    responses((status = 201, description = "Recorded", body = FeedbackView, headers(("Location" = String))), Unauthenticated, Forbidden, Invalid)
)]
#[post("/feedback")]
pub(super) async fn create_feedback(
    caller: Caller,
    state: web::Data<AppState>,
    body: Json<CreateFeedback>,
) -> Result<HttpResponse, ApiError> {
    let view = evaluations::give_feedback(&caller, &state, body.into_inner()).await?;
    Ok(HttpResponse::Created().insert_header((header::LOCATION, format!("/api/v1/feedback/{}", view.id))).json(view))
}

/// Read one piece of feedback.
///
/// One piece of feedback: for its author, and for those who may read the feedback its subject
/// received (the author's name shown as the list shows it).
#[utoipa::path(
    tag = "performance",
    security(("bearer" = [])),
    params(("feedback_id" = Uuid, Path)),
    responses((status = 200, description = "The feedback", body = FeedbackView), Unauthenticated, NotFound)
)]
#[get("/feedback/{feedback_id}")]
pub(super) async fn get_feedback(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<Uuid>,
) -> Result<web::Json<FeedbackView>, ApiError> {
    Ok(web::Json(evaluations::read_feedback(&caller, &state, path.into_inner()).await?))
}

/// List the feedback an employee received.
///
/// The feedback an employee received: for the employee, those above them, and the agency's
/// readers.
#[utoipa::path(
    tag = "performance",
    security(("bearer" = [])),
    params(("employee_id" = Uuid, Path), FeedbackQuery, PageParams),
    responses((status = 200, description = "A page of feedback", body = Page<FeedbackView>), Unauthenticated, NotFound, Invalid)
)]
#[get("/employees/{employee_id}/feedback")]
pub(super) async fn list_feedback(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<Uuid>,
    query: Query<FeedbackQuery>,
    page: Query<PageParams>,
) -> Result<web::Json<Page<FeedbackView>>, ApiError> {
    let view =
        evaluations::list_feedback(&caller, &state, path.into_inner(), query.into_inner(), page.into_inner()).await?;
    Ok(web::Json(view))
}
