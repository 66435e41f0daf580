//! Handlers of the assessors an agency appoints and of 360° assessments
//! (`services::competencies::assessments`).

use crate::context::caller::Caller;
use crate::context::write::{created, with_etag, IfMatch};
use crate::http::error::responses::{Conflict, Forbidden, Invalid, NotFound, Stale, Unauthenticated};
use crate::http::error::ApiError;
use crate::http::extract::{Json, Query};
use crate::http::pagination::{Page, PageParams};
use crate::services::competencies::assessments::{
    self, AssessmentQuery, AssessmentView, AssessorList, SubmitAssessment,
};
use crate::state::AppState;
use actix_web::http::StatusCode;
use actix_web::{get, post, put, web, HttpResponse};
use uuid::Uuid;

/// The agency's appointed competency assessors.
#[utoipa::path(
    tag = "competencies",
    security(("bearer" = [])),
    params(("agency_id" = Uuid, Path)),
    responses((status = 200, description = "The assessors", body = AssessorList, headers(("ETag" = String))), Unauthenticated, Forbidden, NotFound)
)]
#[get("/agencies/{agency_id}/competency-assessors")]
pub(crate) async fn get_competency_assessors(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let (list, version) = assessments::assessors(&caller, &state, path.into_inner()).await?;
    Ok(with_etag(StatusCode::OK, version, &list))
}

/// Appoint the agency's competency assessors (the whole list).
#[utoipa::path(
    tag = "competencies",
    security(("bearer" = [])),
    params(("agency_id" = Uuid, Path), ("If-Match" = Option<String>, Header, description = "The ETag you read")),
    request_body = AssessorList,
    responses(
        (status = 200, description = "The assessors now", body = AssessorList, headers(("ETag" = String))),
        Unauthenticated, Forbidden, NotFound, Stale, Invalid,
    )
)]
#[put("/agencies/{agency_id}/competency-assessors")]
pub(crate) async fn replace_competency_assessors(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<Uuid>,
    if_match: IfMatch,
    body: Json<AssessorList>,
) -> Result<HttpResponse, ApiError> {
    let (list, version) =
        assessments::replace_assessors(&caller, &state, path.into_inner(), &if_match, body.into_inner()).await?;
    Ok(with_etag(StatusCode::OK, version, &list))
}

/// Give a competency assessment.
///
/// Give a competency assessment of an employee for a period: `self` (the employee),
/// `supervisor` (their supervisor), `peer` (someone else in the same unit), `subordinate`
/// (someone they supervise directly; anonymous like peers) or `assessor` (an appointed
/// assessor). Submitting again replaces the same assessor's assessment (200) while
/// the period is open.
#[utoipa::path(
    tag = "competencies",
    security(("bearer" = [])),
    request_body = SubmitAssessment,
    responses(
        (status = 201, description = "Recorded", body = AssessmentView, headers(("Location" = String), ("ETag" = String))),
        (status = 200, description = "Replaced the caller's earlier assessment", body = AssessmentView, headers(("ETag" = String))),
        Unauthenticated, Forbidden, NotFound, Conflict, Invalid,
    )
)]
#[post("/competency-assessments")]
pub(crate) async fn submit_assessment(
    caller: Caller,
    state: web::Data<AppState>,
    body: Json<SubmitAssessment>,
) -> Result<HttpResponse, ApiError> {
    let (view, replaced) = assessments::submit(&caller, &state, body.into_inner()).await?;
    if replaced {
        Ok(with_etag(StatusCode::OK, view.updated_at, &view))
    } else {
        Ok(created(format!("/api/v1/competency-assessments/{}", view.id), view.updated_at, &view))
    }
}

/// Read one competency assessment.
///
/// Read one assessment: its author, the agency's readers, and — except peers' — the employee
/// and those above them.
#[utoipa::path(
    tag = "competencies",
    security(("bearer" = [])),
    params(("assessment_id" = Uuid, Path)),
    responses((status = 200, description = "The assessment", body = AssessmentView, headers(("ETag" = String))), Unauthenticated, NotFound)
)]
#[get("/competency-assessments/{assessment_id}")]
pub(crate) async fn get_assessment(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let view = assessments::read(&caller, &state, path.into_inner()).await?;
    Ok(with_etag(StatusCode::OK, view.updated_at, &view))
}

/// List competency assessments.
///
/// List assessments. The agency's readers see all; an employee sees those they gave and, for
/// themself and those below them, every source but individual peers.
#[utoipa::path(
    tag = "competencies",
    security(("bearer" = [])),
    params(AssessmentQuery, PageParams),
    responses((status = 200, description = "A page of assessments", body = Page<AssessmentView>), Unauthenticated, Invalid)
)]
#[get("/competency-assessments")]
pub(crate) async fn list_assessments(
    caller: Caller,
    state: web::Data<AppState>,
    query: Query<AssessmentQuery>,
    page: Query<PageParams>,
) -> Result<web::Json<Page<AssessmentView>>, ApiError> {
    Ok(web::Json(assessments::list(&caller, &state, query.into_inner(), page.into_inner()).await?))
}
