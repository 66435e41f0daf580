//! Competencies (PermenPANRB 38/2017, "Standar Kompetensi Jabatan ASN"): the assessed level
//! from the sources, the gap, job-person match (JPM) and its categories, and the talent 9-box
//! (PermenPANRB 3/2020). Thresholds are data here, in one place.

use crate::rule_sets::{Predikat, RuleSet};
use crate::skp::wire_codes;

wire_codes!(
    /// The three groups of competencies.
    CompetencyGroup { Teknis => "teknis", Manajerial => "manajerial", SosialKultural => "sosial_kultural" }
);

/// Who gave an assessment: the employee, the rating official, a peer or a subordinate (360°) or
/// an appointed assessor (assessment centre).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    #[serde(rename = "self")]
    SelfAssessment,
    Supervisor,
    Peer,
    Assessor,
    /// Someone the employee supervises directly (360° from below).
    Subordinate,
}

impl Source {
    pub const ALL: &'static [Source] =
        &[Source::SelfAssessment, Source::Supervisor, Source::Peer, Source::Assessor, Source::Subordinate];
    pub fn as_str(self) -> &'static str {
        match self {
            Source::SelfAssessment => "self",
            Source::Supervisor => "supervisor",
            Source::Peer => "peer",
            Source::Assessor => "assessor",
            Source::Subordinate => "subordinate",
        }
    }

    /// Peers and subordinates stay anonymous: their levels reach the employee only as a mean of
    /// at least [`MIN_PEERS_SHOWN`] of them.
    pub fn is_anonymous(self) -> bool {
        matches!(self, Source::Peer | Source::Subordinate)
    }
    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|v| v.as_str() == code)
    }
}

/// Every competency is described on levels 1 to 5.
pub const LEVELS: std::ops::RangeInclusive<u8> = 1..=5;

/// A position's standard names at most this many competencies.
pub const MAX_STANDARD_SIZE: usize = 100;

/// A self-assessment this many levels away from the supervisor's is a topic for the next
/// dialogue (the seeds: compare the two views).
pub const DIALOGUE_GAP: u8 = 2;

/// Peers (and subordinates) stay anonymous: their mean is shown only when at least this many
/// rated, so no one rater's level can be read off it (practice of 360° feedback; keep as data if
/// it varies).
pub const MIN_PEERS_SHOWN: u32 = 3;

/// What each source said about one competency of one employee in a period.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct SourceLevels {
    pub self_assessment: Option<u8>,
    pub supervisor: Option<u8>,
    /// The mean of the peers' levels.
    pub peer_mean: Option<f64>,
    pub peer_count: u32,
    pub assessor: Option<u8>,
    /// The mean of the subordinates' levels (360° from below).
    pub subordinate_mean: Option<f64>,
    pub subordinate_count: u32,
}

impl SourceLevels {
    /// The peers' mean as it may be shown: only when at least [`MIN_PEERS_SHOWN`] peers rated.
    pub fn shown_peer_mean(&self) -> Option<f64> {
        self.peer_mean.filter(|_| self.peer_count >= MIN_PEERS_SHOWN)
    }

    /// The subordinates' mean as it may be shown, by the same rule as the peers'.
    pub fn shown_subordinate_mean(&self) -> Option<f64> {
        self.subordinate_mean.filter(|_| self.subordinate_count >= MIN_PEERS_SHOWN)
    }
}

impl RuleSet {
    /// How the sources combine into the assessed level: the first of these sources that gave
    /// a level decides. Self and peers are shown beside, never counted. Every rule set uses
    /// the same order today; it is a setting of the rule set so a period can change it.
    pub const fn assessed_level_order(self) -> &'static [Source] {
        match self {
            RuleSet::PermenPanRb6_2022 | RuleSet::Pp30_2019 | RuleSet::Pp46_2011 => {
                &[Source::Supervisor, Source::Assessor]
            }
        }
    }

    /// The assessed level under this rule set, if any counted source gave one.
    pub fn assessed_level(self, levels: &SourceLevels) -> Option<u8> {
        self.assessed_level_order().iter().find_map(|source| match source {
            Source::Supervisor => levels.supervisor,
            Source::Assessor => levels.assessor,
            Source::SelfAssessment => levels.self_assessment,
            // A mean is not a level; a rule set counting peers rounds it half up.
            Source::Peer => levels.peer_mean.map(|m| (m + 0.5).floor() as u8),
            Source::Subordinate => levels.subordinate_mean.map(|m| (m + 0.5).floor() as u8),
        })
    }
}

/// Gap = assessed − required: negative is a shortfall.
pub fn gap(required: u8, assessed: u8) -> i16 {
    i16::from(assessed) - i16::from(required)
}

/// Why a JPM cannot be computed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JpmError {
    /// The position has no required levels.
    NoStandard,
    /// Some required competencies have no assessed level yet (their positions in the list).
    Unassessed(Vec<usize>),
}

/// Job-person match = Σ min(assessed, required) / Σ required × 100 over the position's
/// competencies, in percent, rounded to two decimals. An assessed level above the required one
/// counts as the required one, so JPM never passes 100.
pub fn jpm(pairs: &[(u8, Option<u8>)]) -> Result<f64, JpmError> {
    let required: u32 = pairs.iter().map(|(r, _)| u32::from(*r)).sum();
    if pairs.is_empty() || required == 0 {
        return Err(JpmError::NoStandard);
    }
    let unassessed: Vec<usize> = pairs.iter().enumerate().filter(|(_, (_, a))| a.is_none()).map(|(i, _)| i).collect();
    if !unassessed.is_empty() {
        return Err(JpmError::Unassessed(unassessed));
    }
    let met: u32 = pairs.iter().map(|(r, a)| u32::from((*r).min(a.unwrap_or(0)))).sum();
    Ok((f64::from(met) * 10_000.0 / f64::from(required)).round() / 100.0)
}

wire_codes!(
    /// JPM categories for competency mapping.
    MappingCategory { Optimal => "optimal", CukupOptimal => "cukup_optimal", KurangOptimal => "kurang_optimal" }
);

wire_codes!(
    /// JPM categories for filling a post.
    FillingCategory {
        MemenuhiSyarat => "memenuhi_syarat",
        MasihMemenuhiSyarat => "masih_memenuhi_syarat",
        KurangMemenuhiSyarat => "kurang_memenuhi_syarat",
    }
);

/// Mapping: optimal ≥ 90, cukup optimal 78–<90, below that kurang optimal.
pub const MAPPING_THRESHOLDS: [(f64, MappingCategory); 2] =
    [(90.0, MappingCategory::Optimal), (78.0, MappingCategory::CukupOptimal)];
/// Filling a post: memenuhi syarat ≥ 80, masih memenuhi syarat 68–<80, below that kurang.
pub const FILLING_THRESHOLDS: [(f64, FillingCategory); 2] =
    [(80.0, FillingCategory::MemenuhiSyarat), (68.0, FillingCategory::MasihMemenuhiSyarat)];

fn band<T: Copy>(value: f64, thresholds: &[(f64, T)], below: T) -> T {
    thresholds.iter().find(|(min, _)| value >= *min).map_or(below, |(_, category)| *category)
}

pub fn mapping_category(jpm: f64) -> MappingCategory {
    band(jpm, &MAPPING_THRESHOLDS, MappingCategory::KurangOptimal)
}

pub fn filling_category(jpm: f64) -> FillingCategory {
    band(jpm, &FILLING_THRESHOLDS, FillingCategory::KurangMemenuhiSyarat)
}

// ---- who may assess and read ----

/// How the person giving an assessment stands to the assessed employee.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Assessor {
    /// The caller is the assessed employee.
    pub is_self: bool,
    /// The caller is the employee's direct supervisor (the rating official by the links).
    pub is_supervisor: bool,
    /// The caller is another employee of the same unit.
    pub same_unit: bool,
    /// An agency admin appointed the caller as an assessor.
    pub appointed: bool,
    /// The employee is the caller's direct supervisor.
    pub is_subordinate: bool,
}

/// Whether someone standing so may give an assessment from `source`; the refusal says why.
pub fn may_assess(source: Source, who: Assessor) -> Result<(), &'static str> {
    match source {
        Source::SelfAssessment if who.is_self => Ok(()),
        Source::SelfAssessment => Err("only the employee gives their self-assessment"),
        Source::Supervisor if who.is_supervisor => Ok(()),
        Source::Supervisor => Err("only the employee's supervisor gives the supervisor assessment"),
        Source::Peer if who.is_self => Err("an employee cannot be their own peer"),
        Source::Peer if who.is_supervisor => Err("the supervisor assesses as the supervisor, not as a peer"),
        Source::Peer if who.same_unit => Ok(()),
        Source::Peer => Err("peers are other employees of the same unit"),
        Source::Subordinate if who.is_subordinate => Ok(()),
        Source::Subordinate => Err("subordinates are those the employee supervises directly"),
        Source::Assessor if who.appointed => Ok(()),
        Source::Assessor => Err("only assessors appointed by the agency give assessor assessments"),
    }
}

/// How the author of continuous feedback stands to the person it is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AuthorRelation {
    /// Their direct supervisor, the rating official.
    Rater,
    /// A colleague in the same unit.
    Peer,
    /// Someone they supervise directly.
    Subordinate,
}

impl AuthorRelation {
    pub const ALL: [AuthorRelation; 3] = [AuthorRelation::Rater, AuthorRelation::Peer, AuthorRelation::Subordinate];

    pub const fn as_str(self) -> &'static str {
        match self {
            AuthorRelation::Rater => "rater",
            AuthorRelation::Peer => "peer",
            AuthorRelation::Subordinate => "subordinate",
        }
    }
}

/// Where a talent-map placement's potential comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PotentialSource {
    /// An assessor's rating of the employee's potential.
    Assessor,
    /// Derived from the job-person match by the thresholds.
    Jpm,
}

/// Whether a reader of feedback sees who gave it: the rating official's always; a peer's or a
/// subordinate's only by its author and by those who read the agency's people (admins,
/// auditors), never by the person it is about, so colleagues speak freely.
pub fn feedback_author_shown(from_rater: bool, is_author: bool, reads_people: bool) -> bool {
    from_rater || is_author || reads_people
}

/// Whether a reader sees one individual assessment: its author and whoever reads the agency's
/// people always; the employee and those above them every source but the anonymous ones (peers,
/// subordinates), whose ratings reach them only as a mean.
pub fn may_read_assessment(source: Source, is_author: bool, reads_people: bool, reads_employee: bool) -> bool {
    is_author || reads_people || (reads_employee && !source.is_anonymous())
}

// ---- Talent: the 9-box (PermenPANRB 3/2020) ----

wire_codes!(
    /// Kinerja on the 9-box, from the latest annual predikat.
    Performance { Bawah => "bawah", Sesuai => "sesuai", Atas => "atas" }
);

wire_codes!(
    /// Potensi on the 9-box, from an assessor's rating or else from JPM.
    Potential { Rendah => "rendah", Menengah => "menengah", Tinggi => "tinggi" }
);

impl Performance {
    /// Sangat baik is above expectation, baik meets it, anything lower is below.
    pub fn from_predikat(predikat: Predikat) -> Performance {
        match predikat {
            Predikat::SangatBaik => Performance::Atas,
            Predikat::Baik => Performance::Sesuai,
            _ => Performance::Bawah,
        }
    }
}

/// Potential from JPM: tinggi ≥ 90, menengah ≥ 78, else rendah (the mapping bands).
pub const POTENTIAL_THRESHOLDS: [(f64, Potential); 2] = [(90.0, Potential::Tinggi), (78.0, Potential::Menengah)];

impl Potential {
    pub fn from_jpm(jpm: f64) -> Potential {
        band(jpm, &POTENTIAL_THRESHOLDS, Potential::Rendah)
    }

    /// The potential on the 9-box: an assessor's rating if there is one, else from JPM.
    pub fn judged(by_assessor: Option<Potential>, jpm: Option<f64>) -> Option<(Potential, PotentialSource)> {
        match (by_assessor, jpm) {
            (Some(p), _) => Some((p, PotentialSource::Assessor)),
            (None, Some(jpm)) => Some((Potential::from_jpm(jpm), PotentialSource::Jpm)),
            (None, None) => None,
        }
    }
}

/// The boxes, numbered as in PermenPANRB 3/2020, with their usual follow-up.
pub const NINE_BOX: [(u8, Performance, Potential, &str); 9] = [
    (9, Performance::Atas, Potential::Tinggi, "promote; succession pool; award"),
    (8, Performance::Sesuai, Potential::Tinggi, "retain; succession pool; rotation; coaching"),
    (7, Performance::Atas, Potential::Menengah, "retain; succession pool; enrichment; development"),
    (6, Performance::Bawah, Potential::Tinggi, "placement review; coaching and counselling"),
    (5, Performance::Sesuai, Potential::Menengah, "placement; coaching; development"),
    (4, Performance::Atas, Potential::Rendah, "rotation; development"),
    (3, Performance::Bawah, Potential::Menengah, "coaching, counselling, development"),
    (2, Performance::Sesuai, Potential::Rendah, "coaching, development"),
    (1, Performance::Bawah, Potential::Rendah, "handled under the discipline rules"),
];

/// Boxes 7–9 form the talent pool for strategic positions.
pub const TALENT_POOL_MIN_BOX: u8 = 7;

/// The box of a performance and a potential, and its follow-up.
pub fn nine_box(performance: Performance, potential: Potential) -> (u8, &'static str) {
    NINE_BOX
        .iter()
        .find(|(_, k, p, _)| *k == performance && *p == potential)
        .map_or((1, NINE_BOX[8].3), |(b, _, _, follow_up)| (*b, *follow_up))
}

// ---- Development ----

/// A mentor has at least this assessed level in the competency (and at least the mentee's
/// required level) and a recent annual predikat of at least `sesuai`.
pub const MENTOR_MIN_LEVEL: u8 = 4;

pub fn may_mentor(level: u8, mentee_required: u8, performance: Option<Performance>) -> bool {
    level >= MENTOR_MIN_LEVEL
        && level >= mentee_required
        && matches!(performance, Some(Performance::Sesuai | Performance::Atas))
}

wire_codes!(
    /// The kinds of development activity in an individual development plan.
    ActivityKind {
        Training => "training",
        Coaching => "coaching",
        Mentoring => "mentoring",
        ELearning => "e_learning",
        FurtherStudy => "further_study",
    }
);

wire_codes!(
    ActivityStatus { Planned => "planned", InProgress => "in_progress", Done => "done", Cancelled => "cancelled" }
);

impl ActivityKind {
    /// A proposal's title, in the language of the agencies.
    pub fn proposal_title(self, competency: &str) -> String {
        match self {
            ActivityKind::Training => format!("Pelatihan {competency}"),
            ActivityKind::Coaching => format!("Coaching {competency} oleh atasan langsung"),
            ActivityKind::Mentoring => format!("Mentoring {competency}"),
            ActivityKind::ELearning => format!("E-learning {competency}"),
            ActivityKind::FurtherStudy => format!("Tugas belajar: {competency}"),
        }
    }
}

/// The activities proposed for a shortfall of `shortfall` levels in a competency of `group`:
/// small gaps by coaching or e-learning, larger ones by training; technical ones by technical
/// training. Mentoring is proposed separately, where a mentor is found.
pub fn proposals(group: CompetencyGroup, shortfall: u8) -> Vec<ActivityKind> {
    use ActivityKind::*;
    match (group, shortfall) {
        (_, 0) => vec![],
        (CompetencyGroup::Teknis, 1) => vec![ELearning, Training],
        (CompetencyGroup::Teknis, _) => vec![Training],
        (CompetencyGroup::Manajerial, 1) => vec![Coaching, ELearning],
        (CompetencyGroup::Manajerial, _) => vec![Training, Coaching],
        (CompetencyGroup::SosialKultural, _) => vec![ELearning, Coaching],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jpm_worked_example() {
        // Required 3,3,3,2,2 (13); assessed 3,2,3,2,1 → met 3+2+3+2+1 = 11 → 84.62.
        let pairs = [(3, Some(3)), (3, Some(2)), (3, Some(3)), (2, Some(2)), (2, Some(1))];
        assert_eq!(jpm(&pairs), Ok(84.62));
        assert_eq!(mapping_category(84.62), MappingCategory::CukupOptimal);
        assert_eq!(filling_category(84.62), FillingCategory::MemenuhiSyarat);
    }

    #[test]
    fn assessed_above_required_does_not_raise_jpm_past_100() {
        assert_eq!(jpm(&[(3, Some(5)), (2, Some(4))]), Ok(100.0));
        // A surplus in one competency does not pay for a shortfall in another: (3 + 1) / 5.
        assert_eq!(jpm(&[(3, Some(5)), (2, Some(1))]), Ok(80.0));
    }

    #[test]
    fn jpm_needs_a_standard_and_every_level() {
        assert_eq!(jpm(&[]), Err(JpmError::NoStandard));
        assert_eq!(jpm(&[(3, Some(3)), (2, None)]), Err(JpmError::Unassessed(vec![1])));
    }

    #[test]
    fn categories_at_their_thresholds() {
        assert_eq!(mapping_category(90.0), MappingCategory::Optimal);
        assert_eq!(mapping_category(89.99), MappingCategory::CukupOptimal);
        assert_eq!(mapping_category(78.0), MappingCategory::CukupOptimal);
        assert_eq!(mapping_category(77.99), MappingCategory::KurangOptimal);
        assert_eq!(filling_category(80.0), FillingCategory::MemenuhiSyarat);
        assert_eq!(filling_category(68.0), FillingCategory::MasihMemenuhiSyarat);
        assert_eq!(filling_category(67.99), FillingCategory::KurangMemenuhiSyarat);
        assert_eq!(Potential::from_jpm(100.0), Potential::Tinggi);
        assert_eq!(Potential::from_jpm(78.0), Potential::Menengah);
        assert_eq!(Potential::from_jpm(50.0), Potential::Rendah);
    }

    #[test]
    fn supervisor_first_then_assessor_never_self_or_peers() {
        let rule = RuleSet::DEFAULT;
        let mut levels =
            SourceLevels { self_assessment: Some(5), peer_mean: Some(4.5), peer_count: 2, ..Default::default() };
        assert_eq!(rule.assessed_level(&levels), None);
        levels.assessor = Some(2);
        assert_eq!(rule.assessed_level(&levels), Some(2));
        levels.supervisor = Some(3);
        assert_eq!(rule.assessed_level(&levels), Some(3));
        assert_eq!(gap(4, 3), -1);
        assert_eq!(gap(2, 3), 1);
    }

    #[test]
    fn every_box_once_and_the_pool() {
        let mut seen = std::collections::HashSet::new();
        for k in Performance::ALL {
            for p in Potential::ALL {
                assert!(seen.insert(nine_box(*k, *p).0));
            }
        }
        assert_eq!(seen.len(), 9);
        assert_eq!(nine_box(Performance::Atas, Potential::Tinggi).0, 9);
        assert_eq!(nine_box(Performance::Bawah, Potential::Rendah).0, 1);
        assert_eq!(nine_box(Performance::Sesuai, Potential::Tinggi).0, 8);
        assert_eq!(nine_box(Performance::Atas, Potential::Menengah).0, 7);
        assert_eq!(Performance::from_predikat(Predikat::ButuhPerbaikan), Performance::Bawah);
    }

    #[test]
    fn mentors_are_strong_and_performing() {
        assert!(may_mentor(4, 3, Some(Performance::Sesuai)));
        assert!(!may_mentor(3, 3, Some(Performance::Atas)));
        assert!(!may_mentor(4, 5, Some(Performance::Atas)));
        assert!(!may_mentor(5, 3, Some(Performance::Bawah)));
        assert!(!may_mentor(5, 3, None));
    }

    #[test]
    fn who_may_assess() {
        let stranger = Assessor::default();
        let me = Assessor { is_self: true, same_unit: true, ..stranger };
        assert!(may_assess(Source::SelfAssessment, me).is_ok());
        assert!(may_assess(Source::Peer, me).is_err(), "rating oneself as a peer");
        assert!(may_assess(Source::Peer, Assessor { same_unit: true, ..stranger }).is_ok());
        assert!(may_assess(Source::Peer, stranger).is_err(), "a peer from another unit");
        assert!(may_assess(Source::Supervisor, Assessor { same_unit: true, ..stranger }).is_err());
        assert!(may_assess(Source::Supervisor, Assessor { is_supervisor: true, ..stranger }).is_ok());
        assert!(may_assess(Source::Assessor, Assessor { is_supervisor: true, ..stranger }).is_err());
        assert!(may_assess(Source::Assessor, Assessor { appointed: true, ..stranger }).is_ok());
        assert!(may_assess(Source::SelfAssessment, Assessor { appointed: true, ..stranger }).is_err());
        assert!(may_assess(Source::Subordinate, Assessor { is_subordinate: true, same_unit: true, ..stranger }).is_ok());
        assert!(
            may_assess(Source::Subordinate, Assessor { same_unit: true, ..stranger }).is_err(),
            "a peer is no subordinate"
        );
    }

    #[test]
    fn peers_stay_anonymous() {
        assert!(!may_read_assessment(Source::Peer, false, false, true), "the employee reads no single peer");
        assert!(may_read_assessment(Source::Peer, true, false, false), "the author reads their own");
        assert!(may_read_assessment(Source::Peer, false, true, false), "agency readers read all");
        assert!(may_read_assessment(Source::Supervisor, false, false, true));
        assert!(!may_read_assessment(Source::SelfAssessment, false, false, false));
        assert!(!may_read_assessment(Source::Subordinate, false, false, true), "nor a single subordinate");
        let levels = SourceLevels { subordinate_mean: Some(3.5), subordinate_count: 2, ..Default::default() };
        assert_eq!(levels.shown_subordinate_mean(), None, "two subordinates could be told apart");
        assert_eq!(SourceLevels { subordinate_count: 3, ..levels }.shown_subordinate_mean(), Some(3.5));
    }

    #[test]
    fn codes_match_the_wire() {
        for source in Source::ALL {
            assert_eq!(serde_json::to_value(source).ok(), Some(serde_json::json!(source.as_str())));
        }
        assert_eq!(serde_json::to_value(ActivityKind::ELearning).ok(), Some(serde_json::json!("e_learning")));
    }

    #[test]
    fn proposals_follow_the_gap() {
        assert_eq!(proposals(CompetencyGroup::Manajerial, 1), vec![ActivityKind::Coaching, ActivityKind::ELearning]);
        assert_eq!(proposals(CompetencyGroup::Teknis, 2), vec![ActivityKind::Training]);
        assert!(proposals(CompetencyGroup::Teknis, 0).is_empty());
    }
}
