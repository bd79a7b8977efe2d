//! Request rate limits: per client IP for every API request, and per signed customer for every
//! write, so one script cannot drain a campaign's prizes or flood the feedback table. A refusal
//! is a 429 with `Retry-After`, which the widgets honour.
//!
//! Built on `governor` (GCRA, the algorithm behind most API gateways); this module only picks the
//! keys and writes the JSON answer. Limits are per process: several instances behind a load
//! balancer each count their own share.

use std::net::{IpAddr, SocketAddr};
use std::num::NonZeroU32;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderValue, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use lojal::core::wire::SIGNATURE_HEADER;

use crate::error::ApiError;

/// How many requests a key may make: `per_second` on average, `burst` at once.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rate {
    pub per_second: NonZeroU32,
    pub burst: NonZeroU32,
}

impl Rate {
    fn quota(self) -> Quota {
        Quota::per_second(self.per_second).allow_burst(self.burst)
    }
}

impl std::str::FromStr for Rate {
    type Err = String;

    /// `20/s` or `20/s,burst=100`.
    fn from_str(text: &str) -> Result<Self, String> {
        let bad = || format!("not a rate (e.g. 20/s or 20/s,burst=100): {text:?}");
        let (rate, burst) = match text.split_once(',') {
            Some((rate, burst)) => (
                rate,
                Some(burst.trim().strip_prefix("burst=").ok_or_else(bad)?),
            ),
            None => (text, None),
        };
        let per_second: NonZeroU32 = rate
            .trim()
            .strip_suffix("/s")
            .and_then(|n| n.parse().ok())
            .ok_or_else(bad)?;
        let burst = match burst {
            Some(b) => b.parse().map_err(|_| bad())?,
            None => per_second,
        };
        Ok(Self { per_second, burst })
    }
}

/// The limits one server enforces.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RateLimits {
    /// Every API request, keyed by client IP. Generous: a mobile carrier puts many shoppers
    /// behind one address.
    pub per_ip: Rate,
    /// Every POST with a customer signature, keyed by that signature (one per customer).
    pub per_customer: Rate,
    /// Take the client IP from the last `X-Forwarded-For` hop (behind a trusted proxy only).
    pub trust_forwarded_for: bool,
}

impl Default for RateLimits {
    fn default() -> Self {
        let rate = |per_second, burst| Rate {
            per_second: NonZeroU32::new(per_second).expect("non-zero"),
            burst: NonZeroU32::new(burst).expect("non-zero"),
        };
        Self {
            per_ip: rate(20, 100),
            per_customer: rate(2, 10),
            trust_forwarded_for: false,
        }
    }
}

#[derive(Clone)]
pub struct Limiter(Arc<Inner>);

struct Inner {
    limits: RateLimits,
    per_ip: DefaultKeyedRateLimiter<IpAddr>,
    per_customer: DefaultKeyedRateLimiter<String>,
    requests: AtomicU64,
}

impl Limiter {
    pub fn new(limits: RateLimits) -> Self {
        Self(Arc::new(Inner {
            limits,
            per_ip: RateLimiter::keyed(limits.per_ip.quota()),
            per_customer: RateLimiter::keyed(limits.per_customer.quota()),
            requests: AtomicU64::new(0),
        }))
    }

    fn client_ip(&self, request: &Request) -> Option<IpAddr> {
        let peer = request
            .extensions()
            .get::<ConnectInfo<SocketAddr>>()
            .map(|ConnectInfo(addr)| addr.ip());
        client_ip_of(request.headers(), peer, self.0.limits.trust_forwarded_for)
    }

    /// Seconds until `request` may be let through, or `None` to let it through now.
    fn wait_for(&self, request: &Request) -> Option<u64> {
        // The stores keep one entry per key seen; forget idle ones now and then.
        if self.0.requests.fetch_add(1, Ordering::Relaxed) % 4096 == 4095 {
            self.0.per_ip.retain_recent();
            self.0.per_customer.retain_recent();
        }
        let now = DefaultClock::default().now();
        let wait = |outcome: Result<(), governor::NotUntil<_>>| {
            outcome
                .err()
                .map(|not_until| not_until.wait_time_from(now).as_secs() + 1)
        };
        if let Some(ip) = self.client_ip(request) {
            if let Some(secs) = wait(self.0.per_ip.check_key(&ip)) {
                return Some(secs);
            }
        }
        let signature = request
            .headers()
            .get(SIGNATURE_HEADER)
            .and_then(|v| v.to_str().ok());
        if let (&Method::POST, Some(signature)) = (request.method(), signature) {
            return wait(self.0.per_customer.check_key(&signature.to_owned()));
        }
        None
    }
}

pub async fn enforce(State(limiter): State<Limiter>, request: Request, next: Next) -> Response {
    let Some(secs) = limiter.wait_for(&request) else {
        return next.run(request).await;
    };
    let mut response = ApiError::TooManyRequests {
        retry_after_secs: secs,
    }
    .into_response();
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from(secs));
    response
}

/// The connection's peer address, when the server was started with connect info (tests that
/// call the router directly have none).
pub struct Peer(pub Option<IpAddr>);

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for Peer {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _state: &S,
    ) -> Result<Self, Self::Rejection> {
        Ok(Self(
            parts
                .extensions
                .get::<ConnectInfo<SocketAddr>>()
                .map(|ConnectInfo(addr)| addr.ip()),
        ))
    }
}

/// The client's address: the last `X-Forwarded-For` hop when the proxy in front is trusted,
/// else the peer of the connection.
pub fn client_ip_of(
    headers: &axum::http::HeaderMap,
    peer: Option<IpAddr>,
    trust_forwarded_for: bool,
) -> Option<IpAddr> {
    if trust_forwarded_for {
        let forwarded = headers
            .get("x-forwarded-for")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.rsplit(',').next())
            .and_then(|ip| ip.trim().parse().ok());
        if forwarded.is_some() {
            return forwarded;
        }
    }
    peer
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_parse_with_and_without_burst() {
        assert_eq!(
            "20/s".parse::<Rate>().unwrap(),
            Rate {
                per_second: NonZeroU32::new(20).unwrap(),
                burst: NonZeroU32::new(20).unwrap()
            }
        );
        assert_eq!(
            "2/s, burst=10".parse::<Rate>().unwrap().burst,
            NonZeroU32::new(10).unwrap()
        );
        for bad in ["", "0/s", "20", "20/m", "20/s,10", "x/s", "20/s,burst=0"] {
            assert!(bad.parse::<Rate>().is_err(), "{bad}");
        }
    }
}
