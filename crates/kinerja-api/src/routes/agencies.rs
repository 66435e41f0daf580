//! Agencies (instansi): the tenants.

use actix_web::http::StatusCode;
use actix_web::{get, patch, post, web, HttpResponse};
use chrono::{DateTime, Utc};
use kinerja_domain::audit::AuditEntity;
use kinerja_domain::objection;
use kinerja_store::org_rows::{self, AgencyRow};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::context::access::visible;
use crate::context::caller::Caller;
use crate::context::write::{self, record, Change, IfMatch};
use crate::context::write::{created, with_etag};
use crate::http::checks::{check_code_and_name, duplicate, reject};
use crate::http::error::responses::{Conflict, Forbidden, Invalid, NotFound, Stale, Unauthenticated};
use crate::http::error::ApiError;
use crate::http::error::ProblemCode;
use crate::http::extract::{Json, Query};
use crate::http::pagination::{Page, PageParams};
use crate::state::AppState;

record!(AgencyRow, AuditEntity::Agency, audited: AgencyView, agency: |a| Some(a.id),
        lock: org_rows::lock_agency, save: org_rows::update_agency, map_err: duplicate(ProblemCode::DuplicateCode, "an agency has that code"), insert: org_rows::insert_agency);

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AgencyView {
    id: Uuid,
    #[schema(example = "KOTA-PKY")]
    code: String,
    #[schema(example = "Pemerintah Kota Palangka Raya")]
    name: String,
    /// Days an employee has to object to an annual rating (PP 30/2019 art. 59: 14).
    #[schema(example = 14, minimum = 1, maximum = 90)]
    objection_window_days: i32,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl From<&AgencyRow> for AgencyView {
    fn from(a: &AgencyRow) -> Self {
        AgencyView {
            id: a.id,
            code: a.code.clone(),
            name: a.name.clone(),
            objection_window_days: a.objection_window_days,
            created_at: a.created_at,
            updated_at: a.updated_at,
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"code": "PEMKAB-BATANGHARI", "name": "Pemerintah Kabupaten Batang Hari", "objection_window_days": 14}))]
pub struct CreateAgency {
    /// 1–32 of `A-Z a-z 0-9 . _ -`; the natural key imports use.
    #[schema(example = "KOTA-PKY", pattern = "^[A-Za-z0-9._-]{1,32}$")]
    code: String,
    #[schema(example = "Pemerintah Kota Palangka Raya", min_length = 1, max_length = 200)]
    name: String,
    /// Days an employee has to object to an annual rating; 14 unless set.
    #[serde(default)]
    #[schema(minimum = 1, maximum = 90)]
    objection_window_days: Option<i32>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"objection_window_days": 21}))]
pub struct UpdateAgency {
    #[schema(pattern = "^[A-Za-z0-9._-]{1,32}$")]
    code: Option<String>,
    #[schema(min_length = 1, max_length = 200)]
    name: Option<String>,
    #[schema(minimum = 1, maximum = 90)]
    objection_window_days: Option<i32>,
}

fn check_window(days: Option<i32>) -> Result<(), ApiError> {
    match days {
        Some(d) if !objection::WINDOW_DAYS_RANGE.contains(&d) => {
            Err(ApiError::validation("objection_window_days", "out_of_range", "from 1 to 90 days"))
        }
        _ => Ok(()),
    }
}

/// List agencies: every agency for a super admin, one's own for everyone else.
#[utoipa::path(
    tag = "organisation",
    security(("bearer" = [])),
    params(PageParams),
    responses((status = 200, description = "A page of agencies", body = Page<AgencyView>), Unauthenticated, Invalid)
)]
#[get("/agencies")]
pub(super) async fn list_agencies(
    caller: Caller,
    state: web::Data<AppState>,
    page: Query<PageParams>,
) -> Result<web::Json<Page<AgencyView>>, ApiError> {
    let request = page.parse()?;
    let only = if caller.reads_every_agency() { None } else { Some(caller.agency_id().unwrap_or(Uuid::nil())) };
    let mut conn = state.read_conn(caller.reads_from).await?;
    let rows = org_rows::list_agencies(&mut conn, only, request.after, request.fetch()).await?;
    Ok(web::Json(Page::from_rows(rows, request, |a| a.id, |a| AgencyView::from(&a))))
}

/// Register an agency (super admins).
#[utoipa::path(
    tag = "organisation",
    security(("bearer" = [])),
    request_body = CreateAgency,
    responses(
        (status = 201, description = "Created", body = AgencyView, headers(("Location" = String), ("ETag" = String))),
        Unauthenticated, Forbidden, Conflict, Invalid,
    )
)]
#[post("/agencies")]
pub(super) async fn create_agency(
    caller: Caller,
    state: web::Data<AppState>,
    body: Json<CreateAgency>,
) -> Result<HttpResponse, ApiError> {
    if !caller.is_super_admin() {
        return Err(ApiError::Forbidden("only a super admin registers agencies"));
    }
    let body = body.into_inner();
    reject(check_code_and_name(Some(&body.code), Some(&body.name)))?;
    check_window(body.objection_window_days)?;
    let now = Utc::now();
    let row = AgencyRow {
        id: Uuid::now_v7(),
        code: body.code,
        name: body.name.trim().to_owned(),
        created_at: now,
        updated_at: now,
        objection_window_days: body.objection_window_days.unwrap_or(objection::DEFAULT_WINDOW_DAYS),
    };
    let row = write::create(&state, &caller, row, async |_, _| Ok(())).await?;
    Ok(created(format!("/api/v1/agencies/{}", row.id), row.updated_at, &AgencyView::from(&row)))
}

/// Read an agency.
#[utoipa::path(
    tag = "organisation",
    security(("bearer" = [])),
    params(("agency_id" = Uuid, Path)),
    responses((status = 200, description = "The agency", body = AgencyView, headers(("ETag" = String))), Unauthenticated, NotFound)
)]
#[get("/agencies/{agency_id}")]
pub(super) async fn get_agency(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let agency = visible::<AgencyRow>(&state, &caller, path.into_inner()).await?;
    Ok(with_etag(StatusCode::OK, agency.updated_at, &AgencyView::from(&agency)))
}

/// Rename an agency or change its code (its admins and super admins).
#[utoipa::path(
    tag = "organisation",
    security(("bearer" = [])),
    params(("agency_id" = Uuid, Path), ("If-Match" = Option<String>, Header, description = "The ETag you read")),
    request_body = UpdateAgency,
    responses(
        (status = 200, description = "Updated", body = AgencyView, headers(("ETag" = String))),
        Unauthenticated, Forbidden, NotFound, Conflict, Stale, Invalid,
    )
)]
#[patch("/agencies/{agency_id}")]
pub(super) async fn update_agency(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<Uuid>,
    if_match: IfMatch,
    body: Json<UpdateAgency>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    reject(check_code_and_name(body.code.as_deref(), body.name.as_deref()))?;
    check_window(body.objection_window_days)?;
    let row = write::update_registry(
        &state,
        &caller,
        &if_match,
        path.into_inner(),
        "update",
        async |_, current: &AgencyRow| {
            let mut next = current.clone();
            next.code = body.code.unwrap_or(next.code);
            next.name = body.name.map_or(next.name, |n| n.trim().to_owned());
            next.objection_window_days = body.objection_window_days.unwrap_or(next.objection_window_days);
            Ok(Change::row(next))
        },
    )
    .await?;
    Ok(with_etag(StatusCode::OK, row.updated_at, &AgencyView::from(&row)))
}
