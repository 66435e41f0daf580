//! Employees (pegawai): identified by NIP, placed in a unit and position, linked to a supervisor.

use chrono::{DateTime, Utc};
use kinerja_domain::audit::AuditEntity;
use kinerja_domain::civil_service::PositionKind;
use kinerja_domain::civil_service::{would_cycle, EmploymentType, Nip};
use kinerja_domain::{RegistryAction, Role};
use kinerja_store::coded::Coded;
use kinerja_store::org_rows::{self, EmployeeFilter, EmployeeKey, EmployeeOrder, EmployeeRow, EmployeeSort};
use kinerja_store::AsyncPgConnection;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::context::access::{agency_for_write, ensure_employee_visible, visible_employee};
use crate::context::caller::Caller;
use crate::context::write::{self, record, Change, IfMatch};
use crate::http::checks::{check_employee_fields, duplicate, present, reject};
use crate::http::error::ProblemCode;
use crate::http::error::{ApiError, FieldError};
use crate::http::pagination::{encode_key, invalid_cursor, Page, PageParams, PageRequest};
use crate::state::AppState;

record!(EmployeeRow, AuditEntity::Employee, audited: EmployeeView, agency: |e| Some(e.agency_id),
        lock: org_rows::lock_employee, save: org_rows::update_employee, map_err: duplicate(ProblemCode::DuplicateNip, DUPLICATE_NIP),
        insert: org_rows::insert_employee);

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct EmployeeView {
    pub id: Uuid,
    #[schema(example = "198503152010012003")]
    nip: String,
    #[schema(example = "Rina Marlina, S.Pd.")]
    name: String,
    pub agency_id: Uuid,
    pub unit_id: Option<Uuid>,
    pub position_id: Option<Uuid>,
    /// The direct supervisor, normally the rating official (pejabat penilai).
    supervisor_id: Option<Uuid>,
    employment_type: EmploymentType,
    #[schema(example = "III/c")]
    grade: Option<String>,
    email: Option<String>,
    /// Legal but unusual facts worth a look, e.g. `appointed_before_age_18`.
    warnings: Vec<String>,
    created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// With `expand=unit`: the unit, for a table to show without another call.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unit: Option<UnitBrief>,
    /// With `expand=position`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub position: Option<PositionBrief>,
    /// With `expand=supervisor`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub supervisor: Option<EmployeeBrief>,
}

/// A unit as a list shows it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct UnitBrief {
    id: Uuid,
    #[schema(example = "DISDIK")]
    code: String,
    #[schema(example = "Dinas Pendidikan")]
    name: String,
}

/// A position as a list shows it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PositionBrief {
    id: Uuid,
    #[schema(example = "GURU-AM")]
    code: String,
    #[schema(example = "Guru Ahli Muda")]
    name: String,
    kind: PositionKind,
}

/// An employee as a list shows another (a supervisor).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct EmployeeBrief {
    id: Uuid,
    #[schema(example = "197204101998032004")]
    nip: String,
    #[schema(example = "Drs. Bambang Sutrisno")]
    name: String,
}

impl From<&EmployeeRow> for EmployeeView {
    fn from(e: &EmployeeRow) -> Self {
        let employment_type = e.employment_type.0;
        let warnings = Nip::parse(&e.nip, employment_type)
            .map(|nip| nip.warnings().into_iter().map(str::to_owned).collect())
            .unwrap_or_default();
        EmployeeView {
            id: e.id,
            nip: e.nip.clone(),
            name: e.name.clone(),
            agency_id: e.agency_id,
            unit_id: e.unit_id,
            position_id: e.position_id,
            supervisor_id: e.supervisor_id,
            employment_type,
            grade: e.grade.clone(),
            email: e.email.clone(),
            warnings,
            created_at: e.created_at,
            updated_at: e.updated_at,
            unit: None,
            position: None,
            supervisor: None,
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"nip": "198503152010012003", "name": "Siti Rahmawati, S.Pd.", "agency_id": "0193a0c2-0000-7000-8000-00000000a001", "employment_type": "pns", "grade": "III/c", "email": "siti.rahmawati@batanghari.go.id", "unit_id": "0193a0c2-0000-7000-8000-00000000b001", "position_id": "0193a0c2-0000-7000-8000-00000000c001", "supervisor_id": "0193a0c2-0000-7000-8000-00000000e002"}))]
pub struct CreateEmployee {
    /// PNS: 18 digits (birth date, first appointment, gender digit, sequence). PPPK: digits.
    #[schema(example = "198503152010012003")]
    nip: String,
    #[schema(example = "Rina Marlina, S.Pd.", min_length = 1, max_length = 200)]
    name: String,
    agency_id: Uuid,
    #[serde(default)]
    unit_id: Option<Uuid>,
    #[serde(default)]
    position_id: Option<Uuid>,
    /// An employee of the same agency.
    #[serde(default)]
    supervisor_id: Option<Uuid>,
    employment_type: EmploymentType,
    /// PNS: I/a … IV/e; PPPK: I … XVII.
    #[serde(default)]
    #[schema(example = "III/c")]
    grade: Option<String>,
    #[serde(default)]
    #[schema(example = "rina.marlina@palangkaraya.go.id")]
    email: Option<String>,
}

/// A partial change; `null` clears an optional field. The agency cannot change.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"grade": "III/d", "supervisor_id": "0193a0c2-0000-7000-8000-00000000e003"}))]
pub struct UpdateEmployee {
    nip: Option<String>,
    #[schema(min_length = 1, max_length = 200)]
    name: Option<String>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<Uuid>)]
    unit_id: Option<Option<Uuid>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<Uuid>)]
    position_id: Option<Option<Uuid>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<Uuid>)]
    supervisor_id: Option<Option<Uuid>>,
    employment_type: Option<EmploymentType>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    grade: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    email: Option<Option<String>>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct EmployeeQuery {
    agency_id: Option<Uuid>,
    unit_id: Option<Uuid>,
    supervisor_id: Option<Uuid>,
    /// A NIP prefix (digits) or part of a name; at most 100 characters.
    #[param(example = "1985", max_length = 100)]
    q: Option<String>,
    /// Only employees changed at or after this moment (RFC 3339): a sync pulls what changed.
    updated_since: Option<DateTime<Utc>>,
    /// The order: `name`, `nip` or `updated_at`, with `-` before it for descending; by id when
    /// absent. The cursor keeps the order, so pages follow on exactly.
    #[param(inline)]
    sort: Option<EmployeeSortParam>,
    /// Related records to embed in each item, comma-separated: `unit`, `position`, `supervisor`.
    #[param(example = "unit,position,supervisor", max_length = 100)]
    expand: Option<String>,
}

/// The orders of an employee list.
#[derive(Debug, Clone, Copy, Deserialize, ToSchema, PartialEq, Eq)]
pub enum EmployeeSortParam {
    #[serde(rename = "name")]
    Name,
    #[serde(rename = "-name")]
    NameDescending,
    #[serde(rename = "nip")]
    Nip,
    #[serde(rename = "-nip")]
    NipDescending,
    #[serde(rename = "updated_at")]
    UpdatedAt,
    #[serde(rename = "-updated_at")]
    UpdatedAtDescending,
}

impl EmployeeSortParam {
    fn order(self) -> (EmployeeOrder, bool) {
        match self {
            EmployeeSortParam::Name => (EmployeeOrder::Name, false),
            EmployeeSortParam::NameDescending => (EmployeeOrder::Name, true),
            EmployeeSortParam::Nip => (EmployeeOrder::Nip, false),
            EmployeeSortParam::NipDescending => (EmployeeOrder::Nip, true),
            EmployeeSortParam::UpdatedAt => (EmployeeOrder::UpdatedAt, false),
            EmployeeSortParam::UpdatedAtDescending => (EmployeeOrder::UpdatedAt, true),
        }
    }

    /// The cursor's first byte: which order it continues.
    fn tag(self) -> u8 {
        self as u8 + 1
    }
}

/// What `expand` asks to embed.
#[derive(Debug, Clone, Copy, Default)]
struct Expand {
    unit: bool,
    position: bool,
    supervisor: bool,
}

impl Expand {
    fn parse(list: Option<&str>) -> Result<Expand, ApiError> {
        let mut expand = Expand::default();
        for name in list.into_iter().flat_map(|l| l.split(',')).map(str::trim).filter(|n| !n.is_empty()) {
            match name {
                "unit" => expand.unit = true,
                "position" => expand.position = true,
                "supervisor" => expand.supervisor = true,
                other => {
                    return Err(ApiError::validation(
                        "expand",
                        "unknown_expansion",
                        format!("`{other}` cannot be expanded; unit, position and supervisor can"),
                    ))
                }
            }
        }
        Ok(expand)
    }
}

/// The cursor after `row`: its id, or in a sorted list the order's tag, its sort value and id.
fn cursor_of(sort: Option<EmployeeSortParam>, row: &EmployeeRow) -> String {
    let Some(sort) = sort else { return encode_key(row.id.as_bytes()) };
    let mut bytes = vec![sort.tag()];
    match sort.order().0 {
        EmployeeOrder::Name => bytes.extend_from_slice(row.name.as_bytes()),
        EmployeeOrder::Nip => bytes.extend_from_slice(row.nip.as_bytes()),
        EmployeeOrder::UpdatedAt => bytes.extend_from_slice(&row.updated_at.timestamp_micros().to_be_bytes()),
    }
    bytes.extend_from_slice(row.id.as_bytes());
    encode_key(&bytes)
}

/// Where a sorted page starts, from a cursor of the same order.
fn sorted_after(sort: EmployeeSortParam, page: &PageParams) -> Result<Option<EmployeeKey>, ApiError> {
    let Some(bytes) = page.cursor_bytes()? else { return Ok(None) };
    let invalid = || invalid_cursor("cursor");
    let (tag, rest) = bytes.split_first().ok_or_else(invalid)?;
    if *tag != sort.tag() || rest.len() < 16 {
        return Err(invalid());
    }
    let (value, id) = rest.split_at(rest.len() - 16);
    let id = Uuid::from_slice(id).map_err(|_| invalid())?;
    Ok(Some(match sort.order().0 {
        EmployeeOrder::UpdatedAt => {
            let micros = i64::from_be_bytes(value.try_into().map_err(|_| invalid())?);
            EmployeeKey::Time(DateTime::from_timestamp_micros(micros).ok_or_else(invalid)?, id)
        }
        EmployeeOrder::Name | EmployeeOrder::Nip => {
            EmployeeKey::Text(String::from_utf8(value.to_vec()).map_err(|_| invalid())?, id)
        }
    }))
}

/// The page's items, with what `expand` asked for read in one query each.
async fn with_expansions(
    conn: &mut AsyncPgConnection,
    rows: &[EmployeeRow],
    expand: Expand,
) -> Result<Vec<EmployeeView>, ApiError> {
    let ids = |pick: fn(&EmployeeRow) -> Option<Uuid>| -> Vec<Uuid> {
        let mut ids: Vec<Uuid> = rows.iter().filter_map(pick).collect();
        ids.sort();
        ids.dedup();
        ids
    };
    let units: HashMap<Uuid, UnitBrief> = if expand.unit {
        let found = org_rows::units_by_ids(conn, &ids(|e| e.unit_id)).await?;
        found.into_iter().map(|u| (u.id, UnitBrief { id: u.id, code: u.code, name: u.name })).collect()
    } else {
        HashMap::new()
    };
    let positions: HashMap<Uuid, PositionBrief> = if expand.position {
        let found = org_rows::positions_by_ids(conn, &ids(|e| e.position_id)).await?;
        found
            .into_iter()
            .map(|p| (p.id, PositionBrief { id: p.id, code: p.code, name: p.name, kind: p.kind.0 }))
            .collect()
    } else {
        HashMap::new()
    };
    let supervisors: HashMap<Uuid, EmployeeBrief> = if expand.supervisor {
        let found = org_rows::employees_by_ids(conn, &ids(|e| e.supervisor_id)).await?;
        found.into_iter().map(|s| (s.id, EmployeeBrief { id: s.id, nip: s.nip, name: s.name })).collect()
    } else {
        HashMap::new()
    };
    Ok(rows
        .iter()
        .map(|row| {
            let mut view = EmployeeView::from(row);
            view.unit = row.unit_id.and_then(|id| units.get(&id).cloned());
            view.position = row.position_id.and_then(|id| positions.get(&id).cloned());
            view.supervisor = row.supervisor_id.and_then(|id| supervisors.get(&id).cloned());
            view
        })
        .collect())
}

#[derive(Debug, Clone, Copy, Default, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Depth {
    /// Direct reports only.
    #[default]
    Direct,
    /// Everyone below, at any depth.
    All,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SubordinateQuery {
    /// `direct` (default) or `all`.
    #[param(inline)]
    depth: Option<Depth>,
}

/// Checks that the unit, position and supervisor belong to the employee's agency.
async fn check_links(tx: &mut AsyncPgConnection, agency: Uuid, e: &EmployeeRow) -> Result<(), ApiError> {
    let mut errors = Vec::new();
    let missing = |field: &str| FieldError::new(field, "not_found", "nothing with that id in this agency");
    if let Some(unit) = e.unit_id {
        if !org_rows::unit_in_agency(tx, unit, agency).await? {
            errors.push(missing("unit_id"));
        }
    }
    if let Some(position) = e.position_id {
        if !org_rows::position_in_agency(tx, position, agency).await? {
            errors.push(missing("position_id"));
        }
    }
    if let Some(supervisor) = e.supervisor_id {
        if !org_rows::employee_in_agency(tx, supervisor, agency).await? {
            errors.push(missing("supervisor_id"));
        }
    }
    reject(errors)
}

/// The longest search text: a name or NIP is far shorter, and a long pattern costs the
/// database dearly.
const MAX_SEARCH_CHARS: usize = 100;

const DUPLICATE_NIP: &str = "an employee with that NIP exists";

pub async fn list(
    caller: &Caller,
    state: &AppState,
    query: EmployeeQuery,
    page: PageParams,
) -> Result<Page<EmployeeView>, ApiError> {
    let request = PageRequest { limit: page.checked_limit()?, after: None };
    if query.q.as_deref().is_some_and(|q| q.chars().count() > MAX_SEARCH_CHARS) {
        return Err(ApiError::validation(
            "q",
            "too_long",
            format!("search with at most {MAX_SEARCH_CHARS} characters"),
        ));
    }
    let expand = Expand::parse(query.expand.as_deref())?;
    let mut filter = EmployeeFilter {
        agency_id: query.agency_id,
        unit_id: query.unit_id,
        supervisor_id: query.supervisor_id,
        q: query.q,
        updated_since: query.updated_since,
        ..EmployeeFilter::default()
    };
    if !caller.reads_every_agency() {
        let own = caller.agency_id().ok_or(ApiError::Forbidden("you belong to no agency"))?;
        if query.agency_id.is_some_and(|a| a != own) {
            return Err(ApiError::Forbidden("you may list the employees of your own agency only"));
        }
        filter.agency_id = Some(own);
        if !caller.actor.may_on_registry(RegistryAction::ReadPeople, own) {
            match caller.employee_id() {
                Some(me) if caller.actor.has_role(Role::Employee) => filter.within_subtree_of = Some(me),
                _ => return Err(ApiError::Forbidden("your role does not allow listing employees")),
            }
        }
    }
    let mut conn = state.read_conn(caller.reads_from).await?;
    let mut rows = match query.sort {
        None => {
            let request = page.parse()?;
            org_rows::list_employees(&mut conn, &filter, request.after, request.fetch()).await?
        }
        Some(sort) => {
            let (by, descending) = sort.order();
            let order = EmployeeSort { by, descending, after: sorted_after(sort, &page)? };
            org_rows::list_employees_sorted(&mut conn, &filter, &order, request.fetch()).await?
        }
    };
    let more = rows.len() > request.limit as usize;
    rows.truncate(request.limit as usize);
    let next_cursor = if more { rows.last().map(|row| cursor_of(query.sort, row)) } else { None };
    Ok(Page { items: with_expansions(&mut conn, &rows, expand).await?, next_cursor })
}

pub async fn create(caller: &Caller, state: &AppState, body: CreateEmployee) -> Result<EmployeeView, ApiError> {
    agency_for_write(state, caller, body.agency_id, "you may not register employees in that agency").await?;
    let name = body.name.trim().to_owned();
    let nip = body.nip.trim().to_owned();
    reject(check_employee_fields(&nip, body.employment_type, body.grade.as_deref(), &name, body.email.as_deref()))?;
    let now = Utc::now();
    let row = EmployeeRow {
        id: Uuid::now_v7(),
        agency_id: body.agency_id,
        nip,
        name,
        unit_id: body.unit_id,
        position_id: body.position_id,
        supervisor_id: body.supervisor_id,
        employment_type: Coded(body.employment_type),
        grade: body.grade,
        email: body.email,
        created_at: now,
        updated_at: now,
    };
    let row = write::create(state, caller, row, async |tx, row| check_links(tx, row.agency_id, row).await).await?;
    Ok(EmployeeView::from(&row))
}

pub async fn read(caller: &Caller, state: &AppState, employee_id: Uuid) -> Result<EmployeeView, ApiError> {
    let employee = visible_employee(state, caller, employee_id).await?;
    Ok(EmployeeView::from(&employee))
}

pub async fn read_by_nip(caller: &Caller, state: &AppState, nip: String) -> Result<EmployeeView, ApiError> {
    let mut conn = state.db.conn().await?;
    let employee = org_rows::employee_by_nip(&mut conn, nip.trim()).await?.ok_or(ApiError::NotFound("employee"))?;
    drop(conn);
    ensure_employee_visible(state, caller, &employee).await?;
    Ok(EmployeeView::from(&employee))
}

pub async fn update(
    caller: &Caller,
    state: &AppState,
    employee_id: Uuid,
    if_match: &IfMatch,
    body: UpdateEmployee,
) -> Result<EmployeeView, ApiError> {
    let id = employee_id;
    let row = write::update_registry(state, caller, if_match, id, "update", async |tx, current: &EmployeeRow| {
        let employment = match body.employment_type {
            Some(e) => e,
            None => current.employment_type.0,
        };
        let mut next = current.clone();
        next.nip = body.nip.map_or(next.nip, |n| n.trim().to_owned());
        next.name = body.name.map_or(next.name, |n| n.trim().to_owned());
        next.unit_id = body.unit_id.unwrap_or(next.unit_id);
        next.position_id = body.position_id.unwrap_or(next.position_id);
        next.supervisor_id = body.supervisor_id.unwrap_or(next.supervisor_id);
        next.employment_type = Coded(employment);
        next.grade = body.grade.unwrap_or(next.grade);
        next.email = body.email.unwrap_or(next.email);
        reject(check_employee_fields(&next.nip, employment, next.grade.as_deref(), &next.name, next.email.as_deref()))?;
        check_links(tx, current.agency_id, &next).await?;
        if next.supervisor_id != current.supervisor_id {
            org_rows::lock_hierarchy(tx, current.agency_id).await?;
            if let Some(supervisor) = next.supervisor_id {
                let chain = org_rows::supervisor_chain(tx, current.agency_id, supervisor).await?;
                if would_cycle(&current.id, &supervisor, &chain) {
                    return Err(ApiError::Validation(vec![FieldError::new(
                        "supervisor_id",
                        "supervisor_cycle",
                        "the supervisor cannot be the employee or anyone below them",
                    )]));
                }
            }
        }
        Ok(Change::row(next))
    })
    .await
    .map_err(|e| match e {
        ApiError::Forbidden(_) => ApiError::Forbidden("your role does not allow changing employee records"),
        other => other,
    })?;
    Ok(EmployeeView::from(&row))
}

pub async fn subordinates(
    caller: &Caller,
    state: &AppState,
    employee_id: Uuid,
    query: SubordinateQuery,
    page: PageParams,
) -> Result<Page<EmployeeView>, ApiError> {
    let request = page.parse()?;
    // Whoever may read an employee may read everyone below them.
    let root = visible_employee(state, caller, employee_id).await?;
    let filter = match query.depth.unwrap_or_default() {
        Depth::Direct => EmployeeFilter {
            agency_id: Some(root.agency_id),
            supervisor_id: Some(root.id),
            ..EmployeeFilter::default()
        },
        Depth::All => {
            EmployeeFilter { agency_id: Some(root.agency_id), below: Some(root.id), ..EmployeeFilter::default() }
        }
    };
    let mut conn = state.read_conn(caller.reads_from).await?;
    let rows = org_rows::list_employees(&mut conn, &filter, request.after, request.fetch()).await?;
    Ok(Page::from_rows(rows, request, |e| e.id, |e| EmployeeView::from(&e)))
}
