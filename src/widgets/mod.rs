//! Every widget, one module each, and the table the mount layer looks tags up in.

pub mod badge;
pub mod carousel;
pub mod feedback;
pub mod games;
pub mod intl;

use crate::core::feedback::PromptType;
use crate::mount::Host;
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

pub const ALL: &[Widget] = &[
    Widget {
        tag: badge::TAG,
        sheets: &[badge::CSS],
        render: |host| view! { <badge::Badge host /> }.into_any(),
    },
    Widget {
        tag: carousel::TAG,
        sheets: &[carousel::CSS],
        render: |host| view! { <carousel::Carousel host /> }.into_any(),
    },
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

pub fn by_tag(tag: &str) -> Option<&'static Widget> {
    ALL.iter().find(|w| w.tag.eq_ignore_ascii_case(tag))
}
