//! The durable outbox: requests waiting to reach the shop's API (a feedback answer, say) and the
//! schedule they are retried on. The browser keeps one `localStorage` item per entry, so two
//! tabs never overwrite each other's entries; this module decides what each attempt means.
//! Pure: time and jitter are parameters.

use serde::{Deserialize, Serialize};

use crate::core::retry::{Outcome, RetryPolicy};

/// Every entry's `localStorage` key starts with this; the rest is its idempotency key.
pub const STORAGE_PREFIX: &str = "lojal:outbox:";
/// An entry the API has not taken within this long is given up (30 days): the shop has
/// certainly moved on, and storage must not grow forever.
pub const MAX_AGE_MS: f64 = 30.0 * 24.0 * 3600.0 * 1000.0;
/// While one page sends an entry, no other flush (another tab, a timer) picks it up for this
/// long. Longer than the request timeout, so an attempt ends before its claim does.
pub const CLAIM_MS: f64 = 15_000.0;

/// Waits between attempts: 0.5 s, 1.5 s, 4.5 s, 13.5 s … tripling up to 5 minutes, each
/// ±25 % jitter, never giving up on a transient failure. `online` and every page load try at
/// once regardless.
pub const BACKOFF: RetryPolicy = RetryPolicy {
    attempts: u32::MAX,
    base_delay_ms: 500,
    max_delay_ms: 300_000,
};

/// An idempotency key from 16 random bytes: a version-4 UUID (`xxxxxxxx-xxxx-4xxx-yxxx-…`),
/// as `crypto.randomUUID()` makes, built from `crypto.getRandomValues()` so it works on shops
/// still served over plain http, where `randomUUID` does not exist.
pub fn uuid_v4(mut random: [u8; 16]) -> String {
    random[6] = (random[6] & 0x0f) | 0x40;
    random[8] = (random[8] & 0x3f) | 0x80;
    let hex: String = random.iter().map(|b| format!("{b:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..]
    )
}

/// One request waiting to be delivered.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    /// The idempotency key: the server stores the answer once however often it arrives.
    pub key: String,
    /// Absolute URL of the endpoint (the page that sends it may be another page of the shop).
    pub url: String,
    /// The JSON body, exactly as first sent.
    pub body: String,
    /// `x-lojal-signature` of a signed-in shopper.
    #[serde(default)]
    pub signature: Option<String>,
    /// The same request without the shopper, sent instead if the API refuses her signature
    /// (it expired while the answer waited). Made by the widget, which knows the body's shape.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub anonymous_body: Option<String>,
    pub created_at_ms: f64,
    /// Attempts that failed so far.
    #[serde(default)]
    pub attempts: u32,
    /// Not to be sent before this instant (Unix ms); 0 means at once.
    #[serde(default)]
    pub next_attempt_at_ms: f64,
}

impl Entry {
    pub fn new(
        key: impl Into<String>,
        url: impl Into<String>,
        body: impl Into<String>,
        signature: Option<String>,
        now_ms: f64,
    ) -> Self {
        Self {
            key: key.into(),
            url: url.into(),
            body: body.into(),
            signature,
            anonymous_body: None,
            created_at_ms: now_ms,
            attempts: 0,
            next_attempt_at_ms: 0.0,
        }
    }

    /// Reads a stored entry; `None` for anything that is not one (another script's item, a
    /// truncated write), which the caller removes.
    pub fn parse(json: &str) -> Option<Self> {
        crate::core::json::parse::<Self>(json)
            .ok()
            .filter(|e| !e.key.is_empty() && !e.url.is_empty())
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    pub fn storage_key(&self) -> String {
        format!("{STORAGE_PREFIX}{}", self.key)
    }

    pub fn is_due(&self, now_ms: f64) -> bool {
        self.next_attempt_at_ms <= now_ms
    }

    pub fn is_expired(&self, now_ms: f64) -> bool {
        now_ms - self.created_at_ms > MAX_AGE_MS
    }

    /// Marks the entry as being sent by this page, so others leave it alone meanwhile.
    pub fn claim(&mut self, now_ms: f64) {
        self.next_attempt_at_ms = now_ms + CLAIM_MS;
    }

    /// Makes the entry due at once: the network came back, or a new page loaded.
    pub fn wake(&mut self) {
        self.next_attempt_at_ms = 0.0;
    }

    /// Records one attempt's outcome and says what to do with the entry.
    pub fn settle(&mut self, outcome: Outcome, now_ms: f64, jitter: f64) -> Verdict {
        let verdict = verdict(outcome, self.attempts + 1, now_ms, jitter);
        if let Verdict::RetryAt(at) = verdict {
            self.attempts += 1;
            self.next_attempt_at_ms = at;
        }
        if verdict == (Verdict::Rejected { status: 401 }) && self.anonymise() {
            return Verdict::Anonymised;
        }
        verdict
    }

    /// A signed entry that can go without the shopper if her signature is refused.
    pub fn with_anonymous_body(mut self, body: impl Into<String>) -> Self {
        self.anonymous_body = Some(body.into());
        self
    }

    /// Drops the shopper from a signed entry (its signature, and the body for its anonymous
    /// one), due at once. `false` when there is no anonymous body to fall back on.
    fn anonymise(&mut self) -> bool {
        if self.signature.is_none() {
            return false;
        }
        let Some(body) = self.anonymous_body.take() else {
            return false;
        };
        self.body = body;
        self.signature = None;
        self.next_attempt_at_ms = 0.0;
        true
    }
}

/// What one attempt means for its entry.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Verdict {
    /// 2xx: the shop has it; remove the entry.
    Delivered,
    /// A status no retry can change (409 already answered, 422 invalid, 401 bad signature …):
    /// remove the entry and say so in the console.
    Rejected { status: u16 },
    /// No answer, or a "not now" status: keep it and try again at this instant (Unix ms).
    RetryAt(f64),
    /// 401 for a signed entry: the shopper's signature expired (an answer that waited offline
    /// longer than the shop's window) or was refused. The answer counts more than who gave it:
    /// the entry now goes without the shopper and is due at once.
    Anonymised,
}

/// The verdict on attempt number `attempts_made` (1 for the first).
pub fn verdict(outcome: Outcome, attempts_made: u32, now_ms: f64, jitter: f64) -> Verdict {
    match outcome {
        Outcome::Status {
            status: 200..=299, ..
        } => Verdict::Delivered,
        transient if transient.is_transient() => {
            let wait = BACKOFF
                .delay_before_retry(attempts_made, transient, true, jitter)
                // A Retry-After beyond our patience: wait as long as we ever wait.
                .unwrap_or(BACKOFF.max_delay_ms);
            Verdict::RetryAt(now_ms + f64::from(wait))
        }
        Outcome::Status { status, .. } => Verdict::Rejected { status },
        Outcome::Network | Outcome::Timeout => Verdict::RetryAt(now_ms),
    }
}

/// When the earliest of `entries` falls due; `None` when there are none.
pub fn next_due(entries: &[Entry]) -> Option<f64> {
    entries
        .iter()
        .map(|e| e.next_attempt_at_ms)
        .min_by(|a, b| a.total_cmp(b))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(status: u16) -> Outcome {
        Outcome::Status {
            status,
            retry_after_secs: None,
        }
    }

    fn entry() -> Entry {
        Entry::new(
            "9b2f6a6e-1c43-4c55-8a4d-3f0e0f0c1d2e",
            "http://127.0.0.1:8080/api/v1/feedback",
            r#"{"type":"nps","score":9,"campaign":"2026-Q4"}"#,
            None,
            1_000.0,
        )
    }

    #[test]
    fn transient_failures_are_retried_on_a_growing_schedule_that_never_gives_up() {
        let mut e = entry();
        let mut now = 10_000.0;
        let mut waits = Vec::new();
        for _ in 0..12 {
            match e.settle(Outcome::Network, now, 0.5) {
                Verdict::RetryAt(at) => {
                    waits.push(at - now);
                    now = at;
                }
                other => panic!("gave up: {other:?}"),
            }
        }
        assert_eq!(
            waits,
            [
                500.0, 1_500.0, 4_500.0, 13_500.0, 40_500.0, 121_500.0, 300_000.0, 300_000.0,
                300_000.0, 300_000.0, 300_000.0, 300_000.0
            ]
        );
        assert_eq!(e.attempts, 12);
        assert!(!e.is_due(now - 1.0));
        assert!(e.is_due(now));
    }

    #[test]
    fn each_attempt_is_judged_by_its_outcome() {
        let cases = [
            (status(200), Verdict::Delivered),
            (status(201), Verdict::Delivered),
            (status(500), Verdict::RetryAt(1_500.0)),
            (status(502), Verdict::RetryAt(1_500.0)),
            (status(503), Verdict::RetryAt(1_500.0)),
            (status(429), Verdict::RetryAt(1_500.0)),
            (status(408), Verdict::RetryAt(1_500.0)),
            (Outcome::Timeout, Verdict::RetryAt(1_500.0)),
            (Outcome::Network, Verdict::RetryAt(1_500.0)),
            (status(409), Verdict::Rejected { status: 409 }),
            (status(422), Verdict::Rejected { status: 422 }),
            (status(401), Verdict::Rejected { status: 401 }),
            (status(404), Verdict::Rejected { status: 404 }),
            (status(413), Verdict::Rejected { status: 413 }),
            (status(501), Verdict::Rejected { status: 501 }),
        ];
        for (outcome, expected) in cases {
            assert_eq!(verdict(outcome, 1, 1_000.0, 0.5), expected, "{outcome:?}");
        }
    }

    #[test]
    fn a_signed_answer_refused_for_its_signature_is_sent_again_without_the_shopper() {
        let mut e = entry().with_anonymous_body(r#"{"type":"nps","score":9,"campaign":"2026-Q4"}"#);
        e.body = r#"{"type":"nps","score":9,"customer_id":"c-1001","campaign":"2026-Q4"}"#.into();
        e.signature = Some(format!("t=1764000000,v1={}", "ab".repeat(32)));
        e.next_attempt_at_ms = 99_000.0;
        assert_eq!(e.settle(status(401), 100_000.0, 0.5), Verdict::Anonymised);
        assert_eq!(e.signature, None);
        assert_eq!(
            serde_json::from_str::<serde_json::Value>(&e.body).unwrap(),
            serde_json::json!({"type": "nps", "score": 9, "campaign": "2026-Q4"})
        );
        assert!(e.is_due(0.0));
        assert_eq!(
            e.key,
            entry().key,
            "the same answer, so the same idempotency key"
        );
        // Without the shopper a second 401 is the server's last word, as for any guest.
        assert_eq!(
            e.settle(status(401), 100_500.0, 0.5),
            Verdict::Rejected { status: 401 }
        );
        // Other refusals of a signed answer are not about the signature.
        let mut signed = entry();
        signed.signature = Some("ab".repeat(32));
        assert_eq!(
            signed.settle(status(422), 0.0, 0.5),
            Verdict::Rejected { status: 422 }
        );
        // Without an anonymous body (an entry from an older version) it is rejected as before.
        assert_eq!(
            signed.settle(status(401), 0.0, 0.5),
            Verdict::Rejected { status: 401 }
        );
    }

    #[test]
    fn retry_after_is_honoured_and_capped_at_the_longest_wait() {
        let after = |secs| Outcome::Status {
            status: 503,
            retry_after_secs: Some(secs),
        };
        assert_eq!(verdict(after(7), 1, 0.0, 0.5), Verdict::RetryAt(7_000.0));
        assert_eq!(
            verdict(after(86_400), 1, 0.0, 0.5),
            Verdict::RetryAt(300_000.0)
        );
    }

    #[test]
    fn jitter_spreads_retries_by_a_quarter_either_way() {
        assert_eq!(
            verdict(Outcome::Network, 2, 0.0, 0.0),
            Verdict::RetryAt(1_125.0)
        );
        assert_eq!(
            verdict(Outcome::Network, 2, 0.0, 0.999_999),
            Verdict::RetryAt(1_874.0)
        );
    }

    #[test]
    fn a_delivered_or_rejected_entry_keeps_its_attempt_count() {
        let mut e = entry();
        assert_eq!(e.settle(status(500), 0.0, 0.5), Verdict::RetryAt(500.0));
        assert_eq!(e.settle(status(200), 600.0, 0.5), Verdict::Delivered);
        assert_eq!(e.attempts, 1);
    }

    #[test]
    fn claims_keep_other_flushes_away_and_wake_makes_an_entry_due() {
        let mut e = entry();
        assert!(e.is_due(0.0), "a new entry is due at once");
        e.claim(5_000.0);
        assert!(!e.is_due(5_000.0 + CLAIM_MS - 1.0));
        assert!(e.is_due(5_000.0 + CLAIM_MS));
        e.wake();
        assert!(e.is_due(0.0));
    }

    #[test]
    fn entries_round_trip_through_storage_and_junk_is_recognised() {
        let mut e = entry();
        e.signature = Some("ab".repeat(32));
        e.settle(Outcome::Network, 2_000.0, 0.5);
        assert_eq!(Entry::parse(&e.to_json()), Some(e.clone()));
        assert_eq!(
            e.storage_key(),
            "lojal:outbox:9b2f6a6e-1c43-4c55-8a4d-3f0e0f0c1d2e"
        );
        for junk in [
            "",
            "null",
            "{}",
            "[1,2]",
            r#"{"key":"","url":"x","body":"","created_at_ms":0}"#,
            "{\"key\":\"k\",\"url",
        ] {
            assert_eq!(Entry::parse(junk), None, "{junk:?}");
        }
        // Written by an older version without the optional fields.
        let old = r#"{"key":"k1234567","url":"/api/v1/feedback","body":"{}","created_at_ms":5}"#;
        let parsed = Entry::parse(old).unwrap();
        assert_eq!((parsed.attempts, parsed.next_attempt_at_ms), (0, 0.0));
    }

    #[test]
    fn idempotency_keys_are_version_4_uuids() {
        assert_eq!(uuid_v4([0; 16]), "00000000-0000-4000-8000-000000000000");
        assert_eq!(uuid_v4([0xff; 16]), "ffffffff-ffff-4fff-bfff-ffffffffffff");
        let key = uuid_v4(*b"lojal-feedback!!");
        assert_eq!(key, "6c6f6a61-6c2d-4665-a564-6261636b2121");
        // Fits the server's rule for keys: 8 to 100 of A-Z a-z 0-9 - _.
        assert!(key.len() == 36 && key.bytes().all(|b| b.is_ascii_hexdigit() || b == b'-'));
    }

    #[test]
    fn entries_expire_after_thirty_days() {
        let e = entry();
        assert!(!e.is_expired(1_000.0 + MAX_AGE_MS));
        assert!(e.is_expired(1_001.0 + MAX_AGE_MS));
    }

    #[test]
    fn the_next_wake_up_is_the_earliest_entry() {
        assert_eq!(next_due(&[]), None);
        let mut a = entry();
        let mut b = entry();
        a.next_attempt_at_ms = 9_000.0;
        b.next_attempt_at_ms = 4_000.0;
        assert_eq!(next_due(&[a, b]), Some(4_000.0));
    }
}
