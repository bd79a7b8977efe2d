//! The console's calls to the merchant API: same origin, the session cookie sent by the
//! browser, and every write with the session's CSRF token. A call that finds the session gone
//! sends the browser to the sign-in form.

use std::cell::RefCell;

use gloo_net::http::{Request, RequestBuilder};
use serde::Serialize;
use serde::de::DeserializeOwned;

thread_local! {
    static CSRF: RefCell<String> = const { RefCell::new(String::new()) };
}

/// Remembers the session's CSRF token for the writes that follow.
pub fn set_csrf(token: &str) {
    CSRF.with(|t| *t.borrow_mut() = token.to_owned());
}

/// The session's CSRF token: the one read when the console started, or read now when a write
/// comes first (a page that writes as it opens, such as the programme's preview, can be quicker
/// than that first read, and its write was refused for want of the token).
async fn csrf_token() -> Result<String, Failure> {
    let known = CSRF.with(|t| t.borrow().clone());
    if !known.is_empty() {
        return Ok(known);
    }
    let info = get::<lojal::core::console::SessionInfo>("/api/v1/console/session").await?;
    set_csrf(&info.csrf_token);
    Ok(info.csrf_token)
}

/// Why a call failed: the API's `{"error": {"code", "message"}}`, or the network.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Failure {
    /// 0 when no answer came.
    pub status: u16,
    pub code: String,
    pub message: String,
}

impl Failure {
    fn network(endpoint: &str) -> Self {
        Self {
            status: 0,
            code: "network".into(),
            message: format!("lojal: console: no answer from {endpoint}"),
        }
    }
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

#[derive(serde::Deserialize)]
struct ErrorBody {
    error: ErrorDetail,
}

#[derive(serde::Deserialize)]
struct ErrorDetail {
    code: String,
    message: String,
}

fn sign_in_again() {
    if let Some(window) = web_sys::window() {
        let _ = window.location().assign("/console/sign-in");
    }
}

async fn send(
    builder: RequestBuilder,
    body: Option<String>,
    endpoint: &str,
) -> Result<String, Failure> {
    let request = match body {
        Some(body) => builder
            .header("content-type", "application/json")
            .body(body),
        None => builder.build(),
    }
    .map_err(|_| Failure::network(endpoint))?;
    let response = request
        .send()
        .await
        .map_err(|_| Failure::network(endpoint))?;
    let status = response.status();
    let text = response
        .text()
        .await
        .map_err(|_| Failure::network(endpoint))?;
    if (200..300).contains(&status) {
        return Ok(text);
    }
    let failure = match serde_json::from_str::<ErrorBody>(&text) {
        Ok(body) => Failure {
            status,
            code: body.error.code,
            message: body.error.message,
        },
        Err(_) => Failure {
            status,
            code: "http".into(),
            message: format!("lojal: console: {endpoint} answered {status}"),
        },
    };
    if status == 401 {
        sign_in_again();
    }
    Err(failure)
}

fn parse<T: DeserializeOwned>(text: &str, endpoint: &str) -> Result<T, Failure> {
    serde_json::from_str(text).map_err(|e| Failure {
        status: 200,
        code: "unreadable".into(),
        message: format!("lojal: console: {endpoint} sent an answer the console cannot read: {e}"),
    })
}

/// GETs `path` and reads the JSON answer.
pub async fn get<T: DeserializeOwned>(path: &str) -> Result<T, Failure> {
    let text = send(Request::get(path), None, path).await?;
    parse(&text, path)
}

/// A write: `method` (`POST`, `PUT`, `DELETE`) with a JSON body, the CSRF token and `headers`.
pub async fn write<T: DeserializeOwned>(
    method: &str,
    path: &str,
    body: &impl Serialize,
    headers: &[(&str, &str)],
) -> Result<T, Failure> {
    let text = write_raw(method, path, Some(body), headers).await?;
    parse(&text, path)
}

/// A write whose answer has no body to read.
pub async fn write_raw(
    method: &str,
    path: &str,
    body: Option<&impl Serialize>,
    headers: &[(&str, &str)],
) -> Result<String, Failure> {
    let builder = match method {
        "PUT" => Request::put(path),
        "DELETE" => Request::delete(path),
        _ => Request::post(path),
    };
    let csrf = csrf_token().await?;
    let builder = headers
        .iter()
        .fold(builder.header("x-csrf-token", &csrf), |b, (k, v)| {
            b.header(k, v)
        });
    let body = body.map(|b| serde_json::to_string(b).unwrap_or_default());
    send(builder, body, path).await
}

/// A fresh key for a write that must happen once however often it is sent.
pub fn idempotency_key() -> String {
    web_sys::window()
        .and_then(|w| w.crypto().ok())
        .map(|c| c.random_uuid())
        .unwrap_or_else(|| format!("k{}", (js_sys::Math::random() * 1e16) as u64))
}

/// `?a=1&b=x` from the pairs whose value is not empty, each percent-encoded.
pub fn query(pairs: &[(&str, String)]) -> String {
    let encoded: Vec<String> = pairs
        .iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| format!("{k}={}", js_sys::encode_uri_component(v)))
        .collect();
    if encoded.is_empty() {
        String::new()
    } else {
        format!("?{}", encoded.join("&"))
    }
}
