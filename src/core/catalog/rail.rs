//! A `<lojal-carousel>`'s attributes, read strictly but forgivingly: a typo falls back to the
//! default and is reported once, so a rail still shows.

use super::Intent;
use super::mapping::{MAX_ID_CHARS, MAX_PRODUCTS, Mapping};
use crate::core::config::{Identity, InvalidIdentity};

pub const DEFAULT_LIMIT: usize = 12;
/// The fastest auto-rotation allowed: slower than this, a slide can be read before it moves.
pub const MIN_ROTATE_SECONDS: u32 = 3;
/// Where the page's `lojal.viewed(product)` keeps recently viewed products.
pub const RECENTLY_VIEWED_KEY: &str = "lojal:recently-viewed";
/// The mapping for those snapshots: the reference API's product shape, as a bare list.
/// The browser's own list answers any number of products.
pub const RECENTLY_VIEWED_MAPPING: &str = r#"{"preset": "lojal", "list": "", "max_limit": null}"#;
/// Most ids one rail sends of the shopper's views or the cart's products (the reference API
/// reads 50; the browser keeps 20 views).
pub const MAX_SENT_IDS: usize = 50;

#[derive(Clone, Debug, PartialEq)]
pub struct RailSettings {
    pub intent: Intent,
    /// The `limit` attribute, when it is a usable number; see [`RailSettings::limit_for`].
    pub limit: Option<usize>,
    pub product_id: Option<String>,
    /// Seconds between automatic moves; `None` (the default) never moves by itself.
    pub rotate_seconds: Option<u32>,
    /// What a `for-you` or `cart` rail tells its source about the shopper; see
    /// [`Shopper::for_intent`].
    pub shopper: Shopper,
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
            None => None,
            Some(raw) => match raw.parse::<usize>() {
                Ok(n) if (1..=MAX_PRODUCTS).contains(&n) => Some(n),
                _ => {
                    problems.push(format!(
                        "limit {raw:?} is not a whole number from 1 to {MAX_PRODUCTS}; using the default"
                    ));
                    None
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
                shopper: Shopper::default(),
            },
            problems,
        )
    }

    /// How many products to ask `mapping`'s source for: the `limit` attribute, or
    /// [`DEFAULT_LIMIT`], but never more than the source's `max_limit`, which would refuse or cut
    /// the request. A `limit` above it is lowered with the returned problem; the default is
    /// lowered silently.
    pub fn limit_for(&self, mapping: &Mapping) -> (usize, Option<String>) {
        let max = mapping.max_limit.unwrap_or(MAX_PRODUCTS);
        match self.limit {
            Some(asked) if asked > max => (
                max,
                Some(format!(
                    "limit {asked} is more than this source gives (max_limit {max}); using {max}"
                )),
            ),
            asked => (asked.unwrap_or(DEFAULT_LIMIT).min(max), None),
        }
    }
}

/// What a `for-you` or `cart` rail tells its source about the shopper, read from the element's
/// attributes. Every other intent sends nothing about her.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Shopper {
    /// `for-you`: her id and the shop's signature of it (`customer-id`, `customer-sig`).
    pub customer: Option<(String, String)>,
    /// `cart`: the cart's product ids (`product-ids`, comma-separated).
    pub cart: Vec<String>,
}

impl Shopper {
    /// Reads what `intent` needs: a `for-you` rail her identity (one that cannot be used is
    /// reported and she is asked for as a guest, so she gets the guest's rail, never another
    /// shopper's), a `cart` rail the ids in `product_ids`.
    pub fn for_intent(
        intent: Intent,
        identity: Result<Identity, InvalidIdentity>,
        product_ids: Option<&str>,
    ) -> (Self, Option<String>) {
        match intent {
            Intent::ForYou => match identity {
                Ok(Identity::Customer { id, signature }) => (
                    Self {
                        customer: Some((id, signature)),
                        ..Self::default()
                    },
                    None,
                ),
                Ok(Identity::Guest) => (Self::default(), None),
                Err(invalid) => (
                    Self::default(),
                    Some(format!("{invalid}; recommending as for a guest")),
                ),
            },
            Intent::Cart => (
                Self {
                    cart: id_list(product_ids.unwrap_or_default().split(',')),
                    ..Self::default()
                },
                None,
            ),
            _ => (Self::default(), None),
        }
    }
}

/// The ids of the products `viewed` (what `lojal.viewed()` kept: a JSON list of product
/// snapshots, newest first), for a `for-you` rail to send with the shopper's consent. Ids only:
/// nothing else of the snapshots leaves the browser. Anything unreadable is no views.
pub fn viewed_ids(stored: &str) -> Vec<String> {
    let Ok(serde_json::Value::Array(items)) = crate::core::json::parse(stored) else {
        return Vec::new();
    };
    id_list(
        items
            .iter()
            .filter_map(|item| item.get("id")?.as_str())
            .take(MAX_SENT_IDS),
    )
}

/// Usable ids, in order, each once: trimmed, 1 to [`MAX_ID_CHARS`] bytes, no control
/// characters; at most [`MAX_SENT_IDS`].
fn id_list<'a>(ids: impl Iterator<Item = &'a str>) -> Vec<String> {
    let mut list: Vec<String> = Vec::new();
    for id in ids.map(str::trim) {
        let usable = (1..=MAX_ID_CHARS).contains(&id.len()) && !id.contains(char::is_control);
        if usable && !list.iter().any(|i| i == id) && list.len() < MAX_SENT_IDS {
            list.push(id.to_owned());
        }
    }
    list
}

/// Whether a request to `url` may carry the shopper's signature: only to the lojal API
/// (`api`) or the page's own origin, never to a third party's endpoint. Both absolute.
pub fn may_carry_signature(url: &str, api: &str, page: Option<&str>) -> bool {
    let same = |a: Option<&str>, b: Option<&str>| matches!((a, b), (Some(a), Some(b)) if a.eq_ignore_ascii_case(b));
    let to = origin_of(url);
    same(to, origin_of(api)) || same(to, page.and_then(origin_of))
}

/// Where a rail scrolls so that slide `target` is wholly in view when the keyboard focuses it.
/// `slides` are each slide's start and width in the rail's scroll coordinates; `view` is the
/// rail's width and `max` its furthest scroll. The rail snaps slides' starts under its padding,
/// so the snap positions are the starts less the first one's. It stays at `current` while the
/// slide is whole in view, else moves to the nearest snap position that shows it whole (a
/// browser's "nearest" scroll may snap back to one that hides part of it), or aligns its start
/// when it is wider than the rail.
pub fn scroll_to_show(
    slides: &[(f64, f64)],
    target: usize,
    current: f64,
    view: f64,
    max: f64,
) -> f64 {
    let (Some(&(first, _)), Some(&(start, width))) = (slides.first(), slides.get(target)) else {
        return current;
    };
    // Half a pixel either way: layouts in rem land on fractions.
    let shows = |at: f64| start - at >= -0.5 && start + width - at <= view + 0.5;
    if shows(current) {
        return current;
    }
    let snap = |start: f64| (start - first).clamp(0.0, max.max(0.0));
    slides
        .iter()
        .map(|&(start, _)| snap(start))
        .filter(|&at| shows(at))
        .min_by(|a, b| (a - current).abs().total_cmp(&(b - current).abs()))
        .unwrap_or_else(|| snap(start))
}

/// The first of `count` slides wholly in view at scroll position `current` in a rail `view`
/// wide, or `None` when the first slide starting in view is cut at the far edge (or there is
/// none). `span(i)` gives slide `i`'s start and width in scroll coordinates, slides in order;
/// it is asked about O(log count) slides, so a rail of 200 can ask on every scroll event.
pub fn first_whole(
    count: usize,
    span: impl Fn(usize) -> (f64, f64),
    current: f64,
    view: f64,
) -> Option<usize> {
    let (mut low, mut high) = (0, count);
    while low < high {
        let middle = low + (high - low) / 2;
        if span(middle).0 - current < -0.5 {
            low = middle + 1;
        } else {
            high = middle;
        }
    }
    (low < count).then_some(low).filter(|&i| {
        let (start, width) = span(i);
        start + width - current <= view + 0.5
    })
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
    fn a_focused_slide_is_scrolled_wholly_into_view_to_a_snap_position() {
        // Twelve 192 px slides 16 px apart behind 4 px of padding, in a 747 px rail: 3.6 in view.
        let slides: Vec<(f64, f64)> = (0..12)
            .map(|i| (4.0 + 208.0 * f64::from(i), 192.0))
            .collect();
        let max = 12.0 * 208.0 - 16.0 + 8.0 - 747.0;
        let cases = [
            // (target, current) → where to
            ((0, 0.0), 0.0),
            ((2, 0.0), 0.0),
            // Slide 3 is cut at the right edge: one slide on, not back to 0 (what "nearest" did).
            ((3, 0.0), 208.0),
            ((5, 208.0), 624.0),
            // Going back left: the nearest snap that shows it, not all the way to its start.
            ((2, 624.0), 416.0),
            ((0, 624.0), 0.0),
            // The last slides snap to the end of the rail.
            ((11, 0.0), max),
            ((9, max), max),
        ];
        for ((target, current), expected) in cases {
            let at = scroll_to_show(&slides, target, current, 747.0, max);
            assert_eq!(at, expected, "slide {target} from {current}");
        }
        // A slide wider than the rail gets its start aligned.
        let wide = [(4.0, 900.0), (920.0, 900.0)];
        assert_eq!(scroll_to_show(&wide, 1, 0.0, 747.0, 1077.0), 916.0);
        assert_eq!(scroll_to_show(&[], 0, 5.0, 747.0, 0.0), 5.0);
    }

    #[test]
    fn the_first_slide_wholly_in_view_is_found_by_halving() {
        // The same twelve slides in the same rail.
        let slides: Vec<(f64, f64)> = (0..12)
            .map(|i| (4.0 + 208.0 * f64::from(i), 192.0))
            .collect();
        let asked = std::cell::Cell::new(0);
        let span = |i: usize| {
            asked.set(asked.get() + 1);
            slides[i]
        };
        let cases = [
            // current → first slide wholly in view (half a pixel either way counts as in view)
            (0.0, Some(0)),
            (4.5, Some(0)),
            (5.0, Some(1)),
            (208.0, Some(1)),
            (300.0, Some(2)),
            // The last snap position shows slides 9 to 11.
            (1737.0, Some(9)),
            // Past the last slide's start: none starts in view.
            (2500.0, None),
        ];
        for (current, expected) in cases {
            asked.set(0);
            assert_eq!(first_whole(12, span, current, 747.0), expected, "{current}");
            assert!(asked.get() <= 5, "{} slides looked at", asked.get());
        }
        // A slide wider than the rail is never wholly in view.
        assert_eq!(first_whole(1, |_| (4.0, 900.0), 0.0, 747.0), None);
        assert_eq!(first_whole(0, |_| unreachable!(), 0.0, 747.0), None);
    }

    #[test]
    fn attributes_fall_back_to_defaults_with_one_problem_each() {
        let (s, problems) = RailSettings::from_attributes(None, None, None, None);
        assert_eq!(
            s,
            RailSettings {
                intent: Intent::Popular,
                limit: None,
                product_id: None,
                rotate_seconds: None,
                shopper: Shopper::default(),
            }
        );
        assert!(problems.is_empty());

        let (s, problems) =
            RailSettings::from_attributes(Some("bought-together"), Some("8"), Some(" p-1 "), None);
        assert_eq!(
            (s.intent, s.limit, s.product_id.as_deref()),
            (Intent::BoughtTogether, Some(8), Some("p-1"))
        );
        assert!(problems.is_empty());

        let (s, problems) =
            RailSettings::from_attributes(Some("upsell"), Some("999"), Some("p-1"), Some("fast"));
        assert_eq!(
            (s.intent, s.limit, s.rotate_seconds),
            (Intent::Related, None, None)
        );
        assert_eq!(problems.len(), 3, "{problems:?}");
        assert!(
            problems[0].starts_with("intent \"upsell\" is not one of related, bought-together")
        );

        let (s, problems) =
            RailSettings::from_attributes(Some("related"), Some("200"), None, Some("1"));
        assert_eq!(
            (s.limit, s.rotate_seconds),
            (Some(200), Some(MIN_ROTATE_SECONDS))
        );
        assert_eq!(problems, ["intent related needs a product-id"]);
        assert_eq!(
            RailSettings::from_attributes(None, Some("0"), None, Some("0"))
                .0
                .rotate_seconds,
            None
        );
    }

    #[test]
    fn the_limit_asked_for_is_lowered_to_what_the_source_gives_with_one_problem() {
        let custom = r#"{"list": "", "id": "/id", "title": "/t", "url": "/u", "price": {"amount": "/p", "format": "minor", "minor_unit": 2}}"#;
        // (mapping, `limit` attribute, products asked for, problem)
        let cases: &[(&str, Option<&str>, usize, Option<&str>)] = &[
            // The reference API refuses more than 50 (422), so the rail would not show.
            ("lojal", None, 12, None),
            ("lojal", Some("50"), 50, None),
            (
                "lojal",
                Some("60"),
                50,
                Some("limit 60 is more than this source gives (max_limit 50); using 50"),
            ),
            // Shopify's recommendations give at most 10: the default asks for that, quietly.
            ("shopify", None, 10, None),
            ("shopify", Some("8"), 8, None),
            ("shopify", Some("10"), 10, None),
            (
                "shopify",
                Some("12"),
                10,
                Some("limit 12 is more than this source gives (max_limit 10); using 10"),
            ),
            // WooCommerce's Store API: per_page at most 100.
            ("woocommerce", Some("100"), 100, None),
            (
                "woocommerce",
                Some("200"),
                100,
                Some("limit 200 is more than this source gives (max_limit 100); using 100"),
            ),
            // A limit that is no number is reported by from_attributes; the default is used.
            ("shopify", Some("viele"), 10, None),
            // Without `max_limit` any limit the rail takes is asked for.
            (custom, Some("200"), 200, None),
            (
                r#"{"preset": "lojal", "max_limit": null}"#,
                Some("200"),
                200,
                None,
            ),
            (
                r#"{"preset": "shopify", "max_limit": 4}"#,
                Some("5"),
                4,
                Some("limit 5 is more than this source gives (max_limit 4); using 4"),
            ),
            (RECENTLY_VIEWED_MAPPING, Some("60"), 60, None),
        ];
        for &(config, attribute, asked, problem) in cases {
            let mapping = Mapping::from_config(config).unwrap();
            let (settings, _) =
                RailSettings::from_attributes(Some("popular"), attribute, None, None);
            assert_eq!(
                settings.limit_for(&mapping),
                (asked, problem.map(str::to_owned)),
                "{config} with limit {attribute:?}"
            );
        }
        for max in ["0", "-1", "2.5", "\"50\"", "[50]"] {
            assert_eq!(
                Mapping::from_config(&format!(r#"{{"preset": "lojal", "max_limit": {max}}}"#))
                    .unwrap_err()
                    .to_string(),
                "mapping: `max_limit` must be a whole number above 0",
                "{max}"
            );
        }
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
    fn only_for_you_and_cart_rails_say_anything_about_the_shopper() {
        const SIG: &str =
            "t=1764000000,v1=0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0";
        let ingrid = || Identity::from_attributes(Some("c-1001"), Some(SIG));
        let signed = Shopper {
            customer: Some(("c-1001".into(), SIG.into())),
            cart: Vec::new(),
        };
        let cart = |ids: &[&str]| Shopper {
            customer: None,
            cart: ids.iter().map(|s| s.to_string()).collect(),
        };
        let too_long = "x".repeat(129);
        let many: String = (0..80).map(|i| format!("p{i},")).collect();
        let hostile = format!("ok,{too_long},bad\u{7},8012345600000");
        type Case<'a> = (
            Intent,
            Result<Identity, InvalidIdentity>,
            Option<&'a str>,
            Shopper,
            Option<&'a str>,
        );
        let cases: Vec<Case> = vec![
            (Intent::ForYou, ingrid(), None, signed.clone(), None),
            // A guest on a for-you rail: the fallbacks, asked for without an id.
            (
                Intent::ForYou,
                Ok(Identity::Guest),
                None,
                Shopper::default(),
                None,
            ),
            (
                Intent::ForYou,
                Identity::from_attributes(Some("c-1001"), Some("forged")),
                None,
                Shopper::default(),
                Some(
                    "`customer-sig` must be `t=<unix seconds>,v1=<hex HMAC-SHA256 of '<customer-id>.<t>'>`, rendered by the shop's server for every page; recommending as for a guest",
                ),
            ),
            // The cart's ids go to a cart rail only; the identity never does.
            (
                Intent::Cart,
                ingrid(),
                Some(" p-setesdal, p-marius,,p-setesdal "),
                cart(&["p-setesdal", "p-marius"]),
                None,
            ),
            (Intent::Cart, ingrid(), None, cart(&[]), None),
            (
                Intent::Cart,
                Ok(Identity::Guest),
                Some(&hostile),
                cart(&["ok", "8012345600000"]),
                None,
            ),
            (
                Intent::Popular,
                ingrid(),
                Some("p-setesdal"),
                Shopper::default(),
                None,
            ),
            (Intent::Related, ingrid(), None, Shopper::default(), None),
        ];
        for (intent, identity, ids, expected, problem) in cases {
            assert_eq!(
                Shopper::for_intent(intent, identity, ids),
                (expected, problem.map(str::to_owned)),
                "{intent:?} {ids:?}"
            );
        }
        let (at_most, _) = Shopper::for_intent(Intent::Cart, Ok(Identity::Guest), Some(&many));
        assert_eq!(at_most.cart.len(), MAX_SENT_IDS);
        assert_eq!(at_most.cart[49], "p49");
    }

    #[test]
    fn only_the_ids_of_viewed_products_are_sent() {
        let stored = r#"[
            {"id": "p-fana", "title": "Garnpakke", "url": "/product.html?id=p-fana", "price": {}},
            {"id": "p-selbu"}, {"id": 42}, {"title": "no id"}, "p-loose", {"id": "p-fana"},
            {"id": " p-marius "}
        ]"#;
        assert_eq!(viewed_ids(stored), ["p-fana", "p-selbu", "p-marius"]);
        for broken in ["", "{}", "null", "[", r#"{"id": "p-fana"}"#] {
            assert_eq!(viewed_ids(broken), Vec::<String>::new(), "{broken:?}");
        }
        let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
        assert_eq!(viewed_ids(&deep), Vec::<String>::new());
    }

    #[test]
    fn the_signature_goes_to_the_lojal_api_or_the_page_only() {
        let api = "https://shop.example/api/v1";
        let page = Some("https://www.nordlys.example");
        let cases = [
            (
                "https://shop.example/api/v1/recommendations?intent=for-you",
                true,
            ),
            ("HTTPS://SHOP.EXAMPLE/other/path", true),
            ("https://www.nordlys.example/apps/recs?c=1", true),
            ("https://recs.third-party.example/r?c=c-1001", false),
            ("https://shop.example.evil.example/api/v1", false),
            ("http://shop.example/api/v1/recommendations", false),
            ("/relative/before/resolving", false),
        ];
        for (url, expected) in cases {
            assert_eq!(may_carry_signature(url, api, page), expected, "{url}");
        }
        assert!(!may_carry_signature(
            "https://www.nordlys.example/x",
            api,
            None
        ));
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
