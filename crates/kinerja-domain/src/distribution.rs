//! The distribution curve of SE MenPANRB 3/2023: the organisation's own predikat bounds how its
//! employees' predikat may be distributed.
//!
//! | organisation | employee distribution allowed |
//! |---|---|
//! | istimewa | sangat baik at most 70% |
//! | baik | baik at most 70%; at least one butuh perbaikan or kurang |
//! | butuh perbaikan | butuh perbaikan at least 60%; sangat baik at most 10% |
//! | kurang | kurang at least 60%; butuh perbaikan at least 10%; sangat baik at most 10% |
//! | sangat kurang | sangat kurang at least 60%; kurang and/or butuh perbaikan at least 10%; no sangat baik |
//!
//! Shares are of the employees rated in the unit. "At most p%" allows ⌊p·n⌋ people, "at least
//! p%" needs ⌈p·n⌉ (exactly 70% of 10 is 7, allowed; 60% of 3 needs 2).

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::rule_sets::{Predikat, Rating, RuleSet};

/// The organisation's (unit's or agency's) own predikat.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum OrgPredikat {
    Istimewa,
    Baik,
    ButuhPerbaikan,
    Kurang,
    SangatKurang,
}

impl OrgPredikat {
    pub const ALL: [OrgPredikat; 5] = [
        OrgPredikat::Istimewa,
        OrgPredikat::Baik,
        OrgPredikat::ButuhPerbaikan,
        OrgPredikat::Kurang,
        OrgPredikat::SangatKurang,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            OrgPredikat::Istimewa => "istimewa",
            OrgPredikat::Baik => "baik",
            OrgPredikat::ButuhPerbaikan => "butuh_perbaikan",
            OrgPredikat::Kurang => "kurang",
            OrgPredikat::SangatKurang => "sangat_kurang",
        }
    }

    pub fn parse(code: &str) -> Option<OrgPredikat> {
        OrgPredikat::ALL.into_iter().find(|o| o.as_str() == code)
    }

    /// The head of a unit takes the unit's result as their own rating hasil kerja
    /// (PermenPANRB 6/2022): istimewa is above expectation, baik meets it, the rest fall below.
    pub fn head_result_rating(self) -> Rating {
        match self {
            OrgPredikat::Istimewa => Rating::DiAtasEkspektasi,
            OrgPredikat::Baik => Rating::SesuaiEkspektasi,
            OrgPredikat::ButuhPerbaikan | OrgPredikat::Kurang | OrgPredikat::SangatKurang => Rating::DiBawahEkspektasi,
        }
    }
}

/// The five employee predikat of PermenPANRB 6/2022, in order from the top.
pub const GRADES: [Predikat; 5] = RuleSet::PermenPanRb6_2022.predikat();

/// How many employees hold each predikat, in the order of [`GRADES`].
pub type Counts = [u32; 5];

fn index(p: Predikat) -> usize {
    GRADES.iter().position(|g| *g == p).unwrap_or(0)
}

/// Gathers (predikat code, how many) pairs; codes outside [`GRADES`] (the older schemes'
/// `cukup`, `buruk`) are not part of the curve and are left out.
pub fn count<'a>(tallies: impl IntoIterator<Item = (&'a str, u32)>) -> Counts {
    let mut counts = [0; 5];
    for (code, n) in tallies {
        if let Some(i) = GRADES.iter().position(|g| g.as_str() == code) {
            counts[i] += n;
        }
    }
    counts
}

/// One rule of the curve over a group of predikat.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bound {
    /// At most this percentage of the employees.
    AtMostPercent(u32),
    /// At least this percentage of the employees.
    AtLeastPercent(u32),
    /// At least one employee.
    AtLeastOne,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CurveRule {
    pub group: &'static [Predikat],
    pub bound: Bound,
}

impl CurveRule {
    /// The most (or least) people the group may (or must) hold in a unit of `n`.
    fn limit(&self, n: u32) -> u32 {
        match self.bound {
            Bound::AtMostPercent(p) => n * p / 100,
            Bound::AtLeastPercent(p) => (n * p).div_ceil(100),
            Bound::AtLeastOne => u32::from(n > 0),
        }
    }

    fn held(&self, counts: &Counts) -> u32 {
        self.group.iter().map(|p| counts[index(*p)]).sum()
    }

    pub fn describe(&self) -> String {
        let group = self.group.iter().map(|p| p.as_str()).collect::<Vec<_>>().join(" or ");
        match self.bound {
            Bound::AtMostPercent(0) => format!("no {group}"),
            Bound::AtMostPercent(p) => format!("{group} at most {p}%"),
            Bound::AtLeastPercent(p) => format!("{group} at least {p}%"),
            Bound::AtLeastOne => format!("at least one {group}"),
        }
    }
}

/// The rules for an organisation predikat.
pub fn rules(org: OrgPredikat) -> Vec<CurveRule> {
    use Bound::*;
    use Predikat::*;
    let rule = |group, bound| CurveRule { group, bound };
    match org {
        OrgPredikat::Istimewa => vec![rule(&[SangatBaik], AtMostPercent(70))],
        OrgPredikat::Baik => vec![rule(&[Baik], AtMostPercent(70)), rule(&[ButuhPerbaikan, Kurang], AtLeastOne)],
        OrgPredikat::ButuhPerbaikan => {
            vec![rule(&[ButuhPerbaikan], AtLeastPercent(60)), rule(&[SangatBaik], AtMostPercent(10))]
        }
        OrgPredikat::Kurang => vec![
            rule(&[Kurang], AtLeastPercent(60)),
            rule(&[ButuhPerbaikan], AtLeastPercent(10)),
            rule(&[SangatBaik], AtMostPercent(10)),
        ],
        OrgPredikat::SangatKurang => vec![
            rule(&[SangatKurang], AtLeastPercent(60)),
            rule(&[Kurang, ButuhPerbaikan], AtLeastPercent(10)),
            rule(&[SangatBaik], AtMostPercent(0)),
        ],
    }
}

/// One rule's outcome for a unit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleOutcome {
    pub rule: String,
    pub ok: bool,
    pub detail: String,
}

/// Checks every rule; an empty unit breaks none.
pub fn check(org: OrgPredikat, counts: &Counts) -> Vec<RuleOutcome> {
    let n: u32 = counts.iter().sum();
    rules(org)
        .iter()
        .map(|r| {
            let (held, limit) = (r.held(counts), r.limit(n));
            let ok = n == 0
                || match r.bound {
                    Bound::AtMostPercent(_) => held <= limit,
                    _ => held >= limit,
                };
            let detail = match r.bound {
                Bound::AtMostPercent(_) => format!("{held} of {n}; at most {limit} allowed"),
                _ => format!("{held} of {n}; at least {limit} needed"),
            };
            RuleOutcome { rule: r.describe(), ok, detail }
        })
        .collect()
}

/// Moving `count` employees from one predikat to another.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Change {
    pub from: Predikat,
    pub to: Predikat,
    pub count: u32,
}

/// The fewest changes after which the unit complies (empty when it does; checked exhaustively
/// against every distribution of up to 9 people in the tests), or `None` when no
/// distribution of a unit this size can comply (a unit of one or two under an organisation
/// predikat of *kurang* needs 60% kurang and 10% butuh perbaikan at once). People pushed out of
/// an over-full group go first where a group still needs people (one move then mends two
/// rules), otherwise one predikat down; people a group needs come from the nearest predikat
/// with people to spare.
pub fn suggest(org: OrgPredikat, counts: &Counts) -> Option<Vec<Change>> {
    let n: u32 = counts.iter().sum();
    let rules = rules(org);
    let mut now = *counts;
    let mut changes: Vec<Change> = Vec::new();
    let mut record = |now: &mut Counts, from: usize, to: usize| {
        now[from] -= 1;
        now[to] += 1;
        match changes.iter_mut().find(|c| c.from == GRADES[from] && c.to == GRADES[to]) {
            Some(c) => c.count += 1,
            None => changes.push(Change { from: GRADES[from], to: GRADES[to], count: 1 }),
        }
    };
    let in_upper =
        |i: usize| rules.iter().any(|r| matches!(r.bound, Bound::AtMostPercent(_)) && r.group.contains(&GRADES[i]));
    let lower_needing = |now: &Counts| {
        rules.iter().find(|r| !matches!(r.bound, Bound::AtMostPercent(_)) && r.held(now) < r.limit(n)).cloned()
    };
    // At most n moves; each fixes one person's worth of one rule.
    for _ in 0..=n {
        let over =
            rules.iter().find(|r| matches!(r.bound, Bound::AtMostPercent(_)) && r.held(&now) > r.limit(n)).cloned();
        if let Some(rule) = over {
            let from = rule.group.iter().map(|p| index(*p)).find(|i| now[*i] > 0).unwrap_or(0);
            let to = match lower_needing(&now) {
                Some(need) => index(need.group[0]),
                None => (from + 1..5).chain((0..from).rev()).find(|i| !in_upper(*i)).unwrap_or(from),
            };
            record(&mut now, from, to);
            continue;
        }
        let Some(need) = lower_needing(&now) else { break };
        let to = index(need.group[0]);
        // The donor: outside every group that needs people, with someone to give, nearest first.
        let protected = |i: usize| {
            rules.iter().any(|r| {
                !matches!(r.bound, Bound::AtMostPercent(_))
                    && r.group.contains(&GRADES[i])
                    && r.held(&now) <= r.limit(n)
            })
        };
        let mut donors: Vec<usize> = (0..5).filter(|i| *i != to && now[*i] > 0 && !protected(*i)).collect();
        donors.sort_by_key(|i| (i.abs_diff(to), std::cmp::Reverse(now[*i])));
        let Some(from) = donors.first().copied() else { break };
        record(&mut now, from, to);
    }
    check(org, &now).iter().all(|r| r.ok).then_some(changes)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// [sangat_baik, baik, butuh_perbaikan, kurang, sangat_kurang]
    fn compliant(org: OrgPredikat, counts: Counts) -> bool {
        check(org, &counts).iter().all(|r| r.ok)
    }

    fn apply(counts: Counts, changes: &[Change]) -> Counts {
        let mut out = counts;
        for c in changes {
            out[index(c.from)] -= c.count;
            out[index(c.to)] += c.count;
        }
        out
    }

    #[test]
    fn the_worked_example_eight_baik_of_ten_in_a_baik_unit() {
        let counts = [2, 8, 0, 0, 0];
        let outcomes = check(OrgPredikat::Baik, &counts);
        assert_eq!(outcomes.iter().map(|o| o.ok).collect::<Vec<_>>(), vec![false, false]);
        assert_eq!(outcomes[0].detail, "8 of 10; at most 7 allowed");
        let fix = suggest(OrgPredikat::Baik, &counts).unwrap();
        // One move mends both rules: a baik becomes butuh perbaikan.
        assert_eq!(fix, vec![Change { from: Predikat::Baik, to: Predikat::ButuhPerbaikan, count: 1 }]);
        assert!(compliant(OrgPredikat::Baik, apply(counts, &fix)));
    }

    #[test]
    fn percentage_edges() {
        // Exactly 70% is allowed; 80% is not.
        assert!(compliant(OrgPredikat::Istimewa, [7, 3, 0, 0, 0]));
        assert!(!compliant(OrgPredikat::Istimewa, [8, 2, 0, 0, 0]));
        // Exactly 60% butuh perbaikan is enough; 50% is not. 10% sangat baik allowed, 20% not.
        assert!(compliant(OrgPredikat::ButuhPerbaikan, [1, 3, 6, 0, 0]));
        assert!(!compliant(OrgPredikat::ButuhPerbaikan, [1, 4, 5, 0, 0]));
        assert!(!compliant(OrgPredikat::ButuhPerbaikan, [2, 2, 6, 0, 0]));
        // Kurang: 60% kurang and 10% butuh perbaikan.
        assert!(compliant(OrgPredikat::Kurang, [0, 3, 1, 6, 0]));
        assert!(!compliant(OrgPredikat::Kurang, [0, 4, 0, 6, 0]));
        // Sangat kurang: no sangat baik at all.
        assert!(compliant(OrgPredikat::SangatKurang, [0, 3, 1, 0, 6]));
        assert!(!compliant(OrgPredikat::SangatKurang, [1, 2, 1, 0, 6]));
    }

    #[test]
    fn tiny_and_empty_units() {
        // Empty: nothing to break.
        assert!(compliant(OrgPredikat::Baik, [0, 0, 0, 0, 0]));
        assert_eq!(suggest(OrgPredikat::Baik, &[0, 0, 0, 0, 0]), Some(vec![]));
        // One or two people cannot meet 60% kurang and 10% butuh perbaikan at once.
        assert_eq!(suggest(OrgPredikat::Kurang, &[0, 0, 0, 1, 0]), None);
        assert_eq!(suggest(OrgPredikat::Kurang, &[0, 0, 1, 1, 0]), None);
        assert!(suggest(OrgPredikat::Kurang, &[0, 1, 1, 1, 0]).is_some());
        // One person: 70% of 1 allows nobody at baik in a baik unit, and one must be bp/kurang.
        assert!(!compliant(OrgPredikat::Baik, [0, 1, 0, 0, 0]));
        assert!(compliant(OrgPredikat::Baik, [0, 0, 1, 0, 0]));
        // Three people in a butuh perbaikan unit: 60% of 3 needs 2.
        assert!(!compliant(OrgPredikat::ButuhPerbaikan, [0, 2, 1, 0, 0]));
        assert!(compliant(OrgPredikat::ButuhPerbaikan, [0, 1, 2, 0, 0]));
        // Two people in an istimewa unit: 70% of 2 allows one sangat baik.
        assert!(compliant(OrgPredikat::Istimewa, [1, 1, 0, 0, 0]));
        assert!(!compliant(OrgPredikat::Istimewa, [2, 0, 0, 0, 0]));
    }

    /// Every distribution of `n` people over the five predikat.
    fn all_distributions(n: u32) -> Vec<Counts> {
        let mut out = Vec::new();
        for a in 0..=n {
            for b in 0..=n - a {
                for c in 0..=n - a - b {
                    for d in 0..=n - a - b - c {
                        out.push([a, b, c, d, n - a - b - c - d]);
                    }
                }
            }
        }
        out
    }

    #[test]
    fn suggestions_always_lead_to_compliance() {
        let orgs = [
            OrgPredikat::Istimewa,
            OrgPredikat::Baik,
            OrgPredikat::ButuhPerbaikan,
            OrgPredikat::Kurang,
            OrgPredikat::SangatKurang,
        ];
        // Every distribution of up to 12 people, for every organisation predikat.
        for org in orgs {
            for n in 0..=12 {
                let feasible = all_distributions(n).into_iter().any(|c| compliant(org, c));
                for counts in all_distributions(n) {
                    match suggest(org, &counts) {
                        Some(fix) => {
                            let after = apply(counts, &fix);
                            assert!(compliant(org, after), "{org:?} {counts:?} → {fix:?} → {after:?}");
                            assert_eq!(fix.is_empty(), compliant(org, counts), "{org:?} {counts:?}");
                        }
                        None => assert!(!feasible, "{org:?} {counts:?}: a compliant distribution exists"),
                    }
                }
            }
        }
    }

    #[test]
    fn suggestions_are_the_fewest_moves() {
        let moves = |fix: &[Change]| fix.iter().map(|c| c.count).sum::<u32>();
        for org in [
            OrgPredikat::Istimewa,
            OrgPredikat::Baik,
            OrgPredikat::ButuhPerbaikan,
            OrgPredikat::Kurang,
            OrgPredikat::SangatKurang,
        ] {
            for n in 0..=9 {
                let targets: Vec<Counts> = all_distributions(n).into_iter().filter(|t| compliant(org, *t)).collect();
                for counts in all_distributions(n) {
                    let fewest =
                        targets.iter().map(|t| (0..5).map(|i| counts[i].saturating_sub(t[i])).sum::<u32>()).min();
                    assert_eq!(suggest(org, &counts).map(|f| moves(&f)), fewest, "{org:?} {counts:?}");
                }
            }
        }
    }
}
