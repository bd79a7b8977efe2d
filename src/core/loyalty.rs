//! The loyalty programme as the badge sees it: wire types of `/api/v1/loyalty/*`, and the rules
//! the badge derives from them (progress to the next tier, what can be redeemed now).

use serde::{Deserialize, Serialize};

/// Longest text the badge accepts from the network in one field; longer means broken or hostile.
pub const MAX_TEXT_LEN: usize = 200;
/// Most rewards one status may list; a programme with more is misconfigured.
pub const MAX_REWARDS: usize = 100;
/// Most activity rows one status may carry; the server sends the newest few.
pub const MAX_ACTIVITY: usize = 50;
/// Most ways to earn a programme lists.
pub const MAX_WAYS_TO_EARN: usize = 20;
/// Most coupons one status lists: her newest ones that have not expired.
pub const MAX_COUPONS: usize = 20;

/// A level of the programme, reached by earning `min_points` qualifying points.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tier {
    pub id: String,
    /// Shown to the shopper as is ("Sølv").
    pub name: String,
    pub min_points: u64,
}

/// Something the shopper can buy with points.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reward {
    pub id: String,
    /// Shown to the shopper as is ("100 kr rabatt").
    pub name: String,
    /// Price in points.
    pub cost: u64,
}

/// What a coupon takes off at checkout, as a shopper is told it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Offer {
    /// `free_shipping`, `fixed_amount` (`amount` in minor units of the programme's currency)
    /// or `percentage` (`amount` percent).
    pub kind: String,
    #[serde(default)]
    pub amount: Option<u64>,
}

/// One way to earn points, with its numbers, for "1 poeng per krone", "200 poeng på bursdagen".
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct WayToEarn {
    /// `purchase`, `signup`, `birthday`, `review` or `referral`; other kinds are skipped.
    pub kind: String,
    /// Points granted (every kind but `purchase`).
    #[serde(default)]
    pub points: Option<u64>,
    /// Points per one major unit of the programme's currency (`purchase`).
    #[serde(default)]
    pub points_per_unit: Option<f64>,
    /// Smallest qualifying order in minor units (`referral`: the friend's first order).
    #[serde(default)]
    pub min_order: Option<u64>,
    /// What a referred friend is offered (`referral`).
    #[serde(default)]
    pub friend_reward: Option<Offer>,
}

/// One change of the shopper's points, from the ledger, newest first.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Activity {
    /// `purchase`, `signup`, `birthday`, `review`, `referral`, `redeem`, `refund`, `cancel`,
    /// `expire`, `adjust` or `opening` (the balance a shop brought along).
    pub kind: String,
    /// Signed: earned points are positive, spent or taken back negative.
    pub points: i64,
    /// RFC 3339 instant of the change.
    pub at: String,
    /// Still waiting for the return window to close.
    #[serde(default)]
    pub pending: bool,
    /// What it was for: the order's number, the reward's name.
    #[serde(default)]
    pub detail: Option<String>,
}

/// Points that expire if nothing happens before `at`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Expiring {
    pub points: u64,
    /// RFC 3339 instant.
    pub at: String,
}

/// The shopper's birthday, as she set it in the badge.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Birthday {
    pub month: u8,
    pub day: u8,
    /// RFC 3339 instant from which she may change it again; `None` once it may be changed.
    #[serde(default)]
    pub changeable_from: Option<String>,
}

/// The member's referral programme: her code, what she earns and what her friends get.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Referral {
    /// Goes into the share link as `?lojal_ref=CODE`.
    pub code: String,
    /// Points for the referrer once a friend's first qualifying order is paid.
    pub points: u64,
    pub friend_reward: Offer,
    /// Smallest qualifying first order, minor units.
    #[serde(default)]
    pub min_order: u64,
    /// Friends whose first order has earned her points so far.
    #[serde(default)]
    pub converted: u64,
}

/// `PUT /api/v1/loyalty/{customer_id}/birthday` body.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BirthdayRequest {
    pub month: u8,
    pub day: u8,
}

/// `GET /api/v1/referrals/{code}`: what a friend arriving through a share link is offered.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReferralInvite {
    pub code: String,
    /// The referrer's first name, for "Ingrid inviterer deg"; absent if the shop has none.
    #[serde(default)]
    pub referrer_first_name: Option<String>,
    pub friend_reward: Offer,
    /// ISO 4217 code for the amounts.
    pub currency: String,
}

/// `POST /api/v1/referrals/{code}/claim` body: the friend's email.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReferralClaim {
    pub email: String,
}

/// A friend's coupon for her first order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReferralCoupon {
    /// Empty while `status` is `pending` (claiming again shows it once it is active).
    pub code: String,
    /// `active`, `pending` or `failed`.
    #[serde(default = "active")]
    pub status: String,
    pub friend_reward: Offer,
    pub currency: String,
    /// RFC 3339 instant after which the shop refuses the code.
    pub expires_at: String,
}

/// `GET /api/v1/loyalty/{customer_id}`: one signed-in shopper's standing.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LoyaltyStatus {
    pub customer_id: String,
    /// First name, for a greeting; may be absent.
    #[serde(default)]
    pub first_name: Option<String>,
    /// Spendable balance; redeeming lowers it.
    pub points: u64,
    /// Points earned over the qualifying period; tiers follow these, so redeeming never demotes.
    pub tier_points: u64,
    pub tier: Tier,
    /// `None` at the top tier.
    pub next_tier: Option<Tier>,
    /// Qualifying points still missing for `next_tier` (0 at the top).
    pub points_to_next: u64,
    /// Every reward of the programme, affordable or not, cheapest first.
    pub rewards: Vec<Reward>,
    /// Earned but not yet spendable: orders still inside the return window.
    #[serde(default)]
    pub pending_points: u64,
    /// When the next pending points become spendable (RFC 3339).
    #[serde(default)]
    pub pending_until: Option<String>,
    /// The balance that expires without activity, and when; `None` when nothing will.
    #[serde(default)]
    pub expiring: Option<Expiring>,
    /// The newest changes of her points.
    #[serde(default)]
    pub activity: Vec<Activity>,
    /// How to earn more.
    #[serde(default)]
    pub ways_to_earn: Vec<WayToEarn>,
    /// ISO 4217 code of the programme's currency, for amounts in `ways_to_earn`.
    #[serde(default)]
    pub currency: Option<String>,
    /// Her birthday, if she set it; `None` also when the programme has no birthday points.
    #[serde(default)]
    pub birthday: Option<Birthday>,
    /// Whether the programme gives birthday points (and the badge asks for the date).
    #[serde(default)]
    pub birthday_points: u64,
    /// Her referral link's code and terms; `None` when the programme has no referrals.
    #[serde(default)]
    pub referral: Option<Referral>,
    /// Her coupons that have not expired, newest first: codes to use at checkout, and codes
    /// still on their way from the shop platform (so one she left the page for still reaches
    /// her).
    #[serde(default)]
    pub coupons: Vec<Coupon>,
}

/// `GET /api/v1/loyalty/program`: what a guest is offered.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Program {
    pub name: String,
    /// Points granted on joining.
    pub signup_bonus: u64,
    /// Where the shop's own sign-up form lives (absolute http(s) or same-origin path).
    #[serde(default)]
    pub signup_url: Option<String>,
    pub tiers: Vec<Tier>,
    /// How members earn points.
    #[serde(default)]
    pub ways_to_earn: Vec<WayToEarn>,
    /// ISO 4217 code of the programme's currency.
    #[serde(default)]
    pub currency: Option<String>,
}

/// `POST /api/v1/loyalty/{customer_id}/redeem` body.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RedeemRequest {
    pub reward_id: String,
}

/// A single-use discount code paid out for a reward.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Coupon {
    /// Empty while `status` is `pending`: a code is shown only once the shop's checkout takes it.
    pub code: String,
    pub reward_id: String,
    pub reward_name: String,
    /// RFC 3339 instant after which the shop refuses the code.
    pub expires_at: String,
    /// `active` (the checkout takes it), `pending` (the shop platform is creating it: ask
    /// `GET /coupons/{ticket}`), `failed` (refused; the points came back).
    #[serde(default = "active")]
    pub status: String,
    /// For asking about a pending coupon.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ticket: Option<String>,
}

fn active() -> String {
    "active".into()
}

/// `GET /api/v1/coupons/{ticket}`: how a coupon that was pending is doing.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CouponState {
    /// `pending`, `active` or `failed`.
    pub status: String,
    /// Only once `active`.
    #[serde(default)]
    pub code: Option<String>,
    /// The reward's or prize's name.
    pub name: String,
    pub expires_at: String,
    /// Why the shop refused it, when it did.
    #[serde(default)]
    pub failure: Option<String>,
}

/// Answer to a redemption: the coupon, and the standing after paying for it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RedeemResponse {
    pub coupon: Coupon,
    pub status: LoyaltyStatus,
}

/// Why a status or programme from the network was refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum InvalidLoyalty {
    /// Not JSON of the expected shape; the text is serde's, naming line and column.
    Shape(String),
    /// A text field is empty or longer than [`MAX_TEXT_LEN`].
    Text(&'static str),
    /// The numbers contradict each other.
    Inconsistent(&'static str),
    TooManyRewards(usize),
    /// The answer is about another shopper than the one asked for.
    OtherCustomer,
}

impl std::fmt::Display for InvalidLoyalty {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Shape(e) => write!(f, "unexpected JSON: {e}"),
            Self::Text(field) => write!(f, "field `{field}` is empty or too long"),
            Self::Inconsistent(why) => write!(f, "inconsistent numbers: {why}"),
            Self::OtherCustomer => f.write_str("the answer is about another customer"),
            Self::TooManyRewards(n) => {
                write!(f, "{n} rewards listed, at most {MAX_REWARDS} allowed")
            }
        }
    }
}

impl std::error::Error for InvalidLoyalty {}

fn check_text(value: &str, field: &'static str) -> Result<(), InvalidLoyalty> {
    let len = value.chars().count();
    if value.trim().is_empty() || len > MAX_TEXT_LEN {
        Err(InvalidLoyalty::Text(field))
    } else {
        Ok(())
    }
}

impl LoyaltyStatus {
    /// Parses and checks a status as received from the network.
    pub fn from_json(body: &str) -> Result<Self, InvalidLoyalty> {
        let mut status: Self =
            crate::core::json::parse(body).map_err(|e| InvalidLoyalty::Shape(e.to_string()))?;
        status.validate()?;
        status.prune();
        Ok(status)
    }

    /// Parses a status and checks it is the one asked for: an answer about someone else (a
    /// misrouted cache, a confused proxy) must never reach the screen.
    pub fn from_json_for(body: &str, customer_id: &str) -> Result<Self, InvalidLoyalty> {
        let status = Self::from_json(body)?;
        if status.customer_id != customer_id {
            return Err(InvalidLoyalty::OtherCustomer);
        }
        Ok(status)
    }

    pub fn validate(&self) -> Result<(), InvalidLoyalty> {
        check_text(&self.customer_id, "customer_id")?;
        check_text(&self.tier.name, "tier.name")?;
        if let Some(name) = &self.first_name {
            check_text(name, "first_name")?;
        }
        if let Some(next) = &self.next_tier {
            check_text(&next.name, "next_tier.name")?;
            if next.min_points <= self.tier.min_points {
                return Err(InvalidLoyalty::Inconsistent(
                    "next tier starts below the current one",
                ));
            }
        }
        if self.rewards.len() > MAX_REWARDS {
            return Err(InvalidLoyalty::TooManyRewards(self.rewards.len()));
        }
        for reward in &self.rewards {
            check_text(&reward.id, "rewards[].id")?;
            check_text(&reward.name, "rewards[].name")?;
        }
        Ok(())
    }

    /// Leaves out the optional parts a view could not show (an activity row, a way to earn, a
    /// coupon, the referral, the birthday, expiring or pending dates whose text or numbers do not
    /// add up), so one broken panel never hides the balance. Lists are cut to their bounds.
    pub fn prune(&mut self) {
        let text_ok = |t: &str| check_text(t, "").is_ok();
        self.activity.truncate(MAX_ACTIVITY);
        self.activity.retain(|row| {
            text_ok(&row.kind) && text_ok(&row.at) && row.detail.as_deref().is_none_or(text_ok)
        });
        self.ways_to_earn.truncate(MAX_WAYS_TO_EARN);
        self.ways_to_earn.retain(|w| check_way(w).is_ok());
        if self
            .currency
            .as_deref()
            .is_some_and(|c| check_currency(c).is_err())
        {
            self.currency = None;
        }
        if self
            .birthday
            .as_ref()
            .is_some_and(|b| !is_day_of_year(b.month, b.day))
        {
            self.birthday = None;
        }
        if self
            .referral
            .as_ref()
            .is_some_and(|r| !is_referral_code(&r.code) || check_offer(&r.friend_reward).is_err())
        {
            self.referral = None;
        }
        if self.expiring.as_ref().is_some_and(|e| !text_ok(&e.at)) {
            self.expiring = None;
        }
        if self.pending_until.as_deref().is_some_and(|t| !text_ok(t)) {
            self.pending_until = None;
        }
        self.coupons.truncate(MAX_COUPONS);
        self.coupons.retain(|c| c.check().is_ok());
    }

    /// Where the shopper stands between the current tier and the next.
    pub fn progress(&self) -> TierProgress {
        TierProgress::new(
            self.tier_points,
            self.tier.min_points,
            self.next_tier.as_ref().map(|t| t.min_points),
        )
    }

    /// Rewards the balance pays for now, cheapest first.
    pub fn redeemable(&self) -> Vec<&Reward> {
        let mut rewards: Vec<&Reward> = self
            .rewards
            .iter()
            .filter(|r| r.cost <= self.points)
            .collect();
        rewards.sort_by_key(|r| r.cost);
        rewards
    }

    /// The cheapest reward still out of reach, to say how far away it is.
    pub fn next_reward(&self) -> Option<&Reward> {
        self.rewards
            .iter()
            .filter(|r| r.cost > self.points)
            .min_by_key(|r| r.cost)
    }
}

impl Program {
    pub fn from_json(body: &str) -> Result<Self, InvalidLoyalty> {
        let program: Self =
            crate::core::json::parse(body).map_err(|e| InvalidLoyalty::Shape(e.to_string()))?;
        check_text(&program.name, "name")?;
        check_ways(&program.ways_to_earn)?;
        if let Some(currency) = &program.currency {
            check_currency(currency)?;
        }
        Ok(program)
    }
}

impl ReferralInvite {
    pub fn from_json(body: &str) -> Result<Self, InvalidLoyalty> {
        let invite: Self =
            crate::core::json::parse(body).map_err(|e| InvalidLoyalty::Shape(e.to_string()))?;
        check_text(&invite.code, "code")?;
        if let Some(name) = &invite.referrer_first_name {
            check_text(name, "referrer_first_name")?;
        }
        check_offer(&invite.friend_reward)?;
        check_currency(&invite.currency)?;
        Ok(invite)
    }
}

impl ReferralCoupon {
    pub fn from_json(body: &str) -> Result<Self, InvalidLoyalty> {
        let coupon: Self =
            crate::core::json::parse(body).map_err(|e| InvalidLoyalty::Shape(e.to_string()))?;
        if coupon.status == "active" {
            check_text(&coupon.code, "code")?;
        }
        check_text(&coupon.expires_at, "expires_at")?;
        check_offer(&coupon.friend_reward)?;
        check_currency(&coupon.currency)?;
        Ok(coupon)
    }
}

fn check_ways(ways: &[WayToEarn]) -> Result<(), InvalidLoyalty> {
    if ways.len() > MAX_WAYS_TO_EARN {
        return Err(InvalidLoyalty::Inconsistent("more than 20 ways to earn"));
    }
    ways.iter().try_for_each(check_way)
}

fn check_way(way: &WayToEarn) -> Result<(), InvalidLoyalty> {
    check_text(&way.kind, "ways_to_earn[].kind")?;
    if way
        .points_per_unit
        .is_some_and(|p| !p.is_finite() || p <= 0.0 || p > 1e6)
    {
        return Err(InvalidLoyalty::Inconsistent(
            "points_per_unit is not a positive number",
        ));
    }
    if let Some(offer) = &way.friend_reward {
        check_offer(offer)?;
    }
    Ok(())
}

fn check_offer(offer: &Offer) -> Result<(), InvalidLoyalty> {
    match (offer.kind.as_str(), offer.amount) {
        ("free_shipping", _) | ("fixed_amount", Some(1..)) => Ok(()),
        ("percentage", Some(1..=100)) => Ok(()),
        _ => Err(InvalidLoyalty::Inconsistent(
            "an offer's kind or amount is not one the badge can describe",
        )),
    }
}

fn check_currency(currency: &str) -> Result<(), InvalidLoyalty> {
    if currency.len() == 3 && currency.bytes().all(|b| b.is_ascii_uppercase()) {
        Ok(())
    } else {
        Err(InvalidLoyalty::Text("currency"))
    }
}

/// Whether `code` can be a member's referral code (`?lojal_ref=CODE`): 4 to 32 letters and
/// digits. Anything else in a URL is ignored, never sent on.
pub fn is_referral_code(code: &str) -> bool {
    (4..=32).contains(&code.len()) && code.bytes().all(|b| b.is_ascii_alphanumeric())
}

/// Whether `month`/`day` is a day of some year (29 February included).
pub fn is_day_of_year(month: u8, day: u8) -> bool {
    let days = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 => 29,
        _ => return false,
    };
    (1..=days).contains(&day)
}

impl WayToEarn {
    /// Only the kinds this version of the badge can describe, in a stable order.
    pub fn known(ways: &[WayToEarn]) -> Vec<&WayToEarn> {
        const ORDER: [&str; 5] = ["purchase", "signup", "birthday", "review", "referral"];
        let mut known: Vec<&WayToEarn> = ways
            .iter()
            .filter(|w| ORDER.contains(&w.kind.as_str()))
            .collect();
        known.sort_by_key(|w| ORDER.iter().position(|k| *k == w.kind));
        known
    }
}

impl Coupon {
    /// A coupon a view may show: a code once active, a ticket to ask about one still pending.
    fn check(&self) -> Result<(), InvalidLoyalty> {
        check_text(&self.reward_name, "coupon.reward_name")?;
        check_text(&self.expires_at, "coupon.expires_at")?;
        match self.status.as_str() {
            "active" => check_text(&self.code, "coupon.code"),
            "pending" => check_ticket(self.ticket.as_deref()),
            "failed" => Ok(()),
            _ => Err(InvalidLoyalty::Text("coupon.status")),
        }
    }
}

/// A pending coupon's ticket goes into a URL path: 32 hex digits, as the reference API makes
/// them, and nothing a path could be bent with.
pub(crate) fn check_ticket(ticket: Option<&str>) -> Result<(), InvalidLoyalty> {
    match ticket {
        Some(t) if t.len() == 32 && t.bytes().all(|b| b.is_ascii_hexdigit()) => Ok(()),
        _ => Err(InvalidLoyalty::Text("coupon.ticket")),
    }
}

impl CouponState {
    pub fn from_json(body: &str) -> Result<Self, InvalidLoyalty> {
        let state: Self =
            crate::core::json::parse(body).map_err(|e| InvalidLoyalty::Shape(e.to_string()))?;
        check_text(&state.name, "name")?;
        match (state.status.as_str(), &state.code) {
            ("active", Some(code)) => check_text(code, "code")?,
            ("active", None) => return Err(InvalidLoyalty::Text("code")),
            ("pending" | "failed", _) => {}
            _ => return Err(InvalidLoyalty::Text("status")),
        }
        Ok(state)
    }
}

/// How long to wait before asking about a pending coupon again: soon at first, as most
/// platforms answer within seconds, then every 20 s; `None` after about ten minutes, when the
/// badge stops asking on this page (her next page load asks again).
pub fn coupon_poll_delay_ms(attempts_made: u32) -> Option<u32> {
    const FIRST: [u32; 6] = [1_000, 2_000, 3_000, 5_000, 8_000, 13_000];
    const LAST_ATTEMPT: u32 = 34;
    match attempts_made {
        n if (n as usize) < FIRST.len() => Some(FIRST[n as usize]),
        n if n < LAST_ATTEMPT => Some(20_000),
        _ => None,
    }
}

/// Points for a purchase of 100 major units of the programme's currency ("100 poeng per
/// 100 kr"): a whole number for any rate a programme sets in hundredths, where "per krone"
/// would need fractions.
pub fn points_per_hundred(points_per_unit: f64) -> u64 {
    if !points_per_unit.is_finite() || points_per_unit <= 0.0 {
        return 0;
    }
    // The small nudge keeps 1.15 × 100 (114.999…) at 115.
    (points_per_unit * 100.0 + 1e-6).floor() as u64
}

impl RedeemResponse {
    /// [`RedeemResponse::from_json`], and the balance in it must be the redeeming shopper's.
    pub fn from_json_for(body: &str, customer_id: &str) -> Result<Self, InvalidLoyalty> {
        let response = Self::from_json(body)?;
        if response.status.customer_id != customer_id {
            return Err(InvalidLoyalty::OtherCustomer);
        }
        Ok(response)
    }

    pub fn from_json(body: &str) -> Result<Self, InvalidLoyalty> {
        let mut response: Self =
            crate::core::json::parse(body).map_err(|e| InvalidLoyalty::Shape(e.to_string()))?;
        response.coupon.check()?;
        response.status.validate()?;
        response.status.prune();
        Ok(response)
    }
}

/// Progress from the current tier's threshold towards the next one.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TierProgress {
    /// 0.0 at the current tier's threshold, 1.0 at the next (always 1.0 at the top tier).
    pub fraction: f64,
    /// Qualifying points still missing; 0 at the top tier.
    pub points_to_next: u64,
    pub at_top: bool,
}

impl TierProgress {
    pub fn new(tier_points: u64, current_min: u64, next_min: Option<u64>) -> Self {
        match next_min {
            Some(next) if next > current_min => {
                let span = next - current_min;
                let done = tier_points.saturating_sub(current_min).min(span);
                Self {
                    fraction: done as f64 / span as f64,
                    points_to_next: next.saturating_sub(tier_points),
                    at_top: false,
                }
            }
            _ => Self {
                fraction: 1.0,
                points_to_next: 0,
                at_top: true,
            },
        }
    }

    /// Whole percent for `aria-valuenow` and the bar's width, never rounding up to 100 early.
    pub fn percent(&self) -> u8 {
        (self.fraction * 100.0).floor().clamp(0.0, 100.0) as u8
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tier(id: &str, name: &str, min_points: u64) -> Tier {
        Tier {
            id: id.into(),
            name: name.into(),
            min_points,
        }
    }

    fn reward(id: &str, cost: u64) -> Reward {
        Reward {
            id: id.into(),
            name: format!("Reward {id}"),
            cost,
        }
    }

    fn status(points: u64, rewards: Vec<Reward>) -> LoyaltyStatus {
        LoyaltyStatus {
            customer_id: "c-1001".into(),
            first_name: Some("Ingrid".into()),
            points,
            tier_points: 1250,
            tier: tier("silver", "Sølv", 500),
            next_tier: Some(tier("gold", "Gull", 1500)),
            points_to_next: 250,
            rewards,
            pending_points: 0,
            pending_until: None,
            expiring: None,
            activity: Vec::new(),
            ways_to_earn: Vec::new(),
            currency: None,
            birthday: None,
            birthday_points: 0,
            referral: None,
            coupons: Vec::new(),
        }
    }

    #[test]
    fn progress_between_tiers_follows_qualifying_points() {
        let cases = [
            // (tier_points, current_min, next_min, fraction, points_to_next, at_top)
            (1250, 500, Some(1500), 0.75, 250, false),
            (500, 500, Some(1500), 0.0, 1000, false),
            (1499, 500, Some(1500), 0.999, 1, false),
            // More than the next threshold (server not yet promoted): full bar, nothing missing.
            (2000, 500, Some(1500), 1.0, 0, false),
            // Below the current threshold (demoted data): empty bar, never negative.
            (100, 500, Some(1500), 0.0, 1400, false),
            (0, 0, Some(500), 0.0, 500, false),
            (9000, 1500, None, 1.0, 0, true),
            // A next tier that does not lie above the current one is treated as the top.
            (700, 500, Some(500), 1.0, 0, true),
            (700, 500, Some(100), 1.0, 0, true),
            (u64::MAX, 0, Some(u64::MAX), 1.0, 0, false),
        ];
        for (tier_points, current, next, fraction, to_next, at_top) in cases {
            let p = TierProgress::new(tier_points, current, next);
            assert!(
                (p.fraction - fraction).abs() < 1e-9,
                "{tier_points}/{current}/{next:?}: {p:?}"
            );
            assert_eq!(
                p.points_to_next, to_next,
                "{tier_points}/{current}/{next:?}"
            );
            assert_eq!(p.at_top, at_top, "{tier_points}/{current}/{next:?}");
        }
    }

    #[test]
    fn percent_never_shows_a_full_bar_before_the_tier_is_reached() {
        assert_eq!(TierProgress::new(1499, 500, Some(1500)).percent(), 99);
        assert_eq!(TierProgress::new(1250, 500, Some(1500)).percent(), 75);
        assert_eq!(TierProgress::new(1500, 500, Some(1500)).percent(), 100);
        assert_eq!(TierProgress::new(0, 0, None).percent(), 100);
    }

    #[test]
    fn only_affordable_rewards_are_redeemable_cheapest_first() {
        let s = status(
            1000,
            vec![reward("b", 1000), reward("c", 1001), reward("a", 250)],
        );
        let ids: Vec<&str> = s.redeemable().iter().map(|r| r.id.as_str()).collect();
        assert_eq!(ids, ["a", "b"]);
        assert_eq!(s.next_reward().map(|r| r.id.as_str()), Some("c"));
        assert!(status(0, vec![reward("a", 1)]).redeemable().is_empty());
        assert_eq!(status(5000, vec![reward("a", 1)]).next_reward(), None);
    }

    #[test]
    fn an_answer_about_another_customer_is_refused() {
        let body = r#"{"customer_id":"c-1002","points":1,"tier_points":1,
            "tier":{"id":"b","name":"Bronse","min_points":0},"next_tier":null,"points_to_next":0,
            "rewards":[]}"#;
        assert_eq!(
            LoyaltyStatus::from_json_for(body, "c-1001"),
            Err(InvalidLoyalty::OtherCustomer)
        );
        assert_eq!(
            LoyaltyStatus::from_json_for(body, "c-1002")
                .unwrap()
                .customer_id,
            "c-1002"
        );
    }

    #[test]
    fn a_status_from_the_reference_api_parses() {
        let body = r#"{"customer_id":"c-1001","first_name":"Ingrid","points":1250,"tier_points":1250,
            "tier":{"id":"silver","name":"Sølv","min_points":500},
            "next_tier":{"id":"gold","name":"Gull","min_points":1500},"points_to_next":250,
            "rewards":[{"id":"r-50","name":"50 kr rabatt","cost":500}]}"#;
        let s = LoyaltyStatus::from_json(body).unwrap();
        assert_eq!(s.points, 1250);
        assert_eq!(s.tier.name, "Sølv");
        assert_eq!(s.progress().points_to_next, 250);
    }

    #[test]
    fn malformed_or_hostile_statuses_are_refused_with_a_reason() {
        let valid = serde_json::to_value(status(10, vec![reward("a", 5)])).unwrap();
        let with = |pointer: &str, value: serde_json::Value| {
            let mut v = valid.clone();
            *v.pointer_mut(pointer).unwrap() = value;
            v.to_string()
        };
        let long = "x".repeat(MAX_TEXT_LEN + 1);
        let cases: Vec<(String, &str)> = vec![
            ("".into(), "unexpected JSON"),
            ("<html>502</html>".into(), "unexpected JSON"),
            ("null".into(), "unexpected JSON"),
            (r#"{"customer_id":"c"}"#.into(), "unexpected JSON"),
            (with("/points", serde_json::json!(-5)), "unexpected JSON"),
            (with("/points", serde_json::json!(1e308)), "unexpected JSON"),
            (
                with("/points", serde_json::json!("1250")),
                "unexpected JSON",
            ),
            (with("/tier/name", serde_json::json!("")), "tier.name"),
            (with("/tier/name", serde_json::json!(long)), "tier.name"),
            (
                with("/rewards/0/name", serde_json::json!("   ")),
                "rewards[].name",
            ),
            (
                with("/next_tier/min_points", serde_json::json!(100)),
                "inconsistent",
            ),
            (
                with(
                    "/rewards",
                    serde_json::json!(vec![serde_json::to_value(reward("a", 1)).unwrap(); 101]),
                ),
                "101 rewards",
            ),
        ];
        for (body, expected) in cases {
            let err = LoyaltyStatus::from_json(&body)
                .expect_err(&body)
                .to_string();
            assert!(
                err.contains(expected),
                "{body:.80}: got `{err}`, wanted `{expected}`"
            );
        }
    }

    #[test]
    fn markup_in_names_is_kept_as_text_not_refused() {
        // Views render text nodes, so a script in a name is harmless text; refusing it would
        // hide a shop's odd but honest reward names.
        let mut s = status(10, vec![]);
        s.tier.name = "<img src=x onerror=alert(1)>".into();
        let parsed = LoyaltyStatus::from_json(&serde_json::to_string(&s).unwrap()).unwrap();
        assert_eq!(parsed.tier.name, "<img src=x onerror=alert(1)>");
    }

    #[test]
    fn a_pending_coupon_needs_a_ticket_that_fits_a_path_and_an_active_one_a_code() {
        let coupon = |code: &str, status: &str, ticket: Option<&str>| Coupon {
            code: code.into(),
            reward_id: "r-50".into(),
            reward_name: "50 kr rabatt".into(),
            expires_at: "2027-01-01T00:00:00Z".into(),
            status: status.into(),
            ticket: ticket.map(str::to_owned),
        };
        let ticket = "0123456789abcdef0123456789ABCDEF";
        let cases = [
            (coupon("LOJAL-AB12-CD34", "active", None), true),
            (coupon("", "active", None), false),
            (coupon("", "pending", Some(ticket)), true),
            (coupon("", "pending", None), false),
            (coupon("", "pending", Some("../../admin/webhooks")), false),
            (coupon("", "pending", Some(&ticket[1..])), false),
            (coupon("", "failed", None), true),
            (coupon("LOJAL-AB12-CD34", "used", None), false),
        ];
        for (coupon, ok) in cases {
            assert_eq!(coupon.check().is_ok(), ok, "{coupon:?}");
            // In a status, a coupon the badge cannot show is left out; the status stays.
            let mut s = status(10, vec![]);
            s.coupons = vec![coupon.clone()];
            let parsed = LoyaltyStatus::from_json(&serde_json::to_string(&s).unwrap()).unwrap();
            assert_eq!(
                parsed.coupons.len(),
                usize::from(ok),
                "in a status: {coupon:?}"
            );
        }
    }

    #[test]
    fn a_coupon_state_shows_a_code_only_when_active() {
        let cases = [
            (
                r#"{"status":"active","code":"LOJAL-AB12","name":"Gratis frakt","expires_at":"x"}"#,
                true,
            ),
            (
                r#"{"status":"active","name":"Gratis frakt","expires_at":"x"}"#,
                false,
            ),
            (
                r#"{"status":"active","code":"","name":"Gratis frakt","expires_at":"x"}"#,
                false,
            ),
            (
                r#"{"status":"pending","name":"Gratis frakt","expires_at":"x"}"#,
                true,
            ),
            (
                r#"{"status":"failed","failure":"refused","name":"Gratis frakt","expires_at":"x"}"#,
                true,
            ),
            (
                r#"{"status":"lost","name":"Gratis frakt","expires_at":"x"}"#,
                false,
            ),
            (r#"{"status":"pending","name":"","expires_at":"x"}"#, false),
            ("<html>", false),
        ];
        for (body, ok) in cases {
            assert_eq!(CouponState::from_json(body).is_ok(), ok, "{body}");
        }
    }

    #[test]
    fn a_pending_coupon_is_asked_about_soon_then_less_often_then_no_more() {
        let delays: Vec<u32> = (0..).map_while(coupon_poll_delay_ms).collect();
        assert_eq!(delays[..3], [1_000, 2_000, 3_000]);
        assert!(delays.windows(2).all(|w| w[0] <= w[1]), "{delays:?}");
        let total: u32 = delays.iter().sum();
        assert!((540_000..=720_000).contains(&total), "asks for {total} ms");
    }

    #[test]
    fn purchase_rates_are_told_per_hundred_major_units() {
        let cases = [
            (1.0, 100),
            (1.25, 125),
            (1.15, 115),
            (0.5, 50),
            (0.01, 1),
            (0.001, 0),
            (10.0, 1_000),
            (0.0, 0),
            (-1.0, 0),
            (f64::NAN, 0),
            (f64::INFINITY, 0),
        ];
        for (rate, points) in cases {
            assert_eq!(points_per_hundred(rate), points, "{rate}");
        }
    }

    #[test]
    fn only_letters_and_digits_make_a_referral_code() {
        for (code, ok) in [
            ("AB12CD34", true),
            ("abcd", true),
            ("ABC", false),
            (&"A".repeat(33)[..], false),
            ("AB12-CD34", false),
            ("../x", false),
            ("AB12%2F", false),
            ("", false),
        ] {
            assert_eq!(is_referral_code(code), ok, "{code}");
        }
    }

    #[test]
    fn a_broken_optional_panel_is_left_out_and_the_balance_still_shows() {
        let mut s = status(10, vec![reward("a", 5)]);
        s.referral = Some(Referral {
            code: "AB12CD34".into(),
            points: 500,
            friend_reward: Offer {
                kind: "fixed_amount".into(),
                amount: Some(10_000),
            },
            min_order: 0,
            converted: 0,
        });
        s.birthday = Some(Birthday {
            month: 3,
            day: 14,
            changeable_from: None,
        });
        s.activity = vec![Activity {
            kind: "purchase".into(),
            points: 130,
            at: "2026-12-01T10:00:00Z".into(),
            pending: true,
            detail: Some("#1001".into()),
        }];
        s.currency = Some("NOK".into());
        let good = serde_json::to_value(&s).unwrap();
        let with = |pointer: &str, value: serde_json::Value| {
            let mut v = good.clone();
            *v.pointer_mut(pointer).unwrap() = value;
            LoyaltyStatus::from_json(&v.to_string()).expect("the status itself is fine")
        };
        let markup = serde_json::json!("fixed_amount<img src=x onerror=alert(1)>");
        assert_eq!(with("/referral/friend_reward/kind", markup).referral, None);
        assert_eq!(
            with("/referral/code", serde_json::json!("../../x")).referral,
            None
        );
        assert_eq!(
            with("/birthday/month", serde_json::json!(13)).birthday,
            None
        );
        assert_eq!(
            with("/activity/0/at", serde_json::json!("")).activity,
            vec![]
        );
        assert_eq!(
            with("/currency", serde_json::json!("kroner")).currency,
            None
        );
        let kept = LoyaltyStatus::from_json(&good.to_string()).unwrap();
        assert_eq!(kept, s, "a sound status keeps every part");
        // The required parts still refuse the whole answer.
        let mut v = good.clone();
        *v.pointer_mut("/tier/name").unwrap() = serde_json::json!("");
        assert!(LoyaltyStatus::from_json(&v.to_string()).is_err());
    }
}
