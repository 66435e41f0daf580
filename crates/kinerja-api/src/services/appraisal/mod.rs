//! The annual rating and what follows it: the rating official's final rating (PermenPANRB
//! 6/2022), the organisation's own predikat and the distribution curve it sets (SE MenPANRB
//! 3/2023), calibration by an admin, and objections (keberatan, PP 30/2019 art. 59) decided by
//! the rating official's supervisor.

use crate::context::access::unit_headed_by;
use chrono::{DateTime, NaiveDate, Utc};
use kinerja_domain::audit::AuditEntity;
use kinerja_domain::distribution::OrgPredikat;
use kinerja_domain::objection::{self, ObjectionStatus, Outcome};
use kinerja_domain::rule_sets::{Predikat, Rating, RuleSet};
use kinerja_store::appraisal_rows::{self, FinalRatingRow, OrgRatingRow};
use kinerja_store::plan_rows::{PeriodRow, PlanRow};
use kinerja_store::shard::RowKey;
use kinerja_store::{evaluation_rows, org_rows, plan_rows, AsyncPgConnection};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::context::access::visible_plan;
use crate::context::caller::Caller;
use crate::context::write::Record;
use crate::http::checks::text_error;
use crate::http::error::ApiError;
use crate::http::error::ProblemCode;
use crate::services::scoring::{rating_request, Explanation};
use crate::state::AppState;

pub mod calibration;
pub mod curve;
pub mod final_rating;
pub mod objections;

/// A free text that must say something (a reason, a justification, a decision note): trimmed,
/// then held to the one text rule ([`text_error`]) with at most 4000 characters.
fn required_text(field: &str, text: &str) -> Result<String, ApiError> {
    let text = text.trim();
    match text_error(field, text, 4000) {
        Some(error) => Err(ApiError::Validation(vec![error])),
        None => Ok(text.to_owned()),
    }
}

fn optional_text(field: &str, text: Option<&str>) -> Result<Option<String>, ApiError> {
    match text.map(str::trim).filter(|t| !t.is_empty()) {
        Some(t) => required_text(field, t).map(Some),
        None => Ok(None),
    }
}

/// A predikat the period's rule set gives, or a field error naming them.
fn check_predikat(field: &str, predikat: Predikat, rule_set: RuleSet) -> Result<(), ApiError> {
    if rule_set.predikat().contains(&predikat) {
        return Ok(());
    }
    let allowed = rule_set.predikat().iter().map(|p| p.as_str()).collect::<Vec<_>>().join(", ");
    Err(ApiError::validation(field, "not_in_rule_set", format!("{} gives one of: {allowed}", rule_set.code())))
}

async fn period_of(conn: &mut AsyncPgConnection, plan: &PlanRow) -> Result<PeriodRow, ApiError> {
    plan_rows::get_period(conn, Some(plan.agency_id), plan.period_id).await?.ok_or(ApiError::NotFound("period"))
}

// ---- the final (annual) rating ----

rating_request! {
/// The annual rating's inputs: the two ratings for the default matrix; scores for the numeric
/// rule sets of older periods.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"result_rating": "sesuai_ekspektasi", "behaviour_rating": "di_atas_ekspektasi",
                          "note": "Target tahunan tercapai; kolaborasi lintas bidang sangat baik."}))]
pub struct FinalRatingRequest {
    /// Numeric rule sets: an SKP score given by hand (refused where the year's realisations
    /// give it).
    #[serde(default)]
    skp_score: Option<f64>,
    #[serde(default)]
    #[schema(max_length = 4000)]
    note: Option<String>,
}
}

/// A periodic evaluation's predikat, which the annual rating draws on.
#[derive(Debug, Serialize, ToSchema)]
pub struct PeriodicPredikat {
    #[schema(example = "2026-Q1")]
    period_label: String,
    /// Absent until the evaluation is rated.
    predikat: Option<Predikat>,
    rated_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ObjectionSummary {
    id: Uuid,
    status: ObjectionStatus,
    outcome: Option<Outcome>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct FinalRatingView {
    pub plan_id: Uuid,
    employee_id: Uuid,
    period_id: Uuid,
    /// The employee's unit when rated; the distribution curve counts them there.
    unit_id: Option<Uuid>,
    result_rating: Option<Rating>,
    behaviour_rating: Option<Rating>,
    /// The rating official's predikat, as issued.
    rated_predikat: Predikat,
    /// The predikat in force: after a calibration or an upheld objection, theirs.
    predikat: Predikat,
    /// The rule set, inputs and matrix cell that decided; `unit_head` when the result rating
    /// followed the unit's organisation predikat; `calibration` and `objection` when they
    /// changed the predikat.
    #[schema(value_type = FinalRatingExplanation)]
    explanation: serde_json::Value,
    note: Option<String>,
    rated_by: Uuid,
    rated_at: DateTime<Utc>,
    /// The periodic predikat of the plan's evaluations.
    periodic: Vec<PeriodicPredikat>,
    /// The last day the employee may object (WIB calendar).
    objection_deadline: NaiveDate,
    objection: Option<ObjectionSummary>,
    pub updated_at: DateTime<Utc>,
}

/// How an annual rating was decided and what changed its predikat since: the stored
/// explanation of the rule set with the notes below (the schema of `FinalRatingView.explanation`).
#[derive(Debug, Serialize, ToSchema)]
#[allow(dead_code)] // describes stored JSON assembled from the notes below
pub struct FinalRatingExplanation {
    #[serde(flatten)]
    decided: Explanation,
    unit_head: Option<UnitHeadNote>,
    calibration: Option<CalibrationNote>,
    objection: Option<ObjectionNote>,
}

/// The head of a unit took the unit's result: the result rating followed its organisation
/// predikat (PermenPANRB 6/2022).
#[derive(Debug, Serialize, ToSchema)]
pub struct UnitHeadNote {
    unit_id: Uuid,
    #[schema(value_type = OrgPredikat)]
    organisation_predikat: String,
}

/// An agency admin's calibration of the predikat.
#[derive(Debug, Serialize, ToSchema)]
pub struct CalibrationNote {
    #[schema(value_type = Predikat)]
    predikat_before: String,
    predikat: Predikat,
    justification: String,
    /// The admin's user id.
    by: Option<Uuid>,
    at: DateTime<Utc>,
}

/// An upheld objection that set the predikat.
#[derive(Debug, Serialize, ToSchema)]
pub struct ObjectionNote {
    objection_id: Uuid,
    outcome: Option<Outcome>,
    predikat: Option<Predikat>,
    note: Option<String>,
    decided_by: Option<Uuid>,
    decided_at: Option<DateTime<Utc>>,
}

fn note_json(note: &impl Serialize) -> serde_json::Value {
    serde_json::to_value(note).unwrap_or_default()
}

/// The final rating as the API shows it: the explanation names every change after the rating.
async fn final_view(
    conn: &mut AsyncPgConnection,
    row: &FinalRatingRow,
    window_days: i32,
) -> Result<FinalRatingView, ApiError> {
    let periodic = evaluation_rows::evaluations_of_plan(conn, row.plan_id)
        .await?
        .into_iter()
        .map(|e| PeriodicPredikat {
            period_label: e.period_label,
            predikat: e.predikat.map(|c| c.0),
            rated_at: e.rated_at,
        })
        .collect();
    let objection = appraisal_rows::objection_of_plan(conn, row.plan_id).await?;
    let mut explanation = row.explanation.clone();
    if let Some(map) = explanation.as_object_mut() {
        if let Some(calibration) = &row.calibration {
            map.insert("calibration".into(), calibration.clone());
        }
        if let Some(o) = objection.as_ref().filter(|o| o.outcome.map(|c| c.0) == Some(Outcome::Upheld)) {
            let note = ObjectionNote {
                objection_id: o.id,
                outcome: o.outcome.map(|c| c.0),
                predikat: o.decided_predikat.map(|c| c.0),
                note: o.decision_note.clone(),
                decided_by: o.decided_by,
                decided_at: o.decided_at,
            };
            map.insert("objection".into(), note_json(&note));
        }
    }
    Ok(FinalRatingView {
        plan_id: row.plan_id,
        employee_id: row.employee_id,
        period_id: row.period_id,
        unit_id: row.unit_id,
        result_rating: row.result_rating.map(|c| c.0),
        behaviour_rating: row.behaviour_rating.map(|c| c.0),
        rated_predikat: row.rated_predikat.0,
        predikat: row.predikat.0,
        explanation,
        note: row.note.clone(),
        rated_by: row.rated_by,
        rated_at: row.rated_at,
        periodic,
        objection_deadline: objection::deadline(row.in_force_since(), window_days),
        objection: objection.map(|o| ObjectionSummary {
            id: o.id,
            status: o.status.0,
            outcome: o.outcome.map(|c| c.0),
        }),
        updated_at: row.updated_at,
    })
}

async fn window_days(conn: &mut AsyncPgConnection, agency_id: Uuid) -> Result<i32, ApiError> {
    Ok(org_rows::get_agency(conn, agency_id).await?.map_or(objection::DEFAULT_WINDOW_DAYS, |a| a.objection_window_days))
}

/// When the employee heads their unit, the unit's organisation predikat for the period (which
/// then is their rating hasil kerja); an error when it has not been recorded yet.
async fn headed_unit_rating(
    conn: &mut AsyncPgConnection,
    employee_id: Uuid,
    period_id: Uuid,
) -> Result<Option<OrgRatingRow>, ApiError> {
    let Some(unit_id) = unit_headed_by(conn, employee_id).await? else { return Ok(None) };
    match appraisal_rows::get_org_rating(conn, unit_id, period_id).await? {
        Some(rating) => Ok(Some(rating)),
        None => Err(ApiError::Conflict {
            code: ProblemCode::OrganisationRatingMissing,
            detail: format!(
                "the employee heads unit {unit_id}, whose result is their rating hasil kerja; record the unit's \
                 organisation rating for this period first"
            ),
        }),
    }
}

/// What the audit trail records of an annual rating's own changes.
#[derive(Debug, Serialize)]
pub struct FinalRatingAudit {
    predikat: String,
}

impl Record for FinalRatingRow {
    const ENTITY: AuditEntity = AuditEntity::FinalRating;
    type Audited = FinalRatingAudit;

    fn id(&self) -> Uuid {
        self.plan_id
    }

    fn agency_id(&self) -> Option<Uuid> {
        Some(self.agency_id)
    }

    fn version(&self) -> DateTime<Utc> {
        self.updated_at
    }

    fn set_version(&mut self, version: DateTime<Utc>) {
        self.updated_at = version;
    }

    fn audited(&self) -> FinalRatingAudit {
        FinalRatingAudit { predikat: self.predikat.to_string() }
    }

    async fn lock(tx: &mut AsyncPgConnection, plan: RowKey) -> Result<Option<Self>, ApiError> {
        Ok(appraisal_rows::lock_final_rating(tx, plan).await?)
    }

    async fn save(&self, tx: &mut AsyncPgConnection) -> Result<Self, ApiError> {
        Ok(appraisal_rows::update_final_rating(tx, self).await?)
    }
}

async fn visible_final_rating(
    state: &AppState,
    caller: &Caller,
    plan_id: Uuid,
) -> Result<(PlanRow, FinalRatingRow), ApiError> {
    let plan = visible_plan(state, caller, plan_id).await?;
    let mut conn = state.db.conn().await?;
    let row = appraisal_rows::get_final_rating(&mut conn, plan.id).await?.ok_or(ApiError::NotFound("final rating"))?;
    Ok((plan, row))
}
