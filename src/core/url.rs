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
}
