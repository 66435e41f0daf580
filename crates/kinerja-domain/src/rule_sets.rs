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

// ---- PermenPANRB 6/2022: the matrix ----

/// The matrix, rows = rating hasil kerja, columns = rating perilaku kerja (di bawah, sesuai,
/// di atas). Behaviour below expectation sinks the result to *kurang* however good the results;
/// results below expectation give *butuh perbaikan* at best.
pub const MATRIX: [(Rating, [Predikat; 3]); 3] = [
    (Rating::DiAtasEkspektasi, [Predikat::Kurang, Predikat::Baik, Predikat::SangatBaik]),
    (Rating::SesuaiEkspektasi, [Predikat::Kurang, Predikat::Baik, Predikat::Baik]),
    (Rating::DiBawahEkspektasi, [Predikat::SangatKurang, Predikat::ButuhPerbaikan, Predikat::ButuhPerbaikan]),
];

const MATRIX_COLUMNS: [Rating; 3] = [Rating::DiBawahEkspektasi, Rating::SesuaiEkspektasi, Rating::DiAtasEkspektasi];

/// The predikat of a matrix cell.
pub fn matrix_predikat(results: Rating, behaviour: Rating) -> Predikat {
    let column = MATRIX_COLUMNS.iter().position(|c| *c == behaviour).unwrap_or(0);
    MATRIX.iter().find(|(row, _)| *row == results).map_or(Predikat::SangatKurang, |(_, cells)| cells[column])
}

// ---- Numeric schemes ----

/// Aspects of an indicator (aspek).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Aspect {
    Kuantitas,
    Kualitas,
    Waktu,
    Biaya,
}

impl Aspect {
    pub const ALL: [Aspect; 4] = [Aspect::Kuantitas, Aspect::Kualitas, Aspect::Waktu, Aspect::Biaya];

    pub fn as_str(self) -> &'static str {
        match self {
            Aspect::Kuantitas => "kuantitas",
            Aspect::Kualitas => "kualitas",
            Aspect::Waktu => "waktu",
            Aspect::Biaya => "biaya",
        }
    }

    pub fn parse(code: &str) -> Option<Aspect> {
        Aspect::ALL.into_iter().find(|a| a.as_str() == code)
    }
}

/// A score in exact hundredths of a point (9000 = 90.00). The numeric rule sets compute and
/// band in these, never in binary floating point, so a weighted score that is exactly 90.00 is
/// banded as 90.00 (in `f64`, 96 × 0.7 + 76 × 0.3 is 89.999…).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Score(i64);

impl Score {
    pub const ZERO: Score = Score(0);

    /// Whole points.
    pub const fn points(points: i64) -> Score {
        Score(points * 100)
    }

    pub const fn hundredths(self) -> i64 {
        self.0
    }

    /// A number as given on the wire, read to two decimals (half away from zero); `None` when
    /// it is not a finite number.
    pub fn from_f64(value: f64) -> Option<Score> {
        let hundredths = (value * 100.0).round();
        (hundredths.is_finite() && hundredths.abs() < 1e15).then_some(Score(hundredths as i64))
    }

    /// The exact fraction `numerator / denominator` of a point, rounded half up to hundredths.
    fn ratio(numerator: i128, denominator: i128) -> Score {
        let scaled = numerator * 100;
        let (q, r) = (scaled.div_euclid(denominator), scaled.rem_euclid(denominator));
        let rounded = if 2 * r >= denominator { q + 1 } else { q };
        Score(i64::try_from(rounded).unwrap_or(i64::MAX))
    }

    pub fn as_f64(self) -> f64 {
        self.0 as f64 / 100.0
    }

    fn min(self, other: Score) -> Score {
        Ord::min(self, other)
    }

    /// The mean of scores, rounded half up to hundredths; `None` for none.
    pub fn mean(scores: &[Score]) -> Option<Score> {
        let n = i128::try_from(scores.len()).ok().filter(|n| *n > 0)?;
        let sum: i128 = scores.iter().map(|s| i128::from(s.0)).sum();
        Some(Score::ratio(sum, n * 100))
    }
}

impl std::fmt::Display for Score {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        write!(f, "{sign}{}.{:02}", self.0.abs() / 100, self.0.abs() % 100)
    }
}

/// A weighted score, exact: hundredths of a point times percent, i.e. 1/10,000 of a point.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Weighted(i64);

impl Weighted {
    /// `skp × skp_percent% + behaviour × behaviour_percent%`, exactly.
    pub fn of(skp: Score, skp_percent: i64, behaviour: Score, behaviour_percent: i64) -> Weighted {
        Weighted(skp.0 * skp_percent + behaviour.0 * behaviour_percent)
    }

    /// Whether the score reaches `points` (exact comparison).
    pub fn at_least(self, points: i64) -> bool {
        self.0 >= points * 10_000
    }

    pub fn as_f64(self) -> f64 {
        self.0 as f64 / 10_000.0
    }
}

impl std::fmt::Display for Weighted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Shown to two decimals, rounded half up; the band used the exact value.
        write!(f, "{}", Score::ratio(i128::from(self.0), 10_000))
    }
}

/// Achievement is capped at 120 (PP 30/2019; Perka BKN 1/2013 scores above it are not counted).
pub const ACHIEVEMENT_CAP: Score = Score::points(120);

/// One aspect's score from target and realisation, by Perka BKN 1/2013, exact to the hundredth
/// (rounded half up). For waktu and biaya, the efficiency e = 100 − R/T × 100 decides the
/// formula: e ≤ 24 → ((1.76T − R)/T) × 100, else 76 − ((((1.76T − R)/T) × 100) − 100).
/// `None` when the target is not positive.
pub fn aspect_score(aspect: Aspect, target: Score, realisation: Score) -> Option<Score> {
    if target.0 <= 0 || realisation.0 < 0 {
        return None;
    }
    let (t, r) = (i128::from(target.0), i128::from(realisation.0));
    // All in exact fractions of T: R/T × 100 = 100R/T; (1.76T − R)/T × 100 = (176T − 100R)/T.
    let score = match aspect {
        Aspect::Kuantitas | Aspect::Kualitas => Score::ratio(100 * r, t),
        Aspect::Waktu | Aspect::Biaya => {
            // e ≤ 24  ⇔  100 − 100R/T ≤ 24  ⇔  76T ≤ 100R.
            if 76 * t <= 100 * r {
                Score::ratio(176 * t - 100 * r, t)
            } else {
                // 76 − (((176T − 100R)/T) − 100), everything over T.
                Score::ratio(76 * t - (176 * t - 100 * r - 100 * t), t)
            }
        }
    };
    Some(score.min(ACHIEVEMENT_CAP).max(Score::ZERO))
}

/// An indicator's score: the mean of its aspects' scores. An aspect without a target (biaya
/// where there is no budget) is simply left out by the caller.
pub fn indicator_score(aspects: &[(Aspect, Score, Score)]) -> Option<Score> {
    let scores: Vec<Score> = aspects.iter().filter_map(|(a, t, r)| aspect_score(*a, *t, *r)).collect();
    Score::mean(&scores)
}

/// PP 30/2019: the weighted score and its predikat. `with_peers`: peers and subordinates rated
/// behaviour too (60/40 instead of 70/30). `new_idea`: the employee produced a new idea or
/// method of benefit, which *sangat baik* requires. Bands: sangat baik ≥ 110 with a new idea,
/// baik ≥ 90, cukup ≥ 70, kurang ≥ 50, sangat kurang below.
pub fn pp30_2019(skp: Score, behaviour: Score, with_peers: bool, new_idea: bool) -> (Weighted, Predikat) {
    let (w_skp, w_behaviour) = if with_peers { (60, 40) } else { (70, 30) };
    let score = Weighted::of(skp.min(ACHIEVEMENT_CAP), w_skp, behaviour.min(ACHIEVEMENT_CAP), w_behaviour);
    let predikat = if score.at_least(110) && new_idea {
        Predikat::SangatBaik
    } else if score.at_least(90) {
        Predikat::Baik
    } else if score.at_least(70) {
        Predikat::Cukup
    } else if score.at_least(50) {
        Predikat::Kurang
    } else {
        Predikat::SangatKurang
    };
    (score, predikat)
}

/// PP 46/2011: SKP 60% + behaviour 40%; sangat baik ≥ 91, baik ≥ 76, cukup ≥ 61, kurang ≥ 51,
/// buruk below (each band from its lower bound: 90.50 is baik, 50.50 is buruk).
pub fn pp46_2011(skp: Score, behaviour: Score) -> (Weighted, Predikat) {
    let score = Weighted::of(skp.min(ACHIEVEMENT_CAP), 60, behaviour.min(ACHIEVEMENT_CAP), 40);
    let predikat = if score.at_least(91) {
        Predikat::SangatBaik
    } else if score.at_least(76) {
        Predikat::Baik
    } else if score.at_least(61) {
        Predikat::Cukup
    } else if score.at_least(51) {
        Predikat::Kurang
    } else {
        Predikat::Buruk
    };
    (score, predikat)
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
mod tests {
    use super::*;
    use Predikat::*;
    use Rating::*;

    #[test]
    fn all_nine_matrix_cells() {
        let table = [
            (DiAtasEkspektasi, DiAtasEkspektasi, SangatBaik),
            (DiAtasEkspektasi, SesuaiEkspektasi, Baik),
            (DiAtasEkspektasi, DiBawahEkspektasi, Kurang),
            (SesuaiEkspektasi, DiAtasEkspektasi, Baik),
            (SesuaiEkspektasi, SesuaiEkspektasi, Baik),
            (SesuaiEkspektasi, DiBawahEkspektasi, Kurang),
            (DiBawahEkspektasi, DiAtasEkspektasi, ButuhPerbaikan),
            (DiBawahEkspektasi, SesuaiEkspektasi, ButuhPerbaikan),
            (DiBawahEkspektasi, DiBawahEkspektasi, SangatKurang),
        ];
        for (results, behaviour, expected) in table {
            assert_eq!(matrix_predikat(results, behaviour), expected, "{results:?} × {behaviour:?}");
        }
    }

    #[test]
    fn evaluate_checks_inputs_per_rule_set() {
        let matrix = Inputs {
            result_rating: Some(DiAtasEkspektasi),
            behaviour_rating: Some(DiBawahEkspektasi),
            ..Default::default()
        };
        let out = RuleSet::PermenPanRb6_2022.evaluate(&matrix).unwrap();
        assert_eq!(out.predikat, Kurang);
        assert!(
            out.decided_by.contains("di_atas_ekspektasi × perilaku kerja di_bawah_ekspektasi"),
            "{}",
            out.decided_by
        );
        assert_eq!(
            RuleSet::PermenPanRb6_2022
                .evaluate(&Inputs { result_rating: Some(SesuaiEkspektasi), ..Default::default() }),
            Err(InputError::Missing("behaviour_rating"))
        );
        assert_eq!(RuleSet::Pp46_2011.evaluate(&matrix), Err(InputError::NotUsed("result_rating")));

        let numeric = Inputs { skp_score: Some(100.0), behaviour_score: Some(80.0), ..Default::default() };
        let out = RuleSet::Pp46_2011.evaluate(&numeric).unwrap();
        assert_eq!((out.predikat, out.score.map(|s| (s * 100.0).round())), (SangatBaik, Some(9200.0)));
        assert_eq!(RuleSet::Pp30_2019.evaluate(&numeric).unwrap().predikat, Baik);
        let from_indicators = Inputs {
            indicators: vec![vec![(Aspect::Kuantitas, 10.0, 10.0), (Aspect::Kualitas, 100.0, 100.0)]],
            behaviour_score: Some(100.0),
            ..Default::default()
        };
        assert_eq!(RuleSet::Pp46_2011.evaluate(&from_indicators).unwrap().skp_score, Some(100.0));
        let negative = Inputs { skp_score: Some(-1.0), behaviour_score: Some(80.0), ..Default::default() };
        assert_eq!(RuleSet::Pp30_2019.evaluate(&negative), Err(InputError::OutOfRange("skp_score")));
    }

    #[test]
    fn rule_set_codes_round_trip() {
        for r in RuleSet::ALL {
            assert_eq!(RuleSet::parse(r.code()), Some(r));
        }
        assert_eq!(RuleSet::parse("pp-53-2010"), None);
    }

    fn pts(points: f64) -> Score {
        Score::from_f64(points).unwrap()
    }

    fn aspect(a: Aspect, target: f64, realisation: f64) -> Option<Score> {
        aspect_score(a, pts(target), pts(realisation))
    }

    #[test]
    fn quantity_and_quality_are_realisation_over_target() {
        assert_eq!(aspect(Aspect::Kuantitas, 10.0, 8.0), Some(Score::points(80)));
        assert_eq!(aspect(Aspect::Kualitas, 100.0, 90.0), Some(Score::points(90)));
        // Capped at 120.
        assert_eq!(aspect(Aspect::Kuantitas, 10.0, 15.0), Some(Score::points(120)));
        assert_eq!(aspect(Aspect::Kuantitas, 0.0, 5.0), None);
        // 2 of 3 is 66.666… → 66.67, exact to the hundredth.
        assert_eq!(aspect(Aspect::Kuantitas, 3.0, 2.0), Some(pts(66.67)));
    }

    #[test]
    fn time_uses_the_efficiency_branch() {
        // 12 months planned, done in 12: e = 0 ≤ 24 → (1.76·12 − 12)/12 · 100 = 76.
        assert_eq!(aspect(Aspect::Waktu, 12.0, 12.0), Some(Score::points(76)));
        // Done in 10: e = 16.67 ≤ 24 → (21.12 − 10)/12 · 100 = 92.666… → 92.67.
        assert_eq!(aspect(Aspect::Waktu, 12.0, 10.0), Some(pts(92.67)));
        // Efficiency exactly 24: still the first branch. T = 100, R = 76 → 100.
        assert_eq!(aspect(Aspect::Waktu, 100.0, 76.0), Some(Score::points(100)));
        // Efficiency above 24 (done in 6 of 12: e = 50) → 76 − ((1.76·12 − 6)/12 · 100 − 100) = 50.
        assert_eq!(aspect(Aspect::Waktu, 12.0, 6.0), Some(Score::points(50)));
        // Cost follows the same formulas.
        assert_eq!(aspect(Aspect::Biaya, 12.0, 6.0), aspect(Aspect::Waktu, 12.0, 6.0));
        // Nothing realised scores 0 on every aspect.
        for a in Aspect::ALL {
            assert_eq!(aspect(a, 12.0, 0.0), Some(Score::ZERO), "{a:?}");
        }
    }

    #[test]
    fn an_indicator_without_budget_averages_the_other_aspects() {
        let without_budget = [
            (Aspect::Kuantitas, pts(10.0), pts(10.0)),
            (Aspect::Kualitas, pts(100.0), pts(90.0)),
            (Aspect::Waktu, pts(12.0), pts(12.0)),
        ];
        // (100 + 90 + 76) / 3 = 88.666… → 88.67.
        assert_eq!(indicator_score(&without_budget), Some(pts(88.67)));
        assert_eq!(indicator_score(&[]), None);
    }

    /// The band of an exact rational score `numerator / 10`, as the regulations read.
    fn pp30_exact(numerator: i64, new_idea: bool) -> Predikat {
        match numerator {
            n if n >= 1100 && new_idea => SangatBaik,
            n if n >= 900 => Baik,
            n if n >= 700 => Cukup,
            n if n >= 500 => Kurang,
            _ => SangatKurang,
        }
    }

    fn pp46_exact(numerator: i64) -> Predikat {
        match numerator {
            n if n >= 910 => SangatBaik,
            n if n >= 760 => Baik,
            n if n >= 610 => Cukup,
            n if n >= 510 => Kurang,
            _ => Buruk,
        }
    }

    #[test]
    fn every_whole_number_pair_is_banded_exactly() {
        for skp in 0..=120_i64 {
            for behaviour in 0..=120_i64 {
                let (s, b) = (Score::points(skp), Score::points(behaviour));
                for new_idea in [false, true] {
                    // Ten times the score, in integers: 7·skp + 3·behaviour (or 6 + 4 with peers).
                    assert_eq!(
                        pp30_2019(s, b, false, new_idea).1,
                        pp30_exact(7 * skp + 3 * behaviour, new_idea),
                        "PP 30/2019 {skp}/{behaviour} idea {new_idea}"
                    );
                    assert_eq!(
                        pp30_2019(s, b, true, new_idea).1,
                        pp30_exact(6 * skp + 4 * behaviour, new_idea),
                        "PP 30/2019 with peers {skp}/{behaviour} idea {new_idea}"
                    );
                }
                assert_eq!(pp46_2011(s, b).1, pp46_exact(6 * skp + 4 * behaviour), "PP 46/2011 {skp}/{behaviour}");
            }
        }
    }

    #[test]
    fn the_worked_cases_of_the_review() {
        let band30 =
            |skp: i64, behaviour: i64, idea: bool| pp30_2019(Score::points(skp), Score::points(behaviour), false, idea);
        let (score, predikat) = band30(96, 76, false);
        assert_eq!((score.to_string(), predikat), ("90.00".into(), Baik));
        let (score, predikat) = band30(116, 96, true);
        assert_eq!((score.to_string(), predikat), ("110.00".into(), SangatBaik));
        let band46 = |skp: i64, behaviour: i64| pp46_2011(Score::points(skp), Score::points(behaviour));
        assert_eq!(band46(114, 19), (Weighted::of(Score::points(114), 60, Score::points(19), 40), Baik));
        assert_eq!(band46(114, 19).0.to_string(), "76.00");
        assert_eq!(band46(97, 7).1, Cukup);
        assert_eq!(band46(97, 7).0.to_string(), "61.00");
    }

    #[test]
    fn pp30_bands_at_their_edges() {
        let band = |score: f64, idea: bool| pp30_2019(pts(score), pts(score), false, idea).1;
        assert_eq!(band(89.99, false), Cukup);
        assert_eq!(band(90.0, false), Baik);
        assert_eq!(band(110.0, false), Baik, "sangat baik needs a new idea");
        assert_eq!(band(109.99, true), Baik);
        assert_eq!(band(110.0, true), SangatBaik);
        assert_eq!(band(69.99, false), Kurang);
        assert_eq!(band(70.0, false), Cukup);
        assert_eq!(band(49.99, false), SangatKurang);
        assert_eq!(band(50.0, false), Kurang);
        // Achievement over 120 counts as 120.
        assert_eq!(pp30_2019(pts(150.0), pts(120.0), false, true).0.to_string(), "120.00");
        // Weights: 70/30, or 60/40 with peers.
        assert_eq!(pp30_2019(pts(100.0), pts(80.0), false, false).0.to_string(), "94.00");
        assert_eq!(pp30_2019(pts(100.0), pts(80.0), true, false).0.to_string(), "92.00");
    }

    #[test]
    fn pp46_bands_at_their_edges() {
        let band = |score: f64| pp46_2011(pts(score), pts(score)).1;
        assert_eq!(band(91.0), SangatBaik);
        assert_eq!(band(90.99), Baik);
        assert_eq!(band(76.0), Baik);
        assert_eq!(band(75.99), Cukup);
        assert_eq!(band(61.0), Cukup);
        assert_eq!(band(60.99), Kurang);
        assert_eq!(band(51.0), Kurang);
        assert_eq!(band(50.99), Buruk);
        assert_eq!(pp46_2011(pts(100.0), pts(80.0)).0.to_string(), "92.00");
        assert_eq!(pp46_2011(pts(130.0), pts(120.0)).0.to_string(), "120.00");
    }
}
