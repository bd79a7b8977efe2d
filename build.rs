//! Minifies the widgets' stylesheets into `OUT_DIR`, where the widgets `include_str!` them
//! from (see `src/core/css.rs` for why and how).

use std::path::Path;
use std::{env, fs};

#[path = "src/core/css.rs"]
mod css;

fn main() {
    let out = env::var("OUT_DIR").expect("cargo sets OUT_DIR");
    for sheet in css::SHEETS {
        let source = Path::new("src/widgets").join(sheet);
        println!("cargo::rerun-if-changed={}", source.display());
        let css =
            fs::read_to_string(&source).unwrap_or_else(|e| panic!("{}: {e}", source.display()));
        let target = Path::new(&out).join(Path::new(sheet).file_name().expect("a file name"));
        fs::write(&target, css::minify(&css))
            .unwrap_or_else(|e| panic!("writing {}: {e}", target.display()));
    }
}
