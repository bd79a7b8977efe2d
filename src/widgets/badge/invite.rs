//! A friend who arrived through a member's share link (`?lojal_ref=CODE`): instead of the
//! sign-up offer, the guest's badge offers her the friend reward, and gives her its code for
//! her email. The code in the link is kept (with storage consent) for the rest of her visit.

use super::{popover_keys, signup_cta};
use crate::api::{ApiClient, ApiError};
use crate::core::games::normalize_email;
use crate::core::i18n::{BadgeStrings, fill};
use crate::core::loyalty::{
    ReferralClaim, ReferralCoupon, ReferralInvite, coupon_poll_delay_ms, is_referral_code,
};
use crate::core::url::{path_segment, query_param};
use crate::life::Life;
use crate::widgets::coupon::CodeRow;
use crate::widgets::host::Host;
use crate::widgets::intl::Texts;
use gloo_timers::future::TimeoutFuture;
use leptos::ev;
use leptos::html;
use leptos::prelude::*;

const STORED_CODE: &str = "lojal:referral";

/// The referral code this visit came with: from the page's URL (then kept), else kept earlier.
fn referral_code(host: &Host) -> Option<String> {
    let search = web_sys::window().and_then(|w| w.location().search().ok())?;
    match query_param(&search, "lojal_ref").filter(|c| is_referral_code(c)) {
        Some(code) => {
            let code = code.to_ascii_uppercase();
            host.store(STORED_CODE, &code);
            Some(code)
        }
        None => host.stored(STORED_CODE).filter(|c| is_referral_code(c)),
    }
}

/// What a refused claim tells her.
fn refusal(texts: &Texts<BadgeStrings>, error: &ApiError) -> String {
    let l = &texts.strings().loyalty;
    match error.code() {
        Some("invalid_email") => &l.invite_invalid_email,
        Some("self_referral") => &l.invite_own,
        Some("already_member") => &l.invite_member,
        Some("already_referred") => &l.invite_taken,
        Some("referral_limit") => &l.invite_limit,
        _ => &l.invite_failed,
    }
    .clone()
}

/// What a friend is offered for `code`, into `invite`; a code no member has leaves the
/// sign-up offer in place.
async fn load_invite(
    api: ApiClient,
    code: String,
    host: Host,
    invite: RwSignal<Option<ReferralInvite>>,
) {
    let path = format!("/referrals/{}", path_segment(&code));
    match api.get(&path, &[], ReferralInvite::from_json).await {
        Ok(answer) => invite.set(Some(answer)),
        Err(e) => host.console_warn(&format!("{e}; showing the sign-up offer")),
    }
}

/// Claims the friend reward for `email`. The same email asking again gets the same coupon: a
/// pending one is asked for again, on the pending coupons' schedule, until the shop platform
/// made it.
async fn claim_coupon(
    api: ApiClient,
    code: String,
    email: String,
    coupon: RwSignal<Option<ReferralCoupon>>,
) -> Result<(), ApiError> {
    let path = format!("/referrals/{}/claim", path_segment(&code));
    let body = serde_json::to_string(&ReferralClaim { email }).unwrap_or_default();
    let mut asked = 0;
    loop {
        let answer = api
            .post(&path, &[], body.clone(), None, ReferralCoupon::from_json)
            .await?;
        let waiting = answer.status == "pending";
        coupon.set(Some(answer));
        match coupon_poll_delay_ms(asked).filter(|_| waiting) {
            Some(delay) => {
                TimeoutFuture::new(delay).await;
                asked += 1;
            }
            _ => return Ok(()),
        }
    }
}

/// The guest's badge: her invitation when she came through a member's link, else the sign-up
/// offer.
#[component]
pub(super) fn Invited(
    /// The badge's element.
    host: Host,
    texts: Memo<Texts<BadgeStrings>>,
    api: Memo<ApiClient>,
    /// The sign-up offer's text and link, shown without (or until) an invitation.
    signup_text: String,
    signup_href: Option<String>,
) -> impl IntoView {
    let life = Life::new();
    // Asked once: the code comes with the visit, not with the element's attributes.
    let invite = RwSignal::new(None::<ReferralInvite>);
    if let Some(code) = referral_code(&host) {
        life.spawn(load_invite(api.get_untracked(), code, host.clone(), invite));
    }
    let open = RwSignal::new(false);
    let email = RwSignal::new(String::new());
    let busy = RwSignal::new(false);
    let problem = RwSignal::new(None::<String>);
    let coupon = RwSignal::new(None::<ReferralCoupon>);
    let trigger = NodeRef::<html::Button>::new();
    let heading = NodeRef::<html::H2>::new();

    let title = move || {
        let t = texts.get();
        let l = &t.strings().loyalty;
        match invite.get().and_then(|i| i.referrer_first_name) {
            Some(name) => fill(&l.invite_title, &[("name", &name)]),
            None => l.invite_title_anonymous.clone(),
        }
    };
    let offer = move || {
        let i = invite.get()?;
        let t = texts.get();
        Some(super::panels::offer_text(&t, &i.friend_reward, &i.currency))
    };
    let toggle = move |_| {
        open.update(|o| *o = !*o);
        if open.get_untracked() {
            life.next_frame(move || {
                if let Some(h) = heading.get_untracked() {
                    let _ = h.focus();
                }
            });
        }
    };
    let (on_keydown, on_focusout) = popover_keys(open, trigger);
    let outside = window_event_listener(ev::pointerdown, {
        let host = host.clone();
        move |ev| {
            if open.get_untracked() && !host.contains_event(&ev) {
                open.set(false);
            }
        }
    });
    on_cleanup(move || outside.remove());

    let stored_host = StoredValue::new(host.clone());
    let claim = {
        move |ev: ev::SubmitEvent| {
            ev.prevent_default();
            if busy.get_untracked() {
                return;
            }
            let t = texts.get_untracked();
            let (Some(address), Some(invite)) = (
                normalize_email(&email.get_untracked()),
                invite.get_untracked(),
            ) else {
                problem.set(Some(t.strings().loyalty.invite_invalid_email.clone()));
                return;
            };
            busy.set(true);
            problem.set(None);
            let (api, host) = (api.get_untracked(), stored_host.get_value());
            life.spawn(async move {
                if let Err(e) = claim_coupon(api, invite.code, address, coupon).await {
                    host.console_warn(&e.to_string());
                    problem.set(Some(refusal(&t, &e)));
                }
                busy.set(false);
            });
        }
    };

    let result = move || {
        let c = coupon.get()?;
        let t = texts.get();
        let m = t.strings();
        let l = &m.loyalty;
        Some(match c.status.as_str() {
            "active" => {
                let title = fill(
                    &l.invite_code,
                    &[("offer", &super::panels::offer_text(&t, &c.friend_reward, &c.currency))],
                );
                let expires = t.date(&c.expires_at).map(|d| fill(&m.expires, &[("date", &d)]));
                view! {
                    <div class="coupon" part="coupon">
                        <p class="coupon-title">{title}</p>
                        <CodeRow code=c.code texts />
                        <p class="expires">{expires}</p>
                    </div>
                }
                .into_any()
            }
            "pending" => view! { <p class="coupon waiting" part="coupon">{l.invite_pending.clone()}</p> }.into_any(),
            _ => view! { <p class="coupon waiting failed" part="coupon">{l.invite_failed.clone()}</p> }.into_any(),
        })
    };
    let form = move || {
        let l = texts.get().strings().loyalty.clone();
        view! {
            <form class="invite-form" on:submit=claim novalidate>
                <label>
                    <span>{l.invite_email.clone()}</span>
                    <input
                        type="email"
                        name="email"
                        autocomplete="email"
                        required
                        prop:value=move || email.get()
                        on:input=move |ev| email.set(event_target_value(&ev))
                    />
                </label>
                <button class="redeem" type="submit" aria-disabled=move || busy.get().to_string()>
                    {move || if busy.get() { l.invite_claiming.clone() } else { l.invite_claim.clone() }}
                </button>
            </form>
        }
    };

    let invited = move || invite.get().is_some();
    view! {
        <Show
            when=invited
            fallback=move || signup_cta(&host, signup_text.clone(), signup_href.clone())
        >
            <div class="invited" on:keydown=on_keydown.clone() on:focusout=on_focusout.clone()>
                <button
                    class="cta"
                    part="invite"
                    type="button"
                    node_ref=trigger
                    aria-haspopup="dialog"
                    aria-expanded=move || open.get().to_string()
                    aria-controls="invite"
                    on:click=toggle
                >
                    <span class="gift" aria-hidden="true">"★"</span>
                    <span class="invite-text">
                        <span>{title}</span>
                        " "
                        <span class="next">{offer}</span>
                    </span>
                </button>
                <Show when=move || open.get()>
                    <div class="popover" part="popover" id="invite" role="dialog" aria-labelledby="invite-title">
                        <div class="popover-head">
                            <h2 id="invite-title" tabindex="-1" node_ref=heading>{title}</h2>
                            <button
                                class="close"
                                type="button"
                                aria-label=move || texts.get().strings().close.clone()
                                on:click=move |_| {
                                    open.set(false);
                                    if let Some(t) = trigger.get_untracked() {
                                        let _ = t.focus();
                                    }
                                }
                            >
                                "×"
                            </button>
                        </div>
                        <p>
                            {move || offer().map(|o| fill(&texts.get().strings().loyalty.invite_offer, &[("offer", &o)]))}
                        </p>
                        <div role="status" aria-live="polite">{result}</div>
                        {move || coupon.with(|c| c.as_ref().is_none_or(|c| c.status == "failed")).then(form)}
                        <p class="notice" role="alert">{move || problem.get()}</p>
                    </div>
                </Show>
            </div>
        </Show>
    }
}
