//! A `<lojal-carousel>`'s attributes, read strictly but forgivingly: a typo falls back to the
//! default and is reported once, so a rail still shows.

use super::Intent;
use super::mapping::MAX_PRODUCTS;

pub const DEFAULT_LIMIT: usize = 12;
/// The fastest auto-rotation allowed: slower than this, a slide can be read before it moves.
pub const MIN_ROTATE_SECONDS: u32 = 3;
/// Where the page's `lojal.viewed(product)` keeps recently viewed products.
pub const RECENTLY_VIEWED_KEY: &str = "lojal:recently-viewed";
/// The mapping for those snapshots: the reference API's product shape, as a bare list.
pub const RECENTLY_VIEWED_MAPPING: &str = r#"{"preset": "lojal", "list": ""}"#;

#[derive(Clone, Debug, PartialEq)]
pub struct RailSettings {
    pub intent: Intent,
    pub limit: usize,
    pub product_id: Option<String>,
    /// Seconds between automatic moves; `None` (the default) never moves by itself.
    pub rotate_seconds: Option<u32>,
}

impl RailSettings {
    /// Reads `intent`, `limit`, `product-id` and `auto-rotate`; each problem found is described
    /// in the returned list and the default used instead.
    pub fn from_attributes(
        intent: Option<&str>,
        limit: Option<&str>,
        product_id: Option<&str>,
        auto_rotate: Option<&str>,
    ) -> (Self, Vec<String>) {
        let mut problems = Vec::new();
        let product_id = product_id
            .map(str::trim)
            .filter(|id| !id.is_empty() && id.len() <= 128 && !id.contains(char::is_control))
            .map(str::to_owned);
        let default_intent = if product_id.is_some() {
            Intent::Related
        } else {
            Intent::Popular
        };
        let intent = match intent.map(str::trim).filter(|i| !i.is_empty()) {
            None => default_intent,
            Some(raw) => Intent::parse(raw).unwrap_or_else(|| {
                problems.push(format!(
                    "intent {raw:?} is not one of {}; using {}",
                    Intent::ALL.map(Intent::as_str).join(", "),
                    default_intent.as_str()
                ));
                default_intent
            }),
        };
        let limit = match limit.map(str::trim).filter(|l| !l.is_empty()) {
            None => DEFAULT_LIMIT,
            Some(raw) => match raw.parse::<usize>() {
                Ok(n) if (1..=MAX_PRODUCTS).contains(&n) => n,
                _ => {
                    problems.push(format!(
                        "limit {raw:?} is not a whole number from 1 to {MAX_PRODUCTS}; using {DEFAULT_LIMIT}"
                    ));
                    DEFAULT_LIMIT
                }
            },
        };
        let rotate_seconds = match auto_rotate.map(str::trim) {
            None | Some("") | Some("false") | Some("0") => None,
            Some(raw) => match raw.parse::<u32>() {
                Ok(n) => Some(n.max(MIN_ROTATE_SECONDS)),
                Err(_) => {
                    problems.push(format!(
                        "auto-rotate {raw:?} is not a number of seconds; not rotating"
                    ));
                    None
                }
            },
        };
        if product_id.is_none() && matches!(intent, Intent::BoughtTogether | Intent::Related) {
            problems.push(format!("intent {} needs a product-id", intent.as_str()));
        }
        (
            Self {
                intent,
                limit,
                product_id,
                rotate_seconds,
            },
            problems,
        )
    }
}

/// `scheme://host[:port]` of an absolute http(s) URL; `None` for a path.
pub fn origin_of(url: &str) -> Option<&str> {
    let scheme_end = url.find("://")?;
    let scheme = &url[..scheme_end];
    if !scheme.eq_ignore_ascii_case("http") && !scheme.eq_ignore_ascii_case("https") {
        return None;
    }
    let host_start = scheme_end + 3;
    let host_end = url[host_start..]
        .find(['/', '?', '#'])
        .map_or(url.len(), |i| host_start + i);
    (host_end > host_start).then(|| &url[..host_end])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::catalog::mapping::Mapping;

    #[test]
    fn attributes_fall_back_to_defaults_with_one_problem_each() {
        let (s, problems) = RailSettings::from_attributes(None, None, None, None);
        assert_eq!(
            s,
            RailSettings {
                intent: Intent::Popular,
                limit: 12,
                product_id: None,
                rotate_seconds: None
            }
        );
        assert!(problems.is_empty());

        let (s, problems) =
            RailSettings::from_attributes(Some("bought-together"), Some("8"), Some(" p-1 "), None);
        assert_eq!(
            (s.intent, s.limit, s.product_id.as_deref()),
            (Intent::BoughtTogether, 8, Some("p-1"))
        );
        assert!(problems.is_empty());

        let (s, problems) =
            RailSettings::from_attributes(Some("upsell"), Some("999"), Some("p-1"), Some("fast"));
        assert_eq!(
            (s.intent, s.limit, s.rotate_seconds),
            (Intent::Related, 12, None)
        );
        assert_eq!(problems.len(), 3, "{problems:?}");
        assert!(
            problems[0].starts_with("intent \"upsell\" is not one of related, bought-together")
        );

        let (s, problems) =
            RailSettings::from_attributes(Some("related"), Some("200"), None, Some("1"));
        assert_eq!((s.limit, s.rotate_seconds), (200, Some(MIN_ROTATE_SECONDS)));
        assert_eq!(problems, ["intent related needs a product-id"]);
        assert_eq!(
            RailSettings::from_attributes(None, Some("0"), None, Some("0"))
                .0
                .rotate_seconds,
            None
        );
    }

    #[test]
    fn origins_of_absolute_urls() {
        assert_eq!(
            origin_of("https://a.example/x?y"),
            Some("https://a.example")
        );
        assert_eq!(
            origin_of("http://127.0.0.1:8080"),
            Some("http://127.0.0.1:8080")
        );
        assert_eq!(origin_of("HTTPS://A.example#x"), Some("HTTPS://A.example"));
        assert_eq!(origin_of("/api/v1"), None);
        assert_eq!(origin_of("javascript://x"), None);
        assert_eq!(origin_of("https:///x"), None);
    }

    #[test]
    fn recently_viewed_snapshots_go_through_the_lojal_preset() {
        let mapping = Mapping::from_config(RECENTLY_VIEWED_MAPPING).unwrap();
        let stored = r#"[
            {"id": "p-marius", "title": "Marius-lue", "url": "/product.html?id=p-marius", "image": null,
             "price": {"amount": 34900, "currency": "NOK", "minor_unit": 2, "compare_at": null, "max": null},
             "in_stock": true, "rating": null},
            {"id": "p-evil", "title": "x", "url": "javascript:alert(1)", "price": {"amount": 1, "currency": "NOK", "minor_unit": 2}}
        ]"#;
        let mapped = mapping
            .apply_body(
                stored,
                &crate::core::catalog::mapping::Context {
                    limit: 10,
                    ..Default::default()
                },
            )
            .unwrap();
        assert_eq!(mapped.products.len(), 1);
        assert_eq!(mapped.warnings.len(), 1);
    }
}
