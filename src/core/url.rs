//! URL rules: which links may reach an `href`, and how ids become path segments.

/// A link the widget may put in an `href`: absolute http(s), or a same-origin path.
/// Anything else (`javascript:`, `data:`, protocol-relative `//evil.example`, control
/// characters) is refused, because the value comes from configuration or the network.
pub fn safe_link(raw: &str) -> Option<&str> {
    let url = raw.trim();
    if url.is_empty() || url.chars().any(|c| c.is_control() || c == '\\') {
        return None;
    }
    if url.starts_with('/') {
        return (!url.starts_with("//")).then_some(url);
    }
    let lower = url.get(..8).unwrap_or(url).to_ascii_lowercase();
    let rest = if lower.starts_with("https://") {
        &url[8..]
    } else if lower.starts_with("http://") {
        &url[7..]
    } else {
        return None;
    };
    (!rest.is_empty() && !rest.starts_with('/')).then_some(url)
}

/// Longest URL a product may carry into a view; real ones are a few hundred bytes.
pub const MAX_URL_BYTES: usize = 2048;

/// A product's link or image URL from a shop's JSON, made safe to put in `href`, `src` or
/// `srcset`: absolute http(s) stays; a protocol-relative `//cdn.example/x` (Shopify sends its
/// images so) becomes `https://cdn.example/x`; a path `/x` stays relative to the page, or joins
/// `origin` when the JSON came from another origin than the page's. Everything else
/// (`javascript:`, `data:`, `relative/path`, controls, spaces) gives `None`.
pub fn safe_resource(raw: &str, origin: Option<&str>) -> Option<String> {
    let url = raw.trim();
    if url.len() > MAX_URL_BYTES || url.contains(char::is_whitespace) {
        return None;
    }
    let absolute = if let Some(rest) = url.strip_prefix("//") {
        format!("https://{rest}")
    } else if url.starts_with('/') {
        match origin.and_then(safe_link) {
            Some(origin) => format!("{}{url}", origin.trim_end_matches('/')),
            None => url.to_owned(),
        }
    } else {
        url.to_owned()
    };
    safe_link(&absolute).map(str::to_owned)
}

/// A `srcset` whose every candidate is a [`safe_resource`] with a `123w` or `1.5x` descriptor;
/// unsafe or malformed candidates are dropped, and `None` is returned when none is left.
pub fn safe_srcset(raw: &str, origin: Option<&str>) -> Option<String> {
    if raw.len() > 8 * MAX_URL_BYTES {
        return None;
    }
    let candidates: Vec<String> = raw
        .split(',')
        .filter_map(|candidate| {
            let mut parts = candidate.split_whitespace();
            let url = safe_resource(parts.next()?, origin)?;
            let descriptor = parts.next();
            if parts.next().is_some() {
                return None;
            }
            match descriptor {
                None => Some(url),
                Some(d) if is_descriptor(d) => Some(format!("{url} {d}")),
                Some(_) => None,
            }
        })
        .take(16)
        .collect();
    (!candidates.is_empty()).then(|| candidates.join(", "))
}

// `strip_suffix`, not a split at `len - 1`: a descriptor from the network may end in a
// multi-byte character (`640ẃ`), and splitting inside it would panic.
fn is_descriptor(d: &str) -> bool {
    if let Some(width) = d.strip_suffix('w') {
        !width.is_empty() && width.len() <= 5 && width.bytes().all(|b| b.is_ascii_digit())
    } else if let Some(density) = d.strip_suffix('x') {
        density.len() <= 5 && density.parse::<f32>().is_ok_and(|x| x > 0.0)
    } else {
        false
    }
}

/// Percent-encodes `segment` so it stays one path segment (RFC 3986 unreserved kept as is).
pub fn path_segment(segment: &str) -> String {
    let mut out = String::with_capacity(segment.len());
    for byte in segment.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// The raw value of the query parameter `key` in a `location.search` (`?a=1&lojal_ref=X`), not
/// decoded: callers accept only values that need no decoding.
pub fn query_param<'a>(search: &'a str, key: &str) -> Option<&'a str> {
    search
        .trim_start_matches('?')
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .find(|(k, _)| *k == key)
        .map(|(_, v)| v)
}

/// `url` with the query parameter `key` set to `value` (encoded), replacing one already there
/// and keeping the fragment last: a member's share link is the shop's page plus her code.
pub fn with_param(url: &str, key: &str, value: &str) -> String {
    let (rest, fragment) = url
        .split_once('#')
        .map_or((url, None), |(r, f)| (r, Some(f)));
    let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
    let mut pairs: Vec<&str> = query
        .split('&')
        .filter(|p| !p.is_empty() && p.split('=').next() != Some(key))
        .collect();
    let ours = format!("{key}={}", path_segment(value));
    pairs.push(&ours);
    let mut out = format!("{path}?{}", pairs.join("&"));
    if let Some(fragment) = fragment {
        out.push('#');
        out.push_str(fragment);
    }
    out
}

/// Joins the API base (`https://shop.example/api/v1`, with or without a trailing slash) and a
/// path that starts with `/`.
pub fn join(base: &str, path: &str) -> String {
    format!("{}{}", base.trim_end_matches('/'), path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_http_links_and_same_origin_paths_are_safe() {
        let cases = [
            (
                "https://shop.example/bli-medlem",
                Some("https://shop.example/bli-medlem"),
            ),
            ("HTTPS://SHOP.EXAMPLE/", Some("HTTPS://SHOP.EXAMPLE/")),
            (
                "http://127.0.0.1:8080/join",
                Some("http://127.0.0.1:8080/join"),
            ),
            ("  /account/register  ", Some("/account/register")),
            ("/", Some("/")),
            ("javascript:alert(1)", None),
            ("JaVaScRiPt:alert(1)", None),
            (" javascript:alert(1)", None),
            ("java\tscript:alert(1)", None),
            ("data:text/html,<script>alert(1)</script>", None),
            ("vbscript:msgbox(1)", None),
            ("//evil.example/x", None),
            ("/\\evil.example", None),
            ("https:///path-without-host", None),
            ("https://", None),
            ("mailto:a@b.c", None),
            ("relative/path", None),
            ("", None),
        ];
        for (raw, expected) in cases {
            assert_eq!(safe_link(raw), expected, "{raw:?}");
        }
    }

    #[test]
    fn product_urls_keep_http_and_paths_and_protocol_relative_becomes_https() {
        let long = format!("https://shop.example/{}", "a".repeat(MAX_URL_BYTES));
        let cases: &[(&str, Option<&str>, Option<&str>)] = &[
            (
                "https://shop.example/p/1",
                None,
                Some("https://shop.example/p/1"),
            ),
            (
                "http://shop.example/p/1",
                None,
                Some("http://shop.example/p/1"),
            ),
            (
                "//cdn.shopify.com/s/files/1/x.jpg?v=1",
                None,
                Some("https://cdn.shopify.com/s/files/1/x.jpg?v=1"),
            ),
            ("/products/lue", None, Some("/products/lue")),
            (
                "/products/lue",
                Some("https://api.example"),
                Some("https://api.example/products/lue"),
            ),
            (
                "/products/lue",
                Some("https://api.example/"),
                Some("https://api.example/products/lue"),
            ),
            (
                "/products/lue",
                Some("javascript:alert(1)"),
                Some("/products/lue"),
            ),
            ("  /img/a.png ", None, Some("/img/a.png")),
            ("javascript:alert(1)", None, None),
            ("JAVASCRIPT:alert(1)", Some("https://a.example"), None),
            ("data:image/svg+xml;base64,PHN2Zz4=", None, None),
            ("data:text/html,<script>alert(1)</script>", None, None),
            ("blob:https://shop.example/123", None, None),
            ("vbscript:x", None, None),
            ("products/lue", None, None),
            ("/\\evil.example", None, None),
            ("///evil.example", None, None),
            ("https://shop.example/a b", None, None),
            ("https://shop.example/\u{0}", None, None),
            ("", None, None),
            (&long, None, None),
        ];
        for (raw, origin, expected) in cases {
            assert_eq!(
                safe_resource(raw, *origin).as_deref(),
                *expected,
                "{raw:?} from {origin:?}"
            );
        }
    }

    #[test]
    fn srcset_candidates_are_checked_one_by_one() {
        let cases: &[(&str, Option<&str>)] = &[
            (
                "https://s.example/a-800.jpg 800w, https://s.example/a-324x324.jpg 324w",
                Some("https://s.example/a-800.jpg 800w, https://s.example/a-324x324.jpg 324w"),
            ),
            (
                "//cdn.example/a.jpg 1x,//cdn.example/b.jpg 2x",
                Some("https://cdn.example/a.jpg 1x, https://cdn.example/b.jpg 2x"),
            ),
            (
                "/a.png 320w, javascript:alert(1) 640w, data:x 1x",
                Some("/a.png 320w"),
            ),
            ("/a.png 320w, /b.png 640w extra", Some("/a.png 320w")),
            ("/a.png w, /b.png -1x, /c.png 0x, /d.png 12345678w", None),
            ("/a.png 640ẃ, /b.png 2×, /c.png ø, /d.png é1x", None),
            ("/a.png 640ẃ, /b.png 320w", Some("/b.png 320w")),
            ("/a.png", Some("/a.png")),
            ("javascript:alert(1) 1x", None),
            ("", None),
            (" , , ", None),
        ];
        for (raw, expected) in cases {
            assert_eq!(safe_srcset(raw, None).as_deref(), *expected, "{raw:?}");
        }
    }

    #[test]
    fn ids_become_single_path_segments() {
        assert_eq!(path_segment("c-1001"), "c-1001");
        assert_eq!(path_segment("../admin"), "..%2Fadmin");
        assert_eq!(path_segment("ø å"), "%C3%B8%20%C3%A5");
        assert_eq!(path_segment("a?b#c"), "a%3Fb%23c");
    }

    #[test]
    fn join_tolerates_a_trailing_slash() {
        assert_eq!(
            join("http://x/api/v1/", "/loyalty/program"),
            "http://x/api/v1/loyalty/program"
        );
        assert_eq!(
            join("/api/v1", "/loyalty/program"),
            "/api/v1/loyalty/program"
        );
    }

    #[test]
    fn a_share_link_gains_its_parameter_once_before_the_fragment() {
        let cases = [
            (
                "https://shop.example/",
                "https://shop.example/?lojal_ref=AB12CD34",
            ),
            (
                "https://shop.example/?utm=x",
                "https://shop.example/?utm=x&lojal_ref=AB12CD34",
            ),
            (
                "https://shop.example/?lojal_ref=OLD&utm=x#top",
                "https://shop.example/?utm=x&lojal_ref=AB12CD34#top",
            ),
            ("/", "/?lojal_ref=AB12CD34"),
            (
                "https://shop.example/p?",
                "https://shop.example/p?lojal_ref=AB12CD34",
            ),
        ];
        for (url, expected) in cases {
            assert_eq!(with_param(url, "lojal_ref", "AB12CD34"), expected, "{url}");
        }
        assert_eq!(with_param("/", "k", "a b&c"), "/?k=a%20b%26c");
    }

    #[test]
    fn a_query_parameter_is_found_by_its_exact_name() {
        let cases = [
            ("?lojal_ref=AB12", Some("AB12")),
            ("?utm=x&lojal_ref=AB12&b=2", Some("AB12")),
            ("lojal_ref=AB12", Some("AB12")),
            ("?xlojal_ref=AB12", None),
            ("?lojal_ref", None),
            ("", None),
            ("?lojal_ref=", Some("")),
        ];
        for (search, expected) in cases {
            assert_eq!(query_param(search, "lojal_ref"), expected, "{search}");
        }
    }
}
