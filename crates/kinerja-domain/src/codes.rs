//! Codes that are stored: each closed set of codes the database keeps as text, read back as its
//! enum. The store reads them through [`Code`], so an unknown stored code is an error that names
//! its set, never a default.

use crate::access::{Role, Scope};
use crate::audit::{ActorKind, AuditEntity};
use crate::civil_service::{EmploymentType, FunctionalLevel, PositionKind};
use crate::competency::{ActivityKind, ActivityStatus, AuthorRelation, CompetencyGroup, Potential, Source};
use crate::distribution::OrgPredikat;
use crate::objection::{ObjectionStatus, Outcome};
use crate::rule_sets::{Aspect, Predikat, Rating, RuleSet};
use crate::skp::{Approach, BerAkhlak, Perspective, ResultKind};
use crate::workflow::{Cadence, PlanStatus};

/// A closed set of codes kept as text.
pub trait Code: Copy + 'static {
    /// The set's name, for an error about a code it does not hold.
    const SET: &'static str;
    fn code(self) -> &'static str;
    fn from_code(code: &str) -> Option<Self>;
}

macro_rules! stored {
    ($($ty:ty => $set:literal),+ $(,)?) => {$(
        impl Code for $ty {
            const SET: &'static str = $set;
            fn code(self) -> &'static str {
                self.as_str()
            }
            fn from_code(code: &str) -> Option<Self> {
                <$ty>::parse(code)
            }
        }
    )+};
}

stored!(
    PlanStatus => "plan status",
    Cadence => "cadence",
    Approach => "approach",
    ResultKind => "result kind",
    Perspective => "perspective",
    BerAkhlak => "BerAKHLAK value",
    Aspect => "aspect",
    Predikat => "predikat",
    Rating => "rating",
    Outcome => "objection outcome",
    Potential => "potential",
    FunctionalLevel => "functional level",
    OrgPredikat => "organisation predikat",
    ObjectionStatus => "objection status",
    CompetencyGroup => "competency group",
    Source => "assessment source",
    ActivityKind => "activity kind",
    ActivityStatus => "activity status",
    PositionKind => "position kind",
    EmploymentType => "employment type",
);

/// Roles and scopes are parsed where they arrive (`FromStr`); stored, they are the same codes.
macro_rules! stored_parsed {
    ($($ty:ty => $set:literal),+ $(,)?) => {$(
        impl Code for $ty {
            const SET: &'static str = $set;
            fn code(self) -> &'static str {
                self.as_str()
            }
            fn from_code(code: &str) -> Option<Self> {
                code.parse().ok()
            }
        }
    )+};
}

stored_parsed!(Role => "role", Scope => "scope");

/// Codes without a `parse` of their own: found among `ALL`.
macro_rules! stored_listed {
    ($($ty:ty => $set:literal),+ $(,)?) => {$(
        impl Code for $ty {
            const SET: &'static str = $set;
            fn code(self) -> &'static str {
                self.as_str()
            }
            fn from_code(code: &str) -> Option<Self> {
                <$ty>::ALL.into_iter().find(|known| known.as_str() == code)
            }
        }
    )+};
}

stored_listed!(
    AuthorRelation => "feedback author relation",
    ActorKind => "audit actor kind",
    AuditEntity => "audit entity",
);

impl Code for RuleSet {
    const SET: &'static str = "rule set";
    fn code(self) -> &'static str {
        RuleSet::code(self)
    }
    fn from_code(code: &str) -> Option<Self> {
        RuleSet::parse(code)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_reads_back_as_itself() {
        for status in [PlanStatus::Draft, PlanStatus::Submitted, PlanStatus::Approved, PlanStatus::Rated] {
            assert_eq!(PlanStatus::from_code(Code::code(status)), Some(status));
        }
        for rule_set in [RuleSet::PermenPanRb6_2022, RuleSet::Pp30_2019, RuleSet::Pp46_2011] {
            assert_eq!(<RuleSet as Code>::from_code(Code::code(rule_set)), Some(rule_set));
        }
        assert_eq!(PlanStatus::from_code("archived"), None);
    }
}
