//! Custom-element glue. `lojal.js` (beside this file, shipped as is) defines the elements and
//! forwards their lifecycle here: [`mount`] on connect, [`Mounted::attribute_changed`] on every
//! observed attribute change, and `free()` on disconnect, which unmounts the view and disposes of
//! its reactive state. One wasm instance serves every element on the page.

use crate::api::ApiClient;
use crate::core::config::{self, Identity, InvalidIdentity};
use crate::core::i18n;
use crate::widgets;
use crate::widgets::intl::{self, Texts};
use leptos::prelude::*;
use send_wrapper::SendWrapper;
use std::any::Any;
use std::collections::BTreeMap;
use wasm_bindgen::prelude::*;
use web_sys::{CssStyleSheet, CustomEvent, CustomEventInit, HtmlElement, ShadowRoot};

/// What the widgets that talk to the API read from their element first, as memos, so that each
/// changes (and re-runs what depends on it) only when the attributes behind it do.
#[derive(Clone, Copy)]
pub struct Basics {
    pub texts: Memo<Texts>,
    pub api: Memo<ApiClient>,
    /// The shopper from `customer-id` and `customer-sig`.
    pub identity: Memo<Result<Identity, InvalidIdentity>>,
}

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

    /// The strings to show now: the locale's, under the element's JSON block and `strings`
    /// attribute. Re-runs the caller when an attribute changes.
    pub fn texts(&self) -> Texts {
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

    /// The [`Basics`] of this element.
    pub fn basics(&self) -> Basics {
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

/// A mounted widget. Dropping it (JS: `free()`) unmounts the view and ends its reactive state.
#[wasm_bindgen]
pub struct Mounted {
    attributes: ArcRwSignal<BTreeMap<String, String>>,
    _view: Box<dyn Any>,
}

#[wasm_bindgen]
impl Mounted {
    /// Called from `attributeChangedCallback`; `None` means the attribute was removed.
    pub fn attribute_changed(&self, name: String, value: Option<String>) {
        self.attributes.update(|a| {
            match value {
                Some(v) => a.insert(name, v),
                None => a.remove(&name),
            };
        });
    }
}

/// Renders the widget for `tag` into `root`, the element's shadow root.
#[wasm_bindgen]
pub fn mount(
    tag: &str,
    element: HtmlElement,
    root: ShadowRoot,
    page_api: Option<String>,
    page_locale: Option<String>,
) -> Result<Mounted, JsError> {
    let widget = widgets::by_tag(tag)
        .ok_or_else(|| JsError::new(&format!("lojal: no widget is called <{tag}>")))?;

    let sheets = js_sys::Array::new();
    for css in std::iter::once(&widgets::BASE_CSS).chain(widget.sheets) {
        let sheet = style_sheet(css)?;
        sheets.push(&sheet);
    }
    root.set_adopted_style_sheets(&sheets);
    // The loader's placeholder goes; the widget draws its own skeleton in the same box.
    root.replace_children_with_node_0();
    let document = element
        .owner_document()
        .ok_or_else(|| JsError::new("lojal: element has no document"))?;
    let container: HtmlElement = document
        .create_element("div")
        .map_err(|_| JsError::new("lojal: cannot create a container"))?
        .unchecked_into();
    container.set_class_name("lojal-root");
    let _ = root.append_child(&container);

    let mut attributes = BTreeMap::new();
    let names = element.get_attribute_names();
    for name in names.iter().filter_map(|n| n.as_string()) {
        if let Some(value) = element.get_attribute(&name) {
            attributes.insert(name, value);
        }
    }
    let attributes = ArcRwSignal::new(attributes);
    intl::read_locale_scripts(&document);
    let strings_block = element
        .query_selector(":scope > script[type='application/json'][data-lojal-strings]")
        .ok()
        .flatten()
        .and_then(|script| script.text_content());
    let host = Host {
        element: SendWrapper::new(element),
        attributes: attributes.clone(),
        page_api,
        page_locales: page_locales(page_locale, &document),
        strings_block,
    };
    let render = widget.render;
    let view = leptos::mount::mount_to(container, move || render(host));
    Ok(Mounted {
        attributes,
        _view: Box::new(view),
    })
}

/// The parsed sheet for `css`, made once per page: every element of a kind adopts the same
/// sheet, so a page with twenty carousels parses their CSS once.
fn style_sheet(css: &'static str) -> Result<CssStyleSheet, JsError> {
    thread_local! {
        static SHEETS: std::cell::RefCell<Vec<(&'static str, CssStyleSheet)>> = const {
            std::cell::RefCell::new(Vec::new())
        };
    }
    SHEETS.with_borrow_mut(|sheets| {
        if let Some((_, sheet)) = sheets.iter().find(|(c, _)| std::ptr::eq(*c, css)) {
            return Ok(sheet.clone());
        }
        let sheet = CssStyleSheet::new()
            .map_err(|_| JsError::new("lojal: constructable stylesheets are unsupported"))?;
        let _ = sheet.replace_sync(css);
        sheets.push((css, sheet.clone()));
        Ok(sheet)
    })
}

fn page_locales(script_locale: Option<String>, document: &web_sys::Document) -> Vec<String> {
    // Not `navigator.languages`: a widget speaks the page's language, not the browser's (a
    // German browser on a Norwegian shop without `lang` gets English, never German widgets).
    let html_lang = document
        .document_element()
        .and_then(|html| html.get_attribute("lang"));
    script_locale.into_iter().chain(html_lang).collect()
}
