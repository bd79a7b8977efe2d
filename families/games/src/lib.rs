//! The reward games' wasm: `<lojal-wheel>` and `<lojal-scratch>` and nothing of the other families.

use lojal::mount::Mounted;
use lojal::widgets::GAMES;
use wasm_bindgen::prelude::*;
use web_sys::{HtmlElement, ShadowRoot};

/// Renders a game into its shadow root (see `lojal::mount::mount`).
#[wasm_bindgen]
pub fn mount(
    tag: &str,
    element: HtmlElement,
    root: ShadowRoot,
    page_api: Option<String>,
    page_locale: Option<String>,
) -> Result<Mounted, JsError> {
    lojal::mount::mount(&[GAMES], tag, element, root, page_api, page_locale)
}
