//! Turning ratings into a predikat: the rule sets, as data, each named by its regulation.
//!
//! - `permenpanrb-6-2022` (default): the matrix of PermenPANRB 6/2022 — rating hasil kerja ×
//!   rating perilaku kerja, three points each, no numeric weighting.
//! - `pp-30-2019`: numeric; SKP 70% + behaviour 30% (60/40 when peers and subordinates rate too),
//!   achievement capped at 120, and *sangat baik* needs a new idea or method of benefit.
//! - `pp-46-2011`: numeric; SKP 60% + behaviour 40%, indicators scored by the Perka BKN 1/2013
//!   formulas (see [`indicator_score`]).
//!
//! One result is always computed by one rule set; they are never mixed.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

pub use matrix::{matrix_predikat, MATRIX};
pub use numeric::{aspect_score, indicator_score, pp30_2019, pp46_2011, Aspect, Score, Weighted, ACHIEVEMENT_CAP};

mod matrix;
mod numeric;

/// A three-point rating of results (hasil kerja) or behaviour (perilaku kerja).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Rating {
    DiAtasEkspektasi,
    SesuaiEkspektasi,
    DiBawahEkspektasi,
}

/// The predikat kinerja. `cukup` and `buruk` exist only in the older numeric rule sets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Predikat {
    SangatBaik,
    Baik,
    Cukup,
    ButuhPerbaikan,
    Kurang,
    SangatKurang,
    Buruk,
}

impl Rating {
    pub const ALL: [Rating; 3] = [Rating::DiAtasEkspektasi, Rating::SesuaiEkspektasi, Rating::DiBawahEkspektasi];

    pub fn as_str(self) -> &'static str {
        match self {
            Rating::DiAtasEkspektasi => "di_atas_ekspektasi",
            Rating::SesuaiEkspektasi => "sesuai_ekspektasi",
            Rating::DiBawahEkspektasi => "di_bawah_ekspektasi",
        }
    }

    pub fn parse(code: &str) -> Option<Rating> {
        Rating::ALL.into_iter().find(|r| r.as_str() == code)
    }

    /// The national system's code: 1 = di atas, 2 = sesuai, 3 = di bawah.
    pub fn national_code(self) -> u8 {
        match self {
            Rating::DiAtasEkspektasi => 1,
            Rating::SesuaiEkspektasi => 2,
            Rating::DiBawahEkspektasi => 3,
        }
    }
}

impl Predikat {
    pub const ALL: [Predikat; 7] = [
        Predikat::SangatBaik,
        Predikat::Baik,
        Predikat::Cukup,
        Predikat::ButuhPerbaikan,
        Predikat::Kurang,
        Predikat::SangatKurang,
        Predikat::Buruk,
    ];

    pub fn parse(code: &str) -> Option<Predikat> {
        Predikat::ALL.into_iter().find(|p| p.as_str() == code)
    }

    /// The national system's quadrant: 1 = sangat baik … 5 = sangat kurang; none for the older
    /// schemes' `cukup` and `buruk`.
    pub fn national_code(self) -> Option<u8> {
        match self {
            Predikat::SangatBaik => Some(1),
            Predikat::Baik => Some(2),
            Predikat::ButuhPerbaikan => Some(3),
            Predikat::Kurang => Some(4),
            Predikat::SangatKurang => Some(5),
            Predikat::Cukup | Predikat::Buruk => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Predikat::SangatBaik => "sangat_baik",
            Predikat::Baik => "baik",
            Predikat::Cukup => "cukup",
            Predikat::ButuhPerbaikan => "butuh_perbaikan",
            Predikat::Kurang => "kurang",
            Predikat::SangatKurang => "sangat_kurang",
            Predikat::Buruk => "buruk",
        }
    }
}

/// The rule sets a period may choose.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
pub enum RuleSet {
    #[serde(rename = "permenpanrb-6-2022")]
    PermenPanRb6_2022,
    #[serde(rename = "pp-30-2019")]
    Pp30_2019,
    #[serde(rename = "pp-46-2011")]
    Pp46_2011,
}

impl RuleSet {
    pub const ALL: [RuleSet; 3] = [RuleSet::PermenPanRb6_2022, RuleSet::Pp30_2019, RuleSet::Pp46_2011];
    pub const DEFAULT: RuleSet = RuleSet::PermenPanRb6_2022;

    pub fn code(self) -> &'static str {
        match self {
            RuleSet::PermenPanRb6_2022 => "permenpanrb-6-2022",
            RuleSet::Pp30_2019 => "pp-30-2019",
            RuleSet::Pp46_2011 => "pp-46-2011",
        }
    }

    pub fn parse(code: &str) -> Option<RuleSet> {
        RuleSet::ALL.into_iter().find(|r| r.code() == code)
    }

    pub fn title(self) -> &'static str {
        match self {
            RuleSet::PermenPanRb6_2022 => "PermenPANRB 6/2022: matrix of rating hasil kerja and rating perilaku kerja",
            RuleSet::Pp30_2019 => "PP 30/2019: SKP 70% + perilaku 30% (60/40 with peer and subordinate ratings)",
            RuleSet::Pp46_2011 => "PP 46/2011 with Perka BKN 1/2013: SKP 60% + perilaku 40%",
        }
    }

    /// The numeric sets score the SKP from each indicator's realisation against its target
    /// (Perka BKN 1/2013); the matrix of PermenPANRB 6/2022 takes the official's ratings instead.
    pub fn scores_realisations(self) -> bool {
        self != RuleSet::PermenPanRb6_2022
    }

    /// The predikat this rule set gives, from the top; a calibration or an objection's decision
    /// stays within them.
    pub const fn predikat(self) -> [Predikat; 5] {
        use Predikat::*;
        match self {
            RuleSet::PermenPanRb6_2022 => [SangatBaik, Baik, ButuhPerbaikan, Kurang, SangatKurang],
            RuleSet::Pp30_2019 => [SangatBaik, Baik, Cukup, Kurang, SangatKurang],
            RuleSet::Pp46_2011 => [SangatBaik, Baik, Cukup, Kurang, Buruk],
        }
    }
}

/// What a rule set is given: ratings for the matrix, scores (or indicators to score) for the
/// numeric sets. Fields a rule set does not use must be absent.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Inputs {
    pub result_rating: Option<Rating>,
    pub behaviour_rating: Option<Rating>,
    /// The SKP achievement (0–120); or give `indicators` to have it computed.
    pub skp_score: Option<f64>,
    /// Per indicator, its aspects as (aspect, target, realisation).
    pub indicators: Vec<Vec<(Aspect, f64, f64)>>,
    pub behaviour_score: Option<f64>,
    /// PP 30/2019: peers and subordinates rated behaviour too (60/40).
    pub with_peers: bool,
    /// PP 30/2019: a new idea or method of benefit (needed for sangat baik).
    pub new_idea: bool,
}

impl Inputs {
    /// What a rating official gives: the two ratings (matrix) or the behaviour score and the
    /// PP 30/2019 flags (numeric sets, whose SKP score the realisations give).
    pub fn from_rater(
        result_rating: Option<Rating>,
        behaviour_rating: Option<Rating>,
        behaviour_score: Option<f64>,
        with_peers: bool,
        new_idea: bool,
    ) -> Inputs {
        Inputs { result_rating, behaviour_rating, behaviour_score, with_peers, new_idea, ..Inputs::default() }
    }
}

/// The result of a rule set, with what decided it.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    pub predikat: Predikat,
    /// The weighted score of the numeric sets.
    pub score: Option<f64>,
    /// The SKP score used (given, or computed from the indicators).
    pub skp_score: Option<f64>,
    /// The cell or band that decided, in words.
    pub decided_by: String,
}

/// A missing or misplaced input, by field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InputError {
    #[error("{0} is required by this rule set")]
    Missing(&'static str),
    #[error("{0} is not used by this rule set")]
    NotUsed(&'static str),
    #[error("{0} must be a number from 0 to 1000")]
    OutOfRange(&'static str),
    #[error("no indicator has a positive target")]
    NoScorableIndicator,
}

impl InputError {
    pub fn field(&self) -> &'static str {
        match self {
            InputError::Missing(f) | InputError::NotUsed(f) | InputError::OutOfRange(f) => f,
            InputError::NoScorableIndicator => "indicators",
        }
    }
}

/// A given score, read exactly to the hundredth.
fn score_input(value: Option<f64>, field: &'static str) -> Result<Score, InputError> {
    let v = value.ok_or(InputError::Missing(field))?;
    if v.is_finite() && (0.0..=1000.0).contains(&v) {
        Score::from_f64(v).ok_or(InputError::OutOfRange(field))
    } else {
        Err(InputError::OutOfRange(field))
    }
}

impl RuleSet {
    /// Applies the rule set. The one place a predikat is computed, for dry runs and real ratings.
    pub fn evaluate(self, inputs: &Inputs) -> Result<Outcome, InputError> {
        match self {
            RuleSet::PermenPanRb6_2022 => {
                for (present, field) in [
                    (inputs.skp_score.is_some(), "skp_score"),
                    (inputs.behaviour_score.is_some(), "behaviour_score"),
                    (!inputs.indicators.is_empty(), "indicators"),
                ] {
                    if present {
                        return Err(InputError::NotUsed(field));
                    }
                }
                let results = inputs.result_rating.ok_or(InputError::Missing("result_rating"))?;
                let behaviour = inputs.behaviour_rating.ok_or(InputError::Missing("behaviour_rating"))?;
                let predikat = matrix_predikat(results, behaviour);
                Ok(Outcome {
                    predikat,
                    score: None,
                    skp_score: None,
                    decided_by: format!(
                        "matrix cell: hasil kerja {} × perilaku kerja {} → {}",
                        results.as_str(),
                        behaviour.as_str(),
                        predikat.as_str()
                    ),
                })
            }
            RuleSet::Pp30_2019 | RuleSet::Pp46_2011 => {
                for (present, field) in [
                    (inputs.result_rating.is_some(), "result_rating"),
                    (inputs.behaviour_rating.is_some(), "behaviour_rating"),
                ] {
                    if present {
                        return Err(InputError::NotUsed(field));
                    }
                }
                let skp = match (inputs.skp_score, inputs.indicators.is_empty()) {
                    (Some(_), false) => return Err(InputError::NotUsed("indicators")),
                    (given, true) => score_input(given, "skp_score")?,
                    (None, false) => {
                        let scores: Vec<Score> = inputs
                            .indicators
                            .iter()
                            .filter_map(|aspects| {
                                let exact: Option<Vec<(Aspect, Score, Score)>> = aspects
                                    .iter()
                                    .map(|(a, t, r)| Some((*a, Score::from_f64(*t)?, Score::from_f64(*r)?)))
                                    .collect();
                                indicator_score(&exact?)
                            })
                            .collect();
                        Score::mean(&scores).ok_or(InputError::NoScorableIndicator)?
                    }
                };
                let behaviour = score_input(inputs.behaviour_score, "behaviour_score")?;
                let (score, predikat, weights) = if self == RuleSet::Pp30_2019 {
                    let (score, predikat) = pp30_2019(skp, behaviour, inputs.with_peers, inputs.new_idea);
                    (score, predikat, if inputs.with_peers { "60/40" } else { "70/30" })
                } else {
                    if inputs.with_peers || inputs.new_idea {
                        return Err(InputError::NotUsed(if inputs.with_peers { "with_peers" } else { "new_idea" }));
                    }
                    let (score, predikat) = pp46_2011(skp, behaviour);
                    (score, predikat, "60/40")
                };
                Ok(Outcome {
                    predikat,
                    score: Some(score.as_f64()),
                    skp_score: Some(skp.as_f64()),
                    decided_by: format!(
                        "score {score} = SKP {skp} and perilaku {behaviour} weighted {weights} → band {}",
                        predikat.as_str()
                    ),
                })
            }
        }
    }
}

#[cfg(test)]
mod tests;
