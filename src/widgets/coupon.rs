//! Coupon codes as the badge and the games show them: a code with its copy button, and a code
//! still on its way from the shop platform (Shopify, WooCommerce, the shop's own backend),
//! asked about until the platform made or refused it.

use crate::api::ApiClient;
use crate::core::i18n::{BadgeStrings, FamilyStrings, GameStrings};
use crate::core::loyalty::{CouponState, coupon_poll_delay_ms};
use crate::life::Life;
use crate::widgets::intl::Texts;
use gloo_timers::future::TimeoutFuture;
use leptos::html;
use leptos::prelude::*;

/// How a pending coupon ended on this page.
#[derive(Clone, Debug, PartialEq)]
pub enum Arrival {
    /// The platform made it (the state carries the code) or refused it.
    Settled(CouponState),
    /// Still pending when this page stopped asking; the next page load asks again.
    StillPending,
}

/// Asks `GET /coupons/{ticket}` on the schedule of [`coupon_poll_delay_ms`] until the coupon is
/// active or failed. Run by the widget's [`Life`], it stops asking when the widget is removed.
pub async fn arrival(api: ApiClient, ticket: String) -> Arrival {
    let path = format!("/coupons/{ticket}");
    let mut asked = 0;
    while let Some(delay) = coupon_poll_delay_ms(asked) {
        TimeoutFuture::new(delay).await;
        asked += 1;
        // Failing to ask (offline, a 503) is the same as "still pending": ask again later.
        if let Ok(state) = api.get(&path, &[], CouponState::from_json).await
            && state.status != "pending"
        {
            return Arrival::Settled(state);
        }
    }
    Arrival::StillPending
}

/// The strings of a family whose widgets show codes: the copy button's two labels.
pub trait CopyLabels {
    /// "Copy", and "Copied" once the code is on the clipboard.
    fn copy_labels(&self) -> (&str, &str);
}

impl CopyLabels for BadgeStrings {
    fn copy_labels(&self) -> (&str, &str) {
        (&self.copy, &self.copied)
    }
}

impl CopyLabels for GameStrings {
    fn copy_labels(&self) -> (&str, &str) {
        (&self.copy, &self.copied)
    }
}

/// A code and its copy button. Without clipboard permission the code is selected instead, so
/// the shopper can copy it by hand.
#[component]
pub fn CodeRow<S: FamilyStrings + CopyLabels>(
    /// The code the shop's checkout takes.
    code: String,
    /// For the button's "Copy" / "Copied".
    texts: Memo<Texts<S>>,
) -> impl IntoView {
    let life = Life::new();
    let copied = RwSignal::new(false);
    let node = NodeRef::<html::Code>::new();
    let copy = {
        let code = code.clone();
        move |_| {
            let Some(window) = web_sys::window() else {
                return;
            };
            let promise = window.navigator().clipboard().write_text(&code);
            life.spawn(async move {
                if wasm_bindgen_futures::JsFuture::from(promise).await.is_ok() {
                    copied.set(true);
                } else if let (Some(el), Ok(Some(selection))) =
                    (node.get_untracked(), window.get_selection())
                {
                    let _ = selection.select_all_children(&el);
                }
            });
        }
    };
    view! {
        <div class="code-row">
            <code class="code" part="code" node_ref=node>{code}</code>
            <button class="copy" part="copy" type="button" on:click=copy>
                {move || {
                    let t = texts.get();
                    let (copy, done) = t.strings().copy_labels();
                    if copied.get() { done.to_owned() } else { copy.to_owned() }
                }}
            </button>
        </div>
    }
}
