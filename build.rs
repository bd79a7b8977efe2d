//! Writes into `OUT_DIR` what the widgets `include_str!`: their stylesheets, minified (see
//! `src/core/css.rs` for why and how), and each widget family's strings in every shipped
//! locale, cut out of `locales/<tag>.json` by the lists in `src/core/i18n/families.rs`, so that
//! a family's wasm carries no other family's strings. A wasm includes only the English ones;
//! `scripts/build.sh` ships the others as files beside it, for the loader to fetch the page's
//! locale. The shipped locales are the files in `locales/`: adding one is adding its file.

use serde_json::{Map, Value};
use std::path::Path;
use std::{env, fs};

#[path = "src/core/css.rs"]
mod css;

/// Each family's name and its top-level keys, from the same lists `src/core/i18n.rs` makes
/// its string structs of.
macro_rules! families {
    ($($(#[$meta:meta])* pub struct $name:ident for $family:literal {
        $($(#[$field_meta:meta])* pub $field:ident: $ty:ty,)*
    })*) => {
        const FAMILIES: &[(&str, &[&str])] = &[$(($family, &[$(stringify!($field)),*])),*];
    };
}

include!("src/core/i18n/families.rs");

fn main() {
    let out = env::var("OUT_DIR").expect("cargo sets OUT_DIR");
    minify_sheets(Path::new(&out));
    cut_locales(Path::new(&out));
}

fn minify_sheets(out: &Path) {
    for sheet in css::SHEETS {
        let source = Path::new("src/widgets").join(sheet);
        println!("cargo::rerun-if-changed={}", source.display());
        let css =
            fs::read_to_string(&source).unwrap_or_else(|e| panic!("{}: {e}", source.display()));
        let target = out.join(Path::new(sheet).file_name().expect("a file name"));
        fs::write(&target, css::minify(&css))
            .unwrap_or_else(|e| panic!("writing {}: {e}", target.display()));
    }
}

/// Writes `locales/<family>/<tag>.json` for every family and locale file: the family's keys
/// only, without the files' indentation. A key a file lacks is left out here; the unit tests in
/// `src/core/i18n.rs` name it, and any key no family lists. Then `locales/tags.rs`, the shipped
/// tags, which `src/core/i18n.rs` includes with each family's `en.json`.
fn cut_locales(out: &Path) {
    println!("cargo::rerun-if-changed=src/core/i18n/families.rs");
    println!("cargo::rerun-if-changed=locales");
    let mut tags = Vec::new();
    let files = fs::read_dir("locales").unwrap_or_else(|e| panic!("locales/: {e}"));
    for file in files {
        let path = file.unwrap_or_else(|e| panic!("locales/: {e}")).path();
        let (Some(tag), Some("json")) = (
            path.file_stem().and_then(|s| s.to_str()),
            path.extension().and_then(|s| s.to_str()),
        ) else {
            continue;
        };
        tags.push(tag.to_owned());
        let text = fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let strings: Map<String, Value> =
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        for (family, keys) in FAMILIES {
            let own: Map<String, Value> = strings
                .iter()
                .filter(|(key, _)| keys.contains(&key.as_str()))
                .map(|(key, value)| (key.clone(), value.clone()))
                .collect();
            let json = serde_json::to_string(&own).expect("a map of JSON values serialises");
            write(
                &out.join("locales").join(family).join(format!("{tag}.json")),
                &json,
            );
        }
    }
    assert!(
        tags.iter().any(|tag| tag == "en"),
        "locales/en.json, the fallback every wasm carries, is missing"
    );
    // English, the fallback, first; then by tag, so that the table does not follow the order
    // the file system lists the files in.
    tags.sort_by_key(|tag| (tag != "en", tag.clone()));
    write(&out.join("locales/tags.rs"), &format!("&{tags:?}"));
}

fn write(target: &Path, text: &str) {
    if let Some(dir) = target.parent() {
        fs::create_dir_all(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    }
    fs::write(target, text).unwrap_or_else(|e| panic!("writing {}: {e}", target.display()));
}
