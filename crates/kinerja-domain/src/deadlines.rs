//! A period's deadlines and its state (PermenPANRB 6/2022, "Pengelolaan Kinerja Pegawai ASN":
//! the SKP is agreed at the start of the period, realisations are evaluated after each
//! sub-period, the annual rating follows the period's end).
//!
//! The regulation leaves the exact days to the agency; the defaults below are practice (kept
//! as data: every deadline can be set per period):
//! - `planning_due`: the last day of the period's first month (plans agreed in January);
//! - `evaluation_due` of a sub-period: [`EVALUATION_GRACE_DAYS`] after the sub-period ends;
//! - `rating_due`: [`RATING_GRACE_DAYS`] after the period ends.

use std::collections::BTreeMap;

use chrono::{Datelike, Days, Months, NaiveDate};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::workflow::Cadence;

/// Days after a sub-period ends by which its realisations are recorded and rated (practice).
pub const EVALUATION_GRACE_DAYS: u64 = 10;
/// Days after the period ends by which the annual rating is given (practice).
pub const RATING_GRACE_DAYS: u64 = 31;

/// Whether a period still takes work. A closed period refuses new plans, realisations, ratings
/// and calibrations; objections still run their window.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PeriodStatus {
    Open,
    Closed,
}

impl PeriodStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            PeriodStatus::Open => "open",
            PeriodStatus::Closed => "closed",
        }
    }

    pub fn parse(code: &str) -> Option<PeriodStatus> {
        [PeriodStatus::Open, PeriodStatus::Closed].into_iter().find(|s| s.as_str() == code)
    }
}

/// The deadline of one sub-period's evaluation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct SubPeriodDue {
    #[schema(example = "2026-Q1")]
    pub label: String,
    #[schema(example = "2026-04-10")]
    pub due_on: NaiveDate,
}

/// A period's deadlines as they apply: those the agency set, the practice defaults otherwise.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Deadlines {
    #[schema(example = "2026-01-31")]
    pub planning_due: NaiveDate,
    /// One per sub-period, in order.
    pub evaluation_due: Vec<SubPeriodDue>,
    #[schema(example = "2027-01-31")]
    pub rating_due: NaiveDate,
}

/// What an agency set; anything unset takes the default.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SetDeadlines {
    pub planning_due: Option<NaiveDate>,
    pub evaluation_due: BTreeMap<String, NaiveDate>,
    pub rating_due: Option<NaiveDate>,
}

/// A deadline that cannot be: the field and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeadlineError {
    pub field: String,
    pub code: &'static str,
    pub message: String,
}

/// The last day a sub-period label covers within the period.
pub fn sub_period_end(label: &str, ends_on: NaiveDate) -> Option<NaiveDate> {
    let (year, _, last_month) = Cadence::months_of(label)?;
    let first_of_next = NaiveDate::from_ymd_opt(year, last_month, 1)?.checked_add_months(Months::new(1))?;
    Some(first_of_next.pred_opt()?.min(ends_on))
}

impl Deadlines {
    pub fn of(starts_on: NaiveDate, ends_on: NaiveDate, cadence: Cadence, set: &SetDeadlines) -> Deadlines {
        let first_month_end = NaiveDate::from_ymd_opt(starts_on.year(), starts_on.month(), 1)
            .and_then(|first| first.checked_add_months(Months::new(1)))
            .and_then(|next| next.pred_opt())
            .map_or(ends_on, |d| d.min(ends_on));
        let evaluation_due = cadence
            .labels(starts_on, ends_on)
            .into_iter()
            .map(|label| {
                let due_on = set.evaluation_due.get(&label).copied().unwrap_or_else(|| {
                    let end = sub_period_end(&label, ends_on).unwrap_or(ends_on);
                    end.checked_add_days(Days::new(EVALUATION_GRACE_DAYS)).unwrap_or(end)
                });
                SubPeriodDue { label, due_on }
            })
            .collect();
        Deadlines {
            planning_due: set.planning_due.unwrap_or(first_month_end),
            evaluation_due,
            rating_due: set
                .rating_due
                .unwrap_or_else(|| ends_on.checked_add_days(Days::new(RATING_GRACE_DAYS)).unwrap_or(ends_on)),
        }
    }

    /// The evaluation deadline of a sub-period of this period.
    pub fn evaluation_due_for(&self, label: &str) -> Option<NaiveDate> {
        self.evaluation_due.iter().find(|d| d.label == label).map(|d| d.due_on)
    }
}

impl SetDeadlines {
    /// Deadlines an agency may set: sub-periods of the period only, and every date from the
    /// period's start to a year after its end.
    pub fn check(&self, starts_on: NaiveDate, ends_on: NaiveDate, cadence: Cadence) -> Vec<DeadlineError> {
        let latest = ends_on.checked_add_months(Months::new(12)).unwrap_or(ends_on);
        let labels = cadence.labels(starts_on, ends_on);
        let in_range = |field: String, date: NaiveDate| {
            (date < starts_on || date > latest).then(|| DeadlineError {
                field,
                code: "out_of_range",
                message: format!("from {starts_on} to {latest} (a year after the period ends)"),
            })
        };
        let mut errors: Vec<DeadlineError> = Vec::new();
        errors.extend(self.planning_due.and_then(|date| in_range("planning_due".into(), date)));
        errors.extend(self.rating_due.and_then(|date| in_range("rating_due".into(), date)));
        for (label, date) in &self.evaluation_due {
            let field = format!("evaluation_due.{label}");
            if labels.contains(label) {
                errors.extend(in_range(field, *date));
            } else {
                errors.push(DeadlineError {
                    field,
                    code: "invalid_period_label",
                    message: format!("one of {}", labels.join(", ")),
                });
            }
        }
        errors
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn defaults_follow_the_period() {
        let d = Deadlines::of(day("2026-01-01"), day("2026-12-31"), Cadence::Quarterly, &SetDeadlines::default());
        assert_eq!(d.planning_due, day("2026-01-31"));
        assert_eq!(d.evaluation_due_for("2026-Q1"), Some(day("2026-04-10")));
        assert_eq!(d.evaluation_due_for("2026-Q4"), Some(day("2027-01-10")));
        assert_eq!(d.evaluation_due.len(), 4);
        assert_eq!(d.rating_due, day("2027-01-31"));
        // A period ending mid-month ends its last sub-period there.
        let short = Deadlines::of(day("2026-02-15"), day("2026-03-20"), Cadence::Monthly, &SetDeadlines::default());
        assert_eq!(short.planning_due, day("2026-02-28"));
        assert_eq!(short.evaluation_due_for("2026-03"), Some(day("2026-03-30")));
    }

    #[test]
    fn what_an_agency_sets_wins_and_is_checked() {
        let set = SetDeadlines {
            planning_due: Some(day("2026-02-15")),
            evaluation_due: BTreeMap::from([("2026-Q2".to_owned(), day("2026-07-05"))]),
            rating_due: None,
        };
        let d = Deadlines::of(day("2026-01-01"), day("2026-12-31"), Cadence::Quarterly, &set);
        assert_eq!(d.planning_due, day("2026-02-15"));
        assert_eq!(d.evaluation_due_for("2026-Q2"), Some(day("2026-07-05")));
        assert_eq!(d.evaluation_due_for("2026-Q3"), Some(day("2026-10-10")));
        assert!(set.check(day("2026-01-01"), day("2026-12-31"), Cadence::Quarterly).is_empty());
        let bad = SetDeadlines {
            planning_due: Some(day("2025-12-31")),
            evaluation_due: BTreeMap::from([("2026-05".to_owned(), day("2026-06-01"))]),
            rating_due: Some(day("2028-01-01")),
        };
        let codes: Vec<(String, &str)> = bad
            .check(day("2026-01-01"), day("2026-12-31"), Cadence::Quarterly)
            .into_iter()
            .map(|e| (e.field, e.code))
            .collect();
        assert_eq!(
            codes,
            vec![
                ("planning_due".into(), "out_of_range"),
                ("rating_due".into(), "out_of_range"),
                ("evaluation_due.2026-05".into(), "invalid_period_label"),
            ]
        );
    }
}
