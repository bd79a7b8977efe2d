//! When a failed request is tried again, and after how long. Pure: the caller passes the jitter,
//! so tests are deterministic.

/// What the last attempt ended in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// No answer: offline, DNS, connection reset, CORS refusal.
    Network,
    /// No answer within the client's timeout.
    Timeout,
    /// An HTTP status, with the `Retry-After` seconds if the server sent them.
    Status {
        status: u16,
        retry_after_secs: Option<u32>,
    },
}

impl Outcome {
    /// Whether trying again later can change the answer: no answer at all, or a status that
    /// says "not now" (408, 429, 500, 502, 503, 504). Anything else is the server's last word.
    pub fn is_transient(self) -> bool {
        match self {
            Self::Network | Self::Timeout => true,
            Self::Status { status, .. } => matches!(status, 408 | 429 | 500 | 502 | 503 | 504),
        }
    }
}

/// How many times, and how patiently, a request is tried.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all, the first included.
    pub attempts: u32,
    /// Wait before the second attempt; each later wait is three times the one before.
    pub base_delay_ms: u32,
    /// A server asking for a longer pause than this is not waited for: the widget reports the
    /// error instead of sitting in a loading state.
    pub max_delay_ms: u32,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            attempts: 3,
            base_delay_ms: 400,
            max_delay_ms: 5_000,
        }
    }
}

impl RetryPolicy {
    /// The wait before another attempt, or `None` to give up. `attempts_made` counts the ones
    /// that already failed; `safe` says whether repeating the request cannot do harm (a GET, or
    /// a POST carrying an idempotency key); `jitter` in `[0, 1)` spreads retries of many
    /// shoppers so a recovering server is not hit in lockstep.
    pub fn delay_before_retry(
        &self,
        attempts_made: u32,
        outcome: Outcome,
        safe: bool,
        jitter: f64,
    ) -> Option<u32> {
        if !safe || attempts_made >= self.attempts || !outcome.is_transient() {
            return None;
        }
        let retry_after = match outcome {
            Outcome::Status {
                retry_after_secs, ..
            } => retry_after_secs,
            Outcome::Network | Outcome::Timeout => None,
        };
        if let Some(secs) = retry_after {
            let ms = secs.saturating_mul(1000);
            return (ms <= self.max_delay_ms).then_some(ms);
        }
        let exponential = self
            .base_delay_ms
            .saturating_mul(3u32.saturating_pow(attempts_made.saturating_sub(1)));
        let jittered = f64::from(exponential) * (0.75 + 0.5 * jitter.clamp(0.0, 1.0));
        Some((jittered as u32).min(self.max_delay_ms))
    }
}

/// Reads `Retry-After` in its delay-seconds form; the HTTP-date form yields `None` and the
/// ordinary backoff applies.
pub fn parse_retry_after(value: &str) -> Option<u32> {
    value.trim().parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    const POLICY: RetryPolicy = RetryPolicy {
        attempts: 3,
        base_delay_ms: 400,
        max_delay_ms: 5_000,
    };

    fn status(status: u16) -> Outcome {
        Outcome::Status {
            status,
            retry_after_secs: None,
        }
    }

    #[test]
    fn transient_failures_of_safe_requests_are_retried_with_growing_waits() {
        let cases = [
            // (attempts_made, outcome, safe, jitter, expected)
            (1, Outcome::Network, true, 0.5, Some(400)),
            (2, Outcome::Network, true, 0.5, Some(1200)),
            (3, Outcome::Network, true, 0.5, None),
            (1, Outcome::Timeout, true, 0.0, Some(300)),
            (1, status(503), true, 0.999_999, Some(499)),
            (1, status(502), true, 0.5, Some(400)),
            (1, status(429), true, 0.5, Some(400)),
            (1, status(408), true, 0.5, Some(400)),
        ];
        for (made, outcome, safe, jitter, expected) in cases {
            assert_eq!(
                POLICY.delay_before_retry(made, outcome, safe, jitter),
                expected,
                "{made} {outcome:?}"
            );
        }
    }

    #[test]
    fn answers_that_a_retry_cannot_change_are_final() {
        for code in [400, 401, 403, 404, 409, 413, 422, 501] {
            assert_eq!(
                POLICY.delay_before_retry(1, status(code), true, 0.5),
                None,
                "{code}"
            );
        }
    }

    #[test]
    fn an_unsafe_request_is_never_repeated() {
        assert_eq!(
            POLICY.delay_before_retry(1, Outcome::Network, false, 0.5),
            None
        );
        assert_eq!(POLICY.delay_before_retry(1, status(503), false, 0.5), None);
    }

    #[test]
    fn retry_after_is_honoured_up_to_the_patience_limit() {
        let after = |secs| Outcome::Status {
            status: 503,
            retry_after_secs: Some(secs),
        };
        assert_eq!(
            POLICY.delay_before_retry(1, after(2), true, 0.5),
            Some(2000)
        );
        assert_eq!(POLICY.delay_before_retry(1, after(0), true, 0.5), Some(0));
        assert_eq!(POLICY.delay_before_retry(1, after(6), true, 0.5), None);
        assert_eq!(
            POLICY.delay_before_retry(1, after(u32::MAX), true, 0.5),
            None
        );
    }

    #[test]
    fn retry_after_seconds_parse_and_dates_do_not() {
        assert_eq!(parse_retry_after(" 3 "), Some(3));
        assert_eq!(parse_retry_after("Wed, 21 Oct 2026 07:28:00 GMT"), None);
        assert_eq!(parse_retry_after("-1"), None);
    }
}
