//! The mapping and its presets on fixtures written from the platforms' documentation
//! (`tests/fixtures/`), and on hostile items: nothing unsafe reaches a [`Product`], and nothing
//! panics.

use super::*;
use crate::core::catalog::wire::{Recommendations, WireImage, WirePrice, WireProduct, WireRating};
use serde_json::json;

const SHOPIFY: &str = include_str!("../../../../tests/fixtures/shopify-recommendations.json");
const WOOCOMMERCE: &str = include_str!("../../../../tests/fixtures/woocommerce-products.json");
const HOSTILE: &str = include_str!("../../../../tests/fixtures/hostile-products.json");
const HOSTILE_SHOPIFY: &str = include_str!("../../../../tests/fixtures/hostile-shopify.json");

fn context(limit: usize) -> Context {
    Context {
        limit,
        ..Context::default()
    }
}

/// A shop whose Shopify prices are in kroner (the recommendations JSON names no currency).
fn in_nok(limit: usize) -> Context {
    Context {
        currency: Some("NOK".into()),
        ..context(limit)
    }
}

fn nok(amount: i64, exponent: u8) -> Price {
    Price {
        currency: "NOK".into(),
        exponent,
        amount,
        max: None,
        compare_at: None,
    }
}

/// What must hold for every product, whatever the shop sent.
fn assert_safe(product: &Product) {
    let safe = |u: &str| {
        (u.starts_with("https://") || u.starts_with("http://") || u.starts_with('/'))
            && !u.starts_with("//")
            && !u.contains(|c: char| c.is_control() || c.is_whitespace() || c == '\\')
            && u.len() <= url::MAX_URL_BYTES
    };
    assert!(safe(&product.url), "url {:?}", product.url);
    if let Some(image) = &product.image {
        assert!(safe(&image.src), "image {:?}", image.src);
        for candidate in image.srcset.iter().flat_map(|s| s.split(", ")) {
            let url = candidate.split(' ').next().unwrap_or_default();
            assert!(safe(url), "srcset candidate {candidate:?}");
        }
        assert!(image.alt.chars().count() <= MAX_ALT_CHARS + 1);
    }
    for text in [&product.title, &product.id] {
        assert!(!text.is_empty());
        assert!(!text.contains(|c: char| c.is_control()), "{text:?}");
        assert!(
            !text.contains(['\u{202e}', '\u{202d}', '\u{2066}', '\u{2067}', '\u{2068}']),
            "{text:?}"
        );
    }
    assert!(product.title.chars().count() <= MAX_TITLE_CHARS + 1);
    assert_eq!(product.price.currency.len(), 3);
    assert!(
        product
            .price
            .currency
            .bytes()
            .all(|b| b.is_ascii_uppercase())
    );
    assert!(product.price.exponent <= price::MAX_EXPONENT);
    assert!((0..=price::MAX_MINOR).contains(&product.price.amount));
    assert!(product.price.max.is_none_or(|m| m > product.price.amount));
    assert!(
        product
            .price
            .compare_at
            .is_none_or(|c| c > product.price.amount)
    );
    if let Some(r) = &product.rating {
        assert!((0.0..=5.0).contains(&r.average), "{r:?}");
    }
}

#[test]
fn the_shopify_preset_reads_recommendations_products_json() {
    let mapping = Mapping::preset("shopify").unwrap();
    let context = in_nok(10);
    let mapped = mapping.apply_body(SHOPIFY, &context).unwrap();
    assert_eq!(mapped.warnings, vec![]);
    let products = &mapped.products;
    assert_eq!(products.len(), 4);
    products.iter().for_each(assert_safe);

    let lue = &products[0];
    assert_eq!(lue.id, "8012345678901");
    assert_eq!(lue.title, "Marius-lue");
    assert!(lue.url.starts_with("/products/marius-lue?pr_prod_strat="));
    let image = lue.image.as_ref().unwrap();
    // Shopify sends protocol-relative image URLs.
    assert_eq!(
        image.src,
        "https://cdn.shopify.com/s/files/1/0612/3456/7890/files/marius-lue.png?v=1727777777"
    );
    assert_eq!(image.alt, "Rød Marius-lue på en hvit bakgrunn");
    // Shopify's CDN resizes on `width=`: phones get a small picture, not the 1200 px original.
    assert_eq!(
        image.srcset.as_deref(),
        Some(
            "https://cdn.shopify.com/s/files/1/0612/3456/7890/files/marius-lue.png?v=1727777777&width=240 240w, \
             https://cdn.shopify.com/s/files/1/0612/3456/7890/files/marius-lue.png?v=1727777777&width=360 360w, \
             https://cdn.shopify.com/s/files/1/0612/3456/7890/files/marius-lue.png?v=1727777777&width=480 480w, \
             https://cdn.shopify.com/s/files/1/0612/3456/7890/files/marius-lue.png?v=1727777777&width=720 720w"
        )
    );
    assert_eq!(
        lue.price,
        Price {
            compare_at: Some(44900),
            ..nok(34900, 2)
        }
    );
    assert!(lue.in_stock);
    assert_eq!(lue.rating, None);

    // A product with variants at different prices shows a range; `compare_at_price: null`
    // and `media[0].alt: null` are simply absent.
    let votter = &products[1];
    assert_eq!(
        votter.price,
        Price {
            max: Some(52900),
            ..nok(44900, 2)
        }
    );
    assert_eq!(votter.image.as_ref().unwrap().alt, "");
    assert!(!products[2].in_stock, "available: false is sold out");
    assert_eq!(products[3].image, None, "featured_image: null");
}

#[test]
fn shopify_amounts_are_hundredths_even_for_currencies_without_minor_units() {
    // Shopify writes 1 500 yen as 150000: the preset's minor-unit count is fixed at 2.
    let mapping =
        Mapping::from_config(r#"{"preset": "shopify", "price": {"currency": "JPY"}}"#).unwrap();
    let mapped = mapping.apply_body(SHOPIFY, &context(1)).unwrap();
    let price = &mapped.products[0].price;
    assert_eq!(
        (price.currency.as_str(), price.amount, price.exponent),
        ("JPY", 34900, 2)
    );
    assert_eq!(price.major(price.amount), 349.0);
}

#[test]
fn without_a_currency_shopify_items_are_skipped_with_one_warning_each() {
    let mapped = Mapping::preset("shopify")
        .unwrap()
        .apply_body(SHOPIFY, &context(10))
        .unwrap();
    assert_eq!(mapped.products, vec![]);
    assert_eq!(mapped.warnings.len(), 4);
    assert_eq!(
        mapped.warnings[0].to_string(),
        "item 0 (id \"8012345678901\"): `price.currency` is not in the mapping, and the page \
         names no currency; skipped"
    );
}

#[test]
fn the_woocommerce_preset_reads_the_store_api_product_list() {
    let mapping = Mapping::preset("woocommerce").unwrap();
    let mapped = mapping.apply_body(WOOCOMMERCE, &context(10)).unwrap();
    assert_eq!(mapped.warnings, vec![]);
    let products = &mapped.products;
    assert_eq!(products.len(), 4);
    products.iter().for_each(assert_safe);

    let genser = &products[0];
    assert_eq!(genser.id, "412");
    // Names arrive with HTML entities.
    assert_eq!(genser.title, "Setesdal-genser – marineblå");
    assert_eq!(
        genser.url,
        "https://strikk.example/produkt/setesdal-genser/"
    );
    // This shop is set to whole kroner: currency_minor_unit 0, "1899" is 1 899 kr.
    assert_eq!(
        genser.price,
        Price {
            compare_at: Some(2199),
            ..nok(1899, 0)
        }
    );
    assert_eq!(genser.price.major(genser.price.amount), 1899.0);
    let image = genser.image.as_ref().unwrap();
    assert_eq!(
        image.src,
        "https://strikk.example/wp-content/uploads/2026/10/setesdal-genser.png"
    );
    assert_eq!(
        image.srcset.as_deref(),
        Some(
            "https://strikk.example/wp-content/uploads/2026/10/setesdal-genser.png 640w, \
             https://strikk.example/wp-content/uploads/2026/10/setesdal-genser-324x405.png 324w, \
             https://strikk.example/wp-content/uploads/2026/10/setesdal-genser-100x125.png 100w"
        )
    );
    assert_eq!(image.alt, "Marineblå Setesdal-genser med lus");
    let rating = genser.rating.as_ref().unwrap();
    assert!((rating.average - 4.67).abs() < 1e-6);
    assert_eq!(rating.count, Some(12));

    let garn = &products[1];
    assert_eq!(garn.title, "Garnpakke «Fana»");
    assert_eq!(
        garn.price,
        Price {
            max: Some(749),
            ..nok(549, 0)
        },
        "a variable product's price_range"
    );
    assert!(!products[2].in_stock);
    assert_eq!(products[3].title, "Strikkepinner & målband");
    assert_eq!(products[3].image, None, "images: []");
    assert_eq!(
        products[3].rating, None,
        "average_rating \"0\" means no reviews"
    );
}

#[test]
fn the_lojal_preset_reads_what_the_reference_api_writes() {
    let wire = Recommendations {
        intent: "bought-together".into(),
        product_id: Some("p-setesdal".into()),
        products: vec![WireProduct {
            id: "p-marius".into(),
            title: "Marius-lue".into(),
            url: "/product.html?id=p-marius".into(),
            image: Some(WireImage {
                src: "/img/products/p-marius-640.png".into(),
                srcset: Some(
                    "/img/products/p-marius-320.png 320w, /img/products/p-marius-640.png 640w"
                        .into(),
                ),
                alt: "Rød Marius-lue".into(),
            }),
            price: WirePrice {
                amount: 34900,
                currency: "NOK".into(),
                minor_unit: 2,
                compare_at: Some(44900),
                max: None,
            },
            in_stock: true,
            rating: Some(WireRating {
                average: 4.5,
                count: 31,
            }),
        }],
        basis: Vec::new(),
    };
    let body = serde_json::to_string(&wire).unwrap();
    let mapped = Mapping::preset("lojal")
        .unwrap()
        .apply_body(&body, &context(12))
        .unwrap();
    assert_eq!(mapped.warnings, vec![]);
    assert_eq!(
        mapped.products,
        vec![Product {
            id: "p-marius".into(),
            title: "Marius-lue".into(),
            url: "/product.html?id=p-marius".into(),
            image: Some(Image {
                src: "/img/products/p-marius-640.png".into(),
                srcset: Some(
                    "/img/products/p-marius-320.png 320w, /img/products/p-marius-640.png 640w"
                        .into()
                ),
                alt: "Rød Marius-lue".into(),
            }),
            price: Price {
                compare_at: Some(44900),
                ..nok(34900, 2)
            },
            in_stock: true,
            rating: Some(Rating {
                average: 4.5,
                count: Some(31)
            }),
        }]
    );
}

#[test]
fn hostile_items_are_neutralised_or_skipped_one_warning_each() {
    let mapping = Mapping::preset("woocommerce").unwrap();
    let mapped = mapping.apply_body(HOSTILE, &context(200)).unwrap();
    mapped.products.iter().for_each(assert_safe);
    let shown: Vec<(&str, &str)> = mapped
        .products
        .iter()
        .map(|p| (p.id.as_str(), p.title.as_str()))
        .collect();
    assert_eq!(
        shown,
        vec![
            // Text stays text: the view puts it in a text node, where it is harmless.
            ("1", "<script>alert(1)</script>Genser"),
            ("5", "Vare 5"),
            ("6", "Vare 6"),
            ("13", "Vare 13"),
            ("14", "Vare 14"),
            ("15", "<b>Fet</b> lue"),
            ("16", "Genser kr 001"),
            ("18", "Vare 18"),
            ("23", "Vare 23"),
        ]
    );
    let by_id = |id: &str| mapped.products.iter().find(|p| p.id == id).unwrap();
    assert_eq!(by_id("5").image, None, "a data: image is dropped");
    let six = by_id("6").image.clone().unwrap();
    assert_eq!(
        six.srcset.as_deref(),
        Some("https://strikk.example/img/6-2x.png 2x")
    );
    assert_eq!(six.alt, "<img src=x onerror=alert(1)>");
    assert_eq!(by_id("13").url, "https://evil.example/phish");
    assert_eq!(by_id("14").rating, None, "a rating of 99 of 5 is dropped");
    assert!(
        !by_id("18").in_stock,
        "is_in_stock: \"yes please\" is no boolean: not claimed to be in stock"
    );
    assert!(by_id("1").in_stock);

    let warnings: Vec<(usize, Option<&str>, &str, bool)> = mapped
        .warnings
        .iter()
        .map(|w| (w.index, w.id.as_deref(), w.field.as_str(), w.skipped))
        .collect();
    assert_eq!(
        warnings,
        vec![
            (1, Some("2"), "`url` (/permalink)", true),
            (2, Some("3"), "`url` (/permalink)", true),
            (3, Some("4"), "`url` (/permalink)", true),
            (4, Some("5"), "`image` (/images/0/src)", false),
            (6, Some("7"), "`price.amount` (/prices/price)", true),
            (7, Some("8"), "`title` (/name)", true),
            (8, None, "`id` (/id)", true),
            (
                9,
                Some("10"),
                "`price.minor_unit` (/prices/currency_minor_unit)",
                true
            ),
            (
                10,
                Some("11"),
                "`price.currency` (/prices/currency_code)",
                true
            ),
            (
                11,
                Some("12"),
                "`price.minor_unit` (/prices/currency_minor_unit)",
                true
            ),
            (13, Some("14"), "`rating` (/average_rating)", false),
            (16, None, "`id` (/id)", true),
            (17, None, "`id` (/id)", true),
            (18, None, "`id` (/id)", true),
            (19, Some("17"), "`price.amount` (/prices/price)", true),
            (21, Some("18"), "`in_stock` (/is_in_stock)", false),
            (22, Some("19"), "`title` (/name)", true),
            (23, Some("20"), "`title` (/name)", true),
            (24, Some("21"), "`title` (/name)", true),
            (25, Some("22"), "`url` (/permalink)", true),
        ]
    );
    assert_eq!(
        mapped.warnings[0].to_string(),
        "item 1 (id \"2\"): `url` (/permalink) is not an http(s) URL or a path; skipped"
    );
}

#[test]
fn hostile_shopify_items_are_neutralised_or_skipped_one_warning_each() {
    let mapping = Mapping::preset("shopify").unwrap();
    let context = in_nok(200);
    let mapped = mapping.apply_body(HOSTILE_SHOPIFY, &context).unwrap();
    mapped.products.iter().for_each(assert_safe);
    let ids: Vec<&str> = mapped.products.iter().map(|p| p.id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "9001", "9004", "9005", "9009", "9010", "9013", "9016", "9017", "9018", "9019", "9020",
            "9021", "9022", "9023", "9025"
        ],
        "the second 9001 is a duplicate, left out"
    );
    let by_id = |id: &str| mapped.products.iter().find(|p| p.id == id).unwrap();
    let image = |id: &str| by_id(id).image.clone();

    let first = by_id("9001");
    assert_eq!(first.title, "<script>alert(1)</script>Marius-lue");
    let first_image = image("9001").unwrap();
    assert_eq!(first_image.alt, "<img src=x onerror=alert(1)>");
    assert_eq!(
        first_image.srcset.as_deref().map(|s| s.split(", ").count()),
        Some(4)
    );
    assert_eq!(
        image("9004"),
        None,
        "featured_image: javascript: is dropped"
    );
    assert_eq!(image("9005"), None, "featured_image: data: is dropped");
    assert_eq!(image("9009").unwrap().alt, "", "media: a string, no alt");
    assert_eq!(image("9010").unwrap().alt, "Et objekt, ikke en liste");
    let cut = |title: &str| title.ends_with('…') && title.chars().count() <= MAX_TITLE_CHARS + 1;
    assert!(cut(&by_id("9013").title), "{}", by_id("9013").title);
    // A stock field that is no boolean, count or stock status is not read as "in stock".
    let stock = ["9016", "9017", "9018", "9020"].map(|id| by_id(id).in_stock);
    assert_eq!(stock, [false, false, false, true]);
    assert_eq!(
        image("9019"),
        None,
        "a featured_image with spaces is dropped"
    );
    // Non-ASCII in the URL is kept (the browser encodes it); the widths are the mapping's.
    assert_eq!(
        image("9020").unwrap().srcset.as_deref(),
        Some(
            "https://cdn.shopify.com/s/files/lue-ø.png?width=240 240w, \
             https://cdn.shopify.com/s/files/lue-ø.png?width=360 360w, \
             https://cdn.shopify.com/s/files/lue-ø.png?width=480 480w, \
             https://cdn.shopify.com/s/files/lue-ø.png?width=720 720w"
        )
    );
    assert_eq!(
        by_id("9021").price,
        nok(44900, 2),
        "a string price_max and an object compare_at_price are no price"
    );
    assert_eq!(
        by_id("9022").title,
        "Lue kr 001",
        "bidi overrides are removed"
    );
    assert_eq!(image("9023"), None, "featured_image: a number");
    // A comma or a fragment in the image URL: the image, but no widths added to it.
    let comma = image("9025").unwrap();
    assert_eq!(
        (comma.src.as_str(), comma.srcset),
        ("https://cdn.shopify.com/s/files/lue,rød.png#forside", None)
    );

    let warnings: Vec<(usize, Option<&str>, &str, bool)> = mapped
        .warnings
        .iter()
        .map(|w| (w.index, w.id.as_deref(), w.field.as_str(), w.skipped))
        .collect();
    assert_eq!(
        warnings,
        [
            (1, Some("9002"), "`url` (/url)", true),
            (2, Some("9003"), "`url` (/url)", true),
            (3, Some("9004"), "`image` (/featured_image)", false),
            (4, Some("9005"), "`image` (/featured_image)", false),
            (5, Some("9006"), "`price.amount` (/price)", true),
            (6, Some("9007"), "`price.amount` (/price)", true),
            (7, Some("9008"), "`price.amount` (/price)", true),
            (10, Some("9011"), "`title` (/title)", true),
            (11, Some("9012"), "`title` (/title)", true),
            (13, None, "`id` (/id)", true),
            (14, None, "`id` (/id)", true),
            (15, Some("9016"), "`in_stock` (/available)", false),
            (17, Some("9018"), "`in_stock` (/available)", false),
            (18, None, "`id` (/id)", true),
            (19, None, "`id` (/id)", true),
            (20, None, "`id` (/id)", true),
            (21, Some("9019"), "`image` (/featured_image)", false),
            (26, Some("9023"), "`image` (/featured_image)", false),
            (27, None, "`id` (/id)", true),
            (28, Some("9024"), "`url` (/url)", true),
        ]
    );
    let text = |index: usize| {
        mapped
            .warnings
            .iter()
            .find(|w| w.index == index)
            .unwrap()
            .to_string()
    };
    assert_eq!(
        text(5),
        "item 5 (id \"9006\"): `price.amount` (/price) expected an integer of minor units; skipped"
    );
    assert_eq!(
        text(15),
        "item 15 (id \"9016\"): `in_stock` (/available) must be a boolean, a count or \
         instock/outofstock; shown as sold out"
    );
    assert_eq!(
        text(3),
        "item 3 (id \"9004\"): `image` (/featured_image) is not an http(s) URL or a path; shown \
         without it"
    );

    // A 1 MB title is cut like any other.
    let mut body: Value = serde_json::from_str(HOSTILE_SHOPIFY).unwrap();
    body["products"][12]["title"] = Value::String("Lue ".repeat(1 << 18));
    let long = mapping.apply(&body, &context).unwrap();
    let title = &long.products.iter().find(|p| p.id == "9013").unwrap().title;
    assert!(cut(title) && title.starts_with("Lue Lue "), "{title}");

    // With a srcset field mapped, its candidates are checked one by one (`320ẃ` and `２x` are no
    // descriptors), and the widths are not used instead.
    let with_srcset = Mapping::from_config(
        r#"{"preset": "shopify", "image_srcset": "/srcset", "price": {"currency": "NOK"}}"#,
    )
    .unwrap()
    .apply_body(HOSTILE_SHOPIFY, &context)
    .unwrap();
    let srcsets: Vec<(&str, Option<&str>)> = with_srcset
        .products
        .iter()
        .filter_map(|p| Some((p.id.as_str(), p.image.as_ref()?.srcset.as_deref())))
        .filter(|(_, srcset)| srcset.is_some())
        .collect();
    assert_eq!(srcsets, []);
    let srcset_warnings: Vec<String> = with_srcset
        .warnings
        .iter()
        .filter(|w| w.field.starts_with("`image_srcset`"))
        .map(ToString::to_string)
        .collect();
    assert_eq!(
        srcset_warnings,
        ["item 22 (id \"9020\"): `image_srcset` (/srcset) has no safe candidate; shown without it"]
    );
}

#[test]
fn huge_strings_are_cut_or_refused_and_nothing_panics() {
    let huge = "x".repeat(1_000_000);
    let body = json!([
        { "id": 1, "name": huge, "permalink": "/p/1", "prices": {"price": "100", "currency_code": "NOK", "currency_minor_unit": 2}},
        { "id": 2, "name": "Lang lenke", "permalink": format!("https://a.example/{huge}"), "prices": {"price": "100", "currency_code": "NOK", "currency_minor_unit": 2}},
        { "id": huge, "name": "Lang id", "permalink": "/p/3", "prices": {"price": "100", "currency_code": "NOK", "currency_minor_unit": 2}},
        { "id": 4, "name": "Langt bilde", "permalink": "/p/4", "images": [{"src": format!("/{huge}"), "srcset": huge, "alt": huge}], "prices": {"price": "100", "currency_code": "NOK", "currency_minor_unit": 2}},
        { "id": 5, "name": "Stor pris", "permalink": "/p/5", "prices": {"price": "9".repeat(400), "currency_code": "NOK", "currency_minor_unit": 2}}
    ]);
    let mapped = Mapping::preset("woocommerce")
        .unwrap()
        .apply(&body, &context(10))
        .unwrap();
    mapped.products.iter().for_each(assert_safe);
    let ids: Vec<&str> = mapped.products.iter().map(|p| p.id.as_str()).collect();
    assert_eq!(ids, ["1", "4"]);
    assert_eq!(
        mapped.products[0].title.chars().count(),
        MAX_TITLE_CHARS + 1
    );
    assert_eq!(mapped.products[1].image, None);
    let skipped: Vec<&str> = mapped
        .warnings
        .iter()
        .filter(|w| w.skipped)
        .map(|w| w.field.as_str())
        .collect();
    assert_eq!(
        skipped,
        [
            "`url` (/permalink)",
            "`id` (/id)",
            "`price.amount` (/prices/price)"
        ]
    );
}

#[test]
fn deep_nesting_and_oversized_bodies_are_refused_whole_without_panicking() {
    let mapping = Mapping::preset("woocommerce").unwrap();
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    assert!(matches!(
        mapping.apply_body(&deep, &context(10)),
        Err(ResponseError::NotJson(_))
    ));
    let deep_object = format!("{}1{}", r#"{"a":"#.repeat(5_000), "}".repeat(5_000));
    assert!(matches!(
        mapping.apply_body(&deep_object, &context(10)),
        Err(ResponseError::NotJson(_))
    ));
    let big = format!("[\"{}\"]", "x".repeat(MAX_BODY_BYTES));
    assert_eq!(
        mapping.apply_body(&big, &context(10)),
        Err(ResponseError::TooLarge(big.len()))
    );
    assert!(matches!(
        mapping.apply_body("<html>502 Bad Gateway</html>", &context(10)),
        Err(ResponseError::NotJson(_))
    ));
    // Nesting the parser allows, inside an item, is a wrong type for that field.
    let nested_title = format!("{}\"Lue\"{}", "[".repeat(100), "]".repeat(100));
    let body = format!(
        r#"[{{"id": 1, "name": {nested_title}, "permalink": "/p/1", "prices": {{"price": "1", "currency_code": "NOK", "currency_minor_unit": 2}}}}]"#
    );
    let mapped = mapping.apply_body(&body, &context(10)).unwrap();
    assert_eq!(mapped.products, vec![]);
    assert_eq!(mapped.warnings[0].problem, "must be a string");
}

#[test]
fn a_list_pointer_that_names_no_array_fails_the_whole_response() {
    let mapping = Mapping::preset("shopify").unwrap();
    for body in [
        r#"{"products": {"0": {}}}"#,
        r#"{"items": []}"#,
        "[]",
        "null",
    ] {
        assert_eq!(
            mapping.apply_body(body, &context(10)),
            Err(ResponseError::NoList("/products".into())),
            "{body}"
        );
    }
    let empty = mapping
        .apply_body(r#"{"products": []}"#, &context(10))
        .unwrap();
    assert_eq!(empty, Mapped::default());
}

#[test]
fn limits_the_current_product_and_duplicates_shape_the_rail() {
    let items: Vec<Value> = (0..5000)
        .map(|i| json!({"id": i % 300, "title": format!("Vare {i}"), "url": format!("/p/{i}"), "price": {"amount": 100, "currency": "NOK", "minor_unit": 2}, "in_stock": true}))
        .collect();
    let body = json!({ "products": items });
    let mapping = Mapping::preset("lojal").unwrap();
    let mapped = mapping
        .apply(
            &body,
            &Context {
                exclude_id: Some("0".into()),
                ..context(10_000)
            },
        )
        .unwrap();
    assert_eq!(mapped.products.len(), MAX_PRODUCTS);
    assert_eq!(
        mapped.products[0].id, "1",
        "the page's own product is left out"
    );
    let few = mapping.apply(&body, &context(3)).unwrap();
    assert_eq!(few.products.len(), 3);
    // Never more than MAX_ITEMS_SCANNED items are looked at: 300 distinct ids, all in the first
    // thousand, so a rail of 1000 asked still stops at MAX_PRODUCTS.
    assert!(mapped.warnings.is_empty());
}

#[test]
fn a_custom_mapping_reads_decimal_prices_with_a_fixed_currency() {
    let config = r#"{
        "path": "/feeds/anbefalt.json?vare={product_id}",
        "list": "/data/items",
        "id": "/sku",
        "title": "/navn",
        "url": "/lenke",
        "image": "/bilde/url",
        "in_stock": "/lager",
        "rating": "/score",
        "rating_scale": 10,
        "price": { "amount": "/pris", "compare_at": "/førpris", "format": "decimal", "minor_unit": 2, "currency": "NOK" }
    }"#;
    let mapping = Mapping::from_config(config).unwrap();
    let body = json!({"data": {"items": [
        {"sku": "NS-1", "navn": "Fana-kofte", "lenke": "/p/fana", "bilde": {"url": "//bilder.example/fana.jpg"}, "lager": "outofstock", "score": 9, "pris": "1899.00", "førpris": "2199.5"},
        {"sku": "NS-2", "navn": "Lue", "lenke": "/p/lue", "lager": 3, "pris": 349, "førpris": null}
    ]}});
    let mapped = mapping
        .apply(
            &body,
            &Context {
                origin: Some("https://api.strikk.example".into()),
                ..context(10)
            },
        )
        .unwrap();
    assert_eq!(mapped.warnings, vec![]);
    let fana = &mapped.products[0];
    assert_eq!(fana.url, "https://api.strikk.example/p/fana");
    assert_eq!(
        fana.image.as_ref().unwrap().src,
        "https://bilder.example/fana.jpg"
    );
    assert!(!fana.in_stock);
    assert_eq!(fana.rating.as_ref().unwrap().average, 4.5);
    assert_eq!(
        fana.price,
        Price {
            compare_at: Some(219950),
            ..nok(189900, 2)
        }
    );
    assert!(mapped.products[1].in_stock);
    assert_eq!(mapped.products[1].price, nok(34900, 2));
    assert_eq!(
        mapping.request_url(
            "/api/v1",
            None,
            &Query {
                product_id: Some("NS 1/ø"),
                ..Query::new(Intent::Related, 4)
            }
        ),
        Ok("/api/v1/feeds/anbefalt.json?vare=NS%201%2F%C3%B8".into())
    );
}

#[test]
fn request_urls_follow_the_preset_or_the_endpoint() {
    let query = |intent, limit| Query {
        product_id: Some("p-setesdal"),
        ..Query::new(intent, limit)
    };
    let lojal = Mapping::preset("lojal").unwrap();
    assert_eq!(
        lojal.request_url("/api/v1", None, &query(Intent::BoughtTogether, 8)),
        Ok("/api/v1/recommendations?product_id=p-setesdal&intent=bought-together&limit=8".into())
    );
    assert_eq!(
        lojal.request_url(
            "/api/v1",
            Some("https://recs.example/r?p={product_id}&n={limit}&i={intent}"),
            &Query {
                product_id: Some("a b&c"),
                ..query(Intent::Popular, 3)
            }
        ),
        Ok("https://recs.example/r?p=a%20b%26c&n=3&i=popular".into())
    );
    let shopify = Mapping::preset("shopify").unwrap();
    assert_eq!(
        shopify.request_url("", None, &query(Intent::Related, 10)),
        Ok("/recommendations/products.json?product_id=p-setesdal&limit=10&intent=related".into())
    );
    assert_eq!(
        shopify.request_url("", None, &query(Intent::BoughtTogether, 4)),
        Ok(
            "/recommendations/products.json?product_id=p-setesdal&limit=4&intent=complementary"
                .into()
        )
    );
    assert_eq!(
        shopify.request_url("", None, &query(Intent::Popular, 4)),
        Err(RequestError::UnsupportedIntent("popular"))
    );
    let woo = Mapping::preset("woocommerce").unwrap();
    assert_eq!(
        woo.request_url(
            "https://strikk.example",
            None,
            &Query {
                product_id: None,
                ..query(Intent::Popular, 12)
            }
        ),
        Ok(
            "https://strikk.example/wp-json/wc/store/v1/products?per_page=12&orderby=popularity"
                .into()
        ),
        "a parameter with nothing to fill is left out"
    );
    let custom = Mapping::from_config(
        r#"{"list": "", "id": "/id", "title": "/t", "url": "/u", "price": {"amount": "/p", "format": "minor", "minor_unit": 2}}"#,
    )
    .unwrap();
    assert_eq!(
        custom.request_url("/api/v1", None, &query(Intent::Related, 4)),
        Err(RequestError::NoEndpoint)
    );
    assert_eq!(
        custom.request_url(
            "/api/v1",
            Some("/static/recs.json"),
            &query(Intent::Related, 4)
        ),
        Ok("/static/recs.json".into())
    );
}

#[test]
fn for_you_and_cart_requests_name_the_shopper_the_views_and_the_cart() {
    let lojal = Mapping::preset("lojal").unwrap();
    let viewed = ["p-fana".to_owned(), "p,selbu".to_owned()];
    let cart = ["p-setesdal".to_owned(), "8012 3".to_owned()];
    let cases = [
        (
            Query {
                customer_id: Some("c-1001"),
                viewed: &viewed,
                ..Query::new(Intent::ForYou, 12)
            },
            "/api/v1/recommendations?intent=for-you&limit=12&customer_id=c-1001&viewed=p-fana,p%2Cselbu",
        ),
        // A guest without consent: nothing about her at all.
        (
            Query::new(Intent::ForYou, 12),
            "/api/v1/recommendations?intent=for-you&limit=12",
        ),
        (
            Query {
                product_ids: &cart,
                ..Query::new(Intent::Cart, 8)
            },
            "/api/v1/recommendations?intent=cart&limit=8&product_ids=p-setesdal,8012%203",
        ),
        (
            Query {
                product_id: Some("p-setesdal"),
                ..Query::new(Intent::BoughtTogether, 8)
            },
            "/api/v1/recommendations?product_id=p-setesdal&intent=bought-together&limit=8",
        ),
    ];
    for (query, expected) in cases {
        assert_eq!(
            lojal.request_url("/api/v1", None, &query),
            Ok(expected.to_owned())
        );
    }
    // Any endpoint can take them; only whole-placeholder values are ever left out.
    let endpoint =
        "https://recs.example/for/{customer_id}?seen={viewed}&cart=[{product_ids}]&x=#top";
    assert_eq!(
        lojal.request_url(
            "",
            Some(endpoint),
            &Query {
                viewed: &viewed,
                ..Query::new(Intent::ForYou, 4)
            }
        ),
        Ok("https://recs.example/for/?seen=p-fana,p%2Cselbu&cart=[]&x=#top".into())
    );
    assert_eq!(
        lojal.request_url(
            "",
            Some("/r?a={product_id}"),
            &Query::new(Intent::Popular, 4)
        ),
        Ok("/r".into())
    );
}

#[test]
fn image_widths_make_a_srcset_when_the_mapping_reads_none() {
    let config = |extra: &str| {
        format!(
            r#"{{"list": "", "id": "/id", "title": "/t", "url": "/u", "image": "/img", {extra}
                "price": {{"amount": "/p", "format": "minor", "minor_unit": 2, "currency": "NOK"}}}}"#
        )
    };
    let widths = config(r#""image_widths": {"param": "w", "widths": [200, 400]},"#);
    let srcset = |config: &str, img: &str| {
        let body =
            json!([{"id": 1, "t": "Lue", "u": "/p/1", "p": 100, "img": img, "set": "/a.png 1x"}]);
        let mapped = Mapping::from_config(config)
            .unwrap()
            .apply(
                &body,
                &Context {
                    origin: Some("https://api.example".into()),
                    ..context(1)
                },
            )
            .unwrap();
        mapped.products[0].image.clone().unwrap().srcset
    };
    let cases: &[(&str, &str, Option<&str>)] = &[
        (
            &widths,
            "/a.png",
            Some("https://api.example/a.png?w=200 200w, https://api.example/a.png?w=400 400w"),
        ),
        (
            &widths,
            "//cdn.example/a.png?v=3",
            Some(
                "https://cdn.example/a.png?v=3&w=200 200w, https://cdn.example/a.png?v=3&w=400 400w",
            ),
        ),
        // The width would end up in the fragment, or a comma would split the srcset.
        (&widths, "https://cdn.example/a.png#x", None),
        (&widths, "https://cdn.example/a,b.png", None),
        // A URL at the length limit gets no longer: the candidates fail the check, no srcset.
        (
            &widths,
            &format!(
                "https://cdn.example/{}",
                "a".repeat(url::MAX_URL_BYTES - 20)
            ),
            None,
        ),
        // A mapped srcset field wins, even where the item has none.
        (
            &config(r#""image_widths": {"param": "w", "widths": [200]}, "image_srcset": "/set","#),
            "/a.png",
            Some("https://api.example/a.png 1x"),
        ),
        (
            &config(r#""image_widths": {"param": "w", "widths": [200]}, "image_srcset": "/none","#),
            "/a.png",
            None,
        ),
        (&config(""), "/a.png", None),
    ];
    for (config, img, expected) in cases {
        assert_eq!(srcset(config, img).as_deref(), *expected, "{config} {img}");
    }
    for widths in [
        r#"{"param": "", "widths": [200]}"#,
        r#"{"param": "w&x=1", "widths": [200]}"#,
        r#"{"param": "w", "widths": []}"#,
        r#"{"param": "w", "widths": [0]}"#,
        r#"{"param": "w", "widths": [200.5]}"#,
        r#"{"param": "w", "widths": [10000]}"#,
        r#"{"param": "w", "widths": [1, 2, 3, 4, 5, 6, 7, 8, 9]}"#,
        r#"{"param": "w", "widths": "200"}"#,
        r#"{"param": "w", "widths": [200], "height": 1}"#,
        r#"{"widths": [200]}"#,
        r#""width""#,
    ] {
        let message = Mapping::from_config(&config(&format!(r#""image_widths": {widths},"#)))
            .unwrap_err()
            .to_string();
        assert_eq!(
            message,
            "mapping: `image_widths` must be {\"param\": a name of letters, digits, - or _, \
             \"widths\": 1–8 numbers from 1 to 9999}",
            "{widths}"
        );
    }
}

#[test]
fn presets_can_be_overridden_key_by_key() {
    let mapping = Mapping::from_config(
        r#"{"preset": "woocommerce", "image_srcset": null, "list": "/items"}"#,
    )
    .unwrap();
    let body = format!(r#"{{"items": {WOOCOMMERCE}}}"#);
    let mapped = mapping.apply_body(&body, &context(1)).unwrap();
    assert_eq!(mapped.products[0].image.as_ref().unwrap().srcset, None);
    assert_eq!(
        Mapping::from_config(" Shopify ").map(|m| m.path),
        Mapping::preset("shopify").map(|m| m.path)
    );
}

#[test]
fn mistakes_in_a_mapping_are_reported_when_it_is_read() {
    let base = r#""list": "", "id": "/id", "title": "/t", "url": "/u""#;
    let price = r#""price": {"amount": "/p", "format": "minor", "minor_unit": 2}"#;
    let too_long = format!("{{\"list\": \"{}\"}}", "x".repeat(MAX_CONFIG_BYTES));
    let cases: Vec<(String, &str)> = vec![
        (
            "magento".into(),
            "no preset is called \"magento\" (there are lojal, shopify, woocommerce)",
        ),
        (
            format!("{{{base}, {price}, \"titel\": \"/t\"}}"),
            "unknown field `titel`",
        ),
        (format!("{{{base}}}"), "missing field `price`"),
        (
            format!(
                "{{\"list\": \"products\", \"id\": \"/id\", \"title\": \"/t\", \"url\": \"/u\", {price}}}"
            ),
            "mapping `list`: a JSON Pointer is empty or starts with '/'",
        ),
        (
            format!("{{{base}, \"image\": \"/a~2\", {price}}}"),
            "mapping `image`: '~' in a JSON Pointer",
        ),
        (
            format!(
                "{{{base}, \"price\": {{\"amount\": \"/p\", \"format\": \"cents\", \"minor_unit\": 2}}}}"
            ),
            "unknown variant `cents`",
        ),
        (
            format!(
                "{{{base}, \"price\": {{\"amount\": \"/p\", \"format\": \"minor\", \"minor_unit\": 7}}}}"
            ),
            "`price.minor_unit`: minor-unit count must be an integer 0–4",
        ),
        (
            format!(
                "{{{base}, \"price\": {{\"amount\": \"/p\", \"format\": \"minor\", \"minor_unit\": 2, \"currency\": \"kroner\"}}}}"
            ),
            "`price.currency`: currency must be a three-letter ISO 4217 code",
        ),
        (
            format!("{{{base}, {price}, \"intents\": {{\"upsell\": \"x\"}}}}"),
            "`intents` names no intent \"upsell\"",
        ),
        (
            format!("{{{base}, {price}, \"rating_scale\": 0}}"),
            "`rating_scale` must be above 0",
        ),
        ("{\"preset\": 5}".into(), "`preset` must be a name"),
        ("{not json".into(), "the mapping is not valid"),
        (too_long, "longer than 16384 bytes"),
    ];
    for (config, expected) in cases {
        let error = Mapping::from_config(&config).unwrap_err().to_string();
        assert!(
            error.contains(expected),
            "{config}\n→ {error}\nexpected {expected}"
        );
    }
}

#[test]
fn a_storefront_base_takes_relative_product_links_and_leaves_images_and_safety_alone() {
    let body = json!({ "products": [
        {"id": "a", "title": "Lue", "url": "/products/lue", "image": {"src": "/img/lue.png"}, "price": {"amount": 34900, "currency": "NOK", "minor_unit": 2}, "in_stock": true},
        {"id": "b", "title": "Votter", "url": "https://shop.example/products/votter", "price": {"amount": 44900, "currency": "NOK", "minor_unit": 2}, "in_stock": true},
        {"id": "c", "title": "Skjerf", "url": "javascript:alert(1)", "price": {"amount": 59900, "currency": "NOK", "minor_unit": 2}, "in_stock": true}
    ]});
    let mapping = Mapping::preset("lojal").unwrap();
    let cross_origin = |storefront: Option<&str>| {
        mapping
            .apply(
                &body,
                &Context {
                    origin: Some("https://api.lojal.example".into()),
                    storefront: storefront.map(str::to_owned),
                    ..context(10)
                },
            )
            .unwrap()
    };
    let mapped = cross_origin(Some("https://www.nordlys.example/"));
    assert_eq!(
        mapped.products[0].url,
        "https://www.nordlys.example/products/lue"
    );
    assert_eq!(
        mapped.products[0].image.as_ref().unwrap().src,
        "https://api.lojal.example/img/lue.png",
        "images stay with the API"
    );
    assert_eq!(
        mapped.products[1].url, "https://shop.example/products/votter",
        "absolute stays"
    );
    assert_eq!(mapped.products.len(), 2, "an unsafe link is still refused");
    // Without one, today's safe behaviour: the API's origin.
    assert_eq!(
        cross_origin(None).products[0].url,
        "https://api.lojal.example/products/lue"
    );
    // An unsafe or relative storefront is ignored, never joined.
    for bad in [
        "javascript:alert(1)",
        "//evil.example",
        "/shop",
        "data:text/html,x",
    ] {
        assert_eq!(
            cross_origin(Some(bad)).products[0].url,
            "https://api.lojal.example/products/lue",
            "{bad}"
        );
    }
}
