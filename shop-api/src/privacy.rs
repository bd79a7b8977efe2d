//! A shopper's data, as the GDPR asks of the shop: everything lojal holds about her, exported as
//! one JSON document (`shop-api customer export ID`, `GET /api/v1/admin/customers/{id}`), and
//! erased (`shop-api customer erase ID`, `DELETE /api/v1/admin/customers/{id}`).
//!
//! She is her customer id with every email address lojal has for her, or a guest's email alone.
//! Erasure keeps the shop's figures: her rows stay, under a random pseudonym (`erased-…`) that
//! nothing links back to her, with every personal field emptied. Points, coupons, stock, orders'
//! amounts, NPS and review scores add up as before; her name, email, birthday, answers' texts,
//! consent and referral code are gone, and so is every mention of her in the event log and the
//! work queue's payloads.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use jiff::Timestamp;
use serde_json::{Map, Value as JsonValue, json};

use crate::AppState;
use crate::calendar;
use crate::db::{Conn, DbError, Value};
use crate::error::ApiError;
use crate::merchant;
use crate::params;

/// Free-text fields of an event that mentions her: emptied with her.
const PERSONAL_TEXT: [&str; 5] = ["text", "title", "first_name", "page_url", "order_id"];

/// Whose data: a customer id (with her emails), or a guest's email.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Subject {
    pub customer_id: Option<String>,
    /// In lower case.
    pub emails: Vec<String>,
}

/// `key` is her customer id; or, when no customer has that id and it holds an `@`, a guest's
/// email (a customer with that email is then found by it).
pub fn subject(conn: &mut Conn, key: &str) -> Result<Subject, DbError> {
    let key = key.trim();
    let known = conn
        .query_opt("SELECT id FROM customers WHERE id = ?1", &params![key])?
        .is_some();
    let customer_id = if known || !key.contains('@') {
        Some(key.to_owned())
    } else {
        conn.query_opt(
            "SELECT id FROM customers WHERE lower(email) = ?1",
            &params![key.to_lowercase()],
        )?
        .map(|row| row.get(0))
        .transpose()?
    };
    let mut emails: Vec<String> = Vec::new();
    if key.contains('@') {
        emails.push(key.to_lowercase());
    }
    if let Some(id) = &customer_id {
        for row in conn.query(
            "SELECT email FROM customers WHERE id = ?1 AND email IS NOT NULL
             UNION SELECT email FROM shop_orders WHERE customer_id = ?1 AND email IS NOT NULL",
            &params![id],
        )? {
            let email: String = row.get(0)?;
            let email = email.trim().to_lowercase();
            if !email.is_empty() && !emails.contains(&email) {
                emails.push(email);
            }
        }
    }
    Ok(Subject {
        customer_id,
        emails,
    })
}

impl Subject {
    /// The keys her plays and prizes are bound to: `customer:<id>`, `email:<address>`.
    fn players(&self) -> Vec<String> {
        self.customer_id
            .iter()
            .map(|id| format!("customer:{id}"))
            .chain(self.emails.iter().map(|e| format!("email:{e}")))
            .collect()
    }

    /// Everything that names her, to find her in JSON payloads.
    fn needles(&self) -> Vec<String> {
        self.customer_id
            .iter()
            .cloned()
            .chain(self.emails.iter().cloned())
            .collect()
    }
}

/// Rows of `sql` as objects with `columns` as their keys.
fn objects(
    conn: &mut Conn,
    sql: &str,
    params: &[Value],
    columns: &[&str],
) -> Result<Vec<JsonValue>, DbError> {
    conn.query(sql, params)?
        .iter()
        .map(|row| {
            let mut object = Map::new();
            for (index, column) in columns.iter().enumerate() {
                let value = match row.get::<Value>(index)? {
                    Value::Null => JsonValue::Null,
                    Value::Integer(n) => json!(n),
                    Value::Real(r) => json!(r),
                    Value::Text(t) => json!(t),
                };
                object.insert((*column).to_owned(), value);
            }
            Ok(JsonValue::Object(object))
        })
        .collect()
}

/// Her rows of `table`: `columns` of the rows that `filter` (with `?1`, and any `ORDER BY`)
/// finds for each of `keys`, as objects keyed by column.
fn rows_of(
    conn: &mut Conn,
    table: &str,
    columns: &[&str],
    filter: &str,
    keys: &[String],
) -> Result<Vec<JsonValue>, DbError> {
    let sql = format!("SELECT {} FROM {table} WHERE {filter}", columns.join(", "));
    objects_for(conn, &sql, keys, columns)
}

/// The columns of a shop order that the export shows.
const ORDER_COLUMNS: &[&str] = &[
    "order_key",
    "number",
    "email",
    "currency",
    "eligible",
    "refunded",
    "paid",
    "cancelled",
    "earned",
    "note",
    "paid_at",
    "created_at",
    "updated_at",
];

/// The same rows for each of `keys`, one query per key.
fn objects_for(
    conn: &mut Conn,
    sql: &str,
    keys: &[String],
    columns: &[&str],
) -> Result<Vec<JsonValue>, DbError> {
    let mut all = Vec::new();
    for key in keys {
        all.extend(objects(conn, sql, &params![key], columns)?);
    }
    Ok(all)
}

/// JSON documents (events, queued work) in `table`'s `column` that name her, as
/// `(key, document)`; `key` is the row's primary key.
fn documents(
    conn: &mut Conn,
    subject: &Subject,
    table: &str,
    key: &str,
    column: &str,
) -> Result<Vec<(Value, JsonValue)>, DbError> {
    let mut found: Vec<(Value, JsonValue)> = Vec::new();
    let sql = format!(
        "SELECT {key}, {column} FROM {table} WHERE lower({column}) LIKE '%' || lower(?1) || '%'"
    );
    for needle in subject.needles() {
        for row in conn.query(&sql, &params![&needle])? {
            let id: Value = row.get(0)?;
            if found.iter().any(|(seen, _)| *seen == id) {
                continue;
            }
            let text: String = row.get(1)?;
            let document = serde_json::from_str(&text)
                .map_err(|e| DbError::Mismatch(format!("{table}.{column}: {e}")))?;
            if mentions(&document, subject) {
                found.push((id, document));
            }
        }
    }
    Ok(found)
}

fn names_her(text: &str, subject: &Subject) -> bool {
    subject.customer_id.as_deref() == Some(text)
        || subject.emails.iter().any(|e| e.eq_ignore_ascii_case(text))
        || subject.players().iter().any(|p| p == text)
}

/// Whether any string in `document` is her id, one of her emails or one of her player keys.
fn mentions(document: &JsonValue, subject: &Subject) -> bool {
    match document {
        JsonValue::String(text) => names_her(text, subject),
        JsonValue::Array(items) => items.iter().any(|item| mentions(item, subject)),
        JsonValue::Object(fields) => fields.values().any(|value| mentions(value, subject)),
        _ => false,
    }
}

/// `document` without her: her id and player keys become the pseudonym's, her emails null,
/// and an object that named her loses its free texts (when `texts`).
fn scrub(document: &mut JsonValue, subject: &Subject, pseudonym: &str, texts: bool) {
    match document {
        JsonValue::String(text) if names_her(text, subject) => {
            *document = if subject.customer_id.as_deref() == Some(text.as_str()) {
                json!(pseudonym)
            } else if text.starts_with("customer:") {
                json!(format!("customer:{pseudonym}"))
            } else if text.starts_with("email:") {
                json!(format!("email:{pseudonym}"))
            } else {
                JsonValue::Null
            };
        }
        JsonValue::Array(items) => {
            for item in items {
                scrub(item, subject, pseudonym, texts);
            }
        }
        JsonValue::Object(fields) => {
            let hers = fields
                .values()
                .any(|value| names_her_directly(value, subject));
            for value in fields.values_mut() {
                scrub(value, subject, pseudonym, texts);
            }
            if hers && texts {
                for name in PERSONAL_TEXT {
                    if let Some(value) = fields.get_mut(name) {
                        *value = JsonValue::Null;
                    }
                }
            }
        }
        _ => {}
    }
}

fn names_her_directly(value: &JsonValue, subject: &Subject) -> bool {
    value.as_str().is_some_and(|text| names_her(text, subject))
}

/// Everything lojal holds about `subject`, one key per kind of record.
pub fn export(conn: &mut Conn, subject: &Subject, now: Timestamp) -> Result<JsonValue, ApiError> {
    let ids: Vec<String> = subject.customer_id.iter().cloned().collect();
    let players = subject.players();
    let emails = &subject.emails;
    let customer = rows_of(
        conn,
        "customers",
        &[
            "id",
            "first_name",
            "email",
            "created_at",
            "birthday_month",
            "birthday_day",
            "birthday_set_at",
            "referral_code",
        ],
        "id = ?1",
        &ids,
    )?;
    let ledger = rows_of(
        conn,
        "ledger",
        &[
            "kind",
            "points",
            "tier_points",
            "source",
            "detail",
            "shortfall",
            "available_at",
            "created_at",
        ],
        "customer_id = ?1 ORDER BY id",
        &ids,
    )?;
    let coupons = rows_of(
        conn,
        "coupons",
        &[
            "code",
            "reward_id",
            "reward_name",
            "cost",
            "status",
            "created_at",
            "expires_at",
        ],
        "customer_id = ?1 ORDER BY created_at, code",
        &ids,
    )?;
    let plays = rows_of(
        conn,
        "plays",
        &[
            "campaign_id",
            "label",
            "coupon_code",
            "email",
            "marketing_consent",
            "consent_text",
            "played_at",
            "next_play_at",
        ],
        "player = ?1 ORDER BY id",
        &players,
    )?;
    let prizes = rows_of(
        conn,
        "game_coupons",
        &[
            "code",
            "campaign_id",
            "prize",
            "status",
            "created_at",
            "expires_at",
        ],
        "player = ?1 ORDER BY created_at, code",
        &players,
    )?;
    let feedback = rows_of(
        conn,
        "feedback",
        &[
            "type",
            "score",
            "title",
            "text",
            "product_id",
            "campaign",
            "order_id",
            "page_url",
            "locale",
            "status",
            "created_at",
        ],
        "customer_id = ?1 ORDER BY id",
        &ids,
    )?;
    // The friends she invited are their own data: only what her invitations came to.
    let invited = rows_of(
        conn,
        "referrals",
        &["created_at", "expires_at", "status", "converted_at"],
        "referrer_id = ?1 ORDER BY id",
        &ids,
    )?;
    let invitation = rows_of(
        conn,
        "referrals",
        &[
            "email",
            "coupon_code",
            "status",
            "created_at",
            "expires_at",
            "converted_at",
        ],
        "lower(email) = ?1",
        emails,
    )?;
    let mut orders = rows_of(
        conn,
        "shop_orders",
        ORDER_COLUMNS,
        "customer_id = ?1 ORDER BY created_at",
        &ids,
    )?;
    for order in rows_of(
        conn,
        "shop_orders",
        ORDER_COLUMNS,
        "lower(email) = ?1 AND customer_id IS NULL ORDER BY created_at",
        emails,
    )? {
        orders.push(order);
    }
    let purchases = objects_for(
        conn,
        "SELECT p.product_id, p.order_key, p.created_at FROM purchases p
         WHERE p.shopper = ?1
         UNION SELECT l.product_id, o.id, o.created_at FROM orders o
         JOIN order_lines l ON l.order_id = o.id WHERE o.customer_id = ?1
         ORDER BY 3, 1",
        &ids,
        &["product_id", "order", "created_at"],
    )?;
    let events: Vec<JsonValue> = documents(conn, subject, "events", "id", "payload")?
        .into_iter()
        .map(|(_, document)| document)
        .collect();
    let queued: Vec<JsonValue> = documents(conn, subject, "work_queue", "id", "payload")?
        .into_iter()
        .map(|(_, document)| document)
        .collect();
    // The merchant's changes to her (the console's manual adjustments), with their reasons.
    let changes = objects_for(
        conn,
        "SELECT at, actor, action, detail FROM audit_log WHERE target = ?1 ORDER BY id",
        &ids,
        &["at", "actor", "action", "detail"],
    )?;
    let sections = [
        ("customer", customer),
        ("ledger", ledger),
        ("coupons", coupons),
        ("plays", plays),
        ("prizes", prizes),
        ("feedback", feedback),
        ("referrals_made", invited),
        ("referral_received", invitation),
        ("orders", orders),
        ("purchases", purchases),
        ("events", events),
        ("queued_work", queued),
        ("merchant_changes", changes),
    ];
    if sections.iter().all(|(_, rows)| rows.is_empty()) {
        return Err(ApiError::UnknownCustomer);
    }
    let mut document = Map::new();
    document.insert(
        "subject".into(),
        json!({ "customer_id": subject.customer_id, "emails": subject.emails }),
    );
    document.insert("exported_at".into(), json!(calendar::text(now)));
    for (name, rows) in sections {
        document.insert(name.into(), JsonValue::Array(rows));
    }
    Ok(JsonValue::Object(document))
}

/// Erases `subject` in one transaction; answers the rows changed per table and the pseudonym
/// her figures now stand under, or `UnknownCustomer` when nothing of hers is left (also to the
/// second of two erasures at once).
pub fn erase(conn: &mut Conn, subject: &Subject) -> Result<JsonValue, ApiError> {
    let mut bytes = [0u8; 8];
    getrandom::fill(&mut bytes)
        .map_err(|e| ApiError::Internal(format!("the OS random source: {e}")))?;
    let pseudonym = format!("erased-{}", hex::encode(bytes));
    let mut changed: Vec<(&str, u64)> = Vec::new();
    let mut tx = conn.transaction()?;
    tx.lock_key(&format!("erase:{}", subject.needles().join(",")))?;
    export(&mut tx, subject, calendar::now())?;
    if let Some(id) = &subject.customer_id {
        let sql = format!(
            "SELECT created_at FROM customers WHERE id = ?1{}",
            tx.for_update()
        );
        if let Some(row) = tx.query_opt(&sql, &params![id])? {
            // Her rows move to a customer with nothing of hers but the date she joined.
            let created_at: Option<String> = row.get(0)?;
            tx.execute(
                "INSERT INTO customers (id, created_at) VALUES (?1, ?2)",
                &params![&pseudonym, created_at],
            )?;
            // A merchant's reason for a manual adjustment is free text about her.
            tx.execute(
                "UPDATE ledger SET detail = NULL WHERE customer_id = ?1 AND kind = 'adjust'",
                &params![id],
            )?;
            for (table, column) in [
                ("ledger", "customer_id"),
                ("coupons", "customer_id"),
                ("orders", "customer_id"),
                ("shop_orders", "customer_id"),
                ("referrals", "referrer_id"),
            ] {
                let sql = format!("UPDATE {table} SET {column} = ?2 WHERE {column} = ?1");
                changed.push((table, tx.execute(&sql, &params![id, &pseudonym])?));
            }
            changed.push((
                "customers",
                tx.execute("DELETE FROM customers WHERE id = ?1", &params![id])?,
            ));
        }
        changed.push((
            "feedback",
            tx.execute(
                "UPDATE feedback SET customer_id = NULL, title = NULL, text = NULL,
                        order_id = NULL, page_url = NULL
                 WHERE customer_id = ?1",
                &params![id],
            )?,
        ));
        changed.push((
            "purchases",
            tx.execute(
                "UPDATE purchases SET shopper = ?2 WHERE shopper = ?1",
                &params![id, &pseudonym],
            )?,
        ));
        // The audit log keeps who changed what and by how much, under her pseudonym; the
        // merchant's reason, free text about her, goes.
        let rows = tx.query(
            "SELECT id, detail FROM audit_log WHERE target = ?1",
            &params![id],
        )?;
        for row in rows {
            let (row_id, detail): (Value, String) = (row.get(0)?, row.get(1)?);
            let mut detail: JsonValue = serde_json::from_str(&detail)
                .map_err(|e| DbError::Mismatch(format!("audit_log.detail: {e}")))?;
            if let Some(fields) = detail.as_object_mut() {
                for name in PERSONAL_TEXT.iter().chain(&["reason"]) {
                    if let Some(value) = fields.get_mut(*name) {
                        *value = JsonValue::Null;
                    }
                }
            }
            tx.execute(
                "UPDATE audit_log SET target = ?2, detail = ?3 WHERE id = ?1",
                &[
                    row_id,
                    Value::from(pseudonym.clone()),
                    Value::from(detail.to_string()),
                ],
            )?;
            changed.push(("audit_log", 1));
        }
    }
    for player in subject.players() {
        let (kind, _) = player.split_once(':').unwrap_or(("email", ""));
        let replacement = format!("{kind}:{pseudonym}");
        changed.push((
            "plays",
            tx.execute(
                "UPDATE plays SET player = ?2, email = NULL, consent_text = NULL,
                        marketing_consent = 0
                 WHERE player = ?1",
                &params![&player, &replacement],
            )?,
        ));
        changed.push((
            "game_coupons",
            tx.execute(
                "UPDATE game_coupons SET player = ?2 WHERE player = ?1",
                &params![&player, &replacement],
            )?,
        ));
    }
    for (n, email) in subject.emails.iter().enumerate() {
        changed.push((
            "shop_orders",
            tx.execute(
                "UPDATE shop_orders SET email = NULL WHERE lower(email) = ?1",
                &params![email],
            )?,
        ));
        // The invitation stays counted; the address it went to is no longer an address.
        changed.push((
            "referrals",
            tx.execute(
                "UPDATE referrals SET email = ?2, ip_hash = '' WHERE lower(email) = ?1",
                &params![email, format!("{pseudonym}-{n}@erased.invalid")],
            )?,
        ));
    }
    for (table, texts) in [("events", true), ("work_queue", false)] {
        let found = documents(&mut tx, subject, table, "id", "payload")?;
        let sql = format!("UPDATE {table} SET payload = ?2 WHERE id = ?1");
        for (id, mut document) in found {
            // Queued work must still be workable: its texts are the shop's, not hers.
            scrub(&mut document, subject, &pseudonym, texts);
            tx.execute(&sql, &[id, Value::from(document.to_string())])?;
            changed.push((table, 1));
        }
    }
    tx.commit()?;
    let mut rows = Map::new();
    for (table, count) in changed {
        let total = rows.get(table).and_then(JsonValue::as_u64).unwrap_or(0) + count;
        rows.insert(table.into(), json!(total));
    }
    Ok(json!({ "pseudonym": pseudonym, "rows": rows }))
}

/// `GET /api/v1/admin/customers/{key}`: her data as one JSON document (merchant token).
pub async fn admin_export(
    State(state): State<AppState>,
    Path(key): Path<String>,
    headers: HeaderMap,
) -> Result<Json<JsonValue>, ApiError> {
    merchant::authorize(state.merchant_token.as_ref(), &headers)?;
    state
        .db
        .run(move |conn| {
            let subject = subject(conn, &key)?;
            export(conn, &subject, calendar::now()).map(Json)
        })
        .await
}

/// `DELETE /api/v1/admin/customers/{key}`: erases her (merchant token); answers what changed.
pub async fn admin_erase(
    State(state): State<AppState>,
    Path(key): Path<String>,
    headers: HeaderMap,
) -> Result<Json<JsonValue>, ApiError> {
    merchant::authorize(state.merchant_token.as_ref(), &headers)?;
    let (subject, erased) = state
        .db
        .write(move |conn| {
            let subject = subject(conn, &key)?;
            let erased = erase(conn, &subject)?;
            Ok::<_, ApiError>((subject, erased))
        })
        .await?;
    // This process's recommendation model forgets her history's owner too.
    if let (Some(id), Some(pseudonym)) = (&subject.customer_id, erased["pseudonym"].as_str()) {
        state.recs.rename_shopper(id, pseudonym);
    }
    Ok(Json(erased))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn solveig() -> Subject {
        Subject {
            customer_id: Some("c-7781".into()),
            emails: vec!["solveig@example.no".into()],
        }
    }

    #[test]
    fn scrubbing_replaces_her_ids_and_empties_the_texts_of_what_names_her() {
        let mut event = json!({
            "type": "feedback.answered",
            "data": { "customer_id": "c-7781", "text": "Hilsen Solveig", "score": 9,
                      "title": null, "campaign": "c-7781-campaign" },
            "others": [{ "email": "SOLVEIG@example.no", "title": "Gratis frakt" },
                       { "email": "kari@example.no", "title": "Gratis frakt" },
                       "email:solveig@example.no", "customer:c-7781"]
        });
        assert!(mentions(&event, &solveig()));
        scrub(&mut event, &solveig(), "erased-1", true);
        assert_eq!(
            event,
            json!({
                "type": "feedback.answered",
                "data": { "customer_id": "erased-1", "text": null, "score": 9, "title": null,
                          "campaign": "c-7781-campaign" },
                "others": [{ "email": null, "title": null },
                           { "email": "kari@example.no", "title": "Gratis frakt" },
                           "email:erased-1", "customer:erased-1"]
            })
        );
        assert!(!mentions(&event, &solveig()));
        let mut job = json!({ "customer_id": "c-7781", "email": "solveig@example.no", "title": "lojal: 10 %" });
        scrub(&mut job, &solveig(), "erased-1", false);
        assert_eq!(
            job,
            json!({ "customer_id": "erased-1", "email": null, "title": "lojal: 10 %" })
        );
    }
}
