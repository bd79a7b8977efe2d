//! Products for recommendation rails: the model every view renders, the recommendation intents,
//! the reference API's wire shape, and the mapping that reads any shop's JSON into the model.
//!
//! Whatever a shop's API sends passes through [`mapping::Mapping::apply`] first; a [`Product`]
//! only ever holds checked values: safe URLs, plain text, whole minor units.

pub mod mapping;
pub mod price;
pub mod rail;
pub mod wire;

/// One product as a card shows it. Built only by the mapping, so every field is already safe.
#[derive(Clone, Debug, PartialEq)]
pub struct Product {
    /// The shop's id, as text (`"8123456789"`, `"p-setesdal"`).
    pub id: String,
    /// Plain text, entities decoded, at most [`mapping::MAX_TITLE_CHARS`] characters.
    pub title: String,
    /// An http(s) URL or a same-origin path.
    pub url: String,
    pub image: Option<Image>,
    pub price: Price,
    pub in_stock: bool,
    pub rating: Option<Rating>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Image {
    /// An http(s) URL or a same-origin path.
    pub src: String,
    /// Candidates that each passed the same check, with `w` or `x` descriptors.
    pub srcset: Option<String>,
    /// Plain text; empty when the shop gave none (the card's title says what it shows).
    pub alt: String,
}

/// A price in whole minor units of one currency.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Price {
    /// ISO 4217, upper case.
    pub currency: String,
    /// Minor-unit digits of `currency` as the shop counts them (2 for NOK, 0 for JPY).
    pub exponent: u8,
    /// The price, or the lowest price of a product with variants.
    pub amount: i64,
    /// The highest variant price, when it is above `amount` (a price range).
    pub max: Option<i64>,
    /// The price before a sale, when it is above `amount` (shown struck through).
    pub compare_at: Option<i64>,
}

impl Price {
    /// A minor-unit amount of this price's currency as the major-unit number `Intl` formats.
    pub fn major(&self, minor: i64) -> f64 {
        price::to_major(minor, self.exponent)
    }
}

/// Average review score on a 0–5 scale, and how many reviews it is the average of.
#[derive(Clone, Debug, PartialEq)]
pub struct Rating {
    pub average: f32,
    pub count: Option<u32>,
}

impl Rating {
    /// Whole and half stars of five, rounded to the nearest half: 4.3 → (4, true).
    pub fn stars(&self) -> (u8, bool) {
        let halves = (self.average.clamp(0.0, 5.0) * 2.0).round() as u8;
        (halves / 2, halves % 2 == 1)
    }
}

/// Why a rail is shown: what the recommendation is based on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Intent {
    /// Similar products (same category).
    Related,
    /// Products often in the same order as this one.
    BoughtTogether,
    /// Products most ordered lately.
    Popular,
    /// Products that were sold out and are in stock again.
    BackInStock,
    /// What this shopper looked at, kept in the browser only.
    RecentlyViewed,
    /// Chosen for the signed-in shopper from what she bought (and, with consent, viewed).
    ForYou,
    /// What goes with the whole cart.
    Cart,
}

impl Intent {
    pub const ALL: [Intent; 7] = [
        Self::Related,
        Self::BoughtTogether,
        Self::Popular,
        Self::BackInStock,
        Self::RecentlyViewed,
        Self::ForYou,
        Self::Cart,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Related => "related",
            Self::BoughtTogether => "bought-together",
            Self::Popular => "popular",
            Self::BackInStock => "back-in-stock",
            Self::RecentlyViewed => "recently-viewed",
            Self::ForYou => "for-you",
            Self::Cart => "cart",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        let raw = raw.trim();
        Self::ALL
            .into_iter()
            .find(|i| i.as_str().eq_ignore_ascii_case(raw))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intents_round_trip_and_unknown_ones_are_none() {
        for intent in Intent::ALL {
            assert_eq!(Intent::parse(intent.as_str()), Some(intent));
        }
        assert_eq!(
            Intent::parse(" Bought-Together "),
            Some(Intent::BoughtTogether)
        );
        assert_eq!(Intent::parse("complementary"), None);
        assert_eq!(Intent::parse(""), None);
    }

    #[test]
    fn ratings_round_to_half_stars() {
        let stars = |average| {
            Rating {
                average,
                count: None,
            }
            .stars()
        };
        assert_eq!(stars(4.3), (4, true));
        assert_eq!(stars(4.2), (4, false));
        assert_eq!(stars(4.8), (5, false));
        assert_eq!(stars(0.0), (0, false));
        assert_eq!(stars(9.0), (5, false));
        assert_eq!(stars(f32::NAN), (0, false));
    }
}
