//! The badge's and the carousel's widgets in one wasm, for the pages a shop shows most (the front
//! page and product pages: a loyalty badge in the header, recommendation rails below): one copy of
//! Leptos, std and the API client instead of two. The loader chooses it by bytes (see
//! `src/mount/lojal.js`); once chosen it serves every badge and carousel on the page.

use lojal::mount::Mounted;
use lojal::widgets::{BADGE, CAROUSEL};
use wasm_bindgen::prelude::*;
use web_sys::{HtmlElement, ShadowRoot};

/// Renders a badge or a carousel into its shadow root (see `lojal::mount::mount`).
#[wasm_bindgen]
pub fn mount(
    tag: &str,
    element: HtmlElement,
    root: ShadowRoot,
    page_api: Option<String>,
    page_locale: Option<String>,
) -> Result<Mounted, JsError> {
    lojal::mount::mount(
        &[BADGE, CAROUSEL],
        tag,
        element,
        root,
        page_api,
        page_locale,
    )
}
