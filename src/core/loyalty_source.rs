//! A badge over a shop's own loyalty JSON: `<lojal-badge source=…>` reads a loyalty endpoint the
//! shop already has, through a mapping of JSON Pointers, the way `<lojal-carousel source=…>`
//! reads product lists. Everything from the network is checked here, in the pure core, before a
//! view sees it: numbers must be whole and not negative, texts short and non-empty, lists
//! bounded; a broken optional field is reported once and left out, a broken required one
//! refuses the whole answer. Redeeming is offered only when the mapping names a redeem endpoint.

use serde::Deserialize;
use serde_json::Value;

use crate::core::loyalty::{LoyaltyStatus, MAX_REWARDS, MAX_TEXT_LEN, Reward, Tier};
use crate::core::pointer::Pointer;

/// Largest mapping accepted, in bytes.
pub const MAX_CONFIG_BYTES: usize = 8 * 1024;
/// Largest answer read, in bytes.
pub const MAX_BODY_BYTES: usize = 256 * 1024;

/// A checked mapping.
#[derive(Clone, Debug, PartialEq)]
pub struct LoyaltyMapping {
    /// The status endpoint below the API base, with `{customer_id}` filled in, encoded.
    pub path: Option<String>,
    points: Pointer,
    tier: Pointer,
    tier_points: Option<Pointer>,
    tier_min_points: Option<Pointer>,
    next_tier: Option<Pointer>,
    next_tier_points: Option<Pointer>,
    points_to_next: Option<Pointer>,
    pending_points: Option<Pointer>,
    first_name: Option<Pointer>,
    rewards: Option<RewardsMapping>,
    /// Where redeeming posts, if the shop lets the badge redeem.
    pub redeem: Option<RedeemMapping>,
}

#[derive(Clone, Debug, PartialEq)]
struct RewardsMapping {
    list: Pointer,
    id: Pointer,
    name: Pointer,
    cost: Pointer,
}

/// The shop's redeem endpoint: `POST path` with `{"reward_id", "customer_id"}`; the coupon's code
/// and expiry are read from the answer.
#[derive(Clone, Debug, PartialEq)]
pub struct RedeemMapping {
    pub path: String,
    code: Pointer,
    expires_at: Option<Pointer>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Spec {
    path: Option<String>,
    points: String,
    tier: String,
    tier_points: Option<String>,
    tier_min_points: Option<String>,
    next_tier: Option<String>,
    next_tier_points: Option<String>,
    points_to_next: Option<String>,
    pending_points: Option<String>,
    first_name: Option<String>,
    rewards: Option<RewardsSpec>,
    redeem: Option<RedeemSpec>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RewardsSpec {
    list: String,
    id: String,
    name: String,
    cost: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RedeemSpec {
    path: String,
    code: String,
    expires_at: Option<String>,
}

/// Why a mapping cannot be used, naming the key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigError(pub String);

impl std::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "the badge's source mapping: {}", self.0)
    }
}

impl std::error::Error for ConfigError {}

/// A status read from the shop's JSON, and what was wrong with its optional parts.
#[derive(Clone, Debug, PartialEq)]
pub struct Read {
    pub status: LoyaltyStatus,
    /// One line per optional field that could not be used (left out).
    pub warnings: Vec<String>,
}

/// Why an answer is unusable as a whole.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ResponseError(pub String);

impl std::fmt::Display for ResponseError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ResponseError {}

/// A whole, non-negative number: a JSON integer, a float without a fraction, or digits in a
/// string ("1250"), as shops write them.
fn count(value: &Value) -> Result<u64, &'static str> {
    match value {
        Value::Number(n) => n
            .as_u64()
            .or_else(|| {
                n.as_f64()
                    .filter(|f| f.fract() == 0.0 && (0.0..9.0e15).contains(f))
                    .map(|f| f as u64)
            })
            .ok_or("must be a whole number of points, not negative"),
        Value::String(s)
            if !s.trim().is_empty()
                && s.trim().len() <= 15
                && s.trim().bytes().all(|b| b.is_ascii_digit()) =>
        {
            s.trim().parse().map_err(|_| "is not a number")
        }
        _ => Err("must be a whole number of points"),
    }
}

fn text(value: &Value) -> Result<String, &'static str> {
    match value {
        Value::String(s) if !s.trim().is_empty() && s.chars().count() <= MAX_TEXT_LEN => {
            Ok(s.trim().to_owned())
        }
        Value::String(_) => Err("is empty or longer than 200 characters"),
        Value::Number(n) => Ok(n.to_string()),
        _ => Err("must be a text"),
    }
}

impl LoyaltyMapping {
    /// Reads a mapping written as JSON.
    pub fn from_config(config: &str) -> Result<Self, ConfigError> {
        if config.len() > MAX_CONFIG_BYTES {
            return Err(ConfigError("longer than 8 KiB".into()));
        }
        let spec: Spec =
            crate::core::json::parse(config.trim()).map_err(|e| ConfigError(e.to_string()))?;
        let pointer = |key: &str, text: &str| {
            Pointer::parse(text).map_err(|e| ConfigError(format!("`{key}`: {e}")))
        };
        let optional =
            |key: &str, text: &Option<String>| text.as_deref().map(|t| pointer(key, t)).transpose();
        let path_ok = |key: &str, path: &str| {
            if path.len() <= 512 && !path.chars().any(char::is_control) {
                Ok(path.to_owned())
            } else {
                Err(ConfigError(format!("`{key}` is not a usable path")))
            }
        };
        Ok(Self {
            path: spec
                .path
                .as_deref()
                .map(|p| path_ok("path", p))
                .transpose()?,
            points: pointer("points", &spec.points)?,
            tier: pointer("tier", &spec.tier)?,
            tier_points: optional("tier_points", &spec.tier_points)?,
            tier_min_points: optional("tier_min_points", &spec.tier_min_points)?,
            next_tier: optional("next_tier", &spec.next_tier)?,
            next_tier_points: optional("next_tier_points", &spec.next_tier_points)?,
            points_to_next: optional("points_to_next", &spec.points_to_next)?,
            pending_points: optional("pending_points", &spec.pending_points)?,
            first_name: optional("first_name", &spec.first_name)?,
            rewards: spec
                .rewards
                .map(|r| {
                    Ok::<_, ConfigError>(RewardsMapping {
                        list: pointer("rewards.list", &r.list)?,
                        id: pointer("rewards.id", &r.id)?,
                        name: pointer("rewards.name", &r.name)?,
                        cost: pointer("rewards.cost", &r.cost)?,
                    })
                })
                .transpose()?,
            redeem: spec
                .redeem
                .map(|r| {
                    Ok::<_, ConfigError>(RedeemMapping {
                        path: path_ok("redeem.path", &r.path)?,
                        code: pointer("redeem.code", &r.code)?,
                        expires_at: optional("redeem.expires_at", &r.expires_at)?,
                    })
                })
                .transpose()?,
        })
    }

    /// The status endpoint for `customer_id`, or `None` when the mapping has no `path` (the
    /// element's `endpoint` attribute then says where).
    pub fn status_path(&self, customer_id: &str) -> Option<String> {
        self.path.as_ref().map(|p| {
            p.replace(
                "{customer_id}",
                &crate::core::url::path_segment(customer_id),
            )
        })
    }

    /// Reads the shop's answer about `customer_id`.
    pub fn read(&self, body: &str, customer_id: &str) -> Result<Read, ResponseError> {
        if body.len() > MAX_BODY_BYTES {
            return Err(ResponseError(format!(
                "the answer has {} bytes, more than {MAX_BODY_BYTES}",
                body.len()
            )));
        }
        // serde_json refuses nesting deeper than 128 by itself: a hostile document cannot
        // exhaust the stack.
        let json: Value = crate::core::json::parse(body)
            .map_err(|e| ResponseError(format!("the answer is not JSON: {e}")))?;
        let mut warnings = Vec::new();
        let required = |pointer: &Pointer, key: &str| {
            pointer
                .resolve(&json)
                .ok_or_else(|| ResponseError(format!("`{key}` ({pointer}) is missing")))
        };
        let points = count(required(&self.points, "points")?)
            .map_err(|why| ResponseError(format!("`points` ({}) {why}", self.points)))?;
        let tier_name = text(required(&self.tier, "tier")?)
            .map_err(|why| ResponseError(format!("`tier` ({}) {why}", self.tier)))?;
        let mut optional_count = |pointer: &Option<Pointer>, key: &str| -> Option<u64> {
            let pointer = pointer.as_ref()?;
            match pointer.resolve(&json) {
                None | Some(Value::Null) => None,
                Some(value) => match count(value) {
                    Ok(n) => Some(n),
                    Err(why) => {
                        warnings.push(format!("`{key}` ({pointer}) {why}; left out"));
                        None
                    }
                },
            }
        };
        let tier_points = optional_count(&self.tier_points, "tier_points").unwrap_or(points);
        let tier_min = optional_count(&self.tier_min_points, "tier_min_points").unwrap_or(0);
        let next_points = optional_count(&self.next_tier_points, "next_tier_points");
        let to_next = optional_count(&self.points_to_next, "points_to_next");
        let pending = optional_count(&self.pending_points, "pending_points").unwrap_or(0);
        let mut optional_text = |pointer: &Option<Pointer>, key: &str| -> Option<String> {
            let pointer = pointer.as_ref()?;
            match pointer.resolve(&json) {
                None | Some(Value::Null) => None,
                Some(value) => match text(value) {
                    Ok(t) => Some(t),
                    Err(why) => {
                        warnings.push(format!("`{key}` ({pointer}) {why}; left out"));
                        None
                    }
                },
            }
        };
        let first_name = optional_text(&self.first_name, "first_name");
        let next_name = optional_text(&self.next_tier, "next_tier");
        let tier_min = tier_min.min(tier_points);
        // The next tier's threshold: given, or the points still missing added to hers.
        let next_min = next_points.or_else(|| to_next.map(|n| tier_points.saturating_add(n)));
        let next_tier = match (next_name, next_min) {
            (Some(name), Some(min)) if min > tier_min => Some(Tier {
                id: name.clone(),
                name,
                min_points: min,
            }),
            (Some(_), _) => {
                warnings.push(
                    "`next_tier` has no usable threshold (`next_tier_points` or `points_to_next`); left out"
                        .into(),
                );
                None
            }
            _ => None,
        };
        let rewards = match &self.rewards {
            Some(mapping) => self.rewards(mapping, &json, &mut warnings),
            None => Vec::new(),
        };
        let status = LoyaltyStatus {
            customer_id: customer_id.to_owned(),
            first_name,
            points,
            tier_points,
            points_to_next: next_tier
                .as_ref()
                .map_or(0, |t| t.min_points.saturating_sub(tier_points)),
            tier: Tier {
                id: tier_name.clone(),
                name: tier_name,
                min_points: tier_min,
            },
            next_tier,
            rewards,
            pending_points: pending,
            pending_until: None,
            expiring: None,
            activity: Vec::new(),
            ways_to_earn: Vec::new(),
            currency: None,
            birthday: None,
            birthday_points: 0,
            referral: None,
            coupons: Vec::new(),
        };
        status
            .validate()
            .map_err(|e| ResponseError(format!("the answer does not add up: {e}")))?;
        Ok(Read { status, warnings })
    }

    fn rewards(
        &self,
        mapping: &RewardsMapping,
        json: &Value,
        warnings: &mut Vec<String>,
    ) -> Vec<Reward> {
        let Some(list) = mapping.list.resolve(json) else {
            warnings.push(format!(
                "`rewards.list` ({}) is missing; no rewards shown",
                mapping.list
            ));
            return Vec::new();
        };
        let Value::Array(items) = list else {
            warnings.push(format!(
                "`rewards.list` ({}) is not a list; no rewards shown",
                mapping.list
            ));
            return Vec::new();
        };
        let mut rewards = Vec::new();
        for (i, item) in items.iter().enumerate().take(MAX_REWARDS * 4) {
            let read = (|| {
                let id = text(mapping.id.resolve(item).ok_or("id is missing")?)
                    .map_err(|_| "id is not a text")?;
                let name = text(mapping.name.resolve(item).ok_or("name is missing")?)
                    .map_err(|_| "name is not a usable text")?;
                let cost = count(mapping.cost.resolve(item).ok_or("cost is missing")?)
                    .map_err(|_| "cost is not a whole number")?;
                if cost == 0 {
                    return Err("cost is 0");
                }
                Ok(Reward { id, name, cost })
            })();
            match read {
                Ok(reward) if rewards.len() < MAX_REWARDS => rewards.push(reward),
                Ok(_) => {}
                Err(why) => warnings.push(format!("reward {i}: {why}; left out")),
            }
        }
        rewards.sort_by_key(|r| r.cost);
        rewards
    }

    /// The coupon a redeem answer carries: its code and, if given, when it expires.
    pub fn read_coupon(&self, body: &str) -> Result<(String, Option<String>), ResponseError> {
        let redeem = self
            .redeem
            .as_ref()
            .ok_or_else(|| ResponseError("the mapping has no redeem endpoint".into()))?;
        if body.len() > MAX_BODY_BYTES {
            return Err(ResponseError("the redeem answer is too large".into()));
        }
        let json: Value = crate::core::json::parse(body)
            .map_err(|e| ResponseError(format!("the redeem answer is not JSON: {e}")))?;
        let code = redeem
            .code
            .resolve(&json)
            .ok_or_else(|| ResponseError(format!("`redeem.code` ({}) is missing", redeem.code)))
            .and_then(|v| text(v).map_err(|why| ResponseError(format!("`redeem.code` {why}"))))?;
        let expires_at = redeem
            .expires_at
            .as_ref()
            .and_then(|p| p.resolve(&json))
            .and_then(|v| text(v).ok());
        Ok((code, expires_at))
    }
}

/// Two worked mappings, as the README documents them.
pub mod examples {
    /// A loyalty app behind a Shopify app proxy: `GET /apps/loyalty/customers/{id}` answers
    /// `{"customer": {"first_name", "points_balance", "lifetime_points", "pending_points",
    /// "vip_tier": {"name", "threshold"}, "next_vip_tier": {"name", "points_needed"}},
    /// "rewards": [{"id", "title", "points_price"}]}`; redeem at `POST /apps/loyalty/redeem`.
    pub const APP_PROXY: &str = r#"{
      "path": "/apps/loyalty/customers/{customer_id}",
      "points": "/customer/points_balance",
      "tier_points": "/customer/lifetime_points",
      "pending_points": "/customer/pending_points",
      "first_name": "/customer/first_name",
      "tier": "/customer/vip_tier/name",
      "tier_min_points": "/customer/vip_tier/threshold",
      "next_tier": "/customer/next_vip_tier/name",
      "points_to_next": "/customer/next_vip_tier/points_needed",
      "rewards": { "list": "/rewards", "id": "/id", "name": "/title", "cost": "/points_price" },
      "redeem": { "path": "/apps/loyalty/redeem", "code": "/discount/code", "expires_at": "/discount/ends_at" }
    }"#;

    /// A WordPress points plugin's REST route, numbers as strings and no rewards list:
    /// `GET /wp-json/points/v1/me` answers `{"data": {"balance": "1250", "level":
    /// {"label", "next_label", "next_at"}}}`. No redeem endpoint: the badge shows no Redeem.
    pub const WORDPRESS_PLUGIN: &str = r#"{
      "path": "/wp-json/points/v1/me",
      "points": "/data/balance",
      "tier": "/data/level/label",
      "next_tier": "/data/level/next_label",
      "next_tier_points": "/data/level/next_at"
    }"#;
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn app_proxy_answer() -> Value {
        json!({
            "customer": {
                "id": 8812345, "first_name": "Ingrid", "points_balance": 1250, "lifetime_points": 1750,
                "pending_points": 130,
                "vip_tier": { "name": "Sølv", "threshold": 500 },
                "next_vip_tier": { "name": "Gull", "points_needed": 250 }
            },
            "rewards": [
                { "id": "rw_100", "title": "100 kr rabatt", "points_price": 1000 },
                { "id": "rw_ship", "title": "Gratis frakt", "points_price": 300 }
            ]
        })
    }

    #[test]
    fn an_app_proxy_answer_becomes_the_badges_status() {
        let mapping = LoyaltyMapping::from_config(examples::APP_PROXY).unwrap();
        assert_eq!(
            mapping.status_path("88 12"),
            Some("/apps/loyalty/customers/88%2012".into())
        );
        let read = mapping
            .read(&app_proxy_answer().to_string(), "8812345")
            .unwrap();
        assert_eq!(read.warnings, Vec::<String>::new());
        let s = read.status;
        assert_eq!(
            (s.points, s.tier_points, s.pending_points),
            (1250, 1750, 130)
        );
        assert_eq!(s.tier.name, "Sølv");
        assert_eq!(s.next_tier.as_ref().unwrap().min_points, 2000);
        assert_eq!(s.points_to_next, 250);
        assert_eq!(s.first_name.as_deref(), Some("Ingrid"));
        let ids: Vec<&str> = s.rewards.iter().map(|r| r.id.as_str()).collect();
        assert_eq!(ids, ["rw_ship", "rw_100"], "cheapest first");
        assert!(mapping.redeem.is_some());
        let (code, expires) = mapping
            .read_coupon(
                r#"{"discount": {"code": "LOYAL-9X2K", "ends_at": "2027-01-01T00:00:00Z"}}"#,
            )
            .unwrap();
        assert_eq!(
            (code.as_str(), expires.as_deref()),
            ("LOYAL-9X2K", Some("2027-01-01T00:00:00Z"))
        );
    }

    #[test]
    fn a_plugin_answer_with_numbers_as_strings_and_no_redeem() {
        let mapping = LoyaltyMapping::from_config(examples::WORDPRESS_PLUGIN).unwrap();
        let body = r#"{"data": {"balance": "1250", "level": {"label": "Sølv", "next_label": "Gull", "next_at": "1500"}}}"#;
        let s = mapping.read(body, "26").unwrap().status;
        assert_eq!((s.points, s.points_to_next), (1250, 250));
        assert!(s.rewards.is_empty());
        assert!(
            mapping.redeem.is_none(),
            "no Redeem without a redeem endpoint"
        );
        assert!(mapping.read_coupon("{}").is_err());
    }

    #[test]
    fn hostile_answers_are_refused_whole_or_in_part_never_shown_raw() {
        let mapping = LoyaltyMapping::from_config(examples::APP_PROXY).unwrap();
        let with = |pointer: &str, value: Value| {
            let mut v = app_proxy_answer();
            *v.pointer_mut(pointer).unwrap() = value;
            v.to_string()
        };
        let refused: Vec<(String, &str)> = vec![
            (String::new(), "not JSON"),
            ("<html>502</html>".into(), "not JSON"),
            ("null".into(), "`points`"),
            (with("/customer/points_balance", json!(-5)), "`points`"),
            (with("/customer/points_balance", json!(1e308)), "`points`"),
            (with("/customer/points_balance", json!(12.5)), "`points`"),
            (with("/customer/points_balance", json!("1 250")), "`points`"),
            (
                with("/customer/points_balance", json!({"valueOf": 1})),
                "`points`",
            ),
            (with("/customer/vip_tier/name", json!("")), "`tier`"),
            (
                with("/customer/vip_tier/name", json!("x".repeat(201))),
                "`tier`",
            ),
            (
                format!("{}1{}", "[".repeat(100_000), "]".repeat(100_000)),
                "not JSON",
            ),
            ("x".repeat(MAX_BODY_BYTES + 1), "bytes"),
        ];
        for (body, expected) in refused {
            let err = mapping
                .read(&body, "1")
                .expect_err(&body.chars().take(60).collect::<String>())
                .to_string();
            assert!(err.contains(expected), "{:.60}: {err}", body);
        }
        // Broken optional parts are left out, each with one warning; markup stays text.
        let body = with("/customer/pending_points", json!("lots"));
        let read = mapping.read(&body, "1").unwrap();
        assert_eq!(read.status.pending_points, 0);
        assert_eq!(read.warnings.len(), 1, "{:?}", read.warnings);
        let body = with(
            "/rewards/0",
            json!({ "id": "rw_x", "title": "<img src=x onerror=alert(1)>", "points_price": 0 }),
        );
        let read = mapping.read(&body, "1").unwrap();
        assert_eq!(
            read.status.rewards.len(),
            1,
            "a reward costing 0 is left out"
        );
        let body = with("/customer/first_name", json!("<script>alert(1)</script>"));
        assert_eq!(
            mapping
                .read(&body, "1")
                .unwrap()
                .status
                .first_name
                .as_deref(),
            Some("<script>alert(1)</script>"),
            "kept as text: views render text nodes"
        );
        let many = with(
            "/rewards",
            json!(vec![
                json!({"id": "a", "title": "A", "points_price": 1});
                1000
            ]),
        );
        assert_eq!(
            mapping.read(&many, "1").unwrap().status.rewards.len(),
            MAX_REWARDS
        );
    }

    #[test]
    fn mapping_mistakes_name_the_key() {
        for (config, expected) in [
            (r#"{"points": "balance", "tier": "/t"}"#, "`points`"),
            (r#"{"points": "/p"}"#, "missing field `tier`"),
            (
                r#"{"points": "/p", "tier": "/t", "colour": "/c"}"#,
                "unknown field `colour`",
            ),
            (
                r#"{"points": "/p", "tier": "/t", "rewards": {"list": "/r"}}"#,
                "missing field `id`",
            ),
            ("not json", "expected"),
        ] {
            let err = LoyaltyMapping::from_config(config).unwrap_err().to_string();
            assert!(err.contains(expected), "{config}: {err}");
        }
    }
}
