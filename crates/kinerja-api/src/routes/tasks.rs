//! The work inbox: what waits for the caller, computed from the data on each request (no stale
//! copy), oldest due first. The kinds and their deadlines are `kinerja_domain::tasks`.

use std::collections::{BTreeMap, HashMap};

use actix_web::{get, web};
use chrono::{Datelike, NaiveDate, Utc};
use kinerja_domain::deadlines::Deadlines;
use kinerja_domain::objection::calendar_day;
use kinerja_domain::tasks::{decision_due, final_rating_owed, realisations_owed, TaskKind};
use kinerja_store::plan_rows::{self, PeriodRow};
use kinerja_store::task_rows::{self, TaskRow};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::context::caller::Caller;
use crate::http::error::responses::{Forbidden, Invalid, Unauthenticated};
use crate::http::error::ApiError;
use crate::http::extract::Query;
use crate::http::pagination::{encode_key, invalid_cursor, Page, PageParams};
use crate::state::AppState;

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TaskView {
    /// Stable while the task stands: `{kind}:{subject_id}`, and `:{period_label}` for a
    /// sub-period's realisations.
    #[schema(example = "approve_plan:0193a0c2-0000-7000-8000-00000000p001")]
    id: String,
    kind: TaskKind,
    #[schema(example = "Approve the SKP of Sri Wahyuni")]
    title: String,
    /// What it is about: a plan, an evaluation, an objection, a period (no plan yet) or a
    /// self-assessment.
    subject_id: Uuid,
    /// Where to read it and act.
    #[schema(example = "/api/v1/performance-plans/0193a0c2-0000-7000-8000-00000000p001")]
    link: String,
    /// Whose work it concerns.
    employee_id: Uuid,
    employee_name: String,
    period_id: Uuid,
    /// The sub-period, for realisations and their rating.
    #[schema(example = "2026-Q1")]
    period_label: Option<String>,
    #[schema(example = "2026-04-10")]
    due_on: NaiveDate,
    /// The due day has passed (WIB calendar).
    overdue: bool,
    /// The official whose task it is when the caller stands in for them (acting official).
    acting_for: Option<Uuid>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TaskSummary {
    /// Tasks per kind (every kind, 0 when none).
    #[schema(example = json!({"approve_plan": 2, "rate_evaluation": 5, "submit_plan": 0}))]
    counts: BTreeMap<&'static str, usize>,
    total: usize,
    overdue: usize,
    /// The earliest due day, if any task waits.
    next_due_on: Option<NaiveDate>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TaskQuery {
    /// Only tasks of this kind.
    kind: Option<TaskKind>,
}

/// A task with the key it is ordered and paged by: due day, kind, subject, sub-period.
struct Keyed {
    key: (NaiveDate, TaskKind, Uuid, u8),
    view: TaskView,
}

/// Everything waiting for the caller, oldest due first.
async fn tasks_of(state: &AppState, caller: &Caller) -> Result<Vec<Keyed>, ApiError> {
    if caller.user_id().is_none() {
        return Err(ApiError::Forbidden("tasks belong to people; integration clients have none"));
    }
    let (Some(me), Some(agency)) = (caller.employee_id(), caller.agency_id()) else {
        return Ok(Vec::new()); // an account that is no employee has no work of its own
    };
    let today = calendar_day(Utc::now());
    let mut officials = vec![me];
    officials.extend(&caller.acting_for);
    let mut conn = state.db.conn().await?;
    let rows = task_rows::waiting_on(&mut conn, me, &officials, agency, today).await?;
    let mut period_ids: Vec<Uuid> = rows.iter().map(|r| r.period_id).collect();
    period_ids.sort();
    period_ids.dedup();
    let periods: HashMap<Uuid, (PeriodRow, Deadlines)> = plan_rows::periods_by_ids(&mut conn, agency, &period_ids)
        .await?
        .into_iter()
        .map(|p| p.deadlines().map(|d| (p.id, (p, d))))
        .collect::<Result<_, _>>()?;
    let mut tasks = Vec::new();
    for row in rows {
        let kind = TaskKind::parse(&row.kind).ok_or_else(|| ApiError::internal("an unknown task kind"))?;
        let Some((period, deadlines)) = periods.get(&row.period_id) else { continue };
        let acting_for = (row.official_id != me).then_some(row.official_id);
        let task = |due_on: NaiveDate, label: Option<&str>, part: u8| Keyed {
            key: (due_on, kind, row.subject_id, part),
            view: view(&row, kind, period, label, due_on, today, acting_for),
        };
        match kind {
            TaskKind::RecordRealisations => {
                let recorded = row.recorded.clone().unwrap_or_default();
                for (i, label, due) in realisations_owed(deadlines, period.starts_on, &recorded, today) {
                    tasks.push(task(due, Some(label), u8::try_from(i).unwrap_or(u8::MAX)));
                }
            }
            TaskKind::RateEvaluation => {
                let label = row.period_label.as_deref().unwrap_or_default();
                let due = deadlines.evaluation_due_for(label).unwrap_or(deadlines.rating_due);
                tasks.push(task(due, Some(label), 0));
            }
            TaskKind::GiveFinalRating if final_rating_owed(deadlines, period.starts_on, today) => {
                tasks.push(task(deadlines.rating_due, None, 0));
            }
            TaskKind::GiveFinalRating => {}
            TaskKind::DecideObjection => {
                let filed_on = row.filed_at.map_or(today, calendar_day);
                tasks.push(task(decision_due(filed_on), None, 0));
            }
            TaskKind::GiveAssessment => tasks.push(task(period.ends_on, None, 0)),
            TaskKind::SubmitPlan | TaskKind::ReviseReturnedPlan | TaskKind::ApprovePlan => {
                tasks.push(task(deadlines.planning_due, None, 0));
            }
        }
    }
    tasks.sort_by_key(|t| t.key);
    Ok(tasks)
}

fn view(
    row: &TaskRow,
    kind: TaskKind,
    period: &PeriodRow,
    label: Option<&str>,
    due_on: NaiveDate,
    today: NaiveDate,
    acting_for: Option<Uuid>,
) -> TaskView {
    let name = &row.employee_name;
    let plan = row.plan_id.map(|p| format!("/api/v1/performance-plans/{p}")).unwrap_or_default();
    let sub = label.unwrap_or_default();
    let (title, link) = match kind {
        TaskKind::SubmitPlan if row.plan_id.is_none() => {
            (format!("Start your SKP for {}", period.name), format!("/api/v1/periods/{}", period.id))
        }
        TaskKind::SubmitPlan => (format!("Submit your SKP for {}", period.name), plan),
        TaskKind::ReviseReturnedPlan => (format!("Revise and resubmit your returned SKP for {}", period.name), plan),
        TaskKind::RecordRealisations => (format!("Record your realisations for {sub}"), format!("{plan}/evaluations")),
        TaskKind::ApprovePlan => (format!("Approve or return the SKP of {name}"), plan),
        TaskKind::RateEvaluation => {
            (format!("Rate the realisations of {name} for {sub}"), format!("{plan}/evaluations/{}", row.subject_id))
        }
        TaskKind::GiveFinalRating => (format!("Give the annual rating of {name}"), plan),
        TaskKind::DecideObjection => {
            (format!("Hear and decide the objection of {name}"), format!("/api/v1/objections/{}", row.subject_id))
        }
        TaskKind::GiveAssessment => (
            format!("Give the supervisor's competency assessment of {name}"),
            format!("/api/v1/competency-assessments/{}", row.subject_id),
        ),
    };
    let id = match label {
        Some(label) if kind == TaskKind::RecordRealisations => format!("{}:{}:{label}", kind.as_str(), row.subject_id),
        _ => format!("{}:{}", kind.as_str(), row.subject_id),
    };
    TaskView {
        id,
        kind,
        title,
        subject_id: row.subject_id,
        link,
        employee_id: row.employee_id,
        employee_name: name.clone(),
        period_id: row.period_id,
        period_label: label.map(str::to_owned),
        due_on,
        overdue: due_on < today,
        acting_for,
    }
}

/// The cursor of a task: its ordering key in 22 bytes.
fn encode(key: &(NaiveDate, TaskKind, Uuid, u8)) -> String {
    let mut bytes = Vec::with_capacity(22);
    bytes.extend(key.0.num_days_from_ce().to_be_bytes());
    bytes.push(TaskKind::ALL.iter().position(|k| *k == key.1).map_or(u8::MAX, |i| i as u8));
    bytes.extend(key.2.as_bytes());
    bytes.push(key.3);
    encode_key(&bytes)
}

fn decode(bytes: &[u8]) -> Option<(NaiveDate, TaskKind, Uuid, u8)> {
    let [d0, d1, d2, d3, kind, rest @ ..] = bytes else { return None };
    let (subject, part) = rest.split_at_checked(16)?;
    let [part] = part else { return None };
    Some((
        NaiveDate::from_num_days_from_ce_opt(i32::from_be_bytes([*d0, *d1, *d2, *d3]))?,
        *TaskKind::ALL.get(usize::from(*kind))?,
        Uuid::from_slice(subject).ok()?,
        *part,
    ))
}

/// List what waits for me.
///
/// What waits for the caller, oldest due first: plans to approve, plans returned, realisations
/// to record and to rate, annual ratings owed, objections to decide, supervisor assessments to
/// give, and one's own plan to submit; with the tasks of any official the caller stands in for
/// today (`acting_for`). Computed from the data on each request.
#[utoipa::path(
    tag = "performance",
    security(("bearer" = [])),
    params(TaskQuery, PageParams),
    responses((status = 200, description = "A page of tasks", body = Page<TaskView>), Unauthenticated, Forbidden, Invalid)
)]
#[get("/me/tasks")]
pub(super) async fn list_my_tasks(
    caller: Caller,
    state: web::Data<AppState>,
    query: Query<TaskQuery>,
    page: Query<PageParams>,
) -> Result<web::Json<Page<TaskView>>, ApiError> {
    let limit = page.checked_limit()? as usize;
    let after = match page.cursor_bytes()? {
        None => None,
        Some(bytes) => Some(decode(&bytes).ok_or_else(|| invalid_cursor("cursor"))?),
    };
    let mut tasks: Vec<Keyed> = tasks_of(&state, &caller)
        .await?
        .into_iter()
        .filter(|t| query.kind.is_none_or(|k| t.view.kind == k))
        .filter(|t| after.is_none_or(|after| t.key > after))
        .take(limit + 1)
        .collect();
    let next_cursor = (tasks.len() > limit).then(|| encode(&tasks[limit - 1].key));
    tasks.truncate(limit);
    Ok(web::Json(Page { items: tasks.into_iter().map(|t| t.view).collect(), next_cursor }))
}

/// Count what waits for me, per kind.
#[utoipa::path(
    tag = "performance",
    security(("bearer" = [])),
    responses((status = 200, description = "Counts per kind", body = TaskSummary), Unauthenticated, Forbidden)
)]
#[get("/me/tasks/summary")]
pub(super) async fn summarise_my_tasks(
    caller: Caller,
    state: web::Data<AppState>,
) -> Result<web::Json<TaskSummary>, ApiError> {
    let tasks = tasks_of(&state, &caller).await?;
    let mut counts: BTreeMap<&'static str, usize> = TaskKind::ALL.iter().map(|k| (k.as_str(), 0)).collect();
    for task in &tasks {
        *counts.entry(task.view.kind.as_str()).or_default() += 1;
    }
    Ok(web::Json(TaskSummary {
        counts,
        total: tasks.len(),
        overdue: tasks.iter().filter(|t| t.view.overdue).count(),
        next_due_on: tasks.first().map(|t| t.key.0),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cursor_round_trips_and_garbage_is_refused() {
        let key = (NaiveDate::from_ymd_opt(2026, 4, 10).unwrap(), TaskKind::RateEvaluation, Uuid::now_v7(), 3);
        let bytes = base64::Engine::decode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, encode(&key)).unwrap();
        assert_eq!(decode(&bytes), Some(key));
        assert_eq!(decode(&bytes[..10]), None);
        let mut unknown_kind = bytes.clone();
        unknown_kind[4] = 200;
        assert_eq!(decode(&unknown_kind), None);
    }
}
