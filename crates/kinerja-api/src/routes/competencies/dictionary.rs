//! The competency dictionary: the national competencies and an agency's own.

use crate::context::access::{authorize, visible};
use crate::context::caller::Caller;
use crate::context::write::{self, record, Change, IfMatch};
use crate::context::write::{created, with_etag};
use crate::http::checks::{check_code_and_name, duplicate, reject, text_error};
use crate::http::error::responses::{Conflict, Forbidden, Invalid, NotFound, Stale, Unauthenticated};
use crate::http::error::ProblemCode;
use crate::http::error::{ApiError, FieldError};
use crate::http::extract::{Json, Query};
use crate::http::pagination::{Page, PageParams};
use crate::services::competency_profiles::group_of;
use crate::state::AppState;
use actix_web::http::StatusCode;
use actix_web::{get, patch, post, web, HttpResponse};
use chrono::{DateTime, Utc};
use kinerja_domain::audit::AuditEntity;
use kinerja_domain::competency::{self, CompetencyGroup};
use kinerja_domain::limits::is_clean_text;
use kinerja_domain::RegistryAction;
use kinerja_store::coded::Coded;
use kinerja_store::competency_rows::{self as store, CompetencyFilter, CompetencyRow};
use kinerja_store::org_rows::AgencyRow;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

record!(CompetencyRow, AuditEntity::Competency, audited: CompetencyView, agency: |c| c.agency_id,
        lock: store::lock_competency, save: store::update_competency,
        map_err: duplicate(ProblemCode::DuplicateCode, DUPLICATE_COMPETENCY), insert: store::insert_competency);

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
pub(crate) async fn list_competencies(
    caller: Caller,
    state: web::Data<AppState>,
    query: Query<CompetencyQuery>,
    page: Query<PageParams>,
) -> Result<web::Json<Page<CompetencyView>>, ApiError> {
    let request = page.parse()?;
    let agencies = match query.agency_id {
        Some(agency) => Some(vec![visible::<AgencyRow>(&state, &caller, agency).await?.id]),
        None if caller.reads_every_agency() => None,
        None => Some(caller.agency_id().into_iter().collect()),
    };
    let filter = CompetencyFilter { agencies, group: query.group };
    let mut conn = state.read_conn(caller.reads_from).await?;
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
pub(crate) async fn create_competency(
    caller: Caller,
    state: web::Data<AppState>,
    body: Json<CreateCompetency>,
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
        competency_group: Coded(body.group),
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
pub(crate) async fn get_competency(
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
pub(crate) async fn update_competency(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<Uuid>,
    if_match: IfMatch,
    body: Json<UpdateCompetency>,
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
        next.competency_group = Coded(group);
        next.description = body.description.or(next.description);
        if let Some(levels) = &body.levels {
            next.levels = serde_json::to_value(levels).map_err(|e| ApiError::internal(e.to_string()))?;
        }
        Ok(Change::row(next))
    })
    .await?;
    Ok(with_etag(StatusCode::OK, row.updated_at, &CompetencyView::from(&row)))
}
