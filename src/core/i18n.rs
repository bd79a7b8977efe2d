//! Strings and locale choice. Each shipped locale is one JSON file in `locales/`; adding a
//! language is adding a file ([`SHIPPED`] lists them, from `build.rs`). Each widget family
//! reads only its own strings (`i18n/families.rs`): `build.rs` cuts them out of every locale
//! file. A family's wasm carries its English strings only; the loader fetches the others, one
//! file per family and locale, beside the wasm for the locales a page speaks
//! ([`FamilyStrings::shipped_value`] checks them). Plural categories, numbers and dates come
//! from the browser's `Intl` and are passed in, so this module stays pure.

use serde_json::{Map, Value};

/// Every shipped locale: the files in `locales/`, English first (`build.rs`).
pub const SHIPPED: &[&str] = include!(concat!(env!("OUT_DIR"), "/locales/tags.rs"));

/// The locales to hand `Intl` for a shipped locale, best first. Browsers' ICU data often lacks
/// Nynorsk; Bokmål numbers and dates are what a Nynorsk reader would write anyway.
/// A locale added at run time is handed to `Intl` as it is.
pub fn intl_locales(locale: &str) -> Vec<&str> {
    match locale {
        "nn" => vec!["nn", "nb"],
        "" => vec![FALLBACK],
        other => vec![other],
    }
}

/// The locale used when nothing the page says matches a shipped one.
pub const FALLBACK: &str = "en";

/// Forms of a message that counts something, keyed by CLDR plural category.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Plural {
    pub zero: Option<String>,
    pub one: Option<String>,
    pub two: Option<String>,
    pub few: Option<String>,
    pub many: Option<String>,
    pub other: String,
}

impl Plural {
    /// The form for a CLDR category as `Intl.PluralRules#select` names it; `other` when absent.
    pub fn select(&self, category: &str) -> &str {
        let form = match category {
            "zero" => &self.zero,
            "one" => &self.one,
            "two" => &self.two,
            "few" => &self.few,
            "many" => &self.many,
            _ => &None,
        };
        form.as_deref().unwrap_or(&self.other)
    }
}

/// One value of a locale tree read into a message type. `None` when its shape is wrong; a
/// nested struct of strings names the key inside it instead (`Some(Err(..))`).
trait FromTree: Sized {
    fn from_tree(value: &Value) -> Option<Result<Self, String>>;
}

impl FromTree for String {
    fn from_tree(value: &Value) -> Option<Result<Self, String>> {
        value.as_str().map(|text| Ok(text.to_owned()))
    }
}

impl FromTree for Vec<String> {
    fn from_tree(value: &Value) -> Option<Result<Self, String>> {
        let texts = value
            .as_array()?
            .iter()
            .map(|v| v.as_str().map(str::to_owned));
        texts.collect::<Option<_>>().map(Ok)
    }
}

impl FromTree for Plural {
    fn from_tree(value: &Value) -> Option<Result<Self, String>> {
        let map = value.as_object().filter(|map| is_plural(map))?;
        let form = |category: &str| match map.get(category) {
            None => Some(None),
            Some(text) => text.as_str().map(|t| Some(t.to_owned())),
        };
        Some(Ok(Self {
            zero: form("zero")?,
            one: form("one")?,
            two: form("two")?,
            few: form("few")?,
            many: form("many")?,
            other: form("other")??,
        }))
    }
}

/// Reads the key `name` of `map` into `slot`; a missing key or a wrong shape is named by its
/// dotted path. Generic over the few message types only, never inlined, and writing in
/// place, so each field costs one small call and no drop code of its own.
#[inline(never)]
fn field<T: FromTree>(
    map: &Map<String, Value>,
    path: &str,
    name: &str,
    slot: &mut T,
) -> Result<(), String> {
    *slot = map
        .get(name)
        .and_then(T::from_tree)
        .unwrap_or_else(|| Err(format!("{path}{name} is missing or not text")))?;
    Ok(())
}

/// A struct of strings read from a locale tree by a hand-made reader instead of serde's derive:
/// a derived visitor for a hundred fields cost the bundle 50 KB of wasm. Every key must be
/// there with the right shape, and none may be extra, as `deny_unknown_fields` did.
macro_rules! strings {
    ($(#[$meta:meta])* pub struct $name:ident at $path:literal {
        $($(#[$field_meta:meta])* pub $field:ident: $ty:ty,)*
    }) => {
        $(#[$meta])*
        #[derive(Clone, Debug, Default, PartialEq)]
        pub struct $name {
            $($(#[$field_meta])* pub $field: $ty,)*
        }

        impl FromTree for $name {
            fn from_tree(value: &Value) -> Option<Result<Self, String>> {
                value.is_object().then(|| Self::read(value))
            }
        }

        impl $name {
            const KEYS: &[&str] = &[$(stringify!($field)),*];

            fn read(value: &Value) -> Result<Self, String> {
                let map = value.as_object().ok_or("the strings are not a JSON object")?;
                if let Some(extra) = map.keys().find(|key| !Self::KEYS.contains(&key.as_str())) {
                    return Err(format!("{}{extra} is not a known string", $path));
                }
                let mut strings = Self::default();
                $(field(map, $path, stringify!($field), &mut strings.$field)?;)*
                Ok(strings)
            }
        }
    };
}

/// Makes each family's list in `i18n/families.rs` a struct of strings read from that family's
/// part of the locale files, and [`FAMILIES`], every family's keys.
macro_rules! families {
    ($($(#[$meta:meta])* pub struct $name:ident for $family:literal {
        $($(#[$field_meta:meta])* pub $field:ident: $ty:ty,)*
    })*) => {
        $(
            strings! {
                $(#[$meta])*
                pub struct $name at "" {
                    $($(#[$field_meta])* pub $field: $ty,)*
                }
            }

            impl FamilyStrings for $name {
                const FAMILY: &str = $family;
                const ENGLISH: &str =
                    include_str!(concat!(env!("OUT_DIR"), "/locales/", $family, "/en.json"));

                fn parse(tree: &Value) -> Result<Self, String> {
                    Self::read(tree)
                }
            }
        )*

        /// Each family's name and the top-level keys of its strings.
        pub const FAMILIES: &[(&str, &[&str])] = &[$(($family, $name::KEYS)),*];
    };
}

include!("i18n/families.rs");

strings! {
/// The strings of the badge's panels: pending and expiring points, coupons on their way, ways to
/// earn, activity, birthday, referrals, and a referred friend's invitation.
pub struct LoyaltyStrings at "loyalty." {
    pub panel_title: String,
    pub pending: Plural,
    pub pending_until: String,
    pub expiring: Plural,
    pub coupons_title: String,
    pub coupon_pending: String,
    pub coupon_pending_later: String,
    pub coupon_failed: String,
    pub earn_title: String,
    pub earn_purchase: Plural,
    pub earn_signup: Plural,
    pub earn_birthday: Plural,
    pub earn_review: Plural,
    pub earn_referral: Plural,
    pub earn_referral_any: Plural,
    pub activity_title: String,
    pub activity_none: String,
    pub activity_pending: String,
    pub kind_purchase: String,
    pub kind_signup: String,
    pub kind_birthday: String,
    pub kind_review: String,
    pub kind_referral: String,
    pub kind_redeem: String,
    pub kind_refund: String,
    pub kind_cancel: String,
    pub kind_expire: String,
    pub kind_adjust: String,
    pub kind_opening: String,
    pub kind_returned: String,
    pub kind_other: String,
    pub birthday_title: String,
    pub birthday_ask: Plural,
    pub birthday_month: String,
    pub birthday_day: String,
    pub birthday_save: String,
    pub birthday_saving: String,
    pub birthday_set: String,
    pub birthday_locked: String,
    pub birthday_change: String,
    pub birthday_failed: String,
    pub referral_title: String,
    pub referral_terms: Plural,
    pub referral_terms_any: Plural,
    pub referral_converted: Plural,
    pub referral_link: String,
    pub referral_share: String,
    pub referral_copy: String,
    pub referral_copied: String,
    pub referral_share_text: String,
    pub offer_free_shipping: String,
    pub offer_fixed: String,
    pub offer_percentage: String,
    pub invite_title: String,
    pub invite_title_anonymous: String,
    pub invite_offer: String,
    pub invite_email: String,
    pub invite_claim: String,
    pub invite_claiming: String,
    pub invite_invalid_email: String,
    pub invite_own: String,
    pub invite_member: String,
    pub invite_taken: String,
    pub invite_limit: String,
    pub invite_failed: String,
    pub invite_code: String,
    pub invite_pending: String,
}
}

strings! {
/// The strings of `<lojal-nps>`, `<lojal-csat>` and `<lojal-review>`, under `feedback` in the
/// locale files.
pub struct PromptStrings at "feedback." {
    pub nps_question: String,
    /// Under 0 and 10.
    pub nps_low: String,
    pub nps_high: String,
    /// The follow-up question for 0–6, 7–8 and 9–10.
    pub nps_follow_up_detractor: String,
    pub nps_follow_up_passive: String,
    pub nps_follow_up_promoter: String,
    pub csat_question: String,
    /// The names of 1 to 5, worst first; exactly five.
    pub csat_scores: Vec<String>,
    pub csat_comment: String,
    pub review_question: String,
    pub review_question_any: String,
    pub review_rating: String,
    pub stars: Plural,
    pub review_title: String,
    pub review_text: String,
    pub moderation_note: String,
    pub optional: String,
    pub counter: String,
    pub too_long: String,
    pub pick_score: String,
    pub send: String,
    pub sending: String,
    pub dismiss: String,
    pub thanks: String,
    pub thanks_review: String,
    pub queued: String,
    pub already_answered: String,
    pub failed: String,
}
}

/// The strings of one widget family (listed in `i18n/families.rs`), read from its part of each
/// locale file. A widget reads its family's type only, so it cannot show a string its family's
/// wasm does not carry or fetch, and a family's wasm carries no other family's strings.
pub trait FamilyStrings: Sized + PartialEq + 'static {
    /// The family's name in `i18n/families.rs`, which also names its strings files.
    const FAMILY: &str;

    /// This family's English strings, as `build.rs` cut them out of `locales/en.json`: the only
    /// ones its wasm carries, since every page may need them (the fallback).
    const ENGLISH: &str;

    /// A complete tree of this family's strings, or the first key it lacks or has too many.
    fn parse(tree: &Value) -> Result<Self, String>;

    /// Strings from a tree [`overlay`] built on a complete one ([`FamilyStrings::shipped_value`]).
    fn from_value(tree: Value) -> Self {
        Self::parse(&tree).unwrap_or_else(|e| panic!("locale strings: {e}"))
    }

    /// The JSON tree of this family's English strings.
    fn english() -> Value {
        crate::core::json::parse(Self::ENGLISH).unwrap_or_else(|e| panic!("locales/en.json: {e}"))
    }

    /// The JSON tree of this family's strings in `locale` (as [`resolve`] chose it): English's
    /// for English and for a locale that is not shipped; for another shipped one, `fetched`,
    /// the text of its file as the loader fetched it from beside the wasm, or why that failed
    /// (`None`: it fetched none). The file comes over the network, so it must be JSON of no
    /// more than [`MAX_STRINGS_BYTES`] with exactly this family's strings; if it is not, or is
    /// missing, `Err` says why and the caller shows English.
    fn shipped_value(locale: &str, fetched: Option<Result<&str, &str>>) -> Result<Value, String> {
        if locale == FALLBACK || !SHIPPED.contains(&locale) {
            return Ok(Self::english());
        }
        let text = match fetched {
            None => return Err("the loader fetched no file of them".to_owned()),
            Some(Err(why)) => return Err(why.to_owned()),
            Some(Ok(text)) if text.len() > MAX_STRINGS_BYTES => {
                return Err(format!(
                    "the file has {} bytes, more than {MAX_STRINGS_BYTES}",
                    text.len()
                ));
            }
            Some(Ok(text)) => text,
        };
        let tree: Value =
            crate::core::json::parse(text).map_err(|e| format!("the file is not JSON: {e}"))?;
        Self::parse(&tree).map_err(|e| format!("the file is not these strings: {e}"))?;
        Ok(tree)
    }
}

/// The most a fetched strings file may have: the largest shipped one has about 6 KB, and a
/// file many times that is a server's error page or worse, never strings.
pub const MAX_STRINGS_BYTES: usize = 64 * 1024;

/// Whether some family's strings have the top-level key `key`.
fn any_family_has(key: &str) -> bool {
    FAMILIES.iter().any(|(_, keys)| keys.contains(&key))
}

const PLURAL_CATEGORIES: [&str; 6] = ["zero", "one", "two", "few", "many", "other"];

/// A [`Plural`] in a locale tree: an object with `other` and nothing but plural categories.
fn is_plural(map: &Map<String, Value>) -> bool {
    map.contains_key("other") && map.keys().all(|k| PLURAL_CATEGORIES.contains(&k.as_str()))
}

/// Lays the strings of `over` (a merchant's overrides or an added locale, nested like
/// `locales/en.json`) onto `base`, one family's complete tree in a locale. A key no family has,
/// or a value of the wrong shape (a number for a string, four CSAT scores instead of five), is
/// left out and its dotted path (`feedback.thanks`) pushed onto `rejected`; every other key
/// still applies. A key of another family's strings is passed over without a word: a page may
/// give every element the same strings, and that family's own widgets check them. A plural may
/// gain categories English lacks (`few`, `many`), as added languages need them.
pub fn overlay(base: &mut Value, over: &Value, rejected: &mut Vec<String>) {
    overlay_at(base, over, "", rejected);
}

fn overlay_at(base: &mut Value, over: &Value, path: &str, rejected: &mut Vec<String>) {
    let (Value::Object(base), Value::Object(over)) = (base, over) else {
        rejected.push(
            if path.is_empty() {
                "(not an object)"
            } else {
                path
            }
            .to_owned(),
        );
        return;
    };
    let plural = is_plural(base);
    for (key, value) in over {
        let mut here = String::with_capacity(path.len() + key.len() + 1);
        if !path.is_empty() {
            here.push_str(path);
            here.push('.');
        }
        here.push_str(key);
        let fits = match (base.get_mut(key), value) {
            (Some(Value::String(old)), Value::String(new)) => {
                old.clone_from(new);
                true
            }
            (Some(Value::Array(old)), Value::Array(new)) => {
                let fits = new.len() == old.len() && new.iter().all(Value::is_string);
                if fits {
                    old.clone_from(new);
                }
                fits
            }
            (Some(old @ Value::Object(_)), Value::Object(_)) => {
                overlay_at(old, value, &here, rejected);
                true
            }
            (None, Value::String(_)) if plural && PLURAL_CATEGORIES.contains(&key.as_str()) => {
                base.insert(key.clone(), value.clone());
                true
            }
            (None, _) if path.is_empty() && any_family_has(key) => true,
            _ => false,
        };
        if !fits {
            rejected.push(here);
        }
    }
}

/// The dotted paths of the strings `complete` has and `partial` lacks, for the warning when an
/// added locale falls back to English. A plural counts as present when it has `other`.
pub fn missing_keys(complete: &Value, partial: &Value) -> Vec<String> {
    let mut missing = Vec::new();
    missing_at(complete, partial, "", &mut missing);
    missing
}

fn missing_at(complete: &Value, partial: &Value, path: &str, missing: &mut Vec<String>) {
    let Value::Object(complete) = complete else {
        return;
    };
    let plural = is_plural(complete);
    for (key, value) in complete {
        if plural && key != "other" {
            continue;
        }
        let mut here = String::with_capacity(path.len() + key.len() + 1);
        if !path.is_empty() {
            here.push_str(path);
            here.push('.');
        }
        here.push_str(key);
        match partial.get(key) {
            None => missing.push(here),
            Some(inner) if value.is_object() => missing_at(value, inner, &here, missing),
            Some(_) => {}
        }
    }
}

/// An instant `seconds` from now as a person would say it, for `Intl.RelativeTimeFormat`: whole
/// minutes under an hour (rounded up, never less than one, so "in 0 minutes" cannot show), else
/// hours to the nearest.
pub fn relative_span(seconds: i64) -> (i64, &'static str) {
    let minutes = (seconds.max(1) + 59) / 60;
    if minutes < 60 {
        (minutes, "minute")
    } else {
        ((minutes + 30) / 60, "hour")
    }
}

/// Fills `{name}` placeholders; unknown placeholders stay visible so a typo is noticed.
pub fn fill(template: &str, values: &[(&str, &str)]) -> String {
    let mut out = String::with_capacity(template.len() + 16);
    let mut rest = template;
    while let Some(start) = rest.find('{') {
        out.push_str(&rest[..start]);
        let after = &rest[start + 1..];
        match after.find('}') {
            Some(end) => {
                let name = &after[..end];
                match values.iter().find(|(key, _)| *key == name) {
                    Some((_, value)) => out.push_str(value),
                    None => out.push_str(&rest[start..start + end + 2]),
                }
                rest = &after[end + 1..];
            }
            None => {
                out.push_str(&rest[start..]);
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

/// The locale for the first candidate that is shipped or in `added` (locales the page added at
/// run time), in the order given (element attribute, script tag, `<html lang>`); [`FALLBACK`]
/// otherwise. Candidates and tags compare by language
/// (`nb-NO` matches `nb`), and the macrolanguage `no` means Bokmål, as Norwegian shops use it.
/// An added locale wins over a shipped one with the same language, so a page can replace one.
pub fn resolve<'a, A: AsRef<str>>(
    candidates: impl IntoIterator<Item = &'a str>,
    added: &[A],
) -> String {
    for candidate in candidates {
        let language = language_of(candidate);
        if language.is_empty() {
            continue;
        }
        if let Some(tag) = added
            .iter()
            .map(AsRef::as_ref)
            .find(|tag| language_of(tag) == language)
        {
            return tag.to_owned();
        }
        if let Some(tag) = SHIPPED.iter().find(|tag| **tag == language) {
            return (*tag).to_owned();
        }
    }
    FALLBACK.to_owned()
}

/// The lower-cased language subtag, with `no` read as `nb`.
fn language_of(tag: &str) -> String {
    let language = tag
        .trim()
        .split(['-', '_'])
        .next()
        .unwrap_or_default()
        .to_ascii_lowercase();
    if language == "no" {
        "nb".to_owned()
    } else {
        language
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// What the tests need of one family, found by its name in [`FAMILIES`].
    struct Family {
        name: &'static str,
        english: &'static str,
        parse: fn(&Value) -> Result<(), String>,
    }

    fn family(name: &str) -> Family {
        fn of<S: FamilyStrings>() -> Family {
            Family {
                name: S::FAMILY,
                english: S::ENGLISH,
                parse: |tree| S::parse(tree).map(drop),
            }
        }
        match name {
            "badge" => of::<BadgeStrings>(),
            "carousel" => of::<CarouselStrings>(),
            "games" => of::<GameStrings>(),
            "feedback" => of::<FeedbackStrings>(),
            other => panic!("no family is called {other}"),
        }
    }

    impl Family {
        /// The tree of this family's strings in the shipped locale `tag`.
        fn tree(&self, tag: &str) -> Value {
            serde_json::from_str(&cut(self.name, tag)).unwrap()
        }
    }

    /// The file of `family`'s strings in `tag` as `build.rs` cut it, which the wasm includes
    /// (English) or `scripts/build.sh` ships beside it (the others).
    fn cut(family: &str, tag: &str) -> String {
        let path = format!("{}/locales/{family}/{tag}.json", env!("OUT_DIR"));
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
    }

    /// The strings of family `S` in the shipped locale `tag`, from its file.
    fn strings<S: FamilyStrings>(tag: &str) -> S {
        S::from_value(tree::<S>(tag))
    }

    fn tree<S: FamilyStrings>(tag: &str) -> Value {
        S::shipped_value(tag, Some(Ok(&cut(S::FAMILY, tag)))).unwrap()
    }

    /// `locales/<tag>.json` as people edit it, every family's strings in it.
    fn locale_file(tag: &str) -> Map<String, Value> {
        let path = format!("{}/locales/{tag}.json", env!("CARGO_MANIFEST_DIR"));
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
    }

    #[test]
    fn every_shipped_locale_has_every_key_of_every_family() {
        for (name, _) in FAMILIES {
            let family = family(name);
            for tag in SHIPPED {
                let parsed = (family.parse)(&family.tree(tag));
                assert!(
                    parsed.is_ok(),
                    "locales/{tag}.json, {name}: {}",
                    parsed.unwrap_err()
                );
            }
        }
    }

    #[test]
    fn every_key_of_a_locale_file_belongs_to_a_family() {
        // (key, the families whose widgets show it): the keys several families share, and one
        // of each family's own.
        let cases: &[(&str, &[&str])] = &[
            ("copy", &["badge", "games"]),
            ("copied", &["badge", "games"]),
            ("expires", &["badge", "games"]),
            ("close", &["badge", "games"]),
            ("loading", &["badge"]),
            ("loyalty", &["badge"]),
            ("title_cart", &["carousel"]),
            ("game_spin", &["games"]),
            ("feedback", &["feedback"]),
        ];
        let families_of = |key: &str| -> Vec<&str> {
            FAMILIES
                .iter()
                .filter(|(_, keys)| keys.contains(&key))
                .map(|(name, _)| *name)
                .collect()
        };
        for (key, expected) in cases {
            assert_eq!(families_of(key), *expected, "{key}");
        }
        for tag in SHIPPED {
            for key in locale_file(tag).keys() {
                let families = families_of(key);
                assert!(
                    !families.is_empty(),
                    "locales/{tag}.json: no family shows {key}"
                );
                assert!(
                    families.len() == 1 || cases.iter().any(|(k, _)| k == key),
                    "{key} is shown by {families:?}: add it to the shared keys above if meant"
                );
            }
        }
    }

    #[test]
    fn each_family_ships_its_keys_of_every_locale_file_and_no_other() {
        for (name, keys) in FAMILIES {
            let family = family(name);
            assert_eq!(
                family.english,
                cut(name, "en"),
                "{name}: the wasm's English"
            );
            for tag in SHIPPED {
                let mut own = locale_file(tag);
                own.retain(|key, _| keys.contains(&key.as_str()));
                assert_eq!(family.tree(tag), Value::Object(own), "{name}, {tag}");
            }
        }
    }

    #[test]
    fn a_locale_lacking_a_key_or_with_one_too_many_is_refused_by_its_path() {
        // (family, where, the new value or None to remove it, the error)
        let cases = [
            ("badge", "/redeem", None, "redeem is missing or not text"),
            (
                "badge",
                "/redeem",
                Some(json!(3)),
                "redeem is missing or not text",
            ),
            (
                "badge",
                "/redem",
                Some(json!("Løs inn")),
                "redem is not a known string",
            ),
            (
                "badge",
                "/points/plenty",
                Some(json!("{count}")),
                "points is missing or not text",
            ),
            (
                "badge",
                "/points/other",
                None,
                "points is missing or not text",
            ),
            (
                "badge",
                "/points/one",
                Some(Value::Null),
                "points is missing or not text",
            ),
            (
                "badge",
                "/loyalty/invite_code",
                None,
                "loyalty.invite_code is missing or not text",
            ),
            (
                "badge",
                "/game_spin",
                Some(json!("Spinn")),
                "game_spin is not a known string",
            ),
            ("carousel", "/next", None, "next is missing or not text"),
            (
                "carousel",
                "/redeem",
                Some(json!("Løs inn")),
                "redeem is not a known string",
            ),
            ("games", "/copy", None, "copy is missing or not text"),
            (
                "games",
                "/game_remaining/other",
                None,
                "game_remaining is missing or not text",
            ),
            (
                "feedback",
                "/feedback/csat_scores/2",
                Some(json!(3)),
                "feedback.csat_scores is missing or not text",
            ),
            (
                "feedback",
                "/feedback/thanks",
                None,
                "feedback.thanks is missing or not text",
            ),
            (
                "feedback",
                "/feedback/thankz",
                Some(json!("Takk")),
                "feedback.thankz is not a known string",
            ),
            (
                "feedback",
                "/feedback",
                Some(json!("Takk")),
                "feedback is missing or not text",
            ),
        ];
        fn parent_of<'a>(tree: &'a mut Value, pointer: &str) -> &'a mut Map<String, Value> {
            tree.pointer_mut(pointer).unwrap().as_object_mut().unwrap()
        }
        for (name, pointer, value, expected) in cases {
            let family = family(name);
            let mut tree = family.tree("en");
            let (parent, key) = pointer.rsplit_once('/').unwrap();
            match value {
                Some(value) if tree.pointer(pointer).is_some() => {
                    *tree.pointer_mut(pointer).unwrap() = value;
                }
                Some(value) => drop(parent_of(&mut tree, parent).insert(key.into(), value)),
                None => drop(parent_of(&mut tree, parent).remove(key)),
            }
            assert_eq!(
                (family.parse)(&tree).unwrap_err(),
                expected,
                "{name} {pointer}"
            );
        }
        assert_eq!(
            BadgeStrings::parse(&json!([])).unwrap_err(),
            "the strings are not a JSON object"
        );
        assert_eq!(
            BadgeStrings::parse(&family("badge").tree("en")),
            Ok(strings::<BadgeStrings>("en"))
        );
    }

    #[test]
    fn every_placeholder_in_a_locale_is_one_english_has() {
        let en = Value::Object(locale_file("en")).to_string();
        for tag in SHIPPED {
            let json = Value::Object(locale_file(tag)).to_string();
            for name in json
                .split('{')
                .skip(1)
                .filter_map(|s| s.split_once('}'))
                .map(|(n, _)| n)
            {
                if !name.contains(['"', ':', '\n']) {
                    assert!(
                        en.contains(&format!("{{{name}}}")),
                        "locales/{tag}.json uses unknown {{{name}}}"
                    );
                }
            }
        }
    }

    #[test]
    fn locale_candidates_fall_back_by_language_then_to_english() {
        let cases: &[(&[&str], &str)] = &[
            (&["nb"], "nb"),
            (&["nb-NO"], "nb"),
            (&["NB_no"], "nb"),
            (&["no"], "nb"),
            (&["nn-NO"], "nn"),
            (&["et-EE"], "et"),
            (&["sv-FI", "fi"], "sv"),
            (&["fi-FI"], "fi"),
            (&["da"], "da"),
            (&["", "  ", "nb"], "nb"),
            (&["de-DE", "en-GB"], "en"),
            (&["xx", "nb"], "nb"),
            (&["zz"], "en"),
            (&[], "en"),
        ];
        for (candidates, expected) in cases {
            assert_eq!(
                resolve(candidates.iter().copied(), &[] as &[&str]),
                *expected,
                "{candidates:?}"
            );
        }
    }

    #[test]
    fn plural_forms_follow_the_category_with_other_as_fallback() {
        let m = strings::<BadgeStrings>("en");
        assert_eq!(m.points.select("one"), "{count} point");
        assert_eq!(m.points.select("other"), "{count} points");
        assert_eq!(m.points.select("few"), "{count} points");
        assert_eq!(m.points.select("bogus"), "{count} points");
    }

    #[test]
    fn placeholders_are_filled_and_unknown_ones_stay_visible() {
        let m = strings::<BadgeStrings>("nb");
        assert_eq!(
            fill(
                m.points_to_next_tier.select("other"),
                &[("count", "250"), ("tier", "Gull")]
            ),
            "250 til Gull"
        );
        assert_eq!(fill("{a} og {b}", &[("a", "1")]), "1 og {b}");
        assert_eq!(fill("open { brace", &[]), "open { brace");
        assert_eq!(
            fill("{count}{count}", &[("count", "{count}")]),
            "{count}{count}"
        );
        assert_eq!(fill("ø{x}å", &[("x", "æ")]), "øæå");
    }

    #[test]
    fn the_languages_of_our_markets_ship_and_each_has_an_intl_locale() {
        let mut tags = SHIPPED.to_vec();
        tags.sort_unstable();
        assert_eq!(tags, ["da", "en", "et", "fi", "nb", "nn", "sv"]);
        for tag in tags {
            assert_eq!(intl_locales(tag)[0], tag);
        }
        let files = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/locales")).unwrap();
        for file in files {
            let name = file.unwrap().file_name().into_string().unwrap();
            let tag = name.strip_suffix(".json").unwrap_or(&name);
            assert!(SHIPPED.contains(&tag), "locales/{name} is not in SHIPPED");
        }
    }

    #[test]
    fn no_two_locales_share_a_translation_by_accident() {
        // A file copied from another language and never translated shows up here. Bokmål and
        // Nynorsk share many words, so only a large overlap counts.
        for (i, a) in SHIPPED.iter().enumerate() {
            for b in &SHIPPED[i + 1..] {
                let (a_strings, b_strings) = (locale_file(a), locale_file(b));
                let same = a_strings
                    .iter()
                    .filter(|(key, value)| b_strings.get(key.as_str()) == Some(value))
                    .count();
                let total = a_strings.len();
                assert!(
                    same * 4 < total * 3,
                    "locales/{a}.json and locales/{b}.json agree on {same} of {total} strings"
                );
            }
        }
    }

    #[test]
    fn every_locale_names_all_five_csat_scores() {
        for tag in SHIPPED {
            let m = strings::<FeedbackStrings>(tag);
            assert_eq!(m.feedback.csat_scores.len(), 5, "locales/{tag}.json");
        }
    }

    #[test]
    fn english_and_unknown_locales_need_no_file_and_any_other_only_its_own_good_one() {
        let english = BadgeStrings::english();
        let nb = cut("badge", "nb");
        let mut extra: Value = serde_json::from_str(&nb).unwrap();
        extra["game_spin"] = json!("Spinn");
        let extra = extra.to_string();
        let deep = format!("{}{}", "[".repeat(200), "]".repeat(200));
        let huge = format!("{{\"redeem\": \"{}\"}}", "x".repeat(MAX_STRINGS_BYTES));
        let carousel = cut("carousel", "nb");
        /// What the loader fetched: the file's text, or why it failed; `None`: nothing.
        type Fetched<'a> = Option<Result<&'a str, &'a str>>;
        // (locale, what the loader fetched, the tree or the start of why English shows)
        let cases: &[(&str, Fetched, Result<Value, &str>)] = &[
            ("en", None, Ok(english.clone())),
            ("en", Some(Ok("not JSON")), Ok(english.clone())),
            ("xx", None, Ok(english.clone())),
            ("nb-NO", None, Ok(english.clone())),
            ("nb", Some(Ok(&nb)), Ok(serde_json::from_str(&nb).unwrap())),
            ("nb", None, Err("the loader fetched no file of them")),
            (
                "nb",
                Some(Err("lojal_badge.nb.0123456789ab.json: HTTP 404")),
                Err("lojal_badge.nb.0123456789ab.json: HTTP 404"),
            ),
            (
                "nb",
                Some(Ok("<html>Not found</html>")),
                Err("the file is not JSON: "),
            ),
            ("nb", Some(Ok("")), Err("the file is not JSON: ")),
            (
                "nb",
                Some(Ok(&deep)),
                Err("the file is not JSON: recursion limit"),
            ),
            (
                "nb",
                Some(Ok(&huge)),
                Err("the file has 65550 bytes, more than 65536"),
            ),
            (
                "nb",
                Some(Ok("{}")),
                Err("the file is not these strings: points is missing"),
            ),
            (
                "nb",
                Some(Ok("[]")),
                Err("the file is not these strings: the strings are not"),
            ),
            (
                "nb",
                Some(Ok(&carousel)),
                Err("the file is not these strings: "),
            ),
            (
                "nb",
                Some(Ok(&extra)),
                Err("the file is not these strings: game_spin is not a known string"),
            ),
        ];
        for (locale, fetched, expected) in cases {
            let got = BadgeStrings::shipped_value(locale, *fetched);
            match (got, expected) {
                (Ok(tree), Ok(want)) => assert_eq!(&tree, want, "{locale} {fetched:?}"),
                (Err(why), Err(start)) => assert!(why.starts_with(start), "{locale}: {why}"),
                (got, _) => panic!("{locale} {fetched:?}: {got:?}"),
            }
        }
        assert_eq!(
            strings::<GameStrings>("en"),
            GameStrings::from_value(GameStrings::english())
        );
    }

    #[test]
    fn added_locales_take_part_in_resolution_by_language() {
        let added = ["lt", "pt-BR"];
        let cases: &[(&[&str], &str)] = &[
            (&["lt"], "lt"),
            (&["lt-LT"], "lt"),
            (&["LT_lt", "nb"], "lt"),
            (&["pt"], "pt-BR"),
            (&["de", "lt"], "lt"),
            (&["nb", "lt"], "nb"),
            (&["lv"], "en"),
        ];
        for (candidates, expected) in cases {
            assert_eq!(
                resolve(candidates.iter().copied(), &added),
                *expected,
                "{candidates:?}"
            );
        }
        assert_eq!(resolve(["nb-NO"], &["nb"]), "nb");
        assert_eq!(intl_locales("pt-BR"), ["pt-BR"]);
        assert_eq!(intl_locales("nn"), ["nn", "nb"]);
    }

    #[test]
    fn overrides_replace_only_the_strings_they_name_in_each_family() {
        let over = json!({
            "redeem": "Hent",
            "feedback": { "thanks": "Takk!" },
            "points": { "one": "{count} poeng!" }
        });
        let mut badge = tree::<BadgeStrings>("nb");
        let mut prompts = tree::<FeedbackStrings>("nb");
        let mut rejected = Vec::new();
        overlay(&mut badge, &over, &mut rejected);
        overlay(&mut prompts, &over, &mut rejected);
        assert!(rejected.is_empty(), "{rejected:?}");
        let (badge, prompts) = (
            BadgeStrings::from_value(badge),
            FeedbackStrings::from_value(prompts),
        );
        let (nb, nb_prompts) = (
            strings::<BadgeStrings>("nb"),
            strings::<FeedbackStrings>("nb"),
        );
        assert_eq!(badge.redeem, "Hent");
        assert_eq!(badge.points.select("one"), "{count} poeng!");
        assert_eq!(badge.points.select("other"), nb.points.select("other"));
        assert_eq!(badge.copy, nb.copy);
        assert_eq!(prompts.feedback.thanks, "Takk!");
        assert_eq!(prompts.feedback.send, nb_prompts.feedback.send);
    }

    #[test]
    fn unknown_keys_and_wrong_shapes_are_named_and_the_rest_applies() {
        // (family, overrides, what that family's widgets warn about)
        let cases: &[(&str, Value, &[&str])] = &[
            ("badge", json!({ "redeem": 3 }), &["redeem"]),
            ("badge", json!({ "redem": "x" }), &["redem"]),
            (
                "feedback",
                json!({ "feedback": { "thank": "x" } }),
                &["feedback.thank"],
            ),
            ("feedback", json!({ "feedback": "x" }), &["feedback"]),
            ("badge", json!({ "points": "x" }), &["points"]),
            ("badge", json!({ "points": { "few": 2 } }), &["points.few"]),
            (
                "badge",
                json!({ "points": { "lots": "x" } }),
                &["points.lots"],
            ),
            ("badge", json!({ "redeem": { "one": "x" } }), &["redeem"]),
            (
                "feedback",
                json!({ "feedback": { "csat_scores": ["a", "b"] } }),
                &["feedback.csat_scores"],
            ),
            (
                "feedback",
                json!({ "feedback": { "csat_scores": [1, 2, 3, 4, 5] } }),
                &["feedback.csat_scores"],
            ),
            ("badge", json!(["redeem"]), &["(not an object)"]),
            ("carousel", json!("Hent"), &["(not an object)"]),
            // Another family's keys, right or wrong, are that family's widgets' to check.
            ("badge", json!({ "feedback": { "thank": "x" } }), &[]),
            (
                "carousel",
                json!({ "redeem": 3, "game_spin": "Spinn" }),
                &[],
            ),
            (
                "games",
                json!({ "loyalty": "x", "title_cart": "Kurv" }),
                &[],
            ),
            (
                "feedback",
                json!({ "points": { "other": "{count} p" } }),
                &[],
            ),
            // A key no family has is named by every family's widgets.
            ("carousel", json!({ "redem": "x" }), &["redem"]),
            ("games", json!({ "thankz": "x" }), &["thankz"]),
            ("feedback", json!({ "copyy": "x" }), &["copyy"]),
        ];
        for (name, over, expected) in cases {
            let english = family(name).tree("en");
            let mut tree = english.clone();
            let mut bad = over.clone();
            if let Value::Object(map) = &mut bad {
                map.insert("copy".into(), "Kopier".into());
            }
            let mut rejected = Vec::new();
            overlay(&mut tree, &bad, &mut rejected);
            assert_eq!(rejected, *expected, "{name} {over}");
            // The rest applies: `copy`, where the family has it, and nothing else changes.
            let mut applied = english;
            if over.is_object() && applied.get("copy").is_some() {
                applied["copy"] = "Kopier".into();
            }
            assert_eq!(tree, applied, "{name} {over}");
        }
    }

    #[test]
    fn a_plural_override_may_add_the_categories_a_language_needs() {
        let mut tree = BadgeStrings::english();
        let mut rejected = Vec::new();
        let lt = json!({ "points": { "one": "{count} taškas", "few": "{count} taškai", "other": "{count} taškų" } });
        overlay(&mut tree, &lt, &mut rejected);
        assert!(rejected.is_empty());
        let m = BadgeStrings::from_value(tree);
        assert_eq!(m.points.select("few"), "{count} taškai");
        assert_eq!(m.points.select("many"), "{count} taškų");
    }

    #[test]
    fn missing_keys_of_an_added_locale_are_listed_by_path_for_the_family_only() {
        let en = BadgeStrings::english();
        assert!(missing_keys(&en, &tree::<BadgeStrings>("fi")).is_empty());
        let partial = json!({
            "points": { "one": "x" },
            "feedback": { "thanks": "Ačiū!" }
        });
        let missing = missing_keys(&en, &partial);
        assert!(missing.contains(&"points.other".to_owned()), "{missing:?}");
        assert!(missing.contains(&"redeem".to_owned()));
        assert!(missing.contains(&"loyalty".to_owned()));
        assert!(
            !missing.iter().any(|k| k.starts_with("points.one")
                || k.starts_with("feedback")
                || k.starts_with("game_")),
            "{missing:?}"
        );
        let missing = missing_keys(&FeedbackStrings::english(), &partial);
        assert!(missing.contains(&"feedback.send".to_owned()), "{missing:?}");
        assert!(
            !missing
                .iter()
                .any(|k| k == "feedback" || k == "feedback.thanks" || k == "redeem"),
            "{missing:?}"
        );
    }

    #[test]
    fn a_relative_time_is_in_minutes_under_an_hour_and_in_hours_after() {
        let cases: &[(i64, (i64, &str))] = &[
            (-30, (1, "minute")),
            (0, (1, "minute")),
            (1, (1, "minute")),
            (60, (1, "minute")),
            (61, (2, "minute")),
            (59 * 60, (59, "minute")),
            (59 * 60 + 1, (1, "hour")),
            (89 * 60, (1, "hour")),
            (90 * 60, (2, "hour")),
            (3 * 3600, (3, "hour")),
            (23 * 3600 + 59 * 60, (24, "hour")),
        ];
        for (seconds, expected) in cases {
            assert_eq!(relative_span(*seconds), *expected, "{seconds} s");
        }
    }
}
