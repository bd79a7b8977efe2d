//! The demo storefront: `www/` as a static site, and the widget bundle under `/lojal/`.
//!
//! A real shop's theme renders each shopper's signature on the server; the demo does the same by
//! replacing `{{sig:CUSTOMER_ID}}` in its HTML with the HMAC of that id.

use std::path::Path;

use axum::Router;
use axum::body::{Body, to_bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderValue, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use tower_http::services::ServeDir;
use tower_http::set_header::SetResponseHeaderLayer;

use crate::AppState;
use crate::identity::ShopSecret;

/// Demo pages are small; anything bigger is served untouched.
const MAX_TEMPLATE_BYTES: usize = 1 << 20;

pub fn router(state: AppState, www: &Path, dist: &Path) -> Router {
    let pages = Router::new()
        .fallback_service(ServeDir::new(www).append_index_html_on_directories(true))
        .layer(middleware::from_fn_with_state(state, sign_customer_ids));
    Router::new()
        .nest_service("/lojal", ServeDir::new(dist))
        .merge(pages)
        // The demo is rebuilt often; browsers must revalidate instead of running an old bundle.
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CACHE_CONTROL,
            HeaderValue::from_static("no-cache"),
        ))
}

async fn sign_customer_ids(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let response = next.run(request).await;
    let is_html = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    if !is_html {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let Ok(bytes) = to_bytes(body, MAX_TEMPLATE_BYTES).await else {
        return (
            axum::http::StatusCode::INTERNAL_SERVER_ERROR,
            "page too large to template",
        )
            .into_response();
    };
    let Ok(html) = std::str::from_utf8(&bytes) else {
        return Response::from_parts(parts, Body::from(bytes));
    };
    let signed = fill_signatures(html, &state.secret);
    parts.headers.remove(header::CONTENT_LENGTH);
    // The validators describe the file on disk, not the page with signatures in it.
    parts.headers.remove(header::ETAG);
    parts.headers.remove(header::LAST_MODIFIED);
    parts.headers.remove(header::ACCEPT_RANGES);
    Response::from_parts(parts, Body::from(signed))
}

/// Replaces every `{{sig:ID}}` whose id is 1–64 characters of `[A-Za-z0-9_-]`; anything else is
/// left as written so a typo shows up in the page instead of silently signing garbage.
pub fn fill_signatures(html: &str, secret: &ShopSecret) -> String {
    const OPEN: &str = "{{sig:";
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(start) = rest.find(OPEN) {
        out.push_str(&rest[..start]);
        let after = &rest[start + OPEN.len()..];
        match after.find("}}") {
            Some(end) if is_customer_id(&after[..end]) => {
                out.push_str(&secret.sign(&after[..end]));
                rest = &after[end + 2..];
            }
            _ => {
                out.push_str(OPEN);
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

fn is_customer_id(id: &str) -> bool {
    (1..=64).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_are_filled_in_and_malformed_placeholders_kept() {
        let secret = ShopSecret::new("s");
        let html = r#"<a data-sig="{{sig:c-1}}">{{sig:c-1}} {{sig:bad id}} {{sig:}} {{sig:x"#;
        let sig = secret.sign("c-1");
        assert_eq!(
            fill_signatures(html, &secret),
            format!(r#"<a data-sig="{sig}">{sig} {{{{sig:bad id}}}} {{{{sig:}}}} {{{{sig:x"#)
        );
        assert_eq!(
            fill_signatures("no placeholders, æøå", &secret),
            "no placeholders, æøå"
        );
    }
}
