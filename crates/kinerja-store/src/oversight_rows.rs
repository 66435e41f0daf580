//! What national oversight reads across agencies: each agency's periods of a year with their
//! participation, the predikat in force per unit, and the units' organisation ratings.

use chrono::NaiveDate;
use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Date, Nullable, Text, Uuid as SqlUuid};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use kinerja_domain::deadlines::PeriodStatus;
use kinerja_domain::rule_sets::Predikat;
use uuid::Uuid;

use crate::appraisal_rows::{OrgRatingRow, PLAN_PROGRESS};
use crate::coded::Coded;
use crate::error::StoreResult;
use crate::schema::organisation_ratings;

/// One agency's period and how far its employees are in it.
#[derive(Debug, Clone, QueryableByName)]
pub struct AgencyPeriodRow {
    #[diesel(sql_type = SqlUuid)]
    pub agency_id: Uuid,
    #[diesel(sql_type = Text)]
    pub agency_code: String,
    #[diesel(sql_type = Text)]
    pub agency_name: String,
    #[diesel(sql_type = SqlUuid)]
    pub period_id: Uuid,
    #[diesel(sql_type = Text)]
    pub period_name: String,
    #[diesel(sql_type = Text)]
    pub status: Coded<PeriodStatus>,
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

/// Every agency's periods that start in `[from, to)`, by agency code.
pub async fn agency_periods(
    conn: &mut AsyncPgConnection,
    from: NaiveDate,
    to: NaiveDate,
) -> StoreResult<Vec<AgencyPeriodRow>> {
    Ok(diesel::sql_query(format!(
        "SELECT a.id AS agency_id, a.code AS agency_code, a.name AS agency_name, d.id AS period_id, \
                d.name AS period_name, d.status, \
                coalesce(staff.n, 0) AS employees, \
                {PLAN_PROGRESS} \
         FROM periods d JOIN agencies a ON a.id = d.agency_id \
         LEFT JOIN (SELECT agency_id, count(*) AS n FROM employees GROUP BY agency_id) staff ON staff.agency_id = d.agency_id \
         LEFT JOIN performance_plans p ON p.agency_id = d.agency_id AND p.period_id = d.id AND p.superseded_by IS NULL \
         WHERE d.starts_on >= $1 AND d.starts_on < $2 \
         GROUP BY a.id, d.agency_id, d.id, staff.n ORDER BY a.code, d.starts_on, d.id"
    ))
    .bind::<Date, _>(from)
    .bind::<Date, _>(to)
    .load(conn)
    .await?)
}

/// Employees per predikat in force, per period and unit (where they were when rated).
#[derive(Debug, Clone, QueryableByName)]
pub struct PredikatCountRow {
    #[diesel(sql_type = SqlUuid)]
    pub period_id: Uuid,
    #[diesel(sql_type = Nullable<SqlUuid>)]
    pub unit_id: Option<Uuid>,
    #[diesel(sql_type = Text)]
    pub predikat: Coded<Predikat>,
    #[diesel(sql_type = BigInt)]
    pub n: i64,
}

pub async fn predikat_counts(conn: &mut AsyncPgConnection, periods: &[Uuid]) -> StoreResult<Vec<PredikatCountRow>> {
    Ok(diesel::sql_query(
        "SELECT period_id, unit_id, predikat, count(*) AS n FROM final_ratings \
         WHERE period_id = ANY($1) GROUP BY period_id, unit_id, predikat",
    )
    .bind::<Array<SqlUuid>, _>(periods)
    .load(conn)
    .await?)
}

/// The organisation ratings recorded for `periods`.
pub async fn org_ratings(conn: &mut AsyncPgConnection, periods: &[Uuid]) -> StoreResult<Vec<OrgRatingRow>> {
    Ok(organisation_ratings::table
        .filter(organisation_ratings::period_id.eq_any(periods))
        .select(OrgRatingRow::as_select())
        .load(conn)
        .await?)
}
