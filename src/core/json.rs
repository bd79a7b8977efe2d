//! JSON text into typed values: every body, setting and stored item the widgets read goes
//! through [`parse`]. Natively serde_json parses it; in the widgets' wasm the browser does
//! (`JSON.parse`) and serde-wasm-bindgen deserialises the value, so serde_json's parser stays out
//! of the shipped files. Either way nothing nested deeper than [`MAX_DEPTH`] reaches a recursive
//! deserialiser: a hostile body cannot exhaust the wasm stack.

use serde::de::DeserializeOwned;

/// As deep as serde_json's own recursion limit allows (it refuses the 128th array or object
/// inside one another), which guarded every parse before.
pub const MAX_DEPTH: usize = 127;

/// Why a text is not the JSON a caller wanted. Its text is what the callers show (the parser's
/// own words, or `recursion limit exceeded`).
#[derive(Clone, Debug, PartialEq)]
pub struct JsonError(pub String);

impl std::fmt::Display for JsonError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Whether `text` opens more than `max` arrays and objects inside one another. A scan, not a
/// parse: brackets inside strings do not count, and anything else malformed is left to the
/// parser.
pub fn nested_deeper_than(text: &str, max: usize) -> bool {
    let (mut depth, mut in_string, mut escaped) = (0usize, false, false);
    for byte in text.bytes() {
        if in_string {
            match byte {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match byte {
            b'"' => in_string = true,
            b'[' | b'{' => {
                depth += 1;
                if depth > max {
                    return true;
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    false
}

/// Parses `text` as a `T`, refusing nesting deeper than [`MAX_DEPTH`].
pub fn parse<T: DeserializeOwned>(text: &str) -> Result<T, JsonError> {
    if nested_deeper_than(text, MAX_DEPTH) {
        return Err(JsonError("recursion limit exceeded".into()));
    }
    #[cfg(all(feature = "ui", target_arch = "wasm32"))]
    {
        crate::api::json::parse(text).map_err(JsonError)
    }
    #[cfg(not(all(feature = "ui", target_arch = "wasm32")))]
    {
        serde_json::from_str(text).map_err(|e| JsonError(e.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    #[test]
    fn nesting_is_counted_outside_strings_only() {
        let cases = [
            ("1", 0, false),
            ("[]", 1, false),
            ("[]", 0, true),
            ("[[1],[2]]", 2, false),
            ("[[1],[2]]", 1, true),
            (r#"{"a":{"b":[1]}}"#, 3, false),
            (r#"{"a":{"b":[1]}}"#, 2, true),
            (r#"["[[[[", "\"[[["]"#, 1, false),
            (r#"["\\", ["x"]]"#, 1, true),
        ];
        for (text, max, deeper) in cases {
            assert_eq!(nested_deeper_than(text, max), deeper, "{text} over {max}");
        }
    }

    #[test]
    fn a_hundred_thousand_deep_document_is_refused_without_recursion() {
        let deep = format!("{}1{}", "[".repeat(100_000), "]".repeat(100_000));
        assert_eq!(
            parse::<Value>(&deep),
            Err(JsonError("recursion limit exceeded".into()))
        );
        let deepest = format!("{}1{}", "[".repeat(MAX_DEPTH), "]".repeat(MAX_DEPTH));
        assert!(parse::<Value>(&deepest).is_ok());
        // The scan refuses exactly where serde_json itself would.
        let one_more = format!("[{deepest}]");
        assert!(serde_json::from_str::<Value>(&one_more).is_err());
        assert!(parse::<Value>(&one_more).is_err());
    }
}
