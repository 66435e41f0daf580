//! The organisation registry: agencies, units, positions and employees.

use crate::coded::Coded;
use chrono::{DateTime, Utc};
use diesel::dsl::{exists, sql};
use diesel::pg::Pg;
use diesel::prelude::*;
use diesel::sql_types::{Bool, Uuid as SqlUuid};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use kinerja_domain::civil_service::FunctionalLevel;
use kinerja_domain::civil_service::{EmploymentType, PositionKind};
use uuid::Uuid;

use crate::db::page::{limited, Limited};
use crate::error::StoreResult;
use crate::schema::{agencies, employee_nips, employees, positions, units};

// ---- agencies ----

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = agencies)]
pub struct AgencyRow {
    pub id: Uuid,
    pub code: String,
    pub name: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Days an employee has to object to an annual rating.
    pub objection_window_days: i32,
}

pub async fn insert_agency(conn: &mut AsyncPgConnection, row: &AgencyRow) -> StoreResult<AgencyRow> {
    Ok(diesel::insert_into(agencies::table).values(row).returning(AgencyRow::as_returning()).get_result(conn).await?)
}

pub async fn get_agency(conn: &mut AsyncPgConnection, id: Uuid) -> StoreResult<Option<AgencyRow>> {
    Ok(agencies::table.find(id).select(AgencyRow::as_select()).first(conn).await.optional()?)
}

/// Reads the agency and locks its row until the transaction ends.
pub async fn lock_agency(
    conn: &mut AsyncPgConnection,
    key: impl Into<crate::shard::RowKey>,
) -> StoreResult<Option<AgencyRow>> {
    Ok(agencies::table.find(key.into().id).select(AgencyRow::as_select()).for_update().first(conn).await.optional()?)
}

pub async fn agency_by_code(conn: &mut AsyncPgConnection, code: &str) -> StoreResult<Option<AgencyRow>> {
    Ok(agencies::table.filter(agencies::code.eq(code)).select(AgencyRow::as_select()).first(conn).await.optional()?)
}

/// A keyset page of agencies; `only` restricts to one (callers bound to an agency).
pub async fn list_agencies(
    conn: &mut AsyncPgConnection,
    only: Option<Uuid>,
    after: Option<Uuid>,
    limit: i64,
) -> StoreResult<Vec<AgencyRow>> {
    let mut query = agencies::table.select(AgencyRow::as_select()).order(agencies::id).into_boxed();
    if let Some(id) = only {
        query = query.filter(agencies::id.eq(id));
    }
    if let Some(after) = after {
        query = query.filter(agencies::id.gt(after));
    }
    Ok(limited(query, limit).load(conn).await?)
}

pub async fn update_agency(conn: &mut AsyncPgConnection, row: &AgencyRow) -> StoreResult<AgencyRow> {
    Ok(diesel::update(agencies::table.find(row.id))
        .set((
            agencies::code.eq(&row.code),
            agencies::name.eq(&row.name),
            agencies::objection_window_days.eq(row.objection_window_days),
            agencies::updated_at.eq(row.updated_at),
        ))
        .returning(AgencyRow::as_returning())
        .get_result(conn)
        .await?)
}

// ---- units ----

#[derive(Debug, Clone, Queryable, Selectable, Insertable, QueryableByName)]
#[diesel(table_name = units)]
pub struct UnitRow {
    pub id: Uuid,
    pub agency_id: Uuid,
    pub parent_id: Option<Uuid>,
    pub code: String,
    pub name: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

pub async fn insert_unit(conn: &mut AsyncPgConnection, row: &UnitRow) -> StoreResult<UnitRow> {
    Ok(diesel::insert_into(units::table).values(row).returning(UnitRow::as_returning()).get_result(conn).await?)
}

pub async fn units_by_ids(conn: &mut AsyncPgConnection, ids: &[Uuid]) -> StoreResult<Vec<UnitRow>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    Ok(units::table.filter(units::id.eq_any(ids)).select(UnitRow::as_select()).load(conn).await?)
}

pub async fn get_unit(conn: &mut AsyncPgConnection, id: Uuid) -> StoreResult<Option<UnitRow>> {
    Ok(units::table.find(id).select(UnitRow::as_select()).first(conn).await.optional()?)
}

/// Reads the unit and locks its row until the transaction ends.
pub async fn lock_unit(
    conn: &mut AsyncPgConnection,
    key: impl Into<crate::shard::RowKey>,
) -> StoreResult<Option<UnitRow>> {
    Ok(crate::shard::locked_by_id!(conn, units, UnitRow, key, for_update))
}

pub async fn update_unit(conn: &mut AsyncPgConnection, row: &UnitRow) -> StoreResult<UnitRow> {
    Ok(diesel::update(units::table.find(row.id).filter(units::agency_id.eq(row.agency_id)))
        .set((
            units::code.eq(&row.code),
            units::name.eq(&row.name),
            units::parent_id.eq(row.parent_id),
            units::updated_at.eq(row.updated_at),
        ))
        .returning(UnitRow::as_returning())
        .get_result(conn)
        .await?)
}

pub async fn delete_unit(conn: &mut AsyncPgConnection, row: &UnitRow) -> StoreResult<()> {
    diesel::delete(units::table.find(row.id).filter(units::agency_id.eq(row.agency_id))).execute(conn).await?;
    Ok(())
}

pub async fn list_units(
    conn: &mut AsyncPgConnection,
    agency_id: Uuid,
    parent_id: Option<Uuid>,
    updated_since: Option<DateTime<Utc>>,
    after: Option<Uuid>,
    limit: i64,
) -> StoreResult<Vec<UnitRow>> {
    let mut query =
        units::table.filter(units::agency_id.eq(agency_id)).select(UnitRow::as_select()).order(units::id).into_boxed();
    if let Some(parent) = parent_id {
        query = query.filter(units::parent_id.eq(parent));
    }
    if let Some(since) = updated_since {
        query = query.filter(units::updated_at.ge(since));
    }
    if let Some(after) = after {
        query = query.filter(units::id.gt(after));
    }
    Ok(limited(query, limit).load(conn).await?)
}

/// Whether anything still belongs to the unit: sub-units, positions or employees.
pub async fn unit_has_members(conn: &mut AsyncPgConnection, id: Uuid) -> StoreResult<bool> {
    let children = exists(units::table.filter(units::parent_id.eq(id)));
    let positions = exists(positions::table.filter(positions::unit_id.eq(id)));
    let people = exists(employees::table.filter(employees::unit_id.eq(id)));
    Ok(diesel::select(children.or(positions).or(people)).get_result(conn).await?)
}

#[derive(QueryableByName)]
struct IdRow {
    #[diesel(sql_type = SqlUuid)]
    id: Uuid,
}

/// The ancestors of a unit of `agency`, nearest first, in one recursive query (the agency in
/// both terms keeps the walk on one shard).
pub async fn unit_ancestors(conn: &mut AsyncPgConnection, agency: Uuid, id: Uuid) -> StoreResult<Vec<Uuid>> {
    let rows: Vec<IdRow> = diesel::sql_query(
        "WITH RECURSIVE up(id, depth) AS (
             SELECT parent_id, 1 FROM units WHERE agency_id = $1 AND id = $2 AND parent_id IS NOT NULL
             UNION
             SELECT u.parent_id, up.depth + 1 FROM units u JOIN up ON u.id = up.id
             WHERE u.agency_id = $1 AND u.parent_id IS NOT NULL
         ) SELECT id FROM up ORDER BY depth",
    )
    .bind::<SqlUuid, _>(agency)
    .bind::<SqlUuid, _>(id)
    .load(conn)
    .await?;
    Ok(rows.into_iter().map(|r| r.id).collect())
}

/// The unit (of `unit.agency_id`) and everything below it, in one recursive query, parents
/// before children.
pub async fn unit_subtree(conn: &mut AsyncPgConnection, unit: &UnitRow) -> StoreResult<Vec<UnitRow>> {
    Ok(diesel::sql_query(
        "WITH RECURSIVE down AS (
             SELECT u.*, 0 AS depth FROM units u WHERE u.agency_id = $1 AND u.id = $2
             UNION ALL
             SELECT u.*, down.depth + 1 FROM units u JOIN down ON u.parent_id = down.id WHERE u.agency_id = $1
         ) SELECT id, agency_id, parent_id, code, name, created_at, updated_at FROM down ORDER BY depth, code",
    )
    .bind::<SqlUuid, _>(unit.agency_id)
    .bind::<SqlUuid, _>(unit.id)
    .load(conn)
    .await?)
}

/// Serialises changes to one agency's hierarchies (unit tree, supervisor chains) so that two
/// concurrent moves cannot together close a loop that neither closes alone.
pub async fn lock_hierarchy(conn: &mut AsyncPgConnection, agency_id: Uuid) -> StoreResult<()> {
    diesel::sql_query("SELECT pg_advisory_xact_lock(hashtextextended($1::text, 0))")
        .bind::<SqlUuid, _>(agency_id)
        .execute(conn)
        .await?;
    Ok(())
}

// ---- positions ----

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = positions)]
pub struct PositionRow {
    pub id: Uuid,
    pub agency_id: Uuid,
    pub unit_id: Option<Uuid>,
    pub code: String,
    pub name: String,
    pub kind: Coded<PositionKind>,
    pub level: Option<Coded<FunctionalLevel>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

pub async fn positions_by_ids(conn: &mut AsyncPgConnection, ids: &[Uuid]) -> StoreResult<Vec<PositionRow>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    Ok(positions::table.filter(positions::id.eq_any(ids)).select(PositionRow::as_select()).load(conn).await?)
}

pub async fn insert_position(conn: &mut AsyncPgConnection, row: &PositionRow) -> StoreResult<PositionRow> {
    Ok(diesel::insert_into(positions::table)
        .values(row)
        .returning(PositionRow::as_returning())
        .get_result(conn)
        .await?)
}

pub async fn get_position(conn: &mut AsyncPgConnection, id: Uuid) -> StoreResult<Option<PositionRow>> {
    Ok(positions::table.find(id).select(PositionRow::as_select()).first(conn).await.optional()?)
}

/// Reads the position and locks its row until the transaction ends.
pub async fn lock_position(
    conn: &mut AsyncPgConnection,
    key: impl Into<crate::shard::RowKey>,
) -> StoreResult<Option<PositionRow>> {
    Ok(crate::shard::locked_by_id!(conn, positions, PositionRow, key, for_update))
}

/// Marks a position changed (its competency standard is part of it).
pub async fn touch_position(conn: &mut AsyncPgConnection, row: &PositionRow, at: DateTime<Utc>) -> StoreResult<()> {
    diesel::update(positions::table.find(row.id).filter(positions::agency_id.eq(row.agency_id)))
        .set(positions::updated_at.eq(at))
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn update_position(conn: &mut AsyncPgConnection, row: &PositionRow) -> StoreResult<PositionRow> {
    Ok(diesel::update(positions::table.find(row.id).filter(positions::agency_id.eq(row.agency_id)))
        .set((
            positions::code.eq(&row.code),
            positions::name.eq(&row.name),
            positions::unit_id.eq(row.unit_id),
            positions::kind.eq(&row.kind),
            positions::level.eq(&row.level),
            positions::updated_at.eq(row.updated_at),
        ))
        .returning(PositionRow::as_returning())
        .get_result(conn)
        .await?)
}

pub async fn list_positions(
    conn: &mut AsyncPgConnection,
    agency_id: Uuid,
    unit_id: Option<Uuid>,
    kind: Option<&str>,
    updated_since: Option<DateTime<Utc>>,
    after: Option<Uuid>,
    limit: i64,
) -> StoreResult<Vec<PositionRow>> {
    let mut query = positions::table
        .filter(positions::agency_id.eq(agency_id))
        .select(PositionRow::as_select())
        .order(positions::id)
        .into_boxed();
    if let Some(unit) = unit_id {
        query = query.filter(positions::unit_id.eq(unit));
    }
    if let Some(kind) = kind {
        query = query.filter(positions::kind.eq(kind.to_owned()));
    }
    if let Some(since) = updated_since {
        query = query.filter(positions::updated_at.ge(since));
    }
    if let Some(after) = after {
        query = query.filter(positions::id.gt(after));
    }
    Ok(limited(query, limit).load(conn).await?)
}

// ---- employees ----

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = employees)]
pub struct EmployeeRow {
    pub id: Uuid,
    pub agency_id: Uuid,
    pub nip: String,
    pub name: String,
    pub unit_id: Option<Uuid>,
    pub position_id: Option<Uuid>,
    pub supervisor_id: Option<Uuid>,
    pub employment_type: Coded<EmploymentType>,
    pub grade: Option<String>,
    pub email: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// Claims `nip` for the employee in the national NIP register (migration
/// 2026-12-07-000025_national_nip_register): a NIP another employee holds, in any agency, is a
/// duplicate (`employee_nips_pkey`).
async fn register_nip(conn: &mut AsyncPgConnection, row: &EmployeeRow) -> StoreResult<()> {
    diesel::insert_into(employee_nips::table)
        .values((
            employee_nips::nip.eq(&row.nip),
            employee_nips::agency_id.eq(row.agency_id),
            employee_nips::employee_id.eq(row.id),
        ))
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn insert_employee(conn: &mut AsyncPgConnection, row: &EmployeeRow) -> StoreResult<EmployeeRow> {
    register_nip(conn, row).await?;
    Ok(diesel::insert_into(employees::table)
        .values(row)
        .returning(EmployeeRow::as_returning())
        .get_result(conn)
        .await?)
}

/// The employee, looked for in `agency` when the caller knows it ([`crate::shard::in_agency`]).
pub async fn get_employee(
    conn: &mut AsyncPgConnection,
    agency: Option<Uuid>,
    id: Uuid,
) -> StoreResult<Option<EmployeeRow>> {
    let query = crate::shard::in_agency!(employees::table.find(id), employees, agency);
    Ok(query.select(EmployeeRow::as_select()).first(conn).await.optional()?)
}

/// Reads the employee and locks its row until the transaction ends.
pub async fn lock_employee(
    conn: &mut AsyncPgConnection,
    key: impl Into<crate::shard::RowKey>,
) -> StoreResult<Option<EmployeeRow>> {
    Ok(crate::shard::locked_by_id!(conn, employees, EmployeeRow, key, for_update))
}

pub async fn employees_by_ids(conn: &mut AsyncPgConnection, ids: &[Uuid]) -> StoreResult<Vec<EmployeeRow>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    Ok(employees::table.filter(employees::id.eq_any(ids)).select(EmployeeRow::as_select()).load(conn).await?)
}

pub async fn employee_by_nip(conn: &mut AsyncPgConnection, nip: &str) -> StoreResult<Option<EmployeeRow>> {
    Ok(employees::table.filter(employees::nip.eq(nip)).select(EmployeeRow::as_select()).first(conn).await.optional()?)
}

/// Writes the employee (locked by the caller); a new NIP moves in the national register.
pub async fn update_employee(conn: &mut AsyncPgConnection, row: &EmployeeRow) -> StoreResult<EmployeeRow> {
    let stored_nip: String = employees::table
        .find(row.id)
        .filter(employees::agency_id.eq(row.agency_id))
        .select(employees::nip)
        .first(conn)
        .await?;
    if stored_nip != row.nip {
        diesel::delete(employee_nips::table.filter(employee_nips::nip.eq(&stored_nip))).execute(conn).await?;
        register_nip(conn, row).await?;
    }
    Ok(diesel::update(employees::table.find(row.id).filter(employees::agency_id.eq(row.agency_id)))
        .set((
            employees::nip.eq(&row.nip),
            employees::name.eq(&row.name),
            employees::unit_id.eq(row.unit_id),
            employees::position_id.eq(row.position_id),
            employees::supervisor_id.eq(row.supervisor_id),
            employees::employment_type.eq(&row.employment_type),
            employees::grade.eq(&row.grade),
            employees::email.eq(&row.email),
            employees::updated_at.eq(row.updated_at),
        ))
        .returning(EmployeeRow::as_returning())
        .get_result(conn)
        .await?)
}

/// The supervisors above an employee of `agency`, nearest first, in one recursive query.
pub async fn supervisor_chain(conn: &mut AsyncPgConnection, agency: Uuid, id: Uuid) -> StoreResult<Vec<Uuid>> {
    let rows: Vec<IdRow> = diesel::sql_query(
        "WITH RECURSIVE up(id, depth) AS (
             SELECT supervisor_id, 1 FROM employees WHERE agency_id = $1 AND id = $2 AND supervisor_id IS NOT NULL
             UNION
             SELECT e.supervisor_id, up.depth + 1 FROM employees e JOIN up ON e.id = up.id
             WHERE e.agency_id = $1 AND e.supervisor_id IS NOT NULL
         ) SELECT id FROM up ORDER BY depth",
    )
    .bind::<SqlUuid, _>(agency)
    .bind::<SqlUuid, _>(id)
    .load(conn)
    .await?;
    Ok(rows.into_iter().map(|r| r.id).collect())
}

pub async fn count_employees(conn: &mut AsyncPgConnection, agency_id: Uuid) -> StoreResult<i64> {
    Ok(employees::table.filter(employees::agency_id.eq(agency_id)).count().get_result(conn).await?)
}

/// Which employees a list shows.
#[derive(Debug, Clone, Default)]
pub struct EmployeeFilter {
    pub agency_id: Option<Uuid>,
    pub unit_id: Option<Uuid>,
    pub supervisor_id: Option<Uuid>,
    /// A NIP prefix (all digits) or part of a name.
    pub q: Option<String>,
    /// Only this employee and everyone below them in the supervisor chain.
    pub within_subtree_of: Option<Uuid>,
    /// Everyone below this employee in the supervisor chain (not the employee).
    pub below: Option<Uuid>,
    /// Only those changed at or after this moment (a sync's "what changed since").
    pub updated_since: Option<DateTime<Utc>>,
}

/// An order of an employee list other than by id, each ending in the id so it is total.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EmployeeOrder {
    Name,
    Nip,
    UpdatedAt,
}

/// Where a sorted page starts: after this row's sort value and id.
#[derive(Debug, Clone, PartialEq)]
pub enum EmployeeKey {
    Text(String, Uuid),
    Time(DateTime<Utc>, Uuid),
}

/// A sorted list's order: by what, which way, and after which row.
#[derive(Debug, Clone)]
pub struct EmployeeSort {
    pub by: EmployeeOrder,
    pub descending: bool,
    pub after: Option<EmployeeKey>,
}

impl EmployeeOrder {
    fn column(self) -> &'static str {
        match self {
            EmployeeOrder::Name => "employees.name",
            EmployeeOrder::Nip => "employees.nip",
            EmployeeOrder::UpdatedAt => "employees.updated_at",
        }
    }
}

/// `<column> IN (<root> and everyone below it in the supervisor chain)`, by one recursive
/// query, within `agency` when known (on Citus a recursive walk must name it). The ids are
/// formatted into the SQL: a `Uuid` prints as hex digits and dashes only.
pub(crate) fn in_subtree(
    column: &str,
    agency: Option<Uuid>,
    root: Uuid,
    include_root: bool,
) -> diesel::expression::SqlLiteral<Bool> {
    let keep = if include_root { "" } else { " WHERE id <> root_id" };
    let (anchor, step) = match agency {
        Some(a) => (format!(" AND agency_id = '{a}'"), format!(" WHERE e.agency_id = '{a}'")),
        None => (String::new(), String::new()),
    };
    sql::<Bool>(&format!(
        "{column} IN (WITH RECURSIVE sub(id, root_id) AS (SELECT id, id FROM employees WHERE id = '{root}'{anchor} \
         UNION SELECT e.id, sub.root_id FROM employees e JOIN sub ON e.supervisor_id = sub.id{step}) \
         SELECT id FROM sub{keep})"
    ))
}

/// Escapes LIKE wildcards in user input.
fn like_escape(s: &str) -> String {
    s.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_")
}

/// A keyset page of employees, ordered by id; served by `(agency_id, id)`, `(unit_id, id)`,
/// `(supervisor_id, id)` or the search indexes, so a deep page costs what the first does.
pub async fn list_employees(
    conn: &mut AsyncPgConnection,
    filter: &EmployeeFilter,
    after: Option<Uuid>,
    limit: i64,
) -> StoreResult<Vec<EmployeeRow>> {
    Ok(employees_page(filter, after, limit).load(conn).await?)
}

type EmployeePage<'a> =
    Limited<employees::BoxedQuery<'a, Pg, diesel::dsl::SqlTypeOf<diesel::dsl::AsSelect<EmployeeRow, Pg>>>>;

/// The query behind [`list_employees`], public so its plan can be checked with EXPLAIN.
pub fn employees_page(filter: &EmployeeFilter, after: Option<Uuid>, limit: i64) -> EmployeePage<'static> {
    let mut query = filtered_employees(filter).order(employees::id);
    if let Some(after) = after {
        query = query.filter(employees::id.gt(after));
    }
    limited(query, limit)
}

/// A keyset page of employees in `sort`'s order, then by id: the cursor holds the last row's
/// sort value and id, so a deep page costs what the first does.
pub async fn list_employees_sorted(
    conn: &mut AsyncPgConnection,
    filter: &EmployeeFilter,
    sort: &EmployeeSort,
    limit: i64,
) -> StoreResult<Vec<EmployeeRow>> {
    use diesel::sql_types::{Text, Timestamptz};
    let column = sort.by.column();
    let (direction, past) = if sort.descending { ("DESC", "<") } else { ("ASC", ">") };
    let mut query =
        filtered_employees(filter).order(sql::<Bool>(&format!("{column} {direction}, employees.id {direction}")));
    match &sort.after {
        Some(EmployeeKey::Text(value, id)) => {
            let after = sql::<Bool>(&format!("({column}, employees.id) {past} ("))
                .bind::<Text, _>(value.clone())
                .sql(", ")
                .bind::<SqlUuid, _>(*id)
                .sql(")");
            query = query.filter(after);
        }
        Some(EmployeeKey::Time(value, id)) => {
            let after = sql::<Bool>(&format!("({column}, employees.id) {past} ("))
                .bind::<Timestamptz, _>(*value)
                .sql(", ")
                .bind::<SqlUuid, _>(*id)
                .sql(")");
            query = query.filter(after);
        }
        None => {}
    }
    Ok(limited(query, limit).load(conn).await?)
}

type FilteredEmployees<'a> =
    employees::BoxedQuery<'a, Pg, diesel::dsl::SqlTypeOf<diesel::dsl::AsSelect<EmployeeRow, Pg>>>;

/// The employees the filter lets through, in no order yet.
fn filtered_employees(filter: &EmployeeFilter) -> FilteredEmployees<'static> {
    let mut query = employees::table.select(EmployeeRow::as_select()).into_boxed();
    if let Some(agency) = filter.agency_id {
        query = query.filter(employees::agency_id.eq(agency));
    }
    if let Some(unit) = filter.unit_id {
        query = query.filter(employees::unit_id.eq(unit));
    }
    if let Some(supervisor) = filter.supervisor_id {
        query = query.filter(employees::supervisor_id.eq(supervisor));
    }
    if let Some(q) = filter.q.as_deref().map(str::trim).filter(|q| !q.is_empty()) {
        if q.bytes().all(|b| b.is_ascii_digit()) {
            query = query.filter(employees::nip.like(format!("{}%", like_escape(q))));
        } else {
            query = query.filter(employees::name.ilike(format!("%{}%", like_escape(q))));
        }
    }
    if let Some(root) = filter.within_subtree_of {
        query = query.filter(in_subtree("employees.id", filter.agency_id, root, true));
    }
    if let Some(root) = filter.below {
        query = query.filter(in_subtree("employees.id", filter.agency_id, root, false));
    }
    if let Some(since) = filter.updated_since {
        query = query.filter(employees::updated_at.ge(since));
    }
    query
}

/// Whether `target` (of `agency`) is below `root` in the supervisor chain, walking up from `target`.
pub async fn is_below(conn: &mut AsyncPgConnection, agency: Uuid, root: Uuid, target: Uuid) -> StoreResult<bool> {
    Ok(supervisor_chain(conn, agency, target).await?.contains(&root))
}

/// Whether the unit and position (when given) belong to `agency`.
pub async fn unit_in_agency(conn: &mut AsyncPgConnection, unit: Uuid, agency: Uuid) -> StoreResult<bool> {
    Ok(diesel::select(exists(units::table.find(unit).filter(units::agency_id.eq(agency)))).get_result(conn).await?)
}

pub async fn position_in_agency(conn: &mut AsyncPgConnection, position: Uuid, agency: Uuid) -> StoreResult<bool> {
    Ok(diesel::select(exists(positions::table.find(position).filter(positions::agency_id.eq(agency))))
        .get_result(conn)
        .await?)
}

pub async fn employee_in_agency(conn: &mut AsyncPgConnection, employee: Uuid, agency: Uuid) -> StoreResult<bool> {
    Ok(diesel::select(exists(employees::table.find(employee).filter(employees::agency_id.eq(agency))))
        .get_result(conn)
        .await?)
}

/// Everyone whose unit is one of `units`.
pub async fn employees_in_units(conn: &mut AsyncPgConnection, units: &[Uuid]) -> StoreResult<Vec<EmployeeRow>> {
    Ok(employees::table
        .filter(employees::unit_id.eq_any(units))
        .select(EmployeeRow::as_select())
        .order(employees::id)
        .load(conn)
        .await?)
}
