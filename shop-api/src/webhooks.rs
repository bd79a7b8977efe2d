//! Order and customer events from Shopify and WooCommerce, as their documentation describes
//! them. Each delivery's signature (base64 HMAC-SHA256 of the raw body under the webhook
//! secret) is checked in constant time before a byte of it is parsed; a delivery is then taken
//! once (Shopify's `X-Shopify-Webhook-Id` is the same on every retry of an event) and applied
//! as the order's whole state ([`crate::orders`]), so a WooCommerce delivery, whose id changes
//! on every retry, is also counted once.
//!
//! Shopify: `orders/paid` earns, `orders/cancelled` and `refunds/create` take back,
//! `customers/create` grants the sign-up bonus (<https://shopify.dev/docs/api/webhooks>, the
//! REST Order and Refund resources). WooCommerce: `order.created` / `order.updated` by status
//! (`processing`, `completed` earn; `refunded`, `cancelled`, `failed` take back; `refunds` gives
//! partial refunds), `customer.created` (WooCommerce REST API v3, Webhooks).

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::HeaderMap;
use base64::Engine;
use hmac::{Hmac, Mac};
use jiff::Timestamp;
use lojal::core::programme::{minor_digits, parse_amount};
use serde::Deserialize;
use serde_json::{Value, json};
use sha2::Sha256;

use crate::AppState;
use crate::calendar;
use crate::db::Conn;
use crate::error::ApiError;
use crate::orders::{self, Applied, Buyer, CustomerReport, OrderState, Standing};
use crate::params;
use crate::programme::{self, Programme};

/// Largest delivery taken: a Shopify order with hundreds of line items is a few hundred KB.
pub const MAX_WEBHOOK_BYTES: usize = 1 << 20;

/// A platform's webhook secret.
#[derive(Clone)]
pub struct WebhookSecret(Vec<u8>);

impl WebhookSecret {
    pub fn new(secret: impl Into<Vec<u8>>) -> Self {
        Self(secret.into())
    }

    /// Whether `signature` (base64) is the HMAC-SHA256 of `body`, compared in constant time.
    pub fn verify(&self, body: &[u8], signature: &str) -> bool {
        let Ok(presented) = base64::engine::general_purpose::STANDARD.decode(signature.trim())
        else {
            return false;
        };
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.0).expect("HMAC takes any key");
        mac.update(body);
        mac.verify_slice(&presented).is_ok()
    }

    /// What a platform sends for `body` (for tests and the demo's checkout).
    pub fn sign(&self, body: &[u8]) -> String {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.0).expect("HMAC takes any key");
        mac.update(body);
        base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
    }
}

impl std::fmt::Debug for WebhookSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("WebhookSecret(…)")
    }
}

/// The platforms' secrets; a platform without one has its endpoint switched off.
#[derive(Clone, Debug, Default)]
pub struct WebhookSecrets {
    pub shopify: Option<WebhookSecret>,
    pub woocommerce: Option<WebhookSecret>,
}

/// One delivery, understood.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event {
    Order(OrderState),
    /// A refund on its own; its amounts are read once the order's currency is known.
    Refund {
        order_key: String,
        refund_id: String,
        amounts: Vec<String>,
    },
    CustomerCreated(CustomerReport),
    /// A topic lojal does not act on: acknowledged, nothing stored.
    Ignored(String),
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// An id that a platform sends as a number or as a string.
#[derive(Clone, Debug, Deserialize)]
#[serde(untagged)]
enum Id {
    Number(u64),
    Text(String),
}

impl Id {
    fn text(&self) -> String {
        match self {
            Self::Number(n) => n.to_string(),
            Self::Text(s) => s.trim().to_owned(),
        }
    }
}

/// An amount a platform sends as a decimal string (the usual) or a JSON number.
#[derive(Clone, Debug, Deserialize)]
#[serde(untagged)]
enum Amount {
    Text(String),
    Number(f64),
}

impl Amount {
    /// The decimal text; a JSON number goes through its shortest decimal form, which is exact
    /// for every amount with its currency's decimals.
    fn text(&self) -> String {
        match self {
            Self::Text(s) => s.clone(),
            Self::Number(n) => format!("{n}"),
        }
    }

    /// Minor units, and whether it was negative.
    fn minor(&self, digits: u32) -> Result<(bool, u64), ApiError> {
        minor(&self.text(), digits)
    }
}

fn minor(text: &str, digits: u32) -> Result<(bool, u64), ApiError> {
    parse_amount(text, digits).map_err(|e| ApiError::InvalidBody(e.to_string()))
}

#[derive(Deserialize)]
struct ShopifyCustomer {
    id: Id,
    #[serde(default)]
    email: Option<String>,
    #[serde(default)]
    first_name: Option<String>,
}

#[derive(Deserialize)]
struct ShopifyMoney {
    amount: Amount,
}

#[derive(Deserialize)]
struct ShopifyMoneySet {
    shop_money: ShopifyMoney,
}

#[derive(Deserialize)]
struct ShopifyRefundLine {
    #[serde(default)]
    subtotal: Option<Amount>,
    #[serde(default)]
    subtotal_set: Option<ShopifyMoneySet>,
}

#[derive(Deserialize)]
struct ShopifyRefund {
    id: Id,
    #[serde(default)]
    order_id: Option<Id>,
    #[serde(default)]
    refund_line_items: Vec<ShopifyRefundLine>,
}

impl ShopifyRefund {
    /// Each refunded line's subtotal in the shop's currency, as decimal text.
    fn amounts(&self) -> Vec<String> {
        self.refund_line_items
            .iter()
            .filter_map(|line| match (&line.subtotal_set, &line.subtotal) {
                (Some(set), _) => Some(set.shop_money.amount.text()),
                (None, Some(amount)) => Some(amount.text()),
                (None, None) => None,
            })
            .collect()
    }

    /// The refunded items' subtotal, minor units.
    fn amount(&self, digits: u32) -> Result<u64, ApiError> {
        sum(&self.amounts(), digits)
    }
}

fn sum(amounts: &[String], digits: u32) -> Result<u64, ApiError> {
    amounts.iter().try_fold(0u64, |total, text| {
        Ok(total.saturating_add(minor(text, digits)?.1))
    })
}

#[derive(Deserialize)]
struct ShopifyOrder {
    id: Id,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    email: Option<String>,
    #[serde(default)]
    contact_email: Option<String>,
    currency: String,
    subtotal_price: Amount,
    #[serde(default)]
    financial_status: Option<String>,
    #[serde(default)]
    cancelled_at: Option<String>,
    #[serde(default)]
    customer: Option<ShopifyCustomer>,
    #[serde(default)]
    refunds: Vec<ShopifyRefund>,
    #[serde(default)]
    line_items: Vec<ShopifyLine>,
}

fn shape<T: for<'de> Deserialize<'de>>(body: &[u8], what: &str) -> Result<T, ApiError> {
    serde_json::from_slice(body).map_err(|e| ApiError::InvalidBody(format!("{what}: {e}")))
}

/// Reads a Shopify delivery of `topic`.
pub fn shopify_event(topic: &str, body: &[u8]) -> Result<Event, ApiError> {
    match topic {
        "orders/paid" | "orders/cancelled" | "orders/updated" => {
            let order: ShopifyOrder = shape(body, "a Shopify order")?;
            let digits = minor_digits(&order.currency);
            let cancelled = topic == "orders/cancelled" || order.cancelled_at.is_some();
            let standing = match (cancelled, topic, order.financial_status.as_deref()) {
                (true, _, _) => Standing::Cancelled,
                (_, "orders/paid", _) => Standing::Paid,
                (_, _, Some("paid" | "partially_refunded")) => Standing::Paid,
                (_, _, Some("refunded")) => Standing::Refunded,
                _ => Standing::Open,
            };
            let refunds = order
                .refunds
                .iter()
                .map(|r| Ok((r.id.text(), r.amount(digits)?)))
                .collect::<Result<_, ApiError>>()?;
            let (_, eligible) = order.subtotal_price.minor(digits)?;
            let customer = order.customer.as_ref();
            Ok(Event::Order(OrderState {
                key: format!("shopify:{}", order.id.text()),
                number: order.name.clone(),
                buyer: Buyer {
                    customer_id: customer.map(|c| c.id.text()),
                    email: order
                        .email
                        .clone()
                        .or(order.contact_email.clone())
                        .or_else(|| customer.and_then(|c| c.email.clone())),
                    first_name: customer.and_then(|c| c.first_name.clone()),
                },
                currency: order.currency,
                eligible,
                standing,
                refunds,
                lines: order
                    .line_items
                    .iter()
                    .filter_map(|l| Some((l.product_id.as_ref()?.text(), l.quantity.unwrap_or(1))))
                    .collect(),
            }))
        }
        "refunds/create" => {
            let refund: ShopifyRefund = shape(body, "a Shopify refund")?;
            let order_id = refund
                .order_id
                .as_ref()
                .ok_or_else(|| ApiError::InvalidBody("a Shopify refund: no order_id".into()))?;
            Ok(Event::Refund {
                order_key: format!("shopify:{}", order_id.text()),
                refund_id: refund.id.text(),
                amounts: refund.amounts(),
            })
        }
        "customers/create" => {
            let customer: ShopifyCustomer = shape(body, "a Shopify customer")?;
            Ok(Event::CustomerCreated(CustomerReport {
                id: customer.id.text(),
                email: customer.email,
                first_name: customer.first_name,
            }))
        }
        other => Ok(Event::Ignored(other.to_owned())),
    }
}

#[derive(Deserialize)]
struct WooBilling {
    #[serde(default)]
    email: Option<String>,
    #[serde(default)]
    first_name: Option<String>,
}

#[derive(Deserialize)]
struct WooLine {
    total: Amount,
    #[serde(default)]
    total_tax: Option<Amount>,
    #[serde(default)]
    product_id: Option<Id>,
    #[serde(default)]
    quantity: Option<u32>,
}

#[derive(Deserialize)]
struct ShopifyLine {
    #[serde(default)]
    product_id: Option<Id>,
    #[serde(default)]
    quantity: Option<u32>,
}

#[derive(Deserialize)]
struct WooRefund {
    id: Id,
    total: Amount,
}

#[derive(Deserialize)]
struct WooOrder {
    id: Id,
    #[serde(default)]
    number: Option<String>,
    status: String,
    currency: String,
    #[serde(default)]
    prices_include_tax: bool,
    #[serde(default)]
    customer_id: Option<Id>,
    #[serde(default)]
    billing: Option<WooBilling>,
    #[serde(default)]
    line_items: Vec<WooLine>,
    #[serde(default)]
    refunds: Vec<WooRefund>,
}

#[derive(Deserialize)]
struct WooCustomer {
    id: Id,
    #[serde(default)]
    email: Option<String>,
    #[serde(default)]
    first_name: Option<String>,
}

/// Reads a WooCommerce delivery of `topic`.
pub fn woocommerce_event(topic: &str, body: &[u8]) -> Result<Event, ApiError> {
    match topic {
        "order.created" | "order.updated" | "order.restored" => {
            let order: WooOrder = shape(body, "a WooCommerce order")?;
            let digits = minor_digits(&order.currency);
            let mut eligible: u64 = 0;
            for line in &order.line_items {
                let (_, total) = line.total.minor(digits)?;
                let tax = match (&line.total_tax, order.prices_include_tax) {
                    (Some(tax), true) => tax.minor(digits)?.1,
                    _ => 0,
                };
                eligible = eligible.saturating_add(total).saturating_add(tax);
            }
            let standing = match order.status.as_str() {
                "processing" | "completed" => Standing::Paid,
                "refunded" => Standing::Refunded,
                "cancelled" | "failed" | "trash" => Standing::Cancelled,
                _ => Standing::Open,
            };
            let refunds = order
                .refunds
                .iter()
                .map(|r| Ok((r.id.text(), r.total.minor(digits)?.1)))
                .collect::<Result<_, ApiError>>()?;
            // WooCommerce sends 0 for a guest.
            let customer_id = order
                .customer_id
                .as_ref()
                .map(Id::text)
                .filter(|id| !id.is_empty() && id != "0");
            let billing = order.billing.as_ref();
            Ok(Event::Order(OrderState {
                key: format!("woocommerce:{}", order.id.text()),
                number: order.number.clone().or_else(|| Some(order.id.text())),
                buyer: Buyer {
                    customer_id,
                    email: billing
                        .and_then(|b| b.email.clone())
                        .filter(|e| !e.is_empty()),
                    first_name: billing
                        .and_then(|b| b.first_name.clone())
                        .filter(|n| !n.is_empty()),
                },
                currency: order.currency,
                eligible,
                standing,
                refunds,
                lines: order
                    .line_items
                    .iter()
                    .filter_map(|l| Some((l.product_id.as_ref()?.text(), l.quantity.unwrap_or(1))))
                    .collect(),
            }))
        }
        "customer.created" => {
            let customer: WooCustomer = shape(body, "a WooCommerce customer")?;
            Ok(Event::CustomerCreated(CustomerReport {
                id: customer.id.text(),
                email: customer.email.filter(|e| !e.is_empty()),
                first_name: customer.first_name.filter(|n| !n.is_empty()),
            }))
        }
        other => Ok(Event::Ignored(other.to_owned())),
    }
}

/// Applies one event inside the caller's transaction.
pub fn apply_event(
    tx: &mut Conn,
    programme: &Programme,
    event: &Event,
    now: Timestamp,
) -> Result<Value, ApiError> {
    Ok(match event {
        Event::Order(state) => json!({ "order": orders::apply_in(tx, programme, state, now)? }),
        Event::Refund {
            order_key,
            refund_id,
            amounts,
        } => {
            // A Shopify refund's amounts are in the order's currency: read them with its
            // digits (the programme's when the order is not known yet).
            let currency: Option<String> = tx
                .query_opt(
                    "SELECT currency FROM shop_orders WHERE order_key = ?1",
                    &params![order_key],
                )?
                .map(|row| row.get(0))
                .transpose()?;
            let digits = minor_digits(currency.as_deref().unwrap_or(&programme.config.currency));
            let amount = sum(amounts, digits)?;
            let applied: Applied =
                orders::apply_refund(tx, programme, order_key, refund_id, amount, now)?;
            json!({ "order": applied })
        }
        Event::CustomerCreated(customer) => {
            json!({ "customer": orders::sign_up_in(tx, programme, customer, now)? })
        }
        Event::Ignored(topic) => json!({ "ignored": topic }),
    })
}

/// Takes a delivery once: records its id (when the platform gives one) and applies it, in
/// one transaction, so a delivery answered 2xx is in the ledger exactly once.
pub fn take_delivery(
    conn: &mut Conn,
    platform: &str,
    delivery_id: Option<&str>,
    topic: &str,
    event: &Event,
    now: Timestamp,
) -> Result<Value, ApiError> {
    let programme = programme::load(conn)?;
    let mut tx = conn.transaction()?;
    if let Some(id) = delivery_id {
        let fresh = tx.execute(
            "INSERT INTO webhook_deliveries (platform, delivery_id, topic, received_at)
             VALUES (?1, ?2, ?3, ?4) ON CONFLICT (platform, delivery_id) DO NOTHING",
            &params![platform, id, topic, calendar::text(now)],
        )? > 0;
        if !fresh {
            return Ok(json!({ "duplicate": true, "topic": topic }));
        }
    }
    let mut answer = apply_event(&mut tx, &programme, event, now)?;
    tx.commit()?;
    answer["topic"] = json!(topic);
    Ok(answer)
}

/// `POST /api/v1/webhooks/shopify`.
pub async fn shopify(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    let secret = state
        .webhooks
        .shopify
        .as_ref()
        .ok_or(ApiError::WebhooksOff("LOJAL_SHOPIFY_WEBHOOK_SECRET"))?;
    let signature = header(&headers, "x-shopify-hmac-sha256").unwrap_or("");
    if !secret.verify(&body, signature) {
        return Err(ApiError::InvalidWebhookSignature);
    }
    let topic = header(&headers, "x-shopify-topic").unwrap_or("").to_owned();
    let delivery = header(&headers, "x-shopify-webhook-id")
        .filter(|id| (1..=200).contains(&id.len()))
        .map(str::to_owned);
    let event = shopify_event(&topic, &body)?;
    state
        .db
        .write(move |conn| {
            take_delivery(
                conn,
                "shopify",
                delivery.as_deref(),
                &topic,
                &event,
                calendar::now(),
            )
            .map(Json)
        })
        .await
}

/// `POST /api/v1/webhooks/woocommerce`.
pub async fn woocommerce(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    let secret = state
        .webhooks
        .woocommerce
        .as_ref()
        .ok_or(ApiError::WebhooksOff("LOJAL_WOOCOMMERCE_WEBHOOK_SECRET"))?;
    let signature = header(&headers, "x-wc-webhook-signature");
    // Saving a webhook in WooCommerce sends `webhook_id=<n>` unsigned, to see that the URL
    // answers; it carries nothing to store.
    if signature.is_none() && is_woocommerce_ping(&body) {
        return Ok(Json(json!({ "ping": true })));
    }
    if !secret.verify(&body, signature.unwrap_or("")) {
        return Err(ApiError::InvalidWebhookSignature);
    }
    let topic = header(&headers, "x-wc-webhook-topic")
        .unwrap_or("")
        .to_owned();
    let event = woocommerce_event(&topic, &body)?;
    // WooCommerce's delivery id changes on every delivery: the order's state is the key.
    state
        .db
        .write(move |conn| {
            take_delivery(conn, "woocommerce", None, &topic, &event, calendar::now()).map(Json)
        })
        .await
}

fn is_woocommerce_ping(body: &[u8]) -> bool {
    body.strip_prefix(b"webhook_id=")
        .is_some_and(|id| !id.is_empty() && id.len() <= 20 && id.iter().all(u8::is_ascii_digit))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_are_base64_hmac_sha256_of_the_raw_body() {
        // Shopify's documented check: base64(HMAC-SHA256(secret, raw body)).
        let secret = WebhookSecret::new("hush");
        let body = br#"{"id":820982911946154508}"#;
        let signature = secret.sign(body);
        assert!(secret.verify(body, &signature));
        assert!(!secret.verify(br#"{"id":820982911946154509}"#, &signature));
        assert!(!WebhookSecret::new("other").verify(body, &signature));
        assert!(!secret.verify(body, ""));
        assert!(!secret.verify(body, "not base64!"));
        assert!(!secret.verify(body, &signature[..20]));
    }

    #[test]
    fn woocommerce_pings_are_recognised_and_nothing_else() {
        assert!(is_woocommerce_ping(b"webhook_id=42"));
        assert!(!is_woocommerce_ping(b"webhook_id="));
        assert!(!is_woocommerce_ping(b"webhook_id=42&x=1"));
        assert!(!is_woocommerce_ping(br#"{"id":42}"#));
    }
}
