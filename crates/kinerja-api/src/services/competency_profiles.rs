//! Competency profiles (PermenPANRB 38/2017): per competency of the
//! position's standard the required and assessed level from every source, the gap, the job-person
//! match (JPM) and its category — for one employee and for a unit's training needs and talent map.

use crate::context::access::{visible, visible_employee};
use crate::context::caller::Caller;
use crate::http::error::ApiError;
use crate::http::error::ProblemCode;
use crate::state::AppState;
use kinerja_domain::competency::{
    self, CompetencyGroup, FillingCategory, JpmError, MappingCategory, Source, SourceLevels,
};
use kinerja_domain::rule_sets::RuleSet;
use kinerja_store::competency_rows::{self as store, CompetencyRow};
use kinerja_store::org_rows::EmployeeRow;
use kinerja_store::plan_rows::PeriodRow;
use kinerja_store::AsyncPgConnection;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

/// One competency of an employee's profile.
#[derive(Debug, Clone)]
pub struct ProfileLine {
    pub competency_id: Uuid,
    /// `None`: assessed but not part of the position's standard.
    pub required: Option<u8>,
    pub levels: SourceLevels,
    pub assessed: Option<u8>,
}

impl ProfileLine {
    /// The shortfall below the required level (0 when met).
    pub fn shortfall(&self) -> Option<u8> {
        match (self.required, self.assessed) {
            (Some(r), Some(a)) => Some(r.saturating_sub(a)),
            _ => None,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Profile {
    pub lines: Vec<ProfileLine>,
    pub jpm: Result<f64, JpmError>,
}

impl Profile {
    /// Required competencies without an assessed level yet.
    pub fn unassessed(&self) -> Vec<Uuid> {
        self.lines.iter().filter(|l| l.required.is_some() && l.assessed.is_none()).map(|l| l.competency_id).collect()
    }
}

/// The profiles of `employees` in the period, by the period's rule set; the required competencies
/// first, in the order of the standard.
pub async fn profiles(
    conn: &mut AsyncPgConnection,
    period: &PeriodRow,
    employees: &[&EmployeeRow],
) -> Result<HashMap<Uuid, Profile>, ApiError> {
    let rule = period.rule_set.0;
    let positions: Vec<Uuid> = employees.iter().filter_map(|e| e.position_id).collect();
    let mut standards: HashMap<Uuid, Vec<(Uuid, u8)>> = HashMap::new();
    for s in store::standards(conn, &positions).await? {
        standards
            .entry(s.position_id)
            .or_default()
            .push((s.competency_id, u8::try_from(s.required_level).unwrap_or(0)));
    }
    let ids: Vec<Uuid> = employees.iter().map(|e| e.id).collect();
    let mut given: HashMap<Uuid, BTreeMap<Uuid, SourceLevels>> = HashMap::new();
    for row in store::source_levels(conn, period.agency_id, period.id, Some(&ids), None).await? {
        add_source_level(given.entry(row.employee_id).or_default().entry(row.competency_id).or_default(), &row);
    }
    Ok(employees
        .iter()
        .map(|e| {
            let standard = e.position_id.and_then(|p| standards.get(&p)).cloned().unwrap_or_default();
            (e.id, profile_against(&standard, given.remove(&e.id).unwrap_or_default(), rule))
        })
        .collect())
}

/// A profile: the levels given per competency, measured against `standard` (competency,
/// required level) by `rule`; the standard's competencies first, in its order.
pub fn profile_against(standard: &[(Uuid, u8)], mut levels: BTreeMap<Uuid, SourceLevels>, rule: RuleSet) -> Profile {
    let mut lines: Vec<ProfileLine> = standard
        .iter()
        .map(|(competency_id, required)| {
            let levels = levels.remove(competency_id).unwrap_or_default();
            let assessed = rule.assessed_level(&levels);
            ProfileLine { competency_id: *competency_id, required: Some(*required), levels, assessed }
        })
        .collect();
    let jpm = competency::jpm(&lines.iter().map(|l| (l.required.unwrap_or(0), l.assessed)).collect::<Vec<_>>());
    lines.extend(levels.into_iter().map(|(competency_id, levels)| ProfileLine {
        competency_id,
        required: None,
        assessed: rule.assessed_level(&levels),
        levels,
    }));
    Profile { lines, jpm }
}

/// Adds what one source said to the levels of a competency.
pub fn add_source_level(levels: &mut SourceLevels, row: &store::SourceLevelRow) {
    let latest = u8::try_from(row.latest).ok();
    match Some(row.source.0) {
        Some(Source::SelfAssessment) => levels.self_assessment = latest,
        Some(Source::Supervisor) => levels.supervisor = latest,
        Some(Source::Assessor) => levels.assessor = latest,
        Some(Source::Peer) => {
            levels.peer_mean = Some((row.mean * 100.0).round() / 100.0);
            levels.peer_count = u32::try_from(row.count).unwrap_or(0);
        }
        Some(Source::Subordinate) => {
            levels.subordinate_mean = Some((row.mean * 100.0).round() / 100.0);
            levels.subordinate_count = u32::try_from(row.count).unwrap_or(0);
        }
        None => {}
    }
}

/// The competencies named in profiles, by id.
pub async fn competency_names(
    conn: &mut AsyncPgConnection,
    lines: impl Iterator<Item = Uuid>,
) -> Result<HashMap<Uuid, CompetencyRow>, ApiError> {
    let mut ids: Vec<Uuid> = lines.collect();
    ids.sort();
    ids.dedup();
    Ok(store::competencies_by_ids(conn, &ids).await?.into_iter().map(|c| (c.id, c)).collect())
}

pub const NOT_ENOUGH_PEERS: &str = "not enough peers to show";
pub const NOT_ENOUGH_SUBORDINATES: &str = "not enough subordinates to show";

/// What an anonymous source (peers, subordinates) said, as a mean only.
#[derive(Debug, Serialize, ToSchema)]
pub struct PeerLevels {
    /// The mean of their levels, shown once at least 3 of them rated; individuals are never
    /// shown.
    mean: Option<f64>,
    count: u32,
    /// Why the mean is not shown: `not enough peers to show`, `not enough subordinates to show`.
    #[serde(skip_serializing_if = "Option::is_none")]
    note: Option<&'static str>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SourcesView {
    #[serde(rename = "self")]
    self_assessment: Option<u8>,
    supervisor: Option<u8>,
    peer: Option<PeerLevels>,
    assessor: Option<u8>,
    /// 360° from below: the mean of those the employee supervises directly.
    subordinate: Option<PeerLevels>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ProfileItem {
    competency_id: Uuid,
    code: String,
    name: String,
    group: CompetencyGroup,
    /// `null`: assessed, but not in the position's standard.
    required_level: Option<u8>,
    /// By the period's rule set: the supervisor's level if given, else the assessor's.
    assessed_level: Option<u8>,
    /// Assessed − required; negative is a shortfall.
    gap: Option<i16>,
    sources: SourcesView,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DialogueTopic {
    competency_id: Uuid,
    code: String,
    #[serde(rename = "self")]
    self_assessment: u8,
    supervisor: u8,
    /// Self − supervisor.
    difference: i16,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CompetencyProfile {
    employee_id: Uuid,
    period_id: Uuid,
    position_id: Uuid,
    rule_set: RuleSet,
    items: Vec<ProfileItem>,
    /// Job-person match in percent; `null` until every required competency is assessed.
    jpm: Option<f64>,
    /// For competency mapping: optimal ≥ 90, cukup optimal 78–<90, kurang optimal < 78.
    jpm_category: Option<MappingCategory>,
    /// For filling a post: memenuhi syarat ≥ 80, masih memenuhi syarat 68–<80, else kurang.
    jpm_filling_category: Option<FillingCategory>,
    /// Required competencies without an assessed level yet.
    unassessed: Vec<Uuid>,
    /// Where self and supervisor differ by 2 levels or more: topics for the next dialogue.
    self_supervisor_gaps: Vec<DialogueTopic>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PeriodParam {
    pub period_id: Uuid,
}

/// The employee's profile for the period, for a caller who may read the employee; 422 when
/// the employee's position has no standard to measure against.
pub async fn measured_profile(
    state: &AppState,
    caller: &Caller,
    employee_id: Uuid,
    period_id: Uuid,
) -> Result<(EmployeeRow, PeriodRow, Profile), ApiError> {
    let employee = visible_employee(state, caller, employee_id).await?;
    let period = visible::<PeriodRow>(state, caller, period_id).await?;
    if period.agency_id != employee.agency_id {
        return Err(ApiError::NotFound("period"));
    }
    let mut conn = state.db.conn().await?;
    let profile = profiles(&mut conn, &period, &[&employee])
        .await?
        .remove(&employee.id)
        .ok_or_else(|| ApiError::internal("profile missing"))?;
    if matches!(profile.jpm, Err(JpmError::NoStandard)) {
        return Err(ApiError::Unprocessable {
            code: ProblemCode::NoCompetencyStandard,
            detail: match employee.position_id {
                None => "the employee holds no position, so there is no competency standard to compare with".to_owned(),
                Some(p) => format!(
                    "position {p} has no competency standard: set one with PUT /api/v1/positions/{p}/competency-requirements"
                ),
            },
        });
    }
    Ok((employee, period, profile))
}

/// An employee's profile for the period as the API shows it: per competency the levels, the gap
/// and every source (peers only as a mean of enough of them), JPM with its categories, and the
/// competencies where self and supervisor differ enough to talk about.
pub async fn profile_view(
    state: &AppState,
    caller: &Caller,
    employee_id: Uuid,
    period_id: Uuid,
) -> Result<CompetencyProfile, ApiError> {
    let (employee, period, profile) = measured_profile(state, caller, employee_id, period_id).await?;
    let position_id = employee.position_id.ok_or_else(|| ApiError::internal("a standard without a position"))?;
    let mut conn = state.db.conn().await?;
    let names = competency_names(&mut conn, profile.lines.iter().map(|l| l.competency_id)).await?;
    let mut items = Vec::new();
    let mut topics = Vec::new();
    for line in &profile.lines {
        let Some(c) = names.get(&line.competency_id) else { continue };
        let s = &line.levels;
        if let (Some(own), Some(sup)) = (s.self_assessment, s.supervisor) {
            if own.abs_diff(sup) >= competency::DIALOGUE_GAP {
                topics.push(DialogueTopic {
                    competency_id: c.id,
                    code: c.code.clone(),
                    self_assessment: own,
                    supervisor: sup,
                    difference: i16::from(own) - i16::from(sup),
                });
            }
        }
        items.push(ProfileItem {
            competency_id: c.id,
            code: c.code.clone(),
            name: c.name.clone(),
            group: group_of(c),
            required_level: line.required,
            assessed_level: line.assessed,
            gap: line.required.zip(line.assessed).map(|(r, a)| competency::gap(r, a)),
            sources: SourcesView {
                self_assessment: s.self_assessment,
                supervisor: s.supervisor,
                peer: (s.peer_count > 0).then(|| PeerLevels {
                    mean: s.shown_peer_mean(),
                    count: s.peer_count,
                    note: (s.shown_peer_mean().is_none()).then_some(NOT_ENOUGH_PEERS),
                }),
                assessor: s.assessor,
                subordinate: (s.subordinate_count > 0).then(|| PeerLevels {
                    mean: s.shown_subordinate_mean(),
                    count: s.subordinate_count,
                    note: (s.shown_subordinate_mean().is_none()).then_some(NOT_ENOUGH_SUBORDINATES),
                }),
            },
        });
    }
    let jpm = profile.jpm.as_ref().ok().copied();
    let unassessed = profile.unassessed();
    Ok(CompetencyProfile {
        employee_id: employee.id,
        period_id: period.id,
        position_id,
        rule_set: period.rule_set.0,
        items,
        jpm,
        jpm_category: jpm.map(competency::mapping_category),
        jpm_filling_category: jpm.map(competency::filling_category),
        unassessed,
        self_supervisor_gaps: topics,
    })
}

/// Stored codes are checked by the table; an unknown one cannot be read back.
pub fn group_of(c: &CompetencyRow) -> CompetencyGroup {
    c.competency_group.0
}
