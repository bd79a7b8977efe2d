//! Reward games (`<lojal-wheel>`, `<lojal-scratch>`): the wire types of `/api/v1/campaigns`,
//! the campaign file a merchant writes, the server's weighted draw (a prize whose stock runs
//! out gives its weight to the fallback segment), the wheel's geometry, and the scratch card's
//! coverage. Pure: the server and the widgets share it, and it is tested natively.
//!
//! The wheel's convention, used by the SVG, the animation and the tests alike: segment `i` of
//! `n` spans the angles `[i, i + 1) × 360° / n`, measured clockwise from 12 o'clock; the pointer
//! sits at 12 o'clock and never moves; the wheel turns clockwise by a positive rotation.

use serde::{Deserialize, Serialize};

use crate::core::url::safe_link;

/// Fewest and most segments a wheel (or scratch card) may have. Labels stay readable from 4
/// to 12; the geometry holds for the whole range.
pub const MIN_SEGMENTS: usize = 2;
pub const MAX_SEGMENTS: usize = 24;
/// Longest segment label, campaign name and prize name, in characters.
pub const MAX_LABEL_LEN: usize = 40;
pub const MAX_NAME_LEN: usize = 100;
/// Longest marketing-consent text a merchant may set.
pub const MAX_CONSENT_LEN: usize = 600;
/// Percentage of the card that must be scratched before the prize is shown in full.
pub const REVEAL_PERCENT: u64 = 60;
/// Share of a segment's width kept clear on each side when the wheel lands, so the pointer is
/// never read as sitting on a border.
pub const LANDING_MARGIN: f64 = 0.15;

// ---------------------------------------------------------------------------------------------
// Wire types
// ---------------------------------------------------------------------------------------------

/// Which widget plays a campaign.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Game {
    Wheel,
    Scratch,
}

impl Game {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Wheel => "wheel",
            Self::Scratch => "scratch",
        }
    }
}

/// Where a campaign stands in its time window.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CampaignState {
    Upcoming,
    Active,
    Over,
}

/// One segment as every shopper sees it: no weights, no stock.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublicSegment {
    pub label: String,
    /// `#rgb` or `#rrggbb`; absent means the theme's palette.
    #[serde(default)]
    pub color: Option<String>,
}

/// A segment's chance right now (after stock fallback) and, for a prize with limited stock,
/// how many are left. Sent only when the campaign discloses its odds.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SegmentOdds {
    pub segment: usize,
    /// In `[0, 1]`; the chances of all segments add up to 1.
    pub chance: f64,
    #[serde(default)]
    pub remaining: Option<u32>,
}

/// `GET /api/v1/campaigns/{id}`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Campaign {
    pub id: String,
    pub name: String,
    pub game: Game,
    pub state: CampaignState,
    /// RFC 3339, UTC (`2026-12-01T00:00:00Z`).
    pub starts_at: String,
    #[serde(default)]
    pub ends_at: Option<String>,
    /// One play per shopper per this many seconds.
    pub play_every_seconds: u64,
    /// Guests may play by giving an email address (shown before play).
    pub guest_email: bool,
    /// The merchant's text for the optional, unticked marketing-consent checkbox; absent means
    /// no checkbox.
    #[serde(default)]
    pub consent_text: Option<String>,
    /// The campaign's full rules, if the merchant has a page for them.
    #[serde(default)]
    pub rules_url: Option<String>,
    pub segments: Vec<PublicSegment>,
    /// Present only when the campaign discloses its odds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub odds: Option<Vec<SegmentOdds>>,
    /// Present only when a signed customer asked and may not play before then.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_play_at: Option<String>,
}

/// `POST /api/v1/campaigns/{id}/play` body: a signed customer (the signature travels in the
/// `x-lojal-signature` header) or a guest's email, never both.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlayRequest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// The optional marketing-consent checkbox; unticked unless the shopper ticked it.
    #[serde(default)]
    pub marketing_consent: bool,
    /// With `marketing_consent`: the text she agreed to, as the campaign sent it. The server
    /// records the consent only when it is still the campaign's text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub consent_text: Option<String>,
}

/// A prize won, with the coupon that pays it out.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WonPrize {
    pub name: String,
    /// Empty while `status` is `pending`: the code is shown once the shop's checkout takes it.
    pub code: String,
    /// RFC 3339 instant after which the shop refuses the code.
    pub expires_at: String,
    /// `active`, `pending` (ask `GET /coupons/{ticket}`) or `failed`.
    #[serde(default = "active")]
    pub status: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ticket: Option<String>,
}

fn active() -> String {
    "active".into()
}

/// Answer to a play: the segment the server drew, the prize if it is one, and when the shopper
/// may play again. A repeated idempotency key gets the same answer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlayResult {
    pub campaign_id: String,
    pub segment_index: usize,
    /// The drawn segment's label as the server knows it (what the result card shows).
    pub label: String,
    #[serde(default)]
    pub prize: Option<WonPrize>,
    pub played_at: String,
    pub next_play_at: String,
}

/// Why campaign data from the network or a merchant's file was refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum InvalidCampaign {
    /// Not JSON of the expected shape; serde's text names line and column.
    Shape(String),
    /// A field breaks a rule; the text says which and how.
    Field(String),
}

impl std::fmt::Display for InvalidCampaign {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Shape(e) => write!(f, "unexpected JSON: {e}"),
            Self::Field(e) => f.write_str(e),
        }
    }
}

impl std::error::Error for InvalidCampaign {}

fn invalid(message: impl Into<String>) -> InvalidCampaign {
    InvalidCampaign::Field(message.into())
}

fn check_text(value: &str, field: &str, max: usize) -> Result<(), InvalidCampaign> {
    let len = value.chars().count();
    if value.trim().is_empty() || len > max || value.chars().any(char::is_control) {
        Err(invalid(format!(
            "`{field}` must be 1 to {max} characters without control characters"
        )))
    } else {
        Ok(())
    }
}

/// `#rgb` or `#rrggbb`: the only colours a segment may carry into the page.
pub fn is_hex_color(value: &str) -> bool {
    let Some(hex) = value.strip_prefix('#') else {
        return false;
    };
    matches!(hex.len(), 3 | 6) && hex.bytes().all(|b| b.is_ascii_hexdigit())
}

impl Campaign {
    /// Parses and checks what the API sent. Colours that are not plain hex are dropped (the
    /// theme's palette takes over) rather than put into the page.
    pub fn from_json(body: &str) -> Result<Self, InvalidCampaign> {
        let mut campaign: Self =
            crate::core::json::parse(body).map_err(|e| InvalidCampaign::Shape(e.to_string()))?;
        check_text(&campaign.name, "name", MAX_NAME_LEN)?;
        let count = campaign.segments.len();
        if !(MIN_SEGMENTS..=MAX_SEGMENTS).contains(&count) {
            return Err(invalid(format!(
                "{count} segments; a campaign has {MIN_SEGMENTS} to {MAX_SEGMENTS}"
            )));
        }
        for segment in &mut campaign.segments {
            check_text(&segment.label, "segments[].label", MAX_LABEL_LEN)?;
            segment.color = segment.color.take().filter(|c| is_hex_color(c));
        }
        let odds_ok = campaign
            .odds
            .iter()
            .flatten()
            .all(|o| o.segment < count && (0.0..=1.0).contains(&o.chance));
        if !odds_ok {
            return Err(invalid("`odds` names a segment that does not exist"));
        }
        campaign.rules_url = campaign
            .rules_url
            .as_deref()
            .and_then(safe_link)
            .map(str::to_owned);
        if let Some(text) = &campaign.consent_text {
            check_text(text, "consent_text", MAX_CONSENT_LEN)?;
        }
        Ok(campaign)
    }
}

impl PlayResult {
    /// Parses a play answer for a campaign of `segment_count` segments.
    pub fn from_json(body: &str, segment_count: usize) -> Result<Self, InvalidCampaign> {
        let result: Self =
            crate::core::json::parse(body).map_err(|e| InvalidCampaign::Shape(e.to_string()))?;
        if result.segment_index >= segment_count {
            return Err(invalid(format!(
                "segment {} drawn on a wheel of {segment_count}",
                result.segment_index
            )));
        }
        check_text(&result.label, "label", MAX_LABEL_LEN)?;
        if let Some(prize) = &result.prize {
            check_text(&prize.name, "prize.name", MAX_NAME_LEN)?;
            match prize.status.as_str() {
                "active" => check_text(&prize.code, "prize.code", 64)?,
                // The shop platform is still making the code: the ticket asks about it.
                "pending" => crate::core::loyalty::check_ticket(prize.ticket.as_deref())
                    .map_err(|_| invalid("a pending prize without a usable ticket"))?,
                "failed" => {}
                other => return Err(invalid(format!("prize status `{other}`"))),
            }
        }
        Ok(result)
    }
}

// ---------------------------------------------------------------------------------------------
// The campaign a merchant writes
// ---------------------------------------------------------------------------------------------

fn default_play_every() -> u64 {
    24 * 60 * 60
}

fn default_coupon_days() -> u32 {
    30
}

/// A campaign as the merchant defines it (a JSON file given to `shop-api campaign put`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CampaignConfig {
    /// 1–64 of `a-z`, `0-9`, `-`, `_`: the `campaign` attribute of the widget.
    pub id: String,
    pub name: String,
    pub game: Game,
    /// UTC, `YYYY-MM-DDTHH:MM:SSZ`; absent means from now on.
    #[serde(default)]
    pub starts_at: Option<String>,
    #[serde(default)]
    pub ends_at: Option<String>,
    /// Seconds between two plays by the same shopper (default one day, at least one minute).
    #[serde(default = "default_play_every")]
    pub play_every_seconds: u64,
    /// Days a won coupon stays valid (default 30).
    #[serde(default = "default_coupon_days")]
    pub coupon_valid_days: u32,
    /// Guests may play by giving an email address.
    #[serde(default)]
    pub guest_email: bool,
    /// Text of the optional marketing-consent checkbox shown with the email field.
    #[serde(default)]
    pub consent_text: Option<String>,
    /// Publish each segment's chance and the remaining stock (the widget's "Rules").
    #[serde(default)]
    pub disclose_odds: bool,
    #[serde(default)]
    pub rules_url: Option<String>,
    /// Clockwise from 12 o'clock.
    pub segments: Vec<SegmentConfig>,
}

/// One segment of a merchant's campaign.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SegmentConfig {
    pub label: String,
    #[serde(default)]
    pub color: Option<String>,
    /// Relative chance; 0 never wins (unless it is the fallback and receives weight).
    pub weight: u32,
    /// The prize's name on the coupon; absent means no prize.
    #[serde(default)]
    pub prize: Option<String>,
    /// How many of this prize exist in total; absent means unlimited.
    #[serde(default)]
    pub stock: Option<u32>,
    /// The one "no prize" segment that receives the weight of prizes that ran out.
    #[serde(default)]
    pub fallback: bool,
    /// What the prize takes off at checkout, so the shop platform can create its code; a prize
    /// without one (a product on the house) is a code the shop honours by hand.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub discount: Option<crate::core::programme::Discount>,
}

impl CampaignConfig {
    pub fn from_json(body: &str) -> Result<Self, InvalidCampaign> {
        let config: Self =
            crate::core::json::parse(body).map_err(|e| InvalidCampaign::Shape(e.to_string()))?;
        config.validate()?;
        Ok(config)
    }

    /// Every rule a campaign must meet, each failure naming the field.
    pub fn validate(&self) -> Result<(), InvalidCampaign> {
        let id_ok = (1..=64).contains(&self.id.len())
            && self
                .id
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_');
        if !id_ok {
            return Err(invalid("`id` must be 1 to 64 of a-z, 0-9, '-' and '_'"));
        }
        check_text(&self.name, "name", MAX_NAME_LEN)?;
        let starts = match &self.starts_at {
            Some(t) => Some(
                parse_utc(t).ok_or_else(|| invalid("`starts_at` must be YYYY-MM-DDTHH:MM:SSZ"))?,
            ),
            None => None,
        };
        if let Some(t) = &self.ends_at {
            let ends =
                parse_utc(t).ok_or_else(|| invalid("`ends_at` must be YYYY-MM-DDTHH:MM:SSZ"))?;
            if starts.is_some_and(|s| s >= ends) {
                return Err(invalid("`ends_at` must come after `starts_at`"));
            }
        }
        if !(60..=366 * 24 * 60 * 60).contains(&self.play_every_seconds) {
            return Err(invalid(
                "`play_every_seconds` must be from 60 (a minute) to 31622400 (a year)",
            ));
        }
        if !(1..=366).contains(&self.coupon_valid_days) {
            return Err(invalid("`coupon_valid_days` must be 1 to 366"));
        }
        if let Some(text) = &self.consent_text {
            check_text(text, "consent_text", MAX_CONSENT_LEN)?;
        }
        if self
            .rules_url
            .as_deref()
            .is_some_and(|url| safe_link(url).is_none())
        {
            return Err(invalid("`rules_url` must be http(s) or a path on the shop"));
        }
        let count = self.segments.len();
        if !(MIN_SEGMENTS..=MAX_SEGMENTS).contains(&count) {
            return Err(invalid(format!(
                "{count} segments; a campaign has {MIN_SEGMENTS} to {MAX_SEGMENTS}"
            )));
        }
        for (i, s) in self.segments.iter().enumerate() {
            check_text(&s.label, &format!("segments[{i}].label"), MAX_LABEL_LEN)?;
            if s.color.as_deref().is_some_and(|c| !is_hex_color(c)) {
                return Err(invalid(format!(
                    "`segments[{i}].color` must be #rgb or #rrggbb"
                )));
            }
            if let Some(prize) = &s.prize {
                check_text(prize, &format!("segments[{i}].prize"), MAX_NAME_LEN)?;
            }
            if s.stock.is_some() && s.prize.is_none() {
                return Err(invalid(format!(
                    "`segments[{i}].stock` is set on a segment without a prize"
                )));
            }
            if let Some(discount) = &s.discount {
                if s.prize.is_none() {
                    return Err(invalid(format!(
                        "`segments[{i}].discount` is set on a segment without a prize"
                    )));
                }
                if let Some(why) =
                    crate::core::programme::discount_problem(discount.kind, discount.amount)
                {
                    return Err(invalid(format!("`segments[{i}].discount.amount` {why}")));
                }
            }
            if s.fallback && s.prize.is_some() {
                return Err(invalid(format!(
                    "`segments[{i}]` is the fallback and so cannot carry a prize"
                )));
            }
        }
        let fallbacks = self.segments.iter().filter(|s| s.fallback).count();
        if fallbacks != 1 {
            return Err(invalid(format!(
                "{fallbacks} segments are marked `fallback`; exactly one \"no prize\" segment must be"
            )));
        }
        effective_weights(&self.draw_segments()).map_err(|e| invalid(e.to_string()))?;
        Ok(())
    }

    /// The segments as the draw sees them, with the stock the file declares.
    pub fn draw_segments(&self) -> Vec<DrawSegment> {
        self.segments
            .iter()
            .map(|s| DrawSegment {
                weight: s.weight,
                stock: s.stock,
                fallback: s.fallback,
            })
            .collect()
    }
}

// ---------------------------------------------------------------------------------------------
// The draw
// ---------------------------------------------------------------------------------------------

/// What the draw needs of a segment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DrawSegment {
    pub weight: u32,
    /// Prizes left; `None` for unlimited (and for segments without a prize).
    pub stock: Option<u32>,
    pub fallback: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DrawError {
    /// No segment, or none marked as the fallback.
    NoFallback,
    /// Every weight is zero: nothing can be drawn.
    NothingToDraw,
}

impl std::fmt::Display for DrawError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::NoFallback => f.write_str("no segment is marked as the fallback"),
            Self::NothingToDraw => f.write_str("every segment's weight is 0"),
        }
    }
}

impl std::error::Error for DrawError {}

/// A source of uniformly random 64-bit numbers. The server passes the OS's CSPRNG; tests pass
/// a seeded generator so that a run can be repeated.
pub trait RandomSource {
    fn next_u64(&mut self) -> u64;
}

impl<F: FnMut() -> u64> RandomSource for F {
    fn next_u64(&mut self) -> u64 {
        self()
    }
}

/// A uniform number in `[0, bound)`, without modulo bias: draws below `2⁶⁴ mod bound` are
/// rejected so every remainder is equally likely. `bound` must be positive.
pub fn uniform_below(bound: u64, rng: &mut impl RandomSource) -> u64 {
    assert!(bound > 0, "uniform_below(0)");
    let threshold = bound.wrapping_neg() % bound;
    loop {
        let x = rng.next_u64();
        if x >= threshold {
            return x % bound;
        }
    }
}

/// The weights the draw uses now: a prize with no stock left weighs 0 and its configured
/// weight goes to the fallback segment, so the other prizes keep their chances.
pub fn effective_weights(segments: &[DrawSegment]) -> Result<Vec<u64>, DrawError> {
    let fallback = segments
        .iter()
        .position(|s| s.fallback)
        .ok_or(DrawError::NoFallback)?;
    let mut weights: Vec<u64> = segments.iter().map(|s| u64::from(s.weight)).collect();
    for (i, s) in segments.iter().enumerate() {
        if s.stock == Some(0) && i != fallback {
            weights[fallback] += weights[i];
            weights[i] = 0;
        }
    }
    if weights.iter().all(|&w| w == 0) {
        return Err(DrawError::NothingToDraw);
    }
    Ok(weights)
}

/// Each segment's chance now, as the "Rules" show it.
pub fn chances(segments: &[DrawSegment]) -> Result<Vec<f64>, DrawError> {
    let weights = effective_weights(segments)?;
    let total: u64 = weights.iter().sum();
    Ok(weights.iter().map(|&w| w as f64 / total as f64).collect())
}

/// Draws a segment index with probability proportional to its effective weight.
pub fn draw(segments: &[DrawSegment], rng: &mut impl RandomSource) -> Result<usize, DrawError> {
    let weights = effective_weights(segments)?;
    let total: u64 = weights.iter().sum();
    let mut ticket = uniform_below(total, rng);
    for (i, &w) in weights.iter().enumerate() {
        if ticket < w {
            return Ok(i);
        }
        ticket -= w;
    }
    unreachable!("the ticket is below the total weight")
}

// ---------------------------------------------------------------------------------------------
// Wheel geometry
// ---------------------------------------------------------------------------------------------

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GeometryError {
    /// Fewer than [`MIN_SEGMENTS`] or more than [`MAX_SEGMENTS`].
    Count(usize),
    /// The index is not below the count.
    Index { index: usize, count: usize },
}

impl std::fmt::Display for GeometryError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Count(n) => write!(
                f,
                "{n} segments; a wheel has {MIN_SEGMENTS} to {MAX_SEGMENTS}"
            ),
            Self::Index { index, count } => write!(f, "segment {index} of {count} does not exist"),
        }
    }
}

impl std::error::Error for GeometryError {}

/// The angle one segment spans, in degrees.
pub fn segment_degrees(count: usize) -> f64 {
    360.0 / count as f64
}

/// The clockwise rotation (degrees) that brings the pointer onto segment `index` of `count`
/// after `full_turns` whole turns. `offset` in `[0, 1]` picks where inside the segment the
/// pointer stops; it is squeezed into the segment's middle (clear of [`LANDING_MARGIN`] on
/// each side), so any random number in `[0, 1]` lands cleanly. The result lies in
/// `[full_turns × 360, (full_turns + 1) × 360)`.
pub fn final_rotation(
    index: usize,
    count: usize,
    full_turns: u32,
    offset: f64,
) -> Result<f64, GeometryError> {
    if !(MIN_SEGMENTS..=MAX_SEGMENTS).contains(&count) {
        return Err(GeometryError::Count(count));
    }
    if index >= count {
        return Err(GeometryError::Index { index, count });
    }
    let offset = if offset.is_finite() {
        offset.clamp(0.0, 1.0)
    } else {
        0.5
    };
    let inside = LANDING_MARGIN + offset * (1.0 - 2.0 * LANDING_MARGIN);
    let seg = segment_degrees(count);
    // The wheel angle that must end up under the pointer.
    let target = (index as f64 + inside) * seg;
    // Turning the wheel clockwise by r brings its angle (360 - r) to the top.
    let within = (360.0 - target).rem_euclid(360.0);
    Ok(f64::from(full_turns) * 360.0 + within)
}

/// Where to turn next from the wheel's current rotation `from`: at least `full_turns` whole
/// turns further, landing on `index` as [`final_rotation`] does.
pub fn spin_target(
    from: f64,
    index: usize,
    count: usize,
    full_turns: u32,
    offset: f64,
) -> Result<f64, GeometryError> {
    let base = (from / 360.0).ceil().max(0.0) * 360.0;
    Ok(base + final_rotation(index, count, full_turns, offset)?)
}

/// The segment under the pointer when the wheel is turned clockwise by `rotation` degrees
/// (any real number, several turns or negative). This is how the tests read a wheel.
pub fn segment_at(rotation: f64, count: usize) -> usize {
    let angle = (-rotation).rem_euclid(360.0);
    ((angle / segment_degrees(count)).floor() as usize).min(count - 1)
}

/// How far (in fractions of a segment) the pointer is from the nearest border at `rotation`.
pub fn distance_to_border(rotation: f64, count: usize) -> f64 {
    let position = (-rotation).rem_euclid(360.0) / segment_degrees(count);
    let inside = position - position.floor();
    inside.min(1.0 - inside)
}

fn point(angle_deg: f64, radius: f64) -> (f64, f64) {
    let rad = angle_deg.to_radians();
    (radius * rad.sin(), -radius * rad.cos())
}

fn round2(x: f64) -> f64 {
    let r = (x * 100.0).round() / 100.0;
    if r == 0.0 { 0.0 } else { r }
}

/// The SVG path of segment `index` of `count` on a wheel of `radius` centred on the origin.
pub fn segment_path(index: usize, count: usize, radius: f64) -> String {
    let seg = segment_degrees(count);
    let (x0, y0) = point(index as f64 * seg, radius);
    let (x1, y1) = point((index + 1) as f64 * seg, radius);
    let large = u8::from(seg > 180.0);
    format!(
        "M0 0L{} {}A{radius} {radius} 0 {large} 1 {} {}Z",
        round2(x0),
        round2(y0),
        round2(x1),
        round2(y1)
    )
}

/// The angle (clockwise from 12 o'clock) through the middle of segment `index`.
pub fn segment_middle(index: usize, count: usize) -> f64 {
    (index as f64 + 0.5) * segment_degrees(count)
}

/// Black or white, whichever reads better on `background` (`#rgb`/`#rrggbb`), by WCAG contrast.
pub fn text_color_on(background: &str) -> &'static str {
    let Some(hex) = background
        .strip_prefix('#')
        .filter(|_| is_hex_color(background))
    else {
        return "#000000";
    };
    let expand: String = if hex.len() == 3 {
        hex.chars().flat_map(|c| [c, c]).collect()
    } else {
        hex.to_owned()
    };
    let channel = |i: usize| {
        let v = f64::from(u8::from_str_radix(&expand[i..i + 2], 16).unwrap_or(0)) / 255.0;
        if v <= 0.04045 {
            v / 12.92
        } else {
            ((v + 0.055) / 1.055).powf(2.4)
        }
    };
    let luminance = 0.2126 * channel(0) + 0.7152 * channel(2) + 0.0722 * channel(4);
    // Contrast with white is (1.05)/(L+0.05), with black (L+0.05)/0.05: pick the larger.
    if 1.05 / (luminance + 0.05) >= (luminance + 0.05) / 0.05 {
        "#ffffff"
    } else {
        "#000000"
    }
}

// ---------------------------------------------------------------------------------------------
// Scratch card
// ---------------------------------------------------------------------------------------------

/// Which parts of a scratch card have been scratched, on a coarse grid of cells: a cell counts
/// once the brush has passed over its centre.
#[derive(Clone, Debug, PartialEq)]
pub struct ScratchGrid {
    width: f64,
    height: f64,
    cols: usize,
    rows: usize,
    cells: Vec<bool>,
    scratched: usize,
}

impl ScratchGrid {
    /// A card of `width` × `height` (any unit, e.g. CSS pixels) cut into `cols` × `rows` cells.
    pub fn new(width: f64, height: f64, cols: usize, rows: usize) -> Self {
        let (cols, rows) = (cols.max(1), rows.max(1));
        Self {
            width: width.max(1.0),
            height: height.max(1.0),
            cols,
            rows,
            cells: vec![false; cols * rows],
            scratched: 0,
        }
    }

    /// The brush (a disc of `radius`) moved in a straight line from `from` to `to`.
    pub fn scratch_line(&mut self, from: (f64, f64), to: (f64, f64), radius: f64) {
        let (cw, ch) = (
            self.width / self.cols as f64,
            self.height / self.rows as f64,
        );
        let (min_x, max_x) = (from.0.min(to.0) - radius, from.0.max(to.0) + radius);
        let (min_y, max_y) = (from.1.min(to.1) - radius, from.1.max(to.1) + radius);
        let col_range = |lo: f64, hi: f64, size: f64, n: usize| {
            let a = ((lo / size - 0.5).ceil().max(0.0)) as usize;
            let b = ((hi / size - 0.5).floor().min(n as f64 - 1.0)).max(-1.0);
            (a, b)
        };
        let (c0, c1) = col_range(min_x, max_x, cw, self.cols);
        let (r0, r1) = col_range(min_y, max_y, ch, self.rows);
        if c1 < 0.0 || r1 < 0.0 {
            return;
        }
        for row in r0..=r1 as usize {
            for col in c0..=c1 as usize {
                let centre = ((col as f64 + 0.5) * cw, (row as f64 + 0.5) * ch);
                if distance_to_segment(centre, from, to) <= radius {
                    let cell = &mut self.cells[row * self.cols + col];
                    if !*cell {
                        *cell = true;
                        self.scratched += 1;
                    }
                }
            }
        }
    }

    /// Share of the card scratched, in `[0, 1]`.
    pub fn fraction(&self) -> f64 {
        self.scratched as f64 / self.cells.len() as f64
    }

    /// Whether enough is scratched to show the prize in full (see [`is_revealed`]).
    pub fn revealed(&self) -> bool {
        is_revealed(self.scratched, self.cells.len())
    }
}

/// Whether `cleared` of a card's `total` cells scratched show the prize in full: at least
/// [`REVEAL_PERCENT`] of them. Counted in whole numbers, so 59.9 % is not enough and 60 % is,
/// with no rounding in between.
pub fn is_revealed(cleared: usize, total: usize) -> bool {
    cleared as u64 * 100 >= total as u64 * REVEAL_PERCENT
}

fn distance_to_segment(p: (f64, f64), a: (f64, f64), b: (f64, f64)) -> f64 {
    let (dx, dy) = (b.0 - a.0, b.1 - a.1);
    let length2 = dx * dx + dy * dy;
    let t = if length2 == 0.0 {
        0.0
    } else {
        (((p.0 - a.0) * dx + (p.1 - a.1) * dy) / length2).clamp(0.0, 1.0)
    };
    let (x, y) = (a.0 + t * dx, a.1 + t * dy);
    ((p.0 - x).powi(2) + (p.1 - y).powi(2)).sqrt()
}

// ---------------------------------------------------------------------------------------------
// Shoppers and time
// ---------------------------------------------------------------------------------------------

/// A guest's email, trimmed and lowercased, or `None` when it cannot be an address. Lowercase
/// so that `Ingrid@Example.no` cannot play again as `ingrid@example.no`.
pub fn normalize_email(raw: &str) -> Option<String> {
    let email = raw.trim().to_lowercase();
    if email.len() > 254 || email.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return None;
    }
    let (local, domain) = email.split_once('@')?;
    let labels_ok = domain.split('.').count() >= 2
        && domain
            .split('.')
            .all(|l| !l.is_empty() && !l.starts_with('-') && !l.ends_with('-'));
    let ok = !local.is_empty()
        && local.len() <= 64
        && !domain.contains('@')
        && !email.contains(['<', '>', '"', '\'', '\\', ',', ';', '(', ')', '[', ']'])
        && labels_ok;
    ok.then_some(email)
}

/// When the shopper may play again, as a day relative to today on her own calendar.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ComeBack {
    /// Later today (or already, if the clock moved on).
    Today,
    Tomorrow,
    /// Another day: the widget names the date.
    Later,
}

/// Compares two local calendar dates `(year, month 1–12, day)`.
pub fn come_back(today: (i32, u32, u32), next: (i32, u32, u32)) -> ComeBack {
    match days_from_civil(next.0, next.1, next.2) - days_from_civil(today.0, today.1, today.2) {
        i64::MIN..=0 => ComeBack::Today,
        1 => ComeBack::Tomorrow,
        _ => ComeBack::Later,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
pub fn days_from_civil(year: i32, month: u32, day: u32) -> i64 {
    let y = i64::from(year) - i64::from(month <= 2);
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(month);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Seconds since the Unix epoch of `YYYY-MM-DDTHH:MM:SSZ`, the one timestamp form the API
/// uses (it sorts as text, which the server's SQL relies on); `None` for anything else.
pub fn parse_utc(value: &str) -> Option<i64> {
    let b = value.as_bytes();
    if b.len() != 20
        || b[4] != b'-'
        || b[7] != b'-'
        || b[10] != b'T'
        || b[13] != b':'
        || b[16] != b':'
        || b[19] != b'Z'
    {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<u32> {
        let s = value.get(r)?;
        s.bytes()
            .all(|c| c.is_ascii_digit())
            .then(|| s.parse().ok())?
    };
    let (year, month, day) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (hour, minute, second) = (num(11..13)?, num(14..16)?, num(17..19)?);
    let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    let month_days = [
        31,
        28 + u32::from(leap),
        31,
        30,
        31,
        30,
        31,
        31,
        30,
        31,
        30,
        31,
    ];
    if !(1..=12).contains(&month)
        || day == 0
        || day > month_days[month as usize - 1]
        || hour > 23
        || minute > 59
        || second > 59
    {
        return None;
    }
    Some(
        days_from_civil(year as i32, month, day) * 86_400
            + i64::from(hour * 3600 + minute * 60 + second),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// SplitMix64: small, fast, and good enough to test a draw's distribution repeatably.
    struct SplitMix64(u64);

    impl RandomSource for SplitMix64 {
        fn next_u64(&mut self) -> u64 {
            self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = self.0;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^ (z >> 31)
        }
    }

    // --- wheel geometry ---------------------------------------------------------------------

    #[test]
    fn the_wheel_lands_on_the_drawn_segment_for_every_count_from_2_to_24() {
        let offsets = [0.0, 1e-9, 0.1, 0.25, 0.5, 0.75, 0.999_999, 1.0];
        for count in MIN_SEGMENTS..=MAX_SEGMENTS {
            for index in 0..count {
                for turns in [0, 1, 5, 8] {
                    for offset in offsets {
                        let r = final_rotation(index, count, turns, offset).unwrap();
                        assert_eq!(
                            segment_at(r, count),
                            index,
                            "count {count}, index {index}, turns {turns}, offset {offset}: {r}°"
                        );
                        let turns = f64::from(turns);
                        assert!(
                            r >= turns * 360.0 && r < (turns + 1.0) * 360.0,
                            "{r}° is not within turn {turns}"
                        );
                        // Never on a border: at least the margin away from both edges.
                        assert!(
                            distance_to_border(r, count) >= LANDING_MARGIN - 1e-9,
                            "count {count}, index {index}, offset {offset}: {}",
                            distance_to_border(r, count)
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn the_offset_spreads_landings_across_the_segment_and_bad_input_is_refused() {
        let low = final_rotation(0, 4, 0, 0.0).unwrap();
        let high = final_rotation(0, 4, 0, 1.0).unwrap();
        // Segment 0 of 4 spans 0°–90°; the pointer lands between 13.5° and 76.5° of it, which
        // means turning the wheel by 360° minus those.
        assert!((low - (360.0 - 13.5)).abs() < 1e-9, "{low}");
        assert!((high - (360.0 - 76.5)).abs() < 1e-9, "{high}");
        assert_eq!(
            final_rotation(0, 4, 0, f64::NAN).unwrap(),
            final_rotation(0, 4, 0, 0.5).unwrap()
        );
        assert_eq!(final_rotation(0, 1, 5, 0.5), Err(GeometryError::Count(1)));
        assert_eq!(final_rotation(0, 25, 5, 0.5), Err(GeometryError::Count(25)));
        assert_eq!(
            final_rotation(4, 4, 5, 0.5),
            Err(GeometryError::Index { index: 4, count: 4 })
        );
    }

    #[test]
    fn a_second_spin_turns_further_and_still_lands_right() {
        for count in MIN_SEGMENTS..=MAX_SEGMENTS {
            let first = spin_target(0.0, 0, count, 5, 0.3).unwrap();
            let index = count - 1;
            let second = spin_target(first, index, count, 5, 0.8).unwrap();
            assert!(second - first >= 5.0 * 360.0 - 1e-9, "{first} → {second}");
            assert_eq!(segment_at(second, count), index);
        }
    }

    #[test]
    fn reading_a_rotation_back_handles_whole_turns_and_negative_angles() {
        assert_eq!(segment_at(0.0, 8), 0);
        assert_eq!(segment_at(-10.0, 8), 0); // wheel turned back 10°: angle 10° is on top
        assert_eq!(segment_at(10.0, 8), 7); // turned on 10°: angle 350° is on top
        assert_eq!(segment_at(360.0 * 7.0 + 10.0, 8), 7);
        assert_eq!(segment_at(-360.0 * 3.0 - 50.0, 8), 1);
    }

    #[test]
    fn segment_paths_are_the_wheel_cut_clockwise_from_the_top() {
        assert_eq!(
            segment_path(0, 4, 100.0),
            "M0 0L0 -100A100 100 0 0 1 100 0Z"
        );
        assert_eq!(
            segment_path(3, 4, 100.0),
            "M0 0L-100 0A100 100 0 0 1 0 -100Z"
        );
        assert_eq!(segment_path(1, 2, 10.0), "M0 0L0 10A10 10 0 0 1 0 -10Z");
        assert_eq!(segment_middle(0, 4), 45.0);
        assert_eq!(segment_middle(2, 6), 150.0);
    }

    #[test]
    fn label_colours_contrast_with_their_segment() {
        assert_eq!(text_color_on("#ffffff"), "#000000");
        assert_eq!(text_color_on("#fff"), "#000000");
        assert_eq!(text_color_on("#0b6e4f"), "#ffffff");
        assert_eq!(text_color_on("#f2c14e"), "#000000");
        assert_eq!(text_color_on("#8c2f39"), "#ffffff");
        assert_eq!(text_color_on("red"), "#000000");
        assert!(is_hex_color("#A1b2C3") && is_hex_color("#abc"));
        for bad in ["", "#", "#abcd", "abc", "#ggg", "url(x)", "#12345g"] {
            assert!(!is_hex_color(bad), "{bad}");
        }
    }

    // --- the draw ---------------------------------------------------------------------------

    fn seg(weight: u32, stock: Option<u32>, fallback: bool) -> DrawSegment {
        DrawSegment {
            weight,
            stock,
            fallback,
        }
    }

    /// ln Γ(x), Lanczos (g = 7, n = 9); accurate to ~1e-15 for x > 0.
    fn ln_gamma(x: f64) -> f64 {
        const C: [f64; 9] = [
            0.999_999_999_999_809_9,
            676.520_368_121_885_1,
            -1_259.139_216_722_402_8,
            771.323_428_777_653_1,
            -176.615_029_162_140_6,
            12.507_343_278_686_905,
            -0.138_571_095_265_720_12,
            9.984_369_578_019_572e-6,
            1.505_632_735_149_311_6e-7,
        ];
        let x = x - 1.0;
        let mut a = C[0];
        let t = x + 7.5;
        for (i, c) in C.iter().enumerate().skip(1) {
            a += c / (x + i as f64);
        }
        0.5 * (2.0 * std::f64::consts::PI).ln() + (x + 0.5) * t.ln() - t + a.ln()
    }

    /// P(X > x) for X ~ χ²(df): the regularised upper incomplete gamma Q(df/2, x/2), by the
    /// series below a+1 and Lentz's continued fraction above (Numerical Recipes §6.2).
    fn chi_square_p_value(x: f64, df: usize) -> f64 {
        let (a, x) = (df as f64 / 2.0, x / 2.0);
        if x <= 0.0 {
            return 1.0;
        }
        let front = (-x + a * x.ln() - ln_gamma(a)).exp();
        if x < a + 1.0 {
            let (mut sum, mut term, mut n) = (1.0 / a, 1.0 / a, a);
            for _ in 0..1000 {
                n += 1.0;
                term *= x / n;
                sum += term;
                if term.abs() < sum.abs() * 1e-15 {
                    break;
                }
            }
            1.0 - sum * front
        } else {
            let tiny = 1e-300;
            let mut b = x + 1.0 - a;
            let mut c = 1.0 / tiny;
            let mut d = 1.0 / b;
            let mut h = d;
            for i in 1..1000 {
                let an = -(i as f64) * (i as f64 - a);
                b += 2.0;
                d = an * d + b;
                if d.abs() < tiny {
                    d = tiny;
                }
                c = b + an / c;
                if c.abs() < tiny {
                    c = tiny;
                }
                d = 1.0 / d;
                let delta = d * c;
                h *= delta;
                if (delta - 1.0).abs() < 1e-15 {
                    break;
                }
            }
            front * h
        }
    }

    /// Pearson's statistic of `observed` counts against `expected` probabilities, and its
    /// p-value; cells expected to be empty must stay empty.
    fn chi_square(observed: &[u64], expected: &[f64]) -> (f64, f64) {
        let n: u64 = observed.iter().sum();
        let mut statistic = 0.0;
        let mut cells = 0;
        for (&o, &p) in observed.iter().zip(expected) {
            if p == 0.0 {
                assert_eq!(o, 0, "a segment with no chance was drawn");
                continue;
            }
            let e = p * n as f64;
            statistic += (o as f64 - e).powi(2) / e;
            cells += 1;
        }
        (statistic, chi_square_p_value(statistic, cells - 1))
    }

    fn tally(segments: &[DrawSegment], draws: usize, seed: u64) -> Vec<u64> {
        let mut rng = SplitMix64(seed);
        let mut counts = vec![0u64; segments.len()];
        for _ in 0..draws {
            counts[draw(segments, &mut rng).unwrap()] += 1;
        }
        counts
    }

    #[test]
    fn the_p_value_matches_published_chi_square_tables() {
        // Critical values at p = 0.001 and p = 0.05 (NIST/SEMATECH e-Handbook, table 1.3.6.7.4).
        for (x, df, p) in [
            (10.828, 1, 0.001),
            (22.458, 6, 0.001),
            (24.322, 7, 0.001),
            (49.728, 23, 0.001),
            (3.841, 1, 0.05),
            (12.592, 6, 0.05),
        ] {
            let got = chi_square_p_value(x, df);
            assert!((got - p).abs() < p * 0.01, "χ²={x}, df={df}: {got}");
        }
        assert!((chi_square_p_value(6.0, 6) - 0.4232).abs() < 1e-3);
    }

    #[test]
    fn a_hundred_thousand_draws_follow_the_configured_weights() {
        // The demo wheel's weights: 10 % off 30, free shipping 20, 50 kr 15, 20 % off 8,
        // 50 % off 2, no prize 25.
        let segments = [
            seg(30, None, false),
            seg(20, None, false),
            seg(15, Some(500), false),
            seg(25, None, true),
            seg(8, Some(100), false),
            seg(2, Some(10), false),
        ];
        let expected = chances(&segments).unwrap();
        let counts = tally(&segments, 100_000, 0x05EE_D1E5_2026);
        let (statistic, p) = chi_square(&counts, &expected);
        eprintln!(
            "demo weights: χ² = {statistic:.2}, 5 degrees of freedom, p = {p:.3}, counts {counts:?}"
        );
        assert!(
            p > 0.001,
            "χ² = {statistic:.2}, p = {p:.5}, counts {counts:?}"
        );
    }

    #[test]
    fn a_prize_out_of_stock_gives_its_weight_to_the_fallback() {
        let segments = [
            seg(30, None, false),
            seg(20, Some(0), false),
            seg(10, Some(3), false),
            seg(40, None, true),
        ];
        let weights = effective_weights(&segments).unwrap();
        assert_eq!(weights, [30, 0, 10, 60]);
        let expected = chances(&segments).unwrap();
        assert_eq!(expected, [0.3, 0.0, 0.1, 0.6]);
        let counts = tally(&segments, 100_000, 42);
        assert_eq!(counts[1], 0, "a prize out of stock is never drawn");
        let (statistic, p) = chi_square(&counts, &expected);
        assert!(
            p > 0.001,
            "χ² = {statistic:.2}, p = {p:.5}, counts {counts:?}"
        );
    }

    #[test]
    fn the_test_notices_a_draw_that_ignores_the_weights() {
        // Sanity check of the check: uniform draws judged against uneven weights must fail.
        let segments = [
            seg(30, None, false),
            seg(20, None, false),
            seg(50, None, true),
        ];
        let mut rng = SplitMix64(7);
        let mut counts = [0u64; 3];
        for _ in 0..100_000 {
            counts[uniform_below(3, &mut rng) as usize] += 1;
        }
        let (_, p) = chi_square(&counts, &chances(&segments).unwrap());
        assert!(p < 1e-12, "p = {p}");
    }

    #[test]
    fn uniform_below_has_no_modulo_bias() {
        // 2⁶⁴ mod 3 = 1: the raw value 0 would make remainder 0 likelier, so it is rejected.
        let mut values = [0u64, 1, 2, 3].into_iter();
        let mut rng = move || values.next().unwrap();
        assert_eq!(uniform_below(3, &mut rng), 1, "0 was skipped");
        let mut max = || u64::MAX;
        assert_eq!(uniform_below(1, &mut max), 0);
        assert_eq!(uniform_below(u64::MAX, &mut || 5), 5);
    }

    #[test]
    fn impossible_draws_are_errors() {
        assert_eq!(
            effective_weights(&[seg(1, None, false), seg(1, None, false)]),
            Err(DrawError::NoFallback)
        );
        assert_eq!(effective_weights(&[]), Err(DrawError::NoFallback));
        assert_eq!(
            effective_weights(&[seg(0, None, true), seg(0, None, false)]),
            Err(DrawError::NothingToDraw)
        );
        // A fallback of weight 0 still wins once the only prize runs out.
        assert_eq!(
            effective_weights(&[seg(0, None, true), seg(5, Some(0), false)]),
            Ok(vec![5, 0])
        );
    }

    // --- campaign files and wire data -------------------------------------------------------

    const DEMO: &str = r##"{
        "id": "vinterhjulet", "name": "Vinterhjulet", "game": "wheel",
        "starts_at": "2026-11-01T00:00:00Z", "ends_at": "2027-01-31T23:00:00Z",
        "guest_email": true, "consent_text": "Ja takk, send meg tilbud på e-post.",
        "disclose_odds": true, "rules_url": "/kampanje#regler",
        "segments": [
            { "label": "10 % rabatt", "color": "#0b6e4f", "weight": 30, "prize": "10 % rabatt" },
            { "label": "Prøv igjen", "color": "#f1e9dc", "weight": 25, "fallback": true },
            { "label": "50 % rabatt", "color": "#8c2f39", "weight": 2, "prize": "50 % rabatt", "stock": 10 }
        ]
    }"##;

    #[test]
    fn a_merchants_campaign_file_is_read_with_defaults() {
        let config = CampaignConfig::from_json(DEMO).unwrap();
        assert_eq!(config.game, Game::Wheel);
        assert_eq!(config.play_every_seconds, 86_400);
        assert_eq!(config.coupon_valid_days, 30);
        assert_eq!(config.segments[2].stock, Some(10));
        assert_eq!(config.draw_segments()[1], seg(25, None, true));
    }

    /// Sets (or adds) the field at a JSON pointer.
    fn set(json: &mut serde_json::Value, pointer: &str, value: serde_json::Value) {
        let (parent, key) = pointer.rsplit_once('/').unwrap();
        let object = if parent.is_empty() {
            json
        } else {
            json.pointer_mut(parent).unwrap()
        };
        object.as_object_mut().unwrap().insert(key.into(), value);
    }

    #[test]
    fn campaign_files_breaking_a_rule_name_the_rule() {
        use serde_json::{Value, json};
        let base: Value = serde_json::from_str(DEMO).unwrap();
        let cases: Vec<(Vec<(&str, Value)>, &str)> = vec![
            (vec![("/id", "Vinter Hjul".into())], "`id`"),
            (vec![("/name", "".into())], "`name`"),
            (vec![("/starts_at", "1. desember".into())], "`starts_at`"),
            (
                vec![("/ends_at", "2026-10-01T00:00:00Z".into())],
                "after `starts_at`",
            ),
            (
                vec![("/play_every_seconds", 10.into())],
                "`play_every_seconds`",
            ),
            (
                vec![("/coupon_valid_days", 0.into())],
                "`coupon_valid_days`",
            ),
            (
                vec![("/rules_url", "javascript:alert(1)".into())],
                "`rules_url`",
            ),
            (vec![("/consent_text", " ".into())], "`consent_text`"),
            (
                vec![("/segments/0/color", "red".into())],
                "`segments[0].color`",
            ),
            (
                vec![("/segments/0/label", "x".repeat(41).into())],
                "`segments[0].label`",
            ),
            (vec![("/segments/1/stock", 5.into())], "`segments[1].stock`"),
            (
                vec![("/segments/1/prize", "Gratis".into())],
                "is the fallback",
            ),
            (
                vec![
                    ("/segments/0/prize", Value::Null),
                    ("/segments/0/fallback", true.into()),
                ],
                "2 segments are marked",
            ),
            (
                vec![("/segments/1/fallback", false.into())],
                "0 segments are marked",
            ),
            (
                vec![
                    ("/segments/0/weight", 0.into()),
                    ("/segments/1/weight", 0.into()),
                    ("/segments/2/weight", 0.into()),
                ],
                "weight is 0",
            ),
            (
                vec![("/segments", json!([base["segments"][1]]))],
                "1 segments",
            ),
        ];
        for (changes, message) in cases {
            let mut json = base.clone();
            for (pointer, value) in changes {
                set(&mut json, pointer, value);
            }
            let error = CampaignConfig::from_json(&json.to_string())
                .expect_err(message)
                .to_string();
            assert!(error.contains(message), "{message}: {error}");
        }
        let unknown = DEMO.replace("\"guest_email\"", "\"guest_mail\"");
        assert!(matches!(
            CampaignConfig::from_json(&unknown),
            Err(InvalidCampaign::Shape(_))
        ));
    }

    #[test]
    fn campaigns_from_the_network_are_checked_and_unsafe_values_dropped() {
        let body = r##"{"id":"v","name":"Vinterhjulet","game":"wheel","state":"active",
            "starts_at":"2026-11-01T00:00:00Z","play_every_seconds":86400,"guest_email":false,
            "rules_url":"javascript:alert(1)",
            "segments":[{"label":"A","color":"#123456"},{"label":"B","color":"red;fill:url(x)"}]}"##;
        let campaign = Campaign::from_json(body).unwrap();
        assert_eq!(campaign.segments[0].color.as_deref(), Some("#123456"));
        assert_eq!(campaign.segments[1].color, None);
        assert_eq!(campaign.rules_url, None);
        assert_eq!(campaign.odds, None);
        let one = body.replace(r##",{"label":"B","color":"red;fill:url(x)"}"##, "");
        assert!(Campaign::from_json(&one).is_err());
        let odds = body.replace(
            r#""segments""#,
            r#""odds":[{"segment":2,"chance":0.5}],"segments""#,
        );
        assert!(Campaign::from_json(&odds).is_err());

        let result = r#"{"campaign_id":"v","segment_index":1,"label":"B","prize":null,
            "played_at":"2026-12-01T10:00:00Z","next_play_at":"2026-12-02T10:00:00Z"}"#;
        assert_eq!(PlayResult::from_json(result, 2).unwrap().segment_index, 1);
        assert!(PlayResult::from_json(result, 1).is_err());
    }

    #[test]
    fn a_prize_the_shop_platform_is_still_making_needs_a_ticket_instead_of_a_code() {
        let with_prize = |prize: &str| {
            format!(
                r#"{{"campaign_id":"v","segment_index":0,"label":"A","prize":{prize},
                "played_at":"2026-12-01T10:00:00Z","next_play_at":"2026-12-02T10:00:00Z"}}"#
            )
        };
        let ticket = "0123456789abcdef0123456789abcdef";
        let cases = [
            (r#"{"name":"10 %","code":"LOJAL-AB12-CD34","expires_at":"x"}"#.to_owned(), true),
            (r#"{"name":"10 %","code":"","expires_at":"x"}"#.to_owned(), false),
            (
                format!(r#"{{"name":"10 %","code":"","expires_at":"x","status":"pending","ticket":"{ticket}"}}"#),
                true,
            ),
            (r#"{"name":"10 %","code":"","expires_at":"x","status":"pending"}"#.to_owned(), false),
            (
                r#"{"name":"10 %","code":"","expires_at":"x","status":"pending","ticket":"../admin"}"#.to_owned(),
                false,
            ),
            (r#"{"name":"10 %","code":"","expires_at":"x","status":"failed"}"#.to_owned(), true),
            (r#"{"name":"10 %","code":"X","expires_at":"x","status":"won"}"#.to_owned(), false),
        ];
        for (prize, ok) in cases {
            assert_eq!(
                PlayResult::from_json(&with_prize(&prize), 2).is_ok(),
                ok,
                "{prize}"
            );
        }
    }

    // --- scratch card -----------------------------------------------------------------------

    #[test]
    fn scratching_counts_the_cells_the_brush_passed_over() {
        let mut grid = ScratchGrid::new(300.0, 150.0, 30, 15);
        assert_eq!(grid.fraction(), 0.0);
        // One horizontal stroke through the middle row band, brush radius 12 px: rows whose
        // centre is within 12 px of y = 75 (centres at 65, 75, 85) — 3 of 15 rows.
        grid.scratch_line((0.0, 75.0), (300.0, 75.0), 12.0);
        assert!(
            (grid.fraction() - 3.0 / 15.0).abs() < 1e-9,
            "{}",
            grid.fraction()
        );
        assert!(!grid.revealed());
        // The same stroke again adds nothing.
        grid.scratch_line((300.0, 75.0), (0.0, 75.0), 12.0);
        assert!((grid.fraction() - 0.2).abs() < 1e-9);
        // A zig-zag over the whole card reveals it.
        for y in (0..=150).step_by(20) {
            grid.scratch_line((0.0, f64::from(y)), (300.0, f64::from(y) + 10.0), 12.0);
        }
        assert!(grid.revealed(), "{}", grid.fraction());
        assert!(grid.fraction() <= 1.0);
    }

    #[test]
    fn the_prize_shows_from_sixty_percent_scratched_and_not_a_cell_before() {
        // (cleared, total, revealed): the widget's card has 40 × 20 = 800 cells.
        let table = [
            (0, 800, false),
            (479, 800, false), // 59.875 %
            (480, 800, true),  // 60 %
            (481, 800, true),
            (800, 800, true),
            (599, 1000, false), // 59.9 %
            (600, 1000, true),
            (2, 3, true), // 66.7 %
            (1, 2, false),
            (0, 0, true), // nothing to scratch
        ];
        for (cleared, total, revealed) in table {
            assert_eq!(
                is_revealed(cleared, total),
                revealed,
                "{cleared} of {total}"
            );
        }
        // The grid asks the same question of its own count: one cell at a time, the 480th of
        // 800 shows the prize.
        let mut grid = ScratchGrid::new(40.0, 20.0, 40, 20);
        for n in 1..=480_u32 {
            let centre = (f64::from((n - 1) / 20) + 0.5, f64::from((n - 1) % 20) + 0.5);
            grid.scratch_line(centre, centre, 0.1);
            assert_eq!(grid.revealed(), n == 480, "{n} cells");
        }
        assert!((grid.fraction() - 0.6).abs() < 1e-12);
    }

    #[test]
    fn strokes_outside_the_card_or_of_one_point_are_harmless() {
        let mut grid = ScratchGrid::new(100.0, 100.0, 10, 10);
        grid.scratch_line((-50.0, -50.0), (-20.0, -30.0), 5.0);
        grid.scratch_line((500.0, 500.0), (600.0, 500.0), 5.0);
        assert_eq!(grid.fraction(), 0.0);
        grid.scratch_line((55.0, 55.0), (55.0, 55.0), 1.0);
        assert!((grid.fraction() - 0.01).abs() < 1e-9);
        let mut empty = ScratchGrid::new(0.0, 0.0, 0, 0);
        empty.scratch_line((0.0, 0.0), (1.0, 1.0), 10.0);
        assert_eq!(empty.fraction(), 1.0);
    }

    // --- shoppers and time ------------------------------------------------------------------

    #[test]
    fn emails_are_normalised_and_nonsense_refused() {
        assert_eq!(
            normalize_email("  Ingrid.Hansen@Example.NO "),
            Some("ingrid.hansen@example.no".into())
        );
        assert_eq!(
            normalize_email("a+tag@sub.example.no"),
            Some("a+tag@sub.example.no".into())
        );
        for bad in [
            "",
            "ingrid",
            "@example.no",
            "ingrid@",
            "ingrid@example",
            "a b@example.no",
            "a@b@example.no",
            "a@example..no",
            "<a@example.no>",
            "a@-x.no",
            "a@exa\nmple.no",
        ] {
            assert_eq!(normalize_email(bad), None, "{bad:?}");
        }
        assert_eq!(
            normalize_email(&format!("{}@example.no", "a".repeat(65))),
            None
        );
    }

    #[test]
    fn the_next_play_is_today_tomorrow_or_later_on_the_shoppers_calendar() {
        assert_eq!(come_back((2026, 12, 1), (2026, 12, 1)), ComeBack::Today);
        assert_eq!(come_back((2026, 12, 1), (2026, 12, 2)), ComeBack::Tomorrow);
        assert_eq!(come_back((2026, 12, 31), (2027, 1, 1)), ComeBack::Tomorrow);
        assert_eq!(come_back((2028, 2, 28), (2028, 2, 29)), ComeBack::Tomorrow);
        assert_eq!(come_back((2028, 2, 28), (2028, 3, 1)), ComeBack::Later);
        assert_eq!(come_back((2026, 12, 2), (2026, 12, 1)), ComeBack::Today);
    }

    #[test]
    fn api_timestamps_parse_strictly() {
        assert_eq!(parse_utc("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(parse_utc("2026-12-01T10:00:00Z"), Some(1_796_119_200));
        assert_eq!(parse_utc("2028-02-29T23:59:59Z"), Some(1_835_481_599));
        for bad in [
            "2026-12-01 10:00:00Z",
            "2026-12-01T10:00:00",
            "2026-13-01T10:00:00Z",
            "2027-02-29T10:00:00Z",
            "2026-12-01T24:00:00Z",
            "2026-12-01T10:00:00+01:00",
            "+026-12-01T10:00:00Z",
        ] {
            assert_eq!(parse_utc(bad), None, "{bad}");
        }
    }
}
