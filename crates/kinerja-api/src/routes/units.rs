//! Units (unit kerja): a tree per agency.

use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::{delete, get, patch, post, web, HttpResponse};
use chrono::{DateTime, Utc};
use kinerja_domain::audit::AuditEntity;
use kinerja_domain::civil_service::would_cycle;
use kinerja_domain::RegistryAction;
use kinerja_store::org_rows::{self, UnitRow};
use kinerja_store::AsyncPgConnection;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::context::access::{authorize, visible};
use crate::context::caller::Caller;
use crate::context::write::{self, record, Change, IfMatch};
use crate::context::write::{created, with_etag};
use crate::http::checks::{check_code_and_name, duplicate, present, reject};
use crate::http::error::responses::{Conflict, Forbidden, Invalid, NotFound, Stale, Unauthenticated};
use crate::http::error::ProblemCode;
use crate::http::error::{ApiError, FieldError};
use crate::http::extract::{Json, Query};
use crate::http::pagination::{Page, PageParams};
use crate::state::AppState;
use kinerja_store::org_rows::AgencyRow;

record!(UnitRow, AuditEntity::Unit, audited: UnitView, agency: |u| Some(u.agency_id),
        lock: org_rows::lock_unit, save: org_rows::update_unit, map_err: duplicate(ProblemCode::DuplicateCode, DUPLICATE_CODE),
        insert: org_rows::insert_unit);

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct UnitView {
    id: Uuid,
    agency_id: Uuid,
    /// The unit above; null for a top-level unit.
    parent_id: Option<Uuid>,
    #[schema(example = "DISDIK")]
    code: String,
    #[schema(example = "Dinas Pendidikan")]
    name: String,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl From<&UnitRow> for UnitView {
    fn from(u: &UnitRow) -> Self {
        UnitView {
            id: u.id,
            agency_id: u.agency_id,
            parent_id: u.parent_id,
            code: u.code.clone(),
            name: u.name.clone(),
            created_at: u.created_at,
            updated_at: u.updated_at,
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"code": "DISDIK", "name": "Dinas Pendidikan", "parent_id": "0193a0c2-0000-7000-8000-00000000b002"}))]
pub struct CreateUnit {
    #[schema(example = "DISDIK", pattern = "^[A-Za-z0-9._-]{1,32}$")]
    code: String,
    #[schema(example = "Dinas Pendidikan", min_length = 1, max_length = 200)]
    name: String,
    /// A unit of the same agency; absent or null for a top-level unit.
    #[serde(default)]
    parent_id: Option<Uuid>,
}

/// Rename, recode or move a unit; `parent_id: null` makes it top-level.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "Dinas Pendidikan dan Kebudayaan", "parent_id": "0193a0c2-0000-7000-8000-00000000b002"}))]
pub struct UpdateUnit {
    #[schema(pattern = "^[A-Za-z0-9._-]{1,32}$")]
    code: Option<String>,
    #[schema(min_length = 1, max_length = 200)]
    name: Option<String>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<Uuid>)]
    parent_id: Option<Option<Uuid>>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UnitFilter {
    /// Only the direct sub-units of this unit.
    parent_id: Option<Uuid>,
    /// Only units changed at or after this moment (RFC 3339).
    updated_since: Option<chrono::DateTime<chrono::Utc>>,
}

/// A unit with its sub-units, recursively.
#[derive(Debug, Serialize, ToSchema)]
pub struct UnitTree {
    #[serde(flatten)]
    unit: UnitView,
    #[schema(no_recursion)]
    children: Vec<UnitTree>,
}

/// Checks that `parent` is a unit of `agency` and, when `unit` already exists, not below it.
async fn check_parent(
    tx: &mut AsyncPgConnection,
    agency: Uuid,
    unit: Option<Uuid>,
    parent: Uuid,
) -> Result<(), ApiError> {
    match org_rows::get_unit(tx, parent).await? {
        Some(p) if p.agency_id == agency => {}
        _ => return Err(ApiError::validation("parent_id", "invalid_parent", "no unit with that id in this agency")),
    }
    if let Some(unit) = unit {
        let ancestors = org_rows::unit_ancestors(tx, agency, parent).await?;
        if would_cycle(&unit, &parent, &ancestors) {
            return Err(ApiError::Validation(vec![FieldError::new(
                "parent_id",
                "unit_cycle",
                "a unit cannot move below itself or one of its own sub-units",
            )]));
        }
    }
    Ok(())
}

const DUPLICATE_CODE: &str = "the agency has a unit with that code";

/// List an agency's units (filter by `parent_id` for one level of the tree).
#[utoipa::path(
    tag = "organisation",
    security(("bearer" = [])),
    params(("agency_id" = Uuid, Path), UnitFilter, PageParams),
    responses((status = 200, description = "A page of units", body = Page<UnitView>), Unauthenticated, NotFound, Invalid)
)]
#[get("/agencies/{agency_id}/units")]
pub(super) async fn list_units(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<Uuid>,
    filter: Query<UnitFilter>,
    page: Query<PageParams>,
) -> Result<web::Json<Page<UnitView>>, ApiError> {
    let request = page.parse()?;
    let agency = visible::<AgencyRow>(&state, &caller, path.into_inner()).await?;
    let mut conn = state.read_conn(caller.reads_from).await?;
    let rows = org_rows::list_units(
        &mut conn,
        agency.id,
        filter.parent_id,
        filter.updated_since,
        request.after,
        request.fetch(),
    )
    .await?;
    Ok(web::Json(Page::from_rows(rows, request, |u| u.id, |u| UnitView::from(&u))))
}

/// Create a unit in an agency.
#[utoipa::path(
    tag = "organisation",
    security(("bearer" = [])),
    params(("agency_id" = Uuid, Path)),
    request_body = CreateUnit,
    responses(
        (status = 201, description = "Created", body = UnitView, headers(("Location" = String), ("ETag" = String))),
        Unauthenticated, Forbidden, NotFound, Conflict, Invalid,
    )
)]
#[post("/agencies/{agency_id}/units")]
pub(super) async fn create_unit(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<Uuid>,
    body: Json<CreateUnit>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let agency = visible::<AgencyRow>(&state, &caller, path.into_inner()).await?;
    authorize(&caller, RegistryAction::Write, agency.id, "agency")?;
    reject(check_code_and_name(Some(&body.code), Some(&body.name)))?;
    let now = Utc::now();
    let row = UnitRow {
        id: Uuid::now_v7(),
        agency_id: agency.id,
        parent_id: body.parent_id,
        code: body.code,
        name: body.name.trim().to_owned(),
        created_at: now,
        updated_at: now,
    };
    let row = write::create(&state, &caller, row, async |tx, row| match row.parent_id {
        Some(parent) => check_parent(tx, row.agency_id, None, parent).await,
        None => Ok(()),
    })
    .await?;
    Ok(created(format!("/api/v1/units/{}", row.id), row.updated_at, &UnitView::from(&row)))
}

/// Read a unit.
#[utoipa::path(
    tag = "organisation",
    security(("bearer" = [])),
    params(("unit_id" = Uuid, Path)),
    responses((status = 200, description = "The unit", body = UnitView, headers(("ETag" = String))), Unauthenticated, NotFound)
)]
#[get("/units/{unit_id}")]
pub(super) async fn get_unit(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let unit = visible::<UnitRow>(&state, &caller, path.into_inner()).await?;
    Ok(with_etag(StatusCode::OK, unit.updated_at, &UnitView::from(&unit)))
}

/// Rename or move a unit.
///
/// Rename or move a unit. A move below itself or one of its sub-units is refused (`unit_cycle`).
#[utoipa::path(
    tag = "organisation",
    security(("bearer" = [])),
    params(("unit_id" = Uuid, Path), ("If-Match" = Option<String>, Header, description = "The ETag you read")),
    request_body = UpdateUnit,
    responses(
        (status = 200, description = "Updated", body = UnitView, headers(("ETag" = String))),
        Unauthenticated, Forbidden, NotFound, Conflict, Stale, Invalid,
    )
)]
#[patch("/units/{unit_id}")]
pub(super) async fn update_unit(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<Uuid>,
    if_match: IfMatch,
    body: Json<UpdateUnit>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    reject(check_code_and_name(body.code.as_deref(), body.name.as_deref()))?;
    let row = write::update_registry(
        &state,
        &caller,
        &if_match,
        path.into_inner(),
        "update",
        async |tx, current: &UnitRow| {
            let mut next = current.clone();
            next.code = body.code.unwrap_or(next.code);
            next.name = body.name.map_or(next.name, |n| n.trim().to_owned());
            next.parent_id = body.parent_id.unwrap_or(next.parent_id);
            if next.parent_id != current.parent_id {
                org_rows::lock_hierarchy(tx, current.agency_id).await?;
                if let Some(parent) = next.parent_id {
                    check_parent(tx, current.agency_id, Some(current.id), parent).await?;
                }
            }
            Ok(Change::row(next))
        },
    )
    .await?;
    Ok(with_etag(StatusCode::OK, row.updated_at, &UnitView::from(&row)))
}

/// Delete a unit that has no sub-units, positions or employees (`unit_not_empty` otherwise).
#[utoipa::path(
    tag = "organisation",
    security(("bearer" = [])),
    params(("unit_id" = Uuid, Path), ("If-Match" = Option<String>, Header, description = "The ETag you read")),
    responses((status = 204, description = "Deleted"), Unauthenticated, Forbidden, NotFound, Conflict, Stale)
)]
#[delete("/units/{unit_id}")]
pub(super) async fn delete_unit(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<Uuid>,
    if_match: IfMatch,
) -> Result<HttpResponse, ApiError> {
    let visible = visible::<UnitRow>(&state, &caller, path.into_inner()).await?;
    authorize(&caller, RegistryAction::Write, visible.agency_id, "unit")?;
    let not_empty = || ApiError::Conflict {
        code: ProblemCode::UnitNotEmpty,
        detail: "the unit still has sub-units, positions or employees; move them first".into(),
    };
    write::delete(&state, &caller, &if_match, visible.id, async |tx, current: &UnitRow| {
        org_rows::lock_hierarchy(tx, current.agency_id).await?;
        if org_rows::unit_has_members(tx, current.id).await? {
            return Err(not_empty());
        }
        org_rows::delete_unit(tx, current).await.map_err(|e| match e {
            kinerja_store::StoreError::MissingReference(_) => not_empty(),
            other => other.into(),
        })?;
        Ok(())
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The unit with all its sub-units, nested, read in one recursive query.
#[utoipa::path(
    tag = "organisation",
    security(("bearer" = [])),
    params(("unit_id" = Uuid, Path)),
    responses((status = 200, description = "The subtree", body = UnitTree), Unauthenticated, NotFound)
)]
#[get("/units/{unit_id}/tree")]
pub(super) async fn get_unit_tree(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<Uuid>,
) -> Result<web::Json<UnitTree>, ApiError> {
    let root = visible::<UnitRow>(&state, &caller, path.into_inner()).await?;
    let mut conn = state.read_conn(caller.reads_from).await?;
    let rows = org_rows::unit_subtree(&mut conn, &root).await?;
    let mut children: HashMap<Uuid, Vec<&UnitRow>> = HashMap::new();
    for row in &rows {
        if let Some(parent) = row.parent_id {
            children.entry(parent).or_default().push(row);
        }
    }
    Ok(web::Json(nest(&root, &children)))
}

/// Builds the nested tree below `unit` from the subtree's rows grouped by parent.
fn nest(unit: &UnitRow, children: &HashMap<Uuid, Vec<&UnitRow>>) -> UnitTree {
    let below = children.get(&unit.id).map(|rows| rows.iter().map(|child| nest(child, children)).collect());
    UnitTree { unit: UnitView::from(unit), children: below.unwrap_or_default() }
}
