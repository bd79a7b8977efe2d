//! `<lojal-scratch>`: a scratch card. The first scratch (or the Reveal button) asks the server
//! to play; the prize appears under the coating only once the server has answered, so there is
//! nothing to find in the page beforehand. Pointer events serve mouse, pen and finger alike;
//! at 60 % scratched (counted on a coarse grid by the pure core) the rest of the coating fades
//! away and the result is announced. "Reveal" does the same for keyboard and screen-reader users.
//!
//! Attributes: `campaign` (required), `customer-id`, `customer-sig`, `locale`, `strings`, `api`.
//! Events: `lojal:play`, `lojal:prize` (as `<lojal-wheel>`).
//! Parts: `game`, `title`, `card`, `prize`, `coating`, `reveal`, and the shared result parts.

use super::{GameCtl, Phase, email_view, popup_shell, rules_view, status_view, title_view};
use crate::core::games::{PlayResult, ScratchGrid};
use crate::core::i18n::fill;
use crate::widgets::host::Host;
use leptos::html;
use leptos::prelude::*;
use send_wrapper::SendWrapper;
use wasm_bindgen::JsCast;
use wasm_bindgen::closure::Closure;
use web_sys::{CanvasRenderingContext2d, HtmlCanvasElement, PointerEvent};

pub const TAG: &str = "lojal-scratch";
pub const CSS: &str = include_str!(concat!(env!("OUT_DIR"), "/scratch.css"));

/// The card's own coordinates (2:1, like its CSS box), whatever its size on screen.
const W: f64 = 1000.0;
const H: f64 = 500.0;
/// The brush's radius in card units (a fingertip on a phone-sized card).
const BRUSH: f64 = 48.0;
const COLS: usize = 40;
const ROWS: usize = 20;

fn context(canvas: &HtmlCanvasElement) -> Option<CanvasRenderingContext2d> {
    canvas.get_context("2d").ok()??.dyn_into().ok()
}

/// Sizes the canvas to its box at the screen's pixel density and paints the coating.
fn paint_coating(canvas: &HtmlCanvasElement, hint: &str) {
    let rect = canvas.get_bounding_client_rect();
    let (width, height) = if rect.width() > 0.0 {
        (rect.width(), rect.height())
    } else {
        (320.0, 160.0)
    };
    let dpr = web_sys::window().map_or(1.0, |w| w.device_pixel_ratio());
    canvas.set_width((width * dpr).round().max(1.0) as u32);
    canvas.set_height((height * dpr).round().max(1.0) as u32);
    let Some(ctx) = context(canvas) else {
        return;
    };
    let _ = ctx.set_transform(
        f64::from(canvas.width()) / W,
        0.0,
        0.0,
        f64::from(canvas.height()) / H,
        0.0,
        0.0,
    );
    let _ = ctx.set_global_composite_operation("source-over");
    let gradient = ctx.create_linear_gradient(0.0, 0.0, W, H);
    for (stop, colour) in [
        (0.0, "#aeb3bb"),
        (0.45, "#eef0f3"),
        (0.55, "#e2e5e9"),
        (1.0, "#9da3ad"),
    ] {
        let _ = gradient.add_color_stop(stop, colour);
    }
    ctx.set_fill_style_canvas_gradient(&gradient);
    ctx.fill_rect(0.0, 0.0, W, H);
    // A little texture, so it reads as foil.
    ctx.set_stroke_style_str("rgba(255,255,255,0.35)");
    ctx.set_line_width(3.0);
    let mut x = -H;
    while x < W {
        ctx.begin_path();
        ctx.move_to(x, H);
        ctx.line_to(x + H, 0.0);
        ctx.stroke();
        x += 38.0;
    }
    ctx.set_fill_style_str("#3f444d");
    ctx.set_font("700 72px system-ui, -apple-system, 'Segoe UI', sans-serif");
    ctx.set_text_align("center");
    ctx.set_text_baseline("middle");
    let _ = ctx.fill_text(hint, W / 2.0, H / 2.0);
}

/// Clears the coating along a stroke of the brush.
fn clear_stroke(canvas: &HtmlCanvasElement, from: (f64, f64), to: (f64, f64)) {
    let Some(ctx) = context(canvas) else {
        return;
    };
    let _ = ctx.set_global_composite_operation("destination-out");
    ctx.set_fill_style_str("#000");
    ctx.set_stroke_style_str("#000");
    ctx.set_line_width(BRUSH * 2.0);
    ctx.set_line_cap("round");
    ctx.set_line_join("round");
    ctx.begin_path();
    if from == to {
        let _ = ctx.arc(from.0, from.1, BRUSH, 0.0, std::f64::consts::TAU);
        ctx.fill();
    } else {
        ctx.move_to(from.0, from.1);
        ctx.line_to(to.0, to.1);
        ctx.stroke();
    }
}

#[component]
pub fn Scratch(
    /// The custom element: attributes, page defaults, events.
    host: Host,
) -> impl IntoView {
    let ctl = GameCtl::new(host);
    let canvas_ref = NodeRef::<html::Canvas>::new();
    let grid = StoredValue::new(ScratchGrid::new(W, H, COLS, ROWS));
    let scratched = RwSignal::new(0_u32);
    let revealed = RwSignal::new(false);
    // The server's answer, shown under the coating as soon as it is in.
    let drawn = RwSignal::new(None::<PlayResult>);
    let last = StoredValue::new(None::<(f64, f64)>);

    // A fresh coating for every campaign, shopper and language.
    Effect::new(move |_| {
        let hint = ctl.texts.get().strings().game_scratch_here.clone();
        ctl.generation.track();
        if let Some(canvas) = canvas_ref.get() {
            paint_coating(&canvas, &hint);
            grid.set_value(ScratchGrid::new(W, H, COLS, ROWS));
            scratched.set(0);
            revealed.set(false);
            drawn.set(None);
        }
    });

    // The card's size changes (a popup opening, a phone turned): an untouched coating is
    // painted again at the new size, so it stays sharp.
    Effect::new(move |_| {
        let Some(canvas) = canvas_ref.get() else {
            return;
        };
        let repaint = Closure::<dyn FnMut(js_sys::Array)>::new(move |_: js_sys::Array| {
            let untouched =
                grid.with_value(ScratchGrid::fraction) == 0.0 && !revealed.get_untracked();
            if let (true, Some(canvas)) = (untouched, canvas_ref.get_untracked()) {
                let hint = ctl
                    .texts
                    .get_untracked()
                    .strings()
                    .game_scratch_here
                    .clone();
                paint_coating(&canvas, &hint);
            }
        });
        let Ok(observer) = web_sys::ResizeObserver::new(repaint.as_ref().unchecked_ref()) else {
            return;
        };
        observer.observe(&canvas);
        let kept = SendWrapper::new((observer, repaint));
        on_cleanup(move || kept.0.disconnect());
    });

    let reveal = move || {
        if revealed.get_untracked() {
            return;
        }
        revealed.set(true);
        if let Some(result) = drawn.get_untracked() {
            ctl.finish(result);
        }
    };
    let start = move || {
        ctl.play(move |result| {
            drawn.set(Some(result.clone()));
            if revealed.get_untracked() {
                ctl.finish(result);
            }
        });
    };
    // Whether scratching may go on: starts the play on the first touch.
    let may_scratch = move || -> bool {
        if revealed.get_untracked() {
            return false;
        }
        match ctl.phase.get_untracked() {
            Phase::Ready => {
                start();
                // Still `Ready` means the email was missing: nothing is scratched.
                matches!(ctl.phase.get_untracked(), Phase::Playing)
            }
            Phase::Playing => true,
            _ => {
                start(); // says politely why not
                false
            }
        }
    };
    let point = move |ev: &PointerEvent| -> Option<(f64, f64)> {
        let canvas = canvas_ref.get_untracked()?;
        let rect = canvas.get_bounding_client_rect();
        if rect.width() <= 0.0 || rect.height() <= 0.0 {
            return None;
        }
        Some((
            (f64::from(ev.client_x()) - rect.left()) * W / rect.width(),
            (f64::from(ev.client_y()) - rect.top()) * H / rect.height(),
        ))
    };
    let stroke = move |from: (f64, f64), to: (f64, f64)| {
        if let Some(canvas) = canvas_ref.get_untracked() {
            clear_stroke(&canvas, from, to);
        }
        grid.update_value(|g| g.scratch_line(from, to, BRUSH));
        let (fraction, enough) = grid.with_value(|g| (g.fraction(), g.revealed()));
        scratched.set((fraction * 100.0).floor() as u32);
        if enough {
            reveal();
        }
    };
    let on_down = move |ev: PointerEvent| {
        if !ev.is_primary() || !may_scratch() {
            return;
        }
        ev.prevent_default();
        if let Some(canvas) = canvas_ref.get_untracked() {
            let _ = canvas.set_pointer_capture(ev.pointer_id());
        }
        if let Some(p) = point(&ev) {
            last.set_value(Some(p));
            stroke(p, p);
        }
    };
    let on_move = move |ev: PointerEvent| {
        let Some(previous) = last.get_value() else {
            return;
        };
        if revealed.get_untracked() {
            last.set_value(None);
            return;
        }
        if let Some(p) = point(&ev) {
            stroke(previous, p);
            last.set_value(Some(p));
        }
    };
    let on_up = move |_: PointerEvent| last.set_value(None);

    let on_reveal = move |_| match ctl.phase.get_untracked() {
        Phase::Ready => {
            start();
            if matches!(ctl.phase.get_untracked(), Phase::Playing) {
                reveal();
            }
        }
        Phase::Playing => reveal(),
        _ => start(),
    };

    let prize_layer = move || {
        let texts = ctl.texts.get();
        let m = texts.strings();
        match (drawn.get(), ctl.phase.get()) {
            (Some(result), _) => Some(match result.prize {
                Some(prize) => view! {
                    <p class="prize-name won">{prize.name}</p>
                }
                .into_any(),
                None => view! { <p class="prize-name">{result.label}</p> }.into_any(),
            }),
            (None, Phase::Playing) => {
                Some(view! { <p class="drawing">{m.game_drawing.clone()}</p> }.into_any())
            }
            _ => None,
        }
    };
    let label = move || {
        let texts = ctl.texts.get();
        let m = texts.strings();
        fill(&m.game_scratch_label, &[("reveal", &m.game_reveal)])
    };
    let playable =
        move || matches!(ctl.phase.get(), Phase::Ready | Phase::Playing) && !revealed.get();
    let show_card = move || !matches!(ctl.phase.get(), Phase::Loading | Phase::Unavailable);

    let game = view! {
        <div class="game scratch-game" part="game" lang=move || ctl.texts.get().locale()>
            {title_view(ctl)}
            {move || matches!(ctl.phase.get(), Phase::Loading).then(|| view! {
                <p class="loading" role="status">{ctl.texts.get().strings().game_loading.clone()}</p>
            })}
            {email_view(ctl)}
            <div
                class="card"
                part="card"
                role="img"
                aria-label=label
                class:hidden=move || !show_card()
                class:revealed=move || revealed.get()
                class:locked=move || {
                    matches!(
                        ctl.phase.get(),
                        Phase::NotEligible(_) | Phase::Over | Phase::Upcoming(_) | Phase::LoginRequired
                    )
                }
                data-scratched=move || scratched.get().to_string()
            >
                <div class="prize" part="prize" aria-hidden="true">{prize_layer}</div>
                <canvas
                    class="coating"
                    part="coating"
                    aria-hidden="true"
                    node_ref=canvas_ref
                    on:pointerdown=on_down
                    on:pointermove=on_move
                    on:pointerup=on_up
                    on:pointercancel=on_up
                ></canvas>
            </div>
            <Show when=playable>
                <button class="reveal" part="reveal" type="button" on:click=on_reveal>
                    {move || ctl.texts.get().strings().game_reveal.clone()}
                </button>
            </Show>
            {status_view(ctl)}
            {rules_view(ctl)}
        </div>
    };
    popup_shell(ctl, TAG, game.into_any())
}
