//! Coupons the shop's own checkout accepts: each code lojal pays out is created at the shop
//! platform before the shopper sees it.
//!
//! - `shopify`: the Admin GraphQL API, `discountCodeBasicCreate` for an amount or a percentage
//!   off, `discountCodeFreeShippingCreate` for free shipping; one use, limited to the customer
//!   where she is a Shopify customer, ending when the coupon does.
//! - `woocommerce`: the REST API's `POST /wp-json/wc/v3/coupons` (`fixed_cart` or `percent`,
//!   `free_shipping`, `usage_limit` 1, `email_restrictions`, `date_expires_gmt`), with the
//!   consumer key and secret (HTTP basic authentication over HTTPS).
//! - `webhook`: the shop's own backend is sent a signed `coupon.issued` event (Standard
//!   Webhooks) and creates the code; a 2xx means it did.
//! - `none`: codes valid only in lojal (the demo's default).
//!
//! A creation may be retried (a lost answer, a worker that died): the code is lojal's own, so
//! a retry that finds it already exists (Shopify's "must be unique", WooCommerce's
//! `woocommerce_rest_coupon_code_already_exists`) checks it is there and counts as done.

use std::time::Duration;

use base64::Engine;
use jiff::Timestamp;
use lojal::core::programme::minor_digits;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::egress::{self, Answer, CallError, Egress};
use crate::outbound;

/// Which platform creates the shop's coupons.
#[derive(Clone, Debug, Default)]
pub enum Provider {
    #[default]
    None,
    Shopify {
        /// `https://<shop>.myshopify.com/admin/api/<version>/graphql.json`, or a stand-in.
        endpoint: reqwest::Url,
        token: String,
    },
    WooCommerce {
        /// The shop's base URL (`https://shop.example`).
        base: reqwest::Url,
        key: String,
        secret: String,
    },
    Webhook {
        url: reqwest::Url,
        secret: String,
    },
}

impl Provider {
    pub fn name(&self) -> &'static str {
        match self {
            Self::None => "none",
            Self::Shopify { .. } => "shopify",
            Self::WooCommerce { .. } => "woocommerce",
            Self::Webhook { .. } => "webhook",
        }
    }

    /// Whether codes wait for the shop platform before the shopper sees them.
    pub fn is_external(&self) -> bool {
        !matches!(self, Self::None)
    }

    /// The provider from the environment (`LOJAL_COUPON_PROVIDER` and its settings); an
    /// incomplete configuration is an error at start, naming what is missing.
    pub fn from_env(get: impl Fn(&str) -> Option<String>) -> Result<Self, String> {
        let need = |name: &str| {
            get(name)
                .filter(|v| !v.trim().is_empty())
                .ok_or_else(|| format!("{name} is required for this coupon provider"))
        };
        let url = |name: &str, value: String| {
            let url = reqwest::Url::parse(&value).map_err(|e| format!("{name}: {e}"))?;
            let loopback = url
                .host_str()
                .is_some_and(|h| h == "localhost" || h.starts_with("127.") || h == "[::1]");
            if url.scheme() != "https" && !loopback {
                return Err(format!(
                    "{name}: must be https (the shop's credentials travel with every call)"
                ));
            }
            Ok(url)
        };
        match get("LOJAL_COUPON_PROVIDER").as_deref().map(str::trim) {
            None | Some("" | "none") => Ok(Self::None),
            Some("shopify") => {
                let endpoint = match get("LOJAL_SHOPIFY_ADMIN_URL").filter(|v| !v.is_empty()) {
                    Some(full) => url("LOJAL_SHOPIFY_ADMIN_URL", full)?,
                    None => {
                        let shop = need("LOJAL_SHOPIFY_SHOP")?;
                        let version =
                            get("LOJAL_SHOPIFY_API_VERSION").unwrap_or_else(|| "2026-07".into());
                        let host = if shop.contains('.') {
                            shop
                        } else {
                            format!("{shop}.myshopify.com")
                        };
                        url(
                            "LOJAL_SHOPIFY_SHOP",
                            format!("https://{host}/admin/api/{version}/graphql.json"),
                        )?
                    }
                };
                Ok(Self::Shopify {
                    endpoint,
                    token: need("LOJAL_SHOPIFY_ADMIN_TOKEN")?,
                })
            }
            Some("woocommerce") => Ok(Self::WooCommerce {
                base: url("LOJAL_WOOCOMMERCE_URL", need("LOJAL_WOOCOMMERCE_URL")?)?,
                key: need("LOJAL_WOOCOMMERCE_KEY")?,
                secret: need("LOJAL_WOOCOMMERCE_SECRET")?,
            }),
            Some("webhook") => {
                let secret = need("LOJAL_COUPON_WEBHOOK_SECRET")?;
                outbound::SigningSecret::parse(&secret)
                    .map_err(|e| format!("LOJAL_COUPON_WEBHOOK_SECRET: {e}"))?;
                Ok(Self::Webhook {
                    url: url(
                        "LOJAL_COUPON_WEBHOOK_URL",
                        need("LOJAL_COUPON_WEBHOOK_URL")?,
                    )?,
                    secret,
                })
            }
            Some(other) => Err(format!(
                "LOJAL_COUPON_PROVIDER: {other:?} is not shopify, woocommerce, webhook or none"
            )),
        }
    }
}

/// A coupon to create at the shop platform: the `coupon.create` job's payload.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CouponSpec {
    /// Which table holds it: `coupons` (a reward), `game_coupons` (a prize), `referrals`.
    pub table: String,
    pub code: String,
    /// Shown in the shop's admin ("lojal: Gratis frakt").
    pub title: String,
    /// `free_shipping`, `fixed_amount` (minor units) or `percentage`.
    pub kind: String,
    pub amount: Option<u64>,
    pub currency: String,
    /// lojal's customer id, when the shopper is one (a Shopify customer's numeric id).
    pub customer_id: Option<String>,
    pub email: Option<String>,
    pub starts_at: String,
    pub expires_at: String,
}

/// What a creation attempt came to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Created {
    Yes {
        reference: Option<String>,
    },
    /// Worth trying again (timeouts, resets, 5xx, throttling), after at least `retry_after`.
    NotYet {
        why: String,
        retry_after: Option<Duration>,
    },
    /// The platform refused for good; the shopper is told `why`.
    Refused {
        why: String,
    },
}

/// Minor units as the platforms write money: `5000` → `"50.00"` for a two-decimal currency.
pub fn decimal(minor: u64, currency: &str) -> String {
    let digits = minor_digits(currency);
    if digits == 0 {
        return minor.to_string();
    }
    let scale = 10u64.pow(digits);
    format!(
        "{}.{:0width$}",
        minor / scale,
        minor % scale,
        width = digits as usize
    )
}

fn transient(status: u16) -> bool {
    matches!(status, 408 | 425 | 429 | 500..=599)
}

fn not_yet(answer: &Answer, what: &str) -> Created {
    Created::NotYet {
        why: format!("{what}: HTTP {}", answer.status),
        retry_after: answer.retry_after,
    }
}

fn transport(error: CallError) -> Created {
    match error {
        CallError::Transport(why) => Created::NotYet {
            why,
            retry_after: None,
        },
        CallError::Refused(why) => Created::Refused { why },
    }
}

/// Creates `spec` at the provider.
pub async fn create(
    egress: &Egress,
    provider: &Provider,
    spec: &CouponSpec,
    now: Timestamp,
) -> Created {
    match provider {
        Provider::None => Created::Yes { reference: None },
        Provider::Shopify { endpoint, token } => shopify(egress, endpoint, token, spec).await,
        Provider::WooCommerce { base, key, secret } => {
            woocommerce(egress, base, key, secret, spec).await
        }
        Provider::Webhook { url, secret } => {
            let body = json!({
                "type": "coupon.issued",
                "timestamp": crate::calendar::text(now),
                "data": spec,
            })
            .to_string();
            // The event's id is the code's: a retried delivery is the same event.
            let id = format!("msg_coupon_{}", spec.code.replace('-', "_"));
            match outbound::post_signed(egress, url.as_str(), secret, true, &id, now, &body).await {
                Ok(answer) if (200..300).contains(&answer.status) => {
                    Created::Yes { reference: None }
                }
                Ok(answer) if transient(answer.status) => {
                    not_yet(&answer, "the shop's coupon webhook")
                }
                Ok(answer) => Created::Refused {
                    why: format!(
                        "the shop's coupon webhook refused it: HTTP {}",
                        answer.status
                    ),
                },
                Err(error) => transport(error),
            }
        }
    }
}

const SHOPIFY_BASIC: &str = "mutation lojalCoupon($discount: DiscountCodeBasicInput!) {
  discountCodeBasicCreate(basicCodeDiscount: $discount) {
    codeDiscountNode { id }
    userErrors { field code message }
  }
}";

const SHOPIFY_FREE_SHIPPING: &str =
    "mutation lojalCoupon($discount: DiscountCodeFreeShippingInput!) {
  discountCodeFreeShippingCreate(freeShippingCodeDiscount: $discount) {
    codeDiscountNode { id }
    userErrors { field code message }
  }
}";

const SHOPIFY_BY_CODE: &str = "query lojalCoupon($code: String!) {
  codeDiscountNodeByCode(code: $code) { id }
}";

/// Shopify's discount input for `spec`.
pub fn shopify_input(spec: &CouponSpec) -> Value {
    // A Shopify customer's id is numeric; anyone else may use the code once.
    let context = match spec.customer_id.as_deref() {
        Some(id) if !id.is_empty() && id.bytes().all(|b| b.is_ascii_digit()) => {
            json!({ "customers": { "add": [format!("gid://shopify/Customer/{id}")] } })
        }
        _ => json!({ "all": "ALL" }),
    };
    let mut input = json!({
        "title": spec.title,
        "code": spec.code,
        "startsAt": spec.starts_at,
        "endsAt": spec.expires_at,
        "usageLimit": 1,
        "appliesOncePerCustomer": true,
        "context": context,
    });
    match spec.kind.as_str() {
        "free_shipping" => input["destination"] = json!({ "all": true }),
        "percentage" => {
            let percent = spec.amount.unwrap_or(0) as f64 / 100.0;
            input["customerGets"] =
                json!({ "value": { "percentage": percent }, "items": { "all": true } });
        }
        _ => {
            input["customerGets"] = json!({
                "value": { "discountAmount": {
                    "amount": decimal(spec.amount.unwrap_or(0), &spec.currency),
                    "appliesOnEachItem": false
                } },
                "items": { "all": true }
            });
        }
    }
    input
}

async fn shopify_call(
    egress: &Egress,
    endpoint: &reqwest::Url,
    token: &str,
    query: &str,
    variables: Value,
) -> Result<Answer, CallError> {
    let client = egress.client(endpoint, true).map_err(CallError::Refused)?;
    egress::call(
        client
            .post(endpoint.clone())
            .header("x-shopify-access-token", token)
            .json(&json!({ "query": query, "variables": variables })),
    )
    .await
}

async fn shopify(
    egress: &Egress,
    endpoint: &reqwest::Url,
    token: &str,
    spec: &CouponSpec,
) -> Created {
    let (query, field) = if spec.kind == "free_shipping" {
        (SHOPIFY_FREE_SHIPPING, "discountCodeFreeShippingCreate")
    } else {
        (SHOPIFY_BASIC, "discountCodeBasicCreate")
    };
    let answer = match shopify_call(
        egress,
        endpoint,
        token,
        query,
        json!({ "discount": shopify_input(spec) }),
    )
    .await
    {
        Ok(answer) => answer,
        Err(error) => return transport(error),
    };
    if transient(answer.status) {
        return not_yet(&answer, "Shopify");
    }
    if !(200..300).contains(&answer.status) {
        return Created::Refused {
            why: format!("Shopify refused the request: HTTP {}", answer.status),
        };
    }
    let Ok(body) = serde_json::from_slice::<Value>(&answer.body) else {
        return Created::NotYet {
            why: "Shopify's answer was not JSON".into(),
            retry_after: None,
        };
    };
    // Throttling comes as a 200 with a THROTTLED error.
    if let Some(errors) = body["errors"].as_array() {
        let throttled = errors
            .iter()
            .any(|e| e["extensions"]["code"] == "THROTTLED");
        return if throttled {
            Created::NotYet {
                why: "Shopify throttled the request".into(),
                retry_after: Some(Duration::from_secs(2)),
            }
        } else {
            Created::Refused {
                why: format!(
                    "Shopify: {}",
                    errors[0]["message"].as_str().unwrap_or("error")
                ),
            }
        };
    }
    let payload = &body["data"][field];
    if let Some(id) = payload["codeDiscountNode"]["id"].as_str() {
        return Created::Yes {
            reference: Some(id.to_owned()),
        };
    }
    let user_errors = payload["userErrors"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let taken = user_errors.iter().any(|e| {
        e["code"] == "TAKEN"
            || e["message"]
                .as_str()
                .is_some_and(|m| m.contains("must be unique"))
    });
    if taken {
        // An earlier attempt made it and its answer was lost: the code exists, so it is done.
        return match shopify_call(
            egress,
            endpoint,
            token,
            SHOPIFY_BY_CODE,
            json!({ "code": spec.code }),
        )
        .await
        {
            Ok(found) => {
                let found: Value = serde_json::from_slice(&found.body).unwrap_or(Value::Null);
                match found["data"]["codeDiscountNodeByCode"]["id"].as_str() {
                    Some(id) => Created::Yes {
                        reference: Some(id.to_owned()),
                    },
                    None => Created::NotYet {
                        why: "Shopify says the code exists but does not find it".into(),
                        retry_after: None,
                    },
                }
            }
            Err(error) => transport(error),
        };
    }
    let why = user_errors
        .iter()
        .filter_map(|e| e["message"].as_str())
        .collect::<Vec<_>>()
        .join("; ");
    Created::Refused {
        why: if why.is_empty() {
            "Shopify created no discount and gave no reason".into()
        } else {
            format!("Shopify: {why}")
        },
    }
}

/// WooCommerce's coupon for `spec`.
pub fn woocommerce_body(spec: &CouponSpec) -> Value {
    let (discount_type, amount) = match spec.kind.as_str() {
        "percentage" => ("percent", spec.amount.unwrap_or(0).to_string()),
        "fixed_amount" => (
            "fixed_cart",
            decimal(spec.amount.unwrap_or(0), &spec.currency),
        ),
        _ => ("fixed_cart", "0".to_owned()),
    };
    json!({
        "code": spec.code,
        "discount_type": discount_type,
        "amount": amount,
        "free_shipping": spec.kind == "free_shipping",
        "usage_limit": 1,
        "usage_limit_per_user": 1,
        "individual_use": false,
        "email_restrictions": spec.email.iter().collect::<Vec<_>>(),
        // UTC, as WooCommerce writes it: no offset.
        "date_expires_gmt": spec.expires_at.trim_end_matches('Z'),
        "description": spec.title,
    })
}

async fn woocommerce(
    egress: &Egress,
    base: &reqwest::Url,
    key: &str,
    secret: &str,
    spec: &CouponSpec,
) -> Created {
    let Ok(url) = base.join("wp-json/wc/v3/coupons") else {
        return Created::Refused {
            why: "LOJAL_WOOCOMMERCE_URL cannot take /wp-json/wc/v3/coupons".into(),
        };
    };
    let client = match egress.client(&url, true) {
        Ok(client) => client,
        Err(why) => return Created::Refused { why },
    };
    let auth = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{key}:{secret}"))
    );
    let answer = match egress::call(
        client
            .post(url.clone())
            .header("authorization", &auth)
            .json(&woocommerce_body(spec)),
    )
    .await
    {
        Ok(answer) => answer,
        Err(error) => return transport(error),
    };
    if (200..300).contains(&answer.status) {
        let reference = serde_json::from_slice::<Value>(&answer.body)
            .ok()
            .and_then(|v| v["id"].as_u64())
            .map(|id| id.to_string());
        return Created::Yes { reference };
    }
    if transient(answer.status) {
        return not_yet(&answer, "WooCommerce");
    }
    let error: Value = serde_json::from_slice(&answer.body).unwrap_or(Value::Null);
    if error["code"] == "woocommerce_rest_coupon_code_already_exists" {
        // Made by an earlier attempt whose answer was lost: confirm it is there.
        let mut lookup = url.clone();
        lookup.query_pairs_mut().append_pair("code", &spec.code);
        return match egress::call(client.get(lookup).header("authorization", &auth)).await {
            Ok(found) if (200..300).contains(&found.status) => {
                match serde_json::from_slice::<Value>(&found.body) {
                    Ok(Value::Array(list)) if !list.is_empty() => Created::Yes {
                        reference: list[0]["id"].as_u64().map(|id| id.to_string()),
                    },
                    _ => Created::NotYet {
                        why: "WooCommerce says the code exists but does not list it".into(),
                        retry_after: None,
                    },
                }
            }
            Ok(found) => not_yet(&found, "WooCommerce's coupon lookup"),
            Err(error) => transport(error),
        };
    }
    let message = error["message"].as_str().unwrap_or("no reason given");
    Created::Refused {
        why: format!(
            "WooCommerce refused the coupon (HTTP {}): {message}",
            answer.status
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(kind: &str, amount: Option<u64>) -> CouponSpec {
        CouponSpec {
            table: "coupons".into(),
            code: "LOJAL-ABCD-EFGH".into(),
            title: "lojal: 50 kr rabatt".into(),
            kind: kind.into(),
            amount,
            currency: "NOK".into(),
            customer_id: Some("115310627314723954".into()),
            email: Some("jon@example.com".into()),
            starts_at: "2026-12-02T10:00:00Z".into(),
            expires_at: "2027-01-01T10:00:00Z".into(),
        }
    }

    #[test]
    fn money_is_written_with_the_currencys_decimals() {
        assert_eq!(decimal(5000, "NOK"), "50.00");
        assert_eq!(decimal(5, "NOK"), "0.05");
        assert_eq!(decimal(1234, "JPY"), "1234");
        assert_eq!(decimal(1234, "KWD"), "1.234");
    }

    #[test]
    fn each_reward_becomes_the_matching_platform_discount() {
        let amount = shopify_input(&spec("fixed_amount", Some(5000)));
        assert_eq!(
            amount["customerGets"]["value"]["discountAmount"]["amount"],
            "50.00"
        );
        assert_eq!(amount["usageLimit"], 1);
        assert_eq!(
            amount["context"]["customers"]["add"][0],
            "gid://shopify/Customer/115310627314723954"
        );
        let percent = shopify_input(&spec("percentage", Some(10)));
        assert_eq!(percent["customerGets"]["value"]["percentage"], 0.1);
        let shipping = shopify_input(&spec("free_shipping", None));
        assert_eq!(shipping["destination"]["all"], true);
        let mut guest = spec("percentage", Some(10));
        guest.customer_id = None;
        assert_eq!(shopify_input(&guest)["context"]["all"], "ALL");

        let woo = woocommerce_body(&spec("fixed_amount", Some(5000)));
        assert_eq!(
            (woo["discount_type"].as_str(), woo["amount"].as_str()),
            (Some("fixed_cart"), Some("50.00"))
        );
        assert_eq!(woo["email_restrictions"][0], "jon@example.com");
        assert_eq!(woo["date_expires_gmt"], "2027-01-01T10:00:00");
        let woo = woocommerce_body(&spec("percentage", Some(10)));
        assert_eq!(
            (woo["discount_type"].as_str(), woo["amount"].as_str()),
            (Some("percent"), Some("10"))
        );
        assert_eq!(
            woocommerce_body(&spec("free_shipping", None))["free_shipping"],
            true
        );
    }

    #[test]
    fn an_incomplete_configuration_names_what_is_missing() {
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |name: &str| {
                pairs
                    .iter()
                    .find(|(k, _)| *k == name)
                    .map(|(_, v)| v.to_string())
            }
        };
        assert!(matches!(Provider::from_env(env(&[])), Ok(Provider::None)));
        let err = Provider::from_env(env(&[
            ("LOJAL_COUPON_PROVIDER", "shopify"),
            ("LOJAL_SHOPIFY_SHOP", "nordlys"),
        ]))
        .unwrap_err();
        assert!(err.contains("LOJAL_SHOPIFY_ADMIN_TOKEN"), "{err}");
        let ok = Provider::from_env(env(&[
            ("LOJAL_COUPON_PROVIDER", "shopify"),
            ("LOJAL_SHOPIFY_SHOP", "nordlys"),
            ("LOJAL_SHOPIFY_ADMIN_TOKEN", "shpat_x"),
        ]))
        .unwrap();
        let Provider::Shopify { endpoint, .. } = ok else {
            panic!()
        };
        assert_eq!(
            endpoint.as_str(),
            "https://nordlys.myshopify.com/admin/api/2026-07/graphql.json"
        );
        let err = Provider::from_env(env(&[
            ("LOJAL_COUPON_PROVIDER", "woocommerce"),
            ("LOJAL_WOOCOMMERCE_URL", "http://shop.example"),
            ("LOJAL_WOOCOMMERCE_KEY", "ck"),
            ("LOJAL_WOOCOMMERCE_SECRET", "cs"),
        ]))
        .unwrap_err();
        assert!(err.contains("must be https"), "{err}");
        assert!(Provider::from_env(env(&[("LOJAL_COUPON_PROVIDER", "magento")])).is_err());
    }
}
