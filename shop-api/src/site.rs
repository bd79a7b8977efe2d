//! The demo storefront: `www/` as a static site, and the widget bundle under `/lojal/`.
//!
//! A real shop's theme renders each shopper's signature on the server; the demo does the same by
//! replacing `{{sig:CUSTOMER_ID}}` in its HTML with a fresh signature of that id (`t=…,v1=…`).

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

/// The policy a careful shop sends: no inline script, no eval, only wasm compilation allowed.
/// The demo runs under it so every browser test proves the widgets do too.
pub const CONTENT_SECURITY_POLICY: &str =
    "script-src 'self' 'wasm-unsafe-eval'; object-src 'none'; base-uri 'self'";

/// Content-hashed files never change under their name; a year is what CDNs use.
const IMMUTABLE: &str = "public, max-age=31536000, immutable";

pub fn router(state: AppState, www: &Path, dist: &Path) -> Router {
    let checkout = Router::new()
        .route("/demo/checkout", axum::routing::post(checkout))
        .with_state(state.clone());
    let pages = Router::new()
        .fallback_service(ServeDir::new(www).append_index_html_on_directories(true))
        .layer(middleware::from_fn_with_state(state, sign_customer_ids))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CONTENT_SECURITY_POLICY),
        ));
    // build.sh writes each bundle file's .br and .gz beside it: sent to browsers that accept
    // them, a third of the wasm's bytes on the wire. ServeDir does not say so to caches.
    let bundle = Router::new()
        .nest_service(
            "/lojal",
            ServeDir::new(dist).precompressed_br().precompressed_gzip(),
        )
        .layer(middleware::from_fn(cache_hashed_files))
        .layer(SetResponseHeaderLayer::appending(
            header::VARY,
            HeaderValue::from_static("accept-encoding"),
        ));
    Router::new()
        .merge(checkout)
        .merge(bundle)
        .merge(pages)
        // The demo is rebuilt often; browsers must revalidate instead of running an old bundle.
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CACHE_CONTROL,
            HeaderValue::from_static("no-cache"),
        ))
}

/// The demo checkout's form.
#[derive(serde::Deserialize)]
pub struct CheckoutForm {
    customer_id: String,
    customer_sig: String,
}

/// The demo's stand-in for the shop platform: placing the cart's order (2 248 kr of items)
/// reports it to lojal as Shopify's `orders/paid` webhook does, through the same reading and
/// the same once-only delivery as `POST /api/v1/webhooks/shopify`, then shows the thank-you
/// page. The order is the shopper's own (one per shopper), so placing it again changes nothing.
pub async fn checkout(
    State(state): State<AppState>,
    axum::Form(form): axum::Form<CheckoutForm>,
) -> Result<Response, crate::error::ApiError> {
    let customer = match state.secret.verify(&form.customer_id, &form.customer_sig) {
        Ok(()) => Some(form.customer_id.clone()),
        // As a shop would for a visitor it does not know: a guest's order.
        Err(_) => None,
    };
    let body = demo_order(customer.as_deref()).to_string();
    let event = crate::webhooks::shopify_event("orders/paid", body.as_bytes())?;
    let delivery = format!("demo-checkout-{}", customer.as_deref().unwrap_or("guest"));
    state
        .db
        .write(move |conn| {
            crate::webhooks::take_delivery(
                conn,
                "shopify",
                Some(&delivery),
                "orders/paid",
                &event,
                crate::calendar::now(),
            )
        })
        .await?;
    Ok(axum::response::Redirect::to("/ordre.html").into_response())
}

/// The cart of `kasse.html` as a Shopify order, for `customer` (numbered after her id).
fn demo_order(customer: Option<&str>) -> serde_json::Value {
    let digits: u64 = customer
        .map(|c| {
            c.bytes()
                .filter(u8::is_ascii_digit)
                .fold(0, |n, b| n * 10 + u64::from(b - b'0'))
        })
        .unwrap_or(0)
        % 1_000_000;
    serde_json::json!({
        "id": 7_000_000_000_u64 + digits,
        "name": "NS-10042",
        "email": null,
        "currency": "NOK",
        "financial_status": "paid",
        "cancelled_at": null,
        "subtotal_price": "2248.00",
        "total_price": "2248.00",
        "taxes_included": true,
        "refunds": [],
        "customer": customer.map(|id| serde_json::json!({ "id": id })),
        "line_items": [
            { "product_id": "p-setesdal", "title": "Setesdal-genser", "quantity": 1, "price": "1899.00" },
            { "product_id": "p-marius", "title": "Marius-lue", "quantity": 1, "price": "349.00" }
        ]
    })
}

async fn cache_hashed_files(request: Request, next: Next) -> Response {
    let hashed = is_content_hashed(request.uri().path());
    let mut response = next.run(request).await;
    if hashed && response.status().is_success() {
        response
            .headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static(IMMUTABLE));
    }
    response
}

/// `name.<12 hex digits>.js|wasm|json`, the names `scripts/build.sh` gives the wasm, its glue
/// and the strings files.
fn is_content_hashed(path: &str) -> bool {
    let file = path.rsplit('/').next().unwrap_or_default();
    let mut pieces = file.rsplit('.');
    let (Some(extension), Some(hash), Some(_stem)) = (pieces.next(), pieces.next(), pieces.next())
    else {
        return false;
    };
    matches!(extension, "js" | "wasm" | "json")
        && hash.len() == 12
        && hash
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
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
    let signed = fill_signatures(html, &state.secret, crate::identity::unix_now());
    parts.headers.remove(header::CONTENT_LENGTH);
    // The validators describe the file on disk, not the page with signatures in it.
    parts.headers.remove(header::ETAG);
    parts.headers.remove(header::LAST_MODIFIED);
    parts.headers.remove(header::ACCEPT_RANGES);
    Response::from_parts(parts, Body::from(signed))
}

/// Replaces every `{{sig:ID}}` whose id is 1–64 characters of `[A-Za-z0-9_-]` with a signature
/// made at `now`, as a theme renders a fresh one on every page; anything else is left as written
/// so a typo shows up in the page instead of silently signing garbage.
pub fn fill_signatures(html: &str, secret: &ShopSecret, now: u64) -> String {
    const OPEN: &str = "{{sig:";
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(start) = rest.find(OPEN) {
        out.push_str(&rest[..start]);
        let after = &rest[start + OPEN.len()..];
        match after.find("}}") {
            Some(end) if is_customer_id(&after[..end]) => {
                out.push_str(&secret.sign_at(&after[..end], now));
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
    fn only_content_hashed_bundle_files_are_immutable() {
        assert!(is_content_hashed("/lojal/lojal_wasm_bg.0123456789ab.wasm"));
        assert!(is_content_hashed("/lojal/lojal_wasm.0123456789ab.js"));
        assert!(is_content_hashed("/lojal/lojal_badge.nb.0123456789ab.json"));
        assert!(!is_content_hashed("/lojal/lojal_badge.nb.json"));
        assert!(!is_content_hashed("/lojal/lojal.js"));
        assert!(!is_content_hashed("/lojal/lojal_wasm_bg.wasm"));
        assert!(!is_content_hashed("/lojal/x.0123456789AB.js"));
        assert!(!is_content_hashed("/lojal/x.0123456789a.js"));
        assert!(!is_content_hashed("/lojal/0123456789ab.js"));
        assert!(!is_content_hashed("/lojal/x.0123456789ab.css"));
    }

    #[test]
    fn signatures_are_filled_in_and_malformed_placeholders_kept() {
        let secret = ShopSecret::new("s");
        let html = r#"<a data-sig="{{sig:c-1}}">{{sig:c-1}} {{sig:bad id}} {{sig:}} {{sig:x"#;
        let sig = secret.sign_at("c-1", 1_764_000_000);
        assert!(sig.starts_with("t=1764000000,v1="));
        assert_eq!(
            fill_signatures(html, &secret, 1_764_000_000),
            format!(r#"<a data-sig="{sig}">{sig} {{{{sig:bad id}}}} {{{{sig:}}}} {{{{sig:x"#)
        );
        assert_eq!(
            fill_signatures("no placeholders, æøå", &secret, 0),
            "no placeholders, æøå"
        );
    }
}
