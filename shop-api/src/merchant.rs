//! The merchant token: what the merchant's own tools send (`Authorization: Bearer …`) to read the
//! feedback summary, export it and moderate reviews. Compared in constant time.

use axum::http::{HeaderMap, header};
use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::error::ApiError;

type HmacSha256 = Hmac<Sha256>;

/// Shorter tokens are refused at start: the token guards every shopper's answers.
pub const MIN_TOKEN_LEN: usize = 16;

const CONTEXT: &[u8] = b"lojal merchant token";

/// The configured token, kept only as a MAC tag: comparing two tags of fixed length with
/// `verify_slice` takes the same time wherever the presented token differs.
#[derive(Clone)]
pub struct MerchantToken([u8; 32]);

fn tag(token: &[u8]) -> HmacSha256 {
    let mut mac = HmacSha256::new_from_slice(token).expect("HMAC accepts keys of any length");
    mac.update(CONTEXT);
    mac
}

impl MerchantToken {
    pub fn new(token: &str) -> Result<Self, String> {
        if token.len() < MIN_TOKEN_LEN || token.chars().any(|c| c.is_whitespace() || c.is_control())
        {
            return Err(format!(
                "the merchant token must be at least {MIN_TOKEN_LEN} characters without spaces"
            ));
        }
        Ok(Self(tag(token.as_bytes()).finalize().into_bytes().into()))
    }

    /// Whether `presented` is the configured token, in constant time.
    pub fn verify(&self, presented: &str) -> bool {
        tag(presented.as_bytes()).verify_slice(&self.0).is_ok()
    }
}

impl std::fmt::Debug for MerchantToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MerchantToken(…)")
    }
}

/// Lets a request through to a merchant endpoint, or says why not.
pub fn authorize(token: Option<&MerchantToken>, headers: &HeaderMap) -> Result<(), ApiError> {
    let token = token.ok_or(ApiError::MerchantApiDisabled)?;
    let presented = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .map(str::trim)
        .unwrap_or("");
    if token.verify(presented) {
        Ok(())
    } else {
        Err(ApiError::InvalidMerchantToken)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn only_the_configured_token_opens_the_merchant_endpoints() {
        let token = MerchantToken::new("s3cret-merchant-token").unwrap();
        assert!(token.verify("s3cret-merchant-token"));
        for wrong in [
            "",
            "s3cret-merchant-toke",
            "s3cret-merchant-token ",
            "S3CRET-MERCHANT-TOKEN",
            "s3cret-merchant-tokenx",
        ] {
            assert!(!token.verify(wrong), "{wrong:?}");
        }
        let headers = |value: &str| {
            let mut h = HeaderMap::new();
            h.insert(header::AUTHORIZATION, HeaderValue::from_str(value).unwrap());
            h
        };
        assert!(authorize(Some(&token), &headers("Bearer s3cret-merchant-token")).is_ok());
        assert!(matches!(
            authorize(Some(&token), &headers("Basic s3cret-merchant-token")),
            Err(ApiError::InvalidMerchantToken)
        ));
        assert!(matches!(
            authorize(Some(&token), &HeaderMap::new()),
            Err(ApiError::InvalidMerchantToken)
        ));
        assert!(matches!(
            authorize(None, &headers("Bearer s3cret-merchant-token")),
            Err(ApiError::MerchantApiDisabled)
        ));
    }

    #[test]
    fn weak_tokens_are_refused_at_start() {
        assert!(MerchantToken::new("short").is_err());
        assert!(MerchantToken::new("sixteen chars ok").is_err(), "spaces");
        assert!(MerchantToken::new("sixteen-chars-ok").is_ok());
    }
}
