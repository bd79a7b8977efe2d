//! The badge's wasm: `<lojal-badge>` and nothing of the other families.

use lojal::mount::Mounted;
use lojal::widgets::BADGE;
use wasm_bindgen::prelude::*;
use web_sys::{HtmlElement, ShadowRoot};

/// Renders `<lojal-badge>` into its shadow root (see `lojal::mount::mount`).
#[wasm_bindgen]
pub fn mount(
    tag: &str,
    element: HtmlElement,
    root: ShadowRoot,
    page_api: Option<String>,
    page_locale: Option<String>,
) -> Result<Mounted, JsError> {
    lojal::mount::mount(&[BADGE], tag, element, root, page_api, page_locale)
}
