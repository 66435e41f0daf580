//! Identifiers and reference data of the civil service (docs/rules.md, "Identifiers and reference
//! data of the civil service"): the NIP, employment types, grades (golongan/ruang), position kinds and levels.

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// PNS (civil servant) or PPPK (government employee on contract).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum EmploymentType {
    Pns,
    Pppk,
}

impl EmploymentType {
    pub fn as_str(self) -> &'static str {
        match self {
            EmploymentType::Pns => "pns",
            EmploymentType::Pppk => "pppk",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        [EmploymentType::Pns, EmploymentType::Pppk].into_iter().find(|t| t.as_str() == code)
    }
}

/// Which part of a NIP is wrong; each has its own code on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum NipError {
    #[error("a PNS NIP has 18 digits")]
    Length,
    #[error("a NIP holds digits only")]
    Characters,
    #[error("digits 1–8 must be a real birth date (yyyymmdd)")]
    BirthDate,
    #[error("digits 9–14 must be the first appointment month (yyyymm), after the birth date")]
    AppointmentDate,
    #[error("digit 15 is the gender: 1 (male) or 2 (female)")]
    GenderDigit,
    #[error("digits 16–18 are a sequence number from 001 to 999")]
    Sequence,
}

impl NipError {
    pub fn code(self) -> &'static str {
        match self {
            NipError::Length => "invalid_nip_length",
            NipError::Characters => "invalid_nip_characters",
            NipError::BirthDate => "invalid_birth_date",
            NipError::AppointmentDate => "invalid_appointment_date",
            NipError::GenderDigit => "invalid_gender_digit",
            NipError::Sequence => "invalid_sequence",
        }
    }
}

/// Longest PPPK number accepted; its layout is not the PNS one and is only checked for digits.
const MAX_PPPK_DIGITS: usize = 18;
/// Age below which a first appointment is unusual (a warning, not an error).
const MIN_APPOINTMENT_AGE: i32 = 18;

/// An employee number, checked for its employment type: the PNS layout is birth date
/// `yyyymmdd` + first appointment `yyyymm` + gender digit + 3-digit sequence.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Nip(String);

impl Nip {
    pub fn parse(raw: &str, employment: EmploymentType) -> Result<Nip, NipError> {
        let nip = raw.trim();
        if !nip.bytes().all(|b| b.is_ascii_digit()) {
            return Err(NipError::Characters);
        }
        match employment {
            EmploymentType::Pppk if (1..=MAX_PPPK_DIGITS).contains(&nip.len()) => return Ok(Nip(nip.to_owned())),
            EmploymentType::Pppk => return Err(NipError::Length),
            EmploymentType::Pns if nip.len() != 18 => return Err(NipError::Length),
            EmploymentType::Pns => {}
        }
        let number = |range: std::ops::Range<usize>| nip[range].parse::<u32>().unwrap_or(0);
        let birth = NaiveDate::from_ymd_opt(number(0..4) as i32, number(4..6), number(6..8))
            .filter(|d| d.year() >= 1900)
            .ok_or(NipError::BirthDate)?;
        let (year, month) = (number(8..12) as i32, number(12..14));
        let appointed = NaiveDate::from_ymd_opt(year, month, 1).ok_or(NipError::AppointmentDate)?;
        if appointed < birth.with_day(1).unwrap_or(birth) {
            return Err(NipError::AppointmentDate);
        }
        if !matches!(&nip[14..15], "1" | "2") {
            return Err(NipError::GenderDigit);
        }
        if number(15..18) == 0 {
            return Err(NipError::Sequence);
        }
        Ok(Nip(nip.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Things that are legal but worth a second look: a first appointment before the age of 18.
    pub fn warnings(&self) -> Vec<&'static str> {
        let (birth, appointed) = match (self.birth_date(), self.appointment_month()) {
            (Some(b), Some(a)) => (b, a),
            _ => return Vec::new(),
        };
        let age_years = appointed.year() - birth.year() - i32::from(appointed.month() < birth.month());
        if age_years < MIN_APPOINTMENT_AGE {
            vec!["appointed_before_age_18"]
        } else {
            Vec::new()
        }
    }

    fn digits(&self, range: std::ops::Range<usize>) -> Option<u32> {
        self.0.get(range)?.parse().ok()
    }

    /// The birth date of a PNS NIP.
    pub fn birth_date(&self) -> Option<NaiveDate> {
        if self.0.len() != 18 {
            return None;
        }
        NaiveDate::from_ymd_opt(self.digits(0..4)? as i32, self.digits(4..6)?, self.digits(6..8)?)
    }

    fn appointment_month(&self) -> Option<NaiveDate> {
        if self.0.len() != 18 {
            return None;
        }
        NaiveDate::from_ymd_opt(self.digits(8..12)? as i32, self.digits(12..14)?, 1)
    }
}

/// PNS grades (golongan/ruang) I/a … IV/e.
pub const PNS_GRADES: [&str; 17] = [
    "I/a", "I/b", "I/c", "I/d", "II/a", "II/b", "II/c", "II/d", "III/a", "III/b", "III/c", "III/d", "IV/a", "IV/b",
    "IV/c", "IV/d", "IV/e",
];
/// PPPK grades I … XVII.
pub const PPPK_GRADES: [&str; 17] =
    ["I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII", "XIII", "XIV", "XV", "XVI", "XVII"];

/// Whether `grade` exists for the employment type.
pub fn grade_is_valid(grade: &str, employment: EmploymentType) -> bool {
    match employment {
        EmploymentType::Pns => PNS_GRADES.contains(&grade),
        EmploymentType::Pppk => PPPK_GRADES.contains(&grade),
    }
}

/// Kinds of position (jabatan).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PositionKind {
    JptUtama,
    JptMadya,
    JptPratama,
    Administrator,
    Pengawas,
    Pelaksana,
    Fungsional,
}

/// Levels of a functional position: expertise (ahli) and skill (keterampilan) tracks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum FunctionalLevel {
    AhliPertama,
    AhliMuda,
    AhliMadya,
    AhliUtama,
    Pemula,
    Terampil,
    Mahir,
    Penyelia,
}

macro_rules! codes {
    ($ty:ty { $($variant:ident => $code:literal),+ $(,)? }) => {
        impl $ty {
            pub const ALL: &'static [$ty] = &[$(<$ty>::$variant),+];
            pub fn as_str(self) -> &'static str {
                match self { $(<$ty>::$variant => $code),+ }
            }
            pub fn parse(code: &str) -> Option<Self> {
                Self::ALL.iter().copied().find(|v| v.as_str() == code)
            }
        }
    };
}

codes!(PositionKind {
    JptUtama => "jpt_utama", JptMadya => "jpt_madya", JptPratama => "jpt_pratama",
    Administrator => "administrator", Pengawas => "pengawas", Pelaksana => "pelaksana", Fungsional => "fungsional",
});

codes!(FunctionalLevel {
    AhliPertama => "ahli_pertama", AhliMuda => "ahli_muda", AhliMadya => "ahli_madya", AhliUtama => "ahli_utama",
    Pemula => "pemula", Terampil => "terampil", Mahir => "mahir", Penyelia => "penyelia",
});

impl PositionKind {
    /// Functional positions carry a level; structural ones do not.
    pub fn takes_level(self) -> bool {
        self == PositionKind::Fungsional
    }

    /// JPT (senior executive) plans group results by the four perspectives.
    pub fn is_jpt(self) -> bool {
        matches!(self, PositionKind::JptUtama | PositionKind::JptMadya | PositionKind::JptPratama)
    }

    /// Structural (leadership) positions: JPT, administrator, pengawas.
    pub fn leads(self) -> bool {
        !matches!(self, PositionKind::Pelaksana | PositionKind::Fungsional)
    }
}

/// Whether an employee heads their unit: they hold a structural position there and report to
/// someone outside it (or to no one). The head takes the unit's organisation predikat as their
/// rating hasil kerja.
pub fn heads_unit<U: PartialEq>(kind: PositionKind, unit: Option<&U>, supervisor_unit: Option<&U>) -> bool {
    kind.leads() && unit.is_some() && unit != supervisor_unit
}

/// Whether making `parent` the parent of `node` closes a loop, given `parent`'s ancestors
/// (nearest first). Used for unit trees and supervisor chains alike.
pub fn would_cycle<T: PartialEq>(node: &T, parent: &T, parent_ancestors: &[T]) -> bool {
    parent == node || parent_ancestors.contains(node)
}

/// The nodes that lie on a loop when every node takes the parent given in `parents` (a unit's
/// parent, an employee's supervisor): [`would_cycle`] for a whole file at once, as a bulk import
/// needs. Linear in the number of nodes.
pub fn nodes_on_cycles<T: Clone + Eq + std::hash::Hash>(
    parents: &std::collections::HashMap<T, T>,
) -> std::collections::HashSet<T> {
    use std::collections::{HashMap, HashSet};
    // Walk up from each node not yet settled; a walk that meets itself has found a loop, which is
    // the part of the walk from the first repeat onwards.
    let mut settled: HashSet<&T> = HashSet::with_capacity(parents.len());
    let mut on_cycle = HashSet::new();
    for start in parents.keys() {
        let mut walk: Vec<&T> = Vec::new();
        let mut index: HashMap<&T, usize> = HashMap::new();
        let mut at = start;
        loop {
            if settled.contains(at) {
                break;
            }
            if let Some(&first) = index.get(at) {
                on_cycle.extend(walk[first..].iter().map(|&n| n.clone()));
                break;
            }
            index.insert(at, walk.len());
            walk.push(at);
            match parents.get(at) {
                Some(parent) => at = parent,
                None => break,
            }
        }
        settled.extend(walk);
    }
    on_cycle
}

/// Steps between two units through their nearest common ancestor in the unit tree (`parents`:
/// each unit's parent); `None` when they are not in one tree.
pub fn tree_distance<T: Copy + Eq + std::hash::Hash>(
    parents: &std::collections::HashMap<T, Option<T>>,
    a: T,
    b: T,
) -> Option<u32> {
    let up = |from: T| {
        let mut chain = vec![from];
        let mut at = from;
        while let Some(Some(parent)) = parents.get(&at) {
            if chain.contains(parent) || chain.len() > parents.len() {
                break;
            }
            chain.push(*parent);
            at = *parent;
        }
        chain
    };
    let (from_a, from_b) = (up(a), up(b));
    from_b
        .iter()
        .enumerate()
        .find_map(|(steps_b, unit)| from_a.iter().position(|x| x == unit).map(|steps_a| (steps_a + steps_b) as u32))
}

#[cfg(test)]
mod tests {
    use super::*;
    use EmploymentType::{Pns, Pppk};

    #[test]
    fn nip_parts_are_each_checked() {
        // (nip, expected) — a well-formed NIP first.
        let table: [(&str, Result<(), NipError>); 12] = [
            ("196608011988031001", Ok(())),
            ("198503152010012003", Ok(())),
            ("19660801198803100", Err(NipError::Length)),
            ("1966080119880310011", Err(NipError::Length)),
            ("19660801198803100A", Err(NipError::Characters)),
            ("196602301988031001", Err(NipError::BirthDate)),
            ("196613011988031001", Err(NipError::BirthDate)),
            ("196608011988131001", Err(NipError::AppointmentDate)),
            ("196608011988001001", Err(NipError::AppointmentDate)),
            ("196608011960031001", Err(NipError::AppointmentDate)),
            ("196608011988033001", Err(NipError::GenderDigit)),
            ("196608011988031000", Err(NipError::Sequence)),
        ];
        for (nip, expected) in table {
            assert_eq!(Nip::parse(nip, Pns).map(|_| ()), expected, "{nip}");
        }
    }

    #[test]
    fn nip_error_codes_are_stable() {
        assert_eq!(NipError::Length.code(), "invalid_nip_length");
        assert_eq!(NipError::BirthDate.code(), "invalid_birth_date");
        assert_eq!(NipError::AppointmentDate.code(), "invalid_appointment_date");
        assert_eq!(NipError::GenderDigit.code(), "invalid_gender_digit");
        assert_eq!(NipError::Sequence.code(), "invalid_sequence");
    }

    #[test]
    fn pppk_numbers_are_only_checked_for_digits() {
        assert!(Nip::parse("199001012021211001", Pppk).is_ok());
        assert!(Nip::parse("12345", Pppk).is_ok());
        assert_eq!(Nip::parse("12a45", Pppk), Err(NipError::Characters));
        assert_eq!(Nip::parse("1234567890123456789", Pppk), Err(NipError::Length));
        assert_eq!(Nip::parse("", Pppk), Err(NipError::Length));
    }

    #[test]
    fn appointment_before_18_is_a_warning_not_an_error() {
        let young = Nip::parse("200001012017011001", Pns).unwrap();
        assert_eq!(young.warnings(), vec!["appointed_before_age_18"]);
        let adult = Nip::parse("200001012018011001", Pns).unwrap();
        assert!(adult.warnings().is_empty());
        assert_eq!(adult.birth_date(), NaiveDate::from_ymd_opt(2000, 1, 1));
    }

    #[test]
    fn grades_follow_the_employment_type() {
        assert!(grade_is_valid("III/a", Pns));
        assert!(grade_is_valid("IV/e", Pns));
        assert!(!grade_is_valid("I/e", Pns));
        assert!(!grade_is_valid("IX", Pns));
        assert!(grade_is_valid("IX", Pppk));
        assert!(grade_is_valid("XVII", Pppk));
        assert!(!grade_is_valid("XVIII", Pppk));
        assert!(!grade_is_valid("III/a", Pppk));
    }

    #[test]
    fn codes_round_trip() {
        for kind in PositionKind::ALL {
            assert_eq!(PositionKind::parse(kind.as_str()), Some(*kind));
        }
        for level in FunctionalLevel::ALL {
            assert_eq!(FunctionalLevel::parse(level.as_str()), Some(*level));
        }
        assert!(PositionKind::Fungsional.takes_level() && !PositionKind::Pengawas.takes_level());
    }

    #[test]
    fn the_head_of_a_unit() {
        // A kepala dinas reports to the sekda in another unit.
        assert!(heads_unit(PositionKind::JptPratama, Some(&"disdik"), Some(&"setda")));
        assert!(heads_unit(PositionKind::JptPratama, Some(&"setda"), None));
        // A kepala seksi reporting to the kepala bidang in the same unit is not its head.
        assert!(!heads_unit(PositionKind::Pengawas, Some(&"bidang"), Some(&"bidang")));
        // Staff never head a unit, even with their supervisor elsewhere.
        assert!(!heads_unit(PositionKind::Pelaksana, Some(&"seksi"), Some(&"bidang")));
        assert!(!heads_unit(PositionKind::Fungsional, Some(&"sekolah"), Some(&"disdik")));
        assert!(!heads_unit::<&str>(PositionKind::Administrator, None, None));
    }

    #[test]
    fn cycles() {
        assert!(would_cycle(&1, &1, &[]));
        assert!(would_cycle(&1, &2, &[3, 1]));
        assert!(!would_cycle(&1, &2, &[3, 4]));
    }

    #[test]
    fn loops_in_a_whole_file() {
        use std::collections::{HashMap, HashSet};
        // 1 → 2 → 3 → 1 is a loop; 4 → 1 hangs off it; 5 → 6 is a chain; 7 supervises itself.
        let parents = HashMap::from([(1, 2), (2, 3), (3, 1), (4, 1), (5, 6), (7, 7)]);
        assert_eq!(nodes_on_cycles(&parents), HashSet::from([1, 2, 3, 7]));
        assert!(nodes_on_cycles(&HashMap::from([(1, 2), (2, 3)])).is_empty());
    }

    proptest::proptest! {
        /// A node is on a loop exactly when `would_cycle` says its parent closes one, given the
        /// parent's ancestors.
        #[test]
        fn loops_agree_with_would_cycle(edges in proptest::collection::vec((0u8..12, 0u8..12), 0..14)) {
            let parents: std::collections::HashMap<u8, u8> = edges.into_iter().collect();
            let found = nodes_on_cycles(&parents);
            for (node, parent) in &parents {
                let mut ancestors = Vec::new();
                let mut at = parent;
                while let Some(up) = parents.get(at) {
                    if ancestors.contains(up) || up == parent {
                        break;
                    }
                    ancestors.push(*up);
                    at = up;
                }
                proptest::prop_assert_eq!(found.contains(node), would_cycle(node, parent, &ancestors));
            }
        }
    }

    #[test]
    fn distances_in_the_unit_tree() {
        // 1 ─┬─ 2 ── 4
        //    └─ 3
        let parents = std::collections::HashMap::from([(1, None), (2, Some(1)), (3, Some(1)), (4, Some(2)), (9, None)]);
        assert_eq!(tree_distance(&parents, 4, 4), Some(0));
        assert_eq!(tree_distance(&parents, 4, 2), Some(1));
        assert_eq!(tree_distance(&parents, 4, 3), Some(3));
        assert_eq!(tree_distance(&parents, 3, 4), Some(3));
        assert_eq!(tree_distance(&parents, 4, 9), None);
    }
}
