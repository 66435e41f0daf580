//! Competencies (PermenPANRB 38/2017): the dictionary, the standard of each position, the
//! assessors an agency appoints, 360° assessments, and each employee's competency profile with
//! gaps and job-person match. The rules live in `kinerja_domain::competency`.

use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::{get, patch, post, put, web, HttpResponse};
use chrono::{DateTime, Utc};
use kinerja_domain::audit::AuditEntity;
use kinerja_domain::civil_service::PositionKind;
use kinerja_domain::competency::{self, Assessor, CompetencyGroup, Potential, Source};
use kinerja_domain::limits::is_clean_text;
use kinerja_domain::objection::calendar_day;
use kinerja_domain::RegistryAction;
use kinerja_store::competencies::{
    self as store, AssessmentFilter, AssessmentRow, CompetencyFilter, CompetencyRow, RatingRow,
};
use kinerja_store::org::{self, EmployeeRow};
use kinerja_store::{audit, identity, AsyncConnection, AsyncPgConnection};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::access::{authorize, visible, visible_employee};
use crate::auth::Caller;
use crate::checks::{check_code_and_name, duplicate, level_error, reject, text_error, unknown_competency, usable_in};
use crate::error::responses::{Conflict, Forbidden, Invalid, NotFound, Stale, Unauthenticated};
use crate::error::{ApiError, FieldError};
use crate::pagination::{Page, PageParams};
use crate::profiles::{group_of, profile_view, CompetencyProfile, PeriodParam};
use crate::write::{self, record, Change, IfMatch};
use crate::write::{created, with_etag};
use crate::AppState;
use kinerja_store::org::AgencyRow;
use kinerja_store::org::PositionRow;

record!(CompetencyRow, AuditEntity::Competency, audited: CompetencyView, agency: |c| c.agency_id,
        lock: store::lock_competency, save: store::update_competency,
        map_err: duplicate("duplicate_code", DUPLICATE_COMPETENCY), insert: store::insert_competency);

// ---- the dictionary ----

/// What a level of a competency looks like in behaviour.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LevelDescription {
    #[schema(minimum = 1, maximum = 5, example = 3)]
    level: u8,
    #[schema(example = "Memastikan integritas dijaga di unit kerjanya")]
    description: String,
    /// Behaviour indicators of the level.
    #[serde(default)]
    indicators: Vec<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CompetencyView {
    id: Uuid,
    /// `null`: the national dictionary.
    agency_id: Option<Uuid>,
    #[schema(example = "M-INT")]
    code: String,
    #[schema(example = "Integritas")]
    name: String,
    group: CompetencyGroup,
    description: Option<String>,
    levels: Vec<LevelDescription>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl From<&CompetencyRow> for CompetencyView {
    fn from(c: &CompetencyRow) -> Self {
        CompetencyView {
            id: c.id,
            agency_id: c.agency_id,
            code: c.code.clone(),
            name: c.name.clone(),
            group: group_of(c),
            description: c.description.clone(),
            levels: serde_json::from_value(c.levels.clone()).unwrap_or_default(),
            created_at: c.created_at,
            updated_at: c.updated_at,
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"code": "TEK-PENGADAAN", "name": "Pengadaan Barang/Jasa", "group": "teknis", "description": "Merencanakan dan melaksanakan pengadaan barang/jasa pemerintah sesuai ketentuan.", "levels": [{"level": 1, "description": "Memahami prinsip dasar pengadaan", "indicators": ["Menjelaskan tahapan pengadaan"]}, {"level": 2, "description": "Menyusun dokumen pengadaan sederhana", "indicators": []}, {"level": 3, "description": "Melaksanakan pemilihan penyedia", "indicators": []}, {"level": 4, "description": "Mengendalikan kontrak pengadaan yang kompleks", "indicators": []}, {"level": 5, "description": "Merumuskan kebijakan pengadaan instansi", "indicators": []}]}))]
pub struct CreateCompetency {
    #[schema(example = "T-PBJ", pattern = "^[A-Za-z0-9._-]{1,32}$")]
    code: String,
    #[schema(example = "Pengadaan Barang/Jasa")]
    name: String,
    group: CompetencyGroup,
    #[serde(default)]
    description: Option<String>,
    /// `null` or absent: the national dictionary (super admins). An agency's own competencies
    /// are technical.
    #[serde(default)]
    agency_id: Option<Uuid>,
    /// All five levels, 1 to 5, each once.
    levels: Vec<LevelDescription>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"description": "Merencanakan, melaksanakan dan mengendalikan pengadaan barang/jasa pemerintah."}))]
pub struct UpdateCompetency {
    #[schema(pattern = "^[A-Za-z0-9._-]{1,32}$")]
    code: Option<String>,
    name: Option<String>,
    group: Option<CompetencyGroup>,
    description: Option<String>,
    levels: Option<Vec<LevelDescription>>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CompetencyQuery {
    /// Only competencies of this group.
    group: Option<CompetencyGroup>,
    /// The national dictionary and this agency's own (default: the caller's agency).
    agency_id: Option<Uuid>,
}

/// A competency is described on each of the levels 1 to 5, once.
fn check_levels(levels: &[LevelDescription]) -> Vec<FieldError> {
    let mut errors = Vec::new();
    let mut seen: Vec<u8> = levels.iter().map(|l| l.level).collect();
    seen.sort_unstable();
    if seen != competency::LEVELS.collect::<Vec<_>>() {
        errors.push(FieldError::new("levels", "invalid_levels", "describe each of the levels 1 to 5 once"));
    }
    for (i, level) in levels.iter().enumerate() {
        errors.extend(text_error(format!("levels[{i}].description"), &level.description, 2000));
        if level.indicators.len() > 20 {
            errors.push(FieldError::new(format!("levels[{i}].indicators"), "too_many", "at most 20 indicators"));
        }
        for (j, indicator) in level.indicators.iter().enumerate() {
            errors.extend(text_error(format!("levels[{i}].indicators[{j}]"), indicator, 500));
        }
    }
    errors
}

fn check_description(description: Option<&str>, errors: &mut Vec<FieldError>) {
    if let Some(d) = description {
        if d.chars().count() > 4000 || !is_clean_text(d) {
            errors.push(FieldError::new("description", "invalid_length", "at most 4000 characters"));
        }
    }
}

fn check_group(agency: Option<Uuid>, group: CompetencyGroup) -> Vec<FieldError> {
    if agency.is_some() && group != CompetencyGroup::Teknis {
        vec![FieldError::new(
            "group",
            "national_only",
            "an agency adds technical competencies; managerial and socio-cultural ones are national",
        )]
    } else {
        Vec::new()
    }
}

const DUPLICATE_COMPETENCY: &str = "a competency with that code exists in the same dictionary";

/// The national dictionary is kept by super admins; an agency's own by whoever writes its registry.
fn authorize_dictionary_write(caller: &Caller, agency: Option<Uuid>) -> Result<(), ApiError> {
    match agency {
        Some(agency) => authorize(caller, RegistryAction::Write, agency, "agency"),
        None if caller.is_super_admin() => Ok(()),
        None => Err(ApiError::Forbidden("the national dictionary is kept by super admins")),
    }
}

/// List competencies: the national dictionary and an agency's own.
#[utoipa::path(
    tag = "competencies",
    security(("bearer" = [])),
    params(CompetencyQuery, PageParams),
    responses((status = 200, description = "A page of competencies", body = Page<CompetencyView>), Unauthenticated, NotFound, Invalid)
)]
#[get("/competencies")]
pub(super) async fn list_competencies(
    caller: Caller,
    state: web::Data<AppState>,
    query: web::Query<CompetencyQuery>,
    page: web::Query<PageParams>,
) -> Result<web::Json<Page<CompetencyView>>, ApiError> {
    let request = page.parse()?;
    let agencies = match query.agency_id {
        Some(agency) => Some(vec![visible::<AgencyRow>(&state, &caller, agency).await?.id]),
        None if caller.is_super_admin() => None,
        None => Some(caller.agency_id().into_iter().collect()),
    };
    let filter = CompetencyFilter { agencies, group: query.group.map(|g| g.as_str().to_owned()) };
    let mut conn = state.db.conn().await?;
    let rows = store::list_competencies(&mut conn, &filter, request.after, request.fetch()).await?;
    Ok(web::Json(Page::from_rows(rows, request, |c| c.id, |c| CompetencyView::from(&c))))
}

/// Add a competency to the national dictionary (super admins) or to an agency's own.
#[utoipa::path(
    tag = "competencies",
    security(("bearer" = [])),
    request_body = CreateCompetency,
    responses(
        (status = 201, description = "Created", body = CompetencyView, headers(("Location" = String), ("ETag" = String))),
        Unauthenticated, Forbidden, NotFound, Conflict, Invalid,
    )
)]
#[post("/competencies")]
pub(super) async fn create_competency(
    caller: Caller,
    state: web::Data<AppState>,
    body: web::Json<CreateCompetency>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    if let Some(agency) = body.agency_id {
        visible::<AgencyRow>(&state, &caller, agency).await?;
    }
    authorize_dictionary_write(&caller, body.agency_id)?;
    let mut errors = check_code_and_name(Some(&body.code), Some(&body.name));
    errors.extend(check_group(body.agency_id, body.group));
    check_description(body.description.as_deref(), &mut errors);
    errors.extend(check_levels(&body.levels));
    reject(errors)?;
    let now = Utc::now();
    let row = CompetencyRow {
        id: Uuid::now_v7(),
        agency_id: body.agency_id,
        code: body.code,
        name: body.name.trim().to_owned(),
        competency_group: body.group.as_str().to_owned(),
        description: body.description,
        levels: serde_json::to_value(&body.levels).map_err(|e| ApiError::internal(e.to_string()))?,
        created_at: now,
        updated_at: now,
    };
    let row = write::create(&state, &caller, row, async |_, _| Ok(())).await?;
    Ok(created(format!("/api/v1/competencies/{}", row.id), row.updated_at, &CompetencyView::from(&row)))
}

/// Read a competency with its levels and behaviour indicators.
#[utoipa::path(
    tag = "competencies",
    security(("bearer" = [])),
    params(("competency_id" = Uuid, Path)),
    responses((status = 200, description = "The competency", body = CompetencyView, headers(("ETag" = String))), Unauthenticated, NotFound)
)]
#[get("/competencies/{competency_id}")]
pub(super) async fn get_competency(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let row = visible::<CompetencyRow>(&state, &caller, path.into_inner()).await?;
    Ok(with_etag(StatusCode::OK, row.updated_at, &CompetencyView::from(&row)))
}

/// Change a competency.
#[utoipa::path(
    tag = "competencies",
    security(("bearer" = [])),
    params(("competency_id" = Uuid, Path), ("If-Match" = Option<String>, Header, description = "The ETag you read")),
    request_body = UpdateCompetency,
    responses(
        (status = 200, description = "Updated", body = CompetencyView, headers(("ETag" = String))),
        Unauthenticated, Forbidden, NotFound, Conflict, Stale, Invalid,
    )
)]
#[patch("/competencies/{competency_id}")]
pub(super) async fn update_competency(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<Uuid>,
    if_match: IfMatch,
    body: web::Json<UpdateCompetency>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let visible = visible::<CompetencyRow>(&state, &caller, path.into_inner()).await?;
    authorize_dictionary_write(&caller, visible.agency_id)?;
    let row = write::update(&state, &caller, &if_match, visible.id, "update", async |_, current: &CompetencyRow| {
        let group = body.group.unwrap_or(CompetencyView::from(current).group);
        let mut errors = check_code_and_name(body.code.as_deref(), body.name.as_deref());
        errors.extend(check_group(current.agency_id, group));
        check_description(body.description.as_deref(), &mut errors);
        if let Some(levels) = &body.levels {
            errors.extend(check_levels(levels));
        }
        reject(errors)?;
        let mut next = current.clone();
        next.code = body.code.unwrap_or(next.code);
        next.name = body.name.map_or(next.name, |n| n.trim().to_owned());
        next.competency_group = group.as_str().to_owned();
        next.description = body.description.or(next.description);
        if let Some(levels) = &body.levels {
            next.levels = serde_json::to_value(levels).map_err(|e| ApiError::internal(e.to_string()))?;
        }
        Ok(Change::row(next))
    })
    .await?;
    Ok(with_etag(StatusCode::OK, row.updated_at, &CompetencyView::from(&row)))
}

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
    position: &org::PositionRow,
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
    responses((status = 200, description = "The standard", body = Vec<RequirementView>, headers(("ETag" = String))), Unauthenticated, NotFound)
)]
#[get("/positions/{position_id}/competency-requirements")]
pub(super) async fn get_competency_requirements(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let position = visible::<PositionRow>(&state, &caller, path.into_inner()).await?;
    let mut conn = state.db.conn().await?;
    let (views, version) = position_standard(&mut conn, &position).await?;
    Ok(with_etag(StatusCode::OK, version, &views))
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
        (status = 200, description = "The standard now", body = Vec<RequirementView>, headers(("ETag" = String))),
        Unauthenticated, Forbidden, NotFound, Stale, Invalid,
    )
)]
#[put("/positions/{position_id}/competency-requirements")]
pub(super) async fn replace_competency_requirements(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<Uuid>,
    if_match: IfMatch,
    body: web::Json<Vec<RequiredLevel>>,
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
        let locked = org::lock_position(tx, position.id).await?.ok_or(ApiError::NotFound("position"))?;
        let (before, version) = position_standard(tx, &locked).await?;
        if_match.check(version)?;
        let at = write::next_version(version);
        store::replace_standard(tx, position.id, &levels, at).await?;
        org::touch_position(tx, position.id, at).await?;
        let (after, version) = position_standard(tx, &org::PositionRow { updated_at: at, ..locked }).await?;
        let event = caller.audit_actor().event(
            AuditEntity::CompetencyStandard,
            position.id,
            "replace",
            Some(position.agency_id),
            Some(&serde_json::json!({ "requirements": before })),
            Some(&serde_json::json!({ "requirements": after })),
        );
        audit::record(tx, event).await?;
        Ok((after, version))
    })
    .await?;
    Ok(with_etag(StatusCode::OK, version, &after))
}

/// Read the default competency standard of a position kind.
///
/// The default standard of a position kind: what its positions require until they have their
/// own. Loaded by `kinerja admin seed-competencies`; editable.
#[utoipa::path(
    tag = "competencies",
    security(("bearer" = [])),
    params(("position_kind" = PositionKind, Path, description = "The kind of position whose default standard this is")),
    responses((status = 200, description = "The defaults", body = Vec<RequirementView>), Unauthenticated, NotFound)
)]
#[get("/competency-requirement-defaults/{position_kind}")]
pub(super) async fn get_default_requirements(
    _caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<web::Json<Vec<RequirementView>>, ApiError> {
    let kind = PositionKind::parse(&path).ok_or(ApiError::NotFound("position kind"))?;
    let mut conn = state.db.conn().await?;
    let levels: Vec<_> =
        store::default_standard(&mut conn, kind.as_str()).await?.into_iter().map(|(c, l)| (c, l, true)).collect();
    Ok(web::Json(requirement_views(&mut conn, &levels).await?))
}

/// Replace the default competency standard of a position kind.
///
/// Replace the default standard of a position kind (super admins; national competencies only).
#[utoipa::path(
    tag = "competencies",
    security(("bearer" = [])),
    params(("position_kind" = PositionKind, Path, description = "The kind of position whose default standard this is")),
    request_body(content = Vec<RequiredLevel>, example = json!([{"competency_id": "0193a0c2-0000-7000-8000-000000001001", "required_level": 3}, {"competency_id": "0193a0c2-0000-7000-8000-000000001002", "required_level": 2}])),
    responses((status = 200, description = "The defaults now", body = Vec<RequirementView>), Unauthenticated, Forbidden, NotFound, Invalid)
)]
#[put("/competency-requirement-defaults/{position_kind}")]
pub(super) async fn replace_default_requirements(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<String>,
    body: web::Json<Vec<RequiredLevel>>,
) -> Result<web::Json<Vec<RequirementView>>, ApiError> {
    let kind = PositionKind::parse(&path).ok_or(ApiError::NotFound("position kind"))?;
    if !caller.is_super_admin() {
        return Err(ApiError::Forbidden("the default standards are kept by super admins"));
    }
    let mut conn = state.db.conn().await?;
    let levels = check_standard(&mut conn, None, &body).await?;
    let before = store::default_standard(&mut conn, kind.as_str()).await?;
    let views = conn
        .transaction::<_, ApiError, _>(async |tx| {
            store::replace_default_standard(tx, kind.as_str(), &levels, Utc::now()).await?;
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
                Some(&trail(&levels)),
            );
            audit::record(tx, event).await?;
            Ok(views)
        })
        .await?;
    Ok(web::Json(views))
}

// ---- assessors ----

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"user_ids": ["0193a0c2-0000-7000-8000-000000003001"]}))]
pub struct AssessorList {
    /// Users of the agency who give `assessor` assessments (an assessment centre's assessors).
    user_ids: Vec<Uuid>,
}

/// The agency's appointed competency assessors.
#[utoipa::path(
    tag = "competencies",
    security(("bearer" = [])),
    params(("agency_id" = Uuid, Path)),
    responses((status = 200, description = "The assessors", body = AssessorList), Unauthenticated, Forbidden, NotFound)
)]
#[get("/agencies/{agency_id}/competency-assessors")]
pub(super) async fn get_competency_assessors(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<Uuid>,
) -> Result<web::Json<AssessorList>, ApiError> {
    let agency = visible::<AgencyRow>(&state, &caller, path.into_inner()).await?;
    authorize(&caller, RegistryAction::ReadPeople, agency.id, "agency")?;
    let mut conn = state.db.conn().await?;
    Ok(web::Json(AssessorList { user_ids: store::assessors(&mut conn, agency.id).await? }))
}

/// Appoint the agency's competency assessors (the whole list).
#[utoipa::path(
    tag = "competencies",
    security(("bearer" = [])),
    params(("agency_id" = Uuid, Path)),
    request_body = AssessorList,
    responses((status = 200, description = "The assessors now", body = AssessorList), Unauthenticated, Forbidden, NotFound, Invalid)
)]
#[put("/agencies/{agency_id}/competency-assessors")]
pub(super) async fn replace_competency_assessors(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<Uuid>,
    body: web::Json<AssessorList>,
) -> Result<web::Json<AssessorList>, ApiError> {
    let agency = visible::<AgencyRow>(&state, &caller, path.into_inner()).await?;
    authorize(&caller, RegistryAction::Write, agency.id, "agency")?;
    let mut users = body.into_inner().user_ids;
    users.sort();
    users.dedup();
    let mut conn = state.db.conn().await?;
    let known = identity::users_of_agency(&mut conn, &users, agency.id).await?;
    let mut errors = Vec::new();
    for (i, user) in users.iter().enumerate() {
        if !known.contains(user) {
            errors.push(FieldError::new(format!("user_ids[{i}]"), "not_found", "no user with that id in this agency"));
        }
    }
    reject(errors)?;
    let before = AssessorList { user_ids: store::assessors(&mut conn, agency.id).await? };
    let after = AssessorList { user_ids: users };
    conn.transaction::<_, ApiError, _>(async |tx| {
        store::replace_assessors(tx, agency.id, &after.user_ids).await?;
        let event = caller.audit_actor().event(
            AuditEntity::CompetencyAssessors,
            agency.id,
            "replace",
            Some(agency.id),
            Some(&before),
            Some(&after),
        );
        audit::record(tx, event).await?;
        Ok(())
    })
    .await?;
    Ok(web::Json(after))
}

// ---- assessments ----

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LevelRating {
    competency_id: Uuid,
    #[schema(minimum = 1, maximum = 5, example = 3)]
    level: u8,
    #[serde(default)]
    note: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"employee_id": "0193a0c2-0000-7000-8000-00000000e001", "period_id": "0193a0c2-0000-7000-8000-00000000d001", "source": "supervisor", "ratings": [{"competency_id": "0193a0c2-0000-7000-8000-000000001001", "level": 3, "note": "Konsisten menjaga integritas dalam pelayanan"}, {"competency_id": "0193a0c2-0000-7000-8000-000000001002", "level": 2}]}))]
pub struct SubmitAssessment {
    employee_id: Uuid,
    period_id: Uuid,
    source: Source,
    ratings: Vec<LevelRating>,
    /// `assessor` assessments only: the potential seen (for the talent 9-box).
    #[serde(default)]
    potential: Option<Potential>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AssessmentView {
    id: Uuid,
    employee_id: Uuid,
    period_id: Uuid,
    source: Source,
    assessor_user_id: Uuid,
    assessor_employee_id: Option<Uuid>,
    potential: Option<Potential>,
    ratings: Vec<LevelRating>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

fn source_of(a: &AssessmentRow) -> Source {
    Source::parse(&a.source).unwrap_or(Source::Peer)
}

fn assessment_view(a: &AssessmentRow, ratings: &[RatingRow]) -> AssessmentView {
    AssessmentView {
        id: a.id,
        employee_id: a.employee_id,
        period_id: a.period_id,
        source: source_of(a),
        assessor_user_id: a.assessor_user_id,
        assessor_employee_id: a.assessor_employee_id,
        potential: a.potential.as_deref().and_then(Potential::parse),
        ratings: ratings
            .iter()
            .filter(|r| r.assessment_id == a.id)
            .map(|r| LevelRating {
                competency_id: r.competency_id,
                level: u8::try_from(r.level).unwrap_or(0),
                note: r.note.clone(),
            })
            .collect(),
        created_at: a.created_at,
        updated_at: a.updated_at,
    }
}

fn check_ratings(ratings: &[LevelRating], known: &HashMap<Uuid, CompetencyRow>, agency: Uuid) -> Vec<FieldError> {
    let mut errors = Vec::new();
    if ratings.is_empty() || ratings.len() > 100 {
        errors.push(FieldError::new("ratings", "invalid_length", "1 to 100 ratings"));
    }
    for (i, r) in ratings.iter().enumerate() {
        if let Some(error) = level_error(format!("ratings[{i}].level"), r.level) {
            errors.push(error);
        }
        if ratings[..i].iter().any(|o| o.competency_id == r.competency_id) {
            errors.push(FieldError::new(format!("ratings[{i}].competency_id"), "duplicate", "each competency once"));
        }
        if !known.get(&r.competency_id).is_some_and(|c| usable_in(c, Some(agency))) {
            errors.push(unknown_competency(format!("ratings[{i}].competency_id")));
        }
        if let Some(note) = &r.note {
            if note.chars().count() > 2000 || !is_clean_text(note) {
                errors.push(FieldError::new(format!("ratings[{i}].note"), "invalid_length", "at most 2000 characters"));
            }
        }
    }
    errors
}

/// How the caller stands to the assessed employee.
async fn assessor_standing(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    user: Uuid,
    employee: &EmployeeRow,
) -> Result<Assessor, ApiError> {
    let own = match caller.employee_id() {
        Some(id) => org::get_employee(conn, id).await?,
        None => None,
    };
    Ok(Assessor {
        is_self: own.as_ref().is_some_and(|o| o.id == employee.id),
        is_supervisor: own.as_ref().is_some_and(|o| employee.supervisor_id == Some(o.id)),
        same_unit: own
            .as_ref()
            .is_some_and(|o| o.id != employee.id && o.unit_id.is_some() && o.unit_id == employee.unit_id),
        appointed: store::is_assessor(conn, employee.agency_id, user).await?,
    })
}

/// Give a competency assessment.
///
/// Give a competency assessment of an employee for a period: `self` (the employee),
/// `supervisor` (their supervisor), `peer` (someone else in the same unit) or `assessor` (an
/// appointed assessor). Submitting again replaces the same assessor's assessment (200) while
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
pub(super) async fn submit_assessment(
    caller: Caller,
    state: web::Data<AppState>,
    body: web::Json<SubmitAssessment>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let user =
        caller.user_id().ok_or(ApiError::Forbidden("assessments are given by people, not integration clients"))?;
    let mut conn = state.db.conn().await?;
    let employee = org::get_employee(&mut conn, body.employee_id)
        .await?
        .filter(|e| caller.agency_id() == Some(e.agency_id))
        .ok_or(ApiError::NotFound("employee"))?;
    let period = kinerja_store::plans::get_period(&mut conn, body.period_id)
        .await?
        .filter(|p| p.agency_id == employee.agency_id)
        .ok_or(ApiError::NotFound("period"))?;
    let standing = assessor_standing(&mut conn, &caller, user, &employee).await?;
    competency::may_assess(body.source, standing).map_err(ApiError::Forbidden)?;
    if calendar_day(Utc::now()) > period.ends_on {
        return Err(ApiError::Conflict {
            code: "period_closed",
            detail: format!("the period ended on {}; its assessments are final", period.ends_on),
        });
    }
    let ids: Vec<Uuid> = body.ratings.iter().map(|r| r.competency_id).collect();
    let known: HashMap<Uuid, CompetencyRow> =
        store::competencies_by_ids(&mut conn, &ids).await?.into_iter().map(|c| (c.id, c)).collect();
    let mut errors = check_ratings(&body.ratings, &known, employee.agency_id);
    if body.potential.is_some() && body.source != Source::Assessor {
        errors.push(FieldError::new("potential", "not_allowed", "only an assessor rates potential"));
    }
    reject(errors)?;
    let earlier = store::find_assessment(&mut conn, employee.id, period.id, body.source.as_str(), user).await?;
    let now = Utc::now();
    let row = AssessmentRow {
        id: earlier.as_ref().map_or_else(Uuid::now_v7, |e| e.id),
        agency_id: employee.agency_id,
        employee_id: employee.id,
        period_id: period.id,
        source: body.source.as_str().to_owned(),
        assessor_user_id: user,
        assessor_employee_id: caller.employee_id(),
        potential: body.potential.map(|p| p.as_str().to_owned()),
        created_at: earlier.as_ref().map_or(now, |e| e.created_at),
        updated_at: now,
    };
    let ratings: Vec<RatingRow> = body
        .ratings
        .iter()
        .map(|r| RatingRow {
            assessment_id: row.id,
            competency_id: r.competency_id,
            level: i16::from(r.level),
            note: r.note.clone(),
        })
        .collect();
    let before = match &earlier {
        Some(e) => Some(assessment_view(e, &store::ratings_of(&mut conn, &[e.id]).await?)),
        None => None,
    };
    let after = assessment_view(&row, &ratings);
    conn.transaction::<_, ApiError, _>(async |tx| {
        store::save_assessment(tx, &row, &ratings, earlier.is_some()).await.map_err(duplicate(
            "assessment_exists",
            "this assessment was just recorded; send it again to replace it",
        ))?;
        let action = if earlier.is_some() { "replace" } else { "create" };
        let event = caller.audit_actor().event(
            AuditEntity::CompetencyAssessment,
            row.id,
            action,
            Some(row.agency_id),
            before.as_ref(),
            Some(&after),
        );
        audit::record(tx, event).await?;
        Ok(())
    })
    .await?;
    if earlier.is_some() {
        Ok(with_etag(StatusCode::OK, row.updated_at, &after))
    } else {
        Ok(created(format!("/api/v1/competency-assessments/{}", row.id), row.updated_at, &after))
    }
}

/// Whether the caller may read this individual assessment (peers' only as a mean, see
/// [`competency::may_read_assessment`]).
async fn may_read(state: &AppState, caller: &Caller, a: &AssessmentRow) -> Result<bool, ApiError> {
    let is_author = caller.user_id() == Some(a.assessor_user_id);
    let reads_people = caller.actor.may_on_registry(RegistryAction::ReadPeople, a.agency_id);
    let reads_employee = is_author || reads_people || reads_employee(state, caller, a.employee_id).await?;
    Ok(competency::may_read_assessment(source_of(a), is_author, reads_people, reads_employee))
}

/// Whether the caller may read the employee's record (their own, or someone below them).
async fn reads_employee(state: &AppState, caller: &Caller, employee: Uuid) -> Result<bool, ApiError> {
    match visible_employee(state, caller, employee).await {
        Ok(_) => Ok(true),
        Err(ApiError::NotFound(_)) => Ok(false),
        Err(e) => Err(e),
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
pub(super) async fn get_assessment(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let mut conn = state.db.conn().await?;
    let row = store::get_assessment(&mut conn, path.into_inner()).await?.ok_or(ApiError::NotFound("assessment"))?;
    drop(conn);
    if !may_read(&state, &caller, &row).await? {
        return Err(ApiError::NotFound("assessment"));
    }
    let mut conn = state.db.conn().await?;
    let ratings = store::ratings_of(&mut conn, &[row.id]).await?;
    Ok(with_etag(StatusCode::OK, row.updated_at, &assessment_view(&row, &ratings)))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AssessmentQuery {
    employee_id: Option<Uuid>,
    period_id: Option<Uuid>,
    /// Only assessments from this source.
    source: Option<Source>,
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
pub(super) async fn list_assessments(
    caller: Caller,
    state: web::Data<AppState>,
    query: web::Query<AssessmentQuery>,
    page: web::Query<PageParams>,
) -> Result<web::Json<Page<AssessmentView>>, ApiError> {
    let request = page.parse()?;
    let mut filter = AssessmentFilter {
        employee_id: query.employee_id,
        period_id: query.period_id,
        source: query.source.map(|s| s.as_str().to_owned()),
        ..Default::default()
    };
    let reads_all = caller.is_super_admin()
        || caller.agency_id().is_some_and(|a| caller.actor.may_on_registry(RegistryAction::ReadPeople, a));
    if !caller.is_super_admin() {
        filter.agency_id = Some(caller.agency_id().ok_or(ApiError::Forbidden("you belong to no agency"))?);
    }
    if !reads_all {
        let user = caller.user_id().ok_or(ApiError::Forbidden("your scopes do not allow reading assessments"))?;
        let reads_employee = match query.employee_id {
            Some(id) => reads_employee(&state, &caller, id).await?,
            None => false,
        };
        if reads_employee {
            filter.hide_peers_except = Some(Some(user));
        } else {
            filter.assessor_user_id = Some(user);
        }
    }
    let mut conn = state.db.conn().await?;
    let rows = store::list_assessments(&mut conn, &filter, request.after, request.fetch()).await?;
    let ids: Vec<Uuid> = rows.iter().map(|a| a.id).collect();
    let ratings = store::ratings_of(&mut conn, &ids).await?;
    Ok(web::Json(Page::from_rows(rows, request, |a| a.id, |a| assessment_view(&a, &ratings))))
}

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
         body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
#[get("/employees/{employee_id}/competency-profile")]
pub(super) async fn get_competency_profile(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<Uuid>,
    query: web::Query<PeriodParam>,
) -> Result<web::Json<CompetencyProfile>, ApiError> {
    Ok(web::Json(profile_view(&state, &caller, path.into_inner(), query.period_id).await?))
}
