//! Performance plans (SKP): results cascaded from the rating official's, indicators, the
//! BerAKHLAK behaviour expectations, and the draft → submitted → approved workflow.

use chrono::{DateTime, Utc};
use kinerja_domain::audit::AuditEntity;
use kinerja_domain::rule_sets::Aspect;
use kinerja_domain::skp::{Approach, BerAkhlak, Perspective, ResultKind};
use kinerja_domain::workflow::{PlanParty, PlanStatus};
use kinerja_domain::RegistryAction;
use kinerja_store::org_rows::EmployeeRow;
use kinerja_store::plan_rows::{self, IndicatorRow, PlanRow, WholePlan};
use kinerja_store::shard::RowKey;
use kinerja_store::AsyncPgConnection;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::context::access::{ensure_plan_visible, party};
use crate::context::caller::Caller;
use crate::context::write::{self, record, Change, IfMatch};
use crate::http::error::ApiError;
use crate::http::error::ProblemCode;
use crate::state::AppState;

pub mod contents;
pub mod lifecycle;

// ---- views ----

/// A person as a plan shows them.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PersonView {
    id: Uuid,
    nip: String,
    name: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct IndicatorView {
    id: Uuid,
    #[schema(example = "Persentase sekolah yang terakreditasi")]
    description: String,
    aspect: Aspect,
    #[schema(example = 90)]
    target_value: Option<f64>,
    #[schema(example = "persen")]
    target_unit: Option<String>,
    target_text: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ResultView {
    id: Uuid,
    kind: ResultKind,
    #[schema(example = "Meningkatnya mutu layanan pendidikan dasar")]
    description: String,
    /// The rating official's result this one is cascaded from.
    parent_result_id: Option<Uuid>,
    perspective: Option<Perspective>,
    indicators: Vec<IndicatorView>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Expectation {
    value: BerAkhlak,
    /// The rating official's specific expectation (ekspektasi khusus pimpinan), if any.
    #[serde(default)]
    expectation: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PlanView {
    pub id: Uuid,
    agency_id: Uuid,
    employee_id: Uuid,
    period_id: Uuid,
    /// 1 for the first plan; a changed approved plan becomes a new revision.
    revision: i32,
    approach: Approach,
    status: PlanStatus,
    rater: Option<PersonView>,
    rater_supervisor: Option<PersonView>,
    /// Why an admin named a rating official other than the supervisor (acting official, transfer).
    rater_override_reason: Option<String>,
    /// Why the rating official returned the plan, when it was returned.
    return_reason: Option<String>,
    /// The later revision that replaces this one.
    superseded_by: Option<Uuid>,
    results: Vec<ResultView>,
    behaviour_expectations: Vec<Expectation>,
    /// Resources, accountability scheme and consequences (lampiran).
    #[schema(value_type = Annex)]
    annex: serde_json::Value,
    created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

pub fn person(e: &EmployeeRow) -> PersonView {
    PersonView { id: e.id, nip: e.nip.clone(), name: e.name.clone() }
}

pub fn indicator_view(i: &IndicatorRow) -> IndicatorView {
    IndicatorView {
        id: i.id,
        description: i.description.clone(),
        aspect: i.aspect.0,
        target_value: i.target_value,
        target_unit: i.target_unit.clone(),
        target_text: i.target_text.clone(),
    }
}

/// The whole plan as the API shows it; `people` holds the rater and their supervisor.
pub fn plan_view(whole: &WholePlan, people: &[EmployeeRow]) -> PlanView {
    let p = &whole.plan;
    let find = |id: Option<Uuid>| id.and_then(|id| people.iter().find(|e| e.id == id)).map(person);
    let results = whole
        .results
        .iter()
        .map(|r| ResultView {
            id: r.id,
            kind: r.kind.0,
            description: r.description.clone(),
            parent_result_id: r.parent_result_id,
            perspective: r.perspective.map(|p| p.0),
            indicators: whole.indicators.iter().filter(|i| i.result_id == r.id).map(indicator_view).collect(),
        })
        .collect();
    let behaviour_expectations = BerAkhlak::ALL
        .iter()
        .map(|value| Expectation {
            value: *value,
            expectation: whole.expectations.iter().find(|e| e.value.0 == *value).and_then(|e| e.expectation.clone()),
        })
        .collect();
    PlanView {
        id: p.id,
        agency_id: p.agency_id,
        employee_id: p.employee_id,
        period_id: p.period_id,
        revision: p.revision,
        approach: p.approach.0,
        status: p.status.0,
        rater: find(p.rater_id),
        rater_supervisor: find(p.rater_supervisor_id),
        rater_override_reason: p.rater_override_reason.clone(),
        return_reason: p.return_reason.clone(),
        superseded_by: p.superseded_by,
        results,
        behaviour_expectations,
        annex: p.annex.clone(),
        created_at: p.created_at,
        updated_at: p.updated_at,
    }
}

/// Reads the whole plan and the people it names: one round trip, whatever the plan's size.
pub async fn load_view(conn: &mut AsyncPgConnection, agency: Uuid, id: Uuid) -> Result<PlanView, ApiError> {
    let (whole, people) = plan_rows::plan_to_show(conn, Some(agency), id).await?.ok_or(ApiError::NotFound("plan"))?;
    Ok(plan_view(&whole, &people))
}

/// [`load_view`] of a plan the caller may read (404 alike otherwise): the plan's row, read with
/// what it holds, decides, so a read is one round trip (two for a superior up the chain).
pub async fn visible_view(conn: &mut AsyncPgConnection, caller: &Caller, id: Uuid) -> Result<PlanView, ApiError> {
    let (whole, people) =
        plan_rows::plan_to_show(conn, caller.shard_hint(), id).await?.ok_or(ApiError::NotFound("plan"))?;
    ensure_plan_visible(conn, caller, &whole.plan).await?;
    Ok(plan_view(&whole, &people))
}

// ---- who may do what ----

/// The employee, their rating official, or an agency admin may edit a draft.
pub fn ensure_editor(caller: &Caller, plan: &PlanRow) -> Result<(), ApiError> {
    let is_party = party(caller, plan) != PlanParty::Other;
    if !is_party && !caller.actor.may_on_registry(RegistryAction::Write, plan.agency_id) {
        return Err(ApiError::Forbidden("only the employee, the rating official or an admin edits a plan"));
    }
    ensure_editable(plan)
}

/// The specific expectations of the leader (ekspektasi khusus pimpinan, PermenPANRB 6/2022) are
/// set by the leader: the rating official, or an agency admin; not the employee.
pub fn ensure_leader(caller: &Caller, plan: &PlanRow) -> Result<(), ApiError> {
    if party(caller, plan) != PlanParty::Rater && !caller.actor.may_on_registry(RegistryAction::Write, plan.agency_id) {
        return Err(ApiError::Forbidden("the rating official (or an agency admin) sets the leader's expectations"));
    }
    ensure_editable(plan)
}

pub fn ensure_editable(plan: &PlanRow) -> Result<(), ApiError> {
    if !plan.status.0.is_editable() {
        return Err(ApiError::Conflict {
            code: ProblemCode::InvalidTransition,
            detail: format!("a {} plan cannot be edited; start a new revision", plan.status),
        });
    }
    Ok(())
}

/// What the audit trail records of a plan's header.
#[derive(Debug, Serialize)]
pub struct PlanAudit {
    status: String,
    rater_id: Option<Uuid>,
    rater_supervisor_id: Option<Uuid>,
    return_reason: Option<String>,
    superseded_by: Option<Uuid>,
    annex: serde_json::Value,
}

impl From<&PlanRow> for PlanAudit {
    fn from(p: &PlanRow) -> Self {
        PlanAudit {
            status: p.status.to_string(),
            rater_id: p.rater_id,
            rater_supervisor_id: p.rater_supervisor_id,
            return_reason: p.return_reason.clone(),
            superseded_by: p.superseded_by,
            annex: p.annex.clone(),
        }
    }
}

// A plan's header carries the version of the whole plan: every change to it or to what it holds
// (results, indicators, expectations, annex, rater, status) locks it and gives it a new ETag.
record!(PlanRow, AuditEntity::Plan, audited: PlanAudit, agency: |p| Some(p.agency_id),
        lock: plan_rows::lock_plan, save: plan_rows::update_plan);

/// A change to a plan or to what it holds, made through the audited write on the locked plan;
/// answers with the whole plan as it then is.
pub async fn edit_plan(
    state: &AppState,
    caller: &Caller,
    if_match: &IfMatch,
    visible: &PlanRow,
    action: &'static str,
    change: impl AsyncFnOnce(&mut AsyncPgConnection, &PlanRow) -> Result<Change<PlanRow>, ApiError>,
) -> Result<PlanView, ApiError> {
    let mut conn = state.db.conn().await?;
    let actor = match party(caller, visible) {
        PlanParty::Rater => caller.audit_actor_for(visible.rater_id),
        _ => caller.audit_actor(),
    };
    write::update_on(&mut conn, &actor, if_match, RowKey::new(visible.agency_id, visible.id), action, change).await?;
    load_view(&mut conn, visible.agency_id, visible.id).await
}

/// The plan's annex (lampiran SKP): resources provided, the accountability scheme and the
/// consequences.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"resources": "Anggaran DPA Dinas Pendidikan 2026; 2 tenaga administrasi", "accountability": "Laporan triwulanan kepada Sekretaris Daerah", "consequences": "Predikat kinerja menjadi dasar pengembangan karier"}))]
pub struct Annex {
    /// Dukungan sumber daya.
    #[serde(default)]
    #[schema(example = "Anggaran DPA Dinas Pendidikan 2026; 2 tenaga administrasi")]
    resources: Option<String>,
    /// Skema pertanggungjawaban.
    #[serde(default)]
    #[schema(example = "Laporan triwulanan kepada Sekretaris Daerah")]
    accountability: Option<String>,
    /// Konsekuensi.
    #[serde(default)]
    #[schema(example = "Predikat kinerja menjadi dasar pengembangan karier")]
    consequences: Option<String>,
}
