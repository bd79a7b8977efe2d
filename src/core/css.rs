//! Shrinks the widgets' stylesheets before they are compiled into the wasm: comments and
//! layout whitespace cost bytes in every download and mean nothing to the browser. `build.rs`
//! runs this on `src/widgets/**/*.css`; it is here so that it is tested like the rest of the core.

/// The widgets' stylesheets under `src/widgets`, which `build.rs` minifies into `OUT_DIR`.
pub const SHEETS: &[&str] = &[
    "base.css",
    "badge/badge.css",
    "carousel/carousel.css",
    "feedback/feedback.css",
    "games/games.css",
    "games/wheel.css",
    "games/scratch.css",
];

/// The stylesheet without comments and without whitespace the CSS grammar ignores. Strings
/// (`content: "…"`) are copied as written; whitespace that separates tokens (`1px solid`,
/// `calc(a + b)`, descendant selectors) is kept as one space.
pub fn minify(css: &str) -> String {
    let mut out = String::with_capacity(css.len());
    let mut chars = css.chars().peekable();
    let mut pending_space = false;
    while let Some(c) = chars.next() {
        match c {
            '/' if chars.peek() == Some(&'*') => {
                chars.next();
                let mut previous = '\0';
                for c in chars.by_ref() {
                    if previous == '*' && c == '/' {
                        break;
                    }
                    previous = c;
                }
                // `a/**/b` stays two tokens.
                pending_space = true;
            }
            '"' | '\'' => {
                flush_space(&mut out, &mut pending_space, c);
                out.push(c);
                let mut escaped = false;
                for s in chars.by_ref() {
                    out.push(s);
                    if escaped {
                        escaped = false;
                    } else if s == '\\' {
                        escaped = true;
                    } else if s == c {
                        break;
                    }
                }
            }
            c if c.is_whitespace() => pending_space = true,
            c => {
                flush_space(&mut out, &mut pending_space, c);
                out.push(c);
            }
        }
    }
    out
}

/// Punctuation next to which a space never changes the meaning.
fn binds_tightly(c: char) -> bool {
    matches!(c, '{' | '}' | ';' | ',' | '>' | ':')
}

/// Writes the space owed before `next`, unless the text so far or `next` makes it meaningless.
/// A space after `:` goes (`color: red`), one before it stays (`.a :focus-visible` differs
/// from `.a:focus-visible`).
fn flush_space(out: &mut String, pending: &mut bool, next: char) {
    if std::mem::take(pending) {
        let after_tight = out.chars().last().is_none_or(binds_tightly);
        let before_tight = binds_tightly(next) && next != ':';
        if !after_tight && !before_tight {
            out.push(' ');
        }
    }
}

#[cfg(test)]
mod tests {
    use super::minify;

    #[test]
    fn drops_comments_and_layout_whitespace() {
        let css = "/* the host */\n:host {\n  display: block;\n  margin: 0 auto; /* centred */\n}\n\n.a > .b,\n.c { color: red }\n";
        assert_eq!(
            minify(css),
            ":host{display:block;margin:0 auto;}.a>.b,.c{color:red}"
        );
    }

    #[test]
    fn keeps_the_spaces_that_mean_something() {
        assert_eq!(
            minify(
                ".a :focus-visible { width: calc(100% - 2 * var(--gap)); border: 1px solid #000 }"
            ),
            ".a :focus-visible{width:calc(100% - 2 * var(--gap));border:1px solid #000}"
        );
        assert_eq!(minify("a/* x */b"), "a b");
        assert_eq!(
            minify("@media (prefers-reduced-motion: reduce) and (width > 40rem) { .x { a: b } }"),
            "@media (prefers-reduced-motion:reduce) and (width>40rem){.x{a:b}}"
        );
    }

    #[test]
    fn copies_strings_as_written() {
        assert_eq!(
            minify(
                r#".x::before { content: "a  /* not a comment */ \" b"; } .y { content: ' , ' }"#
            ),
            r#".x::before{content:"a  /* not a comment */ \" b";}.y{content:' , '}"#
        );
    }

    #[test]
    fn an_unclosed_comment_or_string_ends_the_sheet_without_panicking() {
        assert_eq!(minify(".a { color: red } /* never closed"), ".a{color:red}");
        assert_eq!(minify(".a { content: \"open"), ".a{content:\"open");
    }

    /// The shipped sheets: minifying twice changes nothing, and no rule or declaration is lost.
    #[test]
    fn the_widgets_sheets_keep_every_rule() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/widgets");
        for sheet in super::SHEETS {
            let css = std::fs::read_to_string(dir.join(sheet)).unwrap();
            let small = minify(&css);
            assert_eq!(minify(&small), small, "{sheet}");
            assert!(small.len() < css.len(), "{sheet}");
            let without_comments = strip_comments(&css);
            for c in ['{', '}', '(', ')', ';', ':', '"'] {
                assert_eq!(
                    small.matches(c).count(),
                    without_comments.matches(c).count(),
                    "{sheet}: {c}"
                );
            }
        }
    }

    fn strip_comments(css: &str) -> String {
        let mut out = String::new();
        let mut rest = css;
        while let Some(start) = rest.find("/*") {
            out.push_str(&rest[..start]);
            rest = rest[start..]
                .find("*/")
                .map_or("", |end| &rest[start + end + 2..]);
        }
        out + rest
    }
}
