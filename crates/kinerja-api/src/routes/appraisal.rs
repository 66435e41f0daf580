//! The annual rating and what follows it: the rating official's final rating (PermenPANRB
//! 6/2022), the organisation's own predikat and the distribution curve it sets (SE MenPANRB
//! 3/2023), calibration by an admin, and objections (keberatan, PP 30/2019 art. 59) decided by
//! the rating official's supervisor.

use actix_web::http::StatusCode;
use actix_web::{get, post, put, web, HttpResponse};
use chrono::{DateTime, NaiveDate, Utc};
use kinerja_domain::audit::AuditEntity;
use kinerja_domain::civil_service::{heads_unit, PositionKind};
use kinerja_domain::distribution::{self, Counts, OrgPredikat};
use kinerja_domain::objection::{self, check_deciders, ObjectionStatus, Outcome, Party};
use kinerja_domain::rule_sets::{Inputs, Predikat, Rating, RuleSet};
use kinerja_domain::workflow::{transition, PlanAction, PlanParty};
use kinerja_domain::RegistryAction;
use kinerja_store::appraisal::{self, FinalRatingRow, ObjectionFilter, ObjectionRow, OrgRatingRow};
use kinerja_store::plans::{PeriodRow, PlanRow};
use kinerja_store::{audit, evaluations, org, plans, AsyncPgConnection, StoreError};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::access::{authorize, party, visible, visible_plan};
use crate::auth::Caller;
use crate::checks::include_subunits;
use crate::error::responses::{Conflict, Forbidden, Invalid, NotFound, Stale, Unauthenticated};
use crate::error::ApiError;
use crate::pagination::{Page, PageParams};
use crate::plan_contents::status_of;
use crate::scoring;
use crate::scoring::rule_set_of;
use crate::scoring::{evaluate, Explanation};
use crate::write::{self, record, Change, IfMatch, Record};
use crate::write::{created, with_etag};
use crate::AppState;
use kinerja_store::org::UnitRow;

/// Checks a free text that must say something: 1 to 4000 characters.
fn required_text(field: &str, text: &str) -> Result<String, ApiError> {
    let text = text.trim();
    if text.is_empty() || text.chars().count() > 4000 {
        return Err(ApiError::validation(field, "invalid_length", "1 to 4000 characters"));
    }
    // Named by field here; the store would refuse it anyway (as `invalid_value`).
    if text.contains('\0') {
        return Err(ApiError::validation(field, "invalid_character", "must not contain NUL characters"));
    }
    Ok(text.to_owned())
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
    plans::get_period(conn, plan.period_id).await?.ok_or(ApiError::NotFound("period"))
}

// ---- the final (annual) rating ----

/// The annual rating's inputs: the two ratings for the default matrix; scores for the numeric
/// rule sets of older periods.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"result_rating": "sesuai_ekspektasi", "behaviour_rating": "di_atas_ekspektasi",
                          "note": "Target tahunan tercapai; kolaborasi lintas bidang sangat baik."}))]
pub struct FinalRatingRequest {
    /// For the head of a unit this follows the unit's organisation predikat and may be left out.
    #[serde(default)]
    result_rating: Option<Rating>,
    #[serde(default)]
    behaviour_rating: Option<Rating>,
    #[serde(default)]
    skp_score: Option<f64>,
    #[serde(default)]
    behaviour_score: Option<f64>,
    #[serde(default)]
    with_peers: bool,
    #[serde(default)]
    new_idea: bool,
    #[serde(default)]
    #[schema(max_length = 4000)]
    note: Option<String>,
}

/// A periodic evaluation's predikat, which the annual rating draws on.
#[derive(Debug, Serialize, ToSchema)]
pub struct PeriodicPredikat {
    #[schema(example = "2026-Q1")]
    period_label: String,
    /// Absent until the evaluation is rated.
    #[schema(value_type = Option<Predikat>)]
    predikat: Option<String>,
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
    plan_id: Uuid,
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
    updated_at: DateTime<Utc>,
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
    #[schema(value_type = Option<Outcome>)]
    outcome: Option<String>,
    #[schema(value_type = Option<Predikat>)]
    predikat: Option<String>,
    note: Option<String>,
    decided_by: Option<Uuid>,
    decided_at: Option<DateTime<Utc>>,
}

fn note_json(note: &impl Serialize) -> serde_json::Value {
    serde_json::to_value(note).unwrap_or_default()
}

fn predikat(code: &str) -> Predikat {
    Predikat::parse(code).unwrap_or(Predikat::Baik)
}

/// The final rating as the API shows it: the explanation names every change after the rating.
async fn final_view(
    conn: &mut AsyncPgConnection,
    row: &FinalRatingRow,
    window_days: i32,
) -> Result<FinalRatingView, ApiError> {
    let periodic = evaluations::evaluations_of_plan(conn, row.plan_id)
        .await?
        .into_iter()
        .map(|e| PeriodicPredikat { period_label: e.period_label, predikat: e.predikat, rated_at: e.rated_at })
        .collect();
    let objection = appraisal::objection_of_plan(conn, row.plan_id).await?;
    let mut explanation = row.explanation.clone();
    if let Some(map) = explanation.as_object_mut() {
        if let Some(calibration) = &row.calibration {
            map.insert("calibration".into(), calibration.clone());
        }
        if let Some(o) = objection.as_ref().filter(|o| o.outcome.as_deref() == Some(Outcome::Upheld.as_str())) {
            let note = ObjectionNote {
                objection_id: o.id,
                outcome: o.outcome.clone(),
                predikat: o.decided_predikat.clone(),
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
        result_rating: row.result_rating.as_deref().and_then(Rating::parse),
        behaviour_rating: row.behaviour_rating.as_deref().and_then(Rating::parse),
        rated_predikat: predikat(&row.rated_predikat),
        predikat: predikat(&row.predikat),
        explanation,
        note: row.note.clone(),
        rated_by: row.rated_by,
        rated_at: row.rated_at,
        periodic,
        objection_deadline: objection::deadline(row.in_force_since(), window_days),
        objection: objection.map(|o| ObjectionSummary {
            id: o.id,
            status: ObjectionStatus::parse(&o.status).unwrap_or(ObjectionStatus::Open),
            outcome: o.outcome.as_deref().and_then(Outcome::parse),
        }),
        updated_at: row.updated_at,
    })
}

async fn window_days(conn: &mut AsyncPgConnection, agency_id: Uuid) -> Result<i32, ApiError> {
    Ok(org::get_agency(conn, agency_id).await?.map_or(objection::DEFAULT_WINDOW_DAYS, |a| a.objection_window_days))
}

/// When the employee heads their unit, the unit's organisation predikat for the period (which
/// then is their rating hasil kerja); an error when it has not been recorded yet.
async fn headed_unit_rating(
    conn: &mut AsyncPgConnection,
    employee_id: Uuid,
    period_id: Uuid,
) -> Result<Option<OrgRatingRow>, ApiError> {
    let Some(employee) = org::get_employee(conn, employee_id).await? else { return Ok(None) };
    let Some(position_id) = employee.position_id else { return Ok(None) };
    let Some(kind) = org::get_position(conn, position_id).await?.and_then(|p| PositionKind::parse(&p.kind)) else {
        return Ok(None);
    };
    let supervisor_unit = match employee.supervisor_id {
        Some(id) => org::get_employee(conn, id).await?.and_then(|s| s.unit_id),
        None => None,
    };
    if !heads_unit(kind, employee.unit_id.as_ref(), supervisor_unit.as_ref()) {
        return Ok(None);
    }
    let unit_id = employee.unit_id.unwrap_or_default();
    match appraisal::get_org_rating(conn, unit_id, period_id).await? {
        Some(rating) => Ok(Some(rating)),
        None => Err(ApiError::Conflict {
            code: "organisation_rating_missing",
            detail: format!(
                "the employee heads unit {unit_id}, whose result is their rating hasil kerja; record the unit's \
                 organisation rating for this period first"
            ),
        }),
    }
}

/// Give the annual rating of an approved plan.
///
/// Give the annual (final) rating of an approved plan (the rating official). The period's rule
/// set decides the predikat; the plan is then locked. The head of a unit takes the unit's
/// organisation predikat as their rating hasil kerja (istimewa → di atas, baik → sesuai, the rest
/// → di bawah).
#[utoipa::path(
    tag = "rules",
    security(("bearer" = [])),
    params(("plan_id" = Uuid, Path), ("If-Match" = Option<String>, Header, description = "The plan's ETag")),
    request_body = FinalRatingRequest,
    responses(
        (status = 201, description = "Rated", body = FinalRatingView, headers(("Location" = String), ("ETag" = String))),
        Unauthenticated, Forbidden, NotFound, Conflict, Stale, Invalid,
    )
)]
#[post("/performance-plans/{plan_id}/final-rating")]
pub(super) async fn give_final_rating(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<Uuid>,
    if_match: IfMatch,
    body: web::Json<FinalRatingRequest>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let visible = visible_plan(&state, &caller, path.into_inner()).await?;
    let note = optional_text("note", body.note.as_deref())?;
    let mut conn = state.db.conn().await?;
    let mut issued = None;
    write::update_on(
        &mut conn,
        &caller.audit_actor(),
        &if_match,
        visible.id,
        "final_rating",
        async |tx, plan: &PlanRow| {
            if plan.superseded_by.is_some() {
                return Err(ApiError::Conflict {
                    code: "invalid_transition",
                    detail: "this revision was superseded; rate the current one".into(),
                });
            }
            let status = transition(status_of(plan), PlanAction::Rate, party(&caller, plan))?;
            let rater = caller.employee_id().ok_or(ApiError::Forbidden("only the rating official rates"))?;
            let rule_set = rule_set_of(&period_of(tx, plan).await?);
            let mut inputs = Inputs::from_rater(
                body.result_rating,
                body.behaviour_rating,
                body.behaviour_score,
                body.with_peers,
                body.new_idea,
            );
            let mut unrealised = Vec::new();
            if rule_set != RuleSet::PermenPanRb6_2022 {
                // The annual SKP score is the year's realisations scored by Perka BKN 1/2013.
                if body.skp_score.is_some() {
                    return Err(ApiError::validation(
                        "skp_score",
                        "not_used",
                        "the annual SKP score is computed from the year's realisations",
                    ));
                }
                let evaluations = evaluations::evaluations_of_plan(tx, plan.id).await?;
                let realised = match scoring::year_evaluation(&evaluations) {
                    Some(e) => evaluations::realizations_of(tx, e.id).await?,
                    None => Vec::new(),
                };
                unrealised = scoring::score_plan(tx, plan.id, &realised, &mut inputs).await?;
            } else {
                // The matrix takes ratings: the rule set refuses a score (one place for that rule).
                inputs.skp_score = body.skp_score;
            }
            let head_of = if rule_set == RuleSet::PermenPanRb6_2022 {
                headed_unit_rating(tx, plan.employee_id, plan.period_id).await?
            } else {
                None
            };
            if let Some(unit_rating) = &head_of {
                let follows = OrgPredikat::parse(&unit_rating.predikat).map(OrgPredikat::head_result_rating);
                if body.result_rating.is_some() && body.result_rating != follows {
                    return Err(ApiError::validation(
                        "result_rating",
                        "follows_organisation_rating",
                        format!(
                            "the head of a unit takes the unit's result: organisation predikat {} gives {}",
                            unit_rating.predikat,
                            follows.map_or("", Rating::as_str)
                        ),
                    ));
                }
                inputs.result_rating = follows;
            }
            let mut outcome = evaluate(rule_set, &inputs)?;
            outcome.explanation.unrealised_indicators = unrealised;
            let mut explanation = serde_json::to_value(&outcome.explanation).unwrap_or_else(|_| json!({}));
            if let (Some(unit_rating), Some(map)) = (&head_of, explanation.as_object_mut()) {
                let note =
                    UnitHeadNote { unit_id: unit_rating.unit_id, organisation_predikat: unit_rating.predikat.clone() };
                map.insert("unit_head".into(), note_json(&note));
            }
            let employee = org::get_employee(tx, plan.employee_id).await?.ok_or(ApiError::NotFound("employee"))?;
            let now = Utc::now();
            let row = FinalRatingRow {
                plan_id: plan.id,
                agency_id: plan.agency_id,
                period_id: plan.period_id,
                employee_id: plan.employee_id,
                unit_id: employee.unit_id,
                result_rating: inputs.result_rating.map(|r| r.as_str().to_owned()),
                behaviour_rating: inputs.behaviour_rating.map(|r| r.as_str().to_owned()),
                rated_predikat: outcome.predikat.as_str().to_owned(),
                predikat: outcome.predikat.as_str().to_owned(),
                explanation,
                note,
                rated_by: rater,
                rated_at: now,
                calibration: None,
                updated_at: now,
                calibrated_at: None,
            };
            appraisal::insert_final_rating(tx, &row).await.map_err(|e| match e {
                StoreError::Duplicate(_) => {
                    ApiError::Conflict { code: "already_rated", detail: "the plan has its annual rating".into() }
                }
                other => other.into(),
            })?;
            let changes = json!({"predikat": row.predikat, "result_rating": row.result_rating,
                             "behaviour_rating": row.behaviour_rating, "rule_set": rule_set.code()});
            let event = caller.audit_actor().raw(
                AuditEntity::FinalRating,
                Some(row.plan_id),
                "rate",
                Some(row.agency_id),
                changes,
            );
            audit::record(tx, event).await?;
            issued = Some(row);
            Ok(Change::row(PlanRow { status: status.as_str().to_owned(), ..plan.clone() }))
        },
    )
    .await?;
    let row = issued.ok_or_else(|| ApiError::internal("a rated plan has its rating"))?;
    let window = window_days(&mut conn, row.agency_id).await?;
    let view = final_view(&mut conn, &row, window).await?;
    Ok(created(format!("/api/v1/performance-plans/{}/final-rating", row.plan_id), view.updated_at, &view))
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
        FinalRatingAudit { predikat: self.predikat.clone() }
    }

    async fn lock(tx: &mut AsyncPgConnection, plan_id: Uuid) -> Result<Option<Self>, ApiError> {
        Ok(appraisal::lock_final_rating(tx, plan_id).await?)
    }

    async fn save(&self, tx: &mut AsyncPgConnection) -> Result<Self, ApiError> {
        Ok(appraisal::update_final_rating(tx, self).await?)
    }
}

record!(ObjectionRow, AuditEntity::Objection, audited: ObjectionView, agency: |o| Some(o.agency_id),
        lock: appraisal::lock_objection, save: appraisal::update_objection);

async fn visible_final_rating(
    state: &AppState,
    caller: &Caller,
    plan_id: Uuid,
) -> Result<(PlanRow, FinalRatingRow), ApiError> {
    let plan = visible_plan(state, caller, plan_id).await?;
    let mut conn = state.db.conn().await?;
    let row = appraisal::get_final_rating(&mut conn, plan.id).await?.ok_or(ApiError::NotFound("final rating"))?;
    Ok((plan, row))
}

/// Read a plan's annual rating.
///
/// Read a plan's annual rating: the predikat in force, the rating official's, the periodic
/// predikat it drew on, every change since, and the objection deadline.
#[utoipa::path(
    tag = "rules",
    security(("bearer" = [])),
    params(("plan_id" = Uuid, Path)),
    responses((status = 200, description = "The annual rating", body = FinalRatingView, headers(("ETag" = String))), Unauthenticated, NotFound)
)]
#[get("/performance-plans/{plan_id}/final-rating")]
pub(super) async fn get_final_rating(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let (plan, row) = visible_final_rating(&state, &caller, path.into_inner()).await?;
    let mut conn = state.db.conn().await?;
    let window = window_days(&mut conn, plan.agency_id).await?;
    let view = final_view(&mut conn, &row, window).await?;
    Ok(with_etag(StatusCode::OK, view.updated_at, &view))
}

// ---- calibration ----

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"predikat": "butuh_perbaikan",
    "justification": "Kalibrasi kurva distribusi unit (predikat organisasi Baik): paling banyak 70% Baik."}))]
pub struct CalibrationRequest {
    predikat: Predikat,
    #[schema(min_length = 1, max_length = 4000)]
    justification: String,
}

/// Calibrate the predikat of an annual rating.
///
/// Record a calibrated predikat (an agency admin, with a justification): the curve of the
/// unit's organisation predikat. The rating official's predikat stays on record, every change
/// is in the audit trail, and the explanation names the calibration. Not once an objection is
/// filed: its decision is final.
#[utoipa::path(
    tag = "rules",
    security(("bearer" = [])),
    params(("plan_id" = Uuid, Path), ("If-Match" = Option<String>, Header, description = "The final rating's ETag")),
    request_body = CalibrationRequest,
    responses((status = 200, description = "Calibrated", body = FinalRatingView, headers(("ETag" = String))), Unauthenticated, Forbidden, NotFound, Conflict, Stale, Invalid)
)]
#[post("/performance-plans/{plan_id}/calibration")]
pub(super) async fn calibrate_final_rating(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<Uuid>,
    if_match: IfMatch,
    body: web::Json<CalibrationRequest>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let plan = visible_plan(&state, &caller, path.into_inner()).await?;
    authorize(&caller, RegistryAction::Write, plan.agency_id, "plan")?;
    if caller.user_id().is_none() {
        return Err(ApiError::Forbidden("calibration is a person's decision; sign in as an agency admin"));
    }
    let justification = required_text("justification", &body.justification)?;
    let mut conn = state.db.conn().await?;
    if appraisal::get_final_rating(&mut conn, plan.id).await?.is_none() {
        return Err(ApiError::Conflict {
            code: "not_rated",
            detail: "the plan has no annual rating to calibrate".into(),
        });
    }
    check_predikat("predikat", body.predikat, rule_set_of(&period_of(&mut conn, &plan).await?))?;
    let row = write::update_on(
        &mut conn,
        &caller.audit_actor(),
        &if_match,
        plan.id,
        "calibrate",
        async |tx, current: &FinalRatingRow| {
            // An objection locks this rating row too when it is filed, so this check holds.
            if let Some(o) = appraisal::objection_of_plan(tx, plan.id).await? {
                return Err(ApiError::Conflict {
                    code: "objection_filed",
                    detail: format!("objection {} is {}; its decision settles the predikat", o.id, o.status),
                });
            }
            if body.predikat.as_str() == current.predikat {
                return Err(ApiError::validation(
                    "predikat",
                    "unchanged",
                    format!("the predikat is already {}", current.predikat),
                ));
            }
            let now = Utc::now();
            let calibration = note_json(&CalibrationNote {
                predikat_before: current.predikat.clone(),
                predikat: body.predikat,
                justification: justification.clone(),
                by: caller.user_id(),
                at: now,
            });
            let changes = json!({"predikat": {"old": current.predikat, "new": body.predikat.as_str()},
                             "justification": justification});
            // A new predikat in force opens a new objection window from now (PP 30/2019 art. 59).
            let next = FinalRatingRow {
                predikat: body.predikat.as_str().to_owned(),
                calibration: Some(calibration),
                calibrated_at: Some(now),
                ..current.clone()
            };
            Ok(Change::with_changes(next, changes))
        },
    )
    .await?;
    let window = window_days(&mut conn, plan.agency_id).await?;
    let view = final_view(&mut conn, &row, window).await?;
    Ok(with_etag(StatusCode::OK, view.updated_at, &view))
}

// ---- the organisation's own predikat and the distribution curve ----

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"predikat": "baik", "note": "Hasil evaluasi kinerja organisasi 2026."}))]
pub struct OrgRatingRequest {
    predikat: OrgPredikat,
    #[serde(default)]
    #[schema(max_length = 4000)]
    note: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OrgRatingView {
    unit_id: Uuid,
    period_id: Uuid,
    predikat: OrgPredikat,
    note: Option<String>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl From<&OrgRatingRow> for OrgRatingView {
    fn from(r: &OrgRatingRow) -> Self {
        OrgRatingView {
            unit_id: r.unit_id,
            period_id: r.period_id,
            predikat: OrgPredikat::parse(&r.predikat).unwrap_or(OrgPredikat::Baik),
            note: r.note.clone(),
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

/// The unit and a period of the same agency, both visible to the caller.
async fn unit_and_period(
    state: &AppState,
    caller: &Caller,
    unit_id: Uuid,
    period_id: Uuid,
) -> Result<(kinerja_store::org::UnitRow, PeriodRow), ApiError> {
    let unit = visible::<UnitRow>(state, caller, unit_id).await?;
    let mut conn = state.db.conn().await?;
    let period = plans::get_period(&mut conn, period_id)
        .await?
        .filter(|p| p.agency_id == unit.agency_id)
        .ok_or(ApiError::NotFound("period"))?;
    Ok((unit, period))
}

/// Record a unit's organisation predikat for a period.
///
/// Record the organisation's own predikat for a unit (or, on its top unit, the whole agency)
/// and period: istimewa, baik, butuh perbaikan, kurang, sangat kurang. It bounds how the unit's
/// employee predikat may be distributed, and is its head's rating hasil kerja.
#[utoipa::path(
    tag = "rules",
    security(("bearer" = [])),
    params(("unit_id" = Uuid, Path), ("period_id" = Uuid, Path), ("If-Match" = Option<String>, Header, description = "The ETag you read")),
    request_body = OrgRatingRequest,
    responses(
        (status = 200, description = "Replaced", body = OrgRatingView, headers(("ETag" = String))),
        (status = 201, description = "Recorded", body = OrgRatingView, headers(("ETag" = String))),
        Unauthenticated, Forbidden, NotFound, Stale, Invalid,
    )
)]
#[put("/units/{unit_id}/organisation-rating/{period_id}")]
pub(super) async fn replace_organisation_rating(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<(Uuid, Uuid)>,
    if_match: IfMatch,
    body: web::Json<OrgRatingRequest>,
) -> Result<HttpResponse, ApiError> {
    let (unit_id, period_id) = path.into_inner();
    let body = body.into_inner();
    let (unit, period) = unit_and_period(&state, &caller, unit_id, period_id).await?;
    authorize(&caller, RegistryAction::Write, unit.agency_id, "unit")?;
    let note = optional_text("note", body.note.as_deref())?;
    let (saved, existed) = write::transaction(&state, async |tx| {
        // Locked (or, the first time, absent): a stale If-Match is refused against the row as it is.
        let before = appraisal::lock_org_rating(tx, unit.id, period.id).await?;
        if let Some(b) = &before {
            if_match.check(b.updated_at)?;
        }
        let now = before.as_ref().map_or_else(Utc::now, |b| write::next_version(b.updated_at));
        let row = OrgRatingRow {
            unit_id: unit.id,
            period_id: period.id,
            agency_id: unit.agency_id,
            predikat: body.predikat.as_str().to_owned(),
            note,
            rated_by: caller.user_id(),
            created_at: now,
            updated_at: now,
        };
        let saved = appraisal::put_org_rating(tx, &row).await?;
        let changes = json!({"period_id": period.id,
                             "predikat": {"old": before.as_ref().map(|b| &b.predikat), "new": saved.predikat},
                             "note": saved.note});
        let action = if before.is_some() { "update" } else { "create" };
        let event = caller.audit_actor().raw(
            AuditEntity::OrganisationRating,
            Some(unit.id),
            action,
            Some(unit.agency_id),
            changes,
        );
        audit::record(tx, event).await?;
        Ok((saved, before.is_some()))
    })
    .await?;
    let status = if existed { StatusCode::OK } else { StatusCode::CREATED };
    Ok(with_etag(status, saved.updated_at, &OrgRatingView::from(&saved)))
}

/// Read a unit's organisation predikat for a period.
#[utoipa::path(
    tag = "rules",
    security(("bearer" = [])),
    params(("unit_id" = Uuid, Path), ("period_id" = Uuid, Path)),
    responses((status = 200, description = "The organisation rating", body = OrgRatingView, headers(("ETag" = String))), Unauthenticated, NotFound)
)]
#[get("/units/{unit_id}/organisation-rating/{period_id}")]
pub(super) async fn get_organisation_rating(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<(Uuid, Uuid)>,
) -> Result<HttpResponse, ApiError> {
    let (unit_id, period_id) = path.into_inner();
    let (unit, period) = unit_and_period(&state, &caller, unit_id, period_id).await?;
    let mut conn = state.db.conn().await?;
    let row = appraisal::get_org_rating(&mut conn, unit.id, period.id)
        .await?
        .ok_or(ApiError::NotFound("organisation rating"))?;
    Ok(with_etag(StatusCode::OK, row.updated_at, &OrgRatingView::from(&row)))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DistributionQuery {
    period_id: Uuid,
    /// `subunits`: count the whole subtree under the unit's organisation predikat.
    #[param(pattern = "^subunits$")]
    include: Option<String>,
}

/// A value per employee predikat of the curve.
#[derive(Debug, Serialize, ToSchema)]
pub struct PerPredikat<T> {
    sangat_baik: T,
    baik: T,
    butuh_perbaikan: T,
    kurang: T,
    sangat_kurang: T,
}

impl<T: Copy> PerPredikat<T> {
    fn from_grades(values: [T; 5]) -> Self {
        let [sangat_baik, baik, butuh_perbaikan, kurang, sangat_kurang] = values;
        PerPredikat { sangat_baik, baik, butuh_perbaikan, kurang, sangat_kurang }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RuleView {
    #[schema(example = "baik at most 70%")]
    rule: String,
    ok: bool,
    #[schema(example = "8 of 10; at most 7 allowed")]
    detail: String,
}

/// Moving `count` employees from one predikat to another.
#[derive(Debug, Serialize, ToSchema)]
pub struct ChangeView {
    from: Predikat,
    to: Predikat,
    count: u32,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DistributionView {
    unit_id: Uuid,
    period_id: Uuid,
    include_subunits: bool,
    /// Absent until the unit's organisation rating is recorded; then there are no rules.
    organisation_predikat: Option<OrgPredikat>,
    /// Employees with an annual rating, counted where they were when rated.
    total: u32,
    /// Current plans of employees now in the unit that have no annual rating yet.
    unrated: i64,
    counts: PerPredikat<u32>,
    /// Of `total`, 0–1, rounded to four places.
    shares: PerPredikat<f64>,
    rules: Vec<RuleView>,
    /// Absent without an organisation predikat.
    compliant: Option<bool>,
    /// For a non-compliant unit, the fewest changes that would make it comply; absent when it
    /// complies or when no distribution of a unit this size can.
    suggestion: Option<Vec<ChangeView>>,
    /// Why there is no suggestion, when there is none for a non-compliant unit.
    note: Option<String>,
}

fn distribution_view(
    unit_id: Uuid,
    period_id: Uuid,
    include_subunits: bool,
    org: Option<OrgPredikat>,
    counts: Counts,
    unrated: i64,
) -> DistributionView {
    let total: u32 = counts.iter().sum();
    let share = |n: u32| if total == 0 { 0.0 } else { (f64::from(n) / f64::from(total) * 10_000.0).round() / 10_000.0 };
    let rules = org.map(|o| distribution::check(o, &counts)).unwrap_or_default();
    let compliant = org.map(|_| rules.iter().all(|r| r.ok));
    let (suggestion, note) = match (org, compliant) {
        (Some(o), Some(false)) => match distribution::suggest(o, &counts) {
            Some(changes) => (
                Some(changes.into_iter().map(|c| ChangeView { from: c.from, to: c.to, count: c.count }).collect()),
                None,
            ),
            None => (None, Some(format!("no distribution of {total} employees meets every rule of {}", o.as_str()))),
        },
        _ => (None, None),
    };
    DistributionView {
        unit_id,
        period_id,
        include_subunits,
        organisation_predikat: org,
        total,
        unrated,
        counts: PerPredikat::from_grades(counts),
        shares: PerPredikat::from_grades(counts.map(share)),
        rules: rules.into_iter().map(|r| RuleView { rule: r.rule, ok: r.ok, detail: r.detail }).collect(),
        compliant,
        suggestion,
        note,
    }
}

/// Check a unit's predikat distribution against its curve.
///
/// The distribution curve of SE MenPANRB 3/2023 for a unit and period: how its employees'
/// predikat in force are distributed, each rule of its organisation predikat with its outcome,
/// and for a non-compliant unit the fewest changes that would comply.
#[utoipa::path(
    tag = "rules",
    security(("bearer" = [])),
    params(("unit_id" = Uuid, Path), DistributionQuery),
    responses((status = 200, description = "The distribution", body = DistributionView), Unauthenticated, Forbidden, NotFound, Invalid)
)]
#[get("/units/{unit_id}/distribution")]
pub(super) async fn get_unit_distribution(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<Uuid>,
    query: web::Query<DistributionQuery>,
) -> Result<web::Json<DistributionView>, ApiError> {
    let include_subunits = include_subunits(query.include.as_deref())?;
    let (unit, period) = unit_and_period(&state, &caller, path.into_inner(), query.period_id).await?;
    authorize(&caller, RegistryAction::ReadPeople, unit.agency_id, "unit")?;
    let mut conn = state.db.conn().await?;
    let units: Vec<Uuid> = if include_subunits {
        org::unit_subtree(&mut conn, unit.id).await?.into_iter().map(|u| u.id).collect()
    } else {
        vec![unit.id]
    };
    let tallies = appraisal::predikat_counts(&mut conn, period.id, &units).await?;
    let counts =
        distribution::count(tallies.iter().map(|t| (t.predikat.as_str(), u32::try_from(t.count).unwrap_or(0))));
    let unrated = appraisal::unrated_plans(&mut conn, period.id, &units).await?;
    let org =
        appraisal::get_org_rating(&mut conn, unit.id, period.id).await?.and_then(|r| OrgPredikat::parse(&r.predikat));
    Ok(web::Json(distribution_view(unit.id, period.id, include_subunits, org, counts, unrated)))
}

// ---- objections (keberatan) ----

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"reason": "Realisasi triwulan IV belum diperhitungkan; bukti dukung terlampir."}))]
pub struct FileObjection {
    #[schema(min_length = 1, max_length = 4000)]
    reason: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ObjectionView {
    id: Uuid,
    plan_id: Uuid,
    employee_id: Uuid,
    /// The rating official's supervisor (atasan pejabat penilai), who decides.
    decider_id: Option<Uuid>,
    reason: String,
    status: ObjectionStatus,
    employee_explanation: Option<String>,
    rating_official_explanation: Option<String>,
    outcome: Option<Outcome>,
    /// The new predikat of an upheld objection.
    predikat: Option<Predikat>,
    decision_note: Option<String>,
    decided_by: Option<Uuid>,
    filed_at: DateTime<Utc>,
    decided_at: Option<DateTime<Utc>>,
    updated_at: DateTime<Utc>,
}

impl From<&ObjectionRow> for ObjectionView {
    fn from(o: &ObjectionRow) -> Self {
        ObjectionView {
            id: o.id,
            plan_id: o.plan_id,
            employee_id: o.employee_id,
            decider_id: o.decider_id,
            reason: o.reason.clone(),
            status: ObjectionStatus::parse(&o.status).unwrap_or(ObjectionStatus::Open),
            employee_explanation: o.employee_explanation.clone(),
            rating_official_explanation: o.rating_official_explanation.clone(),
            outcome: o.outcome.as_deref().and_then(Outcome::parse),
            predikat: o.decided_predikat.as_deref().and_then(Predikat::parse),
            decision_note: o.decision_note.clone(),
            decided_by: o.decided_by,
            filed_at: o.filed_at,
            decided_at: o.decided_at,
            updated_at: o.updated_at,
        }
    }
}

/// Object to an annual rating.
///
/// Object to the annual rating (the employee, within the agency's window after it was issued:
/// 14 days unless set; the days are counted on the WIB calendar). One objection per plan.
#[utoipa::path(
    tag = "rules",
    security(("bearer" = [])),
    params(("plan_id" = Uuid, Path)),
    request_body = FileObjection,
    responses(
        (status = 201, description = "Filed", body = ObjectionView, headers(("Location" = String), ("ETag" = String))),
        (status = 422, description = "`deadline_passed` after the window, or a field error",
         body = crate::error::Problem, content_type = "application/problem+json"),
        Unauthenticated, Forbidden, NotFound, Conflict,
    )
)]
#[post("/performance-plans/{plan_id}/objections")]
pub(super) async fn file_objection(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<Uuid>,
    body: web::Json<FileObjection>,
) -> Result<HttpResponse, ApiError> {
    let (plan, _) = visible_final_rating(&state, &caller, path.into_inner()).await?;
    if party(&caller, &plan) != PlanParty::Owner {
        return Err(ApiError::Forbidden("only the employee objects to their own rating"));
    }
    let reason = required_text("reason", &body.reason)?;
    let row = write::transaction(&state, async |tx| {
        // The rating as it stands, locked against a calibration that would move the window.
        let rating = appraisal::lock_final_rating(tx, plan.id).await?.ok_or(ApiError::NotFound("final rating"))?;
        let window = window_days(tx, plan.agency_id).await?;
        let now = Utc::now();
        if !objection::on_time(rating.in_force_since(), window, now) {
            return Err(ApiError::Unprocessable {
                code: "deadline_passed",
                detail: format!(
                    "objections to this rating closed on {} ({window} days after its predikat was set)",
                    objection::deadline(rating.in_force_since(), window)
                ),
            });
        }
        let row = ObjectionRow {
            id: Uuid::now_v7(),
            plan_id: plan.id,
            agency_id: plan.agency_id,
            employee_id: plan.employee_id,
            decider_id: plan.rater_supervisor_id,
            reason,
            status: ObjectionStatus::Open.as_str().to_owned(),
            employee_explanation: None,
            rating_official_explanation: None,
            outcome: None,
            decided_predikat: None,
            decision_note: None,
            decided_by: None,
            filed_at: now,
            decided_at: None,
            updated_at: now,
        };
        appraisal::insert_objection(tx, &row).await.map_err(|e| match e {
            StoreError::Duplicate(_) => ApiError::Conflict {
                code: "objection_exists",
                detail: "this rating already has an objection; its decision is final".into(),
            },
            other => other.into(),
        })?;
        let changes = json!({"plan_id": row.plan_id, "predikat": rating.predikat, "decider_id": row.decider_id});
        audit::record(
            tx,
            caller.audit_actor().raw(AuditEntity::Objection, Some(row.id), "file", Some(row.agency_id), changes),
        )
        .await?;
        Ok(row)
    })
    .await?;
    Ok(created(format!("/api/v1/objections/{}", row.id), row.updated_at, &ObjectionView::from(&row)))
}

/// Loads an objection the caller may see: the agency's readers, the employee, the one who
/// decides and the rating official.
async fn visible_objection(state: &AppState, caller: &Caller, id: Uuid) -> Result<(ObjectionRow, PlanRow), ApiError> {
    let mut conn = state.db.conn().await?;
    let objection = appraisal::get_objection(&mut conn, id).await?.ok_or(ApiError::NotFound("objection"))?;
    let plan = plans::get_plan(&mut conn, objection.plan_id).await?.ok_or(ApiError::NotFound("objection"))?;
    let me = caller.employee_id();
    let involved = me.is_some()
        && [Some(objection.employee_id), objection.decider_id, plan.rater_supervisor_id, plan.rater_id].contains(&me);
    if involved || caller.actor.may_on_registry(RegistryAction::ReadPeople, objection.agency_id) {
        Ok((objection, plan))
    } else {
        Err(ApiError::NotFound("objection"))
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ObjectionQuery {
    /// Only objections in this status.
    status: Option<ObjectionStatus>,
    plan_id: Option<Uuid>,
    employee_id: Option<Uuid>,
    /// The rating official's supervisor who decides.
    decider_id: Option<Uuid>,
    /// Super admins: one agency's.
    agency_id: Option<Uuid>,
}

/// List objections.
///
/// List objections: an agency's for its readers; one's own and those one decides for an
/// employee.
#[utoipa::path(
    tag = "rules",
    security(("bearer" = [])),
    params(ObjectionQuery, PageParams),
    responses((status = 200, description = "A page of objections", body = Page<ObjectionView>), Unauthenticated, Invalid)
)]
#[get("/objections")]
pub(super) async fn list_objections(
    caller: Caller,
    state: web::Data<AppState>,
    query: web::Query<ObjectionQuery>,
    page: web::Query<PageParams>,
) -> Result<web::Json<Page<ObjectionView>>, ApiError> {
    let request = page.parse()?;
    let query = query.into_inner();
    let mut filter = ObjectionFilter {
        status: query.status.map(|s| s.as_str().to_owned()),
        plan_id: query.plan_id,
        employee_id: query.employee_id,
        decider_id: query.decider_id,
        ..ObjectionFilter::default()
    };
    let agency = if caller.is_super_admin() { query.agency_id } else { caller.agency_id() };
    match agency {
        Some(a) if caller.actor.may_on_registry(RegistryAction::ReadPeople, a) => filter.agency_id = Some(a),
        _ if caller.is_super_admin() => {}
        _ => filter.involving = Some(caller.employee_id().unwrap_or(Uuid::nil())),
    }
    let mut conn = state.db.conn().await?;
    let rows = appraisal::list_objections(&mut conn, &filter, request.after, request.fetch()).await?;
    Ok(web::Json(Page::from_rows(rows, request, |o| o.id, |o| ObjectionView::from(&o))))
}

/// Read an objection.
#[utoipa::path(
    tag = "rules",
    security(("bearer" = [])),
    params(("objection_id" = Uuid, Path)),
    responses((status = 200, description = "The objection", body = ObjectionView, headers(("ETag" = String))), Unauthenticated, NotFound)
)]
#[get("/objections/{objection_id}")]
pub(super) async fn get_objection(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let (objection, _) = visible_objection(&state, &caller, path.into_inner()).await?;
    Ok(with_etag(StatusCode::OK, objection.updated_at, &ObjectionView::from(&objection)))
}

/// The one who decides: the plan's rating official's supervisor now (an admin's change of
/// rating official moves it), and never the employee or the rating official themselves.
fn ensure_decider(caller: &Caller, plan: &PlanRow) -> Result<Uuid, ApiError> {
    let me = match caller.employee_id() {
        Some(me) if Some(me) == plan.rater_supervisor_id => me,
        _ => {
            return Err(ApiError::Forbidden(
                "only the rating official's supervisor (atasan pejabat penilai) acts on an objection",
            ))
        }
    };
    check_deciders(&plan.employee_id, plan.rater_id.as_ref(), Some(&me))
        .map_err(|e| ApiError::Conflict { code: "own_case", detail: format!("{e}; an agency admin names another") })?;
    Ok(me)
}

fn ensure_open(objection: &ObjectionRow) -> Result<(), ApiError> {
    if objection.status == ObjectionStatus::Open.as_str() {
        Ok(())
    } else {
        Err(ApiError::Conflict {
            code: "objection_decided",
            detail: "the objection is decided; the decision is final".into(),
        })
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"party": "rating_official", "text": "Realisasi triwulan IV sudah diperhitungkan dalam penilaian."}))]
pub struct ExplanationRequest {
    /// Whose explanation this is.
    party: Party,
    #[schema(min_length = 1, max_length = 4000)]
    text: String,
}

/// Record an explanation for an objection.
///
/// Record the employee's or the rating official's explanation (the rating official's
/// supervisor, who asks both before deciding). A later one replaces the earlier.
#[utoipa::path(
    tag = "rules",
    security(("bearer" = [])),
    params(("objection_id" = Uuid, Path), ("If-Match" = Option<String>, Header, description = "The objection's ETag")),
    request_body = ExplanationRequest,
    responses((status = 200, description = "Recorded", body = ObjectionView, headers(("ETag" = String))), Unauthenticated, Forbidden, NotFound, Conflict, Stale, Invalid)
)]
#[post("/objections/{objection_id}/explanations")]
pub(super) async fn record_explanation(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<Uuid>,
    if_match: IfMatch,
    body: web::Json<ExplanationRequest>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let (visible, _) = visible_objection(&state, &caller, path.into_inner()).await?;
    let text = required_text("text", &body.text)?;
    let row =
        write::update(&state, &caller, &if_match, visible.id, "explanation", async |tx, current: &ObjectionRow| {
            ensure_decider(&caller, &plan_of(tx, current).await?)?;
            ensure_open(current)?;
            let mut next = current.clone();
            match body.party {
                Party::Employee => next.employee_explanation = Some(text),
                Party::RatingOfficial => next.rating_official_explanation = Some(text),
            }
            Ok(Change::with_changes(next, json!({"party": body.party.as_str()})))
        })
        .await?;
    Ok(with_etag(StatusCode::OK, row.updated_at, &ObjectionView::from(&row)))
}

/// The plan an objection is about, as it now is.
async fn plan_of(tx: &mut AsyncPgConnection, objection: &ObjectionRow) -> Result<PlanRow, ApiError> {
    plans::get_plan(tx, objection.plan_id).await?.ok_or(ApiError::NotFound("objection"))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"outcome": "upheld", "predikat": "baik",
    "note": "Bukti dukung triwulan IV sah dan belum diperhitungkan."}))]
pub struct DecisionRequest {
    outcome: Outcome,
    /// The new predikat; required when upheld, absent when rejected.
    #[serde(default)]
    predikat: Option<Predikat>,
    #[schema(min_length = 1, max_length = 4000)]
    note: String,
}

/// Decide an objection.
///
/// Decide an objection (the rating official's supervisor, after recording both explanations):
/// upheld with a new predikat, which then is in force, or rejected. Final; the rating
/// official's predikat stays on record.
#[utoipa::path(
    tag = "rules",
    security(("bearer" = [])),
    params(("objection_id" = Uuid, Path), ("If-Match" = Option<String>, Header, description = "The objection's ETag")),
    request_body = DecisionRequest,
    responses((status = 200, description = "Decided", body = ObjectionView, headers(("ETag" = String))), Unauthenticated, Forbidden, NotFound, Conflict, Stale, Invalid)
)]
#[post("/objections/{objection_id}/decision")]
pub(super) async fn decide_objection(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<Uuid>,
    if_match: IfMatch,
    body: web::Json<DecisionRequest>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let (visible, visible_plan) = visible_objection(&state, &caller, path.into_inner()).await?;
    let note = required_text("note", &body.note)?;
    let rule_set = rule_set_of(&period_of(&mut *state.db.conn().await?, &visible_plan).await?);
    let row = write::update(&state, &caller, &if_match, visible.id, "decide", async |tx, current: &ObjectionRow| {
        let plan = plan_of(tx, current).await?;
        let me = ensure_decider(&caller, &plan)?;
        ensure_open(current)?;
        let missing: Vec<&str> = [
            (current.employee_explanation.is_some(), Party::Employee),
            (current.rating_official_explanation.is_some(), Party::RatingOfficial),
        ]
        .into_iter()
        .filter(|(explained, _)| !explained)
        .map(|(_, party)| party.as_str())
        .collect();
        if !missing.is_empty() {
            return Err(ApiError::Conflict {
                code: "explanations_missing",
                detail: format!("record the explanation of: {} before deciding", missing.join(", ")),
            });
        }
        let rating = appraisal::lock_final_rating(tx, plan.id).await?.ok_or(ApiError::NotFound("final rating"))?;
        match (body.outcome, body.predikat) {
            (Outcome::Upheld, None) => {
                return Err(ApiError::validation("predikat", "required", "an upheld objection sets a new predikat"))
            }
            (Outcome::Upheld, Some(p)) => {
                check_predikat("predikat", p, rule_set)?;
                if p.as_str() == rating.predikat {
                    return Err(ApiError::validation(
                        "predikat",
                        "unchanged",
                        format!("the predikat is already {}; reject the objection instead", rating.predikat),
                    ));
                }
            }
            (Outcome::Rejected, Some(_)) => {
                return Err(ApiError::validation("predikat", "not_used", "a rejected objection leaves the predikat"))
            }
            (Outcome::Rejected, None) => {}
        }
        let now = Utc::now();
        let next = ObjectionRow {
            status: ObjectionStatus::Decided.as_str().to_owned(),
            outcome: Some(body.outcome.as_str().to_owned()),
            decided_predikat: body.predikat.map(|p| p.as_str().to_owned()),
            decision_note: Some(note),
            decided_by: Some(me),
            decider_id: Some(me),
            decided_at: Some(now),
            ..current.clone()
        };
        let mut changes = json!({"outcome": next.outcome, "note": next.decision_note});
        if let Some(p) = &next.decided_predikat {
            // The decision is final: the predikat in force changes, and no new window opens.
            let updated = FinalRatingRow {
                predikat: p.clone(),
                updated_at: write::next_version(rating.updated_at),
                ..rating.clone()
            };
            appraisal::update_final_rating(tx, &updated).await?;
            changes["predikat"] = json!({"old": rating.predikat, "new": p});
        }
        Ok(Change::with_changes(next, changes))
    })
    .await?;
    Ok(with_etag(StatusCode::OK, row.updated_at, &ObjectionView::from(&row)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_worked_example_is_reported_with_a_fix() {
        let view = distribution_view(Uuid::nil(), Uuid::nil(), false, Some(OrgPredikat::Baik), [2, 8, 0, 0, 0], 0);
        assert_eq!(view.compliant, Some(false));
        assert_eq!(view.shares.baik, 0.8);
        assert_eq!(view.rules.iter().filter(|r| !r.ok).count(), 2);
        assert_eq!(view.suggestion.as_ref().map(Vec::len), Some(1));
        // Without an organisation predikat there is nothing to check.
        let open = distribution_view(Uuid::nil(), Uuid::nil(), false, None, [2, 8, 0, 0, 0], 3);
        assert!(open.rules.is_empty() && open.compliant.is_none() && open.suggestion.is_none());
    }
}
