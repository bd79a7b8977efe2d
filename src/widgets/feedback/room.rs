//! Room for a floating prompt, so it never hides what the keyboard focuses on the page
//! (WCAG 2.4.11 Focus Not Obscured): while the prompt floats, the page's scroll padding at the
//! bottom grows by the prompt's height, so the browser scrolls a focused element above it, and
//! a spacer as tall as the prompt ends the page, so even its last links can scroll clear of it.
//! The page gets back what it had when the prompt goes. A prompt that does not float (a short
//! window keeps it in the page) needs no room.

use wasm_bindgen::JsCast;
use web_sys::{HtmlElement, ResizeObserver, ResizeObserverEntry};

/// The room made for one floating prompt; dropping it gives the page back its own.
pub struct Room {
    spacer: HtmlElement,
    root: HtmlElement,
    /// The page's own inline `scroll-padding-bottom` on `<html>`, put back on drop.
    before: String,
    /// The page's computed value, which the prompt's height adds to.
    base: String,
    observer: Option<ResizeObserver>,
    _on_resize: Option<wasm_bindgen::closure::Closure<dyn FnMut(js_sys::Array)>>,
}

impl Room {
    /// Room for `prompt`, kept as tall as it is while it changes size (a follow-up question
    /// opens below a score).
    pub fn for_prompt(prompt: &HtmlElement) -> Option<Self> {
        let window = web_sys::window()?;
        // In a short window the prompt stays in the page (feedback.css): no room to make.
        let position = window
            .get_computed_style(prompt)
            .ok()
            .flatten()
            .and_then(|s| s.get_property_value("position").ok());
        if position.as_deref() != Some("fixed") {
            return None;
        }
        let document = window.document()?;
        let root = document
            .document_element()?
            .dyn_into::<HtmlElement>()
            .ok()?;
        let spacer = document
            .create_element("div")
            .ok()?
            .dyn_into::<HtmlElement>()
            .ok()?;
        let _ = spacer.set_attribute("aria-hidden", "true");
        let _ = spacer.set_attribute("data-lojal-room", "");
        document.body()?.append_child(&spacer).ok()?;
        let before = root
            .style()
            .get_property_value("scroll-padding-bottom")
            .unwrap_or_default();
        let base = window
            .get_computed_style(&root)
            .ok()
            .flatten()
            .and_then(|s| s.get_property_value("scroll-padding-bottom").ok())
            .filter(|v| v.ends_with("px"))
            .unwrap_or_else(|| "0px".into());
        let mut room = Self {
            spacer,
            root,
            before,
            base,
            observer: None,
            _on_resize: None,
        };
        room.fit(prompt.get_bounding_client_rect().height());
        let (spacer, root, base) = (room.spacer.clone(), room.root.clone(), room.base.clone());
        let on_resize = wasm_bindgen::closure::Closure::<dyn FnMut(js_sys::Array)>::new(
            move |entries: js_sys::Array| {
                if let Some(entry) = entries.get(0).dyn_ref::<ResizeObserverEntry>() {
                    set_height(
                        &spacer,
                        &root,
                        &base,
                        entry.target().get_bounding_client_rect().height(),
                    );
                }
            },
        );
        if let Ok(observer) = ResizeObserver::new(on_resize.as_ref().unchecked_ref()) {
            observer.observe(prompt);
            room.observer = Some(observer);
        }
        room._on_resize = Some(on_resize);
        Some(room)
    }

    fn fit(&self, height: f64) {
        set_height(&self.spacer, &self.root, &self.base, height);
    }
}

/// The prompt's height, plus the gap it floats at, as the spacer's height and the page's extra
/// scroll padding.
fn set_height(spacer: &HtmlElement, root: &HtmlElement, base: &str, height: f64) {
    let room = (height + 16.0).ceil();
    let _ = spacer.style().set_property("height", &format!("{room}px"));
    let _ = root
        .style()
        .set_property("scroll-padding-bottom", &format!("calc({base} + {room}px)"));
}

impl Drop for Room {
    fn drop(&mut self) {
        if let Some(observer) = &self.observer {
            observer.disconnect();
        }
        self.spacer.remove();
        let style = self.root.style();
        let _ = if self.before.is_empty() {
            style.remove_property("scroll-padding-bottom").map(drop)
        } else {
            style.set_property("scroll-padding-bottom", &self.before)
        };
    }
}
