//! The console's pages, one module each, and what they share.

pub mod audit;
pub mod campaigns;
pub mod customers;
pub mod feedback;
pub mod overview;
pub mod programme;

use leptos::prelude::*;

use lojal::core::console::PreviewCreated;

use crate::api::{self, Failure};
use crate::i18n::use_i18n;
use lojal::life::Life;

thread_local! {
    /// Whether a page was shown already: the first one keeps the browser's own focus (at the
    /// start, so the skip link comes first); later ones move it to their heading.
    static SHOWN: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// The page's `<h1>`, also the document's title; focus moves to it when the merchant goes to
/// another page, so a screen reader hears where she is.
#[component]
pub fn PageTitle(
    /// The key of the title's string.
    key: &'static str,
) -> impl IntoView {
    let i18n = use_i18n();
    let heading = NodeRef::<leptos::html::H1>::new();
    Effect::new(move |_| {
        let title = i18n.t(key);
        if let Some(document) = web_sys::window().and_then(|w| w.document()) {
            document.set_title(&format!("{title} – lojal"));
        }
    });
    let navigated = SHOWN.with(|shown| shown.replace(true));
    Effect::new(move |_| {
        if let Some(h) = heading.get()
            && navigated
        {
            let _ = h.focus();
        }
    });
    view! { <h1 tabindex="-1" node_ref=heading>{move || i18n.t(key)}</h1> }
}

/// A failed call, said in the page's language with the API's own reason.
#[component]
pub fn Problem(
    /// What failed.
    failure: Failure,
) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <p class="problem" role="alert">
            {move || i18n.t("error.prefix")}
            " "
            {failure.message.clone()}
        </p>
    }
}

/// "Loading…", said politely.
#[component]
pub fn Loading() -> impl IntoView {
    let i18n = use_i18n();
    view! { <p class="loading" role="status">{move || i18n.t("loading")}</p> }
}

/// Today as `YYYY-MM-DD` (UTC, the days the API counts in), and `days` before it.
pub fn day_offset(days: i32) -> String {
    let now = js_sys::Date::new_0();
    let ms = now.get_time() - f64::from(days) * 86_400_000.0;
    let then = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(ms));
    then.to_iso_string()
        .as_string()
        .map(|s| s.chars().take(10).collect())
        .unwrap_or_default()
}

/// A draft shown in the real widget before it is saved: where the widget reads it, or why the
/// API would not keep it.
#[derive(Clone, Copy, Default)]
pub struct Preview {
    /// The API base the widget reads the draft from, once stored.
    pub api: RwSignal<Option<String>>,
    failure: RwSignal<Option<Failure>>,
    /// The page's: a draft stored after the merchant left is not shown.
    life: Life,
}

impl Preview {
    /// Stores `config` as a draft of `kind` (`programme`, `campaign`) for the widget to read.
    pub fn store(self, kind: &'static str, config: &impl serde::Serialize) {
        let body = serde_json::json!({ "kind": kind, "config": config });
        self.life.spawn(async move {
            match api::write::<PreviewCreated>("POST", "/api/v1/admin/previews", &body, &[]).await {
                Ok(created) => {
                    self.failure.set(None);
                    self.api.set(Some(created.api));
                }
                Err(e) => self.failure.set(Some(e)),
            }
        });
    }

    /// Why the draft is not shown, said in the preview's place rather than left as a preview
    /// that never comes.
    pub fn problem(self) -> impl IntoView {
        move || {
            self.failure
                .get()
                .map(|failure| view! { <Problem failure /> })
        }
    }
}
