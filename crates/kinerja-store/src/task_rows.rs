//! The rows behind the work inbox (`kinerja_domain::tasks`): the `work_inbox` function of the
//! migrations (`2026-12-01-000013_work_inbox`), one branch per kind of task, each reading only
//! what waits on the person through its own index.

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
    Ok(diesel::sql_query("SELECT * FROM work_inbox($1, $2, $3, $4)")
        .bind::<Array<SqlUuid>, _>(officials)
        .bind::<SqlUuid, _>(me)
        .bind::<Date, _>(today)
        .bind::<SqlUuid, _>(agency)
        .load(conn)
        .await?)
}
