//! The reference API's product JSON (`GET /api/v1/recommendations`, `GET /api/v1/products/{id}`).
//! The server serialises these types and the `lojal` preset reads them, so the two cannot drift
//! apart; a test maps a serialised response back through the preset.

use serde::{Deserialize, Serialize};

/// `GET /api/v1/recommendations` answers with this.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Recommendations {
    /// The intent asked for (`bought-together`, …).
    pub intent: String,
    /// The product the recommendations are for, when one was given.
    pub product_id: Option<String>,
    pub products: Vec<WireProduct>,
    /// For `for-you` and `cart`: what the rail was chosen from, in order (`purchases`,
    /// `recently-viewed`, `popular-in-categories`, `popular`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub basis: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct WireProduct {
    pub id: String,
    pub title: String,
    /// The product page, a path on the shop (`/product.html?id=p-setesdal`).
    pub url: String,
    pub image: Option<WireImage>,
    pub price: WirePrice,
    pub in_stock: bool,
    pub rating: Option<WireRating>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct WireImage {
    pub src: String,
    pub srcset: Option<String>,
    pub alt: String,
}

/// Amounts in minor units (øre) as JSON integers.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WirePrice {
    pub amount: i64,
    pub currency: String,
    pub minor_unit: u8,
    pub compare_at: Option<i64>,
    pub max: Option<i64>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct WireRating {
    /// 0–5.
    pub average: f32,
    pub count: u32,
}
