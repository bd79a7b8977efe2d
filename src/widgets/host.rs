//! What a widget knows of its custom element: live attributes, the page's defaults, the loader's
//! registry (consent gate, storage, prompt budget). The mount layer (`crate::mount`) makes one
//! per element; widgets depend on this module, never on the mount layer.

use crate::api::ApiClient;
use crate::core::config::{self, Identity, InvalidIdentity};
use crate::core::i18n::{self, FamilyStrings};
use crate::widgets::intl::{self, Texts};
use leptos::prelude::*;
use send_wrapper::SendWrapper;
use std::collections::BTreeMap;
use wasm_bindgen::prelude::*;
use web_sys::{CustomEvent, CustomEventInit, HtmlElement};

/// What the widgets that talk to the API read from their element first, as memos, so that each
/// changes (and re-runs what depends on it) only when the attributes behind it do. `S` is the
/// widget's family's strings.
pub struct Basics<S: FamilyStrings> {
    pub texts: Memo<Texts<S>>,
    pub api: Memo<ApiClient>,
    /// The shopper from `customer-id` and `customer-sig`.
    pub identity: Memo<Result<Identity, InvalidIdentity>>,
}

// By hand: a derive would ask `S` to be `Copy`, which a memo of it need not be.
impl<S: FamilyStrings> Clone for Basics<S> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<S: FamilyStrings> Copy for Basics<S> {}

/// One custom element as its widget sees it: live attributes, the page's defaults, the host.
#[derive(Clone)]
pub struct Host {
    element: SendWrapper<HtmlElement>,
    attributes: ArcRwSignal<BTreeMap<String, String>>,
    page_api: Option<String>,
    /// Locale candidates after the element's own attribute: the script tag's `data-locale`,
    /// then `<html lang>`, read once at mount (English when none is shipped or added).
    page_locales: Vec<String>,
    /// The text of the element's `<script type="application/json" data-lojal-strings>` child,
    /// read once at mount.
    strings_block: Option<String>,
}

impl Host {
    /// The host of `element`, whose attributes `attributes` mirrors.
    pub fn new(
        element: HtmlElement,
        attributes: ArcRwSignal<BTreeMap<String, String>>,
        page_api: Option<String>,
        page_locales: Vec<String>,
        strings_block: Option<String>,
    ) -> Self {
        Self {
            element: SendWrapper::new(element),
            attributes,
            page_api,
            page_locales,
            strings_block,
        }
    }

    /// An attribute's current value; re-runs the caller when it changes.
    pub fn attribute(&self, name: &str) -> Option<String> {
        self.attributes.with(|a| a.get(name).cloned())
    }

    /// The locale to use now, shipped or added by the page: `locale` attribute first, then the
    /// page's candidates.
    pub fn locale(&self) -> String {
        let own = self.attribute("locale");
        i18n::resolve(
            own.iter().chain(&self.page_locales).map(String::as_str),
            &intl::added_locales(),
        )
    }

    /// The strings of family `S` to show now: the locale's, under the element's JSON block and
    /// `strings` attribute. Re-runs the caller when an attribute changes.
    pub fn texts<S: FamilyStrings>(&self) -> Texts<S> {
        let overrides: Vec<String> = self
            .strings_block
            .iter()
            .cloned()
            .chain(self.attribute("strings"))
            .collect();
        Texts::with_strings(&self.locale(), &overrides, &|m| self.console_warn(m))
    }

    /// The API this element talks to: its `api` attribute, else the script tag's `data-api`.
    pub fn api(&self) -> ApiClient {
        ApiClient::new(self.api_base())
    }

    /// The [`Basics`] of this element, with the strings of family `S`.
    pub fn basics<S: FamilyStrings>(&self) -> Basics<S> {
        let host = self.clone();
        let texts = Memo::new(move |_| host.texts());
        let host = self.clone();
        let api = Memo::new(move |_| host.api());
        let host = self.clone();
        let identity = Memo::new(move |_| {
            Identity::from_attributes(
                host.attribute("customer-id").as_deref(),
                host.attribute("customer-sig").as_deref(),
            )
        });
        Basics {
            texts,
            api,
            identity,
        }
    }

    /// The API base as configured (element `api`, then the script tag's `data-api`), unresolved.
    pub fn api_base(&self) -> String {
        config::api_base(self.attribute("api").as_deref(), self.page_api.as_deref())
    }

    /// The custom element itself.
    pub fn element(&self) -> &HtmlElement {
        &self.element
    }

    /// Sets or removes a boolean attribute on the element, so the page's CSS (and the widget's
    /// own `:host([…])` rules) can follow the widget's state.
    pub fn set_flag(&self, name: &str, on: bool) {
        let _ = if on {
            self.element.set_attribute(name, "")
        } else {
            self.element.remove_attribute(name)
        };
    }

    /// The tag name, for console messages.
    pub fn tag(&self) -> String {
        self.element.tag_name().to_ascii_lowercase()
    }

    /// Dispatches `lojal:<name>` on the element; it bubbles out of the shadow root so a theme can
    /// listen on `document`.
    pub fn emit(&self, name: &str, detail: &JsValue) {
        let init = CustomEventInit::new();
        init.set_bubbles(true);
        init.set_composed(true);
        init.set_detail(detail);
        if let Ok(event) = CustomEvent::new_with_event_init_dict(&format!("lojal:{name}"), &init) {
            let _ = self.element.dispatch_event(&event);
        }
    }

    /// Dispatches `lojal:<name>` before the navigation `click` (on one of the widget's links)
    /// makes, cancelable when that navigation would replace this page (a primary-button click
    /// without modifier keys): a listener that calls `preventDefault()` stops it, so an app's
    /// router can take over. A click that opens a new tab or window still dispatches the event,
    /// not cancelable, and navigates as the browser means it to.
    pub fn emit_before_navigation(
        &self,
        name: &str,
        detail: &JsValue,
        click: &web_sys::MouseEvent,
    ) {
        let in_place = click.button() == 0
            && !(click.ctrl_key() || click.meta_key() || click.shift_key() || click.alt_key());
        let init = CustomEventInit::new();
        init.set_bubbles(true);
        init.set_composed(true);
        init.set_cancelable(in_place);
        init.set_detail(detail);
        if let Ok(event) = CustomEvent::new_with_event_init_dict(&format!("lojal:{name}"), &init)
            && !self.element.dispatch_event(&event).unwrap_or(true)
        {
            click.prevent_default();
        }
    }

    /// Dispatches an analytics event `lojal:<name>` through the loader's consent gate: at once
    /// when the page's consent tool allows analytics, queued while it is undecided, dropped
    /// once it refused. Without the loader (nothing to ask) the event is dropped.
    pub fn emit_analytics(&self, name: &str, detail: &JsValue) {
        let gate = js_sys::Reflect::get(&js_sys::global(), &"__lojal".into())
            .and_then(|registry| js_sys::Reflect::get(&registry, &"analytics".into()))
            .ok()
            .and_then(|f| f.dyn_into::<js_sys::Function>().ok());
        if let Some(gate) = gate {
            let _ = gate.call3(&JsValue::NULL, &self.element, &name.into(), detail);
        }
    }

    /// The loader's shared frequency budget for interrupting prompts: whether the prompt `key`
    /// may open now (and, if so, it counts as this visit's one prompt).
    pub fn budget_request(&self, key: &str) -> bool {
        registry_call("budget", "request", &[key])
            .and_then(|v| v.as_bool())
            .unwrap_or(false)
    }

    /// Records that the shopper dismissed (`"dismissed"`) or played (`"played"`) prompt `key`.
    pub fn budget_settle(&self, key: &str, outcome: &str) {
        registry_call("budget", "settle", &[key, outcome]);
    }

    /// A preference kept in `localStorage` (or, without storage consent, for this page), read
    /// through the loader.
    pub fn stored(&self, key: &str) -> Option<String> {
        registry_call("storage", "read", &["local", key]).and_then(|v| v.as_string())
    }

    /// Keeps a preference through the loader's consent gate: in `localStorage` with storage
    /// consent, else for this page only. Without the loader, nowhere.
    pub fn store(&self, key: &str, value: &str) {
        registry_call("storage", "write", &["local", key, value]);
    }

    /// Whether the page's consent tool allows lojal to keep things in this browser (the
    /// loader's storage consent). Without the loader, or undecided, it does not.
    pub fn storage_allowed(&self) -> bool {
        registry_call("storage", "allowed", &[])
            .and_then(|v| v.as_bool())
            .unwrap_or(false)
    }

    /// Whether an event's path runs through this element (a click inside the widget).
    pub fn contains_event(&self, event: &web_sys::Event) -> bool {
        event.composed_path().includes(self.element.as_ref(), 0)
    }

    /// Marks `lojal:<widget>:ready` (`lojal:badge:ready` for `<lojal-badge>`) on the page's
    /// performance timeline: the moment the widget first shows something other than loading.
    pub fn mark_ready(&self) {
        let tag = self.tag();
        let widget = tag.strip_prefix("lojal-").unwrap_or(&tag);
        if let Some(performance) = web_sys::window().and_then(|w| w.performance()) {
            let _ = performance.mark(&format!("lojal:{widget}:ready"));
        }
    }

    /// Logs one `lojal: <tag> …` warning to the console.
    pub fn console_warn(&self, message: &str) {
        web_sys::console::warn_1(&format!("lojal: <{}> {message}", self.tag()).into());
    }

    /// Logs one `lojal: <tag> …` error to the console.
    pub fn console_error(&self, message: &str) {
        web_sys::console::error_1(&format!("lojal: <{}> {message}", self.tag()).into());
    }
}

/// Calls `__lojal.<object>.<method>(...args)` on the loader's registry (up to three arguments).
fn registry_call(object: &str, method: &str, args: &[&str]) -> Option<JsValue> {
    let target = js_sys::Reflect::get(&js_sys::global(), &"__lojal".into())
        .and_then(|registry| js_sys::Reflect::get(&registry, &object.into()))
        .ok()?;
    let f = js_sys::Reflect::get(&target, &method.into())
        .ok()?
        .dyn_into::<js_sys::Function>()
        .ok()?;
    let arg = |i: usize| {
        args.get(i)
            .map_or(JsValue::UNDEFINED, |a| JsValue::from_str(a))
    };
    f.call3(&target, &arg(0), &arg(1), &arg(2)).ok()
}

/// A JS object from key/value pairs: the `detail` of every event a widget dispatches.
pub fn js_object(entries: &[(&str, JsValue)]) -> JsValue {
    let object = js_sys::Object::new();
    for (key, value) in entries {
        let _ = js_sys::Reflect::set(&object, &JsValue::from_str(key), value);
    }
    object.into()
}
