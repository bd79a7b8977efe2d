//! Any shop's product JSON → [`Product`]s. A mapping says where the list is (a JSON Pointer),
//! where each field sits inside an item (pointers), and how prices are written. Merchants write
//! it as JSON, or name a preset (`shopify`, `woocommerce`, `lojal`) and override parts of it:
//!
//! ```json
//! { "preset": "shopify", "price": { "currency": "NOK" } }
//! ```
//!
//! An item that lacks a required field (id, title, url, price, currency), or has one of the wrong
//! type or with an unsafe URL, is skipped with one [`Warning`]; the rest of the rail stays.

use super::price::{self, PriceError, PriceFormat};
use super::{Image, Intent, Price, Product, Rating};
use crate::core::pointer::{Pointer, PointerError};
use crate::core::{text, url};
use serde::Deserialize;
use serde_json::{Map, Value};

/// Longest mapping configuration accepted, in bytes.
pub const MAX_CONFIG_BYTES: usize = 16 * 1024;
/// Largest response body the mapping reads; bigger ones are refused before parsing.
pub const MAX_BODY_BYTES: usize = 4 * 1024 * 1024;
/// Most items looked at in one response, however long its list.
pub const MAX_ITEMS_SCANNED: usize = 1000;
/// Most products one rail shows.
pub const MAX_PRODUCTS: usize = 200;
pub const MAX_TITLE_CHARS: usize = 120;
pub const MAX_ALT_CHARS: usize = 200;
pub const MAX_ID_CHARS: usize = 128;

/// The presets, as the JSON a merchant could have written.
pub const PRESETS: &[(&str, &str)] = &[
    ("lojal", include_str!("presets/lojal.json")),
    ("shopify", include_str!("presets/shopify.json")),
    ("woocommerce", include_str!("presets/woocommerce.json")),
];

/// A checked mapping, ready to apply to response after response.
#[derive(Clone, Debug, PartialEq)]
pub struct Mapping {
    /// Request path below the API base, with `{product_id}`, `{intent}` and `{limit}`.
    pub path: Option<String>,
    /// What each lojal intent is called by this source; `None` passes the names through.
    pub intents: Option<Vec<(Intent, String)>>,
    /// The most products the source gives in one response (a bigger `limit` is refused or cut
    /// there); `None` when it takes any number up to [`MAX_PRODUCTS`].
    pub max_limit: Option<usize>,
    list: Pointer,
    id: Pointer,
    title: Pointer,
    url: Pointer,
    image: Option<Pointer>,
    image_srcset: Option<Pointer>,
    image_alt: Option<Pointer>,
    image_widths: Option<ImageWidths>,
    in_stock: Option<Pointer>,
    rating: Option<Pointer>,
    rating_count: Option<Pointer>,
    rating_scale: f32,
    price: PriceMapping,
}

/// A `srcset` made from the image URL by a resizing CDN: `param=width` added for each width
/// (Shopify's CDN answers `?width=480` with the image 480 px wide).
#[derive(Clone, Debug, PartialEq)]
struct ImageWidths {
    param: String,
    widths: Vec<u64>,
}

#[derive(Clone, Debug, PartialEq)]
struct PriceMapping {
    amount: Pointer,
    max: Option<Pointer>,
    compare_at: Option<Pointer>,
    format: PriceFormat,
    minor_unit: FixedOr<u8>,
    currency: Option<FixedOr<String>>,
}

#[derive(Clone, Debug, PartialEq)]
enum FixedOr<T> {
    Fixed(T),
    Field(Pointer),
}

/// The configuration as written; [`Mapping::from_config`] checks every part of it.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Spec {
    path: Option<String>,
    intents: Option<Map<String, Value>>,
    list: String,
    id: String,
    title: String,
    url: String,
    image: Option<String>,
    image_srcset: Option<String>,
    image_alt: Option<String>,
    in_stock: Option<String>,
    rating: Option<String>,
    rating_count: Option<String>,
    rating_scale: Option<f32>,
    price: PriceSpec,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PriceSpec {
    amount: String,
    max: Option<String>,
    compare_at: Option<String>,
    format: PriceFormat,
    /// An integer (fixed) or a pointer to the field that holds it.
    minor_unit: Value,
    /// An ISO 4217 code (fixed) or a pointer (starts with `/`).
    currency: Option<String>,
}

/// Why a mapping configuration cannot be used.
#[derive(Clone, Debug, PartialEq)]
pub enum ConfigError {
    TooLong,
    UnknownPreset(String),
    Json(String),
    Pointer { key: String, error: PointerError },
    Invalid(String),
}

impl std::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::TooLong => write!(f, "the mapping is longer than {MAX_CONFIG_BYTES} bytes"),
            Self::UnknownPreset(name) => write!(
                f,
                "no preset is called {name:?} (there are {})",
                PRESETS
                    .iter()
                    .map(|(n, _)| *n)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            Self::Json(e) => write!(f, "the mapping is not valid: {e}"),
            Self::Pointer { key, error } => write!(f, "mapping `{key}`: {error}"),
            Self::Invalid(e) => write!(f, "mapping: {e}"),
        }
    }
}

impl std::error::Error for ConfigError {}

/// Where the shown products come from, for the request and for the results.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Context {
    /// The origin the JSON came from, when it is not the page's: relative URLs in the JSON are
    /// relative to it.
    pub origin: Option<String>,
    /// Where product pages live when that is not where the JSON came from (a headless
    /// storefront in front of a shop's API): relative product links join it instead of
    /// `origin`. Images stay with `origin`. An unsafe value is ignored.
    pub storefront: Option<String>,
    /// The currency when the mapping names none (a Shopify storefront's active currency).
    pub currency: Option<String>,
    /// The product the page shows; never recommended to itself.
    pub exclude_id: Option<String>,
    /// How many products to keep (at most [`MAX_PRODUCTS`]).
    pub limit: usize,
}

/// One item that was skipped, or shown without an optional field (or, for a stock field it
/// cannot read, as sold out).
#[derive(Clone, Debug, PartialEq)]
pub struct Warning {
    /// Position in the response's list.
    pub index: usize,
    /// The item's id, when it had a usable one.
    pub id: Option<String>,
    /// The mapping key (`url`, `price.amount`, `image`) and the pointer it read.
    pub field: String,
    /// What is wrong; for an item still shown, also how it is shown instead.
    pub problem: String,
    /// Whether the item was left out of the rail (a required field).
    pub skipped: bool,
}

impl std::fmt::Display for Warning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "item {}", self.index)?;
        if let Some(id) = &self.id {
            write!(f, " (id {id:?})")?;
        }
        write!(f, ": {} {}", self.field, self.problem)?;
        f.write_str(if self.skipped { "; skipped" } else { "" })
    }
}

/// Products read from one response, and what was wrong with the rest.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Mapped {
    pub products: Vec<Product>,
    pub warnings: Vec<Warning>,
}

/// Why a whole response is unusable.
#[derive(Clone, Debug, PartialEq)]
pub enum ResponseError {
    TooLarge(usize),
    /// Not JSON, or nested deeper than the parser allows.
    NotJson(String),
    /// The list pointer names nothing, or something other than an array.
    NoList(String),
}

impl std::fmt::Display for ResponseError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::TooLarge(n) => {
                write!(f, "the response has {n} bytes, more than {MAX_BODY_BYTES}")
            }
            Self::NotJson(e) => write!(f, "the response is not JSON: {e}"),
            Self::NoList(pointer) => write!(f, "the response has no list at {pointer:?}"),
        }
    }
}

impl std::error::Error for ResponseError {}

/// Why no request can be made for a rail.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RequestError {
    /// A custom mapping without `path`, and no `endpoint` attribute.
    NoEndpoint,
    /// The source has no way to answer this intent.
    UnsupportedIntent(&'static str),
}

impl std::fmt::Display for RequestError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::NoEndpoint => {
                f.write_str("the mapping has no `path`: set the `endpoint` attribute")
            }
            Self::UnsupportedIntent(intent) => write!(
                f,
                "this source cannot recommend `{intent}`: add it to the mapping's `intents` or set `endpoint`"
            ),
        }
    }
}

impl std::error::Error for RequestError {}

/// What a rail asks its source for.
#[derive(Clone, Debug, PartialEq)]
pub struct Query<'a> {
    pub product_id: Option<&'a str>,
    pub intent: Intent,
    pub limit: usize,
    /// `for-you`: the signed-in shopper's id (`{customer_id}`); her signature travels in a
    /// header, never in the URL.
    pub customer_id: Option<&'a str>,
    /// `for-you`: products she looked at lately, newest first (`{viewed}`), only with her
    /// consent.
    pub viewed: &'a [String],
    /// `cart`: the cart's product ids (`{product_ids}`).
    pub product_ids: &'a [String],
}

impl<'a> Query<'a> {
    /// A query for `intent` with nothing about the product or the shopper.
    pub fn new(intent: Intent, limit: usize) -> Self {
        Self {
            product_id: None,
            intent,
            limit,
            customer_id: None,
            viewed: &[],
            product_ids: &[],
        }
    }
}

impl Mapping {
    /// The mapping a preset name, a JSON mapping, or a JSON mapping with `"preset"` describes.
    pub fn from_config(config: &str) -> Result<Self, ConfigError> {
        let config = config.trim();
        if config.len() > MAX_CONFIG_BYTES {
            return Err(ConfigError::TooLong);
        }
        let mut spec = if config.starts_with('{') {
            let mut written: Value =
                crate::core::json::parse(config).map_err(|e| ConfigError::Json(e.to_string()))?;
            match written.as_object_mut().and_then(|o| o.remove("preset")) {
                Some(Value::String(name)) => {
                    let mut base = preset_json(&name)?;
                    merge(&mut base, written);
                    base
                }
                Some(_) => return Err(ConfigError::Invalid("`preset` must be a name".into())),
                None => written,
            }
        } else {
            preset_json(config)?
        };
        // Read by hand, not by `Spec`: a derived reader for each costs the bundle more.
        let mut by_hand = |key| {
            spec.as_object_mut()
                .and_then(|o| o.remove(key))
                .filter(|v| !v.is_null())
        };
        let max_limit = by_hand("max_limit");
        let image_widths = by_hand("image_widths");
        let spec: Spec =
            serde_json::from_value(spec).map_err(|e| ConfigError::Json(e.to_string()))?;
        Self::from_spec(spec, max_limit, image_widths)
    }

    /// A preset by name.
    pub fn preset(name: &str) -> Result<Self, ConfigError> {
        Self::from_config(name)
    }

    fn from_spec(
        spec: Spec,
        max_limit: Option<Value>,
        image_widths: Option<Value>,
    ) -> Result<Self, ConfigError> {
        let pointer = |key: &str, text: &str| {
            Pointer::parse(text).map_err(|error| ConfigError::Pointer {
                key: key.into(),
                error,
            })
        };
        let optional =
            |key: &str, text: &Option<String>| text.as_deref().map(|t| pointer(key, t)).transpose();
        let intents = spec
            .intents
            .map(|table| {
                table
                    .into_iter()
                    .map(|(name, value)| {
                        let intent = Intent::parse(&name).ok_or_else(|| {
                            ConfigError::Invalid(format!("`intents` names no intent {name:?}"))
                        })?;
                        match value {
                            Value::String(s) if s.len() <= 64 => Ok((intent, s)),
                            _ => Err(ConfigError::Invalid(format!(
                                "`intents.{name}` must be a short string"
                            ))),
                        }
                    })
                    .collect::<Result<Vec<_>, _>>()
            })
            .transpose()?;
        let minor_unit = match &spec.price.minor_unit {
            Value::String(p) => FixedOr::Field(pointer("price.minor_unit", p)?),
            fixed => FixedOr::Fixed(
                price::parse_exponent(fixed)
                    .map_err(|e| ConfigError::Invalid(format!("`price.minor_unit`: {e}")))?,
            ),
        };
        let currency = match spec.price.currency.as_deref() {
            None => None,
            Some(p) if p.starts_with('/') => Some(FixedOr::Field(pointer("price.currency", p)?)),
            Some(code) => Some(FixedOr::Fixed(
                price::parse_currency(code)
                    .map_err(|e| ConfigError::Invalid(format!("`price.currency`: {e}")))?,
            )),
        };
        let max_limit = max_limit
            .map(|n| {
                n.as_u64()
                    .filter(|n| *n > 0)
                    .map(|n| usize::try_from(n).unwrap_or(usize::MAX))
                    .ok_or_else(|| {
                        ConfigError::Invalid("`max_limit` must be a whole number above 0".into())
                    })
            })
            .transpose()?;
        let image_widths = image_widths
            .map(|value| {
                ImageWidths::from_config(&value).ok_or_else(|| {
                    ConfigError::Invalid(
                        "`image_widths` must be {\"param\": a name of letters, digits, - or _, \
                         \"widths\": 1–8 numbers from 1 to 9999}"
                            .into(),
                    )
                })
            })
            .transpose()?;
        let rating_scale = spec.rating_scale.unwrap_or(5.0);
        if !(rating_scale.is_finite() && rating_scale > 0.0) {
            return Err(ConfigError::Invalid(
                "`rating_scale` must be above 0".into(),
            ));
        }
        Ok(Self {
            path: spec.path,
            intents,
            max_limit,
            list: pointer("list", &spec.list)?,
            id: pointer("id", &spec.id)?,
            title: pointer("title", &spec.title)?,
            url: pointer("url", &spec.url)?,
            image: optional("image", &spec.image)?,
            image_srcset: optional("image_srcset", &spec.image_srcset)?,
            image_alt: optional("image_alt", &spec.image_alt)?,
            image_widths,
            in_stock: optional("in_stock", &spec.in_stock)?,
            rating: optional("rating", &spec.rating)?,
            rating_count: optional("rating_count", &spec.rating_count)?,
            rating_scale,
            price: PriceMapping {
                amount: pointer("price.amount", &spec.price.amount)?,
                max: optional("price.max", &spec.price.max)?,
                compare_at: optional("price.compare_at", &spec.price.compare_at)?,
                format: spec.price.format,
                minor_unit,
                currency,
            },
        })
    }

    /// The URL to fetch: `endpoint` (a full URL) when the element has one, else the mapping's
    /// `path` below `base`. `{product_id}`, `{intent}`, `{limit}`, `{customer_id}`, and the
    /// comma-separated lists `{viewed}` and `{product_ids}` are filled in, each id encoded. A
    /// query parameter whose whole value is a placeholder with nothing to fill is left out
    /// (`?product_id={product_id}&intent=popular` without a product asks `?intent=popular`).
    pub fn request_url(
        &self,
        base: &str,
        endpoint: Option<&str>,
        query: &Query,
    ) -> Result<String, RequestError> {
        let intent = match &self.intents {
            None => query.intent.as_str().to_owned(),
            Some(table) => table
                .iter()
                .find(|(i, _)| *i == query.intent)
                .map(|(_, name)| name.clone())
                .ok_or(RequestError::UnsupportedIntent(query.intent.as_str()))?,
        };
        let template = match endpoint.map(str::trim).filter(|e| !e.is_empty()) {
            Some(endpoint) => endpoint.to_owned(),
            None => url::join(base, self.path.as_deref().ok_or(RequestError::NoEndpoint)?),
        };
        let list = |ids: &[String]| {
            ids.iter()
                .map(|id| url::path_segment(id))
                .collect::<Vec<_>>()
                .join(",")
        };
        let values = [
            (
                "product_id",
                url::path_segment(query.product_id.unwrap_or("")),
            ),
            ("intent", url::path_segment(&intent)),
            ("limit", query.limit.to_string()),
            (
                "customer_id",
                url::path_segment(query.customer_id.unwrap_or("")),
            ),
            ("viewed", list(query.viewed)),
            ("product_ids", list(query.product_ids)),
        ];
        let values: Vec<(&str, &str)> = values.iter().map(|(k, v)| (*k, v.as_str())).collect();
        Ok(crate::core::i18n::fill(
            &without_empty_parameters(&template, &values),
            &values,
        ))
    }

    /// Reads a response body into products.
    pub fn apply_body(&self, body: &str, context: &Context) -> Result<Mapped, ResponseError> {
        if body.len() > MAX_BODY_BYTES {
            return Err(ResponseError::TooLarge(body.len()));
        }
        let document: Value =
            crate::core::json::parse(body).map_err(|e| ResponseError::NotJson(e.to_string()))?;
        self.apply(&document, context)
    }

    /// Reads a parsed response into products, skipping broken items.
    pub fn apply(&self, document: &Value, context: &Context) -> Result<Mapped, ResponseError> {
        let items = self
            .list
            .resolve(document)
            .and_then(Value::as_array)
            .ok_or_else(|| ResponseError::NoList(self.list.to_string()))?;
        let limit = context.limit.clamp(1, MAX_PRODUCTS);
        let mut mapped = Mapped::default();
        for (index, item) in items.iter().enumerate().take(MAX_ITEMS_SCANNED) {
            if mapped.products.len() >= limit {
                break;
            }
            match self.product(item, context) {
                Ok((product, dropped)) => {
                    if context.exclude_id.as_deref() == Some(product.id.as_str())
                        || mapped.products.iter().any(|p| p.id == product.id)
                    {
                        continue;
                    }
                    if let Some((field, problem)) = dropped {
                        mapped.warnings.push(Warning {
                            index,
                            id: Some(product.id.clone()),
                            field,
                            problem,
                            skipped: false,
                        });
                    }
                    mapped.products.push(product);
                }
                Err((field, problem)) => mapped.warnings.push(Warning {
                    index,
                    id: self.id(item).ok(),
                    field,
                    problem,
                    skipped: true,
                }),
            }
        }
        Ok(mapped)
    }

    fn id(&self, item: &Value) -> Result<String, String> {
        let id = match self.id.resolve(item) {
            Some(Value::String(s)) => s.trim().to_owned(),
            Some(Value::Number(n)) if n.is_u64() || n.is_i64() => n.to_string(),
            None | Some(Value::Null) => return Err("is missing".into()),
            Some(_) => return Err("must be a string or an integer".into()),
        };
        if id.is_empty() || id.chars().count() > MAX_ID_CHARS || id.chars().any(char::is_control) {
            return Err(format!(
                "must be 1–{MAX_ID_CHARS} characters without controls"
            ));
        }
        Ok(id)
    }

    /// One product, and the first optional field that had to be left out; or the required field
    /// that makes the item unusable.
    #[allow(clippy::type_complexity)]
    fn product(
        &self,
        item: &Value,
        context: &Context,
    ) -> Result<(Product, Option<(String, String)>), (String, String)> {
        let at = |key: &str, pointer: &Pointer| format!("`{key}` ({pointer})");
        let id = self.id(item).map_err(|e| (at("id", &self.id), e))?;
        let title = match self.title.resolve(item) {
            Some(Value::String(s)) => text::clean(s, MAX_TITLE_CHARS),
            None | Some(Value::Null) => {
                return Err((at("title", &self.title), "is missing".into()));
            }
            Some(_) => return Err((at("title", &self.title), "must be a string".into())),
        };
        if title.is_empty() {
            return Err((at("title", &self.title), "is empty".into()));
        }
        let links_base = context
            .storefront
            .as_deref()
            .filter(|base| url::safe_link(base).is_some_and(|b| !b.starts_with('/')))
            .or(context.origin.as_deref());
        let url = match self.url.resolve(item) {
            Some(Value::String(s)) => url::safe_resource(s, links_base).ok_or_else(|| {
                (
                    at("url", &self.url),
                    "is not an http(s) URL or a path".into(),
                )
            })?,
            None | Some(Value::Null) => return Err((at("url", &self.url), "is missing".into())),
            Some(_) => return Err((at("url", &self.url), "must be a string".into())),
        };
        let price = self.price(item, context)?;

        let mut dropped = None;
        let mut note = |key: &str, pointer: &Pointer, problem: &str| {
            dropped.get_or_insert_with(|| (at(key, pointer), problem.to_owned()));
        };
        // Claiming a product can be bought when the shop said something else is the worse
        // mistake: a stock field there but unreadable counts as sold out. No field: in stock.
        let in_stock = match self.in_stock.as_ref() {
            None => true,
            Some(p) => match present(p.resolve(item)) {
                None => true,
                Some(Value::Bool(b)) => *b,
                Some(Value::Number(n)) => n.as_f64().is_some_and(|n| n > 0.0),
                Some(v) => match v.as_str().map(|s| s.trim().to_ascii_lowercase()).as_deref() {
                    Some("true" | "1" | "instock" | "in_stock" | "onbackorder") => true,
                    Some("false" | "0" | "outofstock" | "out_of_stock") => false,
                    _ => {
                        note(
                            "in_stock",
                            p,
                            "must be a boolean, a count or instock/outofstock; shown as sold out",
                        );
                        false
                    }
                },
            },
        };
        let image = self
            .image
            .as_ref()
            .and_then(|p| match present(p.resolve(item)) {
                None => None,
                Some(Value::String(s)) => {
                    let src = url::safe_resource(s, context.origin.as_deref());
                    if src.is_none() {
                        note(
                            "image",
                            p,
                            "is not an http(s) URL or a path; shown without it",
                        );
                    }
                    src
                }
                Some(_) => {
                    note("image", p, "must be a string; shown without it");
                    None
                }
            });
        let image = image.map(|src| {
            // The shop's own srcset field (named in a warning when nothing in it is safe), else
            // one made from the image URL for a resizing CDN.
            let (candidates, from_field) = match &self.image_srcset {
                Some(p) => match present(p.resolve(item)) {
                    None => (None, None),
                    Some(Value::String(s)) => (Some(s.clone()), Some(p)),
                    Some(_) => {
                        note("image_srcset", p, "must be a string; shown without it");
                        (None, None)
                    }
                },
                None => (
                    self.image_widths.as_ref().and_then(|w| w.candidates(&src)),
                    None,
                ),
            };
            // Made from the checked image URL or not, every candidate is checked again.
            let srcset = candidates.and_then(|c| url::safe_srcset(&c, context.origin.as_deref()));
            if let (None, Some(p)) = (&srcset, from_field) {
                note("image_srcset", p, "has no safe candidate; shown without it");
            }
            Image {
                srcset,
                src,
                alt: self
                    .image_alt
                    .as_ref()
                    .and_then(|p| p.resolve(item))
                    .and_then(Value::as_str)
                    .map(|s| text::clean(s, MAX_ALT_CHARS))
                    .unwrap_or_default(),
            }
        });
        let rating = self.rating.as_ref().and_then(|p| {
            let average = match present(p.resolve(item)) {
                None => return None,
                Some(Value::Number(n)) => n.as_f64(),
                Some(Value::String(s)) => s.trim().parse::<f64>().ok(),
                Some(_) => None,
            };
            let scale = f64::from(self.rating_scale);
            match average.filter(|a| a.is_finite() && (0.0..=scale).contains(a)) {
                // No reviews yet: WooCommerce says "0".
                Some(0.0) => None,
                Some(a) => Some(Rating {
                    average: (a / scale * 5.0) as f32,
                    count: self
                        .rating_count
                        .as_ref()
                        .and_then(|p| p.resolve(item))
                        .and_then(|v| match v {
                            Value::Number(n) => n.as_u64(),
                            Value::String(s) => s.trim().parse().ok(),
                            _ => None,
                        })
                        .and_then(|n| u32::try_from(n).ok()),
                }),
                None => {
                    note(
                        "rating",
                        p,
                        "must be a number from 0 to `rating_scale`; shown without it",
                    );
                    None
                }
            }
        });
        Ok((
            Product {
                id,
                title,
                url,
                image,
                price,
                in_stock,
                rating,
            },
            dropped,
        ))
    }

    fn price(&self, item: &Value, context: &Context) -> Result<Price, (String, String)> {
        let spec = &self.price;
        let at = |key: &str, pointer: &Pointer| format!("`{key}` ({pointer})");
        let exponent = match &spec.minor_unit {
            FixedOr::Fixed(n) => *n,
            FixedOr::Field(p) => p
                .resolve(item)
                .ok_or_else(|| (at("price.minor_unit", p), "is missing".to_owned()))
                .and_then(|v| {
                    price::parse_exponent(v).map_err(|e| (at("price.minor_unit", p), e.to_string()))
                })?,
        };
        let currency = match &spec.currency {
            Some(FixedOr::Fixed(code)) => code.clone(),
            Some(FixedOr::Field(p)) => match p.resolve(item) {
                Some(Value::String(s)) => price::parse_currency(s)
                    .map_err(|e| (at("price.currency", p), e.to_string()))?,
                _ => {
                    return Err((
                        at("price.currency", p),
                        "must be a three-letter ISO 4217 code".into(),
                    ));
                }
            },
            None => context
                .currency
                .as_deref()
                .and_then(|c| price::parse_currency(c).ok())
                .ok_or_else(|| {
                    (
                        "`price.currency`".to_owned(),
                        "is not in the mapping, and the page names no currency".to_owned(),
                    )
                })?,
        };
        let read = |p: &Pointer| -> Result<i64, PriceError> {
            match p.resolve(item) {
                Some(v) => price::parse_amount(v, spec.format, exponent),
                None => Err(PriceError::WrongType("a price")),
            }
        };
        let amount = read(&spec.amount).map_err(|e| {
            let problem = match spec.amount.resolve(item) {
                None | Some(Value::Null) => "is missing".to_owned(),
                _ => e.to_string(),
            };
            (at("price.amount", &spec.amount), problem)
        })?;
        // Optional amounts: absent, null, "" or not above the price mean there is none to show.
        let above = |p: &Option<Pointer>| {
            p.as_ref()
                .filter(|p| present(p.resolve(item)).is_some())
                .and_then(|p| read(p).ok())
                .filter(|a| *a > amount)
        };
        Ok(Price {
            currency,
            exponent,
            amount,
            max: above(&spec.max),
            compare_at: above(&spec.compare_at),
        })
    }
}

impl ImageWidths {
    fn from_config(value: &Value) -> Option<Self> {
        let object = value.as_object().filter(|o| o.len() == 2)?;
        let param = object.get("param")?.as_str().filter(|p| {
            !p.is_empty()
                && p.len() <= 32
                && p.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-_".contains(&b))
        })?;
        let widths = object.get("widths")?.as_array()?;
        if !(1..=8).contains(&widths.len()) {
            return None;
        }
        let widths = widths
            .iter()
            .map(|w| w.as_u64().filter(|w| (1..=9999).contains(w)))
            .collect::<Option<_>>()?;
        Some(Self {
            param: param.to_owned(),
            widths,
        })
    }

    /// One `srcset` candidate per width for `src`; `None` when a width cannot be added (`#`
    /// would put it in the fragment) or the candidates not be told apart (`,` separates them).
    fn candidates(&self, src: &str) -> Option<String> {
        if src.bytes().any(|b| b == b'#' || b == b',') {
            return None;
        }
        let join = if src.contains('?') { '&' } else { '?' };
        let candidates: Vec<String> = self
            .widths
            .iter()
            .map(|w| format!("{src}{join}{}={w} {w}w", self.param))
            .collect();
        Some(candidates.join(", "))
    }
}

/// `template` without the query parameters whose whole value is a placeholder that `values`
/// fills with nothing.
fn without_empty_parameters(template: &str, values: &[(&str, &str)]) -> String {
    let Some((path, rest)) = template.split_once('?') else {
        return template.to_owned();
    };
    let (query, fragment) = match rest.find('#') {
        Some(i) => rest.split_at(i),
        None => (rest, ""),
    };
    let empty = |pair: &str| {
        pair.split_once('=')
            .and_then(|(_, value)| value.strip_prefix('{')?.strip_suffix('}'))
            .is_some_and(|name| values.iter().any(|(k, v)| *k == name && v.is_empty()))
    };
    let kept: Vec<&str> = query.split('&').filter(|pair| !empty(pair)).collect();
    let query = kept.join("&");
    let mark = if query.is_empty() { "" } else { "?" };
    format!("{path}{mark}{query}{fragment}")
}

/// A value that is there: not missing, not `null`, not `""`.
fn present(value: Option<&Value>) -> Option<&Value> {
    value.filter(|v| !v.is_null() && v.as_str().is_none_or(|s| !s.trim().is_empty()))
}

fn preset_json(name: &str) -> Result<Value, ConfigError> {
    let name = name.trim();
    let (_, json) = PRESETS
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .ok_or_else(|| ConfigError::UnknownPreset(name.into()))?;
    crate::core::json::parse(json).map_err(|e| ConfigError::Json(format!("preset {name}: {e}")))
}

/// Overrides `base` with `over`, object by object: `{"price": {"currency": "NOK"}}` changes the
/// currency and keeps the preset's other price keys.
fn merge(base: &mut Value, over: Value) {
    match (base, over) {
        (Value::Object(base), Value::Object(over)) => {
            for (key, value) in over {
                match base.get_mut(&key) {
                    Some(existing) => merge(existing, value),
                    None => {
                        base.insert(key, value);
                    }
                }
            }
        }
        (base, over) => *base = over,
    }
}

#[cfg(test)]
mod tests;
