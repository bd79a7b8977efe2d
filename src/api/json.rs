//! The widgets' half of `core::json::parse`: the browser parses the text (`JSON.parse`) and
//! serde-wasm-bindgen deserialises the value, so the wasm carries no JSON parser of its own.
//! The core has refused anything nested deeper than its limit before this is called:
//! serde-wasm-bindgen recurses as deep as the value goes.

use serde::de::DeserializeOwned;
use wasm_bindgen::JsValue;

pub fn parse<T: DeserializeOwned>(text: &str) -> Result<T, String> {
    let value = js_sys::JSON::parse(text).map_err(message)?;
    serde_wasm_bindgen::from_value(value).map_err(|e| message(e.into()))
}

/// A JavaScript error's message, without the `SyntaxError: ` or `Error: ` its text starts with.
fn message(error: JsValue) -> String {
    js_sys::Error::from(error)
        .message()
        .as_string()
        .unwrap_or_default()
}
