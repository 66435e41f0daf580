//! Competencies: the dictionary, position standards (with the editable defaults by position
//! kind), appointed assessors, assessments with their ratings, and development activities.

use crate::coded::Coded;
use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Date, Double, Int2, Nullable, Text, Uuid as SqlUuid};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use kinerja_domain::competency::Potential;
use kinerja_domain::competency::{ActivityKind, ActivityStatus, CompetencyGroup, Source};
use uuid::Uuid;

use crate::db::page::limited;
use crate::error::StoreResult;
use crate::schema::{
    competencies, competency_assessments, competency_assessors, competency_ratings, competency_requirement_defaults,
    competency_requirements, development_activities,
};

// ---- the dictionary ----

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = competencies)]
pub struct CompetencyRow {
    pub id: Uuid,
    pub agency_id: Option<Uuid>,
    pub code: String,
    pub name: String,
    pub competency_group: Coded<CompetencyGroup>,
    pub description: Option<String>,
    pub levels: serde_json::Value,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

pub async fn insert_competency(conn: &mut AsyncPgConnection, row: &CompetencyRow) -> StoreResult<CompetencyRow> {
    Ok(diesel::insert_into(competencies::table)
        .values(row)
        .returning(CompetencyRow::as_returning())
        .get_result(conn)
        .await?)
}

pub async fn get_competency(conn: &mut AsyncPgConnection, id: Uuid) -> StoreResult<Option<CompetencyRow>> {
    Ok(competencies::table.find(id).select(CompetencyRow::as_select()).first(conn).await.optional()?)
}

/// Reads a competency and locks its row until the transaction ends.
pub async fn lock_competency(
    conn: &mut AsyncPgConnection,
    key: impl Into<crate::shard::RowKey>,
) -> StoreResult<Option<CompetencyRow>> {
    Ok(competencies::table
        .find(key.into().id)
        .select(CompetencyRow::as_select())
        .for_update()
        .first(conn)
        .await
        .optional()?)
}

pub async fn national_competency_by_code(
    conn: &mut AsyncPgConnection,
    code: &str,
) -> StoreResult<Option<CompetencyRow>> {
    Ok(competencies::table
        .filter(competencies::agency_id.is_null().and(competencies::code.eq(code)))
        .select(CompetencyRow::as_select())
        .first(conn)
        .await
        .optional()?)
}

pub async fn competencies_by_ids(conn: &mut AsyncPgConnection, ids: &[Uuid]) -> StoreResult<Vec<CompetencyRow>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    Ok(competencies::table.filter(competencies::id.eq_any(ids)).select(CompetencyRow::as_select()).load(conn).await?)
}

pub async fn update_competency(conn: &mut AsyncPgConnection, row: &CompetencyRow) -> StoreResult<CompetencyRow> {
    Ok(diesel::update(competencies::table.find(row.id))
        .set((
            competencies::code.eq(&row.code),
            competencies::name.eq(&row.name),
            competencies::competency_group.eq(&row.competency_group),
            competencies::description.eq(&row.description),
            competencies::levels.eq(&row.levels),
            competencies::updated_at.eq(row.updated_at),
        ))
        .returning(CompetencyRow::as_returning())
        .get_result(conn)
        .await?)
}

/// Which competencies a list shows.
#[derive(Debug, Clone, Default)]
pub struct CompetencyFilter {
    /// The national dictionary plus these agencies' own; `None`: every agency's.
    pub agencies: Option<Vec<Uuid>>,
    pub group: Option<CompetencyGroup>,
}

pub async fn list_competencies(
    conn: &mut AsyncPgConnection,
    filter: &CompetencyFilter,
    after: Option<Uuid>,
    limit: i64,
) -> StoreResult<Vec<CompetencyRow>> {
    let mut query = competencies::table.select(CompetencyRow::as_select()).order(competencies::id).into_boxed();
    if let Some(agencies) = &filter.agencies {
        query = query.filter(competencies::agency_id.is_null().or(competencies::agency_id.eq_any(agencies.clone())));
    }
    if let Some(group) = &filter.group {
        query = query.filter(competencies::competency_group.eq(Coded(*group)));
    }
    if let Some(after) = after {
        query = query.filter(competencies::id.gt(after));
    }
    Ok(limited(query, limit).load(conn).await?)
}

// ---- standards ----

/// One required level of a standard.
#[derive(Debug, Clone, PartialEq, QueryableByName)]
pub struct StandardRow {
    #[diesel(sql_type = SqlUuid)]
    pub position_id: Uuid,
    #[diesel(sql_type = SqlUuid)]
    pub competency_id: Uuid,
    #[diesel(sql_type = Int2)]
    pub required_level: i16,
    /// Taken from the defaults of the position's kind, the position having none of its own.
    #[diesel(sql_type = diesel::sql_types::Bool)]
    pub from_default: bool,
}

/// The standard in force of each position: its own required levels if it has any, else the
/// defaults of its kind. The one place this rule lives.
pub async fn standards(conn: &mut AsyncPgConnection, positions: &[Uuid]) -> StoreResult<Vec<StandardRow>> {
    if positions.is_empty() {
        return Ok(Vec::new());
    }
    Ok(diesel::sql_query(
        "SELECT r.position_id, r.competency_id, r.required_level, false AS from_default \
         FROM competency_requirements r WHERE r.position_id = ANY($1) \
         UNION ALL \
         SELECT p.id, d.competency_id, d.required_level, true FROM positions p \
         JOIN competency_requirement_defaults d ON d.position_kind = p.kind \
         WHERE p.id = ANY($1) AND NOT EXISTS (SELECT 1 FROM competency_requirements r \
                            WHERE r.agency_id = p.agency_id AND r.position_id = p.id) \
         ORDER BY 1, 2",
    )
    .bind::<Array<SqlUuid>, _>(positions)
    .load(conn)
    .await?)
}

/// When the position's own standard last changed.
pub async fn standard_changed_at(conn: &mut AsyncPgConnection, position: Uuid) -> StoreResult<Option<DateTime<Utc>>> {
    Ok(competency_requirements::table
        .filter(competency_requirements::position_id.eq(position))
        .select(diesel::dsl::max(competency_requirements::updated_at))
        .first(conn)
        .await?)
}

/// Replaces a position's own standard; an empty list returns it to its kind's defaults.
pub async fn replace_standard(
    conn: &mut AsyncPgConnection,
    agency: Uuid,
    position: Uuid,
    levels: &[(Uuid, i16)],
    at: DateTime<Utc>,
) -> StoreResult<()> {
    diesel::delete(
        competency_requirements::table
            .filter(competency_requirements::agency_id.eq(agency))
            .filter(competency_requirements::position_id.eq(position)),
    )
    .execute(conn)
    .await?;
    let rows: Vec<_> = levels
        .iter()
        .map(|(competency, level)| {
            (
                competency_requirements::agency_id.eq(agency),
                competency_requirements::position_id.eq(position),
                competency_requirements::competency_id.eq(*competency),
                competency_requirements::required_level.eq(*level),
                competency_requirements::updated_at.eq(at),
            )
        })
        .collect();
    if !rows.is_empty() {
        diesel::insert_into(competency_requirements::table).values(rows).execute(conn).await?;
    }
    Ok(())
}

/// The default standard of a position kind.
pub async fn default_standard(conn: &mut AsyncPgConnection, kind: &str) -> StoreResult<Vec<(Uuid, i16)>> {
    Ok(competency_requirement_defaults::table
        .filter(competency_requirement_defaults::position_kind.eq(kind))
        .select((competency_requirement_defaults::competency_id, competency_requirement_defaults::required_level))
        .order(competency_requirement_defaults::competency_id)
        .load(conn)
        .await?)
}

pub async fn replace_default_standard(
    conn: &mut AsyncPgConnection,
    kind: &str,
    levels: &[(Uuid, i16)],
    at: DateTime<Utc>,
) -> StoreResult<()> {
    use competency_requirement_defaults as d;
    diesel::delete(d::table.filter(d::position_kind.eq(kind))).execute(conn).await?;
    let rows: Vec<_> = levels
        .iter()
        .map(|(competency, level)| {
            (
                d::position_kind.eq(kind),
                d::competency_id.eq(*competency),
                d::required_level.eq(*level),
                d::updated_at.eq(at),
            )
        })
        .collect();
    if !rows.is_empty() {
        diesel::insert_into(d::table).values(rows).execute(conn).await?;
    }
    Ok(())
}

// ---- lists kept whole ----

/// A list that is read and replaced whole, versioned by its version table and its own rows.
#[derive(Debug, Clone, Copy)]
pub enum WholeList<'a> {
    /// A position kind's default standard.
    DefaultStandard(&'a str),
    /// An agency's appointed assessors.
    Assessors(Uuid),
}

impl WholeList<'_> {
    /// Its version table, the key column there, and the key as text.
    fn key(&self) -> (&'static str, &'static str, String) {
        match self {
            WholeList::DefaultStandard(kind) => ("competency_default_versions", "position_kind", (*kind).to_owned()),
            WholeList::Assessors(agency) => ("competency_assessor_versions", "agency_id", agency.to_string()),
        }
    }

    /// The latest change of its rows (a seed writes them without a list version).
    fn rows_changed_sql(&self) -> &'static str {
        match self {
            WholeList::DefaultStandard(_) => {
                "(SELECT max(updated_at) FROM competency_requirement_defaults WHERE position_kind = $1)"
            }
            WholeList::Assessors(_) => "(SELECT max(created_at) FROM competency_assessors WHERE agency_id = $1::uuid)",
        }
    }
}

#[derive(QueryableByName)]
struct Version {
    #[diesel(sql_type = diesel::sql_types::Timestamptz)]
    version: DateTime<Utc>,
}

/// The list's version: its last replacement or the last change of its rows, whichever is later.
pub async fn list_version(conn: &mut AsyncPgConnection, list: WholeList<'_>) -> StoreResult<DateTime<Utc>> {
    let (table, column, key) = list.key();
    let sql = format!(
        "SELECT GREATEST((SELECT version FROM {table} WHERE {column}::text = $1), {}, 'epoch'::timestamptz) \
         AS version",
        list.rows_changed_sql()
    );
    let row: Version = diesel::sql_query(sql).bind::<Text, _>(key).get_result(conn).await?;
    Ok(row.version)
}

/// Locks the list against concurrent replacement until the transaction ends, and returns its
/// version as the lock found it.
pub async fn lock_list(conn: &mut AsyncPgConnection, list: WholeList<'_>) -> StoreResult<DateTime<Utc>> {
    let (table, column, key) = list.key();
    let cast = if column == "agency_id" { "::uuid" } else { "" };
    diesel::sql_query(format!(
        "INSERT INTO {table} ({column}, version) VALUES ($1{cast}, 'epoch') ON CONFLICT DO NOTHING"
    ))
    .bind::<Text, _>(&key)
    .execute(conn)
    .await?;
    diesel::sql_query(format!("SELECT version FROM {table} WHERE {column} = $1{cast} FOR UPDATE"))
        .bind::<Text, _>(&key)
        .execute(conn)
        .await?;
    list_version(conn, list).await
}

/// Records a replacement of the list at `at` (the list being locked).
pub async fn set_list_version(conn: &mut AsyncPgConnection, list: WholeList<'_>, at: DateTime<Utc>) -> StoreResult<()> {
    use diesel::sql_types::Timestamptz;
    let (table, column, key) = list.key();
    diesel::sql_query(format!("UPDATE {table} SET version = $2 WHERE {column}::text = $1"))
        .bind::<Text, _>(key)
        .bind::<Timestamptz, _>(at)
        .execute(conn)
        .await?;
    Ok(())
}

// ---- assessors ----

pub async fn assessors(conn: &mut AsyncPgConnection, agency: Uuid) -> StoreResult<Vec<Uuid>> {
    Ok(competency_assessors::table
        .filter(competency_assessors::agency_id.eq(agency))
        .select(competency_assessors::user_id)
        .order(competency_assessors::user_id)
        .load(conn)
        .await?)
}

pub async fn is_assessor(conn: &mut AsyncPgConnection, agency: Uuid, user: Uuid) -> StoreResult<bool> {
    Ok(diesel::select(diesel::dsl::exists(competency_assessors::table.find((agency, user)))).get_result(conn).await?)
}

pub async fn replace_assessors(
    conn: &mut AsyncPgConnection,
    agency: Uuid,
    users: &[Uuid],
    at: DateTime<Utc>,
) -> StoreResult<()> {
    diesel::delete(competency_assessors::table.filter(competency_assessors::agency_id.eq(agency)))
        .execute(conn)
        .await?;
    let rows: Vec<_> = users
        .iter()
        .map(|u| {
            (
                competency_assessors::agency_id.eq(agency),
                competency_assessors::user_id.eq(*u),
                competency_assessors::created_at.eq(at),
            )
        })
        .collect();
    if !rows.is_empty() {
        diesel::insert_into(competency_assessors::table).values(rows).execute(conn).await?;
    }
    Ok(())
}

// ---- assessments ----

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = competency_assessments)]
pub struct AssessmentRow {
    pub id: Uuid,
    pub agency_id: Uuid,
    pub employee_id: Uuid,
    pub period_id: Uuid,
    pub source: Coded<Source>,
    pub assessor_user_id: Uuid,
    pub assessor_employee_id: Option<Uuid>,
    pub potential: Option<Coded<Potential>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = competency_ratings)]
pub struct RatingRow {
    pub agency_id: Uuid,
    pub assessment_id: Uuid,
    pub competency_id: Uuid,
    pub level: i16,
    pub note: Option<String>,
}

/// The assessor's earlier assessment of this employee, period and source, if any.
pub async fn find_assessment(
    conn: &mut AsyncPgConnection,
    employee: Uuid,
    period: Uuid,
    source: &str,
    assessor: Uuid,
) -> StoreResult<Option<AssessmentRow>> {
    use competency_assessments as a;
    Ok(a::table
        .filter(a::employee_id.eq(employee))
        .filter(a::period_id.eq(period))
        .filter(a::source.eq(source))
        .filter(a::assessor_user_id.eq(assessor))
        .select(AssessmentRow::as_select())
        .first(conn)
        .await
        .optional()?)
}

/// Saves an assessment whole: a new one, or the replacement of the assessor's earlier one
/// (`row.id` is then the earlier id) with all its ratings.
pub async fn save_assessment(
    conn: &mut AsyncPgConnection,
    row: &AssessmentRow,
    ratings: &[RatingRow],
    replace: bool,
) -> StoreResult<()> {
    use competency_assessments as a;
    if replace {
        diesel::update(a::table.find(row.id).filter(a::agency_id.eq(row.agency_id)))
            .set((a::potential.eq(&row.potential), a::updated_at.eq(row.updated_at)))
            .execute(conn)
            .await?;
        diesel::delete(
            competency_ratings::table
                .filter(competency_ratings::agency_id.eq(row.agency_id))
                .filter(competency_ratings::assessment_id.eq(row.id)),
        )
        .execute(conn)
        .await?;
    } else {
        diesel::insert_into(a::table).values(row).execute(conn).await?;
    }
    diesel::insert_into(competency_ratings::table).values(ratings).execute(conn).await?;
    Ok(())
}

pub async fn get_assessment(conn: &mut AsyncPgConnection, id: Uuid) -> StoreResult<Option<AssessmentRow>> {
    Ok(competency_assessments::table.find(id).select(AssessmentRow::as_select()).first(conn).await.optional()?)
}

pub async fn ratings_of(conn: &mut AsyncPgConnection, assessments: &[Uuid]) -> StoreResult<Vec<RatingRow>> {
    Ok(competency_ratings::table
        .filter(competency_ratings::assessment_id.eq_any(assessments))
        .select(RatingRow::as_select())
        .order((competency_ratings::assessment_id, competency_ratings::competency_id))
        .load(conn)
        .await?)
}

#[derive(Debug, Clone, Default)]
pub struct AssessmentFilter {
    pub agency_id: Option<Uuid>,
    pub employee_id: Option<Uuid>,
    pub period_id: Option<Uuid>,
    pub source: Option<Source>,
    pub assessor_user_id: Option<Uuid>,
    /// Leave out peer assessments by others than this user (`Some(None)`: all peers').
    pub hide_peers_except: Option<Option<Uuid>>,
}

pub async fn list_assessments(
    conn: &mut AsyncPgConnection,
    filter: &AssessmentFilter,
    after: Option<Uuid>,
    limit: i64,
) -> StoreResult<Vec<AssessmentRow>> {
    use competency_assessments as a;
    let mut query = a::table.select(AssessmentRow::as_select()).order(a::id).into_boxed();
    if let Some(v) = filter.agency_id {
        query = query.filter(a::agency_id.eq(v));
    }
    if let Some(v) = filter.employee_id {
        query = query.filter(a::employee_id.eq(v));
    }
    if let Some(v) = filter.period_id {
        query = query.filter(a::period_id.eq(v));
    }
    if let Some(v) = &filter.source {
        query = query.filter(a::source.eq(Coded(*v)));
    }
    if let Some(v) = filter.assessor_user_id {
        query = query.filter(a::assessor_user_id.eq(v));
    }
    match filter.hide_peers_except {
        Some(Some(user)) => query = query.filter(a::source.ne("peer").or(a::assessor_user_id.eq(user))),
        Some(None) => query = query.filter(a::source.ne("peer")),
        None => {}
    }
    if let Some(after) = after {
        query = query.filter(a::id.gt(after));
    }
    Ok(limited(query, limit).load(conn).await?)
}

/// What one source said about one competency of one employee in a period: the latest level,
/// and for peers their mean and number.
#[derive(Debug, Clone, QueryableByName)]
pub struct SourceLevelRow {
    #[diesel(sql_type = SqlUuid)]
    pub employee_id: Uuid,
    #[diesel(sql_type = SqlUuid)]
    pub competency_id: Uuid,
    #[diesel(sql_type = Text)]
    pub source: Coded<Source>,
    #[diesel(sql_type = Int2)]
    pub latest: i16,
    #[diesel(sql_type = Double)]
    pub mean: f64,
    #[diesel(sql_type = BigInt)]
    pub count: i64,
}

/// The levels given in the period, per employee, competency and source: for `employees` (or
/// every employee of `agency` when `None`), optionally for one competency only.
pub async fn source_levels(
    conn: &mut AsyncPgConnection,
    agency: Uuid,
    period: Uuid,
    employees: Option<&[Uuid]>,
    competency: Option<Uuid>,
) -> StoreResult<Vec<SourceLevelRow>> {
    Ok(diesel::sql_query(
        "SELECT a.employee_id, r.competency_id, a.source, \
                (array_agg(r.level ORDER BY a.updated_at DESC))[1] AS latest, \
                avg(r.level)::float8 AS mean, count(*) AS count \
         FROM competency_assessments a JOIN competency_ratings r ON r.agency_id = a.agency_id AND r.assessment_id = a.id \
         WHERE a.agency_id = $1 AND a.period_id = $2 \
           AND ($3::uuid[] IS NULL OR a.employee_id = ANY($3)) AND ($4::uuid IS NULL OR r.competency_id = $4) \
         GROUP BY a.employee_id, r.competency_id, a.source",
    )
    .bind::<SqlUuid, _>(agency)
    .bind::<SqlUuid, _>(period)
    .bind::<Nullable<Array<SqlUuid>>, _>(employees)
    .bind::<Nullable<SqlUuid>, _>(competency)
    .load(conn)
    .await?)
}

#[derive(Debug, Clone, QueryableByName)]
pub struct EmployeeCode {
    #[diesel(sql_type = SqlUuid)]
    pub employee_id: Uuid,
    #[diesel(sql_type = Text)]
    pub code: String,
}

/// The latest potential an assessor gave each employee in the period.
pub async fn potentials(
    conn: &mut AsyncPgConnection,
    period: Uuid,
    employees: &[Uuid],
) -> StoreResult<Vec<EmployeeCode>> {
    Ok(diesel::sql_query(
        "SELECT DISTINCT ON (employee_id) employee_id, potential AS code FROM competency_assessments \
         WHERE period_id = $1 AND employee_id = ANY($2) AND potential IS NOT NULL \
         ORDER BY employee_id, updated_at DESC",
    )
    .bind::<SqlUuid, _>(period)
    .bind::<Array<SqlUuid>, _>(employees)
    .load(conn)
    .await?)
}

/// Each employee's latest annual predikat in force from a period starting on or before `by`.
pub async fn latest_predikat(
    conn: &mut AsyncPgConnection,
    employees: &[Uuid],
    by: NaiveDate,
) -> StoreResult<Vec<EmployeeCode>> {
    Ok(diesel::sql_query(
        "SELECT DISTINCT ON (f.employee_id) f.employee_id, f.predikat AS code \
         FROM final_ratings f JOIN periods p ON p.agency_id = f.agency_id AND p.id = f.period_id \
         WHERE f.employee_id = ANY($1) AND p.starts_on <= $2 \
         ORDER BY f.employee_id, p.ends_on DESC, f.rated_at DESC",
    )
    .bind::<Array<SqlUuid>, _>(employees)
    .bind::<Date, _>(by)
    .load(conn)
    .await?)
}

#[derive(Debug, Clone, QueryableByName)]
pub struct UnitLink {
    #[diesel(sql_type = SqlUuid)]
    pub id: Uuid,
    #[diesel(sql_type = Nullable<SqlUuid>)]
    pub parent_id: Option<Uuid>,
}

/// Every unit of the agency with its parent: the organisation chart, for distances in it.
pub async fn unit_links(conn: &mut AsyncPgConnection, agency: Uuid) -> StoreResult<Vec<UnitLink>> {
    Ok(diesel::sql_query("SELECT id, parent_id FROM units WHERE agency_id = $1")
        .bind::<SqlUuid, _>(agency)
        .load(conn)
        .await?)
}

// ---- development activities ----

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = development_activities)]
pub struct ActivityRow {
    pub id: Uuid,
    pub agency_id: Uuid,
    pub employee_id: Uuid,
    pub competency_id: Option<Uuid>,
    pub kind: Coded<ActivityKind>,
    pub title: String,
    pub mentor_id: Option<Uuid>,
    pub due_on: Option<NaiveDate>,
    pub status: Coded<ActivityStatus>,
    pub evidence: serde_json::Value,
    pub created_by: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

pub async fn insert_activity(conn: &mut AsyncPgConnection, row: &ActivityRow) -> StoreResult<ActivityRow> {
    Ok(diesel::insert_into(development_activities::table)
        .values(row)
        .returning(ActivityRow::as_returning())
        .get_result(conn)
        .await?)
}

pub async fn get_activity(conn: &mut AsyncPgConnection, id: Uuid) -> StoreResult<Option<ActivityRow>> {
    Ok(development_activities::table.find(id).select(ActivityRow::as_select()).first(conn).await.optional()?)
}

/// Reads a development activity and locks its row until the transaction ends.
pub async fn lock_activity(
    conn: &mut AsyncPgConnection,
    key: impl Into<crate::shard::RowKey>,
) -> StoreResult<Option<ActivityRow>> {
    Ok(crate::shard::locked_by_id!(conn, development_activities, ActivityRow, key, for_update))
}

pub async fn update_activity(conn: &mut AsyncPgConnection, row: &ActivityRow) -> StoreResult<ActivityRow> {
    use development_activities as d;
    Ok(diesel::update(d::table.find(row.id).filter(d::agency_id.eq(row.agency_id)))
        .set((
            d::competency_id.eq(row.competency_id),
            d::kind.eq(&row.kind),
            d::title.eq(&row.title),
            d::mentor_id.eq(row.mentor_id),
            d::due_on.eq(row.due_on),
            d::status.eq(&row.status),
            d::evidence.eq(&row.evidence),
            d::updated_at.eq(row.updated_at),
        ))
        .returning(ActivityRow::as_returning())
        .get_result(conn)
        .await?)
}

pub async fn list_activities(
    conn: &mut AsyncPgConnection,
    employee: Uuid,
    after: Option<Uuid>,
    limit: i64,
) -> StoreResult<Vec<ActivityRow>> {
    use development_activities as d;
    let mut query =
        d::table.filter(d::employee_id.eq(employee)).select(ActivityRow::as_select()).order(d::id).into_boxed();
    if let Some(after) = after {
        query = query.filter(d::id.gt(after));
    }
    Ok(limited(query, limit).load(conn).await?)
}
