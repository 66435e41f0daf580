//! Who may reach which record: the loaders every handler uses before it reads or writes, so a
//! record the caller may not see answers 404 the same way everywhere. The rules themselves are
//! the domain's access table (`kinerja_domain::access`); this applies them to stored rows.

use kinerja_domain::civil_service::heads_unit;
use kinerja_domain::workflow::PlanParty;
use kinerja_domain::{AccountAction, RegistryAction, Relation};
use kinerja_store::competency_rows::CompetencyRow;
use kinerja_store::error::StoreResult;
use kinerja_store::org_rows::{self, AgencyRow, EmployeeRow, PositionRow, UnitRow};
use kinerja_store::plan_rows::{self, PeriodRow, PlanRow};
use kinerja_store::AsyncPgConnection;
use uuid::Uuid;

use crate::context::caller::Caller;
use crate::http::checks::include_subunits;
use crate::http::error::ApiError;
use crate::state::AppState;

/// Applies the registry access table to a record of `agency`: allowed → Ok; readable but not
/// writable → 403; not visible at all → 404, so existence does not leak across agencies.
pub fn authorize(caller: &Caller, action: RegistryAction, agency: Uuid, entity: &'static str) -> Result<(), ApiError> {
    if caller.actor.may_on_registry(action, agency) {
        Ok(())
    } else if caller.actor.may_on_registry(RegistryAction::ReadStructure, agency) {
        Err(ApiError::Forbidden("your role does not allow this here"))
    } else {
        Err(ApiError::NotFound(entity))
    }
}

/// A record of an agency's structure, readable by whoever reads that structure; one of no
/// agency (a national competency) by every caller.
#[allow(async_fn_in_trait)]
pub trait Structural: Sized {
    /// The `not_found` subject.
    const NAME: &'static str;
    fn agency(&self) -> Option<Uuid>;
    async fn get(conn: &mut AsyncPgConnection, id: Uuid) -> StoreResult<Option<Self>>;
}

macro_rules! structural {
    ($row:ty, $name:literal, $get:path, |$r:ident| $agency:expr) => {
        impl Structural for $row {
            const NAME: &'static str = $name;
            fn agency(&self) -> Option<Uuid> {
                let $r = self;
                $agency
            }
            async fn get(conn: &mut AsyncPgConnection, id: Uuid) -> StoreResult<Option<Self>> {
                $get(conn, id).await
            }
        }
    };
}

structural!(AgencyRow, "agency", org_rows::get_agency, |a| Some(a.id));
structural!(UnitRow, "unit", org_rows::get_unit, |u| Some(u.agency_id));
structural!(PositionRow, "position", org_rows::get_position, |p| Some(p.agency_id));
structural!(PeriodRow, "period", period_by_id, |p| Some(p.agency_id));

/// A period by id alone (the structural reads look the row up before its agency is known).
async fn period_by_id(conn: &mut AsyncPgConnection, id: Uuid) -> StoreResult<Option<PeriodRow>> {
    plan_rows::get_period(conn, None, id).await
}
structural!(CompetencyRow, "competency", kinerja_store::competency_rows::get_competency, |c| c.agency_id);

/// Loads a record of the structure the caller may see (404 otherwise).
pub async fn visible<R: Structural>(state: &AppState, caller: &Caller, id: Uuid) -> Result<R, ApiError> {
    let mut conn = state.db.conn().await?;
    let row = R::get(&mut conn, id).await?.ok_or(ApiError::NotFound(R::NAME))?;
    if let Some(agency) = row.agency() {
        authorize(caller, RegistryAction::ReadStructure, agency, R::NAME)?;
    }
    Ok(row)
}

/// The agency a request body names, for a write in it. One the caller may not see answers as
/// one that does not exist (404 `agency`), so ids cannot be probed; one the caller sees but may
/// not write in is 403 with `denied`.
pub async fn agency_for_write(
    state: &AppState,
    caller: &Caller,
    id: Uuid,
    denied: &'static str,
) -> Result<AgencyRow, ApiError> {
    let agency: AgencyRow = visible(state, caller, id).await?;
    authorize(caller, RegistryAction::Write, agency.id, "agency").map_err(|_| ApiError::Forbidden(denied))?;
    Ok(agency)
}

/// How an employee relates to the caller, for the employee rule of the access table.
async fn relation(state: &AppState, caller: &Caller, employee: &EmployeeRow) -> Result<Relation, ApiError> {
    let Some(own) = caller.employee_id() else { return Ok(Relation::Unrelated) };
    if own == employee.id {
        return Ok(Relation::Own);
    }
    let mut conn = state.db.conn().await?;
    Ok(if org_rows::is_below(&mut conn, employee.agency_id, own, employee.id).await? {
        Relation::Subordinate
    } else {
        Relation::Unrelated
    })
}

/// An employee is read by their agency's readers, themself and everyone above them.
pub async fn ensure_employee_visible(
    state: &AppState,
    caller: &Caller,
    employee: &EmployeeRow,
) -> Result<(), ApiError> {
    if caller.actor.may_on_registry(RegistryAction::ReadPeople, employee.agency_id)
        || caller.actor.may_read_employee(employee.agency_id, relation(state, caller, employee).await?)
    {
        Ok(())
    } else {
        Err(ApiError::NotFound("employee"))
    }
}

/// Loads an employee the caller may read (404 otherwise).
pub async fn visible_employee(state: &AppState, caller: &Caller, id: Uuid) -> Result<EmployeeRow, ApiError> {
    let mut conn = state.db.conn().await?;
    let employee =
        org_rows::get_employee(&mut conn, caller.shard_hint(), id).await?.ok_or(ApiError::NotFound("employee"))?;
    drop(conn);
    ensure_employee_visible(state, caller, &employee).await?;
    Ok(employee)
}

/// The caller's part in a plan: its employee, its rating official, or neither.
pub fn party(caller: &Caller, plan: &PlanRow) -> PlanParty {
    match caller.employee_id() {
        Some(me) if me == plan.employee_id => PlanParty::Owner,
        Some(_) if caller.is_or_acts_for(plan.rater_id) => PlanParty::Rater,
        _ => PlanParty::Other,
    }
}

/// Loads a plan the caller may read: the agency's readers, the employee, the rating official,
/// their supervisor, and anyone above the employee in the supervisor chain.
pub async fn visible_plan(state: &AppState, caller: &Caller, id: Uuid) -> Result<PlanRow, ApiError> {
    let mut conn = state.db.conn().await?;
    let plan = plan_rows::get_plan(&mut conn, caller.shard_hint(), id).await?.ok_or(ApiError::NotFound("plan"))?;
    ensure_plan_visible(&mut conn, caller, &plan).await?;
    Ok(plan)
}

/// The rule of [`visible_plan`] for a plan already read (with what it holds, say): 404 alike
/// for a plan the caller may not read.
pub async fn ensure_plan_visible(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    plan: &PlanRow,
) -> Result<(), ApiError> {
    if caller.actor.may_on_registry(RegistryAction::ReadPeople, plan.agency_id) {
        return Ok(());
    }
    let Some(me) = caller.employee_id() else { return Err(ApiError::NotFound("plan")) };
    let relation = if me == plan.employee_id {
        Relation::Own
    } else if caller.is_or_acts_for(plan.rater_id)
        || caller.is_or_acts_for(plan.rater_supervisor_id)
        || org_rows::is_below(conn, plan.agency_id, me, plan.employee_id).await?
    {
        Relation::Subordinate
    } else {
        Relation::Unrelated
    };
    if caller.actor.may_read_employee(plan.agency_id, relation) {
        Ok(())
    } else {
        Err(ApiError::NotFound("plan"))
    }
}

/// The unit an employee heads, if any (`kinerja_domain::civil_service::heads_unit`: a leading
/// position in the unit, reporting to someone outside it).
pub async fn unit_headed_by(conn: &mut AsyncPgConnection, employee_id: Uuid) -> Result<Option<Uuid>, ApiError> {
    let Some(employee) = org_rows::get_employee(conn, None, employee_id).await? else { return Ok(None) };
    let Some(position) = employee.position_id else { return Ok(None) };
    let Some(kind) = org_rows::get_position(conn, position).await?.map(|p| p.kind.0) else { return Ok(None) };
    let supervisor_unit = match employee.supervisor_id {
        Some(id) => org_rows::get_employee(conn, Some(employee.agency_id), id).await?.and_then(|s| s.unit_id),
        None => None,
    };
    Ok(heads_unit(kind, employee.unit_id.as_ref(), supervisor_unit.as_ref()).then_some(employee.unit_id).flatten())
}

/// Who reads the people of a unit (its reports, curve, training needs, talent map): the
/// agency's readers, and the head of the unit or of a unit above it. Anyone else is refused
/// (403), and a unit head asking after a unit outside theirs is told it is not there (404).
pub async fn ensure_unit_people_readable(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    unit: &UnitRow,
) -> Result<(), ApiError> {
    if caller.actor.may_on_registry(RegistryAction::ReadPeople, unit.agency_id) {
        return Ok(());
    }
    let headed = match caller.employee_id() {
        Some(me) if caller.agency_id() == Some(unit.agency_id) => unit_headed_by(conn, me).await?,
        _ => None,
    };
    match headed {
        Some(headed)
            if headed == unit.id
                || org_rows::unit_ancestors(conn, unit.agency_id, unit.id).await?.contains(&headed) =>
        {
            Ok(())
        }
        Some(_) => Err(ApiError::NotFound("unit")),
        None => Err(ApiError::Forbidden("only the agency's readers and the unit's head read its people")),
    }
}

/// What a report on a unit's people covers (the distribution curve, training needs): the unit,
/// a period of its agency, and the units counted — the unit alone, or its whole subtree.
pub struct UnitReportScope {
    pub unit: UnitRow,
    pub period: PeriodRow,
    pub units: Vec<Uuid>,
    pub include_subunits: bool,
}

/// The scope of a report on a unit's people, for a caller who may read them
/// ([`ensure_unit_people_readable`]), and the connection to read the report on. A report
/// authorizes no write, so it reads from a replica like every other report (the caller's own
/// recent writes from the primary, `crate::state`); the unit's visibility is settled on the
/// primary, as every visibility check is.
pub async fn unit_report_scope(
    state: &AppState,
    caller: &Caller,
    unit_id: Uuid,
    period_id: Uuid,
    include: Option<&str>,
) -> Result<(UnitReportScope, kinerja_store::DbConn), ApiError> {
    let include_subunits = include_subunits(include)?;
    let unit = visible::<UnitRow>(state, caller, unit_id).await?;
    let mut conn = state.read_conn(caller.reads_from).await?;
    ensure_unit_people_readable(&mut conn, caller, &unit).await?;
    let period = plan_rows::get_period(&mut conn, None, period_id)
        .await?
        .filter(|p| p.agency_id == unit.agency_id)
        .ok_or(ApiError::NotFound("period"))?;
    let units = if include_subunits {
        org_rows::unit_subtree(&mut conn, &unit).await?.into_iter().map(|u| u.id).collect()
    } else {
        vec![unit.id]
    };
    Ok((UnitReportScope { unit, period, units, include_subunits }, conn))
}

/// Whose accounts — users or integration clients — the caller may list, as the agency to list
/// (`None`: every agency's): a super admin every agency's or the one named; an agency's admins
/// and auditors their own agency's only; anyone else none (403).
pub fn account_list_agency(caller: &Caller, asked: Option<Uuid>) -> Result<Option<Uuid>, ApiError> {
    let agency = if caller.is_super_admin() { asked } else { caller.agency_id() };
    if !caller.is_super_admin() && (agency.is_none() || !caller.actor.may_on_accounts(AccountAction::Read, agency)) {
        return Err(ApiError::Forbidden("listing accounts needs an admin or auditor role"));
    }
    if asked.is_some() && asked != agency {
        return Err(ApiError::Forbidden("you may list the accounts of your own agency only"));
    }
    Ok(agency)
}
