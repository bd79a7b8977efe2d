//! The browser's `Intl` for numbers, plural categories and dates, joined with the locale's
//! strings of one widget family and the element's overrides. Built once per locale and
//! overrides; a widget re-renders with a new one when `locale` or `strings` changes. Locales a
//! page adds at run time (`lojal.addLocale`, `<script type="application/json"
//! data-lojal-locale>`) wait in the loader's registry as JSON text, and are read from there; so
//! do the shipped locales' strings other than English, which the loader fetches beside the wasm.

use crate::core::i18n::{self, FamilyStrings, Plural, fill};
use js_sys::{Array, Date, Function, Intl, Object, Reflect};
use send_wrapper::SendWrapper;
use serde_json::Value;
use std::any::TypeId;
use std::cell::RefCell;
use std::sync::Arc;
use wasm_bindgen::JsCast;
use wasm_bindgen::JsValue;

/// Strings of one family (`S`, such as [`i18n::BadgeStrings`]) and formatters of one locale.
/// Cheap to clone; equal when the locale and every string are.
pub struct Texts<S>(Arc<SendWrapper<Inner<S>>>);

struct Inner<S> {
    locale: String,
    strings: S,
    number: Function,
    date: Function,
    time: Function,
    percent: Function,
    plural: Intl::PluralRules,
    /// One `Intl.NumberFormat` per currency seen, built on first use: a rail of 200 cards
    /// formats 400 prices in two or three currencies at most.
    money: RefCell<Vec<(String, Function)>>,
    tenths: Function,
    relative: Intl::RelativeTimeFormat,
}

impl<S> Clone for Texts<S> {
    fn clone(&self) -> Self {
        Self(Arc::clone(&self.0))
    }
}

impl<S: PartialEq> PartialEq for Texts<S> {
    fn eq(&self, other: &Self) -> bool {
        self.0.locale == other.0.locale && self.0.strings == other.0.strings
    }
}

/// The tags of the locales the page added, as the loader's registry holds them.
pub fn added_locales() -> Vec<String> {
    added_registry()
        .map(|added| {
            Object::keys(&added)
                .iter()
                .filter_map(|k| k.as_string())
                .collect()
        })
        .unwrap_or_default()
}

/// Takes the page's `<script type="application/json" data-lojal-locale="lt">` blocks into the
/// registry, as `lojal.addLocale` would; a tag added from JavaScript keeps its strings.
pub fn read_locale_scripts(document: &web_sys::Document) {
    let (Some(added), Ok(scripts)) = (
        added_registry(),
        document.query_selector_all("script[type='application/json'][data-lojal-locale]"),
    ) else {
        return;
    };
    for script in (0..scripts.length()).filter_map(|i| scripts.item(i)) {
        let Some(script) = script.dyn_ref::<web_sys::Element>() else {
            continue;
        };
        let tag = script
            .get_attribute("data-lojal-locale")
            .unwrap_or_default();
        let key = JsValue::from_str(&tag);
        if !tag.is_empty() && !Reflect::has(&added, &key).unwrap_or(true) {
            let text = script.text_content().unwrap_or_default();
            let _ = Reflect::set(&added, &key, &JsValue::from_str(&text));
        }
    }
}

fn added_registry() -> Option<Object> {
    let registry = Reflect::get(&js_sys::global(), &"__lojal".into()).ok()?;
    Reflect::get(&registry, &"locales".into())
        .ok()?
        .dyn_into::<Object>()
        .ok()
}

/// One added locale laid onto one family's strings.
struct Added {
    /// The family's strings it was laid onto, by their type.
    family: TypeId,
    tag: String,
    /// The JSON it came from.
    source: String,
    tree: Value,
}

thread_local! {
    /// Added locales already laid onto English (or onto the shipped locale they replace): each
    /// is parsed, and warned about, once per page and family.
    static ADDED: RefCell<Vec<Added>> = const { RefCell::new(Vec::new()) };
    /// The families and shipped locales (`badge nb`) whose strings showed as English instead,
    /// each reported once per page.
    static REPORTED: RefCell<Vec<String>> = const { RefCell::new(Vec::new()) };
}

/// The complete tree of the strings `S` in a shipped `locale`: English from the wasm itself,
/// another locale from the file the loader fetched (`__lojal.strings[family][locale]`: its
/// text, or the `Error` that kept it). English again, with one console error per family and
/// locale, when that file is missing, failed, or not this family's strings.
fn shipped_tree<S: FamilyStrings>(locale: &str) -> Value {
    let fetched = Reflect::get(&js_sys::global(), &"__lojal".into())
        .and_then(|registry| Reflect::get(&registry, &"strings".into()))
        .and_then(|strings| Reflect::get(&strings, &S::FAMILY.into()))
        .and_then(|family| Reflect::get(&family, &locale.into()))
        .ok()
        .filter(|value| !value.is_undefined())
        .map(|value| {
            value
                .as_string()
                .ok_or_else(|| match value.dyn_ref::<js_sys::Error>() {
                    Some(error) => String::from(error.message()),
                    None => "the loader kept no text for them".to_owned(),
                })
        });
    let fetched = fetched
        .as_ref()
        .map(|f| f.as_deref().map_err(String::as_str));
    S::shipped_value(locale, fetched).unwrap_or_else(|why| {
        let key = [S::FAMILY, " ", locale].concat();
        let first = REPORTED.with_borrow_mut(|reported| {
            let first = !reported.contains(&key);
            if first {
                reported.push(key);
            }
            first
        });
        if first {
            web_sys::console::error_1(
                &[
                    "lojal: the ",
                    S::FAMILY,
                    " strings in ",
                    locale,
                    " could not be used (",
                    &why,
                    "): English shows instead",
                ]
                .concat()
                .into(),
            );
        }
        S::english()
    })
}

/// The complete tree of the strings `S` for `locale`: an added locale over its base, or a
/// shipped one.
fn locale_tree<S: FamilyStrings>(locale: &str) -> Value {
    let source = added_registry()
        .and_then(|added| Reflect::get(&added, &locale.into()).ok())
        .and_then(|json| json.as_string());
    let Some(source) = source else {
        return shipped_tree::<S>(locale);
    };
    let family = TypeId::of::<S>();
    ADDED.with_borrow_mut(|cache| {
        if let Some(added) = cache
            .iter()
            .find(|a| a.family == family && a.tag == locale && a.source == source)
        {
            return added.tree.clone();
        }
        // A shipped language the page replaces keeps its own strings under the new ones.
        let shipped = i18n::SHIPPED.contains(&locale);
        let mut tree = if shipped {
            shipped_tree::<S>(locale)
        } else {
            S::english()
        };
        match crate::core::json::parse::<Value>(&source) {
            Ok(strings) => {
                let mut rejected = Vec::new();
                i18n::overlay(&mut tree, &strings, &mut rejected);
                if !rejected.is_empty() {
                    warn(
                        &[
                            "lojal: locale ",
                            locale,
                            " ignores unknown or non-text keys: ",
                            &rejected.join(", "),
                        ]
                        .concat(),
                    );
                }
                let missing = if shipped {
                    Vec::new()
                } else {
                    i18n::missing_keys(&S::english(), &strings)
                };
                if !missing.is_empty() {
                    warn(
                        &[
                            "lojal: locale ",
                            locale,
                            " lacks these strings, English shows instead: ",
                            &missing.join(", "),
                        ]
                        .concat(),
                    );
                }
            }
            Err(e) => warn(
                &[
                    "lojal: locale ",
                    locale,
                    " is not valid JSON: ",
                    &e.to_string(),
                ]
                .concat(),
            ),
        }
        cache.push(Added {
            family,
            tag: locale.to_owned(),
            source,
            tree: tree.clone(),
        });
        tree
    })
}

fn warn(message: &str) {
    web_sys::console::warn_1(&message.into());
}

impl<S: FamilyStrings> Texts<S> {
    /// The strings and formatters of `locale` (as `Host::locale` resolved it).
    pub fn new(locale: &str) -> Self {
        Self::with_strings(locale, &[], &|_| {})
    }

    /// The strings of `locale` with an element's overrides laid on in order (its JSON block,
    /// then its `strings` attribute). Text that is not JSON, unknown keys and values of the wrong
    /// shape are left out, each source with one message to `warn`; the rest applies.
    pub fn with_strings(locale: &str, overrides: &[String], warn: &dyn Fn(&str)) -> Self {
        let strings = if overrides.is_empty() {
            S::from_value(locale_tree::<S>(locale))
        } else {
            let mut tree = locale_tree::<S>(locale);
            for source in overrides {
                match crate::core::json::parse::<Value>(source) {
                    Ok(strings) => {
                        let mut rejected = Vec::new();
                        i18n::overlay(&mut tree, &strings, &mut rejected);
                        if !rejected.is_empty() {
                            warn(
                                &[
                                    "strings: ignored unknown or non-text keys: ",
                                    &rejected.join(", "),
                                ]
                                .concat(),
                            );
                        }
                    }
                    Err(e) => {
                        warn(&["strings: not valid JSON, ignored: ", &e.to_string()].concat())
                    }
                }
            }
            S::from_value(tree)
        };
        let locales: Array = i18n::intl_locales(locale)
            .iter()
            .map(|l| JsValue::from_str(l))
            .collect();
        let date_options = Object::new();
        // `long` month names read naturally in every shipped language ("22. desember 2026").
        let _ = Reflect::set(&date_options, &"dateStyle".into(), &"long".into());
        let tenths_options = Object::new();
        let _ = Reflect::set(&tenths_options, &"maximumFractionDigits".into(), &1.into());
        let time_options = Object::new();
        let _ = Reflect::set(&time_options, &"timeStyle".into(), &"short".into());
        let percent_options = Object::new();
        let _ = Reflect::set(&percent_options, &"style".into(), &"percent".into());
        let _ = Reflect::set(
            &percent_options,
            &"maximumFractionDigits".into(),
            &JsValue::from_f64(1.0),
        );
        Self(Arc::new(SendWrapper::new(Inner {
            locale: locale.to_owned(),
            strings,
            number: Intl::NumberFormat::new(&locales, &Object::new()).format(),
            date: Intl::DateTimeFormat::new(&locales, &date_options).format(),
            time: Intl::DateTimeFormat::new(&locales, &time_options).format(),
            percent: Intl::NumberFormat::new(&locales, &percent_options).format(),
            plural: Intl::PluralRules::new(&locales, &Object::new()),
            money: RefCell::new(Vec::new()),
            tenths: Intl::NumberFormat::new(&locales, &tenths_options).format(),
            relative: Intl::RelativeTimeFormat::new(&locales, &Object::new()),
        })))
    }
}

impl<S> Texts<S> {
    pub fn locale(&self) -> String {
        self.0.locale.clone()
    }

    pub fn strings(&self) -> &S {
        &self.0.strings
    }

    /// `1250` → `"1 250"` in nb, `"1,250"` in en.
    pub fn number(&self, n: u64) -> String {
        self.0
            .number
            .call1(&JsValue::NULL, &JsValue::from_f64(n as f64))
            .ok()
            .and_then(|v| v.as_string())
            .unwrap_or_else(|| n.to_string())
    }

    /// A price in major units of `currency` in this locale: `1 899 kr`, `NOK 1,899`, `349,50 kr`.
    /// Whole amounts drop their decimals, as Norwegian shops print them.
    pub fn money(&self, major: f64, currency: &str) -> String {
        let mut cache = self.0.money.borrow_mut();
        let format = match cache.iter().find(|(c, _)| c == currency) {
            Some((_, f)) => f.clone(),
            None => {
                let options = Object::new();
                for (key, value) in [
                    ("style", "currency"),
                    ("currency", currency),
                    ("trailingZeroDisplay", "stripIfInteger"),
                ] {
                    let _ = Reflect::set(&options, &key.into(), &value.into());
                }
                let locales = Array::of1(&JsValue::from_str(&self.0.locale));
                let f = Intl::NumberFormat::new(&locales, &options).format();
                cache.push((currency.to_owned(), f.clone()));
                f
            }
        };
        format
            .call1(&JsValue::NULL, &JsValue::from_f64(major))
            .ok()
            .and_then(|v| v.as_string())
            .unwrap_or_else(|| format!("{major} {currency}"))
    }

    /// An amount in minor units of `currency`, as [`Texts::money`] writes it: 5000 NOK is
    /// `50 kr`.
    pub fn money_minor(&self, minor: u64, currency: &str) -> String {
        let digits = crate::core::programme::minor_digits(currency);
        self.money(minor as f64 / 10f64.powi(digits as i32), currency)
    }

    /// A number with at most one decimal: `4,5` in nb, `4.5` in en.
    pub fn tenths(&self, n: f64) -> String {
        self.0
            .tenths
            .call1(&JsValue::NULL, &JsValue::from_f64(n))
            .ok()
            .and_then(|v| v.as_string())
            .unwrap_or_else(|| n.to_string())
    }

    /// Picks the plural form for `n` and fills `{count}` with the formatted number, plus `extra`.
    pub fn count(&self, message: &Plural, n: u64, extra: &[(&str, &str)]) -> String {
        let category = String::from(self.0.plural.select(n as f64));
        let number = self.number(n);
        let mut values = vec![("count", number.as_str())];
        values.extend_from_slice(extra);
        fill(message.select(&category), &values)
    }

    /// An RFC 3339 instant as a long local date; `None` when the string is not a date.
    pub fn date(&self, rfc3339: &str) -> Option<String> {
        let date = Date::new(&JsValue::from_str(rfc3339));
        if date.get_time().is_nan() {
            return None;
        }
        self.0.date.call1(&JsValue::NULL, &date).ok()?.as_string()
    }

    /// A day of the year without its year, as the locale writes it: `14. mars`, `March 14`.
    /// `month` 0 gives the month's name alone (`mars`, `March`), for a month picker.
    pub fn day_of_year(&self, month: u8, day: u8) -> String {
        let options = Object::new();
        let _ = Reflect::set(&options, &"month".into(), &"long".into());
        let _ = Reflect::set(&options, &"timeZone".into(), &"UTC".into());
        if day > 0 {
            let _ = Reflect::set(&options, &"day".into(), &"numeric".into());
        }
        let locales: Array = i18n::intl_locales(&self.0.locale)
            .iter()
            .map(|l| JsValue::from_str(l))
            .collect();
        // 2000 was a leap year, so 29 February has a date to format.
        let date = Date::new(&JsValue::from_f64(
            Date::utc(2000.0, f64::from(month.max(1)) - 1.0)
                + f64::from(day.max(1) - 1) * 86_400_000.0,
        ));
        Intl::DateTimeFormat::new(&locales, &options)
            .format()
            .call1(&JsValue::NULL, &date)
            .ok()
            .and_then(|v| v.as_string())
            .unwrap_or_else(|| format!("{day}.{month}."))
    }

    /// An RFC 3339 instant as a local time of day (`14:05` in nb, `2:05 PM` in en).
    pub fn time(&self, rfc3339: &str) -> Option<String> {
        let date = Date::new(&JsValue::from_str(rfc3339));
        if date.get_time().is_nan() {
            return None;
        }
        self.0.time.call1(&JsValue::NULL, &date).ok()?.as_string()
    }

    /// An instant `seconds` from now as the locale says it: `om 3 timer`, `in 3 hours`,
    /// `3 tunnin päästä`.
    pub fn relative(&self, seconds: i64) -> String {
        let (value, unit) = i18n::relative_span(seconds);
        String::from(self.0.relative.format(value as f64, unit))
    }

    /// A share in `[0, 1]` as a percentage (`2 %` in nb, `2%` in en), one decimal at most.
    pub fn percent(&self, fraction: f64) -> String {
        self.0
            .percent
            .call1(&JsValue::NULL, &JsValue::from_f64(fraction))
            .ok()
            .and_then(|v| v.as_string())
            .unwrap_or_else(|| format!("{:.1} %", fraction * 100.0))
    }
}
