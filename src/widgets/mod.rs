//! Every widget, one module each, and the tables the mount layer looks tags up in: one per
//! family, each built into its own wasm (`families/`), so a page downloads only the families
//! its elements belong to, and all of them in `families/all` for pages with several.

pub mod badge;
pub mod carousel;
pub mod coupon;
pub mod feedback;
pub mod games;
pub mod host;
pub mod intl;

use crate::core::feedback::PromptType;
use host::Host;
use leptos::prelude::*;

/// The sheet every widget's shadow root adopts before its own: the theme's custom properties
/// and the rules all widgets share.
pub const BASE_CSS: &str = include_str!(concat!(env!("OUT_DIR"), "/base.css"));

/// What the mount layer needs to know of a widget.
pub struct Widget {
    pub tag: &'static str,
    /// Stylesheets adopted by the element's shadow root, in order, after [`BASE_CSS`].
    pub sheets: &'static [&'static str],
    pub render: fn(Host) -> AnyView,
}

/// `<lojal-badge>`.
pub const BADGE: &[Widget] = &[Widget {
    tag: badge::TAG,
    sheets: &[badge::CSS],
    render: |host| view! { <badge::Badge host /> }.into_any(),
}];

/// `<lojal-carousel>`.
pub const CAROUSEL: &[Widget] = &[Widget {
    tag: carousel::TAG,
    sheets: &[carousel::CSS],
    render: |host| view! { <carousel::Carousel host /> }.into_any(),
}];

/// The feedback prompts: `<lojal-nps>`, `<lojal-csat>`, `<lojal-review>`.
pub const FEEDBACK: &[Widget] = &[
    Widget {
        tag: feedback::NPS_TAG,
        sheets: &[feedback::CSS],
        render: |host| view! { <feedback::Prompt host kind=PromptType::Nps /> }.into_any(),
    },
    Widget {
        tag: feedback::CSAT_TAG,
        sheets: &[feedback::CSS],
        render: |host| view! { <feedback::Prompt host kind=PromptType::Csat /> }.into_any(),
    },
    Widget {
        tag: feedback::REVIEW_TAG,
        sheets: &[feedback::CSS],
        render: |host| view! { <feedback::Prompt host kind=PromptType::Review /> }.into_any(),
    },
];

/// The reward games: `<lojal-wheel>`, `<lojal-scratch>`.
pub const GAMES: &[Widget] = &[
    Widget {
        tag: games::wheel::TAG,
        sheets: &[games::CSS, games::wheel::CSS],
        render: |host| view! { <games::wheel::Wheel host /> }.into_any(),
    },
    Widget {
        tag: games::scratch::TAG,
        sheets: &[games::CSS, games::scratch::CSS],
        render: |host| view! { <games::scratch::Scratch host /> }.into_any(),
    },
];

/// Every family's table, in the order the loader names them.
pub const FAMILIES: &[(&str, &[Widget])] = &[
    ("badge", BADGE),
    ("carousel", CAROUSEL),
    ("feedback", FEEDBACK),
    ("games", GAMES),
];

/// The widget of `table` for `tag`.
pub fn by_tag(table: &'static [Widget], tag: &str) -> Option<&'static Widget> {
    table.iter().find(|w| w.tag.eq_ignore_ascii_case(tag))
}
