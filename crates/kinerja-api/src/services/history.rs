//! An employee's career as each judgement found it: per period the position, unit and grade
//! then, the predikat (as rated, calibrated, after objection, in force), the JPM against the
//! standard of the day, and the 9-box — read from what was kept when the rating was issued and
//! the assessment recorded (`kinerja_store::history_rows`), so it does not move when today's
//! position or standard does.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, NaiveDate, Utc};
use kinerja_domain::competency::{self, FillingCategory, MappingCategory, Performance, Potential, PotentialSource};
use kinerja_domain::objection::Outcome;
use kinerja_domain::rule_sets::{Predikat, RuleSet};
use kinerja_store::competency_rows::{self as store};
use kinerja_store::history_rows::{self, Act, SnapshotRow};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::context::access::visible_employee;
use crate::context::caller::Caller;
use crate::http::error::ApiError;
use crate::services::competency_profiles::{add_source_level, profile_against};
use crate::state::AppState;

/// Where the employee stood when judged.
#[derive(Debug, Serialize, ToSchema)]
pub struct StoodAt {
    position_id: Option<Uuid>,
    position_code: Option<String>,
    position_name: Option<String>,
    unit_id: Option<Uuid>,
    unit_name: Option<String>,
    /// Pangkat/golongan, e.g. `III/a`.
    grade: Option<String>,
    rule_set: RuleSet,
    /// When it was kept.
    at: DateTime<Utc>,
}

impl From<&SnapshotRow> for StoodAt {
    fn from(s: &SnapshotRow) -> Self {
        StoodAt {
            position_id: s.position_id,
            position_code: s.position_code.clone(),
            position_name: s.position_name.clone(),
            unit_id: s.unit_id,
            unit_name: s.unit_name.clone(),
            grade: s.grade.clone(),
            rule_set: s.rule_set.0,
            at: s.taken_at,
        }
    }
}

/// The annual rating of a period.
#[derive(Debug, Serialize, ToSchema)]
pub struct PerformanceThen {
    plan_id: Uuid,
    /// Where the employee stood when rated (`null` for ratings given before this was kept).
    judged_as: Option<StoodAt>,
    /// The rating official's, as issued.
    rated_predikat: Option<Predikat>,
    /// Set by the latest calibration, if any.
    calibrated_predikat: Option<Predikat>,
    /// The objection's decision, if one was decided: `upheld` (with the new predikat) or `rejected`.
    objection_outcome: Option<Outcome>,
    objection_predikat: Option<Predikat>,
    /// In force.
    predikat: Option<Predikat>,
    rated_at: Option<DateTime<Utc>>,
}

/// The competency profile of a period, against the standard of the day.
#[derive(Debug, Serialize, ToSchema)]
pub struct CompetencyThen {
    /// Where the employee stood at the latest assessment of the period, and by which rule set.
    judged_as: StoodAt,
    /// The standard then: competency and required level.
    standard: Vec<RequiredThen>,
    jpm: Option<f64>,
    jpm_category: Option<MappingCategory>,
    jpm_filling_category: Option<FillingCategory>,
    /// Required competencies without an assessed level.
    unassessed: usize,
    potential: Option<Potential>,
    potential_from: Option<PotentialSource>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RequiredThen {
    competency_id: Uuid,
    required_level: u8,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct HistoryEntry {
    period_id: Uuid,
    period_name: String,
    starts_on: NaiveDate,
    ends_on: NaiveDate,
    performance: Option<PerformanceThen>,
    competency: Option<CompetencyThen>,
    /// 1 to 9, from the period's predikat in force and its potential; `null` without both.
    #[serde(rename = "box")]
    nine_box: Option<u8>,
    follow_up: Option<String>,
}

/// One point of the trend, for a chart.
#[derive(Debug, Serialize, ToSchema)]
pub struct TrendPoint {
    period_id: Uuid,
    ends_on: NaiveDate,
    predikat: Option<Predikat>,
    jpm: Option<f64>,
    #[serde(rename = "box")]
    nine_box: Option<u8>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct EmployeeHistory {
    employee_id: Uuid,
    nip: String,
    name: String,
    /// Oldest first.
    periods: Vec<HistoryEntry>,
    /// The same, one point per period: predikat, JPM and box.
    trend: Vec<TrendPoint>,
}

pub async fn employee_history(
    caller: &Caller,
    state: &AppState,
    employee_id: Uuid,
) -> Result<EmployeeHistory, ApiError> {
    let employee = visible_employee(state, caller, employee_id).await?;
    let mut conn = state.read_conn(caller.reads_from).await?;
    let periods = history_rows::periods_of(&mut conn, employee.id).await?;
    let snapshots = history_rows::snapshots_of(&mut conn, employee.id).await?;
    let of_rating: HashMap<Uuid, &SnapshotRow> =
        snapshots.iter().filter(|s| s.act.0 == Act::FinalRating).map(|s| (s.act_id, s)).collect();
    // The latest assessment's snapshot per period (they come oldest first).
    let of_assessment: HashMap<Uuid, &SnapshotRow> =
        snapshots.iter().filter(|s| s.act.0 == Act::Assessment).map(|s| (s.period_id, s)).collect();
    let mut entries = Vec::with_capacity(periods.len());
    for p in periods {
        let code = |c: Option<kinerja_store::coded::Coded<Predikat>>| c.map(|c| c.0);
        let predikat = code(p.predikat);
        let performance = p.plan_id.map(|plan_id| PerformanceThen {
            plan_id,
            judged_as: of_rating.get(&plan_id).map(|s| StoodAt::from(*s)),
            rated_predikat: code(p.rated_predikat),
            calibrated_predikat: code(p.calibrated_predikat),
            objection_outcome: p.objection_outcome.map(|c| c.0),
            objection_predikat: code(p.objection_predikat),
            predikat,
            rated_at: p.rated_at,
        });
        let competency = match of_assessment.get(&p.period_id) {
            Some(snapshot) => Some(competency_then(&mut conn, p.agency_id, employee.id, snapshot).await?),
            None => None,
        };
        let performance_box = predikat.map(Performance::from_predikat);
        let potential = competency.as_ref().and_then(|c| c.potential);
        let placed = performance_box.zip(potential).map(|(k, p)| competency::nine_box(k, p));
        entries.push(HistoryEntry {
            period_id: p.period_id,
            period_name: p.name,
            starts_on: p.starts_on,
            ends_on: p.ends_on,
            performance,
            competency,
            nine_box: placed.map(|(b, _)| b),
            follow_up: placed.map(|(_, f)| f.to_owned()),
        });
    }
    let trend = entries
        .iter()
        .map(|e| TrendPoint {
            period_id: e.period_id,
            ends_on: e.ends_on,
            predikat: e.performance.as_ref().and_then(|p| p.predikat),
            jpm: e.competency.as_ref().and_then(|c| c.jpm),
            nine_box: e.nine_box,
        })
        .collect();
    Ok(EmployeeHistory { employee_id: employee.id, nip: employee.nip, name: employee.name, periods: entries, trend })
}

/// The period's levels (the judgements themselves) measured against the standard kept with the
/// latest assessment, by the rule set kept with it.
async fn competency_then(
    conn: &mut kinerja_store::AsyncPgConnection,
    agency: Uuid,
    employee: Uuid,
    snapshot: &SnapshotRow,
) -> Result<CompetencyThen, ApiError> {
    let rule = snapshot.rule_set.0;
    let standard: Vec<(Uuid, u8)> = snapshot
        .standard
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|r| {
            let id = r["competency_id"].as_str()?.parse().ok()?;
            Some((id, u8::try_from(r["required_level"].as_u64()?).ok()?))
        })
        .collect();
    let mut levels = BTreeMap::new();
    for row in store::source_levels(conn, agency, snapshot.period_id, Some(&[employee]), None).await? {
        add_source_level(levels.entry(row.competency_id).or_default(), &row);
    }
    let profile = profile_against(&standard, levels, rule);
    let jpm = profile.jpm.as_ref().ok().copied();
    let assessor = store::potentials(conn, snapshot.period_id, &[employee])
        .await?
        .into_iter()
        .find_map(|p| Potential::parse(&p.code));
    let judged = Potential::judged(assessor, jpm);
    Ok(CompetencyThen {
        judged_as: StoodAt::from(snapshot),
        standard: standard
            .iter()
            .map(|(competency_id, required_level)| RequiredThen {
                competency_id: *competency_id,
                required_level: *required_level,
            })
            .collect(),
        jpm,
        jpm_category: jpm.map(competency::mapping_category),
        jpm_filling_category: jpm.map(competency::filling_category),
        unassessed: profile.unassessed().len(),
        potential: judged.map(|(p, _)| p),
        potential_from: judged.map(|(_, from)| from),
    })
}
