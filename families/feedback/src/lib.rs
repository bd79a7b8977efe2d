//! The feedback prompts' wasm: `<lojal-nps>`, `<lojal-csat>` and `<lojal-review>`, and the
//! outbox that delivers their answers, and nothing of the other families.

use lojal::mount::Mounted;
use lojal::widgets::FEEDBACK;
use wasm_bindgen::prelude::*;
use web_sys::{HtmlElement, ShadowRoot};

/// Renders a feedback prompt into its shadow root (see `lojal::mount::mount`).
#[wasm_bindgen]
pub fn mount(
    tag: &str,
    element: HtmlElement,
    root: ShadowRoot,
    page_api: Option<String>,
    page_locale: Option<String>,
) -> Result<Mounted, JsError> {
    lojal::mount::mount(&[FEEDBACK], tag, element, root, page_api, page_locale)
}

/// Starts the page's outbox (`lojal::api::outbox::install`). The loader calls it on every page
/// where earlier answers wait in `localStorage`, even one without a prompt.
#[wasm_bindgen(js_name = flushOutbox)]
pub fn flush_outbox() {
    lojal::api::outbox::install();
}
