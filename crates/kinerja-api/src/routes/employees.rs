//! Handlers of employees (`services::employees`).

use crate::context::caller::Caller;
use crate::context::write::IfMatch;
use crate::context::write::{created, with_etag};
use crate::http::error::responses::{Conflict, Forbidden, Invalid, NotFound, Stale, Unauthenticated};
use crate::http::error::ApiError;
use crate::http::extract::{Json, Query};
use crate::http::pagination::{Page, PageParams};
use crate::services::employees::{self, CreateEmployee, EmployeeQuery, EmployeeView, SubordinateQuery, UpdateEmployee};
use crate::state::AppState;
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::{get, patch, post, web, HttpResponse};
use uuid::Uuid;

/// List employees.
///
/// List employees: all of an agency for its admins, auditors and read clients; an employee sees
/// themself and everyone below them. Filters combine; `q` matches a NIP prefix or part of a name.
#[utoipa::path(
    tag = "organisation",
    security(("bearer" = [])),
    params(EmployeeQuery, PageParams),
    responses((status = 200, description = "A page of employees", body = Page<EmployeeView>), Unauthenticated, Forbidden, Invalid)
)]
#[get("/employees")]
pub(super) async fn list_employees(
    caller: Caller,
    state: web::Data<AppState>,
    query: Query<EmployeeQuery>,
    page: Query<PageParams>,
) -> Result<web::Json<Page<EmployeeView>>, ApiError> {
    Ok(web::Json(employees::list(&caller, &state, query.into_inner(), page.into_inner()).await?))
}

/// Register an employee.
#[utoipa::path(
    tag = "organisation",
    security(("bearer" = [])),
    request_body = CreateEmployee,
    responses(
        (status = 201, description = "Created", body = EmployeeView, headers(("Location" = String), ("ETag" = String))),
        Unauthenticated, Forbidden, NotFound, Conflict, Invalid,
    )
)]
#[post("/employees")]
pub(super) async fn create_employee(
    caller: Caller,
    state: web::Data<AppState>,
    body: Json<CreateEmployee>,
) -> Result<HttpResponse, ApiError> {
    let view = employees::create(&caller, &state, body.into_inner()).await?;
    let location = format!("/api/v1/employees/{}", view.id);
    Ok(created(location, view.updated_at, &view))
}

/// Read an employee.
#[utoipa::path(
    tag = "organisation",
    security(("bearer" = [])),
    params(("employee_id" = Uuid, Path)),
    responses((status = 200, description = "The employee", body = EmployeeView, headers(("ETag" = String))), Unauthenticated, NotFound)
)]
#[get("/employees/{employee_id}")]
pub(super) async fn get_employee(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let view = employees::read(&caller, &state, path.into_inner()).await?;
    Ok(with_etag(StatusCode::OK, view.updated_at, &view))
}

/// Find an employee by NIP (how national HR systems address people).
///
/// Find an employee by NIP, the way national HR systems address people. The path stands apart
/// from `/employees/{employee_id}/…` so that no path can be read as another; the earlier
/// `/employees/by-nip/{nip}` still answers the same, with a `Deprecation` header naming this one.
#[utoipa::path(
    tag = "organisation",
    security(("bearer" = [])),
    params(("nip" = String, Path, example = "198503152010012003", description = "The employee's NIP (18 digits)")),
    responses((status = 200, description = "The employee", body = EmployeeView, headers(("ETag" = String))), Unauthenticated, NotFound)
)]
#[get("/employees-by-nip/{nip}")]
pub(super) async fn get_employee_by_nip(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let view = employees::read_by_nip(&caller, &state, path.into_inner()).await?;
    Ok(with_etag(StatusCode::OK, view.updated_at, &view))
}

/// The earlier path of [`get_employee_by_nip`], kept for integrations that use it (RFC 9745's
/// `Deprecation`, and `Link` to its successor).
pub(super) async fn get_employee_by_nip_deprecated(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let nip = path.into_inner();
    let view = employees::read_by_nip(&caller, &state, nip.clone()).await?;
    let mut response = with_etag(StatusCode::OK, view.updated_at, &view);
    let successor = format!("</api/v1/employees-by-nip/{nip}>; rel=\"successor-version\"");
    let headers = response.headers_mut();
    headers.insert(HeaderName::from_static("deprecation"), HeaderValue::from_static("@1796601600"));
    if let Ok(link) = HeaderValue::from_str(&successor) {
        headers.insert(actix_web::http::header::LINK, link);
    }
    Ok(response)
}

/// Change an employee.
///
/// Change an employee. A supervisor who is the employee or anyone below them is refused
/// (`supervisor_cycle`).
#[utoipa::path(
    tag = "organisation",
    security(("bearer" = [])),
    params(("employee_id" = Uuid, Path), ("If-Match" = Option<String>, Header, description = "The ETag you read")),
    request_body = UpdateEmployee,
    responses(
        (status = 200, description = "Updated", body = EmployeeView, headers(("ETag" = String))),
        Unauthenticated, Forbidden, NotFound, Conflict, Stale, Invalid,
    )
)]
#[patch("/employees/{employee_id}")]
pub(super) async fn update_employee(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<Uuid>,
    if_match: IfMatch,
    body: Json<UpdateEmployee>,
) -> Result<HttpResponse, ApiError> {
    let view = employees::update(&caller, &state, path.into_inner(), &if_match, body.into_inner()).await?;
    Ok(with_etag(StatusCode::OK, view.updated_at, &view))
}

/// List the employees below an employee.
///
/// The employees below one: direct reports, or with `depth=all` the whole subtree (one
/// recursive query).
#[utoipa::path(
    tag = "organisation",
    security(("bearer" = [])),
    params(("employee_id" = Uuid, Path), SubordinateQuery, PageParams),
    responses((status = 200, description = "A page of subordinates", body = Page<EmployeeView>), Unauthenticated, NotFound, Invalid)
)]
#[get("/employees/{employee_id}/subordinates")]
pub(super) async fn list_subordinates(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<Uuid>,
    query: Query<SubordinateQuery>,
    page: Query<PageParams>,
) -> Result<web::Json<Page<EmployeeView>>, ApiError> {
    let view =
        employees::subordinates(&caller, &state, path.into_inner(), query.into_inner(), page.into_inner()).await?;
    Ok(web::Json(view))
}
