//! The HTTP client every widget uses: base URL, timeout, retries with backoff for requests that
//! are safe to repeat, and typed errors that name the endpoint and the status.

pub mod json;
pub mod outbox;

use crate::core::retry::{Outcome, RetryPolicy, parse_retry_after};
use crate::core::url;
use crate::core::wire::{ErrorBody, IDEMPOTENCY_HEADER};
use gloo_net::http::{Request, RequestBuilder, Response};
use gloo_timers::callback::Timeout;
use gloo_timers::future::TimeoutFuture;
use std::cell::Cell;
use std::rc::Rc;
use web_sys::AbortController;

/// How long one attempt may take before it is abandoned.
pub const DEFAULT_TIMEOUT_MS: u32 = 8_000;

/// A request that did not produce the expected answer.
#[derive(Clone, Debug, PartialEq)]
pub enum ApiError {
    /// No answer at all: offline, refused, reset, or blocked by CORS.
    Network { endpoint: String },
    /// No answer within the timeout.
    Timeout { endpoint: String, after_ms: u32 },
    /// The server answered with an error status. `code` is the API's machine-readable code when
    /// the body was a lojal error body.
    Status {
        endpoint: String,
        status: u16,
        code: Option<String>,
        message: String,
        /// The `Retry-After` seconds, when the server sent them (a game's 429 says when).
        retry_after_secs: Option<u32>,
    },
    /// The server answered 2xx with a body the widget cannot use.
    Body { endpoint: String, problem: String },
}

impl ApiError {
    pub fn status(&self) -> Option<u16> {
        match self {
            Self::Status { status, .. } => Some(*status),
            _ => None,
        }
    }

    pub fn code(&self) -> Option<&str> {
        match self {
            Self::Status { code, .. } => code.as_deref(),
            _ => None,
        }
    }

    pub fn retry_after_secs(&self) -> Option<u32> {
        match self {
            Self::Status {
                retry_after_secs, ..
            } => *retry_after_secs,
            _ => None,
        }
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Network { endpoint } => write!(
                f,
                "{endpoint}: no answer (offline, refused or blocked by CORS)"
            ),
            Self::Timeout { endpoint, after_ms } => {
                write!(f, "{endpoint}: no answer within {after_ms} ms")
            }
            Self::Status {
                endpoint,
                status,
                message,
                ..
            } => write!(f, "{endpoint}: HTTP {status}: {message}"),
            Self::Body { endpoint, problem } => write!(f, "{endpoint}: unusable answer: {problem}"),
        }
    }
}

/// `parse`'s verdict on a successful answer's body, its error naming the endpoint.
fn parse_body<T, E: std::fmt::Display>(
    endpoint: String,
    body: &str,
    parse: impl Fn(&str) -> Result<T, E>,
) -> Result<T, ApiError> {
    parse(body).map_err(|e| ApiError::Body {
        endpoint,
        problem: e.to_string(),
    })
}

/// Resolves a relative base such as `/api/v1` against the page, so every error message names
/// the full URL a merchant can paste into a browser or curl.
pub fn absolute(base: String) -> String {
    let page = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.base_uri().ok().flatten());
    page.and_then(|page| web_sys::Url::new_with_base(&base, &page).ok())
        .map(|url| url.href())
        .unwrap_or(base)
}

/// One shop API, as the page configured it.
#[derive(Clone, Debug, PartialEq)]
pub struct ApiClient {
    base: String,
    timeout_ms: u32,
    retry: RetryPolicy,
}

impl ApiClient {
    pub fn new(base: impl Into<String>) -> Self {
        Self {
            base: absolute(base.into()),
            timeout_ms: DEFAULT_TIMEOUT_MS,
            retry: RetryPolicy::default(),
        }
    }

    /// The absolute URL of `path` below the base, as the outbox stores it.
    pub fn url(&self, path: &str) -> String {
        url::join(&self.base, path)
    }

    /// GETs `path` (below the base) and hands the body to `parse`. Retried on transient failure.
    pub async fn get<T, E: std::fmt::Display>(
        &self,
        path: &str,
        headers: &[(&str, &str)],
        parse: impl Fn(&str) -> Result<T, E>,
    ) -> Result<T, ApiError> {
        self.get_url(&url::join(&self.base, path), headers, parse)
            .await
    }

    /// GETs a full URL (or a path on the page's origin), with this client's timeout and retries.
    pub async fn get_url<T, E: std::fmt::Display>(
        &self,
        url: &str,
        headers: &[(&str, &str)],
        parse: impl Fn(&str) -> Result<T, E>,
    ) -> Result<T, ApiError> {
        let (endpoint, body) = self.get_text(url, headers).await?;
        parse_body(endpoint, &body, parse)
    }

    /// POSTs JSON. With an idempotency key the server applies it once however often it
    /// arrives, so transient failures are retried; without one it is sent exactly once.
    pub async fn post<T, E: std::fmt::Display>(
        &self,
        path: &str,
        headers: &[(&str, &str)],
        json: String,
        idempotency_key: Option<&str>,
        parse: impl Fn(&str) -> Result<T, E>,
    ) -> Result<T, ApiError> {
        let (endpoint, body) = self
            .write_text("POST", path, headers, &json, idempotency_key)
            .await?;
        parse_body(endpoint, &body, parse)
    }

    /// PUTs JSON: the whole new state of something, which is safe to send again, so transient
    /// failures are retried.
    pub async fn put<T, E: std::fmt::Display>(
        &self,
        path: &str,
        headers: &[(&str, &str)],
        json: String,
        parse: impl Fn(&str) -> Result<T, E>,
    ) -> Result<T, ApiError> {
        let (endpoint, body) = self.write_text("PUT", path, headers, &json, None).await?;
        parse_body(endpoint, &body, parse)
    }

    // The request halves are not generic over what the body parses into: one copy of the
    // retry loop serves every endpoint, where a generic one was compiled again for each.
    async fn get_text(
        &self,
        url: &str,
        headers: &[(&str, &str)],
    ) -> Result<(String, String), ApiError> {
        let url = absolute(url.to_owned());
        let endpoint = format!("GET {url}");
        let build = || {
            headers
                .iter()
                .fold(Request::get(&url), |r, (k, v)| r.header(k, v))
        };
        let body = self.send(&endpoint, true, &build, None).await?;
        Ok((endpoint, body))
    }

    async fn write_text(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        json: &str,
        idempotency_key: Option<&str>,
    ) -> Result<(String, String), ApiError> {
        let url = url::join(&self.base, path);
        let endpoint = format!("{method} {url}");
        let put = method == "PUT";
        let build = || {
            let start = if put {
                Request::put(&url)
            } else {
                Request::post(&url)
            };
            let request = headers
                .iter()
                .fold(start, |r, (k, v)| r.header(k, v))
                .header("content-type", "application/json");
            match idempotency_key {
                Some(key) => request.header(IDEMPOTENCY_HEADER, key),
                None => request,
            }
        };
        let body = self
            .send(
                &endpoint,
                put || idempotency_key.is_some(),
                &build,
                Some(json),
            )
            .await?;
        Ok((endpoint, body))
    }

    async fn send(
        &self,
        endpoint: &str,
        safe: bool,
        build: &dyn Fn() -> RequestBuilder,
        body: Option<&str>,
    ) -> Result<String, ApiError> {
        let mut attempts = 0;
        loop {
            attempts += 1;
            let (outcome, error) = match self.attempt(endpoint, build(), body).await {
                Ok(text) => return Ok(text),
                Err(failure) => failure,
            };
            let jitter = js_sys::Math::random();
            match self
                .retry
                .delay_before_retry(attempts, outcome, safe, jitter)
            {
                Some(ms) => TimeoutFuture::new(ms).await,
                None => return Err(error),
            }
        }
    }

    async fn attempt(
        &self,
        endpoint: &str,
        builder: RequestBuilder,
        body: Option<&str>,
    ) -> Result<String, (Outcome, ApiError)> {
        let network = || {
            (
                Outcome::Network,
                ApiError::Network {
                    endpoint: endpoint.to_owned(),
                },
            )
        };
        let controller = AbortController::new().map_err(|_| network())?;
        let timed_out = Rc::new(Cell::new(false));
        let timer = {
            let (controller, timed_out) = (controller.clone(), timed_out.clone());
            Timeout::new(self.timeout_ms, move || {
                timed_out.set(true);
                controller.abort();
            })
        };
        let builder = builder.abort_signal(Some(&controller.signal()));
        let request = match body {
            Some(json) => builder.body(json.to_owned()),
            None => builder.build(),
        }
        .map_err(|_| network())?;
        let result = async {
            let response = request.send().await?;
            let text = response.text().await?;
            Ok::<(Response, String), gloo_net::Error>((response, text))
        }
        .await;
        timer.cancel();
        let (response, text) = match result {
            Ok(answer) => answer,
            Err(_) if timed_out.get() => {
                return Err((
                    Outcome::Timeout,
                    ApiError::Timeout {
                        endpoint: endpoint.to_owned(),
                        after_ms: self.timeout_ms,
                    },
                ));
            }
            Err(_) => return Err(network()),
        };
        let status = response.status();
        if (200..300).contains(&status) {
            return Ok(text);
        }
        let retry_after_secs = response
            .headers()
            .get("retry-after")
            .as_deref()
            .and_then(parse_retry_after);
        let (code, message) = match ErrorBody::parse(&text) {
            Some(body) => (Some(body.error.code), body.error.message),
            None => (None, response.status_text()),
        };
        Err((
            Outcome::Status {
                status,
                retry_after_secs,
            },
            ApiError::Status {
                endpoint: endpoint.to_owned(),
                status,
                code,
                message,
                retry_after_secs,
            },
        ))
    }
}
