//! JSON Pointer (RFC 6901): where a merchant's mapping finds the product list in a response and
//! each field inside an item. Parsed once, when the mapping is read, so a typo is reported there
//! and never while a shopper waits.

use serde_json::Value;

/// Longest pointer accepted, in bytes; real ones are a few dozen.
pub const MAX_POINTER_BYTES: usize = 256;
/// Most reference tokens in one pointer.
pub const MAX_POINTER_DEPTH: usize = 16;

/// A parsed JSON Pointer: `""` is the whole document, `/products/0/title` a path into it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pointer {
    tokens: Vec<String>,
}

/// Why a string is not a JSON Pointer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PointerError {
    /// Not empty and not starting with `/`.
    NoLeadingSlash,
    /// `~` followed by something other than `0` or `1`.
    BadEscape,
    /// Longer than [`MAX_POINTER_BYTES`] or deeper than [`MAX_POINTER_DEPTH`].
    TooLong,
}

impl std::fmt::Display for PointerError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::NoLeadingSlash => "a JSON Pointer is empty or starts with '/'",
            Self::BadEscape => "'~' in a JSON Pointer must be written ~0, and '/' inside a name ~1",
            Self::TooLong => "the JSON Pointer is too long",
        })
    }
}

impl std::error::Error for PointerError {}

impl Pointer {
    /// The pointer to the whole document.
    pub fn root() -> Self {
        Self { tokens: Vec::new() }
    }

    pub fn parse(text: &str) -> Result<Self, PointerError> {
        if text.len() > MAX_POINTER_BYTES {
            return Err(PointerError::TooLong);
        }
        if text.is_empty() {
            return Ok(Self::root());
        }
        let rest = text.strip_prefix('/').ok_or(PointerError::NoLeadingSlash)?;
        let tokens = rest
            .split('/')
            .map(unescape)
            .collect::<Result<Vec<_>, _>>()?;
        if tokens.len() > MAX_POINTER_DEPTH {
            return Err(PointerError::TooLong);
        }
        Ok(Self { tokens })
    }

    /// The value this pointer names in `document`, if there is one. Array indices follow the RFC:
    /// decimal digits without leading zeros; `-` (one past the end) names nothing.
    pub fn resolve<'a>(&self, document: &'a Value) -> Option<&'a Value> {
        self.tokens
            .iter()
            .try_fold(document, |value, token| match value {
                Value::Object(map) => map.get(token),
                Value::Array(items) => index(token).and_then(|i| items.get(i)),
                _ => None,
            })
    }
}

impl std::fmt::Display for Pointer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for token in &self.tokens {
            write!(f, "/{}", token.replace('~', "~0").replace('/', "~1"))?;
        }
        Ok(())
    }
}

fn unescape(token: &str) -> Result<String, PointerError> {
    let mut out = String::with_capacity(token.len());
    let mut chars = token.chars();
    while let Some(c) = chars.next() {
        match c {
            '~' => match chars.next() {
                Some('0') => out.push('~'),
                Some('1') => out.push('/'),
                _ => return Err(PointerError::BadEscape),
            },
            other => out.push(other),
        }
    }
    Ok(out)
}

fn index(token: &str) -> Option<usize> {
    let digits = !token.is_empty() && token.bytes().all(|b| b.is_ascii_digit());
    let leading_zero = token.len() > 1 && token.starts_with('0');
    (digits && !leading_zero)
        .then(|| token.parse().ok())
        .flatten()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_rfc_6901_examples_resolve_as_the_rfc_says() {
        // RFC 6901, section 5.
        let doc = json!({
            "foo": ["bar", "baz"], "": 0, "a/b": 1, "c%d": 2, "e^f": 3,
            "g|h": 4, "i\\j": 5, "k\"l": 6, " ": 7, "m~n": 8
        });
        let cases = [
            ("", doc.clone()),
            ("/foo", json!(["bar", "baz"])),
            ("/foo/0", json!("bar")),
            ("/", json!(0)),
            ("/a~1b", json!(1)),
            ("/c%d", json!(2)),
            ("/e^f", json!(3)),
            ("/g|h", json!(4)),
            ("/i\\j", json!(5)),
            ("/k\"l", json!(6)),
            ("/ ", json!(7)),
            ("/m~0n", json!(8)),
        ];
        for (text, expected) in cases {
            let pointer = Pointer::parse(text).unwrap();
            assert_eq!(pointer.resolve(&doc), Some(&expected), "{text:?}");
            assert_eq!(pointer.to_string(), text, "round trip of {text:?}");
        }
    }

    #[test]
    fn array_indices_are_digits_without_leading_zeros() {
        let doc = json!({"list": ["a", "b", "c"]});
        let cases = [
            ("/list/0", Some("a")),
            ("/list/2", Some("c")),
            ("/list/3", None),
            ("/list/-", None),
            ("/list/01", None),
            ("/list/+1", None),
            ("/list/1.0", None),
            ("/list/", None),
            ("/list/99999999999999999999999", None),
            ("/list/0/deeper", None),
            ("/missing/0", None),
        ];
        for (text, expected) in cases {
            let got = Pointer::parse(text).unwrap().resolve(&doc);
            assert_eq!(got.and_then(Value::as_str), expected, "{text:?}");
        }
    }

    #[test]
    fn malformed_pointers_are_refused_when_the_mapping_is_read() {
        let too_deep = "/a".repeat(MAX_POINTER_DEPTH + 1);
        let too_long = format!("/{}", "x".repeat(MAX_POINTER_BYTES));
        let cases = [
            ("products", PointerError::NoLeadingSlash),
            ("#/products", PointerError::NoLeadingSlash),
            ("/a~2b", PointerError::BadEscape),
            ("/a~", PointerError::BadEscape),
            (too_deep.as_str(), PointerError::TooLong),
            (too_long.as_str(), PointerError::TooLong),
        ];
        for (text, expected) in cases {
            assert_eq!(Pointer::parse(text), Err(expected), "{text:?}");
        }
    }
}
