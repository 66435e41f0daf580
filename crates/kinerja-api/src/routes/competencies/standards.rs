//! The competency standard of each position: the levels it requires.

use crate::context::access::{authorize, visible};
use crate::context::caller::Caller;
use crate::context::write::with_etag;
use crate::context::write::{self, IfMatch};
use crate::http::checks::{level_error, reject, unknown_competency, usable_in};
use crate::http::error::responses::{Forbidden, Invalid, NotFound, Stale, Unauthenticated};
use crate::http::error::{ApiError, FieldError};
use crate::http::extract::Json;
use crate::http::pagination::Page;
use crate::services::competency_profiles::group_of;
use crate::state::AppState;
use actix_web::http::StatusCode;
use actix_web::{get, put, web, HttpResponse};
use chrono::{DateTime, Utc};
use kinerja_domain::audit::AuditEntity;
use kinerja_domain::civil_service::PositionKind;
use kinerja_domain::competency::{self, CompetencyGroup};
use kinerja_domain::RegistryAction;
use kinerja_store::competency_rows::{self as store, CompetencyRow, WholeList};
use kinerja_store::org_rows::PositionRow;
use kinerja_store::org_rows::{self};
use kinerja_store::{audit_rows, AsyncConnection, AsyncPgConnection};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use utoipa::ToSchema;
use uuid::Uuid;

// ---- standards ----

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RequiredLevel {
    competency_id: Uuid,
    #[schema(minimum = 1, maximum = 5, example = 3)]
    required_level: u8,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RequirementView {
    competency_id: Uuid,
    code: String,
    name: String,
    group: CompetencyGroup,
    required_level: u8,
    /// Taken from the defaults of the position's kind: the position has no standard of its own.
    from_default: bool,
}

/// Checks a standard: levels 1 to 5, each competency once and usable in `agency` (`None`: the
/// national defaults, national competencies only).
async fn check_standard(
    conn: &mut AsyncPgConnection,
    agency: Option<Uuid>,
    levels: &[RequiredLevel],
) -> Result<Vec<(Uuid, i16)>, ApiError> {
    let ids: Vec<Uuid> = levels.iter().map(|l| l.competency_id).collect();
    let known: HashMap<Uuid, CompetencyRow> =
        store::competencies_by_ids(conn, &ids).await?.into_iter().map(|c| (c.id, c)).collect();
    let mut errors = Vec::new();
    for (i, level) in levels.iter().enumerate() {
        if let Some(error) = level_error(format!("[{i}].required_level"), level.required_level) {
            errors.push(error);
        }
        if ids[..i].contains(&level.competency_id) {
            errors.push(FieldError::new(format!("[{i}].competency_id"), "duplicate", "each competency once"));
        }
        if !known.get(&level.competency_id).is_some_and(|c| usable_in(c, agency)) {
            errors.push(unknown_competency(format!("[{i}].competency_id")));
        }
    }
    reject(errors)?;
    Ok(levels.iter().map(|l| (l.competency_id, i16::from(l.required_level))).collect())
}

async fn requirement_views(
    conn: &mut AsyncPgConnection,
    levels: &[(Uuid, i16, bool)],
) -> Result<Vec<RequirementView>, ApiError> {
    let ids: Vec<Uuid> = levels.iter().map(|l| l.0).collect();
    let names: HashMap<Uuid, CompetencyRow> =
        store::competencies_by_ids(conn, &ids).await?.into_iter().map(|c| (c.id, c)).collect();
    let mut views: Vec<RequirementView> = levels
        .iter()
        .filter_map(|(id, level, from_default)| {
            names.get(id).map(|c| RequirementView {
                competency_id: c.id,
                code: c.code.clone(),
                name: c.name.clone(),
                group: group_of(c),
                required_level: u8::try_from(*level).unwrap_or(0),
                from_default: *from_default,
            })
        })
        .collect();
    views.sort_by(|a, b| a.code.cmp(&b.code));
    Ok(views)
}

/// The standard in force of a position, and its ETag.
async fn position_standard(
    conn: &mut AsyncPgConnection,
    position: &org_rows::PositionRow,
) -> Result<(Vec<RequirementView>, DateTime<Utc>), ApiError> {
    let levels: Vec<(Uuid, i16, bool)> = store::standards(conn, &[position.id])
        .await?
        .into_iter()
        .map(|s| (s.competency_id, s.required_level, s.from_default))
        .collect();
    // The standard's version: its own rows' last change, or the position's (which a change
    // through the API moves too, so emptying the standard still gives a new ETag).
    let changed = store::standard_changed_at(conn, position.id)
        .await?
        .map_or(position.updated_at, |c| c.max(position.updated_at));
    Ok((requirement_views(conn, &levels).await?, changed))
}

/// Read a position's competency standard.
///
/// The position's competency standard: its own required levels, or its kind's defaults
/// (`from_default`) until it has its own.
#[utoipa::path(
    tag = "competencies",
    security(("bearer" = [])),
    params(("position_id" = Uuid, Path)),
    responses((status = 200, description = "The standard", body = Page<RequirementView>, headers(("ETag" = String))), Unauthenticated, NotFound)
)]
#[get("/positions/{position_id}/competency-requirements")]
pub(crate) async fn get_competency_requirements(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let position = visible::<PositionRow>(&state, &caller, path.into_inner()).await?;
    let mut conn = state.db.conn().await?;
    let (views, version) = position_standard(&mut conn, &position).await?;
    Ok(with_etag(StatusCode::OK, version, &Page::whole(views)))
}

/// Replace a position's competency standard.
///
/// Set a position's standard whole; an empty list returns the position to its kind's defaults.
#[utoipa::path(
    tag = "competencies",
    security(("bearer" = [])),
    params(("position_id" = Uuid, Path), ("If-Match" = Option<String>, Header, description = "The ETag you read")),
    request_body(content = Vec<RequiredLevel>, example = json!([{"competency_id": "0193a0c2-0000-7000-8000-000000001001", "required_level": 3}, {"competency_id": "0193a0c2-0000-7000-8000-000000001002", "required_level": 2}])),
    responses(
        (status = 200, description = "The standard now", body = Page<RequirementView>, headers(("ETag" = String))),
        Unauthenticated, Forbidden, NotFound, Stale, Invalid,
    )
)]
#[put("/positions/{position_id}/competency-requirements")]
pub(crate) async fn replace_competency_requirements(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<Uuid>,
    if_match: IfMatch,
    body: Json<Vec<RequiredLevel>>,
) -> Result<HttpResponse, ApiError> {
    let position = visible::<PositionRow>(&state, &caller, path.into_inner()).await?;
    authorize(&caller, RegistryAction::Write, position.agency_id, "position")?;
    if body.len() > competency::MAX_STANDARD_SIZE {
        let message = format!("at most {} competencies in a standard", competency::MAX_STANDARD_SIZE);
        return Err(ApiError::validation("", "too_many", message));
    }
    let levels = check_standard(&mut *state.db.conn().await?, Some(position.agency_id), &body).await?;
    let (after, version) = write::transaction(&state, async |tx| {
        // The position's row stands for its standard: locked, so the version check holds.
        let locked = org_rows::lock_position(tx, position.id).await?.ok_or(ApiError::NotFound("position"))?;
        let (before, version) = position_standard(tx, &locked).await?;
        if_match.check(version)?;
        let at = write::next_version(version);
        store::replace_standard(tx, position.agency_id, position.id, &levels, at).await?;
        org_rows::touch_position(tx, &position, at).await?;
        let (after, version) = position_standard(tx, &org_rows::PositionRow { updated_at: at, ..locked }).await?;
        let event = caller.audit_actor().event(
            AuditEntity::CompetencyStandard,
            position.id,
            "replace",
            Some(position.agency_id),
            Some(&serde_json::json!({ "requirements": before })),
            Some(&serde_json::json!({ "requirements": after })),
        );
        audit_rows::record(tx, event).await?;
        Ok((after, version))
    })
    .await?;
    Ok(with_etag(StatusCode::OK, version, &Page::whole(after)))
}

/// Read the default competency standard of a position kind.
///
/// The default standard of a position kind: what its positions require until they have their
/// own. Loaded by `kinerja admin seed-competencies`; editable.
#[utoipa::path(
    tag = "competencies",
    security(("bearer" = [])),
    params(("position_kind" = PositionKind, Path, description = "The kind of position whose default standard this is")),
    responses((status = 200, description = "The defaults", body = Page<RequirementView>, headers(("ETag" = String))), Unauthenticated, NotFound)
)]
#[get("/competency-requirement-defaults/{position_kind}")]
pub(crate) async fn get_default_requirements(
    _caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let kind = PositionKind::parse(&path).ok_or(ApiError::NotFound("position kind"))?;
    let mut conn = state.db.conn().await?;
    let version = store::list_version(&mut conn, WholeList::DefaultStandard(kind.as_str())).await?;
    let levels: Vec<_> =
        store::default_standard(&mut conn, kind.as_str()).await?.into_iter().map(|(c, l)| (c, l, true)).collect();
    Ok(with_etag(StatusCode::OK, version, &Page::whole(requirement_views(&mut conn, &levels).await?)))
}

/// Replace the default competency standard of a position kind.
///
/// Replace the default standard of a position kind (super admins; national competencies only).
#[utoipa::path(
    tag = "competencies",
    security(("bearer" = [])),
    params(("position_kind" = PositionKind, Path, description = "The kind of position whose default standard this is"),
           ("If-Match" = Option<String>, Header, description = "The ETag you read")),
    request_body(content = Vec<RequiredLevel>, example = json!([{"competency_id": "0193a0c2-0000-7000-8000-000000001001", "required_level": 3}, {"competency_id": "0193a0c2-0000-7000-8000-000000001002", "required_level": 2}])),
    responses(
        (status = 200, description = "The defaults now", body = Page<RequirementView>, headers(("ETag" = String))),
        Unauthenticated, Forbidden, NotFound, Stale, Invalid,
    )
)]
#[put("/competency-requirement-defaults/{position_kind}")]
pub(crate) async fn replace_default_requirements(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<String>,
    if_match: IfMatch,
    body: Json<Vec<RequiredLevel>>,
) -> Result<HttpResponse, ApiError> {
    let kind = PositionKind::parse(&path).ok_or(ApiError::NotFound("position kind"))?;
    if !caller.is_super_admin() {
        return Err(ApiError::Forbidden("the default standards are kept by super admins"));
    }
    let mut conn = state.db.conn().await?;
    let levels = check_standard(&mut conn, None, &body).await?;
    let (views, at) = replace_defaults(&mut conn, &caller, kind, &if_match, &levels).await?;
    Ok(with_etag(StatusCode::OK, at, &Page::whole(views)))
}

/// Replaces a kind's defaults in one transaction: the list locked, so that the version check
/// holds against a concurrent replacement; changed; audited.
async fn replace_defaults(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    kind: PositionKind,
    if_match: &IfMatch,
    levels: &[(Uuid, i16)],
) -> Result<(Vec<RequirementView>, DateTime<Utc>), ApiError> {
    let list = WholeList::DefaultStandard(kind.as_str());
    conn.transaction::<_, ApiError, _>(async |tx| {
        let version = store::lock_list(tx, list).await?;
        if_match.check(version)?;
        let before = store::default_standard(tx, kind.as_str()).await?;
        let at = write::next_version(version);
        store::replace_default_standard(tx, kind.as_str(), levels, at).await?;
        store::set_list_version(tx, list, at).await?;
        let with_flag: Vec<_> = levels.iter().map(|(c, l)| (*c, *l, true)).collect();
        let views = requirement_views(tx, &with_flag).await?;
        let trail = |levels: &[(Uuid, i16)]| serde_json::json!({"position_kind": kind.as_str(), "levels": levels});
        // The defaults have no id of their own: the nil id stands for the national table.
        let event = caller.audit_actor().event(
            AuditEntity::CompetencyStandardDefault,
            Uuid::nil(),
            "replace",
            None,
            Some(&trail(&before)),
            Some(&trail(levels)),
        );
        audit_rows::record(tx, event).await?;
        Ok((views, at))
    })
    .await
}
