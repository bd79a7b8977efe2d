//! Every failure the API reports, as `{"error": {"code", "message"}}` with a fitting status.

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use lojal::core::wire::ErrorBody;

use crate::db::DbError;

#[derive(Debug)]
pub enum ApiError {
    InvalidSignature,
    UnknownCustomer,
    UnknownReward,
    UnknownProduct,
    InvalidQuery(String),
    InsufficientPoints { message: String },
    InvalidIdempotencyKey,
    IdempotencyKeyReused,
    InvalidBody(String),
    PayloadTooLarge,
    UnsupportedMediaType,
    NotFound,
    MethodNotAllowed,
    Internal(String),
}

impl ApiError {
    fn parts(&self) -> (StatusCode, &'static str, String) {
        use ApiError::*;
        match self {
            InvalidSignature => (
                StatusCode::UNAUTHORIZED,
                "invalid_signature",
                "the x-lojal-signature header is missing or does not match the customer id".into(),
            ),
            UnknownCustomer => (StatusCode::NOT_FOUND, "unknown_customer", "no such customer".into()),
            UnknownReward => (
                StatusCode::NOT_FOUND,
                "unknown_reward",
                "no such reward, or it is no longer offered".into(),
            ),
            UnknownProduct => (StatusCode::NOT_FOUND, "unknown_product", "no such product".into()),
            InvalidQuery(detail) => (StatusCode::UNPROCESSABLE_ENTITY, "invalid_query", detail.clone()),
            InsufficientPoints { message } => (StatusCode::CONFLICT, "insufficient_points", message.clone()),
            InvalidIdempotencyKey => (
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_idempotency_key",
                "the idempotency-key header must be 8 to 100 characters of A-Z, a-z, 0-9, '-' and '_'".into(),
            ),
            IdempotencyKeyReused => (
                StatusCode::UNPROCESSABLE_ENTITY,
                "idempotency_key_reused",
                "this idempotency key was already used for a different reward".into(),
            ),
            InvalidBody(detail) => (StatusCode::UNPROCESSABLE_ENTITY, "invalid_body", detail.clone()),
            PayloadTooLarge => (
                StatusCode::PAYLOAD_TOO_LARGE,
                "payload_too_large",
                format!("the request body exceeds {} bytes", crate::MAX_BODY_BYTES),
            ),
            UnsupportedMediaType => (
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "send the body as JSON with content-type: application/json".into(),
            ),
            NotFound => (StatusCode::NOT_FOUND, "not_found", "no such endpoint".into()),
            MethodNotAllowed => (
                StatusCode::METHOD_NOT_ALLOWED,
                "method_not_allowed",
                "this endpoint does not accept that method".into(),
            ),
            Internal(_) => (
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                "the shop could not answer; try again shortly".into(),
            ),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if let ApiError::Internal(detail) = &self {
            // The shopper gets a calm message; the operator gets the cause.
            eprintln!("shop-api: internal error: {detail}");
        }
        let (status, code, message) = self.parts();
        (status, Json(ErrorBody::new(code, message))).into_response()
    }
}

impl From<DbError> for ApiError {
    fn from(error: DbError) -> Self {
        Self::Internal(error.to_string())
    }
}

impl From<rusqlite::Error> for ApiError {
    fn from(error: rusqlite::Error) -> Self {
        Self::Internal(error.to_string())
    }
}

impl From<JsonRejection> for ApiError {
    fn from(rejection: JsonRejection) -> Self {
        match rejection {
            JsonRejection::MissingJsonContentType(_) => Self::UnsupportedMediaType,
            JsonRejection::BytesRejection(ref bytes)
                if bytes.status() == StatusCode::PAYLOAD_TOO_LARGE =>
            {
                Self::PayloadTooLarge
            }
            other => Self::InvalidBody(other.body_text()),
        }
    }
}

pub async fn not_found() -> ApiError {
    ApiError::NotFound
}

pub async fn method_not_allowed() -> ApiError {
    ApiError::MethodNotAllowed
}
