//! The SKP score of the numeric rule sets (PP 30/2019; PP 46/2011 with Perka BKN 1/2013), from a
//! plan's indicators and their realisations: shared by the periodic and the annual rating.

use kinerja_domain::rule_sets::{Aspect, Inputs};
use kinerja_store::evaluations::{EvaluationRow, RealizationRow};
use kinerja_store::plans::{self, IndicatorRow};
use kinerja_store::AsyncPgConnection;
use uuid::Uuid;

use crate::error::ApiError;

/// The indicators to score, as (aspect, target, realisation), and those without a realisation.
#[derive(Debug, Default)]
pub struct SkpInputs {
    pub indicators: Vec<Vec<(Aspect, f64, f64)>>,
    pub unrealised: Vec<Uuid>,
}

/// Every indicator with a numeric target counts. One without a realisation counts as 0 (every
/// Perka BKN formula gives 0 for nothing realised) and is named, so that recording only one's
/// best indicators cannot raise the score.
pub fn skp_inputs(indicators: &[IndicatorRow], realised: &[RealizationRow]) -> SkpInputs {
    let mut inputs = SkpInputs::default();
    for indicator in indicators {
        let (Some(aspect), Some(target)) = (Aspect::parse(&indicator.aspect), indicator.target_value) else {
            continue;
        };
        let value = realised.iter().find(|r| r.indicator_id == indicator.id).and_then(|r| r.value);
        if value.is_none() {
            inputs.unrealised.push(indicator.id);
        }
        inputs.indicators.push(vec![(aspect, target, value.unwrap_or(0.0))]);
    }
    inputs
}

/// The evaluation whose realisations are the year's: the whole-year one (label `2026`) when the
/// plan has it, else the latest sub-period's (realisations are recorded year to date).
pub fn year_evaluation(evaluations: &[EvaluationRow]) -> Option<&EvaluationRow> {
    let whole_year = evaluations.iter().find(|e| !e.period_label.contains('-'));
    whole_year.or_else(|| evaluations.iter().max_by(|a, b| a.period_label.cmp(&b.period_label)))
}

/// Fills `inputs` with the plan's indicators scored against `realised`; returns the indicators
/// that had no realisation (for the explanation).
pub async fn score_plan(
    conn: &mut AsyncPgConnection,
    plan_id: Uuid,
    realised: &[RealizationRow],
    inputs: &mut Inputs,
) -> Result<Vec<Uuid>, ApiError> {
    let whole = plans::whole_plan(conn, plan_id).await?.ok_or(ApiError::NotFound("plan"))?;
    let skp = skp_inputs(&whole.indicators, realised);
    inputs.indicators = skp.indicators;
    Ok(skp.unrealised)
}
