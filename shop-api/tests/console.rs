//! The merchant console against a fresh database (SQLite, or PostgreSQL with `DATABASE_URL`):
//! signing in, sessions and their cookie, CSRF, the console's bundle behind the session, the
//! endpoints its pages use, revisions against stale forms, and the audit log.

mod common;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use common::{Answer, count, send};
use lojal::core::console::{
    AnswerPage, AuditRow, CampaignListItem, CampaignRecord, CustomerDetail, CustomerHit, Overview,
    PreviewCreated, SessionInfo,
};
use lojal::core::feedback::FeedbackSummary;
use serde_json::{Value, json};
use shop_api::db::Db;
use shop_api::identity::ShopSecret;
use shop_api::merchant::MerchantToken;
use shop_api::{AppState, Options, app};
use tempfile::TempDir;

const TOKEN: &str = "merchant-token-for-console-tests";
const HOST: &str = "127.0.0.1:8080";

struct Shop {
    router: Router,
    db: Db,
    _dir: TempDir,
}

fn shop() -> Shop {
    let dir = TempDir::new().unwrap();
    let db = common::test_db(dir.path());
    let bundle = dir.path().join("console");
    std::fs::create_dir_all(&bundle).unwrap();
    std::fs::write(bundle.join("index.html"), "<!doctype html><p>console</p>").unwrap();
    std::fs::write(bundle.join("console.0123456789ab.js"), "export default 1").unwrap();
    let state = AppState {
        merchant_token: Some(MerchantToken::new(TOKEN).unwrap()),
        ..AppState::new(db.clone(), ShopSecret::new("test-secret"))
    };
    let options = Options {
        console: Some(bundle),
        ..Options::default()
    };
    Shop {
        router: app(state, &options),
        db,
        _dir: dir,
    }
}

/// A signed-in browser: the session cookie and the CSRF token.
struct Browser {
    cookie: String,
    csrf: String,
}

fn form(user: &str, secret: &str) -> Request<Body> {
    let body = format!("user={}&secret={}", urlencode(user), urlencode(secret));
    Request::post("/console/sign-in")
        .header(header::HOST, HOST)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(body))
        .unwrap()
}

fn urlencode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

impl Shop {
    async fn sign_in_with(&self, user: &str, secret: &str) -> Answer {
        send(&self.router, form(user, secret)).await
    }

    async fn sign_in(&self) -> Browser {
        let answer = self.sign_in_with("", TOKEN).await;
        assert_eq!(answer.status, StatusCode::SEE_OTHER, "{}", answer.text());
        let cookie = answer.headers[header::SET_COOKIE]
            .to_str()
            .unwrap()
            .split(';')
            .next()
            .unwrap()
            .to_owned();
        let session = self
            .request("GET", "/api/v1/console/session", Some(&cookie), None, None)
            .await;
        assert_eq!(session.status, StatusCode::OK, "{}", session.text());
        let info: SessionInfo = serde_json::from_slice(&session.body).unwrap();
        Browser {
            cookie,
            csrf: info.csrf_token,
        }
    }

    async fn request(
        &self,
        method: &str,
        path: &str,
        cookie: Option<&str>,
        csrf: Option<&str>,
        body: Option<Value>,
    ) -> Answer {
        let mut request = Request::builder()
            .method(method)
            .uri(path)
            .header(header::HOST, HOST);
        if let Some(cookie) = cookie {
            request = request.header(header::COOKIE, cookie);
        }
        if let Some(csrf) = csrf {
            request = request.header("x-csrf-token", csrf);
        }
        let body = match body {
            Some(body) => {
                request = request.header(header::CONTENT_TYPE, "application/json");
                Body::from(body.to_string())
            }
            None => Body::empty(),
        };
        send(&self.router, request.body(body).unwrap()).await
    }
}

impl Browser {
    async fn get(&self, shop: &Shop, path: &str) -> Answer {
        shop.request("GET", path, Some(&self.cookie), None, None)
            .await
    }

    async fn write(&self, shop: &Shop, method: &str, path: &str, body: Value) -> Answer {
        shop.request(
            method,
            path,
            Some(&self.cookie),
            Some(&self.csrf),
            Some(body),
        )
        .await
    }

    async fn write_with(
        &self,
        shop: &Shop,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Value,
    ) -> Answer {
        let mut request = Request::builder()
            .method(method)
            .uri(path)
            .header(header::HOST, HOST)
            .header(header::COOKIE, &self.cookie)
            .header("x-csrf-token", &self.csrf)
            .header(header::CONTENT_TYPE, "application/json");
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        send(
            &shop.router,
            request.body(Body::from(body.to_string())).unwrap(),
        )
        .await
    }
}

fn audit(db: &Db) -> Vec<(String, String, String)> {
    common::rows(
        db,
        "SELECT actor, action, target FROM audit_log ORDER BY id",
        vec![],
    )
    .into_iter()
    .map(|row| {
        let text = |v: &shop_api::db::Value| match v {
            shop_api::db::Value::Text(t) => t.clone(),
            other => format!("{other:?}"),
        };
        (text(&row[0]), text(&row[1]), text(&row[2]))
    })
    .collect()
}

#[tokio::test]
async fn signing_in_with_the_merchant_token_opens_a_session_with_a_strict_httponly_cookie() {
    let shop = shop();
    let answer = shop.sign_in_with("", TOKEN).await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER);
    assert_eq!(answer.headers[header::LOCATION], "/console/");
    let cookie = answer.headers[header::SET_COOKIE].to_str().unwrap();
    assert!(cookie.starts_with("lojal_console="), "{cookie}");
    assert!(cookie.contains("; HttpOnly; SameSite=Strict"), "{cookie}");
    assert!(!cookie.contains("Secure"), "loopback: {cookie}");
    // Anywhere but on loopback, the cookie is Secure.
    let mut public = form("", TOKEN);
    public
        .headers_mut()
        .insert(header::HOST, "shop.example".parse().unwrap());
    let answer = send(&shop.router, public).await;
    assert!(
        answer.headers[header::SET_COOKIE]
            .to_str()
            .unwrap()
            .ends_with("; Secure")
    );
    // Only the id's hash is stored.
    let value = cookie.split(';').next().unwrap().split('=').nth(1).unwrap();
    assert_eq!(count(&shop.db, "SELECT count(*) FROM console_sessions"), 2);
    let stored = common::rows(&shop.db, "SELECT id_hash FROM console_sessions", vec![]);
    assert!(
        stored
            .iter()
            .all(|row| row[0] != shop_api::db::Value::Text(value.into()))
    );
    let browser = shop.sign_in().await;
    let info = browser.get(&shop, "/api/v1/console/session").await.json();
    assert_eq!(info["actor"], "merchant token");
    assert_eq!(
        audit(&shop.db)[0],
        (
            "merchant token".into(),
            "session.sign_in".into(),
            "console".into()
        )
    );
}

#[tokio::test]
async fn wrong_secrets_are_refused_and_the_tenth_failure_makes_the_address_wait() {
    let shop = shop();
    for _ in 0..10 {
        let answer = shop.sign_in_with("", "not-the-merchant-token").await;
        assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
        assert!(answer.text().contains("Wrong user name, token or password"));
        assert!(!answer.headers.contains_key(header::SET_COOKIE));
    }
    // Even the right token waits now.
    let answer = shop.sign_in_with("", TOKEN).await;
    assert_eq!(answer.status, StatusCode::TOO_MANY_REQUESTS);
    let wait: u64 = answer.headers[header::RETRY_AFTER]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=15 * 60).contains(&wait), "{wait}");
    assert!(!answer.headers.contains_key(header::SET_COOKIE));
    assert_eq!(count(&shop.db, "SELECT count(*) FROM console_sessions"), 0);
}

#[tokio::test]
async fn a_password_set_with_the_cli_signs_in_and_nothing_else_does() {
    let shop = shop();
    common::with_conn(&shop.db, |conn| {
        shop_api::console::session::set_password(
            conn,
            "kari",
            "a long enough secret",
            shop_api::calendar::now(),
        )
        .map_err(|e| shop_api::db::DbError::Mismatch(format!("{e:?}")))
    });
    let stored = common::rows(&shop.db, "SELECT password_hash FROM console_users", vec![]);
    assert!(matches!(&stored[0][0], shop_api::db::Value::Text(h) if h.starts_with("$argon2id$")));
    assert_eq!(
        shop.sign_in_with("kari", "a long enough secret")
            .await
            .status,
        StatusCode::SEE_OTHER
    );
    for (user, secret) in [
        ("kari", "a long enough secreT"),
        ("kari", TOKEN),
        ("ola", "a long enough secret"),
        ("", "a long enough secret"),
    ] {
        assert_eq!(
            shop.sign_in_with(user, secret).await.status,
            StatusCode::UNAUTHORIZED,
            "{user}/{secret}"
        );
    }
    // A sign-in from another site is refused before anything is checked.
    let mut forged = form("", TOKEN);
    forged
        .headers_mut()
        .insert(header::ORIGIN, "https://evil.example".parse().unwrap());
    assert_eq!(
        send(&shop.router, forged).await.status,
        StatusCode::FORBIDDEN
    );
}

const CONSOLE_ENDPOINTS: &[(&str, &str)] = &[
    ("GET", "/api/v1/console/session"),
    ("GET", "/api/v1/admin/overview"),
    ("GET", "/api/v1/admin/campaigns"),
    ("GET", "/api/v1/admin/campaigns/vinterhjulet"),
    ("PUT", "/api/v1/admin/campaigns/vinterhjulet"),
    ("GET", "/api/v1/admin/feedback"),
    ("GET", "/api/v1/admin/customers?q=c-1001"),
    ("GET", "/api/v1/admin/customers/c-1001"),
    ("POST", "/api/v1/admin/customers/c-1001/adjustments"),
    ("GET", "/api/v1/admin/audit"),
    ("POST", "/api/v1/admin/previews"),
    ("GET", "/api/v1/admin/programme"),
    ("PUT", "/api/v1/admin/programme"),
    ("GET", "/api/v1/feedback/summary"),
    ("GET", "/api/v1/feedback/export.csv"),
    ("POST", "/api/v1/feedback/1/moderation"),
];

#[tokio::test]
async fn without_a_session_every_console_page_and_endpoint_refuses() {
    let shop = shop();
    for path in [
        "/console/",
        "/console",
        "/console/overview",
        "/console/campaigns/vinterhjulet",
        "/console/console.0123456789ab.js",
        "/console/index.html",
    ] {
        let answer = shop.request("GET", path, None, None, None).await;
        assert_eq!(answer.status, StatusCode::SEE_OTHER, "{path}");
        assert_eq!(
            answer.headers[header::LOCATION],
            "/console/sign-in",
            "{path}"
        );
        assert!(!answer.text().contains("console</p>"), "{path}");
    }
    // A forged or ended session is no session.
    let forged = format!("lojal_console={}", "ab".repeat(32));
    for (method, path) in CONSOLE_ENDPOINTS {
        for cookie in [None, Some(forged.as_str())] {
            let answer = shop
                .request(method, path, cookie, Some("x"), Some(json!({})))
                .await;
            assert_eq!(answer.status, StatusCode::UNAUTHORIZED, "{method} {path}");
        }
    }
    let answer = shop
        .request("GET", "/console/overview", Some(&forged), None, None)
        .await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER);

    // With one, the bundle is served: a route of the app gets its index.html.
    let browser = shop.sign_in().await;
    let page = browser.get(&shop, "/console/overview").await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(page.text(), "<!doctype html><p>console</p>");
    let policy = page.headers[header::CONTENT_SECURITY_POLICY]
        .to_str()
        .unwrap();
    assert!(policy.contains("frame-ancestors 'none'"), "{policy}");
    assert_eq!(
        browser
            .get(&shop, "/console/console.0123456789ab.js")
            .await
            .text(),
        "export default 1"
    );
    // The sign-in form itself needs none, in the browser's language.
    let form = send(
        &shop.router,
        Request::get("/console/sign-in")
            .header(header::ACCEPT_LANGUAGE, "nb-NO,nb;q=0.9")
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(form.text().contains("<html lang=\"nb\">"));
    assert!(form.text().contains("Logg inn"));
}

#[tokio::test]
async fn a_write_with_a_missing_or_forged_csrf_token_or_from_another_site_is_refused() {
    let shop = shop();
    let browser = shop.sign_in().await;
    let adjustment = json!({ "points": 10, "reason": "Goodwill" });
    let path = "/api/v1/admin/customers/c-1001/adjustments";
    let key = ("idempotency-key", "csrf-test-key-1");
    for csrf in [
        None,
        Some("0".repeat(64)),
        Some(browser.csrf[..63].to_owned()),
    ] {
        let mut request = Request::post(path)
            .header(header::HOST, HOST)
            .header(header::COOKIE, &browser.cookie)
            .header(header::CONTENT_TYPE, "application/json")
            .header(key.0, key.1);
        if let Some(csrf) = &csrf {
            request = request.header("x-csrf-token", csrf);
        }
        let answer = send(
            &shop.router,
            request.body(Body::from(adjustment.to_string())).unwrap(),
        )
        .await;
        assert_eq!(answer.status, StatusCode::FORBIDDEN, "{csrf:?}");
        assert_eq!(answer.error_code(), "invalid_csrf_token");
    }
    let cross_site = browser
        .write_with(
            &shop,
            "POST",
            path,
            &[key, ("origin", "https://evil.example")],
            adjustment.clone(),
        )
        .await;
    assert_eq!(cross_site.status, StatusCode::FORBIDDEN);
    assert_eq!(
        count(
            &shop.db,
            "SELECT count(*) FROM ledger WHERE kind = 'adjust'"
        ),
        0
    );
    let ok = browser
        .write_with(&shop, "POST", path, &[key], adjustment)
        .await;
    assert_eq!(ok.status, StatusCode::CREATED, "{}", ok.text());
}

#[tokio::test]
async fn a_session_ends_on_sign_out_and_when_it_expires() {
    let shop = shop();
    let browser = shop.sign_in().await;
    let without_token = shop
        .request(
            "DELETE",
            "/api/v1/console/session",
            Some(&browser.cookie),
            None,
            None,
        )
        .await;
    assert_eq!(without_token.status, StatusCode::FORBIDDEN);
    let out = browser
        .write(&shop, "DELETE", "/api/v1/console/session", json!({}))
        .await;
    assert_eq!(out.status, StatusCode::NO_CONTENT);
    assert!(
        out.headers[header::SET_COOKIE]
            .to_str()
            .unwrap()
            .contains("Max-Age=0")
    );
    assert_eq!(
        browser.get(&shop, "/api/v1/admin/overview").await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(audit(&shop.db).last().unwrap().1, "session.sign_out");

    let browser = shop.sign_in().await;
    assert_eq!(
        browser.get(&shop, "/api/v1/admin/overview").await.status,
        StatusCode::OK
    );
    common::execute(
        &shop.db,
        "UPDATE console_sessions SET expires_at = '2020-01-01T00:00:00Z'",
        vec![],
    );
    assert_eq!(
        browser.get(&shop, "/api/v1/admin/overview").await.status,
        StatusCode::UNAUTHORIZED
    );
}

fn campaign(id: &str, odds: &[u32]) -> Value {
    let segments: Vec<Value> = odds
        .iter()
        .enumerate()
        .map(|(i, &weight)| {
            if i == 0 {
                json!({ "label": "Prøv igjen", "weight": weight, "fallback": true })
            } else {
                json!({ "label": format!("{i}0 %"), "weight": weight, "prize": format!("{i}0 % rabatt"), "stock": 5 })
            }
        })
        .collect();
    json!({
        "id": id, "name": "Påskehjulet", "game": "wheel", "guest_email": true,
        "consent_text": "Ja takk, send meg nyheter.", "segments": segments
    })
}

#[tokio::test]
async fn a_campaign_whose_chances_do_not_add_up_is_refused_with_why_and_a_stale_form_cannot_overwrite()
 {
    let shop = shop();
    let browser = shop.sign_in().await;
    let path = "/api/v1/admin/campaigns/paske";
    let new = [("if-none-match", "*")];
    let put = async |headers: &[(&str, &str)], id: &str, weights: &[u32]| {
        browser
            .write_with(&shop, "PUT", path, headers, campaign(id, weights))
            .await
    };
    let refused = put(&new, "paske", &[5000, 2500, 2000]).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        refused.json()["error"]["message"],
        "the chances add up to 95.00 %, not 100 %: 5.00 % is not given to any segment"
    );
    assert_eq!(
        count(
            &shop.db,
            "SELECT count(*) FROM campaigns WHERE id = 'paske'"
        ),
        0
    );

    let created = put(&new, "paske", &[5000, 2500, 2500]).await;
    assert_eq!(created.status, StatusCode::OK, "{}", created.text());
    let record: CampaignRecord = serde_json::from_slice(&created.body).unwrap();
    assert_eq!(record.revision, 1);
    // Creating it again must not replace it.
    let again = put(&new, "paske", &[5000, 2500, 2500]).await;
    assert_eq!(again.error_code(), "campaign_exists");

    // Two tabs open revision 1; the first saves, the second is told.
    let first = put(&[("if-match", "1")], "paske", &[4000, 3000, 3000]).await;
    assert_eq!(first.status, StatusCode::OK);
    let stale = put(&[("if-match", "1")], "paske", &[6000, 2000, 2000]).await;
    assert_eq!(stale.status, StatusCode::CONFLICT);
    assert_eq!(stale.error_code(), "stale_campaign");
    let stored: CampaignRecord =
        serde_json::from_slice(&browser.get(&shop, path).await.body).unwrap();
    assert_eq!(stored.revision, 2);
    assert_eq!(stored.campaign.segments[0].weight, 4000);

    // The shop can play it at once.
    let campaign_page = shop
        .request("GET", "/api/v1/campaigns/paske", None, None, None)
        .await;
    assert_eq!(campaign_page.json()["state"], "active");
    let list: Vec<CampaignListItem> =
        serde_json::from_slice(&browser.get(&shop, "/api/v1/admin/campaigns").await.body).unwrap();
    assert!(list.iter().any(|c| c.id == "paske" && c.revision == 2));
    // A mismatched id is refused.
    let wrong = put(&[("if-match", "2")], "other", &[10000, 0, 0]).await;
    assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
    let actions: Vec<String> = audit(&shop.db)
        .into_iter()
        .map(|(_, action, _)| action)
        .collect();
    assert_eq!(
        actions,
        ["session.sign_in", "campaign.create", "campaign.update"]
    );
}

#[tokio::test]
async fn a_programme_saved_in_the_console_is_audited_and_a_stale_one_refused() {
    let shop = shop();
    let browser = shop.sign_in().await;
    let current = browser.get(&shop, "/api/v1/admin/programme").await.json();
    let revision = current["revision"].as_i64().unwrap().to_string();
    let mut programme = current["programme"].clone();
    programme["tiers"][1]["name"] = json!("Sølv+");
    let saved = browser
        .write_with(
            &shop,
            "PUT",
            "/api/v1/admin/programme",
            &[("if-match", &revision)],
            programme.clone(),
        )
        .await;
    assert_eq!(saved.status, StatusCode::OK, "{}", saved.text());
    let stale = browser
        .write_with(
            &shop,
            "PUT",
            "/api/v1/admin/programme",
            &[("if-match", &revision)],
            programme,
        )
        .await;
    assert_eq!(stale.error_code(), "stale_programme");
    assert_eq!(
        audit(&shop.db).last().unwrap(),
        &(
            "merchant token".into(),
            "programme.put".into(),
            "programme".into()
        )
    );
}

async fn pending_review(shop: &Shop, key: &str) -> i64 {
    let answer = send(
        &shop.router,
        Request::post("/api/v1/feedback")
            .header(header::CONTENT_TYPE, "application/json")
            .header("idempotency-key", key)
            .body(Body::from(
                json!({ "type": "review", "score": 5, "title": "Flott", "text": "God og varm",
                        "product_id": "p-setesdal", "campaign": "reviews" })
                .to_string(),
            ))
            .unwrap(),
    )
    .await;
    assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.text());
    answer.json()["id"].as_i64().unwrap()
}

#[tokio::test]
async fn a_review_moderated_in_another_tab_meanwhile_is_not_overwritten() {
    let shop = shop();
    let browser = shop.sign_in().await;
    let id = pending_review(&shop, "console-review-0001").await;
    let path = format!("/api/v1/feedback/{id}/moderation");
    let published = browser
        .write(
            &shop,
            "POST",
            &path,
            json!({ "status": "published", "from": "pending" }),
        )
        .await;
    assert_eq!(published.status, StatusCode::OK, "{}", published.text());
    let stale = browser
        .write(
            &shop,
            "POST",
            &path,
            json!({ "status": "rejected", "from": "pending" }),
        )
        .await;
    assert_eq!(stale.status, StatusCode::CONFLICT);
    assert_eq!(stale.error_code(), "stale_review");
    let reviews = shop
        .request(
            "GET",
            "/api/v1/products/p-setesdal/reviews",
            None,
            None,
            None,
        )
        .await
        .json();
    assert_eq!(reviews["reviews"][0]["text"], "God og varm");
    let page: AnswerPage = serde_json::from_slice(
        &browser
            .get(&shop, "/api/v1/admin/feedback?type=review&status=published")
            .await
            .body,
    )
    .unwrap();
    let row = page.answers.iter().find(|a| a.id == id).unwrap();
    assert_eq!(row.product_title.as_deref(), Some("Setesdal-genser"));
    assert_eq!(audit(&shop.db).last().unwrap().1, "review.moderate");
    // The console's export link is a plain GET with the session's cookie.
    let export = browser.get(&shop, "/api/v1/feedback/export.csv").await;
    assert_eq!(export.status, StatusCode::OK);
    assert!(export.text().contains("God og varm"));
}

#[tokio::test]
async fn a_manual_adjustment_needs_a_reason_is_made_once_per_key_and_never_below_zero() {
    let shop = shop();
    let browser = shop.sign_in().await;
    let path = "/api/v1/admin/customers/c-1002/adjustments";
    let adjust = |key: &'static str, body: Value| {
        let browser = &browser;
        let shop = &shop;
        async move {
            browser
                .write_with(shop, "POST", path, &[("idempotency-key", key)], body)
                .await
        }
    };
    let before: CustomerDetail = serde_json::from_slice(
        &browser
            .get(&shop, "/api/v1/admin/customers/c-1002")
            .await
            .body,
    )
    .unwrap();
    assert_eq!(before.points, 300);
    let no_reason = adjust("adjust-key-0001", json!({ "points": 50, "reason": " " })).await;
    assert_eq!(no_reason.status, StatusCode::UNPROCESSABLE_ENTITY);
    let too_much = adjust(
        "adjust-key-0002",
        json!({ "points": -301, "reason": "Feil" }),
    )
    .await;
    assert_eq!(too_much.error_code(), "insufficient_points");
    for _ in 0..2 {
        let ok = adjust(
            "adjust-key-0003",
            json!({ "points": 75, "reason": "Pakken kom aldri fram" }),
        )
        .await;
        assert_eq!(ok.status, StatusCode::CREATED, "{}", ok.text());
        let after: CustomerDetail = serde_json::from_slice(&ok.body).unwrap();
        assert_eq!(after.points, 375);
        assert_eq!(after.ledger[0].kind, "adjust");
        assert_eq!(
            after.ledger[0].detail.as_deref(),
            Some("Pakken kom aldri fram")
        );
    }
    let reused = adjust("adjust-key-0003", json!({ "points": 5, "reason": "Annet" })).await;
    assert_eq!(reused.error_code(), "idempotency_key_reused");
    assert_eq!(
        count(
            &shop.db,
            "SELECT count(*) FROM ledger WHERE kind = 'adjust'"
        ),
        1
    );
    let rows: Vec<AuditRow> =
        serde_json::from_slice(&browser.get(&shop, "/api/v1/admin/audit").await.body).unwrap();
    assert_eq!(rows[0].action, "points.adjust");
    assert_eq!(rows[0].target, "c-1002");
    assert_eq!(rows[0].detail["reason"], "Pakken kom aldri fram");
    assert_eq!(rows[0].detail["points"], 75);
    let unknown = browser
        .write_with(
            &shop,
            "POST",
            "/api/v1/admin/customers/nobody/adjustments",
            &[("idempotency-key", "adjust-key-0004")],
            json!({ "points": 5, "reason": "x" }),
        )
        .await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn customers_are_found_by_id_or_email() {
    let shop = shop();
    let browser = shop.sign_in().await;
    let find = |q: &'static str| {
        let browser = &browser;
        let shop = &shop;
        async move {
            let answer = browser
                .get(shop, &format!("/api/v1/admin/customers?q={q}"))
                .await;
            serde_json::from_slice::<Vec<CustomerHit>>(&answer.body)
                .unwrap()
                .into_iter()
                .map(|c| c.id)
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(find("c-1001").await, ["c-1001"]);
    assert_eq!(find("INGRID%40example.no").await, ["c-1001"]);
    assert_eq!(find("kari").await, ["c-1003"]);
    assert_eq!(find("c-100").await, ["c-1001", "c-1002", "c-1003"]);
    assert!(find("%25").await.is_empty());
    assert_eq!(
        browser
            .get(&shop, "/api/v1/admin/customers?q=")
            .await
            .status,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    let detail: CustomerDetail = serde_json::from_slice(
        &browser
            .get(&shop, "/api/v1/admin/customers/c-1001")
            .await
            .body,
    )
    .unwrap();
    assert_eq!(
        (detail.points, detail.tier.as_deref()),
        (1250, Some("Sølv"))
    );
}

async fn answer(shop: &Shop, key: &str, kind: &str, score: u8) {
    let answer = send(
        &shop.router,
        Request::post("/api/v1/feedback")
            .header(header::CONTENT_TYPE, "application/json")
            .header("idempotency-key", key)
            .body(Body::from(
                json!({ "type": kind, "score": score, "campaign": "2026-Q4" }).to_string(),
            ))
            .unwrap(),
    )
    .await;
    assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.text());
}

#[tokio::test]
async fn the_overview_counts_the_periods_answers_plays_points_and_coupons() {
    let shop = shop();
    let browser = shop.sign_in().await;
    for (i, score) in [10, 9, 9, 8, 3, 0].iter().enumerate() {
        answer(&shop, &format!("overview-nps-{i:04}"), "nps", *score).await;
    }
    answer(&shop, "overview-csat-0001", "csat", 4).await;
    answer(&shop, "overview-csat-0002", "csat", 5).await;
    // An old answer outside the period.
    common::execute(
        &shop.db,
        "INSERT INTO feedback (idempotency_key, type, score, campaign, status, created_at)
         VALUES ('old-nps-0001', 'nps', 0, 'old', 'received', '2020-01-01T10:00:00Z')",
        vec![],
    );
    let adjusted = browser
        .write_with(
            &shop,
            "POST",
            "/api/v1/admin/customers/c-1001/adjustments",
            &[("idempotency-key", "overview-adjust-1")],
            json!({ "points": 40, "reason": "Bursdagsgave" }),
        )
        .await;
    assert_eq!(adjusted.status, StatusCode::CREATED);

    let overview: Overview =
        serde_json::from_slice(&browser.get(&shop, "/api/v1/admin/overview").await.body).unwrap();
    let summary: FeedbackSummary = serde_json::from_slice(
        &browser
            .get(
                &shop,
                &format!(
                    "/api/v1/feedback/summary?from={}&to={}",
                    overview.from, overview.to
                ),
            )
            .await
            .body,
    )
    .unwrap();
    let sum = |f: fn(&lojal::core::console::WeekNps) -> u64| {
        overview.nps_weeks.iter().map(f).sum::<u64>()
    };
    assert_eq!(
        (
            sum(|w| w.promoters),
            sum(|w| w.passives),
            sum(|w| w.detractors)
        ),
        (
            summary.nps.promoters,
            summary.nps.passives,
            summary.nps.detractors
        )
    );
    assert_eq!((summary.nps.promoters, summary.nps.detractors), (3, 2));
    assert_eq!(overview.csat.average, Some(4.5));
    assert_eq!(overview.per_day.iter().map(|d| d.nps).sum::<u64>(), 6);
    assert_eq!(overview.points.issued, 40);
    assert!(
        overview
            .campaigns
            .iter()
            .any(|c| c.campaign_id == "vinterhjulet")
    );
    let old = browser
        .get(
            &shop,
            "/api/v1/admin/overview?from=2020-01-01&to=2020-01-31",
        )
        .await;
    let old: Overview = serde_json::from_slice(&old.body).unwrap();
    assert_eq!(old.nps_weeks.len(), 1);
    assert_eq!(old.nps_weeks[0].week, "2019-12-30");
    assert_eq!(old.nps_weeks[0].score, Some(-100));
    let bad = browser
        .get(
            &shop,
            "/api/v1/admin/overview?from=2020-02-01&to=2020-01-01",
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn answers_are_filtered_by_type_score_campaign_and_period() {
    let shop = shop();
    let browser = shop.sign_in().await;
    for (i, score) in [10, 6, 2].iter().enumerate() {
        answer(&shop, &format!("filter-nps-{i:04}"), "nps", *score).await;
    }
    answer(&shop, "filter-csat-0001", "csat", 2).await;
    let page = |query: &'static str| {
        let browser = &browser;
        let shop = &shop;
        async move {
            let answer = browser
                .get(shop, &format!("/api/v1/admin/feedback?{query}"))
                .await;
            assert_eq!(answer.status, StatusCode::OK, "{query}: {}", answer.text());
            serde_json::from_slice::<AnswerPage>(&answer.body).unwrap()
        }
    };
    assert_eq!(page("type=nps").await.total, 3);
    assert_eq!(page("type=nps&max_score=6").await.total, 2);
    assert_eq!(page("min_score=2&max_score=2").await.total, 2);
    assert_eq!(page("campaign=2026-Q4&type=csat").await.total, 1);
    assert_eq!(
        page("type=nps&from=2020-01-01&to=2020-12-31").await.total,
        0
    );
    let first = page("type=nps&per_page=2").await;
    assert_eq!((first.answers.len(), first.total), (2, 3));
    assert_eq!(page("type=nps&per_page=2&page=2").await.answers.len(), 1);
    for bad in ["type=other", "per_page=0", "from=yesterday", "status=gone"] {
        let answer = browser
            .get(&shop, &format!("/api/v1/admin/feedback?{bad}"))
            .await;
        assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
    }
}

#[tokio::test]
async fn a_preview_answers_the_widgets_requests_from_the_draft_and_stores_no_play() {
    let shop = shop();
    let browser = shop.sign_in().await;
    let mut programme =
        browser.get(&shop, "/api/v1/admin/programme").await.json()["programme"].clone();
    programme["tiers"][1]["name"] = json!("Sølv (utkast)");
    let created = browser
        .write(
            &shop,
            "POST",
            "/api/v1/admin/previews",
            json!({ "kind": "programme", "config": programme }),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text());
    let preview: PreviewCreated = serde_json::from_slice(&created.body).unwrap();
    let member = browser
        .get(&shop, &format!("{}/loyalty/preview-1250", preview.api))
        .await
        .json();
    assert_eq!(member["tier"]["name"], "Sølv (utkast)");
    let guest = browser
        .get(&shop, &format!("{}/loyalty/program", preview.api))
        .await
        .json();
    assert_eq!(guest["tiers"][1]["name"], "Sølv (utkast)");
    // The stored programme is untouched.
    let stored = browser.get(&shop, "/api/v1/admin/programme").await.json();
    assert_eq!(stored["programme"]["tiers"][1]["name"], "Sølv");

    let draft = campaign("utkast", &[5000, 5000, 0]);
    let created = browser
        .write(
            &shop,
            "POST",
            "/api/v1/admin/previews",
            json!({ "kind": "campaign", "config": draft }),
        )
        .await;
    let preview: PreviewCreated = serde_json::from_slice(&created.body).unwrap();
    let shown = browser
        .get(&shop, &format!("{}/campaigns/utkast", preview.api))
        .await
        .json();
    assert_eq!(shown["segments"].as_array().unwrap().len(), 3);
    let played = shop
        .request(
            "POST",
            &format!("{}/campaigns/utkast/play", preview.api),
            Some(&browser.cookie),
            None,
            Some(json!({ "customer_id": "preview" })),
        )
        .await;
    assert_eq!(played.status, StatusCode::OK, "{}", played.text());
    assert!(played.json()["segment_index"].as_u64().unwrap() < 2);
    assert_eq!(count(&shop.db, "SELECT count(*) FROM plays"), 0);
    assert_eq!(
        count(
            &shop.db,
            "SELECT count(*) FROM campaigns WHERE id = 'utkast'"
        ),
        0
    );
    // Chances that do not add up cannot be previewed either.
    let refused = browser
        .write(
            &shop,
            "POST",
            "/api/v1/admin/previews",
            json!({ "kind": "campaign", "config": campaign("x", &[1, 1, 1]) }),
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    // Without the session, nothing.
    let anonymous = shop
        .request(
            "GET",
            &format!("{}/campaigns/utkast", preview.api),
            None,
            None,
            None,
        )
        .await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn the_merchant_token_still_opens_the_merchant_endpoints_and_is_audited() {
    let shop = shop();
    let answer = send(
        &shop.router,
        Request::get("/api/v1/admin/overview")
            .header(header::AUTHORIZATION, format!("Bearer {TOKEN}"))
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(answer.status, StatusCode::OK);
    let put = send(
        &shop.router,
        Request::put("/api/v1/admin/campaigns/token")
            .header(header::AUTHORIZATION, format!("Bearer {TOKEN}"))
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(campaign("token", &[10000, 0, 0]).to_string()))
            .unwrap(),
    )
    .await;
    assert_eq!(put.status, StatusCode::OK, "{}", put.text());
    assert_eq!(
        audit(&shop.db)[0],
        (
            "merchant token".into(),
            "campaign.create".into(),
            "token".into()
        )
    );
}
