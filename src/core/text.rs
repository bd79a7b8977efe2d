//! Text from a shop's JSON, made into plain text a view can show: HTML entities decoded (shops
//! send `Genser &#8211; blå`), control and bidi-override characters removed, whitespace folded,
//! and the length capped. The result is only ever put into text nodes and attribute values.

/// Named references shops really send in product names. Anything else stays as written, which
/// is still safe: views render text, never markup.
const NAMED: &[(&str, char)] = &[
    ("amp", '&'),
    ("lt", '<'),
    ("gt", '>'),
    ("quot", '"'),
    ("apos", '\''),
    ("nbsp", '\u{a0}'),
    ("ndash", '–'),
    ("mdash", '—'),
    ("hellip", '…'),
    ("lsquo", '‘'),
    ("rsquo", '’'),
    ("sbquo", '‚'),
    ("ldquo", '“'),
    ("rdquo", '”'),
    ("bdquo", '„'),
    ("laquo", '«'),
    ("raquo", '»'),
    ("times", '×'),
    ("middot", '·'),
    ("bull", '•'),
    ("deg", '°'),
    ("frac12", '½'),
    ("trade", '™'),
    ("reg", '®'),
    ("copy", '©'),
    ("euro", '€'),
    ("pound", '£'),
    ("aelig", 'æ'),
    ("AElig", 'Æ'),
    ("oslash", 'ø'),
    ("Oslash", 'Ø'),
    ("aring", 'å'),
    ("Aring", 'Å'),
    ("auml", 'ä'),
    ("Auml", 'Ä'),
    ("ouml", 'ö'),
    ("Ouml", 'Ö'),
    ("uuml", 'ü'),
    ("Uuml", 'Ü'),
    ("eacute", 'é'),
    ("egrave", 'è'),
    ("szlig", 'ß'),
];

/// Decodes numeric (`&#8211;`, `&#x2013;`) and the common named references. References that
/// name no character (`&#0;`, surrogates, beyond U+10FFFF) become U+FFFD, as browsers do.
pub fn decode_entities(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut rest = raw;
    while let Some(start) = rest.find('&') {
        out.push_str(&rest[..start]);
        let after = &rest[start + 1..];
        // References are short; a `;` far away belongs to something else. Bytes, not a
        // `str` slice: byte 33 may fall inside a character, and searching the whole rest
        // instead would make a long hostile title quadratic.
        let end = after.as_bytes().iter().take(33).position(|&b| b == b';');
        match end.and_then(|end| reference(&after[..end]).map(|c| (c, end))) {
            Some((c, end)) => {
                out.push(c);
                rest = &after[end + 1..];
            }
            None => {
                out.push('&');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

fn reference(name: &str) -> Option<char> {
    if let Some(number) = name.strip_prefix('#') {
        let (digits, radix) = match number.strip_prefix(['x', 'X']) {
            Some(hex) => (hex, 16),
            None => (number, 10),
        };
        if digits.is_empty() || digits.len() > 8 || !digits.chars().all(|c| c.is_digit(radix)) {
            return None;
        }
        let code = u32::from_str_radix(digits, radix).ok()?;
        return Some(match char::from_u32(code) {
            Some(c) if code != 0 => c,
            _ => char::REPLACEMENT_CHARACTER,
        });
    }
    NAMED.iter().find(|(n, _)| *n == name).map(|(_, c)| *c)
}

/// Characters that may not reach a view: controls, and the bidi overrides and isolates that
/// could make `Genser` read backwards around a price.
fn is_invisible_trouble(c: char) -> bool {
    c.is_control() && !c.is_whitespace()
        || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{200e}' | '\u{200f}')
}

/// Plain text for a view: entities decoded, troublesome characters removed, runs of whitespace
/// folded into one space, trimmed, and cut to `max_chars` characters with an ellipsis.
pub fn clean(raw: &str, max_chars: usize) -> String {
    let decoded = decode_entities(raw);
    let mut out = String::with_capacity(decoded.len().min(max_chars * 4));
    let mut count = 0;
    let mut pending_space = false;
    for c in decoded.chars().filter(|c| !is_invisible_trouble(*c)) {
        if c.is_whitespace() {
            pending_space = count > 0;
            continue;
        }
        if count + usize::from(pending_space) >= max_chars {
            out.push('…');
            return out;
        }
        if pending_space {
            out.push(' ');
            count += 1;
            pending_space = false;
        }
        out.push(c);
        count += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entities_shops_send_in_names_are_decoded() {
        let cases = [
            ("Genser &#8211; blå", "Genser – blå"),
            ("Lue &#x2013; rød", "Lue – rød"),
            ("Votter &amp; skjerf", "Votter & skjerf"),
            ("&laquo;Marius&raquo;", "«Marius»"),
            ("Str&oslash;mpe &AElig;", "Strømpe Æ"),
            ("Tom&rsquo;s &quot;beste&quot;", "Tom’s \"beste\""),
            ("&lt;script&gt;", "<script>"),
            ("&amp;lt;", "&lt;"),
            ("AT&T", "AT&T"),
            ("&unknown;", "&unknown;"),
            ("a & b; c", "a & b; c"),
            ("&#0;", "\u{fffd}"),
            ("&#xD800;", "\u{fffd}"),
            ("&#x110000;", "\u{fffd}"),
            ("&#;", "&#;"),
            ("&#x;", "&#x;"),
            ("&#99999999999;", "&#99999999999;"),
            ("trailing &", "trailing &"),
            (
                "&aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaé far; &amp;",
                "&aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaé far; &",
            ),
            ("&ø;&å", "&ø;&å"),
        ];
        for (raw, expected) in cases {
            assert_eq!(decode_entities(raw), expected, "{raw:?}");
        }
    }

    #[test]
    fn clean_text_has_no_controls_no_overrides_and_folded_whitespace() {
        let cases = [
            ("  Setesdal-genser\n\t i  ull ", 80, "Setesdal-genser i ull"),
            ("Lue\u{0}\u{7}\u{1b}[31m", 80, "Lue[31m"),
            ("Pris\u{202e}kr 001", 80, "Priskr 001"),
            ("Gen&nbsp;ser", 80, "Gen ser"),
            ("", 80, ""),
            ("   ", 80, ""),
            ("abcdef", 3, "abc…"),
            ("ab cdef", 3, "ab…"),
            ("æøå", 3, "æøå"),
        ];
        for (raw, max, expected) in cases {
            assert_eq!(clean(raw, max), expected, "{raw:?}");
        }
    }

    #[test]
    fn a_huge_string_is_cut_to_the_limit_with_an_ellipsis() {
        let huge = "ull ".repeat(250_000);
        let text = clean(&huge, 120);
        assert_eq!(text.chars().count(), 120, "{text}");
        assert!(text.ends_with("ull…"));
    }
}
