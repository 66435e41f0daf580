//! Positions (jabatan) of an agency, each of a kind and, for functional positions, a level.

use actix_web::http::StatusCode;
use actix_web::{get, patch, post, web, HttpResponse};
use chrono::{DateTime, Utc};
use kinerja_domain::audit::AuditEntity;
use kinerja_domain::civil_service::{FunctionalLevel, PositionKind};
use kinerja_domain::RegistryAction;
use kinerja_store::coded::Coded;
use kinerja_store::org_rows::{self, PositionRow};
use kinerja_store::AsyncPgConnection;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::context::access::{authorize, visible};
use crate::context::caller::Caller;
use crate::context::write::{self, record, Change, IfMatch};
use crate::context::write::{created, with_etag};
use crate::http::checks::{check_code_and_name, check_position_level, duplicate, present, reject};
use crate::http::error::responses::{Conflict, Forbidden, Invalid, NotFound, Stale, Unauthenticated};
use crate::http::error::ApiError;
use crate::http::error::ProblemCode;
use crate::http::extract::{Json, Query};
use crate::http::pagination::{Page, PageParams};
use crate::state::AppState;
use kinerja_store::org_rows::AgencyRow;

record!(PositionRow, AuditEntity::Position, audited: PositionView, agency: |p| Some(p.agency_id),
        lock: org_rows::lock_position, save: org_rows::update_position, map_err: duplicate(ProblemCode::DuplicateCode, DUPLICATE_CODE),
        insert: org_rows::insert_position);

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PositionView {
    id: Uuid,
    agency_id: Uuid,
    unit_id: Option<Uuid>,
    #[schema(example = "GURU-AM")]
    code: String,
    #[schema(example = "Guru Ahli Muda")]
    name: String,
    kind: PositionKind,
    /// Functional positions only.
    level: Option<FunctionalLevel>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl From<&PositionRow> for PositionView {
    fn from(p: &PositionRow) -> Self {
        PositionView {
            id: p.id,
            agency_id: p.agency_id,
            unit_id: p.unit_id,
            code: p.code.clone(),
            name: p.name.clone(),
            // Stored codes are checked by the table; an unknown one cannot be read back.
            kind: p.kind.0,
            level: p.level.map(|c| c.0),
            created_at: p.created_at,
            updated_at: p.updated_at,
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"code": "KASUBBAG-UMUM", "name": "Kepala Subbagian Umum dan Kepegawaian", "kind": "pengawas", "unit_id": "0193a0c2-0000-7000-8000-00000000b001"}))]
pub struct CreatePosition {
    #[schema(example = "GURU-AM", pattern = "^[A-Za-z0-9._-]{1,32}$")]
    code: String,
    #[schema(example = "Guru Ahli Muda", min_length = 1, max_length = 200)]
    name: String,
    kind: PositionKind,
    /// Required for `fungsional`, refused for the other kinds.
    #[serde(default)]
    level: Option<FunctionalLevel>,
    #[serde(default)]
    unit_id: Option<Uuid>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "Kepala Subbagian Umum, Kepegawaian dan Keuangan"}))]
pub struct UpdatePosition {
    #[schema(pattern = "^[A-Za-z0-9._-]{1,32}$")]
    code: Option<String>,
    #[schema(min_length = 1, max_length = 200)]
    name: Option<String>,
    kind: Option<PositionKind>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<FunctionalLevel>)]
    level: Option<Option<FunctionalLevel>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<Uuid>)]
    unit_id: Option<Option<Uuid>>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PositionFilter {
    unit_id: Option<Uuid>,
    /// Only positions of this kind.
    kind: Option<PositionKind>,
    /// Only positions changed at or after this moment (RFC 3339).
    updated_since: Option<chrono::DateTime<chrono::Utc>>,
}

async fn check_unit(conn: &mut AsyncPgConnection, agency: Uuid, unit: Option<Uuid>) -> Result<(), ApiError> {
    if let Some(unit) = unit {
        if !org_rows::unit_in_agency(conn, unit, agency).await? {
            return Err(ApiError::validation("unit_id", "not_found", "no unit with that id in this agency"));
        }
    }
    Ok(())
}

const DUPLICATE_CODE: &str = "the agency has a position with that code";

/// List an agency's positions, optionally of one unit or kind.
#[utoipa::path(
    tag = "organisation",
    security(("bearer" = [])),
    params(("agency_id" = Uuid, Path), PositionFilter, PageParams),
    responses((status = 200, description = "A page of positions", body = Page<PositionView>), Unauthenticated, NotFound, Invalid)
)]
#[get("/agencies/{agency_id}/positions")]
pub(super) async fn list_positions(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<Uuid>,
    filter: Query<PositionFilter>,
    page: Query<PageParams>,
) -> Result<web::Json<Page<PositionView>>, ApiError> {
    let request = page.parse()?;
    let agency = visible::<AgencyRow>(&state, &caller, path.into_inner()).await?;
    let mut conn = state.read_conn(caller.reads_from).await?;
    let kind = filter.kind.map(PositionKind::as_str);
    let rows = org_rows::list_positions(
        &mut conn,
        agency.id,
        filter.unit_id,
        kind,
        filter.updated_since,
        request.after,
        request.fetch(),
    )
    .await?;
    Ok(web::Json(Page::from_rows(rows, request, |p| p.id, |p| PositionView::from(&p))))
}

/// Create a position.
#[utoipa::path(
    tag = "organisation",
    security(("bearer" = [])),
    params(("agency_id" = Uuid, Path)),
    request_body = CreatePosition,
    responses(
        (status = 201, description = "Created", body = PositionView, headers(("Location" = String), ("ETag" = String))),
        Unauthenticated, Forbidden, NotFound, Conflict, Invalid,
    )
)]
#[post("/agencies/{agency_id}/positions")]
pub(super) async fn create_position(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<Uuid>,
    body: Json<CreatePosition>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let agency = visible::<AgencyRow>(&state, &caller, path.into_inner()).await?;
    authorize(&caller, RegistryAction::Write, agency.id, "agency")?;
    let mut errors = check_code_and_name(Some(&body.code), Some(&body.name));
    errors.extend(check_position_level(body.kind, body.level));
    reject(errors)?;
    check_unit(&mut *state.db.conn().await?, agency.id, body.unit_id).await?;
    let now = Utc::now();
    let row = PositionRow {
        id: Uuid::now_v7(),
        agency_id: agency.id,
        unit_id: body.unit_id,
        code: body.code,
        name: body.name.trim().to_owned(),
        kind: Coded(body.kind),
        level: body.level.map(Coded),
        created_at: now,
        updated_at: now,
    };
    let row = write::create(&state, &caller, row, async |_, _| Ok(())).await?;
    Ok(created(format!("/api/v1/positions/{}", row.id), row.updated_at, &PositionView::from(&row)))
}

/// Read a position.
#[utoipa::path(
    tag = "organisation",
    security(("bearer" = [])),
    params(("position_id" = Uuid, Path)),
    responses((status = 200, description = "The position", body = PositionView, headers(("ETag" = String))), Unauthenticated, NotFound)
)]
#[get("/positions/{position_id}")]
pub(super) async fn get_position(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let position = visible::<PositionRow>(&state, &caller, path.into_inner()).await?;
    Ok(with_etag(StatusCode::OK, position.updated_at, &PositionView::from(&position)))
}

/// Change a position.
#[utoipa::path(
    tag = "organisation",
    security(("bearer" = [])),
    params(("position_id" = Uuid, Path), ("If-Match" = Option<String>, Header, description = "The ETag you read")),
    request_body = UpdatePosition,
    responses(
        (status = 200, description = "Updated", body = PositionView, headers(("ETag" = String))),
        Unauthenticated, Forbidden, NotFound, Conflict, Stale, Invalid,
    )
)]
#[patch("/positions/{position_id}")]
pub(super) async fn update_position(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<Uuid>,
    if_match: IfMatch,
    body: Json<UpdatePosition>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    reject(check_code_and_name(body.code.as_deref(), body.name.as_deref()))?;
    let row = write::update_registry(
        &state,
        &caller,
        &if_match,
        path.into_inner(),
        "update",
        async |tx, current: &PositionRow| {
            let before = PositionView::from(current);
            let kind = body.kind.unwrap_or(before.kind);
            let level = body.level.unwrap_or(before.level);
            reject(check_position_level(kind, level))?;
            let mut next = current.clone();
            next.unit_id = body.unit_id.unwrap_or(current.unit_id);
            check_unit(tx, current.agency_id, next.unit_id).await?;
            next.code = body.code.unwrap_or(next.code);
            next.name = body.name.map_or(next.name, |n| n.trim().to_owned());
            next.kind = Coded(kind);
            next.level = level.map(Coded);
            Ok(Change::row(next))
        },
    )
    .await?;
    Ok(with_etag(StatusCode::OK, row.updated_at, &PositionView::from(&row)))
}
