//! Rules for login names, passwords and login throttling.

use chrono::{DateTime, Duration, Utc};

/// Shortest password accepted (OWASP ASVS 2.1.1: at least 12 characters).
pub const MIN_PASSWORD_CHARS: usize = 12;
/// Longest password accepted; longer input only costs hashing time.
pub const MAX_PASSWORD_CHARS: usize = 128;

/// Failed logins allowed per username inside one window before it is locked for the rest of it.
pub const MAX_FAILURES_PER_USERNAME: i32 = 5;
/// Failed logins allowed per client IP inside one window (offices share NAT addresses).
pub const MAX_FAILURES_PER_IP: i32 = 30;
/// The throttling window.
pub const FAILURE_WINDOW_MINUTES: i64 = 15;

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

/// The state of one throttle key (a username or an IP) as stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FailureWindow {
    pub failures: i32,
    pub window_started_at: DateTime<Utc>,
}

impl FailureWindow {
    /// When the key may try again, if it is locked now; `limit` failures within the window lock it
    /// until the window ends.
    pub fn locked_until(&self, limit: i32, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let ends = self.window_started_at + Duration::minutes(FAILURE_WINDOW_MINUTES);
        (self.failures >= limit && now < ends).then_some(ends)
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
    fn lock_starts_at_the_limit_and_ends_with_the_window() {
        let start = Utc::now();
        let w = |failures| FailureWindow { failures, window_started_at: start };
        assert_eq!(w(4).locked_until(5, start), None);
        let end = start + Duration::minutes(FAILURE_WINDOW_MINUTES);
        assert_eq!(w(5).locked_until(5, start), Some(end));
        assert_eq!(w(5).locked_until(5, end - Duration::seconds(1)), Some(end));
        assert_eq!(w(5).locked_until(5, end), None);
    }
}
