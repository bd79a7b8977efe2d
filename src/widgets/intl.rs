//! The browser's `Intl` for numbers, plural categories and dates, joined with the locale's
//! strings. Built once per locale; a widget re-renders with a new one when `locale` changes.

use crate::core::i18n::{self, Messages, Plural, fill};
use js_sys::{Array, Date, Function, Intl, Object, Reflect};
use send_wrapper::SendWrapper;
use std::cell::RefCell;
use std::sync::Arc;
use wasm_bindgen::JsValue;

/// Strings and formatters of one locale. Cheap to clone; equal when the locale is.
#[derive(Clone)]
pub struct Texts(Arc<SendWrapper<Inner>>);

struct Inner {
    locale: &'static str,
    messages: Messages,
    number: Function,
    date: Function,
    time: Function,
    percent: Function,
    plural: Intl::PluralRules,
    /// One `Intl.NumberFormat` per currency seen, built on first use: a rail of 200 cards
    /// formats 400 prices in two or three currencies at most.
    money: RefCell<Vec<(String, Function)>>,
    tenths: Function,
}

impl PartialEq for Texts {
    fn eq(&self, other: &Self) -> bool {
        self.0.locale == other.0.locale
    }
}

impl Texts {
    pub fn new(locale: &'static str) -> Self {
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
            locale,
            messages: Messages::for_locale(locale),
            number: Intl::NumberFormat::new(&locales, &Object::new()).format(),
            date: Intl::DateTimeFormat::new(&locales, &date_options).format(),
            time: Intl::DateTimeFormat::new(&locales, &time_options).format(),
            percent: Intl::NumberFormat::new(&locales, &percent_options).format(),
            plural: Intl::PluralRules::new(&locales, &Object::new()),
            money: RefCell::new(Vec::new()),
            tenths: Intl::NumberFormat::new(&locales, &tenths_options).format(),
        })))
    }

    pub fn locale(&self) -> &'static str {
        self.0.locale
    }

    pub fn messages(&self) -> &Messages {
        &self.0.messages
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
                let locales = Array::of1(&JsValue::from_str(self.0.locale));
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

    /// An RFC 3339 instant as a local time of day (`14:05` in nb, `2:05 PM` in en).
    pub fn time(&self, rfc3339: &str) -> Option<String> {
        let date = Date::new(&JsValue::from_str(rfc3339));
        if date.get_time().is_nan() {
            return None;
        }
        self.0.time.call1(&JsValue::NULL, &date).ok()?.as_string()
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
