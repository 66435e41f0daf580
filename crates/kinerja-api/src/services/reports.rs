//! What front-ends and national oversight read: participation and predikat reports per unit,
//! and every agency's participation, predikat and curve compliance. The national SKP export is
//! `bulk::national_export`.

use std::collections::{BTreeMap, HashSet};

use chrono::{NaiveDate, Utc};
use kinerja_domain::deadlines::PeriodStatus;
use kinerja_domain::distribution;
use kinerja_domain::objection::calendar_day;
use kinerja_domain::RegistryAction;
use kinerja_store::appraisal_rows::{self};
use kinerja_store::org_rows;
use kinerja_store::oversight_rows;
use kinerja_store::plan_rows::{self, PeriodRow};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::context::access::{authorize, ensure_unit_people_readable, unit_headed_by};
use crate::context::caller::Caller;
use crate::http::error::ApiError;
use crate::state::AppState;

/// A period whose agency's people the caller may read.
pub(crate) async fn readable_period(state: &AppState, caller: &Caller, period_id: Uuid) -> Result<PeriodRow, ApiError> {
    let mut conn = state.read_conn(caller.reads_from).await?;
    let period = plan_rows::get_period(&mut conn, None, period_id).await?.ok_or(ApiError::NotFound("period"))?;
    authorize(caller, RegistryAction::ReadPeople, period.agency_id, "period")?;
    Ok(period)
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReportQuery {
    period_id: Uuid,
    /// Only this unit and its subunits. A unit head who reads no more of the agency gets their
    /// own unit's subtree by default.
    unit_id: Option<Uuid>,
}

/// The period of a unit report and the units it covers (`None`: the whole agency): the agency's
/// readers choose; a unit head reads their unit's subtree (404 for another unit).
async fn report_scope(
    state: &AppState,
    caller: &Caller,
    query: &ReportQuery,
) -> Result<(PeriodRow, Option<HashSet<Uuid>>), ApiError> {
    let mut conn = state.read_conn(caller.reads_from).await?;
    let period = plan_rows::get_period(&mut conn, None, query.period_id).await?.ok_or(ApiError::NotFound("period"))?;
    let reads_agency = caller.actor.may_on_registry(RegistryAction::ReadPeople, period.agency_id);
    let unit = match query.unit_id {
        Some(unit) => Some(unit),
        None if reads_agency => None,
        None => match caller.employee_id() {
            Some(me) if caller.agency_id() == Some(period.agency_id) => unit_headed_by(&mut conn, me).await?,
            _ => None,
        },
    };
    let Some(unit) = unit else {
        authorize(caller, RegistryAction::ReadPeople, period.agency_id, "period")?;
        return Ok((period, None));
    };
    let unit = org_rows::get_unit(&mut conn, unit)
        .await?
        .filter(|u| u.agency_id == period.agency_id)
        .ok_or(ApiError::NotFound("unit"))?;
    ensure_unit_people_readable(&mut conn, caller, &unit).await?;
    let subtree = org_rows::unit_subtree(&mut conn, &unit).await?.into_iter().map(|u| u.id).collect();
    Ok((period, Some(subtree)))
}

// ---- participation ----

#[derive(Debug, Serialize, ToSchema)]
pub struct SubPeriodCount {
    #[schema(example = "2026-Q1")]
    period_label: String,
    /// Employees who recorded realisations for the sub-period.
    evaluated: i64,
    /// Of those, rated by their rating official.
    rated: i64,
    /// The sub-period's evaluation deadline.
    #[schema(example = "2026-04-10")]
    due_on: NaiveDate,
    /// Once the deadline has passed: approved plans with no realisations for the sub-period,
    /// and realisations not rated (0 before the deadline).
    realisations_overdue: i64,
    ratings_overdue: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UnitParticipation {
    unit_id: Uuid,
    code: String,
    name: String,
    /// Employees placed in the unit now.
    employees: i64,
    /// Their current plans for the period.
    plans: i64,
    /// Plans that got at least as far as submitted, approved, and rated (annual rating).
    submitted: i64,
    approved: i64,
    rated: i64,
    /// Once `planning_due` has passed: employees whose plan is not yet submitted.
    plans_overdue: i64,
    /// Once `rating_due` has passed: approved plans without their annual rating.
    annual_ratings_overdue: i64,
    sub_periods: Vec<SubPeriodCount>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ParticipationReport {
    period_id: Uuid,
    /// Every sub-period of the period, in order.
    sub_periods: Vec<String>,
    units: Vec<UnitParticipation>,
}

pub async fn participation(
    caller: &Caller,
    state: &AppState,
    query: ReportQuery,
) -> Result<ParticipationReport, ApiError> {
    let (period, scope) = report_scope(state, caller, &query).await?;
    let mut conn = state.read_conn(caller.reads_from).await?;
    let mut rows = appraisal_rows::participation(&mut conn, period.agency_id, period.id).await?;
    rows.retain(|r| scope.as_ref().is_none_or(|units| units.contains(&r.unit_id)));
    let evaluated = appraisal_rows::evaluated_by_unit(&mut conn, period.agency_id, period.id).await?;
    let deadlines = period.deadlines()?;
    let today = calendar_day(Utc::now());
    let past = |due: NaiveDate, count: i64| if today > due { count.max(0) } else { 0 };
    let labels: Vec<String> = deadlines.evaluation_due.iter().map(|d| d.label.clone()).collect();
    let evaluated: std::collections::HashMap<(Uuid, &str), (i64, i64)> =
        evaluated.iter().map(|e| ((e.unit_id, e.period_label.as_str()), (e.evaluated, e.rated))).collect();
    let units = rows
        .into_iter()
        .map(|r| UnitParticipation {
            sub_periods: deadlines
                .evaluation_due
                .iter()
                .map(|due| {
                    let key = (r.unit_id, due.label.as_str());
                    let (evaluated, rated) = evaluated.get(&key).copied().unwrap_or((0, 0));
                    SubPeriodCount {
                        period_label: due.label.clone(),
                        evaluated,
                        rated,
                        due_on: due.due_on,
                        realisations_overdue: past(due.due_on, r.approved - evaluated),
                        ratings_overdue: past(due.due_on, evaluated - rated),
                    }
                })
                .collect(),
            plans_overdue: past(deadlines.planning_due, r.employees - r.submitted),
            annual_ratings_overdue: past(deadlines.rating_due, r.approved - r.rated),
            unit_id: r.unit_id,
            code: r.unit_code,
            name: r.unit_name,
            employees: r.employees,
            plans: r.plans,
            submitted: r.submitted,
            approved: r.approved,
            rated: r.rated,
        })
        .collect();
    Ok(ParticipationReport { period_id: period.id, sub_periods: labels, units })
}

// ---- predikat distribution ----

#[derive(Debug, Serialize, ToSchema)]
pub struct PredikatTally {
    /// `null` for employees rated while in no unit.
    unit_id: Option<Uuid>,
    total: i64,
    /// Employees per predikat in force (the codes of the period's rule set).
    #[schema(example = json!({"sangat_baik": 2, "baik": 7, "butuh_perbaikan": 1}))]
    counts: BTreeMap<String, i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PredikatReport {
    period_id: Uuid,
    agency: PredikatTally,
    units: Vec<PredikatTally>,
}

pub async fn predikat(caller: &Caller, state: &AppState, query: ReportQuery) -> Result<PredikatReport, ApiError> {
    let (period, scope) = report_scope(state, caller, &query).await?;
    let mut conn = state.read_conn(caller.reads_from).await?;
    let mut rows = appraisal_rows::predikat_by_unit(&mut conn, period.agency_id, period.id).await?;
    rows.retain(|r| scope.as_ref().is_none_or(|units| r.unit_id.is_some_and(|u| units.contains(&u))));
    let mut agency = PredikatTally { unit_id: None, total: 0, counts: BTreeMap::new() };
    let mut units: BTreeMap<Option<Uuid>, PredikatTally> = BTreeMap::new();
    for row in rows {
        let unit = units.entry(row.unit_id).or_insert_with(|| PredikatTally {
            unit_id: row.unit_id,
            total: 0,
            counts: BTreeMap::new(),
        });
        for tally in [&mut agency, unit] {
            tally.total += row.count;
            *tally.counts.entry(row.predikat.to_string()).or_default() += row.count;
        }
    }
    let units = units.into_values().collect();
    Ok(PredikatReport { period_id: period.id, agency, units })
}

// ---- national oversight ----

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct OversightQuery {
    /// The year the agencies' periods start in.
    #[param(minimum = 1900, maximum = 9999, example = 2026)]
    year: i32,
}

/// How an agency's units stand against the distribution curve (SE MenPANRB 3/2023).
#[derive(Debug, Serialize, ToSchema)]
pub struct CurveCompliance {
    /// Units with an organisation rating for the period (the curve applies to them).
    units_rated: u32,
    units_within_curve: u32,
    /// The units whose employees' predikat break their curve.
    units_outside_curve: Vec<Uuid>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AgencyOversight {
    agency_id: Uuid,
    code: String,
    name: String,
    period_id: Uuid,
    period_name: String,
    period_status: PeriodStatus,
    /// Employees of the agency now.
    employees: i64,
    /// Current plans in the period, and how far they got.
    plans: i64,
    submitted: i64,
    approved: i64,
    rated: i64,
    /// Employees per predikat in force.
    #[schema(example = json!({"baik": 120, "sangat_baik": 14}))]
    predikat: BTreeMap<String, i64>,
    curve: CurveCompliance,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct NationalReport {
    year: i32,
    /// One entry per agency and period starting in the year, by agency code.
    agencies: Vec<AgencyOversight>,
}

pub async fn national(caller: &Caller, state: &AppState, query: OversightQuery) -> Result<NationalReport, ApiError> {
    if !caller.reads_every_agency() {
        return Err(ApiError::Forbidden("the cross-agency report is for national auditors and super admins"));
    }
    let year = query.year;
    let dates = (NaiveDate::from_ymd_opt(year, 1, 1), NaiveDate::from_ymd_opt(year + 1, 1, 1));
    let (true, Some(from), Some(to)) = ((1900..=9999).contains(&year), dates.0, dates.1) else {
        return Err(ApiError::validation("year", "out_of_range", "a year from 1900 to 9999"));
    };
    let mut conn = state.read_conn(caller.reads_from).await?;
    let rows = oversight_rows::agency_periods(&mut conn, from, to).await?;
    let periods: Vec<Uuid> = rows.iter().map(|r| r.period_id).collect();
    let counts = oversight_rows::predikat_counts(&mut conn, &periods).await?;
    let org_ratings = oversight_rows::org_ratings(&mut conn, &periods).await?;
    let agencies = rows
        .into_iter()
        .map(|r| {
            let in_period = || counts.iter().filter(|c| c.period_id == r.period_id);
            let mut predikat = BTreeMap::new();
            for c in in_period() {
                *predikat.entry(c.predikat.0.as_str().to_owned()).or_default() += c.n;
            }
            let mut curve = CurveCompliance { units_rated: 0, units_within_curve: 0, units_outside_curve: Vec::new() };
            for rating in org_ratings.iter().filter(|o| o.period_id == r.period_id) {
                let unit = in_period().filter(|c| c.unit_id == Some(rating.unit_id));
                let tally =
                    distribution::count(unit.map(|c| (c.predikat.0.as_str(), u32::try_from(c.n).unwrap_or(u32::MAX))));
                curve.units_rated += 1;
                if distribution::check(rating.predikat.0, &tally).iter().all(|o| o.ok) {
                    curve.units_within_curve += 1;
                } else {
                    curve.units_outside_curve.push(rating.unit_id);
                }
            }
            AgencyOversight {
                agency_id: r.agency_id,
                code: r.agency_code,
                name: r.agency_name,
                period_id: r.period_id,
                period_name: r.period_name,
                period_status: r.status.0,
                employees: r.employees,
                plans: r.plans,
                submitted: r.submitted,
                approved: r.approved,
                rated: r.rated,
                predikat,
                curve,
            }
        })
        .collect();
    Ok(NationalReport { year, agencies })
}
