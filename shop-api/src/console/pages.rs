//! The console's pages: the sign-in form (plain HTML, no script, in the merchant's language) and
//! the console's own bundle under `/console/`, which nobody without a session gets a byte of.

use std::path::Path;
use std::sync::LazyLock;

use axum::extract::{Query, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::{Form, Router};
use serde::Deserialize;
use serde_json::Value;
use tower_http::services::{ServeDir, ServeFile};
use tower_http::set_header::SetResponseHeaderLayer;

use super::session::{self, Actor};
use crate::AppState;
use crate::calendar;
use crate::error::ApiError;
use crate::limits::{Peer, client_ip_of};

/// What the console's pages may load: their own script and wasm, the widgets' loader for the
/// previews, and nothing from elsewhere; no framing (clickjacking), forms only to this origin.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; \
     style-src 'self' 'unsafe-inline'; img-src 'self' data:; object-src 'none'; base-uri 'none'; \
     frame-ancestors 'none'; form-action 'self'";

/// The console's languages, the same files its bundle reads: adding one is adding a file and
/// a line here and in the console crate.
static LOCALES: LazyLock<Vec<Value>> = LazyLock::new(|| {
    [
        include_str!("../../../console/locales/nb.json"),
        include_str!("../../../console/locales/en.json"),
    ]
    .iter()
    .map(|text| serde_json::from_str(text).expect("the console's locale files are JSON"))
    .collect()
});

/// The shipped language for a request: `?lang=` first, then `Accept-Language` in its order
/// (`no` and `nn` read as Bokmål), else English.
pub fn language(query: Option<&str>, accept_language: Option<&str>) -> &'static str {
    let shipped = |tag: &str| -> Option<&'static str> {
        let primary = tag
            .trim()
            .split(['-', '_', ';'])
            .next()?
            .to_ascii_lowercase();
        match primary.as_str() {
            "nb" | "no" | "nn" => Some("nb"),
            "en" => Some("en"),
            _ => None,
        }
    };
    query
        .and_then(shipped)
        .or_else(|| accept_language?.split(',').find_map(shipped))
        .unwrap_or("en")
}

fn text(lang: &str, key: &str) -> String {
    LOCALES
        .iter()
        .find(|l| l["lang"] == lang)
        .and_then(|l| l["sign_in"][key].as_str())
        .unwrap_or(key)
        .to_owned()
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The sign-in page, with a message when there is one to give.
fn sign_in_page(lang: &str, message: Option<&str>, status: StatusCode) -> Response {
    let t = |key| escape(&text(lang, key));
    let message = message
        .map(|m| format!(r#"<p class="message" role="alert">{}</p>"#, escape(m)))
        .unwrap_or_default();
    let html = format!(
        r#"<!doctype html>
<html lang="{lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<title>{title}</title>
<style>
:root {{ color-scheme: light dark; --bg: #f6f4ef; --fg: #1d1b18; --card: #fff; --line: #6b6459; --accent: #0b5e43; }}
@media (prefers-color-scheme: dark) {{ :root {{ --bg: #161513; --fg: #f1eee8; --card: #22201d; --line: #a59d90; --accent: #6fd3a8; }} }}
body {{ margin: 0; font: 1rem/1.5 system-ui, sans-serif; background: var(--bg); color: var(--fg); }}
main {{ max-width: 26rem; margin: 3rem auto; padding: 1.5rem; background: var(--card); border-radius: .75rem; }}
h1 {{ font-size: 1.4rem; margin-top: 0; }}
label {{ display: block; font-weight: 600; margin-top: 1rem; }}
input {{ box-sizing: border-box; width: 100%; font: inherit; padding: .5rem; margin-top: .25rem; border: 1px solid var(--line); border-radius: .375rem; background: transparent; color: inherit; }}
.hint {{ margin: .25rem 0 0; font-size: .9rem; }}
button {{ margin-top: 1.25rem; font: inherit; font-weight: 600; padding: .6rem 1.2rem; border: 0; border-radius: .375rem; background: var(--accent); color: var(--card); cursor: pointer; }}
:focus-visible {{ outline: 3px solid var(--accent); outline-offset: 2px; }}
.message {{ border-inline-start: 4px solid var(--accent); padding-inline-start: .75rem; }}
</style>
</head>
<body>
<main>
<h1>{title}</h1>
<p>{intro}</p>
{message}
<form method="post" action="/console/sign-in">
<input type="hidden" name="lang" value="{lang}">
<label for="user">{user}</label>
<input id="user" name="user" autocomplete="username" aria-describedby="user-hint">
<p class="hint" id="user-hint">{user_hint}</p>
<label for="secret">{secret}</label>
<input id="secret" name="secret" type="password" autocomplete="current-password" required>
<button type="submit">{submit}</button>
</form>
</main>
</body>
</html>
"#,
        title = t("title"),
        intro = t("intro"),
        user = t("user"),
        user_hint = t("user_hint"),
        secret = t("secret"),
        submit = t("submit"),
    );
    let mut response = (
        status,
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        html,
    )
        .into_response();
    page_headers(response.headers_mut());
    response
}

fn page_headers(headers: &mut HeaderMap) {
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CONTENT_SECURITY_POLICY),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
}

#[derive(Debug, Default, Deserialize)]
pub struct PageQuery {
    lang: Option<String>,
    signed_out: Option<String>,
}

/// `GET /console/sign-in`.
pub async fn sign_in_form(headers: HeaderMap, Query(query): Query<PageQuery>) -> Response {
    let lang = language(query.lang.as_deref(), accept_language(&headers));
    let message = query.signed_out.is_some().then(|| text(lang, "signed_out"));
    sign_in_page(lang, message.as_deref(), StatusCode::OK)
}

fn accept_language(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
}

/// The sign-in form's fields.
#[derive(Debug, Deserialize)]
pub struct SignIn {
    #[serde(default)]
    user: String,
    secret: String,
    #[serde(default)]
    lang: Option<String>,
}

/// `POST /console/sign-in`: the merchant token (no user name) or a console user's password
/// opens a session, and the browser goes on to the console; anything else shows the form again
/// with why. Failures are counted per client address in the database: the tenth in 15 minutes
/// makes that address wait (429).
pub async fn sign_in(
    State(state): State<AppState>,
    Peer(peer): Peer,
    headers: HeaderMap,
    Form(form): Form<SignIn>,
) -> Result<Response, ApiError> {
    let lang = language(form.lang.as_deref(), accept_language(&headers));
    // A sign-in from another site would sign the merchant's browser into someone's session.
    if !session::same_origin(&headers) {
        return Ok(sign_in_page(
            lang,
            Some(&text(lang, "refused")),
            StatusCode::FORBIDDEN,
        ));
    }
    let user = form.user.trim().to_owned();
    if user.is_empty() && state.merchant_token.is_none() {
        let has_users = state
            .db
            .run(|conn| {
                Ok::<_, ApiError>(
                    conn.query_opt("SELECT 1 FROM console_users", &[])?
                        .is_some(),
                )
            })
            .await?;
        if !has_users {
            return Ok(sign_in_page(
                lang,
                Some(&text(lang, "off")),
                StatusCode::FORBIDDEN,
            ));
        }
    }
    let ip = session::ip_hash(
        &state,
        client_ip_of(&headers, peer, state.trust_forwarded_for),
    );
    let token = state.merchant_token.clone();
    let outcome = state
        .db
        .run(
            move |conn| -> Result<Result<session::Opened, Option<u64>>, ApiError> {
                let now = calendar::now();
                if let Some(wait) = session::sign_in_wait(conn, &ip, now)? {
                    return Ok(Err(Some(wait)));
                }
                let actor = if user.is_empty() {
                    token
                        .as_ref()
                        .is_some_and(|t| t.verify(&form.secret))
                        .then_some(Actor::Token)
                } else {
                    session::verify_password(conn, &user, &form.secret)?
                        .then_some(Actor::User(user))
                };
                match actor {
                    Some(actor) => Ok(Ok(session::open(conn, &actor, now)?)),
                    None => {
                        session::record_failure(conn, &ip, now)?;
                        Ok(Err(None))
                    }
                }
            },
        )
        .await?;
    Ok(match outcome {
        Ok(opened) => {
            let mut response = Redirect::to("/console/").into_response();
            response.headers_mut().insert(
                header::SET_COOKIE,
                session::set_cookie(Some(&opened.cookie_value), &headers),
            );
            response
        }
        Err(Some(wait)) => {
            let message =
                text(lang, "rate_limited").replace("{minutes}", &wait.div_ceil(60).to_string());
            let mut response = sign_in_page(lang, Some(&message), StatusCode::TOO_MANY_REQUESTS);
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(wait));
            response
        }
        Err(None) => sign_in_page(lang, Some(&text(lang, "wrong")), StatusCode::UNAUTHORIZED),
    })
}

/// Lets a request to the console's bundle through only with a live session: a page is sent to
/// the sign-in form, anything else refused.
async fn require_session(State(state): State<AppState>, request: Request, next: Next) -> Response {
    match session::session_of(request.headers(), &state).await {
        Ok(Some(_)) => {
            let mut response = next.run(request).await;
            page_headers(response.headers_mut());
            response
        }
        Ok(None) => Redirect::to("/console/sign-in").into_response(),
        Err(error) => error.into_response(),
    }
}

/// `/console/sign-in` always; the console's bundle from `dist` (its `index.html` for every
/// route of the single-page app) when given.
pub fn router(state: AppState, dist: Option<&Path>) -> Router {
    let mut router = Router::new().route("/console/sign-in", get(sign_in_form).post(sign_in));
    if let Some(dist) = dist {
        let bundle = ServeDir::new(dist)
            .precompressed_br()
            .precompressed_gzip()
            .fallback(ServeFile::new(dist.join("index.html")));
        let gated = Router::new()
            .route(
                "/console",
                get(|| async { Redirect::permanent("/console/") }),
            )
            .nest_service("/console/", bundle)
            .layer(SetResponseHeaderLayer::appending(
                header::VARY,
                HeaderValue::from_static("accept-encoding"),
            ))
            .layer(middleware::from_fn_with_state(
                state.clone(),
                require_session,
            ));
        router = router.merge(gated);
    }
    router.with_state(state)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_language_follows_the_query_then_the_browser_then_english() {
        assert_eq!(language(None, Some("nb-NO,nb;q=0.9,en;q=0.8")), "nb");
        assert_eq!(language(None, Some("sv-SE, no;q=0.8")), "nb");
        assert_eq!(language(None, Some("nn")), "nb");
        assert_eq!(language(None, Some("de, en-GB;q=0.5")), "en");
        assert_eq!(language(None, Some("fr")), "en");
        assert_eq!(language(None, None), "en");
        assert_eq!(language(Some("en"), Some("nb")), "en");
        assert_eq!(language(Some("xx"), Some("nb")), "nb");
    }

    #[test]
    fn every_console_language_has_every_sign_in_string() {
        let keys: Vec<&str> = LOCALES[0]["sign_in"]
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        for locale in LOCALES.iter() {
            for key in &keys {
                assert!(
                    locale["sign_in"][key].is_string(),
                    "{} lacks {key}",
                    locale["lang"]
                );
            }
        }
    }
}
