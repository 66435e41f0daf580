//! The life of a performance plan (SKP) and its periods (PermenPANRB 6/2022): the plan moves
//! draft → submitted → approved → rated, or back from submitted to draft when the rating
//! official returns it with a reason. Only the employee submits; only the rating official
//! approves, returns or gives the annual (final) rating, after which the plan is locked for
//! good; only a draft can be edited.

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PlanStatus {
    Draft,
    Submitted,
    Approved,
    /// The annual rating is issued: locked, open only to calibration and objection.
    Rated,
}

impl PlanStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            PlanStatus::Draft => "draft",
            PlanStatus::Submitted => "submitted",
            PlanStatus::Approved => "approved",
            PlanStatus::Rated => "rated",
        }
    }

    pub fn parse(code: &str) -> Option<PlanStatus> {
        [PlanStatus::Draft, PlanStatus::Submitted, PlanStatus::Approved, PlanStatus::Rated]
            .into_iter()
            .find(|s| s.as_str() == code)
    }

    pub fn is_editable(self) -> bool {
        self == PlanStatus::Draft
    }

    /// Realisations are recorded against an approved plan only (not a draft still changing,
    /// nor a plan whose annual rating is issued).
    pub fn is_evaluated(self) -> bool {
        self == PlanStatus::Approved
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlanAction {
    Submit,
    Approve,
    Return,
    /// The annual (final) rating.
    Rate,
}

/// Who is acting on a plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlanParty {
    /// The employee whose plan it is.
    Owner,
    /// The rating official (pejabat penilai) recorded on the plan.
    Rater,
    Other,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TransitionError {
    #[error("a {status} plan cannot be {action}")]
    InvalidTransition { status: &'static str, action: &'static str },
    #[error("only the {0} may do this")]
    NotAllowed(&'static str),
}

impl PlanAction {
    fn past(self) -> &'static str {
        match self {
            PlanAction::Submit => "submitted",
            PlanAction::Approve => "approved",
            PlanAction::Return => "returned",
            PlanAction::Rate => "rated",
        }
    }
}

/// The state machine: the next status, or why not.
pub fn transition(status: PlanStatus, action: PlanAction, party: PlanParty) -> Result<PlanStatus, TransitionError> {
    let (from, to, by, by_name) = match action {
        PlanAction::Submit => (PlanStatus::Draft, PlanStatus::Submitted, PlanParty::Owner, "employee"),
        PlanAction::Approve => (PlanStatus::Submitted, PlanStatus::Approved, PlanParty::Rater, "rating official"),
        PlanAction::Return => (PlanStatus::Submitted, PlanStatus::Draft, PlanParty::Rater, "rating official"),
        PlanAction::Rate => (PlanStatus::Approved, PlanStatus::Rated, PlanParty::Rater, "rating official"),
    };
    if party != by {
        return Err(TransitionError::NotAllowed(by_name));
    }
    if status != from {
        return Err(TransitionError::InvalidTransition { status: status.as_str(), action: action.past() });
    }
    Ok(to)
}

/// How often a period is evaluated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Cadence {
    Monthly,
    Quarterly,
    Semiannual,
    Annual,
}

impl Cadence {
    pub fn as_str(self) -> &'static str {
        match self {
            Cadence::Monthly => "monthly",
            Cadence::Quarterly => "quarterly",
            Cadence::Semiannual => "semiannual",
            Cadence::Annual => "annual",
        }
    }

    pub fn parse(code: &str) -> Option<Cadence> {
        [Cadence::Monthly, Cadence::Quarterly, Cadence::Semiannual, Cadence::Annual]
            .into_iter()
            .find(|c| c.as_str() == code)
    }

    fn months(self) -> u32 {
        match self {
            Cadence::Monthly => 1,
            Cadence::Quarterly => 3,
            Cadence::Semiannual => 6,
            Cadence::Annual => 12,
        }
    }

    /// The label of the sub-period that holds `date`: `2026-01`, `2026-Q1`, `2026-S1`, `2026`.
    pub fn label(self, date: NaiveDate) -> String {
        let (year, index) = (date.year(), (date.month() - 1) / self.months() + 1);
        match self {
            Cadence::Monthly => format!("{year}-{index:02}"),
            Cadence::Quarterly => format!("{year}-Q{index}"),
            Cadence::Semiannual => format!("{year}-S{index}"),
            Cadence::Annual => format!("{year}"),
        }
    }

    /// The year and first and last month a sub-period label covers (`2026-Q2` → 2026, 4, 6),
    /// as the national system records periodic ratings.
    pub fn months_of(label: &str) -> Option<(i32, u32, u32)> {
        let (year, rest) = match label.split_once('-') {
            Some((year, rest)) => (year, Some(rest)),
            None => (label, None),
        };
        let year: i32 = year.parse().ok().filter(|y| (1900..=9999).contains(y))?;
        let (first, last) = match rest {
            None => (1, 12),
            Some(q) if q.starts_with('Q') => {
                let n: u32 = q[1..].parse().ok().filter(|n| (1..=4).contains(n))?;
                (3 * n - 2, 3 * n)
            }
            Some(s) if s.starts_with('S') => {
                let n: u32 = s[1..].parse().ok().filter(|n| (1..=2).contains(n))?;
                (6 * n - 5, 6 * n)
            }
            Some(m) => {
                let m: u32 = m.parse().ok().filter(|m| (1..=12).contains(m))?;
                (m, m)
            }
        };
        Some((year, first, last))
    }

    /// Every sub-period label of a period, in order.
    pub fn labels(self, starts_on: NaiveDate, ends_on: NaiveDate) -> Vec<String> {
        let mut labels: Vec<String> = Vec::new();
        let mut month = NaiveDate::from_ymd_opt(starts_on.year(), starts_on.month(), 1);
        while let Some(first) = month.filter(|m| *m <= ends_on) {
            let label = self.label(first);
            if labels.last() != Some(&label) {
                labels.push(label);
            }
            month = first.checked_add_months(chrono::Months::new(1));
        }
        labels
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use PlanAction::*;
    use PlanParty::*;
    use PlanStatus::*;

    #[test]
    fn every_transition() {
        assert_eq!(transition(Draft, Submit, Owner), Ok(Submitted));
        assert_eq!(transition(Submitted, Approve, Rater), Ok(Approved));
        assert_eq!(transition(Submitted, Return, Rater), Ok(Draft));
        assert_eq!(transition(Approved, Rate, Rater), Ok(Rated));
        assert_eq!(transition(Approved, Rate, Owner), Err(TransitionError::NotAllowed("rating official")));
        // Wrong person.
        assert_eq!(transition(Draft, Submit, Rater), Err(TransitionError::NotAllowed("employee")));
        assert_eq!(transition(Submitted, Approve, Owner), Err(TransitionError::NotAllowed("rating official")));
        assert_eq!(transition(Submitted, Return, Other), Err(TransitionError::NotAllowed("rating official")));
        // Wrong state.
        for (status, action, party) in [
            (Submitted, Submit, Owner),
            (Approved, Submit, Owner),
            (Draft, Approve, Rater),
            (Approved, Approve, Rater),
            (Draft, Return, Rater),
            (Approved, Return, Rater),
            (Submitted, Rate, Rater),
            (Rated, Rate, Rater),
            (Rated, Submit, Owner),
            (Rated, Return, Rater),
        ] {
            assert!(
                matches!(transition(status, action, party), Err(TransitionError::InvalidTransition { .. })),
                "{status:?} {action:?}"
            );
        }
        assert!(Draft.is_editable() && !Submitted.is_editable() && !Approved.is_editable() && !Rated.is_editable());
        assert!(!Draft.is_evaluated() && !Submitted.is_evaluated() && Approved.is_evaluated() && !Rated.is_evaluated());
    }

    #[test]
    fn sub_period_labels_follow_the_cadence() {
        let d = |m, day| NaiveDate::from_ymd_opt(2026, m, day).unwrap();
        assert_eq!(Cadence::Monthly.label(d(1, 31)), "2026-01");
        assert_eq!(Cadence::Quarterly.label(d(4, 1)), "2026-Q2");
        assert_eq!(Cadence::Semiannual.label(d(7, 1)), "2026-S2");
        assert_eq!(Cadence::Annual.label(d(12, 31)), "2026");
        assert_eq!(Cadence::Quarterly.labels(d(1, 1), d(12, 31)), vec!["2026-Q1", "2026-Q2", "2026-Q3", "2026-Q4"]);
        assert_eq!(Cadence::Monthly.labels(d(1, 1), d(12, 31)).len(), 12);
        assert_eq!(Cadence::Semiannual.labels(d(1, 1), d(12, 31)), vec!["2026-S1", "2026-S2"]);
        assert_eq!(Cadence::Annual.labels(d(1, 1), d(12, 31)), vec!["2026"]);
        assert_eq!(Cadence::months_of("2026-Q2"), Some((2026, 4, 6)));
        assert_eq!(Cadence::months_of("2026-S2"), Some((2026, 7, 12)));
        assert_eq!(Cadence::months_of("2026-03"), Some((2026, 3, 3)));
        assert_eq!(Cadence::months_of("2026"), Some((2026, 1, 12)));
        assert_eq!(Cadence::months_of("2026-Q5"), None);
        assert_eq!(Cadence::months_of("2026-13"), None);
        // A period starting mid-year.
        assert_eq!(Cadence::Quarterly.labels(d(5, 15), d(12, 31)), vec!["2026-Q2", "2026-Q3", "2026-Q4"]);
    }
}
