//! What each fuzz target checks, beyond "does not panic". Shared by the libFuzzer binaries and
//! by the replay test below, which runs every saved input under `cargo test`.

use lojal::core::catalog::mapping::{Context, MAX_TITLE_CHARS, Mapping};
use lojal::core::config::{Identity, api_base};
use lojal::core::i18n::fill;
use lojal::core::loyalty::{LoyaltyStatus, Program, RedeemResponse};
use lojal::core::retry::parse_retry_after;
use lojal::core::url::{join, path_segment, safe_link, safe_srcset};
use lojal::core::wire::ErrorBody;

/// Network JSON for the badge: parsing never panics, and whatever passes validation has sane
/// derived numbers.
pub fn loyalty_json(data: &[u8]) {
    let Ok(body) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(status) = LoyaltyStatus::from_json(body) {
        let progress = status.progress();
        assert!(progress.percent() <= 100);
        assert!(status.redeemable().iter().all(|r| r.cost <= status.points));
        if let Some(next) = status.next_reward() {
            assert!(next.cost > status.points);
        }
        // What the widget accepted survives a round trip unchanged.
        let again = serde_json::to_string(&status).expect("serialises");
        assert_eq!(LoyaltyStatus::from_json(&again).expect("reparses"), status);
    }
    let _ = Program::from_json(body);
    let _ = RedeemResponse::from_json(body);
    let _ = ErrorBody::parse(body);
}

/// URLs from configuration or the network: only http(s) and same-origin paths survive, and
/// path segments stay one segment.
pub fn links(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Some(link) = safe_link(text) {
        let lower = link.to_ascii_lowercase();
        assert!(
            lower.starts_with("https://") || lower.starts_with("http://") || lower.starts_with('/'),
            "{link:?}"
        );
        assert!(!link.starts_with("//"), "{link:?}");
        assert!(
            !link.chars().any(|c| c.is_control() || c == '\\'),
            "{link:?}"
        );
    }
    // A srcset keeps only safe candidates, each a URL and at most a width or density.
    if let Some(srcset) = safe_srcset(text, None) {
        for candidate in srcset.split(", ") {
            let mut parts = candidate.split(' ');
            let url = parts.next().expect("a candidate has a URL");
            assert_eq!(safe_link(url), Some(url), "{srcset:?}");
            assert!(
                parts.next().is_none_or(|d| d.ends_with(['w', 'x'])),
                "{srcset:?}"
            );
            assert!(parts.next().is_none(), "{srcset:?}");
        }
    }
    let segment = path_segment(text);
    assert!(
        segment
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._~%".contains(&b))
    );
    assert_eq!(percent_decode(&segment), text.as_bytes());
    let mut middle = text.len() / 2;
    while !text.is_char_boundary(middle) {
        middle -= 1;
    }
    let (base, path) = text.split_at(middle);
    let _ = join(base, path);
    let _ = parse_retry_after(text);
}

/// Attributes a theme writes: identity parsing, API base choice and message templates.
pub fn attributes(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let mut parts = text.splitn(3, '\u{0}');
    let (a, b, c) = (parts.next(), parts.next(), parts.next());
    if let Ok(Identity::Customer { id, signature }) = Identity::from_attributes(a, b) {
        assert!(!id.is_empty() && id.len() <= 128);
        assert!(signature.len() == 64 && signature.bytes().all(|b| b.is_ascii_hexdigit()));
    }
    let _ = api_base(a, b);
    let template = a.unwrap_or_default();
    let filled = fill(
        template,
        &[
            ("count", b.unwrap_or_default()),
            ("tier", c.unwrap_or_default()),
        ],
    );
    if !template.contains('{') {
        assert_eq!(filled, template);
    }
}

/// A shop's product JSON through every preset, and mappings a merchant writes: whatever comes
/// out is safe to render (links and images http(s) or same-origin, titles plain and bounded,
/// prices consistent).
pub fn products_json(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let context = Context {
        limit: 200,
        ..Context::default()
    };
    for preset in ["lojal", "shopify", "woocommerce"] {
        let mapping = Mapping::preset(preset).expect("presets parse");
        if let Ok(mapped) = mapping.apply_body(text, &context) {
            for product in &mapped.products {
                assert!(safe_link(&product.url).is_some(), "{:?}", product.url);
                assert!(!product.url.starts_with("//"));
                if let Some(image) = &product.image {
                    assert!(safe_link(&image.src).is_some(), "{:?}", image.src);
                    for candidate in image.srcset.iter().flat_map(|s| s.split(',')) {
                        let url = candidate.split_whitespace().next().unwrap_or_default();
                        assert!(safe_link(url).is_some(), "{candidate:?}");
                    }
                }
                assert!(product.title.chars().count() <= MAX_TITLE_CHARS);
                assert!(
                    !product.title.chars().any(char::is_control),
                    "{:?}",
                    product.title
                );
                assert!(!product.id.is_empty());
                if let Some(max) = product.price.max {
                    assert!(max > product.price.amount);
                }
                if let Some(compare_at) = product.price.compare_at {
                    assert!(compare_at > product.price.amount);
                }
            }
        }
    }
    // The same bytes as a merchant's mapping: refused or usable, never a panic.
    if let Ok(mapping) = Mapping::from_config(text) {
        let _ = mapping.apply_body(
            r#"{"products":[{"id":1,"title":"x","url":"/p","price":100}]}"#,
            &context,
        );
    }
}

fn percent_decode(s: &str) -> Vec<u8> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).expect("two hex digits");
            out.push(u8::from_str_radix(hex, 16).expect("hex"));
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    out
}

#[cfg(test)]
mod replay {
    use std::path::Path;

    /// Every input in `corpus/<target>` and `regressions/<target>` (crashes found earlier,
    /// kept so they stay fixed) goes through its target's checks.
    fn replay(target: &str, check: fn(&[u8])) {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut count = 0;
        for dir in ["corpus", "regressions"] {
            let Ok(entries) = std::fs::read_dir(root.join(dir).join(target)) else {
                continue;
            };
            for entry in entries {
                let path = entry.unwrap().path();
                let data = std::fs::read(&path).unwrap();
                let outcome = std::panic::catch_unwind(|| check(&data));
                assert!(outcome.is_ok(), "{} fails its checks", path.display());
                count += 1;
            }
        }
        assert!(count > 0, "no saved inputs for {target}");
    }

    #[test]
    fn loyalty_json() {
        replay("loyalty_json", super::loyalty_json);
    }

    #[test]
    fn links() {
        replay("links", super::links);
    }

    #[test]
    fn products_json() {
        replay("products_json", super::products_json);
    }

    #[test]
    fn attributes() {
        replay("attributes", super::attributes);
    }
}
