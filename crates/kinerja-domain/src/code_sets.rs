//! Codes that are stored: each closed set of codes the database keeps as text, read back as its
//! enum. The store reads them through [`Code`], so an unknown stored code is an error that names
//! its set, never a default.

use crate::access::{Role, Scope};
use crate::acting::ActingKind;
use crate::audit::{ActorKind, AuditEntity};
use crate::civil_service::{EmploymentType, FunctionalLevel, PositionKind};
use crate::competency::{ActivityKind, ActivityStatus, AuthorRelation, CompetencyGroup, Potential, Source};
use crate::deadlines::PeriodStatus;
use crate::distribution::OrgPredikat;
use crate::events::EventType;
use crate::objection::{ObjectionStatus, Outcome};
use crate::rule_sets::{Aspect, Predikat, Rating, RuleSet};
use crate::skp::{Approach, BerAkhlak, Perspective, ResultKind};
use crate::webhooks::DeliveryState;
use crate::workflow::{Cadence, PlanStatus};

/// A closed set of codes kept as text.
pub trait Code: Copy + 'static {
    /// The set's name, for an error about a code it does not hold.
    const SET: &'static str;
    fn code(self) -> &'static str;
    fn from_code(code: &str) -> Option<Self>;
}

/// Implements [`Code`] for enums whose text is `as_str`; how a stored text is read back depends on
/// what the enum offers: its own `parse`, `FromStr`, or a search of its `ALL`.
macro_rules! stored {
    (@read $ty:ty, parse, $code:ident) => { <$ty>::parse($code) };
    (@read $ty:ty, from_str, $code:ident) => { $code.parse().ok() };
    (@read $ty:ty, listed, $code:ident) => { <$ty>::ALL.into_iter().find(|known| known.as_str() == $code) };
    ($($ty:ty => $set:literal by $read:ident),+ $(,)?) => {$(
        impl Code for $ty {
            const SET: &'static str = $set;
            fn code(self) -> &'static str {
                self.as_str()
            }
            fn from_code(code: &str) -> Option<Self> {
                stored!(@read $ty, $read, code)
            }
        }
    )+};
}

stored!(
    PlanStatus => "plan status" by parse,
    Cadence => "cadence" by parse,
    ActingKind => "acting kind" by parse,
    PeriodStatus => "period status" by parse,
    Approach => "approach" by parse,
    ResultKind => "result kind" by parse,
    Perspective => "perspective" by parse,
    BerAkhlak => "BerAKHLAK value" by parse,
    Aspect => "aspect" by parse,
    Predikat => "predikat" by parse,
    Rating => "rating" by parse,
    Outcome => "objection outcome" by parse,
    Potential => "potential" by parse,
    FunctionalLevel => "functional level" by parse,
    OrgPredikat => "organisation predikat" by parse,
    ObjectionStatus => "objection status" by parse,
    DeliveryState => "webhook delivery state" by parse,
    EventType => "event type" by parse,
    CompetencyGroup => "competency group" by parse,
    Source => "assessment source" by parse,
    ActivityKind => "activity kind" by parse,
    ActivityStatus => "activity status" by parse,
    PositionKind => "position kind" by parse,
    EmploymentType => "employment type" by parse,
    Role => "role" by from_str,
    Scope => "scope" by from_str,
    AuthorRelation => "feedback author relation" by listed,
    ActorKind => "audit actor kind" by listed,
    AuditEntity => "audit entity" by listed,
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
        assert_eq!(Role::from_code(Code::code(Role::AgencyAdmin)), Some(Role::AgencyAdmin));
        assert_eq!(AuditEntity::from_code("final_rating"), Some(AuditEntity::FinalRating));
    }
}
