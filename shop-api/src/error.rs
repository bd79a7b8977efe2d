//! Every failure the API reports, as `{"error": {"code", "message"}}` with a fitting status.

use axum::Json;
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use lojal::core::wire::ErrorBody;

use crate::db::DbError;

#[derive(Debug)]
pub enum ApiError {
    /// A customer signature that is missing, forged, expired or of the refused timeless form.
    InvalidSignature(crate::identity::Refusal),
    UnknownCustomer,
    UnknownReward,
    UnknownProduct,
    InvalidQuery(String),
    InsufficientPoints {
        message: String,
    },
    InvalidIdempotencyKey,
    IdempotencyKeyReused,
    InvalidBody(String),
    /// A feedback answer without an `idempotency-key` header.
    MissingIdempotencyKey,
    /// A feedback answer that breaks the rules; the message lists every problem.
    InvalidAnswer(String),
    /// The same idempotency key with a different answer.
    AnswerKeyReused,
    /// This signed-in shopper answered this prompt in this campaign already.
    AlreadyAnswered,
    /// A merchant endpoint without the right `Authorization: Bearer` token.
    InvalidMerchantToken,
    /// A merchant endpoint on a server started without a merchant token.
    MerchantApiDisabled,
    UnknownReview,
    /// Over a rate limit; the response also carries `Retry-After`.
    TooManyRequests {
        retry_after_secs: u64,
    },
    PayloadTooLarge,
    UnsupportedMediaType,
    NotFound,
    MethodNotAllowed,
    Internal(String),
    // Reward games.
    UnknownCampaign,
    CampaignNotStarted {
        starts_at: String,
    },
    CampaignOver,
    /// 429 with `Retry-After` and the next allowed time in the body.
    AlreadyPlayed {
        next_play_at: String,
        retry_after_secs: u64,
    },
    GuestsNotAllowed,
    InvalidEmail,
    /// A ticked consent sent with a text the campaign no longer shows.
    ConsentTextChanged,
    // The programme and the ways to earn.
    /// A programme write based on an older revision than the stored one.
    StaleProgramme {
        current: i64,
    },
    /// A webhook whose signature does not match its body under the platform's secret.
    InvalidWebhookSignature,
    /// A platform's webhooks without its secret configured; names the setting.
    WebhooksOff(&'static str),
    BirthdayLocked {
        changeable_from: String,
    },
    BirthdayNotOffered,
    UnknownReferral,
    ReferralsOff,
    SelfReferral,
    AlreadyMember,
    AlreadyReferred,
    UnknownCoupon,
    UnknownEndpoint,
    /// 429 with `Retry-After`: too many friends claimed from one address this week.
    ReferralLimit {
        limit: u32,
        retry_after_secs: u64,
    },
    // The merchant console.
    /// A console request without a live session.
    NotSignedIn,
    /// A console write without its session's CSRF token, or from another site.
    InvalidCsrfToken,
    /// A campaign write based on an older revision than the stored one.
    StaleCampaign {
        current: i64,
    },
    /// A new campaign (`If-None-Match: *`) whose id is taken.
    CampaignExists,
    /// A moderation of a review whose status changed since it was shown.
    StaleReview {
        current: String,
    },
    UnknownPreview,
}

impl ApiError {
    fn parts(&self) -> (StatusCode, &'static str, String) {
        use ApiError::*;
        match self {
            InvalidSignature(refusal) => (StatusCode::UNAUTHORIZED, "invalid_signature", refusal.to_string()),
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
            MissingIdempotencyKey => (
                StatusCode::UNPROCESSABLE_ENTITY,
                "missing_idempotency_key",
                "send every answer with an idempotency-key header (8 to 100 characters of A-Z, a-z, 0-9, '-' and '_'), generated once per answer".into(),
            ),
            InvalidAnswer(detail) => (StatusCode::UNPROCESSABLE_ENTITY, "invalid_answer", detail.clone()),
            AnswerKeyReused => (
                StatusCode::UNPROCESSABLE_ENTITY,
                "idempotency_key_reused",
                "this idempotency key was already used for a different answer".into(),
            ),
            AlreadyAnswered => (
                StatusCode::CONFLICT,
                "already_answered",
                "this customer already answered this prompt in this campaign".into(),
            ),
            InvalidMerchantToken => (
                StatusCode::UNAUTHORIZED,
                "invalid_merchant_token",
                "send the merchant token as 'Authorization: Bearer <token>'".into(),
            ),
            MerchantApiDisabled => (
                StatusCode::FORBIDDEN,
                "merchant_api_disabled",
                "the merchant endpoints are off: start shop-api with LOJAL_MERCHANT_TOKEN set".into(),
            ),
            UnknownReview => (StatusCode::NOT_FOUND, "unknown_review", "no review with this id".into()),
            TooManyRequests { retry_after_secs } => (
                StatusCode::TOO_MANY_REQUESTS,
                "rate_limited",
                format!("too many requests; try again in {retry_after_secs} s"),
            ),
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
            UnknownCampaign => (StatusCode::NOT_FOUND, "unknown_campaign", "no such campaign".into()),
            CampaignNotStarted { starts_at } => (
                StatusCode::CONFLICT,
                "campaign_not_started",
                format!("the campaign starts at {starts_at}"),
            ),
            CampaignOver => (StatusCode::GONE, "campaign_over", "the campaign is over".into()),
            AlreadyPlayed { next_play_at, .. } => (
                StatusCode::TOO_MANY_REQUESTS,
                "already_played",
                format!("this shopper already played; the next play is allowed at {next_play_at}"),
            ),
            GuestsNotAllowed => (
                StatusCode::FORBIDDEN,
                "guests_not_allowed",
                "this campaign is for signed-in customers; send customer_id with its signature".into(),
            ),
            InvalidEmail => (
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_email",
                "email is not an email address".into(),
            ),
            ConsentTextChanged => (
                StatusCode::CONFLICT,
                "consent_text_changed",
                "the campaign's consent text has changed since it was shown; show the shopper the current text (GET the campaign) and ask again".into(),
            ),
            StaleProgramme { current } => (
                StatusCode::CONFLICT,
                "stale_programme",
                format!("the programme was changed meanwhile (it is at revision {current}); load it again and reapply your change"),
            ),
            InvalidWebhookSignature => (
                StatusCode::UNAUTHORIZED,
                "invalid_webhook_signature",
                "the webhook's signature header is missing or does not match its body under this shop's webhook secret".into(),
            ),
            WebhooksOff(setting) => (
                StatusCode::FORBIDDEN,
                "webhooks_off",
                format!("this platform's webhooks are off: start shop-api with {setting} set"),
            ),
            BirthdayLocked { changeable_from } => (
                StatusCode::CONFLICT,
                "birthday_locked",
                format!("the birthday was set less than a year ago; it can be changed from {changeable_from}"),
            ),
            BirthdayNotOffered => (
                StatusCode::CONFLICT,
                "birthday_not_offered",
                "the programme gives no birthday points".into(),
            ),
            UnknownCoupon => (StatusCode::NOT_FOUND, "unknown_coupon", "no coupon has this ticket".into()),
            UnknownEndpoint => (StatusCode::NOT_FOUND, "unknown_endpoint", "no webhook endpoint has this id".into()),
            UnknownReferral => (StatusCode::NOT_FOUND, "unknown_referral", "no member has this referral code".into()),
            ReferralsOff => (StatusCode::NOT_FOUND, "referrals_off", "the programme has no referrals".into()),
            SelfReferral => (
                StatusCode::CONFLICT,
                "self_referral",
                "this is the member's own email: a member cannot refer herself".into(),
            ),
            AlreadyMember => (
                StatusCode::CONFLICT,
                "already_member",
                "this email already belongs to a customer of the shop: referrals are for new customers".into(),
            ),
            AlreadyReferred => (
                StatusCode::CONFLICT,
                "already_referred",
                "this email was already invited by another member".into(),
            ),
            NotSignedIn => (
                StatusCode::UNAUTHORIZED,
                "not_signed_in",
                "sign in to the console (/console/sign-in), or send the merchant token".into(),
            ),
            InvalidCsrfToken => (
                StatusCode::FORBIDDEN,
                "invalid_csrf_token",
                "a console write needs its session's x-csrf-token and must come from the console's own origin".into(),
            ),
            StaleCampaign { current } => (
                StatusCode::CONFLICT,
                "stale_campaign",
                format!("the campaign was changed meanwhile (it is at revision {current}); load it again and reapply your change"),
            ),
            CampaignExists => (
                StatusCode::CONFLICT,
                "campaign_exists",
                "a campaign with this id exists already; choose another id or edit that one".into(),
            ),
            StaleReview { current } => (
                StatusCode::CONFLICT,
                "stale_review",
                format!("the review was moderated meanwhile (it is {current} now); load the queue again"),
            ),
            UnknownPreview => (StatusCode::NOT_FOUND, "unknown_preview", "no preview has this id, or it is over an hour old".into()),
            ReferralLimit { limit, retry_after_secs } => (
                StatusCode::TOO_MANY_REQUESTS,
                "referral_limit",
                format!("at most {limit} friends can claim an invitation from one address in a week; try again in {} hours", retry_after_secs.div_ceil(3600)),
            ),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if let ApiError::Internal(detail) = &self {
            // The shopper gets a calm message; the operator gets the cause, in the request's span.
            tracing::error!(detail = %detail, "internal error");
        }
        let (status, code, message) = self.parts();
        if let ApiError::AlreadyPlayed {
            next_play_at,
            retry_after_secs,
        } = &self
        {
            // The standard header for clients and proxies, and the instant for the widget.
            let body = serde_json::json!({
                "error": { "code": code, "message": message, "next_play_at": next_play_at }
            });
            return (
                status,
                [(
                    axum::http::header::RETRY_AFTER,
                    retry_after_secs.to_string(),
                )],
                Json(body),
            )
                .into_response();
        }
        let mut response = (status, Json(ErrorBody::new(code, message))).into_response();
        if let ApiError::ReferralLimit {
            retry_after_secs, ..
        } = &self
            && let Ok(value) = axum::http::HeaderValue::from_str(&retry_after_secs.to_string())
        {
            response
                .headers_mut()
                .insert(axum::http::header::RETRY_AFTER, value);
        }
        if matches!(self, ApiError::InvalidMerchantToken) {
            response.headers_mut().insert(
                axum::http::header::WWW_AUTHENTICATE,
                axum::http::HeaderValue::from_static("Bearer"),
            );
        }
        response
    }
}

impl From<DbError> for ApiError {
    fn from(error: DbError) -> Self {
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

impl From<QueryRejection> for ApiError {
    fn from(rejection: QueryRejection) -> Self {
        Self::InvalidQuery(rejection.body_text())
    }
}

pub async fn not_found() -> ApiError {
    ApiError::NotFound
}

pub async fn method_not_allowed() -> ApiError {
    ApiError::MethodNotAllowed
}
