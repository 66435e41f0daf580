//! Periods and performance plans (SKP) with their results, indicators and behaviour
//! expectations.

use crate::coded::Coded;
use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use kinerja_domain::deadlines::{Deadlines, PeriodStatus, SetDeadlines};
use kinerja_domain::rule_sets::{Aspect, RuleSet};
use kinerja_domain::skp::{Approach, ResultKind};
use kinerja_domain::skp::{BerAkhlak, Perspective};
use kinerja_domain::workflow::{Cadence, PlanStatus};
use uuid::Uuid;

use crate::db::page::limited;
use crate::error::{StoreError, StoreResult};
use crate::org_rows::EmployeeRow;
use crate::schema::{behaviour_expectations, employees, performance_plans, periods, plan_indicators, plan_results};
use crate::shard::in_agency;

// ---- periods ----

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = periods)]
pub struct PeriodRow {
    pub id: Uuid,
    pub agency_id: Uuid,
    pub name: String,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    pub cadence: Coded<Cadence>,
    pub rule_set: Coded<RuleSet>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub status: Coded<PeriodStatus>,
    /// Why the period was last closed or reopened.
    pub status_reason: Option<String>,
    pub planning_due: Option<NaiveDate>,
    /// The evaluation deadlines the agency set, by sub-period label.
    pub evaluation_due: serde_json::Value,
    pub rating_due: Option<NaiveDate>,
}

impl PeriodRow {
    /// The deadlines the agency set (the rest take the defaults of [`Deadlines::of`]).
    pub fn set_deadlines(&self) -> StoreResult<SetDeadlines> {
        let evaluation_due = serde_json::from_value(self.evaluation_due.clone())
            .map_err(|e| StoreError::Other(format!("periods.evaluation_due of {}: {e}", self.id)))?;
        Ok(SetDeadlines { planning_due: self.planning_due, evaluation_due, rating_due: self.rating_due })
    }

    /// The deadlines that apply.
    pub fn deadlines(&self) -> StoreResult<Deadlines> {
        Ok(Deadlines::of(self.starts_on, self.ends_on, self.cadence.0, &self.set_deadlines()?))
    }
}

pub async fn insert_period(conn: &mut AsyncPgConnection, row: &PeriodRow) -> StoreResult<PeriodRow> {
    Ok(diesel::insert_into(periods::table).values(row).returning(PeriodRow::as_returning()).get_result(conn).await?)
}

/// The period, looked for in `agency` when the caller knows it ([`crate::shard::in_agency`]).
pub async fn get_period(
    conn: &mut AsyncPgConnection,
    agency: Option<Uuid>,
    id: Uuid,
) -> StoreResult<Option<PeriodRow>> {
    let query = in_agency!(periods::table.find(id), periods, agency);
    Ok(query.select(PeriodRow::as_select()).first(conn).await.optional()?)
}

/// The periods of `ids` (any order; missing ones left out).
pub async fn periods_by_ids(conn: &mut AsyncPgConnection, agency: Uuid, ids: &[Uuid]) -> StoreResult<Vec<PeriodRow>> {
    Ok(periods::table
        .filter(periods::agency_id.eq(agency))
        .filter(periods::id.eq_any(ids))
        .select(PeriodRow::as_select())
        .load(conn)
        .await?)
}

/// Reads the period and locks its row until the transaction ends.
pub async fn lock_period(
    conn: &mut AsyncPgConnection,
    key: impl Into<crate::shard::RowKey>,
) -> StoreResult<Option<PeriodRow>> {
    Ok(crate::shard::locked_by_id!(conn, periods, PeriodRow, key, for_update))
}

/// Reads the period and holds it (`FOR SHARE`) until the transaction ends: a write that needs
/// the period open takes it this way, so a concurrent close waits for the write, and a write
/// after the close sees it closed.
pub async fn share_period(
    conn: &mut AsyncPgConnection,
    key: impl Into<crate::shard::RowKey>,
) -> StoreResult<Option<PeriodRow>> {
    Ok(crate::shard::locked_by_id!(conn, periods, PeriodRow, key, for_share))
}

pub async fn update_period(conn: &mut AsyncPgConnection, row: &PeriodRow) -> StoreResult<PeriodRow> {
    Ok(diesel::update(periods::table.find(row.id).filter(periods::agency_id.eq(row.agency_id)))
        .set((
            periods::name.eq(&row.name),
            periods::starts_on.eq(row.starts_on),
            periods::ends_on.eq(row.ends_on),
            periods::cadence.eq(&row.cadence),
            periods::rule_set.eq(&row.rule_set),
            periods::status.eq(&row.status),
            periods::status_reason.eq(&row.status_reason),
            periods::planning_due.eq(row.planning_due),
            periods::evaluation_due.eq(&row.evaluation_due),
            periods::rating_due.eq(row.rating_due),
            periods::updated_at.eq(row.updated_at),
        ))
        .returning(PeriodRow::as_returning())
        .get_result(conn)
        .await?)
}

pub async fn list_periods(
    conn: &mut AsyncPgConnection,
    agency_id: Option<Uuid>,
    after: Option<Uuid>,
    limit: i64,
) -> StoreResult<Vec<PeriodRow>> {
    let mut query = periods::table.select(PeriodRow::as_select()).order(periods::id).into_boxed();
    if let Some(agency) = agency_id {
        query = query.filter(periods::agency_id.eq(agency));
    }
    if let Some(after) = after {
        query = query.filter(periods::id.gt(after));
    }
    Ok(limited(query, limit).load(conn).await?)
}

pub async fn period_has_plans(conn: &mut AsyncPgConnection, id: Uuid) -> StoreResult<bool> {
    Ok(diesel::select(diesel::dsl::exists(performance_plans::table.filter(performance_plans::period_id.eq(id))))
        .get_result(conn)
        .await?)
}

// ---- plans ----

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = performance_plans, treat_none_as_default_value = false)]
pub struct PlanRow {
    pub id: Uuid,
    pub agency_id: Uuid,
    pub employee_id: Uuid,
    pub period_id: Uuid,
    pub revision: i32,
    pub approach: Coded<Approach>,
    pub status: Coded<PlanStatus>,
    pub rater_id: Option<Uuid>,
    pub rater_supervisor_id: Option<Uuid>,
    pub rater_override_reason: Option<String>,
    pub return_reason: Option<String>,
    pub annex: serde_json::Value,
    pub superseded_by: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

pub async fn insert_plan(conn: &mut AsyncPgConnection, row: &PlanRow) -> StoreResult<PlanRow> {
    Ok(diesel::insert_into(performance_plans::table)
        .values(row)
        .returning(PlanRow::as_returning())
        .get_result(conn)
        .await?)
}

/// The plan, looked for in `agency` when the caller knows it ([`crate::shard::in_agency`]).
pub async fn get_plan(conn: &mut AsyncPgConnection, agency: Option<Uuid>, id: Uuid) -> StoreResult<Option<PlanRow>> {
    let query = crate::shard::in_agency!(performance_plans::table.find(id), performance_plans, agency);
    Ok(query.select(PlanRow::as_select()).first(conn).await.optional()?)
}

/// Reads the plan (its header: every change of a plan or of what it holds takes this lock) and locks its row until the transaction ends.
pub async fn lock_plan(
    conn: &mut AsyncPgConnection,
    key: impl Into<crate::shard::RowKey>,
) -> StoreResult<Option<PlanRow>> {
    Ok(crate::shard::locked_by_id!(conn, performance_plans, PlanRow, key, for_update))
}

/// The current (not superseded) plan of an employee in a period.
pub async fn current_plan(
    conn: &mut AsyncPgConnection,
    employee_id: Uuid,
    period_id: Uuid,
) -> StoreResult<Option<PlanRow>> {
    Ok(performance_plans::table
        .filter(performance_plans::employee_id.eq(employee_id))
        .filter(performance_plans::period_id.eq(period_id))
        .filter(performance_plans::superseded_by.is_null())
        .select(PlanRow::as_select())
        .first(conn)
        .await
        .optional()?)
}

/// Saves the plan's header: status, reasons, rater, annex, supersession.
pub async fn update_plan(conn: &mut AsyncPgConnection, row: &PlanRow) -> StoreResult<PlanRow> {
    Ok(diesel::update(performance_plans::table.find(row.id).filter(performance_plans::agency_id.eq(row.agency_id)))
        .set((
            performance_plans::status.eq(&row.status),
            performance_plans::approach.eq(&row.approach),
            performance_plans::rater_id.eq(row.rater_id),
            performance_plans::rater_supervisor_id.eq(row.rater_supervisor_id),
            performance_plans::rater_override_reason.eq(&row.rater_override_reason),
            performance_plans::return_reason.eq(&row.return_reason),
            performance_plans::annex.eq(&row.annex),
            performance_plans::superseded_by.eq(row.superseded_by),
            performance_plans::updated_at.eq(row.updated_at),
        ))
        .returning(PlanRow::as_returning())
        .get_result(conn)
        .await?)
}

#[derive(Debug, Clone, Default)]
pub struct PlanFilter {
    pub agency_id: Option<Uuid>,
    pub employee_id: Option<Uuid>,
    pub period_id: Option<Uuid>,
    pub rater_id: Option<Uuid>,
    pub status: Option<PlanStatus>,
    /// Only plans of this employee and everyone below them in the supervisor chain.
    pub within_subtree_of: Option<Uuid>,
    /// Include superseded revisions.
    pub all_revisions: bool,
}

pub async fn list_plans(
    conn: &mut AsyncPgConnection,
    filter: &PlanFilter,
    after: Option<Uuid>,
    limit: i64,
) -> StoreResult<Vec<PlanRow>> {
    let mut query = performance_plans::table.select(PlanRow::as_select()).order(performance_plans::id).into_boxed();
    if let Some(v) = filter.agency_id {
        query = query.filter(performance_plans::agency_id.eq(v));
    }
    if let Some(v) = filter.employee_id {
        query = query.filter(performance_plans::employee_id.eq(v));
    }
    if let Some(v) = filter.period_id {
        query = query.filter(performance_plans::period_id.eq(v));
    }
    if let Some(v) = filter.rater_id {
        query = query.filter(performance_plans::rater_id.eq(v));
    }
    if let Some(v) = &filter.status {
        query = query.filter(performance_plans::status.eq(Coded(*v)));
    }
    if let Some(root) = filter.within_subtree_of {
        query =
            query.filter(crate::org_rows::in_subtree("performance_plans.employee_id", filter.agency_id, root, true));
    }
    if !filter.all_revisions {
        query = query.filter(performance_plans::superseded_by.is_null());
    }
    if let Some(after) = after {
        query = query.filter(performance_plans::id.gt(after));
    }
    Ok(limited(query, limit).load(conn).await?)
}

// ---- results, indicators, expectations ----

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = plan_results)]
pub struct ResultRow {
    pub id: Uuid,
    pub agency_id: Uuid,
    pub plan_id: Uuid,
    pub kind: Coded<ResultKind>,
    pub description: String,
    pub parent_result_id: Option<Uuid>,
    pub perspective: Option<Coded<Perspective>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = plan_indicators)]
pub struct IndicatorRow {
    pub id: Uuid,
    pub agency_id: Uuid,
    pub result_id: Uuid,
    pub plan_id: Uuid,
    pub description: String,
    pub aspect: Coded<Aspect>,
    pub target_value: Option<f64>,
    pub target_unit: Option<String>,
    pub target_text: Option<String>,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = behaviour_expectations, treat_none_as_default_value = false)]
pub struct ExpectationRow {
    pub agency_id: Uuid,
    pub plan_id: Uuid,
    pub value: Coded<BerAkhlak>,
    pub expectation: Option<String>,
}

/// A plan with everything in it, read in four queries whatever its size.
#[derive(Debug, Clone)]
pub struct WholePlan {
    pub plan: PlanRow,
    pub results: Vec<ResultRow>,
    pub indicators: Vec<IndicatorRow>,
    pub expectations: Vec<ExpectationRow>,
}

pub async fn whole_plan(
    conn: &mut AsyncPgConnection,
    agency: Option<Uuid>,
    id: Uuid,
) -> StoreResult<Option<WholePlan>> {
    Ok(plan_to_show(conn, agency, id).await?.map(|(whole, _)| whole))
}

// A plan's rating official and their supervisor are read with the plan (see plan_to_show).
diesel::allow_tables_to_appear_in_same_query!(employees, performance_plans);

/// A plan, what it holds (results, indicators, expectations) and the people it names (its
/// rating official and their supervisor), in one round trip: the five queries are sent together
/// on the one connection (pipelined) and PostgreSQL answers them in turn. Five small indexed
/// queries cost PostgreSQL less than one that builds the document as JSON (bench/README.md).
/// With the caller's `agency` named, each of them goes to the agency's one shard on Citus.
pub async fn plan_to_show(
    conn: &mut AsyncPgConnection,
    agency: Option<Uuid>,
    id: Uuid,
) -> StoreResult<Option<(WholePlan, Vec<EmployeeRow>)>> {
    let conn: &AsyncPgConnection = conn;
    let plan = in_agency!(performance_plans::table.find(id), performance_plans, agency)
        .select(PlanRow::as_select())
        .first(&mut &*conn);
    let plan = async { plan.await.optional() };
    let results = in_agency!(plan_results::table.filter(plan_results::plan_id.eq(id)), plan_results, agency)
        .order(plan_results::id)
        .select(ResultRow::as_select())
        .load(&mut &*conn);
    let indicators =
        in_agency!(plan_indicators::table.filter(plan_indicators::plan_id.eq(id)), plan_indicators, agency)
            .order(plan_indicators::id)
            .select(IndicatorRow::as_select())
            .load(&mut &*conn);
    let expectations = in_agency!(
        behaviour_expectations::table.filter(behaviour_expectations::plan_id.eq(id)),
        behaviour_expectations,
        agency
    )
    .select(ExpectationRow::as_select())
    .load(&mut &*conn);
    let names = employees::agency_id.eq(performance_plans::agency_id).and(
        employees::id
            .nullable()
            .eq(performance_plans::rater_id)
            .or(employees::id.nullable().eq(performance_plans::rater_supervisor_id)),
    );
    let people = in_agency!(
        employees::table.inner_join(performance_plans::table.on(names)).filter(performance_plans::id.eq(id)),
        performance_plans,
        agency
    )
    .select(EmployeeRow::as_select())
    .load(&mut &*conn);
    let (plan, results, indicators, expectations, people) =
        futures_util::future::try_join5(plan, results, indicators, expectations, people).await?;
    Ok(plan.map(|plan| (WholePlan { plan, results, indicators, expectations }, people)))
}

pub async fn insert_result(
    conn: &mut AsyncPgConnection,
    row: &ResultRow,
    indicators: &[IndicatorRow],
) -> StoreResult<()> {
    diesel::insert_into(plan_results::table).values(row).execute(conn).await?;
    if !indicators.is_empty() {
        diesel::insert_into(plan_indicators::table).values(indicators).execute(conn).await?;
    }
    Ok(())
}

pub async fn get_result(conn: &mut AsyncPgConnection, id: Uuid) -> StoreResult<Option<ResultRow>> {
    Ok(plan_results::table.find(id).select(ResultRow::as_select()).first(conn).await.optional()?)
}

/// A result's indicators, in the order they were written.
pub async fn indicators_of(conn: &mut AsyncPgConnection, result_id: Uuid) -> StoreResult<Vec<IndicatorRow>> {
    Ok(plan_indicators::table
        .filter(plan_indicators::result_id.eq(result_id))
        .order(plan_indicators::id)
        .select(IndicatorRow::as_select())
        .load(conn)
        .await?)
}

/// Replaces a result's text, parent and perspective, and (when given) all its indicators.
pub async fn update_result(
    conn: &mut AsyncPgConnection,
    row: &ResultRow,
    indicators: Option<&[IndicatorRow]>,
) -> StoreResult<()> {
    diesel::update(plan_results::table.find(row.id).filter(plan_results::agency_id.eq(row.agency_id)))
        .set((
            plan_results::kind.eq(&row.kind),
            plan_results::description.eq(&row.description),
            plan_results::parent_result_id.eq(row.parent_result_id),
            plan_results::perspective.eq(&row.perspective),
            plan_results::updated_at.eq(row.updated_at),
        ))
        .execute(conn)
        .await?;
    if let Some(indicators) = indicators {
        diesel::delete(
            plan_indicators::table
                .filter(plan_indicators::agency_id.eq(row.agency_id))
                .filter(plan_indicators::result_id.eq(row.id)),
        )
        .execute(conn)
        .await?;
        if !indicators.is_empty() {
            diesel::insert_into(plan_indicators::table).values(indicators).execute(conn).await?;
        }
    }
    Ok(())
}

pub async fn delete_result(conn: &mut AsyncPgConnection, row: &ResultRow) -> StoreResult<()> {
    diesel::delete(plan_results::table.find(row.id).filter(plan_results::agency_id.eq(row.agency_id)))
        .execute(conn)
        .await?;
    Ok(())
}

/// Whether other results are cascaded from this one.
/// How many results a plan holds.
pub async fn result_count(conn: &mut AsyncPgConnection, plan_id: Uuid) -> StoreResult<usize> {
    let n: i64 = plan_results::table.filter(plan_results::plan_id.eq(plan_id)).count().get_result(conn).await?;
    Ok(usize::try_from(n).unwrap_or(usize::MAX))
}

pub async fn result_has_children(conn: &mut AsyncPgConnection, id: Uuid) -> StoreResult<bool> {
    Ok(diesel::select(diesel::dsl::exists(plan_results::table.filter(plan_results::parent_result_id.eq(id))))
        .get_result(conn)
        .await?)
}

pub async fn replace_expectations(
    conn: &mut AsyncPgConnection,
    plan: &PlanRow,
    rows: &[ExpectationRow],
) -> StoreResult<()> {
    diesel::delete(
        behaviour_expectations::table
            .filter(behaviour_expectations::agency_id.eq(plan.agency_id))
            .filter(behaviour_expectations::plan_id.eq(plan.id)),
    )
    .execute(conn)
    .await?;
    diesel::insert_into(behaviour_expectations::table).values(rows).execute(conn).await?;
    Ok(())
}

/// Copies a plan's results, indicators and expectations into a new revision, keeping the
/// cascade links: parents in other people's plans are unchanged, parents inside the plan are
/// remapped to their copies, and results of other people's current plans cascaded from the old
/// revision's results are re-pointed to the copies (superseded plans below keep their links, as
/// they were). Returns how many results were re-pointed.
pub async fn copy_contents(conn: &mut AsyncPgConnection, from: &WholePlan, to_plan: Uuid) -> StoreResult<usize> {
    let now = Utc::now();
    let new_ids: std::collections::HashMap<Uuid, Uuid> = from.results.iter().map(|r| (r.id, Uuid::now_v7())).collect();
    let results: Vec<ResultRow> = from
        .results
        .iter()
        .map(|r| ResultRow {
            id: new_ids[&r.id],
            agency_id: from.plan.agency_id,
            plan_id: to_plan,
            parent_result_id: r.parent_result_id.map(|p| new_ids.get(&p).copied().unwrap_or(p)),
            created_at: now,
            updated_at: now,
            ..r.clone()
        })
        .collect();
    let indicators: Vec<IndicatorRow> = from
        .indicators
        .iter()
        .map(|i| IndicatorRow { id: Uuid::now_v7(), result_id: new_ids[&i.result_id], plan_id: to_plan, ..i.clone() })
        .collect();
    let expectations: Vec<ExpectationRow> =
        from.expectations.iter().map(|e| ExpectationRow { plan_id: to_plan, ..e.clone() }).collect();
    if !results.is_empty() {
        diesel::insert_into(plan_results::table).values(&results).execute(conn).await?;
    }
    if !indicators.is_empty() {
        diesel::insert_into(plan_indicators::table).values(&indicators).execute(conn).await?;
    }
    if !expectations.is_empty() {
        diesel::insert_into(behaviour_expectations::table).values(&expectations).execute(conn).await?;
    }
    let (old_ids, copies): (Vec<Uuid>, Vec<Uuid>) = new_ids.into_iter().unzip();
    Ok(diesel::sql_query(
        "UPDATE plan_results child SET parent_result_id = m.copy
         FROM unnest($1::uuid[], $2::uuid[]) AS m(old_id, copy), performance_plans pl
         WHERE child.agency_id = $4 AND child.parent_result_id = m.old_id
           AND pl.agency_id = child.agency_id AND pl.id = child.plan_id
           AND pl.superseded_by IS NULL AND child.plan_id <> $3",
    )
    .bind::<diesel::sql_types::Array<diesel::sql_types::Uuid>, _>(old_ids)
    .bind::<diesel::sql_types::Array<diesel::sql_types::Uuid>, _>(copies)
    .bind::<diesel::sql_types::Uuid, _>(to_plan)
    .bind::<diesel::sql_types::Uuid, _>(from.plan.agency_id)
    .execute(conn)
    .await?)
}

/// One result in a cascade, with whose plan it is in.
#[derive(Debug, Clone, QueryableByName)]
pub struct CascadeRow {
    #[diesel(sql_type = diesel::sql_types::Uuid)]
    pub result_id: Uuid,
    #[diesel(sql_type = diesel::sql_types::Uuid)]
    pub plan_id: Uuid,
    #[diesel(sql_type = diesel::sql_types::Uuid)]
    pub employee_id: Uuid,
    #[diesel(sql_type = diesel::sql_types::Text)]
    pub employee_name: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    pub description: String,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Uuid>)]
    pub parent_result_id: Option<Uuid>,
    #[diesel(sql_type = diesel::sql_types::Int4)]
    pub depth: i32,
}

const CASCADE_COLUMNS: &str = "r.id AS result_id, r.plan_id, pl.employee_id, e.name AS employee_name, r.description, \
                               r.parent_result_id, c.depth";

/// The results this plan's results are cascaded from, up to the root, nearest first: one
/// recursive query within the plan's agency (a cascade never leaves it).
pub async fn cascade_up(conn: &mut AsyncPgConnection, plan: &PlanRow) -> StoreResult<Vec<CascadeRow>> {
    Ok(diesel::sql_query(format!(
        "WITH RECURSIVE c(id, depth) AS (
             SELECT parent_result_id, 1 FROM plan_results
             WHERE agency_id = $1 AND plan_id = $2 AND parent_result_id IS NOT NULL
             UNION
             SELECT p.parent_result_id, c.depth + 1 FROM plan_results p JOIN c ON p.id = c.id
             WHERE p.agency_id = $1 AND p.parent_result_id IS NOT NULL AND c.depth < 50
         )
         SELECT DISTINCT ON (r.id) {CASCADE_COLUMNS}
         FROM c JOIN plan_results r ON r.agency_id = $1 AND r.id = c.id
                JOIN performance_plans pl ON pl.agency_id = r.agency_id AND pl.id = r.plan_id
                JOIN employees e ON e.agency_id = pl.agency_id AND e.id = pl.employee_id
         ORDER BY r.id, c.depth"
    ))
    .bind::<diesel::sql_types::Uuid, _>(plan.agency_id)
    .bind::<diesel::sql_types::Uuid, _>(plan.id)
    .load(conn)
    .await?)
}

/// The results cascaded from this plan's results, at any depth, in current plans only: one
/// recursive query within the plan's agency.
pub async fn cascade_down(conn: &mut AsyncPgConnection, plan: &PlanRow) -> StoreResult<Vec<CascadeRow>> {
    Ok(diesel::sql_query(format!(
        "WITH RECURSIVE c(id, depth) AS (
             SELECT r.id, 1 FROM plan_results r JOIN performance_plans pl ON pl.agency_id = r.agency_id AND pl.id = r.plan_id
             WHERE r.agency_id = $1 AND pl.superseded_by IS NULL
               AND r.parent_result_id IN (SELECT id FROM plan_results WHERE agency_id = $1 AND plan_id = $2)
             UNION
             SELECT r.id, c.depth + 1 FROM plan_results r JOIN c ON r.parent_result_id = c.id
                    JOIN performance_plans pl ON pl.agency_id = r.agency_id AND pl.id = r.plan_id
             WHERE r.agency_id = $1 AND pl.superseded_by IS NULL AND c.depth < 50
         )
         SELECT {CASCADE_COLUMNS}
         FROM c JOIN plan_results r ON r.agency_id = $1 AND r.id = c.id
                JOIN performance_plans pl ON pl.agency_id = r.agency_id AND pl.id = r.plan_id
                JOIN employees e ON e.agency_id = pl.agency_id AND e.id = pl.employee_id
         ORDER BY c.depth, r.id"
    ))
    .bind::<diesel::sql_types::Uuid, _>(plan.agency_id)
    .bind::<diesel::sql_types::Uuid, _>(plan.id)
    .load(conn)
    .await?)
}
