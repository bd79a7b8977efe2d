//! `<lojal-wheel>`: a prize wheel. The server draws the segment; the wheel then decelerates
//! onto it with a CSS transition of `transform` (run by the compositor, no per-frame code),
//! landing inside the segment at a random spot given by the pure core's geometry. With
//! `prefers-reduced-motion` the wheel does not turn: the drawn segment is highlighted and the
//! result fades in.
//!
//! Attributes: `campaign` (required), `customer-id`, `customer-sig`, `locale`, `strings`, `api`.
//! Events: `lojal:play` `{ campaignId, game, segmentIndex, label, won, nextPlayAt }`,
//! `lojal:prize` `{ campaignId, game, prize, code, expiresAt }`.
//! Parts: `game`, `title`, `stage`, `rotor`, `wheel`, `segment`, `pointer`, `play`, `status`,
//! `result`, `headline`, `code`, `copy`, `expires`, `state`, `notice`, `email`, `email-input`,
//! `consent`, `rules`.

use super::{
    GameCtl, Phase, email_view, popup_shell, reduced_motion, rules_view, status_view, title_view,
};
use crate::core::games::{segment_middle, segment_path, spin_target, text_color_on};
use crate::core::i18n::fill;
use crate::widgets::host::Host;
use leptos::prelude::*;
use std::time::Duration;

pub const TAG: &str = "lojal-wheel";
pub const CSS: &str = include_str!(concat!(env!("OUT_DIR"), "/wheel.css"));

/// Keep in step with the transition's duration in wheel.css.
const SPIN_MS: u64 = 5200;
const FULL_TURNS: u32 = 6;
const RADIUS: f64 = 100.0;

/// The segment's fill and its label's colour: the campaign's colour, else the theme's accent
/// and surface in turn (games.css, light or dark).
fn colours(color: Option<&str>, index: usize) -> (String, String) {
    match color {
        Some(c) => (c.to_owned(), text_color_on(c).to_owned()),
        None if index % 2 == 0 => ("var(--_accent)".into(), "var(--_on-accent)".into()),
        None => ("var(--_surface)".into(), "var(--_text)".into()),
    }
}

/// Font size (in wheel units) that keeps a label inside its segment.
fn label_size(label: &str, count: usize) -> f64 {
    let by_count: f64 = match count {
        0..=6 => 11.0,
        7..=8 => 10.0,
        9..=12 => 8.5,
        _ => 6.5,
    };
    // About 0.58 em per character over the ~62 units between hub and rim.
    let by_length = 62.0 / (0.58 * label.chars().count().max(1) as f64);
    by_count.min(by_length).max(5.0)
}

#[component]
pub fn Wheel(
    /// The custom element: attributes, page defaults, events.
    host: Host,
) -> impl IntoView {
    let ctl = GameCtl::new(host);
    let rotation = RwSignal::new(0.0_f64);
    let spinning = RwSignal::new(false);
    let landed = RwSignal::new(None::<usize>);
    let pending = StoredValue::new(None);
    // Each spin's number: a fallback timer may only end its own spin, never a later one.
    let spin_id = StoredValue::new(0_u64);

    let finish = move || {
        if let Some(result) = pending.try_update_value(Option::take).flatten() {
            spinning.set(false);
            landed.set(Some(result_index(&result)));
            ctl.finish(result);
        }
    };
    // Another campaign or shopper: the wheel starts from rest.
    Effect::new(move |_| {
        if matches!(ctl.phase.get(), Phase::Loading) {
            spinning.set(false);
            landed.set(None);
            pending.set_value(None);
        }
    });

    let spin = move || {
        ctl.play(move |result| {
            let count = ctl.segment_count();
            let index = result_index(&result);
            pending.set_value(Some(result));
            if reduced_motion() {
                // No turning at all: the segment lights up and the result fades in.
                finish();
                return;
            }
            let from = rotation.get_untracked();
            let Ok(target) = spin_target(from, index, count, FULL_TURNS, js_sys::Math::random())
            else {
                finish();
                return;
            };
            let id = spin_id.get_value() + 1;
            spin_id.set_value(id);
            spinning.set(true);
            rotation.set(target);
            // `transitionend` ends the spin; this covers a tab in the background, where the
            // transition may never report its end. Removing the transition lands the wheel.
            ctl.life
                .after(Duration::from_millis(SPIN_MS + 1500), move || {
                    if spin_id.get_value() == id {
                        finish();
                    }
                });
        });
    };

    let wheel_svg = move || {
        let campaign = ctl.campaign.get()?;
        let count = campaign.segments.len();
        let texts = ctl.texts.get();
        let labels: Vec<String> = campaign.segments.iter().map(|s| s.label.clone()).collect();
        let aria = fill(
            &texts.strings().game_wheel_label,
            &[
                ("count", &count.to_string()),
                ("labels", &labels.join(", ")),
            ],
        );
        let segments = campaign
            .segments
            .into_iter()
            .enumerate()
            .map(|(i, segment)| {
                let (fill_colour, text_colour) = colours(segment.color.as_deref(), i);
                let middle = segment_middle(i, count);
                let size = label_size(&segment.label, count);
                view! {
                    <g
                        class="segment"
                        part="segment"
                        class:landed=move || {
                            landed.get() == Some(i) && matches!(ctl.phase.get(), Phase::Done(_))
                        }
                    >
                        <path d=segment_path(i, count, RADIUS) style:fill=fill_colour></path>
                        <text
                            transform=format!("rotate({:.3}) translate({} 0)", middle - 90.0, RADIUS * 0.6)
                            style:fill=text_colour
                            style:font-size=format!("{size:.2}px")
                            text-anchor="middle"
                            dominant-baseline="central"
                        >
                            {segment.label}
                        </text>
                    </g>
                }
            })
            .collect_view();
        Some(view! {
            <svg class="wheel" part="wheel" viewBox="-104 -104 208 208" role="img" aria-label=aria>
                <circle class="rim" r="103"></circle>
                {segments}
                <circle class="hub" r="12"></circle>
            </svg>
        })
    };

    let busy = move || matches!(ctl.phase.get(), Phase::Playing) || spinning.get();
    let can_play = move || matches!(ctl.phase.get(), Phase::Ready);
    let button_text = move || {
        let texts = ctl.texts.get();
        if busy() {
            texts.strings().game_spinning.clone()
        } else {
            texts.strings().game_spin.clone()
        }
    };
    let show_button = move || {
        !matches!(
            ctl.phase.get(),
            Phase::Loading
                | Phase::Over
                | Phase::Unavailable
                | Phase::Upcoming(_)
                | Phase::LoginRequired
        )
    };

    let game = view! {
        <div class="game wheel-game" part="game" lang=move || ctl.texts.get().locale()
            class:reduced=reduced_motion
        >
            {title_view(ctl)}
            {move || matches!(ctl.phase.get(), Phase::Loading).then(|| view! {
                <p class="loading" role="status">{ctl.texts.get().strings().game_loading.clone()}</p>
            })}
            <div class="stage" part="stage" class:empty=move || ctl.campaign.get().is_none()>
                <div
                    class="rotor"
                    part="rotor"
                    class:spinning=move || spinning.get()
                    style:transform=move || format!("rotate({:.4}deg)", rotation.get())
                    on:transitionend=move |ev: web_sys::TransitionEvent| {
                        // Only the rotor's own turn; nothing that bubbles up from inside it.
                        if ev.property_name() == "transform" && ev.target() == ev.current_target() {
                            finish();
                        }
                    }
                >
                    {wheel_svg}
                </div>
                <svg class="pointer" part="pointer" viewBox="0 0 24 30" aria-hidden="true">
                    <polygon points="2,0 22,0 12,28"></polygon>
                </svg>
            </div>
            {email_view(ctl)}
            <Show when=show_button>
                <button
                    class="play"
                    part="play"
                    type="button"
                    aria-disabled=move || (!can_play()).to_string()
                    on:click=move |_| spin()
                >
                    {button_text}
                </button>
            </Show>
            {status_view(ctl)}
            {rules_view(ctl)}
        </div>
    };
    popup_shell(ctl, TAG, game.into_any())
}

fn result_index(result: &crate::core::games::PlayResult) -> usize {
    result.segment_index
}
