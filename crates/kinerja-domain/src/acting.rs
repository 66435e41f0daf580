//! Acting officials (docs/rules.md, "The rating chain and acting officials": the chain follows the
//! supervisor links, with an explicit stand-in for an absent official). A *Plt* (pelaksana tugas) fills a vacant or
//! long-absent post, a *Plh* (pelaksana harian) stands in for days; both approve, rate and decide
//! as the official would while the delegation runs, and every such act names both.

use chrono::NaiveDate;

crate::skp::wire_codes!(
    /// Plt (pelaksana tugas) or Plh (pelaksana harian).
    ActingKind { Plt => "plt", Plh => "plh" }
);

/// Why a delegation cannot be: the field, a stable code and a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DelegationError {
    pub field: &'static str,
    pub code: &'static str,
    pub message: &'static str,
}

/// The rules of one delegation on its own: nobody stands in for themself, and it runs forward.
/// (Two stand-ins for one official at once are refused by the store's exclusion constraint.)
pub fn check_delegation(
    acting: uuid::Uuid,
    stands_in_for: &[uuid::Uuid],
    starts_on: NaiveDate,
    ends_on: NaiveDate,
) -> Vec<DelegationError> {
    let mut errors = Vec::new();
    if stands_in_for.contains(&acting) {
        errors.push(DelegationError {
            field: "acting_employee_id",
            code: "self_delegation",
            message: "an employee cannot act for themself or for the position they hold",
        });
    }
    if ends_on < starts_on {
        errors.push(DelegationError {
            field: "ends_on",
            code: "before_start",
            message: "must not be before starts_on",
        });
    }
    errors
}

/// Whether a delegation runs on `day` (both ends count).
pub fn runs_on(starts_on: NaiveDate, ends_on: NaiveDate, day: NaiveDate) -> bool {
    starts_on <= day && day <= ends_on
}

#[cfg(test)]
mod tests {
    use super::*;
    use uuid::Uuid;

    #[test]
    fn nobody_acts_for_themself_and_time_runs_forward() {
        let (x, y) = (Uuid::from_u128(1), Uuid::from_u128(2));
        let day = |s: &str| s.parse::<NaiveDate>().unwrap();
        assert!(check_delegation(x, &[y], day("2026-03-01"), day("2026-03-31")).is_empty());
        let codes = |e: Vec<DelegationError>| e.into_iter().map(|e| e.code).collect::<Vec<_>>();
        assert_eq!(codes(check_delegation(x, &[x], day("2026-03-01"), day("2026-03-01"))), vec!["self_delegation"]);
        assert_eq!(codes(check_delegation(x, &[y], day("2026-03-02"), day("2026-03-01"))), vec!["before_start"]);
        assert!(runs_on(day("2026-03-01"), day("2026-03-31"), day("2026-03-31")));
        assert!(!runs_on(day("2026-03-01"), day("2026-03-31"), day("2026-04-01")));
    }
}
