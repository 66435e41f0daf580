//! The annual rating and what follows it: organisation ratings, the counts the distribution
//! curve is checked on, calibration, objections, and the reports built on them.

use crate::coded::Coded;
use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Nullable, Text, Uuid as SqlUuid};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use kinerja_domain::distribution::OrgPredikat;
use kinerja_domain::objection::ObjectionStatus;
use kinerja_domain::objection::Outcome;
use kinerja_domain::rule_sets::Predikat;
use kinerja_domain::rule_sets::Rating;
use uuid::Uuid;

use crate::db::page::limited;
use crate::error::StoreResult;
use crate::schema::{final_ratings, objections, organisation_ratings};

// ---- organisation ratings ----

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = organisation_ratings)]
pub struct OrgRatingRow {
    pub unit_id: Uuid,
    pub period_id: Uuid,
    pub agency_id: Uuid,
    pub predikat: Coded<OrgPredikat>,
    pub note: Option<String>,
    pub rated_by: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

pub async fn get_org_rating(
    conn: &mut AsyncPgConnection,
    unit_id: Uuid,
    period_id: Uuid,
) -> StoreResult<Option<OrgRatingRow>> {
    Ok(organisation_ratings::table
        .find((unit_id, period_id))
        .select(OrgRatingRow::as_select())
        .first(conn)
        .await
        .optional()?)
}

/// Reads a unit's organisation rating for a period and locks it until the transaction ends.
pub async fn lock_org_rating(
    conn: &mut AsyncPgConnection,
    unit_id: Uuid,
    period_id: Uuid,
) -> StoreResult<Option<OrgRatingRow>> {
    let Some(agency) = crate::shard::agency_of(conn, "units", "id", unit_id).await? else { return Ok(None) };
    Ok(organisation_ratings::table
        .find((unit_id, period_id))
        .filter(organisation_ratings::agency_id.eq(agency))
        .select(OrgRatingRow::as_select())
        .for_update()
        .first(conn)
        .await
        .optional()?)
}

/// Records the unit's predikat for the period, replacing an earlier one (kept created_at).
pub async fn put_org_rating(conn: &mut AsyncPgConnection, row: &OrgRatingRow) -> StoreResult<OrgRatingRow> {
    Ok(diesel::insert_into(organisation_ratings::table)
        .values(row)
        .on_conflict((organisation_ratings::agency_id, organisation_ratings::unit_id, organisation_ratings::period_id))
        .do_update()
        .set((
            organisation_ratings::predikat.eq(&row.predikat),
            organisation_ratings::note.eq(&row.note),
            organisation_ratings::rated_by.eq(row.rated_by),
            organisation_ratings::updated_at.eq(row.updated_at),
        ))
        .returning(OrgRatingRow::as_returning())
        .get_result(conn)
        .await?)
}

// ---- final (annual) ratings ----

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = final_ratings)]
pub struct FinalRatingRow {
    pub plan_id: Uuid,
    pub agency_id: Uuid,
    pub period_id: Uuid,
    pub employee_id: Uuid,
    pub unit_id: Option<Uuid>,
    pub result_rating: Option<Coded<Rating>>,
    pub behaviour_rating: Option<Coded<Rating>>,
    pub rated_predikat: Coded<Predikat>,
    pub predikat: Coded<Predikat>,
    pub explanation: serde_json::Value,
    pub note: Option<String>,
    pub rated_by: Uuid,
    pub rated_at: DateTime<Utc>,
    /// The latest calibration: `{predikat_before, predikat, justification, by, at}`.
    pub calibration: Option<serde_json::Value>,
    pub updated_at: DateTime<Utc>,
    /// When a calibration last set the predikat in force (none: as issued).
    pub calibrated_at: Option<DateTime<Utc>>,
}

impl FinalRatingRow {
    /// Since when the predikat in force stands: objections run from here (PP 30/2019 art. 59).
    pub fn in_force_since(&self) -> DateTime<Utc> {
        self.calibrated_at.map_or(self.rated_at, |at| at.max(self.rated_at))
    }
}

pub async fn insert_final_rating(conn: &mut AsyncPgConnection, row: &FinalRatingRow) -> StoreResult<()> {
    diesel::insert_into(final_ratings::table).values(row).execute(conn).await?;
    Ok(())
}

pub async fn get_final_rating(conn: &mut AsyncPgConnection, plan_id: Uuid) -> StoreResult<Option<FinalRatingRow>> {
    Ok(final_ratings::table.find(plan_id).select(FinalRatingRow::as_select()).first(conn).await.optional()?)
}

/// Reads a plan's annual rating and locks it until the transaction ends.
pub async fn lock_final_rating(
    conn: &mut AsyncPgConnection,
    plan: impl Into<crate::shard::RowKey>,
) -> StoreResult<Option<FinalRatingRow>> {
    let plan = plan.into();
    let plan_id = plan.id;
    let agency = match plan.agency {
        Some(agency) => agency,
        None => match crate::shard::agency_of(conn, "performance_plans", "id", plan_id).await? {
            Some(agency) => agency,
            None => return Ok(None),
        },
    };
    Ok(final_ratings::table
        .find(plan_id)
        .filter(final_ratings::agency_id.eq(agency))
        .select(FinalRatingRow::as_select())
        .for_update()
        .first(conn)
        .await
        .optional()?)
}

/// Saves the predikat in force and the calibration; the rating official's own stays as issued.
pub async fn update_final_rating(conn: &mut AsyncPgConnection, row: &FinalRatingRow) -> StoreResult<FinalRatingRow> {
    Ok(diesel::update(final_ratings::table.find(row.plan_id).filter(final_ratings::agency_id.eq(row.agency_id)))
        .set((
            final_ratings::predikat.eq(&row.predikat),
            final_ratings::calibration.eq(&row.calibration),
            final_ratings::calibrated_at.eq(row.calibrated_at),
            final_ratings::updated_at.eq(row.updated_at),
        ))
        .returning(FinalRatingRow::as_returning())
        .get_result(conn)
        .await?)
}

#[derive(Debug, QueryableByName)]
pub struct PredikatCount {
    #[diesel(sql_type = Text)]
    pub predikat: Coded<Predikat>,
    #[diesel(sql_type = BigInt)]
    pub count: i64,
}

/// The predikat in force of the employees rated in `units` for the period, counted.
pub async fn predikat_counts(
    conn: &mut AsyncPgConnection,
    period_id: Uuid,
    units: &[Uuid],
) -> StoreResult<Vec<PredikatCount>> {
    Ok(diesel::sql_query(
        "SELECT predikat, count(*) AS count FROM final_ratings \
         WHERE period_id = $1 AND unit_id = ANY($2) GROUP BY predikat",
    )
    .bind::<SqlUuid, _>(period_id)
    .bind::<diesel::sql_types::Array<SqlUuid>, _>(units)
    .load(conn)
    .await?)
}

#[derive(Debug, QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    count: i64,
}

/// Current plans of the period, for employees now in `units`, that have no annual rating yet.
pub async fn unrated_plans(conn: &mut AsyncPgConnection, period_id: Uuid, units: &[Uuid]) -> StoreResult<i64> {
    let row: Count = diesel::sql_query(
        "SELECT count(*) AS count FROM performance_plans p JOIN employees e ON e.agency_id = p.agency_id AND e.id = p.employee_id \
         WHERE p.period_id = $1 AND p.superseded_by IS NULL AND p.status <> 'rated' AND e.unit_id = ANY($2)",
    )
    .bind::<SqlUuid, _>(period_id)
    .bind::<diesel::sql_types::Array<SqlUuid>, _>(units)
    .get_result(conn)
    .await?;
    Ok(row.count)
}

// ---- objections ----

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = objections)]
pub struct ObjectionRow {
    pub id: Uuid,
    pub plan_id: Uuid,
    pub agency_id: Uuid,
    pub employee_id: Uuid,
    pub decider_id: Option<Uuid>,
    pub reason: String,
    pub status: Coded<ObjectionStatus>,
    pub employee_explanation: Option<String>,
    pub rating_official_explanation: Option<String>,
    pub outcome: Option<Coded<Outcome>>,
    pub decided_predikat: Option<Coded<Predikat>>,
    pub decision_note: Option<String>,
    pub decided_by: Option<Uuid>,
    pub filed_at: DateTime<Utc>,
    pub decided_at: Option<DateTime<Utc>>,
    pub updated_at: DateTime<Utc>,
}

pub async fn insert_objection(conn: &mut AsyncPgConnection, row: &ObjectionRow) -> StoreResult<()> {
    diesel::insert_into(objections::table).values(row).execute(conn).await?;
    Ok(())
}

pub async fn get_objection(conn: &mut AsyncPgConnection, id: Uuid) -> StoreResult<Option<ObjectionRow>> {
    Ok(objections::table.find(id).select(ObjectionRow::as_select()).first(conn).await.optional()?)
}

pub async fn objection_of_plan(conn: &mut AsyncPgConnection, plan_id: Uuid) -> StoreResult<Option<ObjectionRow>> {
    Ok(objections::table
        .filter(objections::plan_id.eq(plan_id))
        .select(ObjectionRow::as_select())
        .first(conn)
        .await
        .optional()?)
}

/// Reads an objection and locks it until the transaction ends.
pub async fn lock_objection(
    conn: &mut AsyncPgConnection,
    key: impl Into<crate::shard::RowKey>,
) -> StoreResult<Option<ObjectionRow>> {
    Ok(crate::shard::locked_by_id!(conn, objections, ObjectionRow, key, for_update))
}

pub async fn update_objection(conn: &mut AsyncPgConnection, row: &ObjectionRow) -> StoreResult<ObjectionRow> {
    Ok(diesel::update(objections::table.find(row.id).filter(objections::agency_id.eq(row.agency_id)))
        .set((
            objections::status.eq(&row.status),
            objections::employee_explanation.eq(&row.employee_explanation),
            objections::rating_official_explanation.eq(&row.rating_official_explanation),
            objections::outcome.eq(&row.outcome),
            objections::decided_predikat.eq(&row.decided_predikat),
            objections::decision_note.eq(&row.decision_note),
            objections::decided_by.eq(row.decided_by),
            objections::decided_at.eq(row.decided_at),
            objections::decider_id.eq(row.decider_id),
            objections::updated_at.eq(row.updated_at),
        ))
        .returning(ObjectionRow::as_returning())
        .get_result(conn)
        .await?)
}

/// Which objections a list shows: an agency's (its readers), or one person's as the employee
/// or as the one who decides.
#[derive(Debug, Default, Clone)]
pub struct ObjectionFilter {
    pub agency_id: Option<Uuid>,
    pub involving: Option<Uuid>,
    pub status: Option<ObjectionStatus>,
    pub plan_id: Option<Uuid>,
    pub employee_id: Option<Uuid>,
    pub decider_id: Option<Uuid>,
}

pub async fn list_objections(
    conn: &mut AsyncPgConnection,
    filter: &ObjectionFilter,
    after: Option<Uuid>,
    limit: i64,
) -> StoreResult<Vec<ObjectionRow>> {
    let mut query = objections::table.select(ObjectionRow::as_select()).order(objections::id).into_boxed();
    if let Some(agency) = filter.agency_id {
        query = query.filter(objections::agency_id.eq(agency));
    }
    if let Some(me) = filter.involving {
        query = query.filter(objections::employee_id.eq(me).or(objections::decider_id.eq(me)));
    }
    if let Some(status) = &filter.status {
        query = query.filter(objections::status.eq(Coded(*status)));
    }
    if let Some(plan) = filter.plan_id {
        query = query.filter(objections::plan_id.eq(plan));
    }
    if let Some(employee) = filter.employee_id {
        query = query.filter(objections::employee_id.eq(employee));
    }
    if let Some(decider) = filter.decider_id {
        query = query.filter(objections::decider_id.eq(decider));
    }
    if let Some(after) = after {
        query = query.filter(objections::id.gt(after));
    }
    Ok(limited(query, limit).load(conn).await?)
}

// ---- reports ----

/// How far a unit's employees are in the period's cycle.
#[derive(Debug, Clone, QueryableByName)]
pub struct ParticipationRow {
    #[diesel(sql_type = SqlUuid)]
    pub unit_id: Uuid,
    #[diesel(sql_type = Text)]
    pub unit_code: String,
    #[diesel(sql_type = Text)]
    pub unit_name: String,
    #[diesel(sql_type = BigInt)]
    pub employees: i64,
    #[diesel(sql_type = BigInt)]
    pub plans: i64,
    #[diesel(sql_type = BigInt)]
    pub submitted: i64,
    #[diesel(sql_type = BigInt)]
    pub approved: i64,
    #[diesel(sql_type = BigInt)]
    pub rated: i64,
}

/// How far plans `p` got, as aggregate columns: `plans`, and those at least submitted, approved
/// and rated. Shared by the unit and the cross-agency participation reports.
pub(crate) const PLAN_PROGRESS: &str = "count(p.id) AS plans, \
    count(p.id) FILTER (WHERE p.status IN ('submitted', 'approved', 'rated')) AS submitted, \
    count(p.id) FILTER (WHERE p.status IN ('approved', 'rated')) AS approved, \
    count(p.id) FILTER (WHERE p.status = 'rated') AS rated";

/// Per unit of the agency: employees placed there, their current plans for the period, and how
/// many got at least as far as submitted, approved and rated. One grouped query.
pub async fn participation(
    conn: &mut AsyncPgConnection,
    agency_id: Uuid,
    period_id: Uuid,
) -> StoreResult<Vec<ParticipationRow>> {
    Ok(diesel::sql_query(format!(
        "SELECT u.id AS unit_id, u.code AS unit_code, u.name AS unit_name, count(e.id) AS employees, \
                {PLAN_PROGRESS} \
         FROM units u \
         LEFT JOIN employees e ON e.agency_id = u.agency_id AND e.unit_id = u.id \
         LEFT JOIN performance_plans p ON p.agency_id = e.agency_id AND p.employee_id = e.id AND p.period_id = $2 \
                                       AND p.superseded_by IS NULL \
         WHERE u.agency_id = $1 GROUP BY u.agency_id, u.id ORDER BY u.code"
    ))
    .bind::<SqlUuid, _>(agency_id)
    .bind::<SqlUuid, _>(period_id)
    .load(conn)
    .await?)
}

/// Evaluations per unit and sub-period: recorded, and rated.
#[derive(Debug, Clone, QueryableByName)]
pub struct EvaluatedRow {
    #[diesel(sql_type = SqlUuid)]
    pub unit_id: Uuid,
    #[diesel(sql_type = Text)]
    pub period_label: String,
    #[diesel(sql_type = BigInt)]
    pub evaluated: i64,
    #[diesel(sql_type = BigInt)]
    pub rated: i64,
}

pub async fn evaluated_by_unit(
    conn: &mut AsyncPgConnection,
    agency_id: Uuid,
    period_id: Uuid,
) -> StoreResult<Vec<EvaluatedRow>> {
    Ok(diesel::sql_query(
        "SELECT e.unit_id, ev.period_label, count(DISTINCT p.employee_id) AS evaluated, \
                count(DISTINCT p.employee_id) FILTER (WHERE ev.rated_at IS NOT NULL) AS rated \
         FROM evaluations ev JOIN performance_plans p ON p.agency_id = ev.agency_id AND p.id = ev.plan_id \
         JOIN employees e ON e.agency_id = p.agency_id AND e.id = p.employee_id \
         WHERE p.agency_id = $1 AND p.period_id = $2 AND e.unit_id IS NOT NULL \
         GROUP BY e.unit_id, ev.period_label ORDER BY ev.period_label",
    )
    .bind::<SqlUuid, _>(agency_id)
    .bind::<SqlUuid, _>(period_id)
    .load(conn)
    .await?)
}

/// The predikat in force per unit (where the employee was when rated).
#[derive(Debug, Clone, QueryableByName)]
pub struct UnitPredikatRow {
    #[diesel(sql_type = Nullable<SqlUuid>)]
    pub unit_id: Option<Uuid>,
    #[diesel(sql_type = Text)]
    pub predikat: Coded<Predikat>,
    #[diesel(sql_type = BigInt)]
    pub count: i64,
}

pub async fn predikat_by_unit(
    conn: &mut AsyncPgConnection,
    agency_id: Uuid,
    period_id: Uuid,
) -> StoreResult<Vec<UnitPredikatRow>> {
    Ok(diesel::sql_query(
        "SELECT unit_id, predikat, count(*) AS count FROM final_ratings \
         WHERE agency_id = $1 AND period_id = $2 GROUP BY unit_id, predikat",
    )
    .bind::<SqlUuid, _>(agency_id)
    .bind::<SqlUuid, _>(period_id)
    .load(conn)
    .await?)
}

// ---- the national export ----

/// One performance record in the national system's shape, annual or periodic.
#[derive(Debug, Clone, QueryableByName)]
pub struct NationalRecordRow {
    /// The keyset cursor: the plan for annual records, the evaluation for periodic ones.
    #[diesel(sql_type = SqlUuid)]
    pub id: Uuid,
    /// `annual`, or the sub-period label of a periodic record.
    #[diesel(sql_type = Text)]
    pub label: String,
    #[diesel(sql_type = diesel::sql_types::Date)]
    pub starts_on: NaiveDate,
    #[diesel(sql_type = diesel::sql_types::Date)]
    pub ends_on: NaiveDate,
    #[diesel(sql_type = Text)]
    pub nip: String,
    #[diesel(sql_type = Text)]
    pub name: String,
    #[diesel(sql_type = Nullable<Text>)]
    pub grade: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub position: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub unit: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub result_rating: Option<Coded<Rating>>,
    #[diesel(sql_type = Nullable<Text>)]
    pub behaviour_rating: Option<Coded<Rating>>,
    #[diesel(sql_type = Nullable<Text>)]
    pub predikat: Option<Coded<Predikat>>,
    #[diesel(sql_type = Nullable<Text>)]
    pub rater_nip: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub rater_name: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub rater_grade: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub rater_position: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub rater_unit: Option<String>,
}

const PEOPLE: &str = "JOIN employees e ON e.agency_id = x.agency_id AND e.id = x.employee_id \
     LEFT JOIN positions ep ON ep.agency_id = e.agency_id AND ep.id = e.position_id LEFT JOIN units eu ON eu.agency_id = e.agency_id AND eu.id = e.unit_id \
     LEFT JOIN employees r ON r.agency_id = x.agency_id AND r.id = x.rated_by \
     LEFT JOIN positions rp ON rp.agency_id = r.agency_id AND rp.id = r.position_id LEFT JOIN units ru ON ru.agency_id = r.agency_id AND ru.id = r.unit_id";

const PEOPLE_COLUMNS: &str = "e.nip, e.name, e.grade, ep.name AS position, eu.name AS unit, \
     r.nip AS rater_nip, r.name AS rater_name, r.grade AS rater_grade, rp.name AS rater_position, \
     ru.name AS rater_unit";

/// The next batch of annual records after `after` (by plan id): the predikat in force.
pub async fn national_annual_batch(
    conn: &mut AsyncPgConnection,
    agency_id: Uuid,
    period_id: Uuid,
    after: Uuid,
    limit: i64,
) -> StoreResult<Vec<NationalRecordRow>> {
    Ok(diesel::sql_query(format!(
        "SELECT x.plan_id AS id, 'annual' AS label, per.starts_on, per.ends_on, x.result_rating, \
                x.behaviour_rating, x.predikat, {PEOPLE_COLUMNS} \
         FROM final_ratings x JOIN periods per ON per.agency_id = x.agency_id AND per.id = x.period_id {PEOPLE} \
         WHERE x.agency_id = $1 AND x.period_id = $2 AND x.plan_id > $3 ORDER BY x.plan_id LIMIT $4"
    ))
    .bind::<SqlUuid, _>(agency_id)
    .bind::<SqlUuid, _>(period_id)
    .bind::<SqlUuid, _>(after)
    .bind::<BigInt, _>(limit)
    .load(conn)
    .await?)
}

/// The next batch of rated periodic evaluations after `after` (by evaluation id): one record per
/// employee and sub-period label, from the latest revision of the plan that rated it (a
/// superseded revision's rating stays history once a later revision rates the same label).
pub async fn national_periodic_batch(
    conn: &mut AsyncPgConnection,
    agency_id: Uuid,
    period_id: Uuid,
    after: Uuid,
    limit: i64,
) -> StoreResult<Vec<NationalRecordRow>> {
    Ok(diesel::sql_query(format!(
        "SELECT x.id, x.period_label AS label, per.starts_on, per.ends_on, x.result_rating, \
                x.behaviour_rating, x.predikat, {PEOPLE_COLUMNS} \
         FROM (SELECT ev.*, p.employee_id, p.period_id FROM evaluations ev \
               JOIN performance_plans p ON p.agency_id = ev.agency_id AND p.id = ev.plan_id \
               WHERE ev.agency_id = $1 AND p.period_id = $2 AND ev.rated_at IS NOT NULL AND ev.id > $3 \
                 AND NOT EXISTS (SELECT 1 FROM evaluations later \
                                 JOIN performance_plans lp ON lp.agency_id = later.agency_id AND lp.id = later.plan_id \
                                 WHERE later.agency_id = ev.agency_id AND lp.employee_id = p.employee_id AND lp.period_id = p.period_id \
                                   AND later.period_label = ev.period_label AND later.rated_at IS NOT NULL \
                                   AND lp.revision > p.revision) \
               ORDER BY ev.id LIMIT $4) x \
         JOIN periods per ON per.agency_id = $1 AND per.id = x.period_id {people} ORDER BY x.id",
        // The agency named in every join: Citus does not carry it out of a subquery with a LIMIT.
        people = PEOPLE.replace("x.agency_id", "$1")
    ))
    .bind::<SqlUuid, _>(agency_id)
    .bind::<SqlUuid, _>(period_id)
    .bind::<SqlUuid, _>(after)
    .bind::<BigInt, _>(limit)
    .load(conn)
    .await?)
}
