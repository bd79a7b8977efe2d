//! The console's languages: one JSON file each under `console/locales/` (the sign-in form reads
//! the same files), chosen once from the browser's languages and changeable in the header.
//! Adding a language is adding a file and one line in [`LANGUAGES`] (and in shop-api's
//! `console::pages`). Numbers and dates come from the browser's `Intl`.

use leptos::prelude::*;
use serde_json::Value;

/// Tag, the language's own name, and its strings.
pub const LANGUAGES: &[(&str, &str, &str)] = &[
    ("nb", "Norsk bokmål", include_str!("../locales/nb.json")),
    ("en", "English", include_str!("../locales/en.json")),
];

thread_local! {
    static TABLES: Vec<(&'static str, Value)> = LANGUAGES
        .iter()
        .map(|(tag, _, json)| (*tag, serde_json::from_str(json).unwrap_or(Value::Null)))
        .collect();
}

/// The string at a dotted `key` in `lang`, else in English, else the key itself.
pub fn lookup(lang: &str, key: &str) -> String {
    let find = |table: &Value| {
        key.split('.')
            .try_fold(table, |node, part| node.get(part))
            .and_then(Value::as_str)
            .map(str::to_owned)
    };
    TABLES.with(|tables| {
        tables
            .iter()
            .find(|(tag, _)| *tag == lang)
            .and_then(|(_, t)| find(t))
            .or_else(|| {
                tables
                    .iter()
                    .find(|(tag, _)| *tag == "en")
                    .and_then(|(_, t)| find(t))
            })
            .unwrap_or_else(|| key.to_owned())
    })
}

/// The language to start in: the last one chosen here, else the browser's first shipped one
/// (`no` and `nn` read as Bokmål), else English.
fn initial() -> String {
    let window = web_sys::window();
    let stored = window
        .as_ref()
        .and_then(|w| w.local_storage().ok().flatten())
        .and_then(|s| s.get_item("lojal-console-lang").ok().flatten())
        .filter(|l| LANGUAGES.iter().any(|(tag, _, _)| tag == l));
    if let Some(stored) = stored {
        return stored;
    }
    let browser: Vec<String> = window
        .map(|w| {
            w.navigator()
                .languages()
                .iter()
                .filter_map(|l| l.as_string())
                .collect()
        })
        .unwrap_or_default();
    browser
        .iter()
        .find_map(|tag| {
            let primary = tag.split('-').next()?.to_ascii_lowercase();
            match primary.as_str() {
                "nb" | "no" | "nn" => Some("nb".to_owned()),
                other => LANGUAGES
                    .iter()
                    .find(|(t, _, _)| *t == other)
                    .map(|(t, _, _)| (*t).to_owned()),
            }
        })
        .unwrap_or_else(|| "en".into())
}

/// The language in force, shared by every page through the context.
#[derive(Clone, Copy)]
pub struct I18n {
    pub lang: RwSignal<String>,
}

impl I18n {
    pub fn new() -> Self {
        let i18n = Self {
            lang: RwSignal::new(initial()),
        };
        Effect::new(move |_| {
            let lang = i18n.lang.get();
            if let Some(document) = web_sys::window().and_then(|w| w.document()) {
                if let Some(root) = document.document_element() {
                    let _ = root.set_attribute("lang", &lang);
                }
            }
            if let Some(storage) = web_sys::window().and_then(|w| w.local_storage().ok().flatten())
            {
                let _ = storage.set_item("lojal-console-lang", &lang);
            }
        });
        i18n
    }

    /// The string at `key` in the language in force; re-runs the caller when it changes.
    pub fn t(&self, key: &str) -> String {
        lookup(&self.lang.get(), key)
    }

    /// A number as the language writes it (`1 250`, `1,250`).
    pub fn number(&self, n: f64) -> String {
        js_sys::Number::from(n)
            .to_locale_string(&self.lang.get())
            .as_string()
            .unwrap_or_else(|| n.to_string())
    }

    /// A `YYYY-MM-DD` day or an instant as the language writes its date.
    pub fn date(&self, at: &str) -> String {
        let date = js_sys::Date::new(&wasm_bindgen::JsValue::from_str(at));
        if date.get_time().is_nan() {
            return at.to_owned();
        }
        let options = js_sys::Object::new();
        let _ = js_sys::Reflect::set(&options, &"dateStyle".into(), &"medium".into());
        let _ = js_sys::Reflect::set(&options, &"timeZone".into(), &"UTC".into());
        date.to_locale_date_string(&self.lang.get(), &options)
            .as_string()
            .unwrap_or_else(|| at.to_owned())
    }

    /// An instant with its time, in the browser's own time zone.
    pub fn date_time(&self, at: &str) -> String {
        let date = js_sys::Date::new(&wasm_bindgen::JsValue::from_str(at));
        if date.get_time().is_nan() {
            return at.to_owned();
        }
        date.to_locale_string(&self.lang.get(), &wasm_bindgen::JsValue::UNDEFINED)
            .as_string()
            .unwrap_or_else(|| at.to_owned())
    }
}

impl Default for I18n {
    fn default() -> Self {
        Self::new()
    }
}

/// The [`I18n`] the app provided.
pub fn use_i18n() -> I18n {
    expect_context::<I18n>()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every key of the English file, as dotted paths.
    fn keys(value: &Value, prefix: &str, out: &mut Vec<String>) {
        if let Some(map) = value.as_object() {
            for (k, v) in map {
                keys(v, &format!("{prefix}{k}."), out);
            }
        } else {
            out.push(prefix.trim_end_matches('.').to_owned());
        }
    }

    #[test]
    fn every_language_has_every_string_and_none_is_an_untranslated_copy() {
        let english: Value = serde_json::from_str(LANGUAGES[1].2).unwrap();
        let mut all = Vec::new();
        keys(&english, "", &mut all);
        for (tag, _, json) in LANGUAGES {
            let table: Value = serde_json::from_str(json).unwrap();
            let mut own = Vec::new();
            keys(&table, "", &mut own);
            for key in &all {
                assert!(own.contains(key), "{tag} lacks {key}");
            }
            if *tag != "en" {
                assert_ne!(table, english, "{tag} is a copy of English");
            }
        }
    }
}
