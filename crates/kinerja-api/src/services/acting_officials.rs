//! Acting officials (Plt/Plh): an agency admin records that one employee stands in for another
//! (or for whoever holds a position) from a date to a date. While it runs the acting employee
//! approves, rates and decides as the official would (`Caller::is_or_acts_for`), and the audit
//! trail names both; it ends by itself on `ends_on`.

use chrono::{DateTime, NaiveDate, Utc};
use kinerja_domain::acting::{check_delegation, runs_on, ActingKind};
use kinerja_domain::audit::AuditEntity;
use kinerja_domain::objection::calendar_day;
use kinerja_domain::RegistryAction;
use kinerja_store::acting_rows::{self, ActingFilter, ActingRow};
use kinerja_store::coded::Coded;
use kinerja_store::{org_rows, StoreError};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::context::access::authorize;
use crate::context::caller::Caller;
use crate::context::write::{self, record, Change, IfMatch};
use crate::http::checks::{reject, text_error};
use crate::http::error::{ApiError, FieldError};
use crate::http::pagination::{Page, PageParams};
use crate::state::AppState;

record!(ActingRow, AuditEntity::ActingOfficial, audited: ActingView, agency: |a| Some(a.agency_id),
        lock: acting_rows::lock, save: acting_rows::update, map_err: overlap_error, insert: acting_rows::insert);

/// Two stand-ins for one official (or position) at once.
fn overlap_error(e: StoreError) -> ApiError {
    match e {
        StoreError::Duplicate(_) => ApiError::validation(
            "starts_on",
            "overlapping_delegation",
            "someone already stands in for that official or position during these dates",
        ),
        other => other.into(),
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ActingView {
    pub id: Uuid,
    pub agency_id: Uuid,
    /// Who stands in.
    acting_employee_id: Uuid,
    /// For whom: an employee, or whoever holds `for_position_id`.
    for_employee_id: Option<Uuid>,
    for_position_id: Option<Uuid>,
    kind: ActingKind,
    #[schema(example = "2026-03-01")]
    starts_on: NaiveDate,
    #[schema(example = "2026-03-31")]
    ends_on: NaiveDate,
    #[schema(example = "Plh. Kepala Dinas selama dinas luar (SPT No. 094/112/2026)")]
    reason: String,
    /// Whether it runs today (days on the WIB calendar).
    runs_today: bool,
    created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<&ActingRow> for ActingView {
    fn from(a: &ActingRow) -> Self {
        ActingView {
            id: a.id,
            agency_id: a.agency_id,
            acting_employee_id: a.acting_id,
            for_employee_id: a.for_employee_id,
            for_position_id: a.for_position_id,
            kind: a.kind.0,
            starts_on: a.starts_on,
            ends_on: a.ends_on,
            reason: a.reason.clone(),
            runs_today: runs_on(a.starts_on, a.ends_on, calendar_day(Utc::now())),
            created_at: a.created_at,
            updated_at: a.updated_at,
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"acting_employee_id": "0193a0c2-0000-7000-8000-00000000e002", "for_employee_id": "0193a0c2-0000-7000-8000-00000000e001", "kind": "plh", "starts_on": "2026-03-01", "ends_on": "2026-03-14", "reason": "Plh. Kepala Dinas selama cuti (SPT No. 094/112/2026)"}))]
pub struct CreateActing {
    acting_employee_id: Uuid,
    /// Exactly one of `for_employee_id` and `for_position_id`.
    for_employee_id: Option<Uuid>,
    for_position_id: Option<Uuid>,
    kind: ActingKind,
    starts_on: NaiveDate,
    ends_on: NaiveDate,
    /// The decree or letter that names the stand-in.
    #[schema(min_length = 1, max_length = 2000)]
    reason: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"ends_on": "2026-03-10"}))]
pub struct UpdateActing {
    /// End it early, or extend it.
    ends_on: NaiveDate,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ActingQuery {
    /// Super admins only; everyone else sees their own agency.
    agency_id: Option<Uuid>,
    /// Only delegations in which this employee stands in.
    acting_employee_id: Option<Uuid>,
    /// Only delegations standing in for this employee.
    for_employee_id: Option<Uuid>,
    /// Only delegations that run on this day.
    runs_on: Option<NaiveDate>,
}

/// The delegation, if the caller may read it: the agency's readers, the acting employee and the
/// official.
async fn visible_acting(state: &AppState, caller: &Caller, id: Uuid) -> Result<ActingRow, ApiError> {
    let mut conn = state.db.conn().await?;
    let row = acting_rows::get(&mut conn, id).await?.ok_or(ApiError::NotFound("acting official"))?;
    let party = caller.employee_id().is_some_and(|me| me == row.acting_id || Some(me) == row.for_employee_id);
    if party || caller.actor.may_on_registry(RegistryAction::ReadPeople, row.agency_id) {
        Ok(row)
    } else {
        Err(ApiError::NotFound("acting official"))
    }
}

pub async fn list(
    caller: &Caller,
    state: &AppState,
    query: ActingQuery,
    page: PageParams,
) -> Result<Page<ActingView>, ApiError> {
    let request = page.parse()?;
    let mut filter = ActingFilter {
        agency_id: query.agency_id,
        acting_id: query.acting_employee_id,
        for_employee_id: query.for_employee_id,
        runs_on: query.runs_on,
    };
    if !caller.is_super_admin() {
        let own = caller.agency_id().ok_or(ApiError::Forbidden("you belong to no agency"))?;
        if query.agency_id.is_some_and(|a| a != own) {
            return Err(ApiError::Forbidden("you may list the delegations of your own agency only"));
        }
        filter.agency_id = Some(own);
        let me = caller.employee_id();
        let own_part = me.is_some() && (filter.acting_id == me || filter.for_employee_id == me);
        if !own_part && !caller.actor.may_on_registry(RegistryAction::ReadPeople, own) {
            return Err(ApiError::Forbidden("name yourself as acting_employee_id or for_employee_id"));
        }
    }
    let mut conn = state.read_conn(caller.reads_from).await?;
    let rows = acting_rows::list(&mut conn, &filter, request.after, request.fetch()).await?;
    Ok(Page::from_rows(rows, request, |a| a.id, |a| ActingView::from(&a)))
}

pub async fn create(caller: &Caller, state: &AppState, body: CreateActing) -> Result<ActingView, ApiError> {
    let mut conn = state.db.conn().await?;
    let acting = org_rows::get_employee(&mut conn, caller.shard_hint(), body.acting_employee_id)
        .await?
        .filter(|e| caller.is_super_admin() || caller.agency_id() == Some(e.agency_id))
        .ok_or_else(|| ApiError::validation("acting_employee_id", "not_found", "no such employee"))?;
    authorize(caller, RegistryAction::Write, acting.agency_id, "acting official")?;
    let mut errors = Vec::new();
    let mut stands_in_for = Vec::new();
    match (body.for_employee_id, body.for_position_id) {
        (Some(official), None) => {
            if !org_rows::employee_in_agency(&mut conn, official, acting.agency_id).await? {
                errors.push(FieldError::new("for_employee_id", "not_found", "no employee with that id in this agency"));
            }
            stands_in_for.push(official);
        }
        (None, Some(position)) => match org_rows::get_position(&mut conn, position).await? {
            Some(p) if p.agency_id == acting.agency_id => {
                if acting.position_id == Some(p.id) {
                    stands_in_for.push(acting.id);
                }
            }
            _ => {
                errors.push(FieldError::new("for_position_id", "not_found", "no position with that id in this agency"))
            }
        },
        _ => errors.push(FieldError::new(
            "for_employee_id",
            "one_of",
            "name exactly one of for_employee_id and for_position_id",
        )),
    }
    let reason = body.reason.trim().to_owned();
    errors.extend(text_error("reason", &reason, 2000));
    errors.extend(
        check_delegation(acting.id, &stands_in_for, body.starts_on, body.ends_on)
            .into_iter()
            .map(|e| FieldError::new(e.field, e.code, e.message)),
    );
    reject(errors)?;
    let now = Utc::now();
    let row = ActingRow {
        id: Uuid::now_v7(),
        agency_id: acting.agency_id,
        acting_id: acting.id,
        for_employee_id: body.for_employee_id,
        for_position_id: body.for_position_id,
        kind: Coded(body.kind),
        starts_on: body.starts_on,
        ends_on: body.ends_on,
        reason,
        created_at: now,
        updated_at: now,
    };
    let row = write::create(state, caller, row, async |_, _| Ok(())).await?;
    state.sessions.forget_all();
    Ok(ActingView::from(&row))
}

pub async fn read(caller: &Caller, state: &AppState, delegation_id: Uuid) -> Result<ActingView, ApiError> {
    let row = visible_acting(state, caller, delegation_id).await?;
    Ok(ActingView::from(&row))
}

pub async fn update(
    caller: &Caller,
    state: &AppState,
    delegation_id: Uuid,
    if_match: &IfMatch,
    body: UpdateActing,
) -> Result<ActingView, ApiError> {
    let visible = visible_acting(state, caller, delegation_id).await?;
    authorize(caller, RegistryAction::Write, visible.agency_id, "acting official")?;
    let ends_on = body.ends_on;
    let row = write::update(state, caller, if_match, visible.id, "update", async |_, current: &ActingRow| {
        reject(
            check_delegation(current.acting_id, &[], current.starts_on, ends_on)
                .into_iter()
                .map(|e| FieldError::new(e.field, e.code, e.message))
                .collect(),
        )?;
        Ok(Change::row(ActingRow { ends_on, ..current.clone() }))
    })
    .await?;
    state.sessions.forget_all();
    Ok(ActingView::from(&row))
}

pub async fn delete(
    caller: &Caller,
    state: &AppState,
    delegation_id: Uuid,
    if_match: &IfMatch,
) -> Result<(), ApiError> {
    let visible = visible_acting(state, caller, delegation_id).await?;
    authorize(caller, RegistryAction::Write, visible.agency_id, "acting official")?;
    write::delete::<ActingRow>(state, caller, if_match, visible.id, async |tx, current| {
        Ok(acting_rows::delete(tx, current).await?)
    })
    .await?;
    state.sessions.forget_all();
    Ok(())
}
