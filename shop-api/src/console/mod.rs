//! The merchant console: sign-in and sessions ([`session`]), the audit log ([`audit`]), the
//! endpoints its pages read and write ([`admin`], [`preview`]) and the pages themselves
//! ([`pages`]). The console's bundle (the `console/` crate) is served only to a session.

pub mod admin;
pub mod audit;
pub mod pages;
pub mod preview;
pub mod session;

use axum::Json;
use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use lojal::core::console::SessionInfo;

use crate::AppState;
use crate::calendar;
use crate::error::ApiError;
use session::Console;

/// `GET /api/v1/console/session`: who is signed in and the CSRF token for writes.
pub async fn get_session(Console(session): Console) -> Json<SessionInfo> {
    Json(SessionInfo {
        actor: session.actor.text(),
        csrf_token: session.csrf,
        expires_at: session.expires_at,
    })
}

/// `DELETE /api/v1/console/session`: signs out (with the CSRF token), ending the session
/// everywhere and clearing the cookie.
pub async fn delete_session(
    State(state): State<AppState>,
    Console(session): Console,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    session::check_csrf(&session, &headers)?;
    let value = session::cookie_value(&headers).ok_or(ApiError::NotSignedIn)?;
    state
        .db
        .run(move |conn| session::close(conn, &value, calendar::now()))
        .await?;
    Ok((
        StatusCode::NO_CONTENT,
        [(header::SET_COOKIE, session::set_cookie(None, &headers))],
    )
        .into_response())
}

/// The console's API routes, nested under `/api/v1` beside the rest.
pub fn api_routes() -> Router<AppState> {
    Router::new()
        .route("/console/session", get(get_session).delete(delete_session))
        .route("/admin/overview", get(admin::get_overview))
        .route("/admin/campaigns", get(admin::list_campaigns))
        .route(
            "/admin/campaigns/{campaign_id}",
            get(admin::get_campaign).put(admin::put_campaign),
        )
        .route("/admin/feedback", get(admin::list_answers))
        .route("/admin/customers", get(admin::search_customers))
        .route(
            "/admin/customers/{customer_id}",
            get(admin::get_customer).delete(crate::privacy::admin_erase),
        )
        .route(
            "/admin/customers/{customer_id}/adjustments",
            post(admin::post_adjustment),
        )
        .route("/admin/audit", get(audit::list))
        .route("/admin/previews", post(preview::post))
        .route(
            "/admin/previews/{id}/loyalty/program",
            get(preview::loyalty_program),
        )
        .route(
            "/admin/previews/{id}/loyalty/{customer_id}",
            get(preview::loyalty_status),
        )
        .route(
            "/admin/previews/{id}/campaigns/{campaign_id}",
            get(preview::campaign),
        )
        .route(
            "/admin/previews/{id}/campaigns/{campaign_id}/play",
            post(preview::play),
        )
}
