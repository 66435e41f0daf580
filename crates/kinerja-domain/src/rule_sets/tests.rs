//! The rule sets against the regulations' worked cases and every edge of their bands.

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
    assert!(out.decided_by.contains("di_atas_ekspektasi × perilaku kerja di_bawah_ekspektasi"), "{}", out.decided_by);
    assert_eq!(
        RuleSet::PermenPanRb6_2022.evaluate(&Inputs { result_rating: Some(SesuaiEkspektasi), ..Default::default() }),
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
