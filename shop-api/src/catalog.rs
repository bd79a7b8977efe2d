//! `/api/v1/recommendations` and `/api/v1/products/{id}`: the demo shop's catalogue, and
//! recommendations computed from its own order history in SQLite.
//!
//! - `bought-together`: products in the same orders as the given one, by how many orders.
//! - `popular`: most units ordered in the last [`RECENT_DAYS`] days, all-time sales breaking ties
//!   and filling the rail when few orders are recent.
//! - `back-in-stock`: products restocked in the last [`RESTOCK_DAYS`] days that are in stock now.
//! - `related`: the same category, best sellers first.
//!
//! `recently-viewed` is kept in the shopper's browser and never reaches the server.

use axum::Json;
use axum::extract::{Path, Query, State};
use lojal::core::catalog::Intent;
use lojal::core::catalog::wire::{Recommendations, WireImage, WirePrice, WireProduct, WireRating};
use serde::Deserialize;

use crate::AppState;
use crate::calendar;
use crate::db::{Conn, DbError, Row, Value};
use crate::error::ApiError;
use crate::params;

pub const DEFAULT_LIMIT: usize = 12;
pub const MAX_LIMIT: usize = 50;
/// What "popular now" looks back on.
pub const RECENT_DAYS: u32 = 30;
/// How long a restocked product counts as "back in stock".
pub const RESTOCK_DAYS: u32 = 30;

#[derive(Debug, Deserialize)]
pub struct RecommendationParams {
    pub product_id: Option<String>,
    pub intent: Option<String>,
    pub limit: Option<String>,
    /// `for-you`: the signed-in shopper (with `x-lojal-signature`).
    pub customer_id: Option<String>,
    /// `for-you`: products she looked at lately, comma-separated, sent only with her consent.
    pub viewed: Option<String>,
    /// `cart`: the cart's product ids, comma-separated.
    pub product_ids: Option<String>,
}

/// Ids from a comma-separated list: at most 50, each 1–128 bytes, duplicates dropped.
fn id_list(raw: Option<&str>) -> Vec<String> {
    let mut ids: Vec<String> = Vec::new();
    for id in raw.unwrap_or_default().split(',').map(str::trim) {
        if (1..=128).contains(&id.len()) && !ids.iter().any(|i| i == id) && ids.len() < 50 {
            ids.push(id.to_owned());
        }
    }
    ids
}

pub async fn recommendations(
    State(state): State<AppState>,
    headers: axum::http::HeaderMap,
    Query(params): Query<RecommendationParams>,
) -> Result<Json<Recommendations>, ApiError> {
    let viewed = id_list(params.viewed.as_deref());
    let cart = id_list(params.product_ids.as_deref());
    // A signature that does not check gets the guest's rail, never someone else's.
    let shopper = params
        .customer_id
        .as_deref()
        .filter(|id| !id.is_empty())
        .filter(|id| crate::loyalty::authenticate(&state, id, &headers).is_ok())
        .map(str::to_owned);
    let (product_id, intent, limit) = check(params)?;
    let learner = state.recs.clone();
    let storefront = state.storefront_url.clone();
    let answer = state
        .db
        .run(move |conn| match intent {
            Intent::ForYou | Intent::Cart => {
                learner.catch_up(conn)?;
                let (ids, basis) = learner.with(|model, facts| match intent {
                    Intent::Cart => crate::recs::for_cart(model, facts, &cart, limit),
                    _ => crate::recs::for_you(model, facts, shopper.as_deref(), &viewed, limit),
                });
                Ok(Json(Recommendations {
                    intent: intent.as_str().to_owned(),
                    product_id: None,
                    products: products_by_id(conn, &ids)?,
                    basis: basis.iter().map(|b| b.as_str().to_owned()).collect(),
                }))
            }
            _ => recommend(conn, product_id.as_deref(), intent, limit).map(Json),
        })
        .await;
    answer.map(|Json(mut r)| {
        for product in &mut r.products {
            on_storefront(product, storefront.as_deref());
        }
        Json(r)
    })
}

/// A product's link made absolute against the storefront, when the shop has one elsewhere.
fn on_storefront(product: &mut WireProduct, storefront: Option<&str>) {
    if let Some(base) = storefront
        && product.url.starts_with('/')
    {
        product.url = format!("{}{}", base.trim_end_matches('/'), product.url);
    }
}

/// Reads `LOJAL_STOREFRONT_URL`: an absolute http(s) address.
pub fn parse_storefront(raw: &str) -> Result<String, String> {
    let raw = raw.trim();
    match lojal::core::url::safe_link(raw) {
        Some(url) if !url.starts_with('/') => Ok(url.trim_end_matches('/').to_owned()),
        _ => Err(format!(
            "{raw:?} is not an absolute http(s) address such as https://www.shop.example"
        )),
    }
}

/// The products with these ids, in this order, those in stock only.
fn products_by_id(conn: &mut Conn, ids: &[String]) -> Result<Vec<WireProduct>, ApiError> {
    let mut products = Vec::with_capacity(ids.len());
    let sql = format!("SELECT {COLUMNS} FROM products p WHERE p.id = ?1 AND p.stock > 0");
    for id in ids {
        if let Some(row) = conn.query_opt(&sql, &params![id])? {
            products.push(wire_product(&row)?);
        }
    }
    Ok(products)
}

pub async fn product(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<WireProduct>, ApiError> {
    let storefront = state.storefront_url.clone();
    state
        .db
        .run(move |conn| {
            let sql = format!("SELECT {COLUMNS} FROM products p WHERE p.id = ?1");
            let row = conn
                .query_opt(&sql, &params![id])?
                .ok_or(ApiError::UnknownProduct)?;
            let mut product = wire_product(&row)?;
            on_storefront(&mut product, storefront.as_deref());
            Ok(Json(product))
        })
        .await
}

fn check(params: RecommendationParams) -> Result<(Option<String>, Intent, usize), ApiError> {
    let invalid = |message: String| Err(ApiError::InvalidQuery(message));
    let raw_intent = params.intent.as_deref().unwrap_or("related");
    let Some(intent) = Intent::parse(raw_intent) else {
        return invalid(format!(
            "intent must be one of related, bought-together, popular, back-in-stock, for-you, cart; got {raw_intent:?}"
        ));
    };
    if intent == Intent::RecentlyViewed {
        return invalid(BROWSER_ONLY.into());
    }
    let limit = match params.limit.as_deref().map(str::trim) {
        None | Some("") => DEFAULT_LIMIT,
        Some(raw) => match raw.parse::<usize>() {
            Ok(n) if (1..=MAX_LIMIT).contains(&n) => n,
            _ => return invalid(format!("limit must be an integer from 1 to {MAX_LIMIT}")),
        },
    };
    let product_id = params
        .product_id
        .map(|id| id.trim().to_owned())
        .filter(|id| !id.is_empty());
    if product_id.as_ref().is_some_and(|id| id.len() > 128) {
        return invalid("product_id is longer than 128 bytes".into());
    }
    if product_id.is_none() && matches!(intent, Intent::BoughtTogether | Intent::Related) {
        return invalid(format!("intent {} needs a product_id", intent.as_str()));
    }
    Ok((product_id, intent, limit))
}

const BROWSER_ONLY: &str = "recently-viewed is kept in the shopper's browser, not on the server";

/// The columns [`wire_product`] reads, with `p` the products table.
const COLUMNS: &str = "p.id, p.title, p.price, p.compare_at, p.currency, p.minor_unit, p.stock, \
                       p.rating, p.rating_count, p.image, p.image_alt";

pub fn recommend(
    conn: &mut Conn,
    product_id: Option<&str>,
    intent: Intent,
    limit: usize,
) -> Result<Recommendations, ApiError> {
    if let Some(id) = product_id {
        let known = conn.query_opt("SELECT id FROM products WHERE id = ?1", &params![id])?;
        if known.is_none() {
            return Err(ApiError::UnknownProduct);
        }
    }
    let this = Value::from(product_id.unwrap_or(""));
    let limit = Value::from(limit);
    // Bound as a value rather than written as `strftime(…, 'now', …)`: PostgreSQL's stand-in for
    // it is a PL/pgSQL function, which the popular rail called once per order line (23 ms a
    // rail, measured).
    let since = |days: u32| {
        Value::from(calendar::text(calendar::plus_days(
            calendar::now(),
            -i64::from(days),
        )))
    };
    let (sql, values) = match intent {
        Intent::BoughtTogether => (
            format!(
            "SELECT {COLUMNS} FROM order_lines mine
             JOIN order_lines other ON other.order_id = mine.order_id AND other.product_id <> mine.product_id
             JOIN products p ON p.id = other.product_id
             WHERE mine.product_id = ?1
             GROUP BY p.id
             ORDER BY COUNT(*) DESC, p.stock > 0 DESC, p.title
             LIMIT ?2"
            ),
            vec![this, limit],
        ),
        Intent::Popular => (
            format!(
            "SELECT {COLUMNS} FROM products p
             LEFT JOIN order_lines l ON l.product_id = p.id
             LEFT JOIN orders o ON o.id = l.order_id
             WHERE p.id <> ?1
             GROUP BY p.id
             HAVING SUM(l.quantity) > 0
             ORDER BY SUM(CASE WHEN o.created_at >= ?3
                               THEN l.quantity ELSE 0 END) DESC,
                      SUM(l.quantity) DESC, p.title
             LIMIT ?2"
            ),
            vec![this, limit, since(RECENT_DAYS)],
        ),
        Intent::BackInStock => (
            format!(
            "SELECT {COLUMNS} FROM restock_events r
             JOIN products p ON p.id = r.product_id
             WHERE r.restocked_at >= ?3
               AND p.stock > 0 AND p.id <> ?1
             GROUP BY p.id
             ORDER BY MAX(r.restocked_at) DESC, p.title
             LIMIT ?2"
            ),
            vec![this, limit, since(RESTOCK_DAYS)],
        ),
        Intent::Related => (
            format!(
            "SELECT {COLUMNS} FROM products p
             JOIN products mine ON mine.id = ?1 AND mine.category = p.category AND p.id <> mine.id
             LEFT JOIN order_lines l ON l.product_id = p.id
             GROUP BY p.id
             ORDER BY p.stock > 0 DESC, COALESCE(SUM(l.quantity), 0) DESC, p.title
             LIMIT ?2"
            ),
            vec![this, limit],
        ),
        Intent::RecentlyViewed => return Err(ApiError::InvalidQuery(BROWSER_ONLY.into())),
        Intent::ForYou | Intent::Cart => {
            return Err(ApiError::Internal(
                "for-you and cart rails are answered by the model".into(),
            ));
        }
    };
    let products = conn
        .query(&sql, &values)?
        .iter()
        .map(wire_product)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Recommendations {
        intent: intent.as_str().to_owned(),
        product_id: product_id.map(str::to_owned),
        products,
        basis: Vec::new(),
    })
}

fn wire_product(row: &Row) -> Result<WireProduct, DbError> {
    let id: String = row.get(0)?;
    let image: Option<String> = row.get(9)?;
    let rating: Option<f64> = row.get(7)?;
    Ok(WireProduct {
        url: format!("/product.html?id={}", lojal::core::url::path_segment(&id)),
        image: image.map(|base| WireImage {
            src: format!("{base}-640.png"),
            srcset: Some(format!("{base}-320.png 320w, {base}-640.png 640w")),
            alt: row.get(10).unwrap_or_default(),
        }),
        title: row.get(1)?,
        price: WirePrice {
            amount: row.get(2)?,
            compare_at: row.get(3)?,
            currency: row.get(4)?,
            minor_unit: row.get(5)?,
            max: None,
        },
        in_stock: row.get::<i64>(6)? > 0,
        rating: rating.map(|average| WireRating {
            average: average as f32,
            count: row.get(8).unwrap_or(0),
        }),
        id,
    })
}
