//! The numeric schemes (PP 30/2019; PP 46/2011 with Perka BKN 1/2013): exact scores, aspect and
//! indicator scores, the weighted score and its band.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::Predikat;

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
