//! Calls out of shop-api: to the shop platform's API and to the merchant's webhook endpoints.
//! Their answers are untrusted input, so every call is bounded: a connect and a total timeout,
//! no redirects (a redirect to another host is an error, never followed), an answer body read
//! up to a cap and no further, and, unless the target was explicitly allowed, no private,
//! loopback or link-local address (the SSRF guard sits in the DNS resolver, so a name that
//! resolves to 127.0.0.1 or to the cloud's metadata address is refused too, also on the
//! addresses actually connected to).

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use reqwest::dns::{Addrs, Name, Resolve, Resolving};

/// The longest a call may take in all.
pub const TIMEOUT: Duration = Duration::from_secs(10);
/// Answer bodies are read up to this many bytes; the rest is never downloaded.
pub const MAX_ANSWER_BYTES: usize = 64 * 1024;

/// Whether an address is one an outbound call may reach without being allowed explicitly.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            !(v4.is_private()
                || v4.is_loopback()
                || v4.is_link_local()
                || v4.is_broadcast()
                || v4.is_unspecified()
                || v4.is_documentation()
                || a == 0
                || (a == 100 && (64..128).contains(&b)) // carrier-grade NAT
                || (a == 198 && (b == 18 || b == 19)) // benchmarking
                || a >= 240)
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_public(IpAddr::V4(v4));
            }
            let first = v6.segments()[0];
            !(v6.is_loopback()
                || v6.is_unspecified()
                || (first & 0xfe00) == 0xfc00 // unique local
                || (first & 0xffc0) == 0xfe80 // link-local
                || (first & 0xff00) == 0xff00) // multicast
        }
    }
}

/// Resolves names, then drops every address the SSRF guard refuses.
struct GuardedResolver;

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        Box::pin(async move {
            let host = name.as_str().to_owned();
            let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0))
                .await?
                .filter(|addr| is_public(addr.ip()))
                .collect();
            if addrs.is_empty() {
                return Err(format!(
                    "{host} resolves only to private, loopback or link-local addresses"
                )
                .into());
            }
            Ok(Box::new(addrs.into_iter()) as Addrs)
        })
    }
}

/// The two clients a shop needs: one that refuses private targets, one for targets the
/// merchant allowed to be private (a test server, an intranet endpoint).
#[derive(Clone)]
pub struct Egress {
    public: reqwest::Client,
    any: reqwest::Client,
}

impl std::fmt::Debug for Egress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Egress")
    }
}

impl Default for Egress {
    fn default() -> Self {
        Self::new()
    }
}

fn builder(timeout: Duration) -> reqwest::ClientBuilder {
    reqwest::Client::builder()
        .connect_timeout(timeout.min(Duration::from_secs(5)))
        .timeout(timeout)
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("lojal-shop-api/", env!("CARGO_PKG_VERSION")))
}

impl Egress {
    pub fn new() -> Self {
        Self::with_timeout(TIMEOUT)
    }

    /// Clients whose calls end after `timeout` (tests use short ones).
    pub fn with_timeout(timeout: Duration) -> Self {
        Self {
            public: builder(timeout)
                .dns_resolver(Arc::new(GuardedResolver))
                .build()
                .expect("the HTTP client builds"),
            any: builder(timeout).build().expect("the HTTP client builds"),
        }
    }

    /// The client for a target; a literal IP address is checked here, names in the resolver.
    pub fn client(
        &self,
        url: &reqwest::Url,
        allow_private: bool,
    ) -> Result<&reqwest::Client, String> {
        if allow_private {
            return Ok(&self.any);
        }
        if let Some(host) = url.host_str() {
            let bare = host.trim_start_matches('[').trim_end_matches(']');
            if let Ok(ip) = bare.parse::<IpAddr>()
                && !is_public(ip)
            {
                return Err(format!(
                    "{host} is a private, loopback or link-local address; allow it explicitly"
                ));
            }
        }
        Ok(&self.public)
    }
}

/// An answer, read within the caps.
#[derive(Clone, Debug)]
pub struct Answer {
    pub status: u16,
    pub retry_after: Option<Duration>,
    pub body: Vec<u8>,
    /// The body was longer than [`MAX_ANSWER_BYTES`] and was cut there.
    pub truncated: bool,
}

/// Why a call did not bring an answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CallError {
    /// Refused before sending (a private target, a bad URL): never worth retrying as is.
    Refused(String),
    /// No answer: connection refused or reset, DNS, timeout. Worth retrying.
    Transport(String),
}

impl std::fmt::Display for CallError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Refused(why) => write!(f, "refused: {why}"),
            Self::Transport(why) => write!(f, "no answer: {why}"),
        }
    }
}

/// Sends `request` and reads the answer within the caps.
pub async fn call(request: reqwest::RequestBuilder) -> Result<Answer, CallError> {
    let mut response = request.send().await.map_err(|e| {
        let mut text = e.to_string();
        let mut source = std::error::Error::source(&e);
        while let Some(cause) = source {
            text.push_str(": ");
            text.push_str(&cause.to_string());
            source = cause.source();
        }
        if text.contains("private, loopback or link-local") {
            CallError::Refused(text)
        } else {
            CallError::Transport(text)
        }
    })?;
    let status = response.status().as_u16();
    let retry_after = response
        .headers()
        .get(reqwest::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map(Duration::from_secs);
    let mut body = Vec::new();
    let mut truncated = false;
    loop {
        match response.chunk().await {
            Ok(Some(chunk)) => {
                let room = MAX_ANSWER_BYTES - body.len();
                if chunk.len() > room {
                    body.extend_from_slice(&chunk[..room]);
                    truncated = true;
                    break;
                }
                body.extend_from_slice(&chunk);
            }
            Ok(None) => break,
            // The status arrived; a body cut off mid-way is still an answer.
            Err(_) => {
                truncated = true;
                break;
            }
        }
    }
    Ok(Answer {
        status,
        retry_after,
        body,
        truncated,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_loopback_and_link_local_addresses_are_not_public() {
        for ip in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "0.0.0.0",
            "100.64.0.1",
            "::1",
            "fe80::1",
            "fd00::1",
            "::ffff:127.0.0.1",
            "::ffff:169.254.169.254",
        ] {
            assert!(!is_public(ip.parse().unwrap()), "{ip}");
        }
        for ip in ["93.184.216.34", "1.1.1.1", "2606:4700:4700::1111"] {
            assert!(is_public(ip.parse().unwrap()), "{ip}");
        }
    }
}
