//! Calibration: an agency admin's new predikat for an annual rating, with a justification.

use crate::context::access::{authorize, visible_plan};
use crate::context::caller::Caller;
use crate::context::write::{self, Change, IfMatch};
use crate::http::error::ApiError;
use crate::http::error::ProblemCode;
use crate::state::AppState;
use chrono::Utc;
use kinerja_domain::rule_sets::Predikat;
use kinerja_domain::RegistryAction;
use kinerja_store::appraisal_rows::{self, FinalRatingRow};
use kinerja_store::coded::Coded;
use serde::Deserialize;
use serde_json::json;
use utoipa::ToSchema;
use uuid::Uuid;

use super::{
    check_predikat, final_view, note_json, period_of, required_text, window_days, CalibrationNote, FinalRatingView,
};

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

pub async fn calibrate(
    caller: &Caller,
    state: &AppState,
    plan_id: Uuid,
    if_match: &IfMatch,
    body: CalibrationRequest,
) -> Result<FinalRatingView, ApiError> {
    let plan = visible_plan(state, caller, plan_id).await?;
    authorize(caller, RegistryAction::Write, plan.agency_id, "plan")?;
    if caller.user_id().is_none() {
        return Err(ApiError::Forbidden("calibration is a person's decision; sign in as an agency admin"));
    }
    let justification = required_text("justification", &body.justification)?;
    let mut conn = state.db.conn().await?;
    if appraisal_rows::get_final_rating(&mut conn, plan.id).await?.is_none() {
        return Err(ApiError::Conflict {
            code: ProblemCode::NotRated,
            detail: "the plan has no annual rating to calibrate".into(),
        });
    }
    check_predikat("predikat", body.predikat, period_of(&mut conn, &plan).await?.rule_set.0)?;
    let row = write::update_on(
        &mut conn,
        &caller.audit_actor(),
        if_match,
        plan.id,
        "calibrate",
        async |tx, current: &FinalRatingRow| {
            write::open_period(tx, plan.agency_id, plan.period_id).await?;
            // An objection locks this rating row too when it is filed, so this check holds.
            if let Some(o) = appraisal_rows::objection_of_plan(tx, plan.id).await? {
                return Err(ApiError::Conflict {
                    code: ProblemCode::ObjectionFiled,
                    detail: format!("objection {} is {}; its decision settles the predikat", o.id, o.status),
                });
            }
            if body.predikat == current.predikat.0 {
                return Err(ApiError::validation(
                    "predikat",
                    "unchanged",
                    format!("the predikat is already {}", current.predikat),
                ));
            }
            let now = Utc::now();
            let calibration = note_json(&CalibrationNote {
                predikat_before: current.predikat.to_string(),
                predikat: body.predikat,
                justification: justification.clone(),
                by: caller.user_id(),
                at: now,
            });
            let changes = json!({"predikat": {"old": current.predikat, "new": body.predikat.as_str()},
                             "justification": justification});
            // A new predikat in force opens a new objection window from now (PP 30/2019 art. 59).
            let next = FinalRatingRow {
                predikat: Coded(body.predikat),
                calibration: Some(calibration),
                calibrated_at: Some(now),
                ..current.clone()
            };
            Ok(Change::with_changes(next, changes))
        },
    )
    .await?;
    let window = window_days(&mut conn, plan.agency_id).await?;
    final_view(&mut conn, &row, window).await
}
