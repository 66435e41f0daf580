//! The work inbox: what waits for a person in the cycle (PermenPANRB 6/2022 steps), and when
//! each is due. Tasks are computed from the data, never stored; this module says which kinds
//! there are, whose they are, and which deadline each answers to.

use chrono::{Days, NaiveDate};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::deadlines::Deadlines;
use crate::workflow::Cadence;

/// Days the atasan pejabat penilai takes to hear and decide an objection (practice: the same
/// span as the employee's window to file one, PP 30/2019 art. 59).
pub const DECISION_DAYS: u64 = 14;

/// A kind of task. The first three are the employee's own work; the rest an official's (and
/// whoever stands in for them).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TaskKind {
    /// Start (or finish) and submit my plan for a running period.
    SubmitPlan,
    /// My plan came back from the rating official with a reason: revise and resubmit.
    ReviseReturnedPlan,
    /// Record my realisations for a sub-period that has begun.
    RecordRealisations,
    /// A plan submitted to me (as rating official): approve or return it.
    ApprovePlan,
    /// Realisations recorded under a plan I rate: rate them.
    RateEvaluation,
    /// An approved plan I rate, in the period's last sub-period or later: give the annual rating.
    GiveFinalRating,
    /// An objection to a rating by the official I supervise: hear both sides and decide.
    DecideObjection,
    /// A subordinate assessed their own competencies: give the supervisor assessment.
    GiveAssessment,
}

impl TaskKind {
    pub const ALL: [TaskKind; 8] = [
        TaskKind::SubmitPlan,
        TaskKind::ReviseReturnedPlan,
        TaskKind::RecordRealisations,
        TaskKind::ApprovePlan,
        TaskKind::RateEvaluation,
        TaskKind::GiveFinalRating,
        TaskKind::DecideObjection,
        TaskKind::GiveAssessment,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            TaskKind::SubmitPlan => "submit_plan",
            TaskKind::ReviseReturnedPlan => "revise_returned_plan",
            TaskKind::RecordRealisations => "record_realisations",
            TaskKind::ApprovePlan => "approve_plan",
            TaskKind::RateEvaluation => "rate_evaluation",
            TaskKind::GiveFinalRating => "give_final_rating",
            TaskKind::DecideObjection => "decide_objection",
            TaskKind::GiveAssessment => "give_assessment",
        }
    }

    pub fn parse(code: &str) -> Option<TaskKind> {
        TaskKind::ALL.into_iter().find(|k| k.as_str() == code)
    }
}

/// The first day of a sub-period within its period.
pub fn sub_period_start(label: &str, starts_on: NaiveDate) -> Option<NaiveDate> {
    let (year, first_month, _) = Cadence::months_of(label)?;
    Some(NaiveDate::from_ymd_opt(year, first_month, 1)?.max(starts_on))
}

/// The sub-periods whose realisations are due from an approved plan by `today`: those that have
/// begun and are not yet recorded, in order.
pub fn realisations_owed<'a>(
    deadlines: &'a Deadlines,
    starts_on: NaiveDate,
    recorded: &[String],
    today: NaiveDate,
) -> impl Iterator<Item = (usize, &'a str, NaiveDate)> + 'a {
    let recorded: Vec<String> = recorded.to_vec();
    deadlines.evaluation_due.iter().enumerate().filter_map(move |(i, due)| {
        let begun = sub_period_start(&due.label, starts_on).is_some_and(|start| start <= today);
        (begun && !recorded.contains(&due.label)).then_some((i, due.label.as_str(), due.due_on))
    })
}

/// Whether the annual rating is owed by `today`: the period's last sub-period has begun.
pub fn final_rating_owed(deadlines: &Deadlines, starts_on: NaiveDate, today: NaiveDate) -> bool {
    deadlines
        .evaluation_due
        .last()
        .and_then(|last| sub_period_start(&last.label, starts_on))
        .is_some_and(|start| start <= today)
}

/// When an objection filed on `filed_on` is due to be decided.
pub fn decision_due(filed_on: NaiveDate) -> NaiveDate {
    filed_on.checked_add_days(Days::new(DECISION_DAYS)).unwrap_or(filed_on)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::deadlines::SetDeadlines;

    fn day(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn realisations_are_owed_for_begun_unrecorded_sub_periods() {
        let d = Deadlines::of(day("2026-01-01"), day("2026-12-31"), Cadence::Quarterly, &SetDeadlines::default());
        let owed: Vec<(usize, &str, NaiveDate)> =
            realisations_owed(&d, day("2026-01-01"), &["2026-Q1".to_owned()], day("2026-07-01")).collect();
        assert_eq!(owed, vec![(1, "2026-Q2", day("2026-07-10")), (2, "2026-Q3", day("2026-10-10"))]);
        assert!(!final_rating_owed(&d, day("2026-01-01"), day("2026-09-30")));
        assert!(final_rating_owed(&d, day("2026-01-01"), day("2026-10-01")));
        assert_eq!(decision_due(day("2027-01-05")), day("2027-01-19"));
    }

    #[test]
    fn every_kind_has_its_code() {
        for kind in TaskKind::ALL {
            assert_eq!(TaskKind::parse(kind.as_str()), Some(kind));
        }
    }
}
