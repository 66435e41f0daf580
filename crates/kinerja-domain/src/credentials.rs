//! Rules for login names, passwords and login throttling.

use chrono::{DateTime, Duration, Utc};

/// Shortest password accepted (OWASP ASVS 2.1.1: at least 12 characters).
pub const MIN_PASSWORD_CHARS: usize = 12;
/// Longest password accepted; longer input only costs hashing time.
pub const MAX_PASSWORD_CHARS: usize = 128;

/// Login throttling (OWASP ASVS 2.2.1): failures are counted per account *and address* (so a
/// stranger elsewhere cannot lock the owner out, and a NIP or a username reach the same count)
/// and per address across accounts (password spraying). Past the free failures each further
/// one doubles the wait, from 1 s up to [`MAX_BACKOFF_SECONDS`]; failures are forgotten
/// [`FAILURE_MEMORY_MINUTES`] after the last one. A distributed guess at one account is slowed
/// by each address's own back-off and by the password hash's cost, not stopped: locking an
/// account for everyone would hand that stranger a way to lock anyone out.
pub const FREE_FAILURES_PER_ACCOUNT: i32 = 5;
/// Failures one address may make across accounts before it waits (offices share NAT addresses).
pub const FREE_FAILURES_PER_ADDRESS: i32 = 20;
/// The longest wait.
pub const MAX_BACKOFF_SECONDS: i64 = 15 * 60;
/// How long failures are remembered after the last one.
pub const FAILURE_MEMORY_MINUTES: i64 = 15;

/// Why a login name is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum UsernameError {
    #[error("must be 3 to 64 characters")]
    Length,
    #[error("may hold only lowercase letters, digits, '.', '_' and '-'")]
    Characters,
}

/// A login name: 3–64 of `a-z 0-9 . _ -`. An all-digit name is an employee's NIP.
pub fn check_username(name: &str) -> Result<(), UsernameError> {
    if !(3..=64).contains(&name.chars().count()) {
        return Err(UsernameError::Length);
    }
    let allowed = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || "._-".contains(c);
    if !name.chars().all(allowed) {
        return Err(UsernameError::Characters);
    }
    Ok(())
}

/// Why a password is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PasswordError {
    #[error("must be at least {MIN_PASSWORD_CHARS} characters")]
    TooShort,
    #[error("must be at most {MAX_PASSWORD_CHARS} characters")]
    TooLong,
}

pub fn check_password(password: &str) -> Result<(), PasswordError> {
    let chars = password.chars().count();
    if chars < MIN_PASSWORD_CHARS {
        Err(PasswordError::TooShort)
    } else if chars > MAX_PASSWORD_CHARS {
        Err(PasswordError::TooLong)
    } else {
        Ok(())
    }
}

/// The failures on record for a throttle key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FailureRecord {
    pub failures: i32,
    pub last_failed_at: DateTime<Utc>,
}

impl FailureRecord {
    /// When the key may try again, if it must wait now: after `free` failures, 1 s, then 2 s,
    /// 4 s … up to [`MAX_BACKOFF_SECONDS`], counted from the last failure.
    pub fn blocked_until(&self, free: i32, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        if self.failures < free || now - self.last_failed_at >= Duration::minutes(FAILURE_MEMORY_MINUTES) {
            return None;
        }
        let doublings = u32::try_from(self.failures - free).unwrap_or(0).min(20);
        let wait = Duration::seconds((1_i64 << doublings).min(MAX_BACKOFF_SECONDS));
        let until = self.last_failed_at + wait;
        (now < until).then_some(until)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames() {
        for ok in ["admin", "a.b-c_d", "196608011988031001", &"x".repeat(64)] {
            assert_eq!(check_username(ok), Ok(()), "{ok}");
        }
        assert_eq!(check_username("ab"), Err(UsernameError::Length));
        assert_eq!(check_username(&"x".repeat(65)), Err(UsernameError::Length));
        assert_eq!(check_username("Admin"), Err(UsernameError::Characters));
        assert_eq!(check_username("a b c"), Err(UsernameError::Characters));
    }

    #[test]
    fn password_length_edges() {
        assert_eq!(check_password(&"p".repeat(11)), Err(PasswordError::TooShort));
        assert_eq!(check_password(&"p".repeat(12)), Ok(()));
        assert_eq!(check_password(&"p".repeat(128)), Ok(()));
        assert_eq!(check_password(&"p".repeat(129)), Err(PasswordError::TooLong));
        // Counted in characters, not bytes.
        assert_eq!(check_password(&"é".repeat(12)), Ok(()));
    }

    #[test]
    fn the_wait_doubles_past_the_free_failures_and_is_capped() {
        let last = Utc::now();
        let after = |failures, secs| {
            FailureRecord { failures, last_failed_at: last }.blocked_until(5, last + Duration::seconds(secs))
        };
        assert_eq!(after(4, 0), None, "free failures wait for nothing");
        assert_eq!(after(5, 0), Some(last + Duration::seconds(1)));
        assert_eq!(after(5, 1), None);
        assert_eq!(after(6, 1), Some(last + Duration::seconds(2)));
        assert_eq!(after(8, 7), Some(last + Duration::seconds(8)));
        assert_eq!(after(40, 0), Some(last + Duration::seconds(MAX_BACKOFF_SECONDS)));
        // Forgotten after a quiet spell.
        assert_eq!(after(40, FAILURE_MEMORY_MINUTES * 60), None);
    }
}
