//! Console sessions: signing in with the merchant token or a console user's password opens a
//! session kept in the database (so any instance answers it), carried by an `HttpOnly`,
//! `SameSite=Strict` cookie (`Secure` unless the console is reached on a loopback host); every
//! write also carries the session's CSRF token in `x-csrf-token`. [`Merchant`] lets a request
//! through to a merchant endpoint with either the bearer token or such a session.

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, header};
use hmac::{Hmac, Mac};
use jiff::{SignedDuration, Timestamp};
use sha2::{Digest, Sha256};

use crate::AppState;
use crate::calendar;
use crate::db::{Conn, DbError};
use crate::error::ApiError;
use crate::params;

/// The cookie that carries a session's id.
pub const COOKIE: &str = "lojal_console";
/// The header every console write carries its session's CSRF token in.
pub const CSRF_HEADER: &str = "x-csrf-token";
/// A session ends after this long without a request…
pub const IDLE: SignedDuration = SignedDuration::from_hours(2);
/// …and in any case this long after signing in.
pub const LIFETIME: SignedDuration = SignedDuration::from_hours(12);
/// Failed sign-ins one client address may make in [`FAILURE_WINDOW`] before it must wait.
pub const MAX_FAILURES: u64 = 10;
pub const FAILURE_WINDOW: SignedDuration = SignedDuration::from_mins(15);
/// Console user names: what `shop-api console password NAME` accepts.
pub const MAX_NAME_LEN: usize = 64;
/// Passwords shorter than this are refused by the CLI.
pub const MIN_PASSWORD_LEN: usize = 12;

/// Who made a change: the audit log's `actor`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Actor {
    /// The merchant token, as a bearer token or through a console session opened with it.
    Token,
    /// A console user who signed in with her password.
    User(String),
    /// `shop-api` on the command line.
    Cli,
}

impl Actor {
    pub fn text(&self) -> String {
        match self {
            Self::Token => "merchant token".into(),
            Self::User(name) => format!("user:{name}"),
            Self::Cli => "cli".into(),
        }
    }

    fn parse(text: &str) -> Self {
        match text.strip_prefix("user:") {
            Some(name) => Self::User(name.to_owned()),
            None if text == "cli" => Self::Cli,
            None => Self::Token,
        }
    }
}

/// A signed-in console session.
#[derive(Clone, Debug)]
pub struct Session {
    pub actor: Actor,
    pub csrf: String,
    pub expires_at: String,
}

/// A new session's secrets: the cookie's value (only its hash is stored) and the CSRF token.
pub struct Opened {
    pub cookie_value: String,
    pub session: Session,
}

fn random_hex(bytes: usize) -> String {
    let mut buffer = vec![0u8; bytes];
    getrandom::fill(&mut buffer).expect("the OS random source is available");
    hex::encode(buffer)
}

fn id_hash(cookie_value: &str) -> String {
    hex::encode(Sha256::digest(cookie_value.as_bytes()))
}

fn plus(at: Timestamp, duration: SignedDuration) -> Timestamp {
    at.saturating_add(duration).unwrap_or(at)
}

/// Opens a session for `actor`, writing the sign-in to the audit log in the same transaction.
pub fn open(conn: &mut Conn, actor: &Actor, now: Timestamp) -> Result<Opened, ApiError> {
    let cookie_value = random_hex(32);
    let csrf = random_hex(32);
    let expires_at = calendar::text(plus(now, IDLE));
    let mut tx = conn.transaction()?;
    // Ended sessions are cleared as new ones open.
    tx.execute(
        "DELETE FROM console_sessions WHERE ends_at <= ?1 OR expires_at <= ?1",
        &params![calendar::text(now)],
    )?;
    tx.execute(
        "INSERT INTO console_sessions (id_hash, actor, csrf, created_at, expires_at, ends_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        &params![
            id_hash(&cookie_value),
            actor.text(),
            &csrf,
            calendar::text(now),
            &expires_at,
            calendar::text(plus(now, LIFETIME))
        ],
    )?;
    super::audit::record(
        &mut tx,
        actor,
        "session.sign_in",
        "console",
        serde_json::json!({}),
        now,
    )?;
    tx.commit()?;
    Ok(Opened {
        cookie_value,
        session: Session {
            actor: actor.clone(),
            csrf,
            expires_at,
        },
    })
}

/// The session the cookie value opens at `now`, if it has not ended; a request extends it.
pub fn find(
    conn: &mut Conn,
    cookie_value: &str,
    now: Timestamp,
) -> Result<Option<Session>, DbError> {
    let now_text = calendar::text(now);
    let hash = id_hash(cookie_value);
    let Some(row) = conn.query_opt(
        "SELECT actor, csrf, expires_at, ends_at FROM console_sessions
         WHERE id_hash = ?1 AND expires_at > ?2 AND ends_at > ?2",
        &params![&hash, &now_text],
    )?
    else {
        return Ok(None);
    };
    let (expires_at, ends_at): (String, String) = (row.get(2)?, row.get(3)?);
    // Extended at most once a minute, so a page's burst of requests writes once.
    let extended = calendar::text(plus(now, IDLE)).min(ends_at);
    let expires_at =
        if calendar::parse(&expires_at)? < plus(now, IDLE - SignedDuration::from_mins(1)) {
            conn.execute(
                "UPDATE console_sessions SET expires_at = ?2 WHERE id_hash = ?1",
                &params![&hash, &extended],
            )?;
            extended
        } else {
            expires_at
        };
    Ok(Some(Session {
        actor: Actor::parse(&row.get::<String>(0)?),
        csrf: row.get(1)?,
        expires_at,
    }))
}

/// Ends the session the cookie value opens (signing out), with an audit row.
pub fn close(conn: &mut Conn, cookie_value: &str, now: Timestamp) -> Result<(), ApiError> {
    let mut tx = conn.transaction()?;
    let removed = tx.query_opt(
        "DELETE FROM console_sessions WHERE id_hash = ?1 RETURNING actor",
        &params![id_hash(cookie_value)],
    )?;
    if let Some(row) = removed {
        let actor = Actor::parse(&row.get::<String>(0)?);
        super::audit::record(
            &mut tx,
            &actor,
            "session.sign_out",
            "console",
            serde_json::json!({}),
            now,
        )?;
    }
    tx.commit()?;
    Ok(())
}

/// The session cookie's value in `headers`, if any.
pub fn cookie_value(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == COOKIE)
        .map(|(_, value)| value.to_owned())
        .filter(|v| v.len() == 64 && v.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// Whether the request reached us on a loopback host (`localhost`, 127.0.0.0/8, `[::1]`):
/// only there is the cookie sent without `Secure`, so the console works on plain http while
/// developing and nowhere else.
pub fn is_loopback(headers: &HeaderMap) -> bool {
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let name = match host.strip_prefix('[') {
        Some(rest) => rest.split(']').next().unwrap_or(""),
        None => host.rsplit_once(':').map_or(host, |(name, _)| name),
    };
    name.eq_ignore_ascii_case("localhost")
        || name
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// The `Set-Cookie` value that stores `value` (or, with `None`, removes the cookie).
pub fn set_cookie(value: Option<&str>, headers: &HeaderMap) -> HeaderValue {
    let secure = if is_loopback(headers) { "" } else { "; Secure" };
    let text = match value {
        Some(value) => format!(
            "{COOKIE}={value}; Path=/; HttpOnly; SameSite=Strict; Max-Age={}{secure}",
            LIFETIME.as_secs()
        ),
        None => format!("{COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0{secure}"),
    };
    HeaderValue::from_str(&text).expect("the cookie is ASCII")
}

/// Constant-time equality of two byte strings of public length.
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// A cross-site request is refused before its token is looked at: a browser says where a
/// request comes from in `Sec-Fetch-Site` and `Origin`.
pub fn same_origin(headers: &HeaderMap) -> bool {
    if headers
        .get("sec-fetch-site")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|site| site == "cross-site" || site == "same-site")
    {
        return false;
    }
    let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) else {
        return true;
    };
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    origin
        .strip_prefix("https://")
        .or_else(|| origin.strip_prefix("http://"))
        .is_some_and(|origin_host| origin_host.eq_ignore_ascii_case(host))
}

/// Lets a write through only with the session's own CSRF token, from the same origin.
pub fn check_csrf(session: &Session, headers: &HeaderMap) -> Result<(), ApiError> {
    let presented = headers
        .get(CSRF_HEADER)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if same_origin(headers) && same(presented.as_bytes(), session.csrf.as_bytes()) {
        Ok(())
    } else {
        Err(ApiError::InvalidCsrfToken)
    }
}

/// A request allowed to use a merchant endpoint, and who made it. Either the merchant token as
/// `Authorization: Bearer …`, or a console session's cookie (a write also needs the session's
/// `x-csrf-token`).
#[derive(Clone, Debug)]
pub struct Merchant {
    pub actor: Actor,
    /// The console session, when the request came through one.
    pub session: Option<Session>,
}

impl FromRequestParts<AppState> for Merchant {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let session = session_of(&parts.headers, state).await?;
        if parts.headers.contains_key(header::AUTHORIZATION) || session.is_none() {
            crate::merchant::authorize(state.merchant_token.as_ref(), &parts.headers)?;
            return Ok(Self {
                actor: Actor::Token,
                session: None,
            });
        }
        let session = session.ok_or(ApiError::NotSignedIn)?;
        if !matches!(parts.method, Method::GET | Method::HEAD | Method::OPTIONS) {
            check_csrf(&session, &parts.headers)?;
        }
        Ok(Self {
            actor: session.actor.clone(),
            session: Some(session),
        })
    }
}

/// A console session only (no bearer token), for reads that change nothing, the console's own
/// pages and the previews' widgets, which cannot send the CSRF header.
#[derive(Clone, Debug)]
pub struct Console(pub Session);

impl FromRequestParts<AppState> for Console {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        session_of(&parts.headers, state)
            .await?
            .map(Self)
            .ok_or(ApiError::NotSignedIn)
    }
}

/// The live session the request's cookie opens, if any.
pub async fn session_of(
    headers: &HeaderMap,
    state: &AppState,
) -> Result<Option<Session>, ApiError> {
    let Some(value) = cookie_value(headers) else {
        return Ok(None);
    };
    state
        .db
        .run(move |conn| Ok(find(conn, &value, calendar::now())?))
        .await
}

/// A keyed hash of the client's address, for counting failed sign-ins without storing it.
pub fn ip_hash(state: &AppState, ip: Option<std::net::IpAddr>) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(state.secret.hash_key())
        .expect("HMAC accepts keys of any length");
    mac.update(b"console sign-in ");
    mac.update(ip.map(|ip| ip.to_string()).unwrap_or_default().as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

/// Seconds until this address may try again, or `None` if it may now.
pub fn sign_in_wait(
    conn: &mut Conn,
    ip_hash: &str,
    now: Timestamp,
) -> Result<Option<u64>, DbError> {
    let since = calendar::text(now.saturating_sub(FAILURE_WINDOW).unwrap_or(now));
    let row = conn.query_one(
        "SELECT COUNT(*), MIN(at) FROM console_sign_in_failures WHERE ip_hash = ?1 AND at > ?2",
        &params![ip_hash, &since],
    )?;
    let (failures, oldest): (u64, Option<String>) = (row.get(0)?, row.get(1)?);
    if failures < MAX_FAILURES {
        return Ok(None);
    }
    let oldest = oldest
        .as_deref()
        .map(calendar::parse)
        .transpose()?
        .unwrap_or(now);
    let free_at = plus(oldest, FAILURE_WINDOW);
    Ok(Some(
        u64::try_from(free_at.as_second() - now.as_second())
            .unwrap_or(0)
            .max(1),
    ))
}

pub fn record_failure(conn: &mut Conn, ip_hash: &str, now: Timestamp) -> Result<(), DbError> {
    let since = calendar::text(now.saturating_sub(FAILURE_WINDOW).unwrap_or(now));
    conn.execute(
        "DELETE FROM console_sign_in_failures WHERE at <= ?1",
        &params![since],
    )?;
    conn.execute(
        "INSERT INTO console_sign_in_failures (ip_hash, at) VALUES (?1, ?2)",
        &params![ip_hash, calendar::text(now)],
    )?;
    Ok(())
}

/// A stored password hash that no password matches: what an unknown user name is checked
/// against, so the answer takes as long as for a known one.
const NO_USER_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$bm8tdXNlci1zYWx0LXg$7pC8Ab2nEt8Wkgk6uUmEoNf4d0l5Fw7ivX0m2OcUU3M";

/// Whether `password` is `name`'s console password.
pub fn verify_password(conn: &mut Conn, name: &str, password: &str) -> Result<bool, DbError> {
    let stored: Option<String> = conn
        .query_opt(
            "SELECT password_hash FROM console_users WHERE name = ?1",
            &params![name],
        )?
        .map(|row| row.get(0))
        .transpose()?;
    let known = stored.is_some();
    let hash = stored.unwrap_or_else(|| NO_USER_HASH.to_owned());
    let matches = PasswordHash::new(&hash).is_ok_and(|parsed| {
        Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok()
    });
    Ok(known && matches)
}

/// Why a console user's name or password is refused, if it is.
pub fn credential_problem(name: &str, password: &str) -> Option<String> {
    let name_ok = (1..=MAX_NAME_LEN).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-' | b'@'));
    if !name_ok {
        return Some(format!(
            "the name must be 1 to {MAX_NAME_LEN} of a-z, A-Z, 0-9, '.', '_', '-' and '@'"
        ));
    }
    if password.chars().count() < MIN_PASSWORD_LEN {
        return Some(format!(
            "the password must be at least {MIN_PASSWORD_LEN} characters"
        ));
    }
    None
}

/// Sets (or replaces) `name`'s password: `shop-api console password NAME`. Existing sessions
/// of that user end.
pub fn set_password(
    conn: &mut Conn,
    name: &str,
    password: &str,
    now: Timestamp,
) -> Result<(), ApiError> {
    if let Some(problem) = credential_problem(name, password) {
        return Err(ApiError::InvalidBody(problem));
    }
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt).expect("the OS random source is available");
    let salt = SaltString::encode_b64(&salt)
        .map_err(|e| ApiError::Internal(format!("password salt: {e}")))?;
    let hash = Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map_err(|e| ApiError::Internal(format!("password hash: {e}")))?
        .to_string();
    let mut tx = conn.transaction()?;
    tx.execute(
        "INSERT INTO console_users (name, password_hash, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?3)
         ON CONFLICT (name) DO UPDATE SET password_hash = ?2, updated_at = ?3",
        &params![name, &hash, calendar::text(now)],
    )?;
    let actor = Actor::User(name.to_owned());
    tx.execute(
        "DELETE FROM console_sessions WHERE actor = ?1",
        &params![actor.text()],
    )?;
    super::audit::record(
        &mut tx,
        &Actor::Cli,
        "user.password",
        &actor.text(),
        serde_json::json!({}),
        now,
    )?;
    tx.commit()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (name, value) in pairs {
            h.append(*name, HeaderValue::from_str(value).unwrap());
        }
        h
    }

    #[test]
    fn the_cookie_is_secure_everywhere_but_on_a_loopback_host() {
        for host in [
            "127.0.0.1:8080",
            "localhost",
            "LOCALHOST:3000",
            "[::1]:8080",
            "127.0.0.2",
        ] {
            assert!(is_loopback(&headers(&[("host", host)])), "{host}");
            let cookie = set_cookie(Some("ab"), &headers(&[("host", host)]));
            assert!(!cookie.to_str().unwrap().contains("Secure"), "{host}");
        }
        for host in [
            "shop.example",
            "shop.example:443",
            "10.0.0.1",
            "localhost.evil.example",
            "",
        ] {
            assert!(!is_loopback(&headers(&[("host", host)])), "{host}");
            let cookie = set_cookie(Some("ab"), &headers(&[("host", host)]));
            let cookie = cookie.to_str().unwrap();
            assert!(cookie.ends_with("; Secure"), "{host}: {cookie}");
            assert!(cookie.contains("HttpOnly; SameSite=Strict"), "{cookie}");
        }
    }

    #[test]
    fn only_a_well_formed_session_cookie_is_read() {
        let id = "a".repeat(64);
        assert_eq!(
            cookie_value(&headers(&[("cookie", &format!("x=1; {COOKIE}={id}; y=2"))])),
            Some(id.clone())
        );
        assert_eq!(
            cookie_value(&headers(&[("cookie", &format!("{COOKIE}=short"))])),
            None
        );
        assert_eq!(cookie_value(&headers(&[("cookie", "other=1")])), None);
        assert_eq!(cookie_value(&HeaderMap::new()), None);
    }

    #[test]
    fn cross_site_requests_are_not_same_origin() {
        let host = ("host", "shop.example");
        assert!(same_origin(&headers(&[host])));
        assert!(same_origin(&headers(&[
            host,
            ("origin", "https://shop.example")
        ])));
        assert!(same_origin(&headers(&[
            host,
            ("sec-fetch-site", "same-origin")
        ])));
        assert!(!same_origin(&headers(&[
            host,
            ("origin", "https://evil.example")
        ])));
        assert!(!same_origin(&headers(&[host, ("origin", "null")])));
        assert!(!same_origin(&headers(&[
            host,
            ("sec-fetch-site", "cross-site")
        ])));
        assert!(!same_origin(&headers(&[
            host,
            ("sec-fetch-site", "same-site")
        ])));
    }

    #[test]
    fn weak_console_credentials_are_refused() {
        assert!(credential_problem("kari", "a long enough secret").is_none());
        assert!(credential_problem("", "a long enough secret").is_some());
        assert!(credential_problem("kari nordmann", "a long enough secret").is_some());
        assert!(credential_problem("kari", "short").is_some());
    }

    #[test]
    fn the_unknown_user_hash_parses() {
        assert!(PasswordHash::new(NO_USER_HASH).is_ok());
    }
}
