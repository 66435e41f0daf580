//! Rating by a rule set: the SKP score of the numeric rule sets (PP 30/2019; PP 46/2011 with
//! Perka BKN 1/2013) from a plan's indicators and their realisations, and the predikat with its
//! explanation — shared by the dry run, the periodic and the annual rating.

use kinerja_domain::rule_sets::{Aspect, Inputs, Predikat, Rating, RuleSet};
use kinerja_store::evaluation_rows::{self, EvaluationRow, RealizationRow};
use kinerja_store::plan_rows::{self, IndicatorRow, PlanRow};
use kinerja_store::AsyncPgConnection;
use uuid::Uuid;

use kinerja_domain::skp::result_rating_departures;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::http::checks::reject;
use crate::http::error::{ApiError, FieldError};

/// Defines a rating request: the rating official's inputs that every rating takes (their
/// fields and words once, and how they become the rule set's [`Inputs`]), then its own fields.
/// A macro rather than a flattened struct because `deny_unknown_fields` does not work with
/// serde's `flatten`.
macro_rules! rating_request {
    ($(#[$meta:meta])* pub struct $name:ident { $($(#[$fmeta:meta])* $field:ident: $ty:ty,)* }) => {
        $(#[$meta])*
        pub struct $name {
            /// `permenpanrb-6-2022`: the rating of results. In an annual rating, for the head of
            /// a unit it follows the unit's organisation predikat and may be left out.
            #[serde(default)]
            pub result_rating: Option<kinerja_domain::rule_sets::Rating>,
            /// `permenpanrb-6-2022`: the rating of behaviour.
            #[serde(default)]
            pub behaviour_rating: Option<kinerja_domain::rule_sets::Rating>,
            /// Numeric rule sets: the behaviour score.
            #[serde(default)]
            pub behaviour_score: Option<f64>,
            #[serde(default)]
            pub with_peers: bool,
            #[serde(default)]
            pub new_idea: bool,
            /// The work results (RHK) rated one by one; the overall `result_rating` stays the
            /// rating official's, and the answer warns where it departs from them.
            #[serde(default)]
            pub result_ratings: Vec<$crate::services::scoring::ResultRating>,
            $($(#[$fmeta])* pub $field: $ty,)*
        }

        impl $name {
            /// The rule set's inputs as the rating official gave them.
            pub fn rater_inputs(&self) -> kinerja_domain::rule_sets::Inputs {
                kinerja_domain::rule_sets::Inputs::from_rater(
                    self.result_rating,
                    self.behaviour_rating,
                    self.behaviour_score,
                    self.with_peers,
                    self.new_idea,
                )
            }
        }
    };
}
pub(crate) use rating_request;

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
        let (Some(aspect), Some(target)) = (Some(indicator.aspect.0), indicator.target_value) else {
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

/// The plan a rating scores, by its agency and id (its shard on Citus).
#[derive(Debug, Clone, Copy)]
pub struct PlanKey {
    pub agency_id: Uuid,
    pub id: Uuid,
}

impl PlanKey {
    pub fn of(plan: &PlanRow) -> PlanKey {
        PlanKey { agency_id: plan.agency_id, id: plan.id }
    }
}

/// Fills `inputs` with the plan's indicators scored against `realised`; returns the indicators
/// that had no realisation (for the explanation).
async fn score_plan(
    conn: &mut AsyncPgConnection,
    plan: PlanKey,
    realised: &[RealizationRow],
    inputs: &mut Inputs,
) -> Result<Vec<Uuid>, ApiError> {
    let whole = plan_rows::whole_plan(conn, Some(plan.agency_id), plan.id).await?.ok_or(ApiError::NotFound("plan"))?;
    let skp = skp_inputs(&whole.indicators, realised);
    inputs.indicators = skp.indicators;
    Ok(skp.unrealised)
}

/// Why the predikat is what it is.
#[derive(Debug, Serialize, ToSchema)]
pub struct Explanation {
    #[schema(example = "permenpanrb-6-2022")]
    pub rule_set: &'static str,
    pub rule_set_title: &'static str,
    /// The cell or band that decided, in words.
    #[schema(example = "matrix cell: hasil kerja di_atas_ekspektasi × perilaku kerja sesuai_ekspektasi → baik")]
    pub decided_by: String,
    pub result_rating: Option<Rating>,
    pub behaviour_rating: Option<Rating>,
    /// Numeric sets: the SKP score used and the weighted score.
    pub skp_score: Option<f64>,
    pub behaviour_score: Option<f64>,
    pub score: Option<f64>,
    /// Numeric sets: the indicators that had no realisation and counted as 0.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub unrealised_indicators: Vec<Uuid>,
    /// The work results (RHK) the rating official rated one by one.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub result_ratings: Vec<ResultRating>,
    /// Where the overall result rating departs from the results rated one by one (PermenPANRB
    /// 6/2022 guidance): the official's decision stands, the departure is on record.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<&'static str>,
}

/// One work result (RHK) rated on its own.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResultRating {
    pub result_id: Uuid,
    pub rating: Rating,
}

/// Checks per-result ratings against the plan's results (each of them, at most once) and
/// records them, with the departures of the overall result rating from them, in `outcome`.
async fn rate_results(
    conn: &mut AsyncPgConnection,
    plan: PlanKey,
    given: &[ResultRating],
    outcome: &mut Evaluation,
) -> Result<(), ApiError> {
    if given.is_empty() {
        return Ok(());
    }
    let whole = plan_rows::whole_plan(conn, Some(plan.agency_id), plan.id).await?.ok_or(ApiError::NotFound("plan"))?;
    let mut errors = Vec::new();
    let mut rated = Vec::new();
    for (i, r) in given.iter().enumerate() {
        let field = format!("result_ratings[{i}].result_id");
        match whole.results.iter().find(|result| result.id == r.result_id) {
            None => errors.push(FieldError::new(field, "unknown_result", "not a work result of this plan")),
            Some(_) if given[..i].iter().any(|earlier| earlier.result_id == r.result_id) => {
                errors.push(FieldError::new(field, "duplicate", "each work result at most once"))
            }
            Some(result) => rated.push((result.kind.0, r.rating)),
        }
    }
    reject(errors)?;
    if let Some(overall) = outcome.explanation.result_rating {
        outcome.explanation.warnings = result_rating_departures(overall, &rated);
    }
    outcome.explanation.result_ratings = given.to_vec();
    Ok(())
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Evaluation {
    pub predikat: Predikat,
    pub explanation: Explanation,
}

/// A stored rating (periodic or annual): the official's `inputs`, and for the numeric sets the
/// SKP score of the plan's indicators against the realisations recorded in `realised_in` (none
/// recorded: every indicator is unrealised, and the explanation lists them).
pub async fn rate(
    conn: &mut AsyncPgConnection,
    rule_set: RuleSet,
    plan: PlanKey,
    realised_in: Option<Uuid>,
    mut inputs: Inputs,
    result_ratings: &[ResultRating],
) -> Result<Evaluation, ApiError> {
    let mut unrealised = Vec::new();
    if rule_set.scores_realisations() {
        let realised = match realised_in {
            Some(evaluation_id) => evaluation_rows::realizations_of(conn, evaluation_id).await?,
            None => Vec::new(),
        };
        unrealised = score_plan(conn, plan, &realised, &mut inputs).await?;
    }
    let mut outcome = evaluate(rule_set, &inputs)?;
    outcome.explanation.unrealised_indicators = unrealised;
    rate_results(conn, plan, result_ratings, &mut outcome).await?;
    Ok(outcome)
}

/// Applies a rule set to inputs; the shared path for dry runs and stored ratings.
pub fn evaluate(rule_set: RuleSet, inputs: &Inputs) -> Result<Evaluation, ApiError> {
    let outcome = rule_set.evaluate(inputs)?;
    Ok(Evaluation {
        predikat: outcome.predikat,
        explanation: Explanation {
            rule_set: rule_set.code(),
            rule_set_title: rule_set.title(),
            decided_by: outcome.decided_by,
            result_rating: inputs.result_rating,
            behaviour_rating: inputs.behaviour_rating,
            skp_score: outcome.skp_score,
            behaviour_score: inputs.behaviour_score,
            score: outcome.score,
            unrealised_indicators: Vec::new(),
            result_ratings: Vec::new(),
            warnings: Vec::new(),
        },
    })
}
