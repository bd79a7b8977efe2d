//! Signed customer ids. The shop's theme renders, next to the id,
//! `customer-sig="t=<unix seconds>,v1=<hex HMAC-SHA256 of '<customer-id>.<t>'>"` under the shop
//! secret, so a shopper cannot read someone else's balance by editing an attribute, and a
//! signature that leaks (a cached page, a screenshot, a log) stops working after a window.
//!
//! A second, previous secret may be accepted beside the current one while the merchant rotates
//! it, and today's timeless form (`hex HMAC of the id`) only behind a legacy setting.

use std::time::{SystemTime, UNIX_EPOCH};

use hmac::{Hmac, Mac};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

/// How long a signature is accepted by default: one day. Long enough for a page a shopper left
/// open overnight, or one held in the browser's back/forward cache, to keep working; short
/// enough that a signature from yesterday's cached page or a support screenshot is worthless.
pub const DEFAULT_MAX_AGE_SECS: u64 = 24 * 3600;
/// How far in the future a signature's time may lie: the theme's server and this one may
/// disagree about the time by this much.
pub const CLOCK_SKEW_SECS: u64 = 5 * 60;
/// The window a merchant may set: from one minute (pages are rendered fresh for every
/// shopper) to 30 days (a shop whose pages are cached for a long time).
pub const MAX_AGE_RANGE_SECS: std::ops::RangeInclusive<u64> = 60..=30 * 24 * 3600;

/// The secrets that sign customer ids, and the rules for accepting a signature.
#[derive(Clone)]
pub struct ShopSecret {
    current: Vec<u8>,
    previous: Option<Vec<u8>>,
    max_age_secs: u64,
    legacy_timeless: bool,
}

/// Why a signature was refused. Every refusal is the same 401 `invalid_signature` to the
/// client; the message says more only once the signature is proven genuine, so a forger learns
/// nothing and a theme developer with a real but stale signature learns why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// Missing, or not of the form `t=<digits>,v1=<64 hex digits>`.
    Malformed,
    /// Well formed, but made with another secret or for another id or time.
    Mismatch,
    /// Genuine, but older than the window.
    Expired { age_secs: u64, max_age_secs: u64 },
    /// Genuine, but dated further in the future than the clock skew allows.
    FromTheFuture { ahead_secs: u64 },
    /// A genuine signature of the old, timeless form, without the legacy setting.
    Timeless,
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Malformed => f.write_str(
                "the x-lojal-signature header is missing or not of the form \
                 t=<unix seconds>,v1=<hex HMAC-SHA256 of '<customer id>.<t>'>",
            ),
            Self::Mismatch => {
                f.write_str("the x-lojal-signature header does not match the customer id")
            }
            Self::Expired {
                age_secs,
                max_age_secs,
            } => write!(
                f,
                "the customer signature has expired: it was made {age_secs} s ago and this shop \
                 accepts signatures for {max_age_secs} s; the theme must render a fresh one on \
                 every page"
            ),
            Self::FromTheFuture { ahead_secs } => write!(
                f,
                "the customer signature is dated {ahead_secs} s in the future (at most \
                 {CLOCK_SKEW_SECS} s of clock skew are allowed): check the clock of the server \
                 that renders the theme"
            ),
            Self::Timeless => f.write_str(
                "timeless customer signatures are no longer accepted: render \
                 t=<unix seconds>,v1=<hex HMAC-SHA256 of '<customer id>.<t>'> instead \
                 (or set LOJAL_LEGACY_TIMELESS_SIGNATURES while the theme changes)",
            ),
        }
    }
}

/// The two forms a signature header can take.
enum Parsed {
    Timed { t: u64, mac: Vec<u8> },
    Timeless { mac: Vec<u8> },
}

fn parse(signature: &str) -> Option<Parsed> {
    let signature = signature.trim();
    let hex_mac = |s: &str| (s.len() == 64).then(|| hex::decode(s).ok()).flatten();
    match signature.split_once(',') {
        Some((t, v1)) => {
            let t = t.trim().strip_prefix("t=")?;
            let v1 = v1.trim().strip_prefix("v1=")?;
            // Up to 12 digits: far beyond any real time, and never an overflow.
            if t.is_empty() || t.len() > 12 || !t.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            Some(Parsed::Timed {
                t: t.parse().ok()?,
                mac: hex_mac(v1)?,
            })
        }
        None => hex_mac(signature).map(|mac| Parsed::Timeless { mac }),
    }
}

/// Seconds since the Unix epoch on this server's clock.
pub fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

impl ShopSecret {
    /// The current secret, the default window, no previous secret, no timeless signatures.
    pub fn new(secret: impl Into<Vec<u8>>) -> Self {
        Self {
            current: secret.into(),
            previous: None,
            max_age_secs: DEFAULT_MAX_AGE_SECS,
            legacy_timeless: false,
        }
    }

    /// Also accept signatures made with the secret this one replaces, until it is removed.
    pub fn with_previous(mut self, previous: impl Into<Vec<u8>>) -> Self {
        self.previous = Some(previous.into());
        self
    }

    /// How long a signature is accepted (seconds, within [`MAX_AGE_RANGE_SECS`]).
    pub fn with_max_age(mut self, secs: u64) -> Result<Self, String> {
        if !MAX_AGE_RANGE_SECS.contains(&secs) {
            return Err(format!(
                "{secs} s is outside {} s to {} s",
                MAX_AGE_RANGE_SECS.start(),
                MAX_AGE_RANGE_SECS.end()
            ));
        }
        self.max_age_secs = secs;
        Ok(self)
    }

    /// Accept the old `hex HMAC of the id` form too, which never expires.
    pub fn with_legacy_timeless(mut self, on: bool) -> Self {
        self.legacy_timeless = on;
        self
    }

    pub fn max_age_secs(&self) -> u64 {
        self.max_age_secs
    }

    /// A key for the server's own keyed hashes (of client addresses, say), never sent out.
    pub fn hash_key(&self) -> &[u8] {
        &self.current
    }

    pub fn has_previous(&self) -> bool {
        self.previous.is_some()
    }

    fn mac(key: &[u8], message: &[&[u8]]) -> HmacSha256 {
        let mut mac = HmacSha256::new_from_slice(key).expect("HMAC accepts keys of any length");
        for part in message {
            mac.update(part);
        }
        mac
    }

    /// Whether `mac` is the HMAC of `message` under the current or the previous secret. Both
    /// are always computed, each compared in constant time, so the answer's timing tells
    /// nothing about which secret (if any) matched.
    fn matches(&self, message: &[&[u8]], mac: &[u8]) -> bool {
        let current = Self::mac(&self.current, message).verify_slice(mac).is_ok();
        let previous = self
            .previous
            .as_deref()
            .is_some_and(|key| Self::mac(key, message).verify_slice(mac).is_ok());
        current | previous
    }

    /// The signature a theme renders for `customer_id` at `t` (Unix seconds), with the current
    /// secret: `t=<t>,v1=<lowercase hex>`.
    pub fn sign_at(&self, customer_id: &str, t: u64) -> String {
        let t = t.to_string();
        let mac = Self::mac(&self.current, &[customer_id.as_bytes(), b".", t.as_bytes()]);
        format!("t={t},v1={}", hex::encode(mac.finalize().into_bytes()))
    }

    /// A fresh signature, as the demo's pages and `shop-api sign` render it.
    pub fn sign(&self, customer_id: &str) -> String {
        self.sign_at(customer_id, unix_now())
    }

    /// Checks a signature header for `customer_id` at `now` (Unix seconds).
    pub fn verify_at(&self, customer_id: &str, signature: &str, now: u64) -> Result<(), Refusal> {
        match parse(signature).ok_or(Refusal::Malformed)? {
            Parsed::Timed { t, mac } => {
                let t_text = t.to_string();
                if !self.matches(&[customer_id.as_bytes(), b".", t_text.as_bytes()], &mac) {
                    return Err(Refusal::Mismatch);
                }
                if t > now + CLOCK_SKEW_SECS {
                    return Err(Refusal::FromTheFuture {
                        ahead_secs: t - now,
                    });
                }
                let age_secs = now.saturating_sub(t);
                if age_secs > self.max_age_secs {
                    return Err(Refusal::Expired {
                        age_secs,
                        max_age_secs: self.max_age_secs,
                    });
                }
                Ok(())
            }
            Parsed::Timeless { mac } => {
                if !self.matches(&[customer_id.as_bytes()], &mac) {
                    Err(Refusal::Mismatch)
                } else if self.legacy_timeless {
                    Ok(())
                } else {
                    Err(Refusal::Timeless)
                }
            }
        }
    }

    /// Checks a signature header for `customer_id` now.
    pub fn verify(&self, customer_id: &str, signature: &str) -> Result<(), Refusal> {
        self.verify_at(customer_id, signature, unix_now())
    }

    /// The old, timeless form (hex HMAC of the id alone), for the legacy setting's tests.
    pub fn sign_timeless(&self, customer_id: &str) -> String {
        hex::encode(
            Self::mac(&self.current, &[customer_id.as_bytes()])
                .finalize()
                .into_bytes(),
        )
    }
}

/// Reads a window such as `24h`, `90m`, `3600s`, `2d` or a plain number of seconds.
pub fn parse_max_age(text: &str) -> Result<u64, String> {
    let text = text.trim();
    let (digits, unit) = match text.find(|c: char| !c.is_ascii_digit()) {
        Some(i) => text.split_at(i),
        None => (text, "s"),
    };
    let per_unit = match unit.trim() {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        _ => {
            return Err(format!(
                "{text:?}: write a number with s, m, h or d, e.g. 24h"
            ));
        }
    };
    let n: u64 = digits
        .parse()
        .map_err(|_| format!("{text:?}: write a number with s, m, h or d, e.g. 24h"))?;
    n.checked_mul(per_unit)
        .ok_or_else(|| format!("{text:?} is too long"))
}

impl std::fmt::Debug for ShopSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ShopSecret")
            .field("previous", &self.previous.is_some())
            .field("max_age_secs", &self.max_age_secs)
            .field("legacy_timeless", &self.legacy_timeless)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: u64 = 1_764_000_000;

    #[test]
    fn the_mac_is_rfc_4231_hmac_sha256_of_id_dot_time() {
        // RFC 4231 test case 2: key "Jefe", data "what do ya want for nothing?", split here
        // into an id and a time so that '<id>.<t>' is exactly that data.
        let secret = ShopSecret::new("Jefe");
        let expected = "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843";
        let mac = ShopSecret::mac(&secret.current, &[b"what do ya want for nothing?"]);
        assert_eq!(hex::encode(mac.finalize().into_bytes()), expected);
        assert_eq!(
            secret.sign_timeless("what do ya want for nothing?"),
            expected
        );
        let signed = secret.sign_at("c-1001", NOW);
        let by_hand = ShopSecret::mac(b"Jefe", &[format!("c-1001.{NOW}").as_bytes()]);
        assert_eq!(
            signed,
            format!(
                "t={NOW},v1={}",
                hex::encode(by_hand.finalize().into_bytes())
            )
        );
    }

    #[test]
    fn a_signature_is_accepted_inside_its_window_and_refused_outside_it() {
        let secret = ShopSecret::new("s");
        let at = |t: u64| secret.sign_at("c-1", t);
        let day = DEFAULT_MAX_AGE_SECS;
        let cases = [
            (at(NOW), Ok(())),
            (at(NOW - day), Ok(())),
            (
                at(NOW - day - 1),
                Err(Refusal::Expired {
                    age_secs: day + 1,
                    max_age_secs: day,
                }),
            ),
            (at(NOW + CLOCK_SKEW_SECS), Ok(())),
            (
                at(NOW + CLOCK_SKEW_SECS + 1),
                Err(Refusal::FromTheFuture {
                    ahead_secs: CLOCK_SKEW_SECS + 1,
                }),
            ),
            (
                at(0),
                Err(Refusal::Expired {
                    age_secs: NOW,
                    max_age_secs: day,
                }),
            ),
        ];
        for (signature, expected) in cases {
            assert_eq!(
                secret.verify_at("c-1", &signature, NOW),
                expected,
                "{signature}"
            );
        }
        let short = ShopSecret::new("s").with_max_age(600).unwrap();
        assert!(short.verify_at("c-1", &at(NOW - 600), NOW).is_ok());
        assert!(short.verify_at("c-1", &at(NOW - 601), NOW).is_err());
    }

    #[test]
    fn altering_the_id_the_time_or_the_mac_is_a_mismatch_and_junk_is_malformed() {
        let secret = ShopSecret::new("s");
        let good = secret.sign_at("c-1", NOW);
        let mac = good.split_once(",v1=").unwrap().1.to_owned();
        let flipped = format!(
            "{}{}",
            &mac[..63],
            if mac.ends_with('0') { '1' } else { '0' }
        );
        let cases = [
            ("c-2", good.clone(), Refusal::Mismatch),
            ("c-1", format!("t={},v1={mac}", NOW - 1), Refusal::Mismatch),
            ("c-1", format!("t={NOW},v1={flipped}"), Refusal::Mismatch),
            (
                "c-1",
                ShopSecret::new("other").sign_at("c-1", NOW),
                Refusal::Mismatch,
            ),
            ("c-1", String::new(), Refusal::Malformed),
            ("c-1", "t=,v1=".into(), Refusal::Malformed),
            ("c-1", format!("v1={mac},t={NOW}"), Refusal::Malformed),
            ("c-1", format!("t=-5,v1={mac}"), Refusal::Malformed),
            ("c-1", format!("t={NOW}"), Refusal::Malformed),
            (
                "c-1",
                format!("t={NOW},v1={}", &mac[..62]),
                Refusal::Malformed,
            ),
            (
                "c-1",
                format!("t=9999999999999,v1={mac}"),
                Refusal::Malformed,
            ),
            (
                "c-1",
                format!("t={NOW},v1={mac},v1={mac}"),
                Refusal::Malformed,
            ),
            ("c-1", "not hex at all".into(), Refusal::Malformed),
        ];
        for (id, signature, expected) in cases {
            assert_eq!(
                secret.verify_at(id, &signature, NOW),
                Err(expected),
                "{id} {signature}"
            );
        }
        // Upper-case hex and spaces around the parts are the same signature.
        let upper = format!(" t={NOW}, v1={} ", mac.to_uppercase());
        assert_eq!(secret.verify_at("c-1", &upper, NOW), Ok(()));
    }

    #[test]
    fn the_previous_secret_is_accepted_only_while_it_is_configured() {
        let old = ShopSecret::new("old");
        let signed_with_old = old.sign_at("c-1", NOW);
        let rotating = ShopSecret::new("new").with_previous("old");
        assert_eq!(rotating.verify_at("c-1", &signed_with_old, NOW), Ok(()));
        assert_eq!(
            rotating.verify_at("c-1", &rotating.sign_at("c-1", NOW), NOW),
            Ok(()),
            "new signatures use the new secret"
        );
        assert_eq!(
            old.verify_at("c-1", &rotating.sign_at("c-1", NOW), NOW),
            Err(Refusal::Mismatch)
        );
        let rotated = ShopSecret::new("new");
        assert_eq!(
            rotated.verify_at("c-1", &signed_with_old, NOW),
            Err(Refusal::Mismatch)
        );
        // The previous secret's signatures expire like any other.
        assert!(matches!(
            rotating.verify_at(
                "c-1",
                &old.sign_at("c-1", NOW - DEFAULT_MAX_AGE_SECS - 1),
                NOW
            ),
            Err(Refusal::Expired { .. })
        ));
    }

    #[test]
    fn the_timeless_form_needs_the_legacy_setting() {
        let secret = ShopSecret::new("s");
        let timeless = secret.sign_timeless("c-1");
        assert_eq!(
            secret.verify_at("c-1", &timeless, NOW),
            Err(Refusal::Timeless)
        );
        assert_eq!(
            secret.verify_at("c-2", &timeless, NOW),
            Err(Refusal::Mismatch),
            "a forged timeless signature says nothing about the form"
        );
        let legacy = ShopSecret::new("s").with_legacy_timeless(true);
        assert_eq!(legacy.verify_at("c-1", &timeless, NOW), Ok(()));
        assert_eq!(
            legacy.verify_at("c-1", &timeless.to_uppercase(), NOW),
            Ok(())
        );
        assert_eq!(
            legacy.verify_at("c-2", &timeless, NOW),
            Err(Refusal::Mismatch)
        );
        assert_eq!(
            legacy.verify_at(
                "c-1",
                &legacy.sign_at("c-1", NOW - DEFAULT_MAX_AGE_SECS - 1),
                NOW
            ),
            Err(Refusal::Expired {
                age_secs: DEFAULT_MAX_AGE_SECS + 1,
                max_age_secs: DEFAULT_MAX_AGE_SECS
            }),
            "the legacy setting does not stretch the window of timed signatures"
        );
    }

    #[test]
    fn windows_are_read_with_their_unit_and_kept_in_range() {
        assert_eq!(parse_max_age("24h"), Ok(86_400));
        assert_eq!(parse_max_age("90m"), Ok(5_400));
        assert_eq!(parse_max_age("3600"), Ok(3_600));
        assert_eq!(parse_max_age("3600s"), Ok(3_600));
        assert_eq!(parse_max_age("2d"), Ok(172_800));
        assert!(parse_max_age("1w").is_err());
        assert!(parse_max_age("h").is_err());
        assert!(parse_max_age("").is_err());
        assert!(parse_max_age("99999999999999999999d").is_err());
        assert!(ShopSecret::new("s").with_max_age(59).is_err());
        assert!(ShopSecret::new("s").with_max_age(31 * 86_400).is_err());
        assert!(ShopSecret::new("s").with_max_age(30 * 86_400).is_ok());
    }
}
