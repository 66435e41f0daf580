//! Objection (keberatan) to an annual rating, PP 30/2019 art. 59: the employee objects, with
//! reasons, within a window after the rating is issued (14 days unless the agency sets
//! another); the rating official's supervisor (atasan pejabat penilai) hears both sides and
//! decides, upheld with a new predikat or rejected. The decision is final and the original
//! rating stays on record.

use chrono::{DateTime, Days, FixedOffset, NaiveDate, Utc};

use crate::skp::wire_codes;

/// The window when an agency has not set one.
pub const DEFAULT_WINDOW_DAYS: i32 = 14;

/// The windows an agency may set.
pub const WINDOW_DAYS_RANGE: std::ops::RangeInclusive<i32> = 1..=90;

/// Days are counted on the calendar of Western Indonesia (WIB, UTC+7), where most agencies
/// work; the last day of the window counts in full.
pub fn calendar_day(at: DateTime<Utc>) -> NaiveDate {
    FixedOffset::east_opt(7 * 3600).map_or(at.date_naive(), |wib| at.with_timezone(&wib).date_naive())
}

/// The last day an objection may be filed, for a rating issued at `rated_at`.
pub fn deadline(rated_at: DateTime<Utc>, window_days: i32) -> NaiveDate {
    let days = u64::try_from(window_days).unwrap_or(0);
    let rated_on = calendar_day(rated_at);
    rated_on.checked_add_days(Days::new(days)).unwrap_or(rated_on)
}

/// Whether an objection filed at `now` is within the window.
pub fn on_time(rated_at: DateTime<Utc>, window_days: i32, now: DateTime<Utc>) -> bool {
    calendar_day(now) <= deadline(rated_at, window_days)
}

/// Who would judge their own case (PP 30/2019 art. 59: the atasan pejabat penilai decides an
/// objection between the employee and the rating official, so is neither of them; and nobody
/// rates their own plan).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum OwnCase {
    #[error("the employee cannot be the rating official of their own plan")]
    EmployeeRates,
    #[error("the rating official's supervisor decides objections on this plan, so cannot be the employee; name someone else")]
    EmployeeDecides,
    #[error("the rating official's supervisor decides objections between the employee and the rating official, so cannot be the rating official; name someone else")]
    RaterDecides,
}

impl OwnCase {
    /// The field of a plan that names the wrong person.
    pub fn field(self) -> &'static str {
        match self {
            OwnCase::EmployeeRates => "rater_id",
            OwnCase::EmployeeDecides | OwnCase::RaterDecides => "rater_supervisor_id",
        }
    }
}

/// Checks the people of a plan: the employee, the rating official and the rating official's
/// supervisor who decides objections must be three different people.
pub fn check_deciders<T: PartialEq>(employee: &T, rater: Option<&T>, decider: Option<&T>) -> Result<(), OwnCase> {
    if rater == Some(employee) {
        Err(OwnCase::EmployeeRates)
    } else if decider == Some(employee) {
        Err(OwnCase::EmployeeDecides)
    } else if decider.is_some() && decider == rater {
        Err(OwnCase::RaterDecides)
    } else {
        Ok(())
    }
}

wire_codes!(
    /// How the rating official's supervisor decided.
    Outcome { Upheld => "upheld", Rejected => "rejected" }
);

wire_codes!(
    /// Where an objection stands.
    ObjectionStatus { Open => "open", Decided => "decided" }
);

wire_codes!(
    /// Whose explanation the rating official's supervisor records.
    Party { Employee => "employee", RatingOfficial => "rating_official" }
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nobody_judges_their_own_case() {
        let (employee, rater, decider) = (1, 2, 3);
        assert_eq!(check_deciders(&employee, Some(&rater), Some(&decider)), Ok(()));
        assert_eq!(check_deciders(&employee, None, None), Ok(()));
        assert_eq!(check_deciders(&employee, Some(&employee), Some(&decider)), Err(OwnCase::EmployeeRates));
        assert_eq!(check_deciders(&employee, Some(&rater), Some(&employee)), Err(OwnCase::EmployeeDecides));
        assert_eq!(check_deciders(&employee, Some(&rater), Some(&rater)), Err(OwnCase::RaterDecides));
        assert_eq!(check_deciders(&employee, None, Some(&employee)), Err(OwnCase::EmployeeDecides));
    }
    use chrono::TimeZone;

    #[test]
    fn day_fourteen_is_in_and_day_fifteen_is_out() {
        // Rated at 10:00 WIB on 5 January 2027.
        let rated = Utc.with_ymd_and_hms(2027, 1, 5, 3, 0, 0).unwrap();
        assert_eq!(deadline(rated, 14), NaiveDate::from_ymd_opt(2027, 1, 19).unwrap());
        // 23:59 WIB on day 14 is still in time; 00:00 WIB on day 15 is not.
        assert!(on_time(rated, 14, Utc.with_ymd_and_hms(2027, 1, 19, 16, 59, 0).unwrap()));
        assert!(!on_time(rated, 14, Utc.with_ymd_and_hms(2027, 1, 19, 17, 0, 0).unwrap()));
        // The agency's own window.
        assert!(on_time(rated, 30, Utc.with_ymd_and_hms(2027, 2, 4, 0, 0, 0).unwrap()));
        assert!(!on_time(rated, 7, Utc.with_ymd_and_hms(2027, 1, 13, 0, 0, 0).unwrap()));
    }

    #[test]
    fn the_day_of_rating_counts_in_wib() {
        // 20:00 UTC on 4 January is already 5 January in WIB.
        let rated = Utc.with_ymd_and_hms(2027, 1, 4, 20, 0, 0).unwrap();
        assert_eq!(calendar_day(rated), NaiveDate::from_ymd_opt(2027, 1, 5).unwrap());
    }
}
