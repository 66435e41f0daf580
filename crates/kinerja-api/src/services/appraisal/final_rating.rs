//! The annual rating (PermenPANRB 6/2022): given by the rating official, decided by the period's
//! rule set.

use crate::context::access::{party, visible_plan};
use crate::context::caller::Caller;
use crate::context::write::{self, Change, IfMatch};
use crate::http::error::ApiError;
use crate::http::error::ProblemCode;
use crate::services::scoring;
use crate::state::AppState;
use chrono::Utc;
use kinerja_domain::audit::AuditEntity;
use kinerja_domain::distribution::OrgPredikat;
use kinerja_domain::rule_sets::{Rating, RuleSet};
use kinerja_domain::workflow::{transition, PlanAction};
use kinerja_store::appraisal_rows::{self, FinalRatingRow};
use kinerja_store::coded::Coded;
use kinerja_store::history_rows::{self, Act};
use kinerja_store::plan_rows::PlanRow;
use kinerja_store::{audit_rows, evaluation_rows, org_rows, StoreError};
use serde_json::json;
use uuid::Uuid;

use super::{
    final_view, headed_unit_rating, note_json, optional_text, visible_final_rating, window_days, FinalRatingRequest,
    FinalRatingView, UnitHeadNote,
};

/// Gives the annual rating of an approved plan (the rating official): the period's rule set
/// decides the predikat, a unit's head takes the unit's organisation predikat as their rating
/// hasil kerja, and the plan is locked as rated.
pub async fn give(
    caller: &Caller,
    state: &AppState,
    plan_id: Uuid,
    if_match: &IfMatch,
    body: FinalRatingRequest,
) -> Result<FinalRatingView, ApiError> {
    let visible = visible_plan(state, caller, plan_id).await?;
    let note = optional_text("note", body.note.as_deref())?;
    let mut conn = state.db.conn().await?;
    let mut issued = None;
    write::update_on(
        &mut conn,
        &caller.audit_actor_for(visible.rater_id),
        if_match,
        visible.id,
        "final_rating",
        async |tx, plan: &PlanRow| {
            if plan.superseded_by.is_some() {
                return Err(ApiError::Conflict {
                    code: ProblemCode::InvalidTransition,
                    detail: "this revision was superseded; rate the current one".into(),
                });
            }
            let status = transition(plan.status.0, PlanAction::Rate, party(caller, plan))?;
            let rater = caller.employee_id().ok_or(ApiError::Forbidden("only the rating official rates"))?;
            let rule_set = write::open_period(tx, plan.agency_id, plan.period_id).await?.rule_set.0;
            let mut inputs = body.rater_inputs();
            let mut year = None;
            if rule_set.scores_realisations() {
                // The annual SKP score is the year's realisations scored by Perka BKN 1/2013.
                if body.skp_score.is_some() {
                    return Err(ApiError::validation(
                        "skp_score",
                        "not_used",
                        "the annual SKP score is computed from the year's realisations",
                    ));
                }
                let evaluations = evaluation_rows::evaluations_of_plan(tx, plan.id).await?;
                year = scoring::year_evaluation(&evaluations).map(|e| e.id);
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
                let follows = Some(OrgPredikat::head_result_rating(unit_rating.predikat.0));
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
            let outcome =
                scoring::rate(tx, rule_set, scoring::PlanKey::of(plan), year, inputs, &body.result_ratings).await?;
            let mut explanation = serde_json::to_value(&outcome.explanation).unwrap_or_else(|_| json!({}));
            if let (Some(unit_rating), Some(map)) = (&head_of, explanation.as_object_mut()) {
                let note = UnitHeadNote {
                    unit_id: unit_rating.unit_id,
                    organisation_predikat: unit_rating.predikat.to_string(),
                };
                map.insert("unit_head".into(), note_json(&note));
            }
            let employee = org_rows::get_employee(tx, Some(plan.agency_id), plan.employee_id)
                .await?
                .ok_or(ApiError::NotFound("employee"))?;
            let now = Utc::now();
            let row = FinalRatingRow {
                plan_id: plan.id,
                agency_id: plan.agency_id,
                period_id: plan.period_id,
                employee_id: plan.employee_id,
                unit_id: employee.unit_id,
                result_rating: outcome.explanation.result_rating.map(Coded),
                behaviour_rating: outcome.explanation.behaviour_rating.map(Coded),
                rated_predikat: Coded(outcome.predikat),
                predikat: Coded(outcome.predikat),
                explanation,
                note,
                rated_by: rater,
                rated_at: now,
                calibration: None,
                updated_at: now,
                calibrated_at: None,
            };
            appraisal_rows::insert_final_rating(tx, &row).await.map_err(|e| match e {
                StoreError::Duplicate(_) => ApiError::Conflict {
                    code: ProblemCode::AlreadyRated,
                    detail: "the plan has its annual rating".into(),
                },
                other => other.into(),
            })?;
            history_rows::freeze(tx, Act::FinalRating, row.plan_id, row.agency_id, row.employee_id, row.period_id)
                .await?;
            let changes = json!({"predikat": row.predikat, "result_rating": row.result_rating,
                             "behaviour_rating": row.behaviour_rating, "rule_set": rule_set.code()});
            let event = caller.audit_actor_for(plan.rater_id).raw(
                AuditEntity::FinalRating,
                Some(row.plan_id),
                "rate",
                Some(row.agency_id),
                changes,
            );
            audit_rows::record(tx, event).await?;
            issued = Some(row);
            Ok(Change::row(PlanRow { status: Coded(status), ..plan.clone() }))
        },
    )
    .await?;
    let row = issued.ok_or_else(|| ApiError::internal("a rated plan has its rating"))?;
    let window = window_days(&mut conn, row.agency_id).await?;
    final_view(&mut conn, &row, window).await
}

/// A plan's annual rating, as the caller may see it.
pub async fn read(caller: &Caller, state: &AppState, plan_id: Uuid) -> Result<FinalRatingView, ApiError> {
    let (plan, row) = visible_final_rating(state, caller, plan_id).await?;
    let mut conn = state.db.conn().await?;
    let window = window_days(&mut conn, plan.agency_id).await?;
    final_view(&mut conn, &row, window).await
}
