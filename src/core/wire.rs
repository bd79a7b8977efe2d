//! Shapes shared by every endpoint of the reference API: the error body and the header names.

use serde::{Deserialize, Serialize};

/// Header carrying the shop's HMAC-SHA256 signature of the customer id (lowercase hex).
pub const SIGNATURE_HEADER: &str = "x-lojal-signature";
/// Header carrying a client-generated key that makes a POST safe to retry.
pub const IDEMPOTENCY_HEADER: &str = "idempotency-key";

/// The body of every 4xx/5xx answer of the reference API.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

/// What went wrong, for programs (`code`) and for people (`message`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorDetail {
    /// Stable, machine-readable: `invalid_signature`, `insufficient_points`, `not_found`, ...
    pub code: String,
    /// One sentence in English, for logs and developer consoles.
    pub message: String,
}

impl ErrorBody {
    pub fn new(code: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            error: ErrorDetail {
                code: code.into(),
                message: message.into(),
            },
        }
    }

    /// Reads an error body; `None` when the server sent something else (an HTML error page, say).
    pub fn parse(body: &str) -> Option<Self> {
        crate::core::json::parse(body).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_error_body_round_trips() {
        let body = ErrorBody::new(
            "insufficient_points",
            "Reward costs 500 points, balance is 120",
        );
        let json = serde_json::to_string(&body).unwrap();
        assert_eq!(ErrorBody::parse(&json), Some(body));
    }

    #[test]
    fn an_html_error_page_is_not_an_error_body() {
        assert_eq!(
            ErrorBody::parse("<html><body>502 Bad Gateway</body></html>"),
            None
        );
        assert_eq!(ErrorBody::parse(r#"{"error":"flat string"}"#), None);
    }
}
