//! Custom-element glue. `lojal.js` (beside this file, shipped as is) defines the elements and
//! forwards their lifecycle to the wasm of the element's family: its `mount` on connect (each
//! crate under `families/` exports one over its widget tables with [`mount_export!`], which
//! calls [`mount`] here), [`Mounted::attribute_changed`] on every observed attribute change, and
//! `free()` on disconnect, which unmounts the view and disposes of its reactive state. One wasm
//! instance per family serves every element of that family on the page; or, where the loader
//! chooses one for a page with several families, a wasm of several families
//! (`families/storefront`: the badge and the carousel; `families/order`: the badge and the
//! feedback prompts; `families/campaign`: the badge and the games; `families/all`: every
//! family), whose `mount` looks the tag up in each of their tables, serves the elements of all
//! of them.
//!
//! The dependency runs one way: this layer knows the widgets' tables and makes each element's
//! [`Host`]; the widgets know nothing of it.
//!
//! [`mount_export!`]: crate::mount_export

use crate::widgets::host::Host;
use crate::widgets::{self, Widget, intl};
use leptos::prelude::*;
use std::any::Any;
use std::collections::BTreeMap;
use wasm_bindgen::prelude::*;
use web_sys::{CssStyleSheet, HtmlElement, ShadowRoot};

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

/// Writes the `mount` export of a wasm under `families/`, over the widget tables it carries
/// (named as in [`crate::widgets`]): `lojal::mount_export!(BADGE, CAROUSEL);` is the whole of a
/// wasm of the badge and the carousel. The loader calls that export as `mount(tag, element, root,
/// page_api, page_locale)` when an element connects, and it renders the element through
/// [`mount`], from the first of the tables that has its tag. With `FEEDBACK` among the tables it
/// also writes the outbox's `flushOutbox`
/// ([`outbox_export_with!`](crate::outbox_export_with)). The crate that calls the macro depends
/// on `wasm-bindgen` and on `web-sys` with its `HtmlElement` and `ShadowRoot` features, which
/// the export's code names.
#[macro_export]
macro_rules! mount_export {
    ($($table:ident),+ $(,)?) => {
        /// Renders a lojal element of this wasm's families into its shadow root (see
        /// `lojal::mount::mount`).
        #[::wasm_bindgen::prelude::wasm_bindgen]
        pub fn mount(
            tag: &str,
            element: ::web_sys::HtmlElement,
            root: ::web_sys::ShadowRoot,
            page_api: Option<String>,
            page_locale: Option<String>,
        ) -> Result<$crate::mount::Mounted, ::wasm_bindgen::JsError> {
            let tables = &[$($crate::widgets::$table),+];
            $crate::mount::mount(tables, tag, element, root, page_api, page_locale)
        }
        $($crate::outbox_export_with!($table);)+
    };
}

/// The outbox's export, `flushOutbox`, in every wasm that carries the feedback prompts (written
/// by [`mount_export!`] for the `FEEDBACK` table, so no such wasm can lack it): the loader calls
/// it on whatever wasm serves the feedback family, on every page where earlier answers wait in
/// `localStorage`, even one without a prompt.
#[doc(hidden)]
#[macro_export]
macro_rules! outbox_export_with {
    (FEEDBACK) => {
        /// Starts the page's outbox (`lojal::api::outbox::install`).
        #[::wasm_bindgen::prelude::wasm_bindgen(js_name = flushOutbox)]
        pub fn flush_outbox() {
            $crate::api::outbox::install();
        }
    };
    ($other:ident) => {};
}

/// Renders the widget for `tag`, one of `tables` (the widget tables of the families this wasm
/// carries), into `root`, the element's shadow root.
pub fn mount(
    tables: &[&'static [Widget]],
    tag: &str,
    element: HtmlElement,
    root: ShadowRoot,
    page_api: Option<String>,
    page_locale: Option<String>,
) -> Result<Mounted, JsError> {
    let widget = tables
        .iter()
        .find_map(|table| widgets::by_tag(table, tag))
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
    let page_locales = page_locales(page_locale, &document);
    let host = Host::new(
        element,
        attributes.clone(),
        page_api,
        page_locales,
        strings_block,
    );
    let render = widget.render;
    let view = leptos::mount::mount_to(container, move || render(host));
    Ok(Mounted {
        attributes,
        _view: Box::new(view),
    })
}

/// The parsed sheet for `css`, made once per page: every element that uses a sheet adopts the
/// same object, so a page with twenty carousels parses their CSS once, and the base sheet every
/// family ships is parsed once for all of them. The sheets live in the loader's registry
/// (`__lojal.sheets`, keyed by the CSS text), where every family's wasm finds them; without the
/// loader, in this wasm alone.
fn style_sheet(css: &'static str) -> Result<CssStyleSheet, JsError> {
    thread_local! {
        static SHEETS: js_sys::Map = shared_sheets();
    }
    SHEETS.with(|sheets| {
        let key = JsValue::from_str(css);
        if let Ok(sheet) = sheets.get(&key).dyn_into::<CssStyleSheet>() {
            return Ok(sheet);
        }
        let sheet = CssStyleSheet::new()
            .map_err(|_| JsError::new("lojal: constructable stylesheets are unsupported"))?;
        let _ = sheet.replace_sync(css);
        sheets.set(&key, &sheet);
        Ok(sheet)
    })
}

/// `__lojal.sheets`, made by the first family that needs it.
fn shared_sheets() -> js_sys::Map {
    let name = JsValue::from_str("sheets");
    let Ok(registry) = js_sys::Reflect::get(&js_sys::global(), &"__lojal".into()) else {
        return js_sys::Map::new();
    };
    if !registry.is_object() {
        return js_sys::Map::new();
    }
    if let Ok(map) = js_sys::Reflect::get(&registry, &name).and_then(|m| m.dyn_into()) {
        return map;
    }
    let map = js_sys::Map::new();
    let _ = js_sys::Reflect::set(&registry, &name, &map);
    map
}

fn page_locales(script_locale: Option<String>, document: &web_sys::Document) -> Vec<String> {
    // Not `navigator.languages`: a widget speaks the page's language, not the browser's (a
    // German browser on a Norwegian shop without `lang` gets English, never German widgets).
    let html_lang = document
        .document_element()
        .and_then(|html| html.get_attribute("lang"));
    script_locale.into_iter().chain(html_lang).collect()
}
