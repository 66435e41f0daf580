//! A career as it stood: what each annual rating and competency assessment was judged against,
//! kept when it was given (`career_snapshots`), and the ratings of every period, for
//! `GET /employees/{id}/history`.

use chrono::{DateTime, NaiveDate, Utc};
use diesel::sql_types::{Date, Jsonb, Nullable, Text, Timestamptz, Uuid as SqlUuid};
use diesel::QueryableByName;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use kinerja_domain::code_sets::Code;
use kinerja_domain::objection::Outcome;
use kinerja_domain::rule_sets::{Predikat, RuleSet};
use serde_json::{json, Value};
use uuid::Uuid;

use crate::coded::Coded;
use crate::competency_rows::standards;
use crate::error::StoreResult;

/// The act a snapshot belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Act {
    /// An annual rating; its id is the plan's.
    FinalRating,
    /// A competency assessment (recorded or replaced).
    Assessment,
}

impl Act {
    pub fn as_str(self) -> &'static str {
        match self {
            Act::FinalRating => "final_rating",
            Act::Assessment => "assessment",
        }
    }
}

impl Code for Act {
    const SET: &'static str = "career snapshot act";
    fn code(self) -> &'static str {
        self.as_str()
    }
    fn from_code(code: &str) -> Option<Self> {
        [Act::FinalRating, Act::Assessment].into_iter().find(|act| act.as_str() == code)
    }
}

/// Keeps what the act is judged against, now, in the act's transaction: the employee's position,
/// unit and grade, the period's rule set, and the standard in force for the position (its own
/// requirements, or the defaults of its kind: `competency_rows::standards`). An act recorded
/// again (an assessment replaced) is judged afresh.
pub async fn freeze(
    conn: &mut AsyncPgConnection,
    act: Act,
    act_id: Uuid,
    agency_id: Uuid,
    employee_id: Uuid,
    period_id: Uuid,
) -> StoreResult<()> {
    let position: Option<Uuid> = {
        use crate::schema::employees;
        use diesel::{ExpressionMethods, OptionalExtension, QueryDsl};
        employees::table
            .find(employee_id)
            .filter(employees::agency_id.eq(agency_id))
            .select(employees::position_id)
            .first::<Option<Uuid>>(conn)
            .await
            .optional()?
            .flatten()
    };
    let standard: Vec<Value> = match position {
        Some(position) => standards(conn, &[position])
            .await?
            .into_iter()
            .map(|s| json!({"competency_id": s.competency_id, "required_level": s.required_level}))
            .collect(),
        None => Vec::new(),
    };
    diesel::sql_query(
        "INSERT INTO career_snapshots (agency_id, employee_id, period_id, act, act_id, position_id, position_code, \
             position_name, unit_id, unit_name, grade, rule_set, standard) \
         SELECT e.agency_id, e.id, pr.id, $3, $4, p.id, p.code, p.name, u.id, u.name, e.grade, \
                pr.rule_set, $5 \
         FROM employees e JOIN periods pr ON pr.agency_id = e.agency_id AND pr.id = $2 \
         LEFT JOIN positions p ON p.agency_id = e.agency_id AND p.id = e.position_id LEFT JOIN units u ON u.agency_id = e.agency_id AND u.id = e.unit_id \
         WHERE e.agency_id = $6 AND e.id = $1 \
         ON CONFLICT (agency_id, act, act_id) DO UPDATE SET position_id = EXCLUDED.position_id, \
             position_code = EXCLUDED.position_code, position_name = EXCLUDED.position_name, \
             unit_id = EXCLUDED.unit_id, unit_name = EXCLUDED.unit_name, grade = EXCLUDED.grade, rule_set = EXCLUDED.rule_set, \
             standard = EXCLUDED.standard, taken_at = EXCLUDED.taken_at",
    )
    .bind::<SqlUuid, _>(employee_id)
    .bind::<SqlUuid, _>(period_id)
    .bind::<Text, _>(act.as_str())
    .bind::<SqlUuid, _>(act_id)
    .bind::<Jsonb, _>(Value::Array(standard))
    .bind::<SqlUuid, _>(agency_id)
    .execute(conn)
    .await?;
    Ok(())
}

/// What one act was judged against.
#[derive(Debug, Clone, QueryableByName)]
pub struct SnapshotRow {
    #[diesel(sql_type = SqlUuid)]
    pub period_id: Uuid,
    #[diesel(sql_type = Text)]
    pub act: Coded<Act>,
    #[diesel(sql_type = SqlUuid)]
    pub act_id: Uuid,
    #[diesel(sql_type = Nullable<SqlUuid>)]
    pub position_id: Option<Uuid>,
    #[diesel(sql_type = Nullable<Text>)]
    pub position_code: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub position_name: Option<String>,
    #[diesel(sql_type = Nullable<SqlUuid>)]
    pub unit_id: Option<Uuid>,
    #[diesel(sql_type = Nullable<Text>)]
    pub unit_name: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub grade: Option<String>,
    #[diesel(sql_type = Text)]
    pub rule_set: Coded<RuleSet>,
    /// `[{competency_id, required_level}]`.
    #[diesel(sql_type = Jsonb)]
    pub standard: Value,
    #[diesel(sql_type = Timestamptz)]
    pub taken_at: DateTime<Utc>,
}

/// Every snapshot of the employee's acts, oldest first.
pub async fn snapshots_of(conn: &mut AsyncPgConnection, employee_id: Uuid) -> StoreResult<Vec<SnapshotRow>> {
    Ok(diesel::sql_query(
        "SELECT period_id, act, act_id, position_id, position_code, position_name, unit_id, unit_name, grade, \
                rule_set, standard, taken_at \
         FROM career_snapshots WHERE employee_id = $1 ORDER BY taken_at, id",
    )
    .bind::<SqlUuid, _>(employee_id)
    .load(conn)
    .await?)
}

/// A period the employee was rated or assessed in.
#[derive(Debug, Clone, QueryableByName)]
pub struct HistoryPeriodRow {
    #[diesel(sql_type = SqlUuid)]
    pub period_id: Uuid,
    #[diesel(sql_type = SqlUuid)]
    pub agency_id: Uuid,
    #[diesel(sql_type = Text)]
    pub name: String,
    #[diesel(sql_type = Date)]
    pub starts_on: NaiveDate,
    #[diesel(sql_type = Date)]
    pub ends_on: NaiveDate,
    /// The annual rating's plan, if rated.
    #[diesel(sql_type = Nullable<SqlUuid>)]
    pub plan_id: Option<Uuid>,
    /// The rating official's predikat, as issued.
    #[diesel(sql_type = Nullable<Text>)]
    pub rated_predikat: Option<Coded<Predikat>>,
    /// The latest calibration's predikat.
    #[diesel(sql_type = Nullable<Text>)]
    pub calibrated_predikat: Option<Coded<Predikat>>,
    #[diesel(sql_type = Nullable<Text>)]
    pub objection_outcome: Option<Coded<Outcome>>,
    #[diesel(sql_type = Nullable<Text>)]
    pub objection_predikat: Option<Coded<Predikat>>,
    /// In force now (after calibration and objection).
    #[diesel(sql_type = Nullable<Text>)]
    pub predikat: Option<Coded<Predikat>>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    pub rated_at: Option<DateTime<Utc>>,
}

/// The periods the employee was rated or assessed in, oldest first, with the annual rating's
/// predikat as issued, calibrated, decided on objection, and in force.
pub async fn periods_of(conn: &mut AsyncPgConnection, employee_id: Uuid) -> StoreResult<Vec<HistoryPeriodRow>> {
    Ok(diesel::sql_query(
        "WITH judged AS ( \
             SELECT period_id FROM final_ratings WHERE employee_id = $1 \
             UNION SELECT period_id FROM competency_assessments WHERE employee_id = $1) \
         SELECT pr.id AS period_id, pr.agency_id, pr.name, pr.starts_on, pr.ends_on, fr.plan_id, \
                fr.rated_predikat, fr.calibration->>'predikat' AS calibrated_predikat, \
                o.outcome AS objection_outcome, o.decided_predikat AS objection_predikat, fr.predikat, fr.rated_at \
         FROM judged j JOIN periods pr ON pr.id = j.period_id \
         LEFT JOIN final_ratings fr ON fr.agency_id = pr.agency_id AND fr.period_id = pr.id AND fr.employee_id = $1 \
         LEFT JOIN objections o ON o.agency_id = fr.agency_id AND o.plan_id = fr.plan_id AND o.decided_at IS NOT NULL \
         ORDER BY pr.starts_on, pr.ends_on, pr.id",
    )
    .bind::<SqlUuid, _>(employee_id)
    .load(conn)
    .await?)
}
