//! The loyalty programme as a merchant configures it (`shop-api programme put FILE`, the
//! merchant API, later the console): tiers, rewards and ways to earn, validated once with
//! errors that name the field, and the arithmetic of earning: order amounts read exactly from
//! the platforms' decimal strings, points per major unit times the tier's multiplier, rounded
//! down. Pure: the server stores and applies it, the widgets only see what it implies.

use serde::{Deserialize, Serialize};

/// Most tiers and rewards a programme may have; more is a configuration mistake.
pub const MAX_TIERS: usize = 20;
pub const MAX_REWARDS: usize = 100;
/// Largest number of points any single rule may grant or cost.
pub const MAX_POINTS: u64 = 1_000_000_000;

/// A number with at most three decimals (a multiplier of 1.25, half a point per krone),
/// kept as thousandths so that earning is integer arithmetic.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Milli(pub u64);

impl Milli {
    pub const ONE: Self = Self(1000);

    /// `None` for negatives, non-finite numbers and more than three decimals.
    pub fn from_f64(value: f64) -> Option<Self> {
        if !value.is_finite() || !(0.0..=1e12).contains(&value) {
            return None;
        }
        let thousandths = (value * 1000.0).round();
        ((value * 1000.0 - thousandths).abs() < 1e-6).then_some(Self(thousandths as u64))
    }

    pub fn as_f64(self) -> f64 {
        self.0 as f64 / 1000.0
    }
}

impl Serialize for Milli {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        if self.0 % 1000 == 0 {
            serializer.serialize_u64(self.0 / 1000)
        } else {
            serializer.serialize_f64(self.as_f64())
        }
    }
}

impl<'de> Deserialize<'de> for Milli {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = f64::deserialize(deserializer)?;
        Self::from_f64(value).ok_or_else(|| {
            serde::de::Error::custom(format!(
                "{value} is not a number from 0 with at most three decimals"
            ))
        })
    }
}

/// The whole programme, as the merchant's file holds it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProgrammeConfig {
    /// Shown to shoppers ("Lojal Fordelsklubb").
    pub name: String,
    /// ISO 4217 code of the shop's currency; orders in another currency earn nothing.
    pub currency: String,
    /// Days an order's points wait before they can be spent (the return window); 0 credits at
    /// once.
    pub pending_days: u32,
    /// Months without any activity (earning or spending) after which the balance expires;
    /// `null` keeps points forever.
    pub expiry_months: Option<u32>,
    /// Where a guest signs up (absolute http(s) or a path on the shop).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signup_url: Option<String>,
    /// Days a reward's coupon stays valid.
    #[serde(default = "default_coupon_valid_days")]
    pub coupon_valid_days: u32,
    /// The IANA time zone the shop's days are counted in (birthdays, the dates shoppers see in
    /// the server's messages): `Europe/Oslo`, `Europe/Tallinn`. UTC if absent.
    #[serde(default = "utc")]
    pub timezone: String,
    pub tiers: Vec<TierConfig>,
    pub rewards: Vec<RewardConfig>,
    /// A kind left out is switched off.
    #[serde(default)]
    pub ways_to_earn: Vec<WayToEarnConfig>,
}

fn default_coupon_valid_days() -> u32 {
    30
}

fn utc() -> String {
    "UTC".into()
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TierConfig {
    pub id: String,
    pub name: String,
    /// Qualifying (lifetime, confirmed) points that reach this tier; the first tier starts at 0.
    pub min_points: u64,
    /// Points earned from purchases are multiplied by this (1, 1.25, 1.5).
    #[serde(default = "one")]
    pub multiplier: Milli,
}

fn one() -> Milli {
    Milli::ONE
}

/// What a reward's coupon takes off at checkout.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DiscountKind {
    FreeShipping,
    /// `amount` in minor units of the programme's currency.
    FixedAmount,
    /// `amount` percent off.
    Percentage,
}

impl DiscountKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::FreeShipping => "free_shipping",
            Self::FixedAmount => "fixed_amount",
            Self::Percentage => "percentage",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "free_shipping" => Some(Self::FreeShipping),
            "fixed_amount" => Some(Self::FixedAmount),
            "percentage" => Some(Self::Percentage),
            _ => None,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RewardConfig {
    pub id: String,
    pub name: String,
    pub kind: DiscountKind,
    /// Minor units for `fixed_amount`, percent for `percentage`, absent for `free_shipping`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amount: Option<u64>,
    /// Price in points.
    pub cost: u64,
}

/// The discount a referred friend is offered (or a game prize takes off).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Discount {
    pub kind: DiscountKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amount: Option<u64>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EarnKind {
    Purchase,
    Signup,
    Birthday,
    Review,
    Referral,
}

impl EarnKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Purchase => "purchase",
            Self::Signup => "signup",
            Self::Birthday => "birthday",
            Self::Review => "review",
            Self::Referral => "referral",
        }
    }
}

/// One way to earn. Which fields apply depends on `kind`; [`ProgrammeConfig::problems`] says
/// when one is missing or does not belong.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WayToEarnConfig {
    pub kind: EarnKind,
    /// Points granted (every kind but `purchase`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub points: Option<u64>,
    /// Points per one major unit of the currency (`purchase`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub points_per_unit: Option<Milli>,
    /// Smallest qualifying order, minor units (`referral`: the friend's first order; `purchase`:
    /// orders below it earn nothing).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_order: Option<u64>,
    /// What the referred friend is offered (`referral`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub friend_reward: Option<Discount>,
    /// Friends one IP address may claim per week (`referral`; 5 if absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_per_ip_per_week: Option<u32>,
}

/// Referral invitations one IP may claim per week unless the programme says otherwise.
pub const DEFAULT_REFERRALS_PER_IP_PER_WEEK: u32 = 5;

/// One thing wrong with a programme: the field (`tiers[1].multiplier`) and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    pub field: String,
    pub why: String,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.field, self.why)
    }
}

/// Why a programme was refused: every problem found, or the JSON's shape with its path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum InvalidProgramme {
    Shape { field: String, why: String },
    Problems(Vec<Problem>),
}

impl std::fmt::Display for InvalidProgramme {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Shape { field, why } if field.is_empty() || field == "." => f.write_str(why),
            Self::Shape { field, why } => write!(f, "{field}: {why}"),
            Self::Problems(problems) => {
                for (i, p) in problems.iter().enumerate() {
                    if i > 0 {
                        f.write_str("; ")?;
                    }
                    write!(f, "{p}")?;
                }
                Ok(())
            }
        }
    }
}

impl std::error::Error for InvalidProgramme {}

fn is_id(id: &str) -> bool {
    (1..=64).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// Digits after the decimal point in a currency's minor unit (ISO 4217).
pub fn minor_digits(currency: &str) -> u32 {
    match currency {
        "BIF" | "CLP" | "DJF" | "GNF" | "ISK" | "JPY" | "KMF" | "KRW" | "PYG" | "RWF" | "UGX"
        | "UYI" | "VND" | "VUV" | "XAF" | "XOF" | "XPF" => 0,
        "BHD" | "IQD" | "JOD" | "KWD" | "LYD" | "OMR" | "TND" => 3,
        _ => 2,
    }
}

impl ProgrammeConfig {
    /// Parses and validates a programme file.
    pub fn from_json(json: &str) -> Result<Self, InvalidProgramme> {
        let deserializer = &mut serde_json::Deserializer::from_str(json);
        let config: Self = serde_path_to_error::deserialize(deserializer).map_err(|e| {
            InvalidProgramme::Shape {
                field: e.path().to_string(),
                why: e.inner().to_string(),
            }
        })?;
        let problems = config.problems();
        if problems.is_empty() {
            Ok(config)
        } else {
            Err(InvalidProgramme::Problems(problems))
        }
    }

    pub fn to_json_pretty(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default()
    }

    /// Everything wrong with the programme, in the order of the file.
    pub fn problems(&self) -> Vec<Problem> {
        let mut problems = Vec::new();
        let mut problem = |field: String, why: &str| {
            problems.push(Problem {
                field,
                why: why.to_owned(),
            })
        };
        let text_ok = |s: &str| !s.trim().is_empty() && s.chars().count() <= 100;
        if !text_ok(&self.name) {
            problem("name".into(), "must be 1 to 100 characters");
        }
        if self.currency.len() != 3 || !self.currency.bytes().all(|b| b.is_ascii_uppercase()) {
            problem(
                "currency".into(),
                "must be an ISO 4217 code in capitals, such as NOK or EUR",
            );
        }
        if self.pending_days > 365 {
            problem("pending_days".into(), "must be from 0 to 365");
        }
        if self.expiry_months.is_some_and(|m| !(1..=120).contains(&m)) {
            problem(
                "expiry_months".into(),
                "must be from 1 to 120, or null for points that never expire",
            );
        }
        let zone_ok = (1..=64).contains(&self.timezone.len())
            && self
                .timezone
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"/_+-".contains(&b));
        if !zone_ok {
            problem(
                "timezone".into(),
                "must be an IANA time zone such as Europe/Oslo",
            );
        }
        if !(1..=365).contains(&self.coupon_valid_days) {
            problem("coupon_valid_days".into(), "must be from 1 to 365");
        }
        if let Some(url) = &self.signup_url
            && crate::core::url::safe_link(url).is_none()
        {
            problem(
                "signup_url".into(),
                "must be an http(s) address or a path on the shop such as /account/register",
            );
        }

        if self.tiers.is_empty() || self.tiers.len() > MAX_TIERS {
            problem("tiers".into(), "must list 1 to 20 tiers");
        }
        let mut seen = std::collections::BTreeSet::new();
        for (i, tier) in self.tiers.iter().enumerate() {
            let at = |f: &str| format!("tiers[{i}].{f}");
            if !is_id(&tier.id) {
                problem(at("id"), "must be 1 to 64 of A-Z, a-z, 0-9, - and _");
            } else if !seen.insert(tier.id.as_str()) {
                problem(at("id"), "is used by an earlier tier");
            }
            if !text_ok(&tier.name) {
                problem(at("name"), "must be 1 to 100 characters");
            }
            if i == 0 && tier.min_points != 0 {
                problem(at("min_points"), "the first tier must start at 0");
            }
            if i > 0 && tier.min_points <= self.tiers[i - 1].min_points {
                problem(
                    at("min_points"),
                    "must be more than the previous tier's: list tiers from the lowest",
                );
            }
            if tier.min_points > MAX_POINTS {
                problem(at("min_points"), "must be at most 1 000 000 000");
            }
            if tier.multiplier.0 == 0 || tier.multiplier.0 > 10_000 {
                problem(at("multiplier"), "must be more than 0 and at most 10");
            }
        }

        if self.rewards.len() > MAX_REWARDS {
            problem("rewards".into(), "must list at most 100 rewards");
        }
        let mut seen = std::collections::BTreeSet::new();
        for (i, reward) in self.rewards.iter().enumerate() {
            let at = |f: &str| format!("rewards[{i}].{f}");
            if !is_id(&reward.id) {
                problem(at("id"), "must be 1 to 64 of A-Z, a-z, 0-9, - and _");
            } else if !seen.insert(reward.id.as_str()) {
                problem(at("id"), "is used by an earlier reward");
            }
            if !text_ok(&reward.name) {
                problem(at("name"), "must be 1 to 100 characters");
            }
            if reward.cost == 0 || reward.cost > MAX_POINTS {
                problem(at("cost"), "must be from 1 to 1 000 000 000 points");
            }
            if let Some(why) = discount_problem(reward.kind, reward.amount) {
                problem(at("amount"), why);
            }
        }

        let mut seen = std::collections::BTreeSet::new();
        for (i, way) in self.ways_to_earn.iter().enumerate() {
            let at = |f: &str| format!("ways_to_earn[{i}].{f}");
            if !seen.insert(way.kind) {
                problem(at("kind"), "is listed twice; each way to earn appears once");
            }
            let is = |kind| way.kind == kind;
            match (way.points, is(EarnKind::Purchase)) {
                (Some(_), true) => problem(
                    at("points"),
                    "does not apply to purchase: use points_per_unit",
                ),
                (None, false) => problem(at("points"), "is required"),
                (Some(p), false) if p > MAX_POINTS => {
                    problem(at("points"), "must be at most 1 000 000 000")
                }
                _ => {}
            }
            match (way.points_per_unit, is(EarnKind::Purchase)) {
                (None, true) => problem(at("points_per_unit"), "is required for purchase"),
                (Some(p), true) if p.0 == 0 || p.0 > 1_000_000 => problem(
                    at("points_per_unit"),
                    "must be more than 0 and at most 1000",
                ),
                (Some(_), false) => problem(at("points_per_unit"), "applies only to purchase"),
                _ => {}
            }
            if way.min_order.is_some() && !(is(EarnKind::Referral) || is(EarnKind::Purchase)) {
                problem(at("min_order"), "applies only to purchase and referral");
            }
            match (&way.friend_reward, is(EarnKind::Referral)) {
                (None, true) => problem(at("friend_reward"), "is required for referral"),
                (Some(d), true) => {
                    if let Some(why) = discount_problem(d.kind, d.amount) {
                        problem(at("friend_reward.amount"), why);
                    }
                }
                (Some(_), false) => problem(at("friend_reward"), "applies only to referral"),
                _ => {}
            }
            match (way.max_per_ip_per_week, is(EarnKind::Referral)) {
                (Some(n), true) if !(1..=1000).contains(&n) => {
                    problem(at("max_per_ip_per_week"), "must be from 1 to 1000")
                }
                (Some(_), false) => problem(at("max_per_ip_per_week"), "applies only to referral"),
                _ => {}
            }
        }
        problems
    }

    /// The way to earn of `kind`, if the programme has it switched on.
    pub fn way(&self, kind: EarnKind) -> Option<&WayToEarnConfig> {
        self.ways_to_earn.iter().find(|w| w.kind == kind)
    }

    /// Points a way to earn grants, 0 when it is switched off.
    pub fn points_for(&self, kind: EarnKind) -> u64 {
        self.way(kind).and_then(|w| w.points).unwrap_or(0)
    }

    /// The tier of a shopper with `tier_points` qualifying points: the highest reached.
    pub fn tier_for(&self, tier_points: u64) -> Option<&TierConfig> {
        self.tiers
            .iter()
            .rev()
            .find(|t| t.min_points <= tier_points)
    }

    /// The points an order of `eligible_minor` (items after discounts, without shipping, in
    /// the programme's currency) earns a shopper whose tier has `multiplier`: points per unit
    /// times the multiplier, rounded down; 0 without a purchase rule or below its minimum.
    pub fn purchase_points(&self, eligible_minor: u64, multiplier: Milli) -> u64 {
        let Some(rule) = self.way(EarnKind::Purchase) else {
            return 0;
        };
        if rule.min_order.is_some_and(|min| eligible_minor < min) {
            return 0;
        }
        let per_unit = rule.points_per_unit.unwrap_or(Milli(0));
        purchase_points(
            eligible_minor,
            minor_digits(&self.currency),
            per_unit,
            multiplier,
        )
    }
}

/// What is wrong with a discount's amount for its kind, if anything.
pub fn discount_problem(kind: DiscountKind, amount: Option<u64>) -> Option<&'static str> {
    match (kind, amount) {
        (DiscountKind::FreeShipping, Some(_)) => Some("does not apply to free_shipping"),
        (DiscountKind::FixedAmount, None | Some(0)) => {
            Some("is required for fixed_amount: the discount in minor units (5000 is 50 kr)")
        }
        (DiscountKind::FixedAmount, Some(a)) if a > 100_000_000 => {
            Some("must be at most 100 000 000 minor units")
        }
        (DiscountKind::Percentage, None) => Some("is required for percentage: 1 to 100"),
        (DiscountKind::Percentage, Some(a)) if !(1..=100).contains(&a) => {
            Some("must be from 1 to 100 percent")
        }
        _ => None,
    }
}

/// floor(`eligible_minor` / 10^`digits` × `per_unit` × `multiplier`), in integers.
pub fn purchase_points(
    eligible_minor: u64,
    digits: u32,
    per_unit: Milli,
    multiplier: Milli,
) -> u64 {
    let numerator = u128::from(eligible_minor) * u128::from(per_unit.0) * u128::from(multiplier.0);
    let denominator = 10u128.pow(digits) * 1_000_000;
    u64::try_from(numerator / denominator).unwrap_or(u64::MAX)
}

/// Why an amount from a shop platform could not be read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InvalidAmount(pub String);

impl std::fmt::Display for InvalidAmount {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?} is not a decimal amount", self.0)
    }
}

impl std::error::Error for InvalidAmount {}

/// Reads a platform's decimal string ("2248.00", "-10.5", "0") into minor units of a currency
/// with `digits` decimals, exactly, never through a float. Digits beyond the currency's are
/// cut off (toward zero), as points round down anyway. The sign is returned separately.
pub fn parse_amount(text: &str, digits: u32) -> Result<(bool, u64), InvalidAmount> {
    let bad = || InvalidAmount(text.chars().take(40).collect());
    let trimmed = text.trim();
    let (negative, unsigned) = match trimmed.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, trimmed.strip_prefix('+').unwrap_or(trimmed)),
    };
    let (whole, fraction) = unsigned.split_once('.').unwrap_or((unsigned, ""));
    if whole.is_empty() && fraction.is_empty()
        || whole.len() > 15
        || !whole.bytes().all(|b| b.is_ascii_digit())
        || !fraction.bytes().all(|b| b.is_ascii_digit())
        || (unsigned.contains('.') && fraction.is_empty() && whole.is_empty())
    {
        return Err(bad());
    }
    let whole: u64 = if whole.is_empty() {
        0
    } else {
        whole.parse().map_err(|_| bad())?
    };
    let mut minor = whole.checked_mul(10u64.pow(digits)).ok_or_else(bad)?;
    let mut scale = 10u64.pow(digits);
    for digit in fraction.bytes().take(digits as usize) {
        scale /= 10;
        minor += u64::from(digit - b'0') * scale;
    }
    Ok((negative && minor > 0, minor))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The programme issue 15 gives, byte for byte: it must be accepted as it is.
    const ISSUE_EXAMPLE: &str = r#"{
      "name": "Lojal Fordelsklubb", "currency": "NOK", "pending_days": 14, "expiry_months": 12,
      "tiers": [
        {"id": "bronze", "name": "Bronse", "min_points": 0, "multiplier": 1},
        {"id": "silver", "name": "Sølv", "min_points": 500, "multiplier": 1.25},
        {"id": "gold", "name": "Gull", "min_points": 1500, "multiplier": 1.5}
      ],
      "rewards": [
        {"id": "r-ship", "name": "Gratis frakt", "kind": "free_shipping", "cost": 300},
        {"id": "r-50", "name": "50 kr rabatt", "kind": "fixed_amount", "amount": 5000, "cost": 500},
        {"id": "r-10", "name": "10 % rabatt", "kind": "percentage", "amount": 10, "cost": 800}
      ],
      "ways_to_earn": [
        {"kind": "purchase", "points_per_unit": 1},
        {"kind": "signup", "points": 100},
        {"kind": "birthday", "points": 200},
        {"kind": "review", "points": 50},
        {"kind": "referral", "points": 500, "min_order": 50000,
         "friend_reward": {"kind": "fixed_amount", "amount": 10000}}
      ]
    }"#;

    fn example() -> ProgrammeConfig {
        ProgrammeConfig::from_json(ISSUE_EXAMPLE).unwrap()
    }

    #[test]
    fn the_issues_example_is_accepted_as_it_is_and_round_trips() {
        let p = example();
        assert_eq!(p.pending_days, 14);
        assert_eq!(p.expiry_months, Some(12));
        assert_eq!(p.coupon_valid_days, 30, "the default");
        assert_eq!(p.tiers[1].multiplier, Milli(1250));
        assert_eq!(p.points_for(EarnKind::Birthday), 200);
        assert_eq!(p.points_for(EarnKind::Referral), 500);
        let again = ProgrammeConfig::from_json(&p.to_json_pretty()).unwrap();
        assert_eq!(again, p);
        // A kind left out is switched off.
        let mut without_reviews = p.clone();
        without_reviews
            .ways_to_earn
            .retain(|w| w.kind != EarnKind::Review);
        assert_eq!(without_reviews.points_for(EarnKind::Review), 0);
        // Null expiry means never.
        let never = ISSUE_EXAMPLE.replace(r#""expiry_months": 12"#, r#""expiry_months": null"#);
        assert_eq!(
            ProgrammeConfig::from_json(&never).unwrap().expiry_months,
            None
        );
    }

    #[test]
    fn every_problem_is_named_by_its_field() {
        let cases: Vec<(&str, &str, &str)> = vec![
            (
                r#""currency": "NOK""#,
                r#""currency": "nok""#,
                "currency: must be an ISO 4217",
            ),
            (
                r#""pending_days": 14"#,
                r#""pending_days": 400"#,
                "pending_days: must be from 0 to 365",
            ),
            (
                r#""expiry_months": 12"#,
                r#""expiry_months": 0"#,
                "expiry_months: must be from 1 to 120",
            ),
            (
                r#""min_points": 0, "multiplier": 1}"#,
                r#""min_points": 10, "multiplier": 1}"#,
                "tiers[0].min_points: the first tier must start at 0",
            ),
            (
                r#""min_points": 1500"#,
                r#""min_points": 400"#,
                "tiers[2].min_points: must be more than the previous tier's",
            ),
            (
                r#""multiplier": 1.25"#,
                r#""multiplier": 0"#,
                "tiers[1].multiplier: must be more than 0",
            ),
            (
                r#""multiplier": 1.25"#,
                r#""multiplier": 1.2345"#,
                "tiers[1].multiplier: 1.2345 is not a number from 0 with at most three decimals",
            ),
            (
                r#""id": "gold""#,
                r#""id": "silver""#,
                "tiers[2].id: is used by an earlier tier",
            ),
            (
                r#""kind": "free_shipping", "cost": 300"#,
                r#""kind": "free_shipping", "amount": 5, "cost": 300"#,
                "rewards[0].amount: does not apply to free_shipping",
            ),
            (
                r#""amount": 10, "cost": 800"#,
                r#""amount": 110, "cost": 800"#,
                "rewards[2].amount: must be from 1 to 100 percent",
            ),
            (
                r#""amount": 5000, "cost": 500"#,
                r#""cost": 500"#,
                "rewards[1].amount: is required for fixed_amount",
            ),
            (
                r#""cost": 300"#,
                r#""cost": 0"#,
                "rewards[0].cost: must be from 1",
            ),
            (
                r#""cost": 300"#,
                r#""cost": -3"#,
                "rewards[0].cost: invalid value: integer `-3`",
            ),
            (
                r#""kind": "percentage""#,
                r#""kind": "percent""#,
                "rewards[2].kind: unknown variant `percent`",
            ),
            (
                r#""multiplier": 1.5}"#,
                r#""multiplier": 1.5, "colour": "gold"}"#,
                "tiers[2].colour: unknown field `colour`",
            ),
            (
                r#"{"kind": "signup", "points": 100}"#,
                r#"{"kind": "signup"}"#,
                "ways_to_earn[1].points: is required",
            ),
            (
                r#"{"kind": "purchase", "points_per_unit": 1}"#,
                r#"{"kind": "purchase", "points": 1}"#,
                "ways_to_earn[0].points: does not apply to purchase",
            ),
            (
                r#"{"kind": "review", "points": 50}"#,
                r#"{"kind": "signup", "points": 50}"#,
                "ways_to_earn[3].kind: is listed twice",
            ),
            (
                r#""friend_reward": {"kind": "fixed_amount", "amount": 10000}"#,
                r#""friend_reward": {"kind": "percentage", "amount": 0}"#,
                "ways_to_earn[4].friend_reward.amount: must be from 1 to 100 percent",
            ),
            (
                r#""name": "Lojal Fordelsklubb","#,
                "",
                "missing field `name`",
            ),
        ];
        for (from, to, expected) in cases {
            assert!(ISSUE_EXAMPLE.contains(from), "{from}");
            let json = ISSUE_EXAMPLE.replacen(from, to, 1);
            let err = ProgrammeConfig::from_json(&json)
                .expect_err(expected)
                .to_string();
            assert!(
                err.contains(expected),
                "{to}: got `{err}`, wanted `{expected}`"
            );
        }
        // Several problems are all reported at once.
        let json = ISSUE_EXAMPLE
            .replace(r#""pending_days": 14"#, r#""pending_days": 999"#)
            .replace(r#""cost": 300"#, r#""cost": 0"#);
        let err = ProgrammeConfig::from_json(&json).unwrap_err().to_string();
        assert_eq!(
            err,
            "pending_days: must be from 0 to 365; rewards[0].cost: must be from 1 to 1 000 000 000 points"
        );
    }

    #[test]
    fn an_order_earns_points_per_unit_times_the_tier_multiplier_rounded_down() {
        let p = example();
        // (items in øre, multiplier, points)
        let cases = [
            (224_800, Milli(1000), 2248),
            (224_800, Milli(1250), 2810),
            (224_850, Milli(1250), 2810), // 2810.625
            (224_800, Milli(1500), 3372),
            (99, Milli(1000), 0),
            (100, Milli(1000), 1),
            (199, Milli(1500), 2), // 2.985
            (0, Milli(1500), 0),
            (u64::MAX, Milli(10_000), 1_844_674_407_370_955_161),
        ];
        for (minor, multiplier, points) in cases {
            assert_eq!(
                p.purchase_points(minor, multiplier),
                points,
                "{minor} × {multiplier:?}"
            );
        }
        // Half a point per krone, and a currency with three decimals.
        assert_eq!(purchase_points(1_000, 2, Milli(500), Milli::ONE), 5);
        assert_eq!(purchase_points(12_345, 3, Milli::ONE, Milli::ONE), 12);
        assert_eq!(purchase_points(1_234, 0, Milli::ONE, Milli(1250)), 1542);
        // A purchase minimum: below it nothing.
        let mut with_min = p.clone();
        with_min.ways_to_earn[0].min_order = Some(10_000);
        assert_eq!(with_min.purchase_points(9_999, Milli::ONE), 0);
        assert_eq!(with_min.purchase_points(10_000, Milli::ONE), 100);
        // No purchase rule: nothing.
        let mut off = p;
        off.ways_to_earn.retain(|w| w.kind != EarnKind::Purchase);
        assert_eq!(off.purchase_points(224_800, Milli::ONE), 0);
    }

    #[test]
    fn the_highest_tier_reached_is_the_shoppers() {
        let p = example();
        let tier = |points| p.tier_for(points).map(|t| t.id.as_str());
        assert_eq!(tier(0), Some("bronze"));
        assert_eq!(tier(499), Some("bronze"));
        assert_eq!(tier(500), Some("silver"));
        assert_eq!(tier(1_000_000), Some("gold"));
    }

    #[test]
    fn platform_amounts_are_read_exactly() {
        type Case<'a> = (&'a str, u32, Result<(bool, u64), ()>);
        let cases: Vec<Case> = vec![
            ("2248.00", 2, Ok((false, 224_800))),
            ("2248", 2, Ok((false, 224_800))),
            ("2248.5", 2, Ok((false, 224_850))),
            ("0.10", 2, Ok((false, 10))),
            (".5", 2, Ok((false, 50))),
            ("19.999", 2, Ok((false, 1_999))),
            ("-10.00", 2, Ok((true, 1_000))),
            ("-0.00", 2, Ok((false, 0))),
            ("1234.567", 3, Ok((false, 1_234_567))),
            ("1234", 0, Ok((false, 1_234))),
            // 0.1 + 0.2 in floats is 0.30000000000000004; here it is 30 øre.
            ("0.30", 2, Ok((false, 30))),
            ("", 2, Err(())),
            (".", 2, Err(())),
            ("1,5", 2, Err(())),
            ("1e3", 2, Err(())),
            ("NaN", 2, Err(())),
            ("12 345", 2, Err(())),
            ("--1", 2, Err(())),
            ("99999999999999999999", 2, Err(())),
        ];
        for (text, digits, expected) in cases {
            assert_eq!(
                parse_amount(text, digits).map_err(|_| ()),
                expected,
                "{text:?}"
            );
        }
        assert_eq!(minor_digits("NOK"), 2);
        assert_eq!(minor_digits("JPY"), 0);
        assert_eq!(minor_digits("KWD"), 3);
    }
}
