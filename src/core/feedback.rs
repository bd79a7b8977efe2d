//! Feedback prompts as the widgets and the server share them: the answer a shopper sends (NPS,
//! CSAT, product review), its validation and length limits, NPS and CSAT arithmetic, triggers,
//! the campaign period and the once-per-campaign rule. Pure: time comes in as a parameter.

use std::fmt;
use std::ops::RangeInclusive;

use serde::{Deserialize, Serialize};

use crate::core::url::path_segment;

/// The follow-up text of an NPS answer and the comment of a CSAT answer, in characters.
pub const MAX_COMMENT_CHARS: usize = 1000;
/// A review's title, in characters.
pub const MAX_REVIEW_TITLE_CHARS: usize = 120;
/// A review's text, in characters.
pub const MAX_REVIEW_TEXT_CHARS: usize = 2000;
/// `product_id`, `customer_id` and `order_id`.
pub const MAX_ID_CHARS: usize = 128;
pub const MAX_CAMPAIGN_CHARS: usize = 64;
pub const MAX_PAGE_URL_CHARS: usize = 2048;
pub const MAX_LOCALE_CHARS: usize = 35;

/// Which prompt an answer belongs to; `type` on the wire.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PromptType {
    /// Net Promoter Score: "How likely are you to recommend us?", 0–10.
    Nps,
    /// Customer satisfaction after an interaction, 1–5.
    Csat,
    /// A product review, 1–5 stars with a title and a text.
    Review,
}

impl PromptType {
    pub const ALL: [Self; 3] = [Self::Nps, Self::Csat, Self::Review];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Nps => "nps",
            Self::Csat => "csat",
            Self::Review => "review",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.as_str() == s)
    }

    /// The scores the prompt offers.
    pub fn scores(self) -> RangeInclusive<u8> {
        match self {
            Self::Nps => 0..=10,
            Self::Csat | Self::Review => 1..=5,
        }
    }

    /// The longest `text` an answer of this type may carry, in characters.
    pub fn max_text_chars(self) -> usize {
        match self {
            Self::Nps | Self::Csat => MAX_COMMENT_CHARS,
            Self::Review => MAX_REVIEW_TEXT_CHARS,
        }
    }
}

impl fmt::Display for PromptType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where an NPS score puts the shopper; the follow-up question depends on it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Band {
    /// 0–6: would not recommend us.
    Detractor,
    /// 7–8: satisfied but unenthusiastic.
    Passive,
    /// 9–10: would recommend us.
    Promoter,
}

impl Band {
    /// The band of an NPS score; `None` above 10.
    pub fn of(score: u8) -> Option<Self> {
        match score {
            0..=6 => Some(Self::Detractor),
            7..=8 => Some(Self::Passive),
            9..=10 => Some(Self::Promoter),
            _ => None,
        }
    }
}

/// `round(100 · numerator / denominator)`, halves away from zero, in integers so that the
/// widget and the server agree to the last digit.
fn percent(numerator: i128, denominator: i128) -> i32 {
    let magnitude = (200 * numerator.abs() + denominator) / (2 * denominator);
    (numerator.signum() * magnitude) as i32
}

/// NPS answers counted by band.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NpsTally {
    pub promoters: u64,
    pub passives: u64,
    pub detractors: u64,
}

impl NpsTally {
    /// Counts scores; anything above 10 is not an NPS score and is left out.
    pub fn from_scores(scores: impl IntoIterator<Item = u8>) -> Self {
        let mut tally = Self::default();
        for score in scores {
            match Band::of(score) {
                Some(Band::Promoter) => tally.promoters += 1,
                Some(Band::Passive) => tally.passives += 1,
                Some(Band::Detractor) => tally.detractors += 1,
                None => {}
            }
        }
        tally
    }

    pub fn responses(&self) -> u64 {
        self.promoters + self.passives + self.detractors
    }

    /// The Net Promoter Score: promoters minus detractors, in percent of all answers, rounded
    /// to a whole number (halves away from zero), from −100 to 100. `None` without answers: a
    /// shop nobody answered has no score, which is not the same as a score of 0.
    pub fn score(&self) -> Option<i32> {
        let responses = self.responses();
        (responses > 0).then(|| {
            percent(
                i128::from(self.promoters) - i128::from(self.detractors),
                i128::from(responses),
            )
        })
    }
}

/// CSAT answers counted by score (index 0 holds the 1s).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CsatTally {
    pub counts: [u64; 5],
}

impl CsatTally {
    /// Counts scores; anything outside 1–5 is left out.
    pub fn from_scores(scores: impl IntoIterator<Item = u8>) -> Self {
        let mut tally = Self::default();
        for score in scores {
            if (1..=5).contains(&score) {
                tally.counts[usize::from(score - 1)] += 1;
            }
        }
        tally
    }

    pub fn responses(&self) -> u64 {
        self.counts.iter().sum()
    }

    /// The mean score to two decimals; `None` without answers.
    pub fn average(&self) -> Option<f64> {
        let sum = self
            .counts
            .iter()
            .zip(1u64..)
            .map(|(count, score)| count * score)
            .sum();
        average(sum, self.responses())
    }

    /// Share of 4s and 5s in percent (the usual CSAT figure); `None` without answers.
    pub fn satisfied_percent(&self) -> Option<i32> {
        let responses = self.responses();
        (responses > 0).then(|| {
            percent(
                i128::from(self.counts[3] + self.counts[4]),
                i128::from(responses),
            )
        })
    }
}

/// `sum / count` rounded to two decimals (halves up); `None` when `count` is 0.
pub fn average(sum: u64, count: u64) -> Option<f64> {
    (count > 0).then(|| {
        let hundredths = (u128::from(sum) * 200 + u128::from(count)) / (2 * u128::from(count));
        hundredths as f64 / 100.0
    })
}

/// How many characters a text has, the way every limit here counts: Unicode scalar values, so
/// `ø` is one and `👍🏽` (a thumb and a skin tone) is two, in the widget and on the server alike.
pub fn char_count(text: &str) -> usize {
    text.chars().count()
}

/// `POST /api/v1/feedback`: one answer to one prompt. The idempotency key travels in the
/// `idempotency-key` header and a signed-in shopper's signature in `x-lojal-signature`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FeedbackAnswer {
    #[serde(rename = "type")]
    pub kind: PromptType,
    /// 0–10 for NPS, 1–5 for CSAT and reviews. Wide on the wire so that a 300 gets our message
    /// instead of serde's.
    pub score: i64,
    /// A review's title.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// The NPS follow-up, the CSAT comment or the review's text, exactly as typed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// Required for reviews, refused for the others.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub product_id: Option<String>,
    /// The signed-in shopper; absent for an anonymous answer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer_id: Option<String>,
    /// The campaign period the prompt ran in (`2026-Q4` unless the merchant names one).
    pub campaign: String,
    /// The order whose confirmation page asked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order_id: Option<String>,
    /// The page the shopper answered on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub page_url: Option<String>,
    /// The locale the prompt was shown in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub locale: Option<String>,
}

/// A field of [`FeedbackAnswer`], for messages and for the widget to point at.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Field {
    Score,
    Title,
    Text,
    ProductId,
    CustomerId,
    OrderId,
    Campaign,
    PageUrl,
    Locale,
}

impl Field {
    pub fn name(self) -> &'static str {
        match self {
            Self::Score => "score",
            Self::Title => "title",
            Self::Text => "text",
            Self::ProductId => "product_id",
            Self::CustomerId => "customer_id",
            Self::OrderId => "order_id",
            Self::Campaign => "campaign",
            Self::PageUrl => "page_url",
            Self::Locale => "locale",
        }
    }
}

/// One reason an answer is refused. `Display` is the English sentence the server's 422 carries;
/// the widget shows its own, translated, text for the fields a shopper controls.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Problem {
    /// The score is outside the prompt's range.
    Score { kind: PromptType, got: i64 },
    /// A text is longer than its limit.
    TooLong {
        field: Field,
        chars: usize,
        max: usize,
    },
    /// A text holds control characters (texts may hold line breaks and tabs).
    ControlCharacters { field: Field },
    /// The field does not belong to this type of answer.
    NotAllowed { field: Field, kind: PromptType },
    /// The field is required for this type of answer.
    Required { field: Field, kind: PromptType },
    /// The field has the wrong form (see the message).
    Malformed { field: Field },
}

impl Problem {
    pub fn field(&self) -> Field {
        match self {
            Self::Score { .. } => Field::Score,
            Self::TooLong { field, .. }
            | Self::ControlCharacters { field }
            | Self::NotAllowed { field, .. }
            | Self::Required { field, .. }
            | Self::Malformed { field } => *field,
        }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Score { kind, got } => {
                let range = kind.scores();
                write!(
                    f,
                    "score must be a whole number from {} to {} when type is {kind}, not {got}",
                    range.start(),
                    range.end()
                )
            }
            Self::TooLong { field, chars, max } => write!(
                f,
                "{} is {chars} characters long; at most {max} are allowed",
                field.name()
            ),
            Self::ControlCharacters { field: Field::Text } => f.write_str(
                "text must not contain control characters other than line breaks and tabs",
            ),
            Self::ControlCharacters { field } => {
                write!(f, "{} must not contain control characters", field.name())
            }
            Self::NotAllowed { field, kind } => {
                write!(f, "{} is not allowed when type is {kind}", field.name())
            }
            Self::Required { field, kind } => {
                write!(f, "{} is required when type is {kind}", field.name())
            }
            Self::Malformed { field } => f.write_str(match field {
                Field::Campaign => {
                    "campaign must be 1 to 64 characters of A-Z, a-z, 0-9, '.', '_', ':' and '-'"
                }
                Field::PageUrl => {
                    "page_url must be an absolute http(s) URL of at most 2048 characters"
                }
                Field::Locale => "locale must be a language tag such as nb or nb-NO",
                Field::ProductId => {
                    "product_id must be 1 to 128 characters without control characters"
                }
                Field::CustomerId => {
                    "customer_id must be 1 to 128 characters without control characters"
                }
                Field::OrderId => "order_id must be 1 to 128 characters without control characters",
                Field::Score | Field::Title | Field::Text => "malformed",
            }),
        }
    }
}

/// Empty or whitespace-only text means "no text"; anything else is kept exactly as typed.
pub fn blank_to_none(text: Option<String>) -> Option<String> {
    text.filter(|t| !t.trim().is_empty())
}

/// A product, customer or order id: 1–128 characters, not blank, no control characters.
pub fn is_id(value: &str) -> bool {
    !value.trim().is_empty()
        && char_count(value) <= MAX_ID_CHARS
        && !value.chars().any(char::is_control)
}

/// A campaign name: 1–64 characters of `A-Z a-z 0-9 . _ : -`.
pub fn is_campaign(value: &str) -> bool {
    (1..=MAX_CAMPAIGN_CHARS).contains(&value.len())
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b':' | b'-'))
}

fn is_page_url(value: &str) -> bool {
    let lower = value.get(..8).unwrap_or(value).to_ascii_lowercase();
    let rest = if lower.starts_with("https://") {
        &value[8..]
    } else if lower.starts_with("http://") {
        &value[7..]
    } else {
        return false;
    };
    char_count(value) <= MAX_PAGE_URL_CHARS
        && !rest.is_empty()
        && !rest.starts_with('/')
        && !value.chars().any(|c| c.is_control() || c.is_whitespace())
}

fn is_locale(value: &str) -> bool {
    (2..=MAX_LOCALE_CHARS).contains(&value.len())
        && value.split(['-', '_']).all(|part| {
            (1..=8).contains(&part.len()) && part.bytes().all(|b| b.is_ascii_alphanumeric())
        })
        && value.as_bytes()[..2].iter().all(u8::is_ascii_alphabetic)
}

impl FeedbackAnswer {
    /// Blank texts and titles become absent; nothing else is touched.
    pub fn normalized(mut self) -> Self {
        self.title = blank_to_none(self.title);
        self.text = blank_to_none(self.text);
        self
    }

    /// Every reason the answer cannot be stored, in field order; empty when it can.
    pub fn problems(&self) -> Vec<Problem> {
        let kind = self.kind;
        let mut problems = Vec::new();
        let in_range = u8::try_from(self.score).is_ok_and(|s| kind.scores().contains(&s));
        if !in_range {
            problems.push(Problem::Score {
                kind,
                got: self.score,
            });
        }
        match (&self.title, kind) {
            (Some(_), PromptType::Nps | PromptType::Csat) => problems.push(Problem::NotAllowed {
                field: Field::Title,
                kind,
            }),
            (Some(title), PromptType::Review) => {
                let chars = char_count(title);
                if chars > MAX_REVIEW_TITLE_CHARS {
                    problems.push(Problem::TooLong {
                        field: Field::Title,
                        chars,
                        max: MAX_REVIEW_TITLE_CHARS,
                    });
                }
                if title.chars().any(char::is_control) {
                    problems.push(Problem::ControlCharacters {
                        field: Field::Title,
                    });
                }
            }
            (None, _) => {}
        }
        if let Some(text) = &self.text {
            let (chars, max) = (char_count(text), kind.max_text_chars());
            if chars > max {
                problems.push(Problem::TooLong {
                    field: Field::Text,
                    chars,
                    max,
                });
            }
            if text
                .chars()
                .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
            {
                problems.push(Problem::ControlCharacters { field: Field::Text });
            }
        }
        match (&self.product_id, kind) {
            (None, PromptType::Review) => problems.push(Problem::Required {
                field: Field::ProductId,
                kind,
            }),
            (Some(_), PromptType::Nps | PromptType::Csat) => problems.push(Problem::NotAllowed {
                field: Field::ProductId,
                kind,
            }),
            (Some(id), PromptType::Review) if !is_id(id) => problems.push(Problem::Malformed {
                field: Field::ProductId,
            }),
            _ => {}
        }
        if self.customer_id.as_deref().is_some_and(|id| !is_id(id)) {
            problems.push(Problem::Malformed {
                field: Field::CustomerId,
            });
        }
        if !is_campaign(&self.campaign) {
            problems.push(Problem::Malformed {
                field: Field::Campaign,
            });
        }
        if self.order_id.as_deref().is_some_and(|id| !is_id(id)) {
            problems.push(Problem::Malformed {
                field: Field::OrderId,
            });
        }
        if self.page_url.as_deref().is_some_and(|u| !is_page_url(u)) {
            problems.push(Problem::Malformed {
                field: Field::PageUrl,
            });
        }
        if self.locale.as_deref().is_some_and(|l| !is_locale(l)) {
            problems.push(Problem::Malformed {
                field: Field::Locale,
            });
        }
        problems
    }

    /// The score as the prompt's type allows it, once [`Self::problems`] found none.
    pub fn score_u8(&self) -> u8 {
        u8::try_from(self.score).unwrap_or(0)
    }
}

/// Every problem in one sentence, for a 422 body.
pub fn describe(problems: &[Problem]) -> String {
    problems
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}

/// The answer to a stored (or already stored) answer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeedbackReceipt {
    pub id: i64,
    /// `received` for NPS and CSAT; `pending` for a review awaiting moderation, then
    /// `published` or `rejected`.
    pub status: String,
    /// True when this idempotency key had been stored before: nothing new was written.
    pub duplicate: bool,
}

/// `GET /api/v1/feedback/answered`: whether a signed-in shopper answered this prompt already.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AnsweredStatus {
    pub answered: bool,
}

impl AnsweredStatus {
    pub fn from_json(json: &str) -> Result<Self, crate::core::json::JsonError> {
        crate::core::json::parse(json)
    }
}

/// NPS figures of `GET /api/v1/feedback/summary`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NpsSummary {
    /// −100 to 100; `null` without answers.
    pub score: Option<i32>,
    pub responses: u64,
    pub promoters: u64,
    pub passives: u64,
    pub detractors: u64,
}

impl From<NpsTally> for NpsSummary {
    fn from(tally: NpsTally) -> Self {
        Self {
            score: tally.score(),
            responses: tally.responses(),
            promoters: tally.promoters,
            passives: tally.passives,
            detractors: tally.detractors,
        }
    }
}

/// CSAT figures of the summary.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CsatSummary {
    /// Mean of 1–5 to two decimals; `null` without answers.
    pub average: Option<f64>,
    /// Share of 4s and 5s in percent; `null` without answers.
    pub satisfied_percent: Option<i32>,
    pub responses: u64,
}

impl From<CsatTally> for CsatSummary {
    fn from(tally: CsatTally) -> Self {
        Self {
            average: tally.average(),
            satisfied_percent: tally.satisfied_percent(),
            responses: tally.responses(),
        }
    }
}

/// Reviews of one product in the summary, published or not.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ProductReviews {
    pub product_id: String,
    /// Mean stars of every review received, to two decimals.
    pub average: f64,
    pub reviews: u64,
    pub published: u64,
    pub pending: u64,
}

/// Answers received on one UTC day.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DayCounts {
    /// `YYYY-MM-DD`.
    pub date: String,
    pub nps: u64,
    pub csat: u64,
    pub review: u64,
}

/// `GET /api/v1/feedback/summary`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FeedbackSummary {
    pub nps: NpsSummary,
    pub csat: CsatSummary,
    pub reviews: Vec<ProductReviews>,
    pub per_day: Vec<DayCounts>,
}

/// A published review as the shop shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublishedReview {
    pub id: i64,
    pub score: u8,
    pub title: Option<String>,
    pub text: Option<String>,
    /// The reviewer's first name when a signed-in customer wrote it.
    pub author: Option<String>,
    /// RFC 3339.
    pub created_at: String,
}

/// `GET /api/v1/products/{id}/reviews`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ReviewPage {
    pub product_id: String,
    /// Newest first.
    pub reviews: Vec<PublishedReview>,
    pub page: u32,
    pub per_page: u32,
    /// Published reviews of the product in all.
    pub total: u64,
    /// Mean stars of the published reviews, to two decimals; `null` without any.
    pub average: Option<f64>,
}

fn trimmed(value: Option<&str>) -> Option<&str> {
    value.map(str::trim).filter(|v| !v.is_empty())
}

/// When a prompt appears.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Trigger {
    /// At once, where the element stands.
    Inline,
    /// After the shopper has been on the page this long.
    Delay { seconds: u32 },
    /// Once the shopper has scrolled this far down the page.
    Scroll { percent: u8 },
    /// On the order-confirmation page: shown once the theme renders the `order-id`.
    OrderConfirmation { order_id: Option<String> },
}

pub const DEFAULT_DELAY_SECONDS: u32 = 15;
pub const MAX_DELAY_SECONDS: u32 = 3600;
pub const DEFAULT_SCROLL_PERCENT: u8 = 50;

/// Why a prompt's trigger attributes cannot be used.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum InvalidTrigger {
    Unknown(String),
    DelaySeconds(String),
    ScrollPercent(String),
    OrderId,
}

impl fmt::Display for InvalidTrigger {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Unknown(t) => write!(
                f,
                "`trigger` must be inline, delay, scroll or order-confirmation, not {t:?}"
            ),
            Self::DelaySeconds(v) => write!(
                f,
                "`delay-seconds` must be a whole number from 0 to {MAX_DELAY_SECONDS}, not {v:?}"
            ),
            Self::ScrollPercent(v) => {
                write!(
                    f,
                    "`scroll-percent` must be a whole number from 0 to 100, not {v:?}"
                )
            }
            Self::OrderId => f.write_str("`order-id` is too long or holds control characters"),
        }
    }
}

impl std::error::Error for InvalidTrigger {}

impl Trigger {
    /// Reads `trigger`, `delay-seconds`, `scroll-percent` and `order-id`. An absent or blank
    /// `trigger` means inline.
    pub fn from_attributes(
        trigger: Option<&str>,
        delay_seconds: Option<&str>,
        scroll_percent: Option<&str>,
        order_id: Option<&str>,
    ) -> Result<Self, InvalidTrigger> {
        match trimmed(trigger).map(str::to_ascii_lowercase).as_deref() {
            None | Some("inline") => Ok(Self::Inline),
            Some("delay") => match trimmed(delay_seconds) {
                None => Ok(Self::Delay {
                    seconds: DEFAULT_DELAY_SECONDS,
                }),
                Some(v) => v
                    .parse()
                    .ok()
                    .filter(|s| *s <= MAX_DELAY_SECONDS)
                    .map(|seconds| Self::Delay { seconds })
                    .ok_or_else(|| InvalidTrigger::DelaySeconds(v.to_owned())),
            },
            Some("scroll") => match trimmed(scroll_percent) {
                None => Ok(Self::Scroll {
                    percent: DEFAULT_SCROLL_PERCENT,
                }),
                Some(v) => v
                    .strip_suffix('%')
                    .unwrap_or(v)
                    .trim()
                    .parse()
                    .ok()
                    .filter(|p| *p <= 100)
                    .map(|percent| Self::Scroll { percent })
                    .ok_or_else(|| InvalidTrigger::ScrollPercent(v.to_owned())),
            },
            Some("order-confirmation") => match trimmed(order_id) {
                None => Ok(Self::OrderConfirmation { order_id: None }),
                Some(id) if is_id(id) => Ok(Self::OrderConfirmation {
                    order_id: Some(id.to_owned()),
                }),
                Some(_) => Err(InvalidTrigger::OrderId),
            },
            Some(other) => Err(InvalidTrigger::Unknown(other.to_owned())),
        }
    }

    /// The order an answer belongs to, on the order-confirmation page.
    pub fn order_id(&self) -> Option<&str> {
        match self {
            Self::OrderConfirmation { order_id } => order_id.as_deref(),
            _ => None,
        }
    }

    /// Whether the prompt floats over the page (it appears later, so it must not push the
    /// shop's content around) rather than taking its place in the flow.
    pub fn floats(&self) -> bool {
        matches!(self, Self::Delay { .. } | Self::Scroll { .. })
    }
}

/// How far down the page the shopper has seen, in whole percent: the bottom of the viewport
/// against the document's height. A page that fits the viewport is seen entirely.
pub fn scrolled_percent(scroll_top: f64, viewport_height: f64, document_height: f64) -> u8 {
    // NaN heights (a detached document) count as a page that fits.
    if document_height.partial_cmp(&viewport_height) != Some(std::cmp::Ordering::Greater) {
        return 100;
    }
    let seen = (scroll_top.max(0.0) + viewport_height) / document_height * 100.0;
    seen.floor().clamp(0.0, 100.0) as u8
}

/// Days since 1970-01-01 to a proleptic Gregorian (year, month); Howard Hinnant's algorithm.
fn year_month(days: i64) -> (i64, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month as u32)
}

/// The calendar quarter (UTC) an instant falls in, `2026-Q4`: the campaign period a prompt
/// uses when the merchant names none, so each shopper is asked at most once a quarter.
pub fn quarter(unix_ms: f64) -> String {
    let days = (unix_ms / 86_400_000.0).floor() as i64;
    let (year, month) = year_month(days);
    format!("{year}-Q{}", (month - 1) / 3 + 1)
}

/// The campaign of a prompt: its `campaign` attribute, else the current quarter.
pub fn campaign(attribute: Option<&str>, now_unix_ms: f64) -> Result<String, Problem> {
    match attribute.map(str::trim).filter(|c| !c.is_empty()) {
        None => Ok(quarter(now_unix_ms)),
        Some(c) if is_campaign(c) => Ok(c.to_owned()),
        Some(_) => Err(Problem::Malformed {
            field: Field::Campaign,
        }),
    }
}

/// The `localStorage` key remembering that this shopper answered or dismissed this prompt in
/// this campaign (per product for reviews). Each part is percent-encoded, so ids holding `:`
/// cannot collide.
pub fn remembered_key(
    kind: PromptType,
    campaign: &str,
    product_id: Option<&str>,
    customer_id: Option<&str>,
) -> String {
    format!(
        "lojal:prompt:{kind}:{}:{}:{}",
        path_segment(campaign),
        path_segment(product_id.unwrap_or("")),
        customer_id.map_or_else(|| "guest".to_owned(), |c| format!("c-{}", path_segment(c)))
    )
}

/// How CSAT scores are drawn.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum CsatVariant {
    #[default]
    Faces,
    Stars,
}

impl CsatVariant {
    /// Reads the `variant` attribute; anything unknown draws faces.
    pub fn from_attribute(value: Option<&str>) -> Self {
        match value.map(|v| v.trim().to_ascii_lowercase()).as_deref() {
            Some("stars") => Self::Stars,
            _ => Self::Faces,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nps_is_promoters_minus_detractors_in_percent_of_all_answers() {
        // (promoters, passives, detractors, expected)
        let cases: &[(u64, u64, u64, Option<i32>)] = &[
            (0, 0, 0, None),
            (1, 0, 0, Some(100)),
            (0, 1, 0, Some(0)),
            (0, 0, 1, Some(-100)),
            (1, 1, 1, Some(0)),
            (2, 0, 1, Some(33)),
            (1, 0, 2, Some(-33)),
            (2, 1, 0, Some(67)),
            (0, 1, 2, Some(-67)),
            (5, 3, 2, Some(30)),
            // 12.5 and −12.5 round away from zero.
            (1, 7, 0, Some(13)),
            (0, 7, 1, Some(-13)),
            // Just over, exactly and just under half a percent.
            (1, 198, 0, Some(1)),
            (1, 199, 0, Some(1)),
            (0, 199, 1, Some(-1)),
            (1, 200, 0, Some(0)),
            (0, 1_000_000, 0, Some(0)),
            (u64::MAX / 4, 0, u64::MAX / 4, Some(0)),
            (u64::MAX / 4, 0, 0, Some(100)),
        ];
        for &(promoters, passives, detractors, expected) in cases {
            let tally = NpsTally {
                promoters,
                passives,
                detractors,
            };
            assert_eq!(
                tally.score(),
                expected,
                "{promoters} promoters, {passives} passives, {detractors} detractors"
            );
        }
    }

    #[test]
    fn nps_bands_split_at_6_7_and_8_9() {
        let bands: Vec<Option<Band>> = (0..=11).map(Band::of).collect();
        use Band::*;
        assert_eq!(
            bands,
            [
                Some(Detractor),
                Some(Detractor),
                Some(Detractor),
                Some(Detractor),
                Some(Detractor),
                Some(Detractor),
                Some(Detractor),
                Some(Passive),
                Some(Passive),
                Some(Promoter),
                Some(Promoter),
                None,
            ]
        );
    }

    #[test]
    fn nps_tallies_count_scores_by_band_and_skip_non_scores() {
        assert_eq!(NpsTally::from_scores([]).score(), None);
        let tally = NpsTally::from_scores([10, 9, 8, 7, 6, 0, 11, 255]);
        assert_eq!(
            tally,
            NpsTally {
                promoters: 2,
                passives: 2,
                detractors: 2
            }
        );
        assert_eq!(tally.responses(), 6);
        assert_eq!(tally.score(), Some(0));
        assert_eq!(NpsTally::from_scores([10, 10, 10, 0]).score(), Some(50));
    }

    #[test]
    fn csat_averages_to_two_decimals_and_counts_satisfied_answers() {
        let cases: &[(&[u8], Option<f64>, Option<i32>)] = &[
            (&[], None, None),
            (&[5], Some(5.0), Some(100)),
            (&[1], Some(1.0), Some(0)),
            (&[4, 5], Some(4.5), Some(100)),
            (&[1, 2, 3], Some(2.0), Some(0)),
            (&[5, 5, 4], Some(4.67), Some(100)),
            (&[1, 1, 2], Some(1.33), Some(0)),
            (&[3, 4, 5, 2, 1, 5], Some(3.33), Some(50)),
            (&[0, 6, 4], Some(4.0), Some(100)),
        ];
        for (scores, expected_average, expected_satisfied) in cases {
            let tally = CsatTally::from_scores(scores.iter().copied());
            assert_eq!(tally.average(), *expected_average, "{scores:?}");
            assert_eq!(tally.satisfied_percent(), *expected_satisfied, "{scores:?}");
        }
        assert_eq!(average(9, 2), Some(4.5));
        assert_eq!(average(1, 8), Some(0.13));
        assert_eq!(average(0, 0), None);
    }

    fn nps(score: i64) -> FeedbackAnswer {
        FeedbackAnswer {
            kind: PromptType::Nps,
            score,
            title: None,
            text: None,
            product_id: None,
            customer_id: None,
            campaign: "2026-Q4".into(),
            order_id: None,
            page_url: None,
            locale: None,
        }
    }

    fn review() -> FeedbackAnswer {
        FeedbackAnswer {
            kind: PromptType::Review,
            score: 5,
            product_id: Some("setesdal-genser".into()),
            ..nps(5)
        }
    }

    #[test]
    fn scores_must_fit_the_prompt() {
        let cases: &[(PromptType, i64, bool)] = &[
            (PromptType::Nps, 0, true),
            (PromptType::Nps, 10, true),
            (PromptType::Nps, 11, false),
            (PromptType::Nps, -1, false),
            (PromptType::Nps, 256, false),
            (PromptType::Nps, i64::MIN, false),
            (PromptType::Csat, 0, false),
            (PromptType::Csat, 1, true),
            (PromptType::Csat, 5, true),
            (PromptType::Csat, 6, false),
            (PromptType::Review, 0, false),
            (PromptType::Review, 5, true),
        ];
        for &(kind, score, ok) in cases {
            let mut answer = if kind == PromptType::Review {
                review()
            } else {
                nps(score)
            };
            answer.kind = kind;
            answer.score = score;
            let problems = answer.problems();
            assert_eq!(problems.is_empty(), ok, "{kind} {score}: {problems:?}");
            if !ok {
                assert_eq!(problems, [Problem::Score { kind, got: score }]);
            }
        }
        assert_eq!(
            Problem::Score {
                kind: PromptType::Nps,
                got: 11
            }
            .to_string(),
            "score must be a whole number from 0 to 10 when type is nps, not 11"
        );
    }

    #[test]
    fn texts_are_limited_in_characters_not_bytes() {
        let at = |kind: PromptType, text: String| {
            let mut answer = if kind == PromptType::Review {
                review()
            } else {
                nps(9)
            };
            answer.kind = kind;
            answer.score = 5;
            answer.text = Some(text);
            answer.problems()
        };
        // Two bytes each in UTF-8; the limit counts characters.
        assert!(at(PromptType::Nps, "ø".repeat(MAX_COMMENT_CHARS)).is_empty());
        assert_eq!(
            at(PromptType::Nps, "ø".repeat(MAX_COMMENT_CHARS + 1)),
            [Problem::TooLong {
                field: Field::Text,
                chars: 1001,
                max: 1000
            }]
        );
        assert!(at(PromptType::Review, "õ".repeat(MAX_REVIEW_TEXT_CHARS)).is_empty());
        assert_eq!(
            at(PromptType::Review, "😀".repeat(MAX_REVIEW_TEXT_CHARS + 1))[0].to_string(),
            "text is 2001 characters long; at most 2000 are allowed"
        );
        assert_eq!(char_count("👍🏽"), 2);
        assert_eq!(char_count("Šš Žž Õõ Ää Öö Üü æøå"), 21);
        // Line breaks and tabs are text; other control characters are not.
        assert!(at(PromptType::Csat, "a\r\nb\tc".into()).is_empty());
        assert_eq!(
            at(PromptType::Nps, "a\u{0}b".into()),
            [Problem::ControlCharacters { field: Field::Text }]
        );
        // HTML is text like any other: stored as typed, never interpreted.
        assert!(at(PromptType::Nps, "<img src=x onerror=alert(1)>".into()).is_empty());
    }

    #[test]
    fn titles_and_products_belong_to_reviews() {
        let mut with_title = nps(9);
        with_title.title = Some("Fin".into());
        assert_eq!(
            with_title.problems(),
            [Problem::NotAllowed {
                field: Field::Title,
                kind: PromptType::Nps
            }]
        );
        let mut with_product = nps(9);
        with_product.product_id = Some("p".into());
        assert_eq!(
            with_product.problems()[0].to_string(),
            "product_id is not allowed when type is nps"
        );
        let mut no_product = review();
        no_product.product_id = None;
        assert_eq!(
            no_product.problems()[0].to_string(),
            "product_id is required when type is review"
        );
        let mut long_title = review();
        long_title.title = Some("x".repeat(MAX_REVIEW_TITLE_CHARS + 1));
        assert_eq!(
            long_title.problems(),
            [Problem::TooLong {
                field: Field::Title,
                chars: 121,
                max: 120
            }]
        );
        let mut two_line_title = review();
        two_line_title.title = Some("a\nb".into());
        assert_eq!(
            two_line_title.problems(),
            [Problem::ControlCharacters {
                field: Field::Title
            }]
        );
    }

    #[test]
    fn ids_campaigns_urls_and_locales_are_checked() {
        type Edit = fn(&mut FeedbackAnswer);
        let cases: &[(Edit, Option<Field>)] = &[
            (|a| a.customer_id = Some("c-1001".into()), None),
            (
                |a| a.customer_id = Some(" ".into()),
                Some(Field::CustomerId),
            ),
            (
                |a| a.customer_id = Some("x".repeat(129)),
                Some(Field::CustomerId),
            ),
            (|a| a.order_id = Some("NS-10042".into()), None),
            (|a| a.order_id = Some("a\nb".into()), Some(Field::OrderId)),
            (|a| a.campaign = "2026-Q4".into(), None),
            (|a| a.campaign = "black-friday:2026".into(), None),
            (|a| a.campaign = String::new(), Some(Field::Campaign)),
            (|a| a.campaign = "vår 2026".into(), Some(Field::Campaign)),
            (|a| a.campaign = "x".repeat(65), Some(Field::Campaign)),
            (
                |a| a.page_url = Some("https://shop.example/ordre?id=1".into()),
                None,
            ),
            (
                |a| a.page_url = Some("http://127.0.0.1:8080/ordre.html".into()),
                None,
            ),
            (
                |a| a.page_url = Some("javascript:alert(1)".into()),
                Some(Field::PageUrl),
            ),
            (|a| a.page_url = Some("/ordre".into()), Some(Field::PageUrl)),
            (
                |a| a.page_url = Some(format!("https://x/{}", "a".repeat(2048))),
                Some(Field::PageUrl),
            ),
            (|a| a.locale = Some("nb".into()), None),
            (|a| a.locale = Some("nb-NO".into()), None),
            (|a| a.locale = Some("et_EE".into()), None),
            (|a| a.locale = Some("n".into()), Some(Field::Locale)),
            (|a| a.locale = Some("nb NO".into()), Some(Field::Locale)),
            (|a| a.locale = Some("12".into()), Some(Field::Locale)),
            (|a| a.locale = Some("nb-".into()), Some(Field::Locale)),
        ];
        for (i, (edit, expected)) in cases.iter().enumerate() {
            let mut answer = nps(9);
            edit(&mut answer);
            let fields: Vec<Field> = answer.problems().iter().map(Problem::field).collect();
            assert_eq!(
                fields,
                expected.iter().copied().collect::<Vec<_>>(),
                "case {i}: {answer:?}"
            );
        }
    }

    #[test]
    fn blank_texts_are_absent_and_others_are_kept_as_typed() {
        let mut answer = review();
        answer.title = Some("  ".into());
        answer.text = Some("  Varm og god 🧶\n– Šárka ".into());
        let answer = answer.normalized();
        assert_eq!(answer.title, None);
        assert_eq!(answer.text.as_deref(), Some("  Varm og god 🧶\n– Šárka "));
    }

    #[test]
    fn answers_round_trip_and_unknown_fields_are_refused() {
        let answer = review();
        let json = serde_json::to_string(&answer).unwrap();
        assert_eq!(
            json,
            r#"{"type":"review","score":5,"product_id":"setesdal-genser","campaign":"2026-Q4"}"#
        );
        assert_eq!(
            serde_json::from_str::<FeedbackAnswer>(&json).unwrap(),
            answer
        );
        assert!(
            serde_json::from_str::<FeedbackAnswer>(
                r#"{"type":"nps","score":9,"campaign":"c","extra":1}"#
            )
            .is_err()
        );
        assert!(
            serde_json::from_str::<FeedbackAnswer>(r#"{"type":"ces","score":9,"campaign":"c"}"#)
                .is_err()
        );
    }

    #[test]
    fn every_problem_is_one_sentence_in_one_message() {
        let mut answer = nps(12);
        answer.campaign = String::new();
        assert_eq!(
            describe(&answer.problems()),
            "score must be a whole number from 0 to 10 when type is nps, not 12; \
             campaign must be 1 to 64 characters of A-Z, a-z, 0-9, '.', '_', ':' and '-'"
        );
    }

    #[test]
    fn triggers_are_read_from_attributes() {
        type Case<'a> = (
            (
                Option<&'a str>,
                Option<&'a str>,
                Option<&'a str>,
                Option<&'a str>,
            ),
            Result<Trigger, InvalidTrigger>,
        );
        let cases: &[Case] = &[
            ((None, None, None, None), Ok(Trigger::Inline)),
            ((Some(" "), None, None, None), Ok(Trigger::Inline)),
            ((Some("INLINE"), None, None, None), Ok(Trigger::Inline)),
            (
                (Some("delay"), None, None, None),
                Ok(Trigger::Delay { seconds: 15 }),
            ),
            (
                (Some("delay"), Some(" 3 "), None, None),
                Ok(Trigger::Delay { seconds: 3 }),
            ),
            (
                (Some("delay"), Some("0"), None, None),
                Ok(Trigger::Delay { seconds: 0 }),
            ),
            (
                (Some("delay"), Some("3601"), None, None),
                Err(InvalidTrigger::DelaySeconds("3601".into())),
            ),
            (
                (Some("delay"), Some("2.5"), None, None),
                Err(InvalidTrigger::DelaySeconds("2.5".into())),
            ),
            (
                (Some("scroll"), None, None, None),
                Ok(Trigger::Scroll { percent: 50 }),
            ),
            (
                (Some("scroll"), None, Some("75%"), None),
                Ok(Trigger::Scroll { percent: 75 }),
            ),
            (
                (Some("scroll"), None, Some("101"), None),
                Err(InvalidTrigger::ScrollPercent("101".into())),
            ),
            (
                (Some("order-confirmation"), None, None, Some("NS-10042")),
                Ok(Trigger::OrderConfirmation {
                    order_id: Some("NS-10042".into()),
                }),
            ),
            (
                (Some("order-confirmation"), None, None, Some("")),
                Ok(Trigger::OrderConfirmation { order_id: None }),
            ),
            (
                (Some("order-confirmation"), None, None, Some("a\u{7}")),
                Err(InvalidTrigger::OrderId),
            ),
            (
                (Some("exit-intent"), None, None, None),
                Err(InvalidTrigger::Unknown("exit-intent".into())),
            ),
        ];
        for ((trigger, delay, scroll, order), expected) in cases {
            assert_eq!(
                &Trigger::from_attributes(*trigger, *delay, *scroll, *order),
                expected,
                "{trigger:?} {delay:?} {scroll:?} {order:?}"
            );
        }
        assert!(Trigger::Delay { seconds: 1 }.floats());
        assert!(!Trigger::Inline.floats());
    }

    #[test]
    fn scrolled_percent_measures_the_bottom_of_the_viewport() {
        let cases = [
            // (scroll_top, viewport, document, expected)
            (0.0, 800.0, 800.0, 100),
            (0.0, 800.0, 400.0, 100),
            (0.0, 800.0, 1600.0, 50),
            (400.0, 800.0, 1600.0, 75),
            (800.0, 800.0, 1600.0, 100),
            (900.0, 800.0, 1600.0, 100),
            (-50.0, 800.0, 1600.0, 50),
            (0.0, 0.0, 1000.0, 0),
            (1.0, 800.0, 3000.0, 26),
            (0.0, 800.0, f64::NAN, 100),
        ];
        for (top, viewport, document, expected) in cases {
            assert_eq!(
                scrolled_percent(top, viewport, document),
                expected,
                "{top} {viewport} {document}"
            );
        }
    }

    #[test]
    fn the_default_campaign_is_the_calendar_quarter_in_utc() {
        let cases = [
            (0.0, "1970-Q1"),
            (-1.0, "1969-Q4"),
            (1_709_208_000_000.0, "2024-Q1"), // 2024-02-29 12:00
            (1_775_001_600_000.0, "2026-Q2"), // 2026-04-01 00:00
            (1_775_001_599_999.0, "2026-Q1"),
            (1_795_392_000_000.0, "2026-Q4"), // 2026-11-23
            (1_798_761_599_999.0, "2026-Q4"), // the last millisecond of 2026
            (1_798_761_600_000.0, "2027-Q1"),
        ];
        for (ms, expected) in cases {
            assert_eq!(quarter(ms), expected, "{ms}");
        }
        assert_eq!(campaign(None, 0.0).unwrap(), "1970-Q1");
        assert_eq!(campaign(Some("  "), 0.0).unwrap(), "1970-Q1");
        assert_eq!(campaign(Some(" jul-2026 "), 0.0).unwrap(), "jul-2026");
        assert!(campaign(Some("jul 2026"), 0.0).is_err());
    }

    #[test]
    fn remembered_keys_separate_prompts_campaigns_products_and_shoppers() {
        let key = |k, c, p, s| remembered_key(k, c, p, s);
        assert_eq!(
            key(PromptType::Nps, "2026-Q4", None, Some("c-1001")),
            "lojal:prompt:nps:2026-Q4::c-c-1001"
        );
        assert_eq!(
            key(PromptType::Review, "2026-Q4", Some("a:b"), None),
            "lojal:prompt:review:2026-Q4:a%3Ab:guest"
        );
        let all = [
            key(PromptType::Nps, "q", None, None),
            key(PromptType::Csat, "q", None, None),
            key(PromptType::Nps, "r", None, None),
            key(PromptType::Nps, "q", None, Some("guest")),
            key(PromptType::Review, "q", Some("p1"), None),
            key(PromptType::Review, "q", Some("p2"), None),
            key(PromptType::Review, "q:p1", Some(""), None),
        ];
        let distinct: std::collections::HashSet<_> = all.iter().collect();
        assert_eq!(distinct.len(), all.len(), "{all:?}");
    }

    #[test]
    fn csat_variants_default_to_faces() {
        assert_eq!(CsatVariant::from_attribute(None), CsatVariant::Faces);
        assert_eq!(
            CsatVariant::from_attribute(Some(" Stars ")),
            CsatVariant::Stars
        );
        assert_eq!(
            CsatVariant::from_attribute(Some("hearts")),
            CsatVariant::Faces
        );
    }
}
