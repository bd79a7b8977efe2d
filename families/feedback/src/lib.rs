//! The feedback prompts' wasm: `<lojal-nps>`, `<lojal-csat>` and `<lojal-review>`, and the
//! outbox that delivers their answers, and nothing of the other families.

use wasm_bindgen::prelude::*;

lojal::mount_export!(FEEDBACK);

/// Starts the page's outbox (`lojal::api::outbox::install`). The loader calls it on every page
/// where earlier answers wait in `localStorage`, even one without a prompt.
#[wasm_bindgen(js_name = flushOutbox)]
pub fn flush_outbox() {
    lojal::api::outbox::install();
}
