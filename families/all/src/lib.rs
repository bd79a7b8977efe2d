//! Every family's widgets in one wasm, for a page whose elements span several families: one
//! copy of Leptos, std and the API client instead of one per family. The loader chooses it by
//! bytes (see `src/mount/lojal.js`); once chosen it serves every lojal element on the page.

use lojal::mount::Mounted;
use lojal::widgets::{BADGE, CAROUSEL, FEEDBACK, GAMES};
use wasm_bindgen::prelude::*;
use web_sys::{HtmlElement, ShadowRoot};

/// Renders any lojal element into its shadow root, from its family's table (see
/// `lojal::mount::mount`).
#[wasm_bindgen]
pub fn mount(
    tag: &str,
    element: HtmlElement,
    root: ShadowRoot,
    page_api: Option<String>,
    page_locale: Option<String>,
) -> Result<Mounted, JsError> {
    let tables = &[BADGE, CAROUSEL, FEEDBACK, GAMES];
    lojal::mount::mount(tables, tag, element, root, page_api, page_locale)
}

/// Starts the page's outbox, as the feedback family's wasm does (`lojal::api::outbox::install`).
#[wasm_bindgen(js_name = flushOutbox)]
pub fn flush_outbox() {
    lojal::api::outbox::install();
}
