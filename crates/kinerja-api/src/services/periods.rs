//! Performance periods of an agency: dates, evaluation cadence and rule set.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use kinerja_domain::audit::AuditEntity;
use kinerja_domain::deadlines::{Deadlines, PeriodStatus};
use kinerja_domain::rule_sets::RuleSet;
use kinerja_domain::workflow::Cadence;
use kinerja_domain::RegistryAction;
use kinerja_store::coded::Coded;
use kinerja_store::plan_rows::{self, PeriodRow};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::context::access::{agency_for_write, authorize, visible};
use crate::context::caller::Caller;
use crate::context::write::{self, record, Change, IfMatch};
use crate::http::checks::{check_code_and_name, present, reject, text_error};
use crate::http::error::ProblemCode;
use crate::http::error::{ApiError, FieldError};
use crate::http::pagination::{Page, PageParams};
use crate::state::AppState;

record!(PeriodRow, AuditEntity::Period, audited: AuditedPeriod, agency: |p| Some(p.agency_id),
        lock: plan_rows::lock_period, save: plan_rows::update_period, insert: plan_rows::insert_period);

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PeriodView {
    pub id: Uuid,
    pub agency_id: Uuid,
    #[schema(example = "SKP 2026")]
    name: String,
    #[schema(example = "2026-01-01")]
    starts_on: NaiveDate,
    #[schema(example = "2026-12-31")]
    ends_on: NaiveDate,
    cadence: Cadence,
    rule_set: RuleSet,
    /// The labels evaluations use, from the cadence: `2026-Q1` … `2026-Q4`.
    #[schema(example = json!(["2026-Q1", "2026-Q2", "2026-Q3", "2026-Q4"]))]
    sub_periods: Vec<String>,
    /// `open`, or `closed`: no new plans, realisations, ratings or calibrations (objections
    /// still run their window).
    status: PeriodStatus,
    /// Why it was last closed or reopened.
    status_reason: Option<String>,
    /// The deadlines that apply: those the agency set, the practice defaults otherwise.
    deadlines: Deadlines,
    created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl PeriodView {
    fn of(p: &PeriodRow) -> Result<Self, ApiError> {
        let cadence = p.cadence.0;
        Ok(PeriodView {
            id: p.id,
            agency_id: p.agency_id,
            name: p.name.clone(),
            starts_on: p.starts_on,
            ends_on: p.ends_on,
            cadence,
            rule_set: p.rule_set.0,
            sub_periods: cadence.labels(p.starts_on, p.ends_on),
            status: p.status.0,
            status_reason: p.status_reason.clone(),
            deadlines: p.deadlines()?,
            created_at: p.created_at,
            updated_at: p.updated_at,
        })
    }
}

/// What the audit trail keeps of a period: what the agency set, as stored.
#[derive(Debug, Serialize)]
pub struct AuditedPeriod {
    name: String,
    starts_on: NaiveDate,
    ends_on: NaiveDate,
    cadence: Cadence,
    rule_set: RuleSet,
    status: PeriodStatus,
    status_reason: Option<String>,
    planning_due: Option<NaiveDate>,
    evaluation_due: serde_json::Value,
    rating_due: Option<NaiveDate>,
}

impl From<&PeriodRow> for AuditedPeriod {
    fn from(p: &PeriodRow) -> Self {
        AuditedPeriod {
            name: p.name.clone(),
            starts_on: p.starts_on,
            ends_on: p.ends_on,
            cadence: p.cadence.0,
            rule_set: p.rule_set.0,
            status: p.status.0,
            status_reason: p.status_reason.clone(),
            planning_due: p.planning_due,
            evaluation_due: p.evaluation_due.clone(),
            rating_due: p.rating_due,
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"agency_id": "0193a0c2-0000-7000-8000-00000000a001", "name": "Penilaian Kinerja 2026", "starts_on": "2026-01-01", "ends_on": "2026-12-31", "cadence": "quarterly", "rule_set": "permenpanrb-6-2022"}))]
pub struct CreatePeriod {
    agency_id: Uuid,
    #[schema(example = "SKP 2026", min_length = 1, max_length = 200)]
    name: String,
    #[schema(example = "2026-01-01")]
    starts_on: NaiveDate,
    #[schema(example = "2026-12-31")]
    ends_on: NaiveDate,
    cadence: Cadence,
    /// Defaults to `permenpanrb-6-2022`.
    rule_set: Option<RuleSet>,
    /// Plans agreed by; defaults to the last day of the period's first month.
    #[schema(example = "2026-01-31")]
    planning_due: Option<NaiveDate>,
    /// Evaluation deadlines by sub-period label; a sub-period left out is due 10 days after it
    /// ends.
    #[serde(default)]
    #[schema(example = json!({"2026-Q1": "2026-04-10"}))]
    evaluation_due: BTreeMap<String, NaiveDate>,
    /// The annual rating given by; defaults to 31 days after the period ends.
    #[schema(example = "2027-01-31")]
    rating_due: Option<NaiveDate>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "Penilaian Kinerja Tahun 2026"}))]
pub struct UpdatePeriod {
    #[schema(min_length = 1, max_length = 200)]
    name: Option<String>,
    starts_on: Option<NaiveDate>,
    ends_on: Option<NaiveDate>,
    cadence: Option<Cadence>,
    rule_set: Option<RuleSet>,
    /// `null` goes back to the default.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<NaiveDate>)]
    planning_due: Option<Option<NaiveDate>>,
    /// Replaces every evaluation deadline the agency set (`{}`: the defaults for all).
    #[schema(example = json!({"2026-Q1": "2026-04-15"}))]
    evaluation_due: Option<BTreeMap<String, NaiveDate>>,
    /// `null` goes back to the default.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<NaiveDate>)]
    rating_due: Option<Option<NaiveDate>>,
}

/// Why a period is closed or reopened.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"reason": "Penilaian kinerja 2026 selesai ditetapkan"}))]
pub struct PeriodStatusChange {
    #[schema(min_length = 1, max_length = 2000)]
    reason: String,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PeriodQuery {
    agency_id: Option<Uuid>,
}

/// A period runs forward and at most a year (366 days); its deadlines fall within it or the
/// year after.
fn check_dates(p: &PeriodRow) -> Result<Vec<FieldError>, ApiError> {
    Ok(if p.ends_on < p.starts_on {
        vec![FieldError::new("ends_on", "before_start", "must not be before starts_on")]
    } else if (p.ends_on - p.starts_on).num_days() > 366 {
        vec![FieldError::new("ends_on", "too_long", "a period lasts at most a year")]
    } else {
        p.set_deadlines()?
            .check(p.starts_on, p.ends_on, p.cadence.0)
            .into_iter()
            .map(|e| FieldError::new(e.field, e.code, e.message))
            .collect()
    })
}

pub async fn list(
    caller: &Caller,
    state: &AppState,
    query: PeriodQuery,
    page: PageParams,
) -> Result<Page<PeriodView>, ApiError> {
    let request = page.parse()?;
    let agency = if caller.reads_every_agency() { query.agency_id } else { caller.agency_id() };
    if !caller.reads_every_agency() {
        let own = agency.ok_or(ApiError::Forbidden("you belong to no agency"))?;
        if query.agency_id.is_some_and(|a| a != own) {
            return Err(ApiError::Forbidden("you may list the periods of your own agency only"));
        }
        authorize(caller, RegistryAction::ReadStructure, own, "agency")?;
    }
    let mut conn = state.read_conn(caller.reads_from).await?;
    let rows = plan_rows::list_periods(&mut conn, agency, request.after, request.fetch()).await?;
    let page = Page::from_rows(rows, request, |p| p.id, |p| PeriodView::of(&p));
    Ok(Page { items: page.items.into_iter().collect::<Result<_, _>>()?, next_cursor: page.next_cursor })
}

pub async fn create(caller: &Caller, state: &AppState, body: CreatePeriod) -> Result<PeriodView, ApiError> {
    agency_for_write(state, caller, body.agency_id, "you may not open periods in that agency").await?;
    let now = Utc::now();
    let row = PeriodRow {
        id: Uuid::now_v7(),
        agency_id: body.agency_id,
        name: body.name.trim().to_owned(),
        starts_on: body.starts_on,
        ends_on: body.ends_on,
        cadence: Coded(body.cadence),
        rule_set: Coded(body.rule_set.unwrap_or(RuleSet::DEFAULT)),
        created_at: now,
        updated_at: now,
        status: Coded(PeriodStatus::Open),
        status_reason: None,
        planning_due: body.planning_due,
        evaluation_due: serde_json::json!(body.evaluation_due),
        rating_due: body.rating_due,
    };
    let mut errors = check_code_and_name(None, Some(&body.name));
    errors.extend(check_dates(&row)?);
    reject(errors)?;
    let row = write::create(state, caller, row, async |_, _| Ok(())).await?;
    PeriodView::of(&row)
}

pub async fn read(caller: &Caller, state: &AppState, period_id: Uuid) -> Result<PeriodView, ApiError> {
    let period = visible::<PeriodRow>(state, caller, period_id).await?;
    PeriodView::of(&period)
}

pub async fn update(
    caller: &Caller,
    state: &AppState,
    period_id: Uuid,
    if_match: &IfMatch,
    body: UpdatePeriod,
) -> Result<PeriodView, ApiError> {
    let row = write::update_registry(state, caller, if_match, period_id, "update", async |tx, current: &PeriodRow| {
        let mut next = current.clone();
        next.name = body.name.map_or(next.name, |n| n.trim().to_owned());
        next.starts_on = body.starts_on.unwrap_or(next.starts_on);
        next.ends_on = body.ends_on.unwrap_or(next.ends_on);
        next.cadence = body.cadence.map_or(next.cadence, Coded);
        next.rule_set = body.rule_set.map_or(next.rule_set, Coded);
        next.planning_due = body.planning_due.unwrap_or(next.planning_due);
        next.rating_due = body.rating_due.unwrap_or(next.rating_due);
        if let Some(evaluation_due) = &body.evaluation_due {
            next.evaluation_due = serde_json::json!(evaluation_due);
        }
        let mut errors = check_code_and_name(None, Some(&next.name));
        errors.extend(check_dates(&next)?);
        reject(errors)?;
        let rules_change = next.starts_on != current.starts_on
            || next.ends_on != current.ends_on
            || next.cadence != current.cadence
            || next.rule_set != current.rule_set;
        // A plan started in the period locks the period row too, so this check holds.
        if rules_change && plan_rows::period_has_plans(tx, current.id).await? {
            return Err(ApiError::Conflict {
                code: ProblemCode::PeriodInUse,
                detail: "plans exist in this period: its dates, cadence and rule set are fixed".into(),
            });
        }
        Ok(Change::row(next))
    })
    .await?;
    PeriodView::of(&row)
}

/// Closes or reopens a period (agency admins), with a reason.
pub async fn change_status(
    caller: &Caller,
    state: &AppState,
    id: Uuid,
    if_match: &IfMatch,
    body: PeriodStatusChange,
    to: PeriodStatus,
) -> Result<PeriodView, ApiError> {
    let reason = body.reason.trim().to_owned();
    reject(text_error("reason", &reason, 2000).into_iter().collect())?;
    let action = match to {
        PeriodStatus::Closed => "close",
        PeriodStatus::Open => "reopen",
    };
    let row = write::update_registry(state, caller, if_match, id, action, async |_, current: &PeriodRow| {
        if current.status.0 == to {
            return Err(ApiError::Conflict {
                code: ProblemCode::InvalidTransition,
                detail: format!("the period is already {}", to.as_str()),
            });
        }
        let mut next = current.clone();
        next.status = Coded(to);
        next.status_reason = Some(reason);
        Ok(Change::row(next))
    })
    .await?;
    PeriodView::of(&row)
}
