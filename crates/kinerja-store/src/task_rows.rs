//! The rows behind the work inbox (`kinerja_domain::tasks`): one statement, one branch per kind
//! of task, each branch reading only what waits on the person through its own index.

use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Array, Date, Nullable, Text, Timestamptz, Uuid as SqlUuid};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use crate::error::StoreResult;

/// One thing waiting on someone. `kind` is a `TaskKind` code.
#[derive(Debug, Clone, QueryableByName)]
pub struct TaskRow {
    #[diesel(sql_type = Text)]
    pub kind: String,
    /// Whose task it is: the person, or the official they stand in for.
    #[diesel(sql_type = SqlUuid)]
    pub official_id: Uuid,
    /// What the task is about: a plan, an evaluation, an objection, a period (no plan yet) or an
    /// assessment.
    #[diesel(sql_type = SqlUuid)]
    pub subject_id: Uuid,
    #[diesel(sql_type = Nullable<SqlUuid>)]
    pub plan_id: Option<Uuid>,
    #[diesel(sql_type = SqlUuid)]
    pub period_id: Uuid,
    /// Whose work it concerns.
    #[diesel(sql_type = SqlUuid)]
    pub employee_id: Uuid,
    #[diesel(sql_type = Text)]
    pub employee_name: String,
    #[diesel(sql_type = Nullable<Text>)]
    pub period_label: Option<String>,
    /// When an objection was filed.
    #[diesel(sql_type = Nullable<Timestamptz>)]
    pub filed_at: Option<DateTime<Utc>>,
    /// The sub-periods already recorded under an approved plan.
    #[diesel(sql_type = Nullable<Array<Text>>)]
    pub recorded: Option<Vec<String>>,
}

/// Everything waiting on `me` (own work) and on `officials` (`me` and those `me` stands in for
/// today) in open periods of `agency`; objections run their course in a closed period too.
pub async fn waiting_on(
    conn: &mut AsyncPgConnection,
    me: Uuid,
    officials: &[Uuid],
    agency: Uuid,
    today: NaiveDate,
) -> StoreResult<Vec<TaskRow>> {
    Ok(diesel::sql_query(WAITING_ON)
        .bind::<Array<SqlUuid>, _>(officials)
        .bind::<SqlUuid, _>(me)
        .bind::<Date, _>(today)
        .bind::<SqlUuid, _>(agency)
        .load(conn)
        .await?)
}

// bench/tasks.sh reads this statement from here to EXPLAIN it at national scale.
const WAITING_ON: &str = "\
SELECT 'approve_plan' AS kind, p.rater_id AS official_id, p.id AS subject_id, p.id AS plan_id, p.period_id,
       e.id AS employee_id, e.name AS employee_name, NULL::text AS period_label, NULL::timestamptz AS filed_at,
       NULL::text[] AS recorded
FROM performance_plans p
JOIN employees e ON e.id = p.employee_id
JOIN periods d ON d.id = p.period_id AND d.status = 'open'
WHERE p.rater_id = ANY($1) AND p.status = 'submitted' AND p.superseded_by IS NULL
UNION ALL
SELECT CASE WHEN p.return_reason IS NULL THEN 'submit_plan' ELSE 'revise_returned_plan' END, $2, p.id, p.id,
       p.period_id, e.id, e.name, NULL, NULL, NULL
FROM performance_plans p
JOIN employees e ON e.id = p.employee_id
JOIN periods d ON d.id = p.period_id AND d.status = 'open'
WHERE p.employee_id = $2 AND p.status = 'draft' AND p.superseded_by IS NULL
UNION ALL
SELECT 'submit_plan', $2, d.id, NULL, d.id, e.id, e.name, NULL, NULL, NULL
FROM periods d
JOIN employees e ON e.id = $2
WHERE d.agency_id = $4 AND d.status = 'open' AND d.starts_on <= $3 AND d.ends_on >= $3
  AND NOT EXISTS (SELECT 1 FROM performance_plans p
                  WHERE p.employee_id = $2 AND p.period_id = d.id AND p.superseded_by IS NULL)
UNION ALL
SELECT 'record_realisations', $2, p.id, p.id, p.period_id, e.id, e.name, NULL, NULL,
       ARRAY(SELECT ev.period_label FROM evaluations ev WHERE ev.plan_id = p.id)
FROM performance_plans p
JOIN employees e ON e.id = p.employee_id
JOIN periods d ON d.id = p.period_id AND d.status = 'open'
WHERE p.employee_id = $2 AND p.status = 'approved' AND p.superseded_by IS NULL
UNION ALL
SELECT 'rate_evaluation', p.rater_id, ev.id, p.id, p.period_id, e.id, e.name, ev.period_label, NULL, NULL
FROM performance_plans p
JOIN evaluations ev ON ev.plan_id = p.id AND ev.rated_at IS NULL
JOIN employees e ON e.id = p.employee_id
JOIN periods d ON d.id = p.period_id AND d.status = 'open'
WHERE p.rater_id = ANY($1) AND p.status = 'approved' AND p.superseded_by IS NULL
UNION ALL
SELECT 'give_final_rating', p.rater_id, p.id, p.id, p.period_id, e.id, e.name, NULL, NULL, NULL
FROM performance_plans p
JOIN employees e ON e.id = p.employee_id
JOIN periods d ON d.id = p.period_id AND d.status = 'open'
WHERE p.rater_id = ANY($1) AND p.status = 'approved' AND p.superseded_by IS NULL
UNION ALL
SELECT 'decide_objection', p.rater_supervisor_id, o.id, p.id, p.period_id, e.id, e.name, NULL, o.filed_at, NULL
FROM performance_plans p
JOIN objections o ON o.plan_id = p.id AND o.status = 'open'
JOIN employees e ON e.id = p.employee_id
WHERE p.rater_supervisor_id = ANY($1) AND p.status = 'rated' AND p.superseded_by IS NULL
UNION ALL
SELECT 'give_assessment', $2, s.id, NULL, s.period_id, e.id, e.name, NULL, NULL, NULL
FROM employees e
JOIN competency_assessments s ON s.employee_id = e.id AND s.source = 'self'
JOIN periods d ON d.id = s.period_id AND d.status = 'open' AND d.ends_on >= $3
WHERE e.supervisor_id = $2
  AND NOT EXISTS (SELECT 1 FROM competency_assessments x
                  WHERE x.employee_id = e.id AND x.period_id = s.period_id AND x.source = 'supervisor')";
