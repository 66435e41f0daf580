//! Individual development plans: activities for a gap, suggested activities and mentors.

use crate::context::access::visible_employee;
use crate::context::caller::Caller;
use crate::context::write::{self, record, Change, IfMatch};
use crate::http::checks::{check_evidence, present, reject, text_error, unknown_competency, usable_in, Evidence};
use crate::http::error::{ApiError, FieldError};
use crate::http::pagination::{Page, PageParams};
use crate::services::competency_profiles::{add_source_level, competency_names, measured_profile, PeriodParam};
use crate::state::AppState;
use chrono::{DateTime, NaiveDate, Utc};
use kinerja_domain::audit::AuditEntity;
use kinerja_domain::civil_service::tree_distance;
use kinerja_domain::competency::{self, ActivityKind, ActivityStatus, CompetencyGroup, Performance, SourceLevels};
use kinerja_domain::rule_sets::Predikat;
use kinerja_domain::RegistryAction;
use kinerja_store::coded::Coded;
use kinerja_store::competency_rows::{self as store, ActivityRow};
use kinerja_store::org_rows::{self, EmployeeRow};
use kinerja_store::plan_rows::PeriodRow;
use kinerja_store::AsyncPgConnection;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use utoipa::ToSchema;
use uuid::Uuid;

record!(ActivityRow, AuditEntity::DevelopmentActivity, audited: ActivityView, agency: |a| Some(a.agency_id),
        lock: store::lock_activity, save: store::update_activity, insert: store::insert_activity);

// ---- the individual development plan ----

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ActivityView {
    pub id: Uuid,
    pub employee_id: Uuid,
    competency_id: Option<Uuid>,
    kind: ActivityKind,
    #[schema(example = "Pelatihan Pengambilan Keputusan")]
    title: String,
    mentor_id: Option<Uuid>,
    due_on: Option<NaiveDate>,
    status: ActivityStatus,
    evidence: Vec<Evidence>,
    created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<&ActivityRow> for ActivityView {
    fn from(a: &ActivityRow) -> Self {
        ActivityView {
            id: a.id,
            employee_id: a.employee_id,
            competency_id: a.competency_id,
            // Stored codes are checked by the table.
            kind: a.kind.0,
            title: a.title.clone(),
            mentor_id: a.mentor_id,
            due_on: a.due_on,
            status: a.status.0,
            evidence: serde_json::from_value(a.evidence.clone()).unwrap_or_default(),
            created_at: a.created_at,
            updated_at: a.updated_at,
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"kind": "training", "title": "Pelatihan Pengadaan Barang/Jasa Tingkat Dasar", "competency_id": "0193a0c2-0000-7000-8000-000000001001", "due_on": "2026-09-30", "status": "planned", "evidence": []}))]
pub struct CreateActivity {
    /// The competency whose gap the activity closes.
    #[serde(default)]
    competency_id: Option<Uuid>,
    kind: ActivityKind,
    #[schema(min_length = 1, max_length = 200)]
    title: String,
    /// `mentoring` only: a colleague of the same agency, never the employee.
    #[serde(default)]
    mentor_id: Option<Uuid>,
    #[serde(default)]
    due_on: Option<NaiveDate>,
    /// Default `planned`.
    #[serde(default)]
    status: Option<ActivityStatus>,
    #[serde(default)]
    evidence: Vec<Evidence>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"status": "done", "evidence": [{"description": "Sertifikat pelatihan", "url": "https://lpse.batanghari.go.id/sertifikat/2026-0412.pdf"}]}))]
pub struct UpdateActivity {
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<Uuid>)]
    competency_id: Option<Option<Uuid>>,
    kind: Option<ActivityKind>,
    title: Option<String>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<Uuid>)]
    mentor_id: Option<Option<Uuid>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<NaiveDate>)]
    due_on: Option<Option<NaiveDate>>,
    status: Option<ActivityStatus>,
    evidence: Option<Vec<Evidence>>,
}

/// The employee's record, if the caller may change their development plan: the employee,
/// anyone above them in the supervisor chain, and whoever writes the agency's registry.
async fn plan_owner(state: &AppState, caller: &Caller, employee_id: Uuid) -> Result<EmployeeRow, ApiError> {
    let employee = visible_employee(state, caller, employee_id).await?;
    if caller.actor.may_on_registry(RegistryAction::Write, employee.agency_id) {
        return Ok(employee);
    }
    let mut conn = state.db.conn().await?;
    let allowed = match caller.employee_id() {
        Some(own) => own == employee.id || org_rows::is_below(&mut conn, employee.agency_id, own, employee.id).await?,
        None => false,
    };
    if allowed {
        Ok(employee)
    } else {
        Err(ApiError::Forbidden("only the employee, those above them and admins change a development plan"))
    }
}

/// Checks an activity as it will be stored.
async fn check_activity(conn: &mut AsyncPgConnection, a: &ActivityRow, evidence: &[Evidence]) -> Result<(), ApiError> {
    let mut errors = Vec::new();
    errors.extend(text_error("title", &a.title, 200));
    if let Some(c) = a.competency_id {
        if !store::get_competency(conn, c).await?.is_some_and(|c| usable_in(&c, Some(a.agency_id))) {
            errors.push(unknown_competency("competency_id"));
        }
    }
    if let Some(mentor) = a.mentor_id {
        if a.kind.0 != ActivityKind::Mentoring {
            errors.push(FieldError::new("mentor_id", "not_allowed", "only a mentoring activity has a mentor"));
        } else if mentor == a.employee_id {
            errors.push(FieldError::new("mentor_id", "self_mentoring", "no one mentors themselves"));
        } else if !org_rows::employee_in_agency(conn, mentor, a.agency_id).await? {
            errors.push(FieldError::new("mentor_id", "not_found", "no employee with that id in this agency"));
        }
    }
    if evidence.len() > kinerja_domain::limits::MAX_EVIDENCE {
        errors.push(FieldError::new(
            "evidence",
            "too_many",
            format!("at most {} pieces of evidence", kinerja_domain::limits::MAX_EVIDENCE),
        ));
    }
    for (j, e) in evidence.iter().enumerate() {
        errors.extend(check_evidence(&format!("evidence[{j}]"), e));
    }
    reject(errors)
}

fn evidence_json(evidence: &[Evidence]) -> Result<serde_json::Value, ApiError> {
    serde_json::to_value(evidence).map_err(|e| ApiError::internal(e.to_string()))
}

pub async fn list_activities(
    caller: &Caller,
    state: &AppState,
    employee_id: Uuid,
    page: PageParams,
) -> Result<Page<ActivityView>, ApiError> {
    let request = page.parse()?;
    let employee = visible_employee(state, caller, employee_id).await?;
    let mut conn = state.read_conn(caller.reads_from).await?;
    let rows = store::list_activities(&mut conn, employee.id, request.after, request.fetch()).await?;
    Ok(Page::from_rows(rows, request, |a| a.id, |a| ActivityView::from(&a)))
}

pub async fn create_activity(
    caller: &Caller,
    state: &AppState,
    employee_id: Uuid,
    body: CreateActivity,
) -> Result<ActivityView, ApiError> {
    let employee = plan_owner(state, caller, employee_id).await?;
    let now = Utc::now();
    let row = ActivityRow {
        id: Uuid::now_v7(),
        agency_id: employee.agency_id,
        employee_id: employee.id,
        competency_id: body.competency_id,
        kind: Coded(body.kind),
        title: body.title.trim().to_owned(),
        mentor_id: body.mentor_id,
        due_on: body.due_on,
        status: Coded(body.status.unwrap_or(ActivityStatus::Planned)),
        evidence: evidence_json(&body.evidence)?,
        created_by: caller.user_id(),
        created_at: now,
        updated_at: now,
    };
    let row = write::create(state, caller, row, async |tx, row| check_activity(tx, row, &body.evidence).await).await?;
    Ok(ActivityView::from(&row))
}

pub async fn update_activity(
    caller: &Caller,
    state: &AppState,
    (employee_id, activity_id): (Uuid, Uuid),
    if_match: &IfMatch,
    body: UpdateActivity,
) -> Result<ActivityView, ApiError> {
    let employee = plan_owner(state, caller, employee_id).await?;
    let row = write::update(state, caller, if_match, activity_id, "update", async |tx, current: &ActivityRow| {
        if current.employee_id != employee.id {
            return Err(ApiError::NotFound("activity"));
        }
        let evidence = body.evidence.unwrap_or_else(|| ActivityView::from(current).evidence);
        let mut next = current.clone();
        next.competency_id = body.competency_id.unwrap_or(next.competency_id);
        next.kind = body.kind.map_or(next.kind, Coded);
        next.title = body.title.map_or(next.title, |t| t.trim().to_owned());
        next.mentor_id = body.mentor_id.unwrap_or(next.mentor_id);
        next.due_on = body.due_on.unwrap_or(next.due_on);
        next.status = body.status.map_or(next.status, Coded);
        next.evidence = evidence_json(&evidence)?;
        check_activity(tx, &next, &evidence).await?;
        Ok(Change::row(next))
    })
    .await?;
    Ok(ActivityView::from(&row))
}

// ---- suggestions and mentors ----

#[derive(Debug, Serialize, ToSchema)]
pub struct Proposal {
    kind: ActivityKind,
    title: String,
}

/// A colleague who could mentor: a high assessed level in the competency and a recent annual
/// predikat of at least `baik` (the predikat itself is not shown).
#[derive(Debug, Serialize, ToSchema)]
pub struct MentorCandidate {
    employee_id: Uuid,
    name: String,
    unit_id: Option<Uuid>,
    assessed_level: u8,
    /// Steps between the two units in the organisation chart (0: the same unit).
    distance: Option<u32>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Suggestion {
    competency_id: Uuid,
    code: String,
    name: String,
    group: CompetencyGroup,
    required_level: u8,
    assessed_level: u8,
    /// Assessed − required (negative).
    gap: i16,
    proposals: Vec<Proposal>,
    /// Nearest in the organisation first, at most five.
    mentor_candidates: Vec<MentorCandidate>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Suggestions {
    employee_id: Uuid,
    period_id: Uuid,
    items: Vec<Suggestion>,
    /// Required competencies not assessed yet: no suggestion until they are.
    unassessed: Vec<Uuid>,
}

const MENTOR_CANDIDATES: usize = 5;

/// Colleagues of the same agency who may mentor `mentee` in `competency`, nearest first.
async fn mentor_candidates(
    conn: &mut AsyncPgConnection,
    period: &PeriodRow,
    mentee: &EmployeeRow,
    competency_id: Uuid,
    required: u8,
    parents: &HashMap<Uuid, Option<Uuid>>,
) -> Result<Vec<MentorCandidate>, ApiError> {
    let rule = period.rule_set.0;
    let mut levels: HashMap<Uuid, SourceLevels> = HashMap::new();
    for row in store::source_levels(conn, period.agency_id, period.id, None, Some(competency_id)).await? {
        add_source_level(levels.entry(row.employee_id).or_default(), &row);
    }
    let strong: HashMap<Uuid, u8> = levels
        .iter()
        .filter(|(id, _)| **id != mentee.id)
        .filter_map(|(id, l)| rule.assessed_level(l).map(|level| (*id, level)))
        .filter(|(_, level)| *level >= competency::MENTOR_MIN_LEVEL)
        .collect();
    let ids: Vec<Uuid> = strong.keys().copied().collect();
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let performance: HashMap<Uuid, Performance> = store::latest_predikat(conn, &ids, period.ends_on)
        .await?
        .into_iter()
        .filter_map(|p| Predikat::parse(&p.code).map(|k| (p.employee_id, Performance::from_predikat(k))))
        .collect();
    let mut candidates: Vec<MentorCandidate> = org_rows::employees_by_ids(conn, &ids)
        .await?
        .into_iter()
        .filter(|e| competency::may_mentor(strong[&e.id], required, performance.get(&e.id).copied()))
        .map(|e| MentorCandidate {
            employee_id: e.id,
            assessed_level: strong[&e.id],
            distance: mentee.unit_id.zip(e.unit_id).and_then(|(a, b)| tree_distance(parents, a, b)),
            name: e.name,
            unit_id: e.unit_id,
        })
        .collect();
    candidates.sort_by(|a, b| {
        (a.distance.unwrap_or(u32::MAX), std::cmp::Reverse(a.assessed_level), &a.name).cmp(&(
            b.distance.unwrap_or(u32::MAX),
            std::cmp::Reverse(b.assessed_level),
            &b.name,
        ))
    });
    candidates.truncate(MENTOR_CANDIDATES);
    Ok(candidates)
}

pub async fn suggest_activities(
    caller: &Caller,
    state: &AppState,
    employee_id: Uuid,
    query: PeriodParam,
) -> Result<Suggestions, ApiError> {
    let (employee, period, profile) = measured_profile(state, caller, employee_id, query.period_id).await?;
    let mut conn = state.db.conn().await?;
    let names = competency_names(&mut conn, profile.lines.iter().map(|l| l.competency_id)).await?;
    let parents: HashMap<Uuid, Option<Uuid>> =
        store::unit_links(&mut conn, employee.agency_id).await?.into_iter().map(|u| (u.id, u.parent_id)).collect();
    let mut items = Vec::new();
    for line in &profile.lines {
        let (Some(required), Some(assessed), Some(c)) = (line.required, line.assessed, names.get(&line.competency_id))
        else {
            continue;
        };
        let shortfall = required.saturating_sub(assessed);
        if shortfall == 0 {
            continue;
        }
        let group = c.competency_group.0;
        let mentors = mentor_candidates(&mut conn, &period, &employee, c.id, required, &parents).await?;
        let mut kinds = competency::proposals(group, shortfall);
        if !mentors.is_empty() {
            kinds.push(ActivityKind::Mentoring);
        }
        items.push(Suggestion {
            competency_id: c.id,
            code: c.code.clone(),
            name: c.name.clone(),
            group,
            required_level: required,
            assessed_level: assessed,
            gap: competency::gap(required, assessed),
            proposals: kinds.into_iter().map(|kind| Proposal { kind, title: kind.proposal_title(&c.name) }).collect(),
            mentor_candidates: mentors,
        });
    }
    // The biggest gaps first.
    items.sort_by_key(|s| (s.gap, s.code.clone()));
    let unassessed = profile.unassessed();
    Ok(Suggestions { employee_id: employee.id, period_id: period.id, items, unassessed })
}
