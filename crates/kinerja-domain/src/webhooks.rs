//! Webhooks, as the Standard Webhooks specification has them: when a delivery is tried again,
//! when it is given up, and when an endpoint that keeps failing is switched off. (Signing and
//! sending are the API crate's; what is kept, the store's.)

use std::time::Duration;

crate::skp::wire_codes!(
    /// Where one event stands with one endpoint: still to be sent (or sent again), taken by the
    /// endpoint (a 2xx answer), or given up after the last try.
    DeliveryState { Pending => "pending", Delivered => "delivered", Failed => "failed" }
);

/// When failed deliveries are tried again: the first retry `first` after the first try, each
/// next one `factor` times later, never more than `cap` apart, and `attempts` tries in all.
/// A jitter of up to a fifth is added to each wait (never taken off), so that endpoints that
/// failed together are not all retried in the same second, and the schedule is never shorter
/// than its floor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    pub first: Duration,
    pub factor: u32,
    pub cap: Duration,
    pub attempts: u32,
}

impl Default for RetryPolicy {
    /// 10 s, 40 s, 2.7 min, 11 min, 43 min, 2.8 h, then every 8 h: ten tries over 27.8 hours
    /// (the specification asks for at least a day).
    fn default() -> Self {
        RetryPolicy { first: Duration::from_secs(10), factor: 4, cap: Duration::from_secs(8 * 3600), attempts: 10 }
    }
}

impl RetryPolicy {
    /// How long to wait after failed try number `attempt` (1 for the first), or `None` when it
    /// was the last. `jitter` in `[0, 1)` picks where in the added fifth the wait falls.
    pub fn wait_after(&self, attempt: u32, jitter: f64) -> Option<Duration> {
        if attempt >= self.attempts {
            return None;
        }
        let grown = (1..attempt).fold(self.first, |wait, _| wait.saturating_mul(self.factor).min(self.cap));
        let floor = grown.min(self.cap);
        Some(floor + floor.mul_f64(jitter.clamp(0.0, 1.0) / 5.0))
    }

    /// The shortest time from the first try to the last.
    pub fn floor_span(&self) -> Duration {
        (1..self.attempts).filter_map(|attempt| self.wait_after(attempt, 0.0)).sum()
    }
}

/// An endpoint that has failed every delivery for this long is disabled (and says why) at its
/// next failure; an admin enables it again once it is mended.
pub const DISABLE_AFTER: Duration = Duration::from_secs(5 * 24 * 3600);

/// How long a settled delivery (delivered, or given up) stays in its endpoint's log; pending
/// ones stay until they settle.
pub const DELIVERY_LOG_KEPT: Duration = Duration::from_secs(30 * 24 * 3600);

/// After a secret is rotated, deliveries are signed with the old one as well for this long, so a
/// receiver can switch without refusing one.
pub const ROTATION_OVERLAP: Duration = Duration::from_secs(24 * 3600);

/// Why an endpoint was disabled, in words an admin reads on it.
pub fn disabled_reason(failing_for: Duration) -> String {
    let hours = failing_for.as_secs() / 3600;
    if hours >= 48 {
        format!("every delivery failed for {} days; mend the receiver and enable the endpoint again", hours / 24)
    } else {
        format!(
            "every delivery failed for {}; mend the receiver and enable the endpoint again",
            if hours >= 1 { format!("{hours} hours") } else { format!("{} seconds", failing_for.as_secs()) }
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_schedule_retries_for_more_than_a_day_growing_each_time() {
        let policy = RetryPolicy::default();
        assert!(policy.floor_span() >= Duration::from_secs(24 * 3600), "{:?}", policy.floor_span());
        let waits: Vec<Duration> = (1..policy.attempts).filter_map(|a| policy.wait_after(a, 0.0)).collect();
        assert_eq!(waits.len(), 9);
        assert_eq!(waits[0], Duration::from_secs(10));
        assert_eq!(waits[1], Duration::from_secs(40));
        assert!(waits.windows(2).all(|w| w[1] >= w[0]));
        assert_eq!(*waits.last().unwrap_or(&Duration::ZERO), Duration::from_secs(8 * 3600));
        assert_eq!(policy.wait_after(policy.attempts, 0.5), None);
    }

    #[test]
    fn jitter_adds_up_to_a_fifth_and_never_takes_off() {
        let policy = RetryPolicy::default();
        assert_eq!(policy.wait_after(2, 0.0), Some(Duration::from_secs(40)));
        assert_eq!(policy.wait_after(2, 0.5), Some(Duration::from_secs(44)));
        let most = policy.wait_after(2, 0.999_999).unwrap_or_default();
        assert!(most < Duration::from_secs(48) && most > Duration::from_secs(47));
        assert_eq!(policy.wait_after(2, 7.0), Some(Duration::from_secs(48)), "out-of-range jitter is clamped");
    }

    #[test]
    fn the_reason_says_how_long() {
        assert!(disabled_reason(DISABLE_AFTER).contains("for 5 days"));
        assert!(disabled_reason(Duration::from_secs(7200)).contains("for 2 hours"));
        assert!(disabled_reason(Duration::from_secs(3)).contains("for 3 seconds"));
    }
}
