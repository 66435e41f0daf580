//! What front-ends and the national HR system read in bulk: participation and predikat reports
//! per unit, and the national SKP export (docs/rules.md, "The national system's codes") streamed as NDJSON or
//! CSV in constant memory.

use std::collections::{BTreeMap, HashSet};

use chrono::{NaiveDate, Utc};
use kinerja_domain::deadlines::PeriodStatus;
use kinerja_domain::distribution;
use kinerja_domain::objection::calendar_day;
use kinerja_domain::rule_sets::{Predikat, Rating, RuleSet};
use kinerja_domain::workflow::Cadence;
use kinerja_domain::RegistryAction;
use kinerja_store::appraisal_rows::{self, NationalRecordRow};
use kinerja_store::coded::Coded;
use kinerja_store::org_rows;
use kinerja_store::oversight_rows;
use kinerja_store::plan_rows::{self, PeriodRow};
use kinerja_store::{DbConn, StoreError};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::bulk::export_writer::ExportWriter;
use crate::bulk::file_kinds::{Chunks, ExportFormat, BATCH};
use crate::context::access::{authorize, ensure_unit_people_readable, unit_headed_by};
use crate::context::caller::Caller;
use crate::http::error::problem_codes;
use crate::http::error::ApiError;
use crate::state::AppState;

/// A period whose agency's people the caller may read.
async fn readable_period(state: &AppState, caller: &Caller, period_id: Uuid) -> Result<PeriodRow, ApiError> {
    let mut conn = state.read_conn(caller.reads_from).await?;
    let period = plan_rows::get_period(&mut conn, period_id).await?.ok_or(ApiError::NotFound("period"))?;
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
    let period = plan_rows::get_period(&mut conn, query.period_id).await?.ok_or(ApiError::NotFound("period"))?;
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
    let subtree = org_rows::unit_subtree(&mut conn, unit.id).await?.into_iter().map(|u| u.id).collect();
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

// ---- the national SKP export ----

#[derive(Debug, Clone, Copy, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum RecordKinds {
    All,
    Annual,
    Periodic,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct NationalQuery {
    agency_id: Uuid,
    period_id: Uuid,
    /// `ndjson` (default), `csv` or `xlsx`.
    #[param(inline)]
    format: Option<ExportFormat>,
    /// `all` (default): the annual records, then the periodic ones.
    #[param(inline)]
    records: Option<RecordKinds>,
}

/// One performance record in the national system's shape: ratings 1 = di atas, 2 = sesuai,
/// 3 = di bawah; predikat (quadrant) 1 = sangat baik … 5 = sangat kurang.
#[derive(Debug, Serialize, ToSchema)]
pub struct NationalRecord {
    /// `annual` or `periodic`.
    record: &'static str,
    #[schema(example = "2026-Q1")]
    period_label: String,
    year: i32,
    start_month: u32,
    end_month: u32,
    nip: String,
    name: String,
    grade: Option<String>,
    position: Option<String>,
    unit: Option<String>,
    result_rating: Option<u8>,
    behaviour_rating: Option<u8>,
    predikat: Option<u8>,
    /// The predikat's code, for people reading the file.
    predikat_code: Option<Predikat>,
    rater_nip: Option<String>,
    rater_name: Option<String>,
    rater_grade: Option<String>,
    rater_position: Option<String>,
    rater_unit: Option<String>,
}

/// The national record's columns, in the order files write them.
const NATIONAL_COLUMNS: &[&str] = &[
    "record",
    "period_label",
    "year",
    "start_month",
    "end_month",
    "nip",
    "name",
    "grade",
    "position",
    "unit",
    "result_rating",
    "behaviour_rating",
    "predikat",
    "predikat_code",
    "rater_nip",
    "rater_name",
    "rater_grade",
    "rater_position",
    "rater_unit",
];

fn national_record(row: NationalRecordRow) -> NationalRecord {
    use chrono::Datelike;
    let annual = row.label == "annual";
    let (year, start_month, end_month) = if annual {
        (row.ends_on.year(), row.starts_on.month(), row.ends_on.month())
    } else {
        Cadence::months_of(&row.label).unwrap_or((row.ends_on.year(), 1, 12))
    };
    let rating = |code: Option<Coded<Rating>>| code.map(|r| r.0.national_code());
    NationalRecord {
        record: if annual { "annual" } else { "periodic" },
        period_label: if annual { year.to_string() } else { row.label },
        year,
        start_month,
        end_month,
        nip: row.nip,
        name: row.name,
        grade: row.grade,
        position: row.position,
        unit: row.unit,
        result_rating: rating(row.result_rating),
        behaviour_rating: rating(row.behaviour_rating),
        predikat: row.predikat.and_then(|p| p.0.national_code()),
        predikat_code: row.predikat.map(|p| p.0),
        rater_nip: row.rater_nip,
        rater_name: row.rater_name,
        rater_grade: row.rater_grade,
        rater_position: row.rater_position,
        rater_unit: row.rater_unit,
    }
}

/// What the national SKP export streams: the period (the agency's, rated by PermenPANRB 6/2022),
/// in which format, which records, and the connection it reads on.
pub struct NationalExport {
    pub conn: DbConn,
    pub period: PeriodRow,
    pub format: ExportFormat,
    pub kinds: RecordKinds,
}

/// Checks a national export's query and takes its connection before anything is answered, so
/// an unavailable database is a 503, not a cut stream.
pub async fn national_export(
    caller: &Caller,
    state: &AppState,
    query: NationalQuery,
) -> Result<NationalExport, ApiError> {
    let period = readable_period(state, caller, query.period_id).await?;
    if period.agency_id != query.agency_id {
        return Err(ApiError::NotFound("period"));
    }
    if Some(period.rule_set.0) != Some(RuleSet::PermenPanRb6_2022) {
        return Err(ApiError::Unprocessable {
            code: problem_codes::NOT_EXPORTABLE,
            detail: format!("the national codes are those of permenpanrb-6-2022; this period uses {}", period.rule_set),
        });
    }
    let format = query.format.unwrap_or(ExportFormat::Ndjson);
    let kinds = query.records.unwrap_or(RecordKinds::All);
    let conn = state.read_conn(caller.reads_from).await?;
    Ok(NationalExport { conn, period, format, kinds })
}

/// Reads the export batch by batch in one read-only snapshot and sends each as a chunk; stops
/// quietly when the client goes away.
pub async fn stream_national(
    mut conn: DbConn,
    period: PeriodRow,
    format: ExportFormat,
    kinds: RecordKinds,
    chunks: Chunks,
) -> Result<(), StoreError> {
    let (agency, period_id) = (period.agency_id, period.id);
    conn.build_transaction()
        .read_only()
        .repeatable_read()
        .run(async |tx| {
            let Some(mut writer) = ExportWriter::start(format, "national-skp", NATIONAL_COLUMNS, chunks).await? else {
                return Ok(());
            };
            for periodic in [false, true] {
                let wanted = match kinds {
                    RecordKinds::All => true,
                    RecordKinds::Annual => !periodic,
                    RecordKinds::Periodic => periodic,
                };
                if !wanted {
                    continue;
                }
                let mut after = Uuid::nil();
                loop {
                    let rows = if periodic {
                        appraisal_rows::national_periodic_batch(tx, agency, period_id, after, BATCH).await?
                    } else {
                        appraisal_rows::national_annual_batch(tx, agency, period_id, after, BATCH).await?
                    };
                    let Some(last) = rows.last().map(|r| r.id) else { break };
                    let full = rows.len() as i64 == BATCH;
                    let records: Vec<serde_json::Value> = rows
                        .into_iter()
                        .map(|row| serde_json::to_value(national_record(row)).unwrap_or_default())
                        .collect();
                    if !writer.write(&records).await? {
                        return Ok(());
                    }
                    if !full {
                        break;
                    }
                    after = last;
                }
            }
            writer.finish().await
        })
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The columns name every field of the record, in its order: nothing is left out of a
    /// CSV or a workbook.
    #[test]
    fn the_columns_are_the_records_fields() {
        let record = NationalRecord {
            record: "annual",
            period_label: "2026".into(),
            year: 2026,
            start_month: 1,
            end_month: 12,
            nip: "199001012015031001".into(),
            name: "Budi".into(),
            grade: None,
            position: None,
            unit: None,
            result_rating: None,
            behaviour_rating: None,
            predikat: None,
            predikat_code: None,
            rater_nip: None,
            rater_name: None,
            rater_grade: None,
            rater_position: None,
            rater_unit: None,
        };
        let value = serde_json::to_value(&record).unwrap_or_default();
        let fields: Vec<&str> = value.as_object().map(|o| o.keys().map(String::as_str).collect()).unwrap_or_default();
        let mut columns = NATIONAL_COLUMNS.to_vec();
        columns.sort_unstable();
        let mut sorted = fields.clone();
        sorted.sort_unstable();
        assert_eq!(sorted, columns);
    }
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
