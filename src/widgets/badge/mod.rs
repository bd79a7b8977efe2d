//! `<lojal-badge>`: the signed-in shopper's points, tier and progress to the next tier; on click
//! or Enter a popover of the rewards the balance pays for now, each paid out as a coupon code.
//! A guest sees the programme's sign-up offer instead.
//!
//! Attributes: `customer-id`, `customer-sig` (`t=<unix seconds>,v1=<hex HMAC-SHA256 of
//! '<id>.<t>'>` under the shop secret, rendered by the theme), `locale`, `strings` (JSON overrides of the locale's strings), `api` (overrides the script tag's `data-api`), `signup-url`
//! (overrides the programme's).
//! Events: `lojal:redeem` with `detail` `{ rewardId, code, expiresAt, points }`.
//! Parts: `badge`, `trigger`, `points`, `tier`, `progress`, `next`, `popover`, `reward`,
//! `redeem`, `coupon`, `code`, `copy`, `cta`.
//! Custom properties: `--lojal-accent`, `--lojal-radius`, `--lojal-font`, `--lojal-surface`,
//! `--lojal-text`, `--lojal-on-accent`, `--lojal-error` (each with a dark default).

use crate::api::{ApiClient, ApiError};
use crate::core::config::{Identity, InvalidIdentity};
use crate::core::i18n::fill;
use crate::core::loyalty::{Coupon, LoyaltyStatus, Program, RedeemRequest, RedeemResponse, Reward};
use crate::core::url::{path_segment, safe_link};
use crate::core::wire::SIGNATURE_HEADER;
use crate::widgets::host::{Basics, Host};
use leptos::ev;
use leptos::html;
use leptos::prelude::*;
use leptos::task::spawn_local;
use wasm_bindgen::JsValue;

pub const TAG: &str = "lojal-badge";
pub const CSS: &str = include_str!(concat!(env!("OUT_DIR"), "/badge.css"));

/// What the API says about the shopper on this page. One lives in a signal at a time, so the
/// member's larger status is not worth a box.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug, PartialEq)]
enum Standing {
    Member(LoyaltyStatus),
    Guest(Program),
}

/// What the badge shows right now.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug, PartialEq)]
enum Shown {
    Loading,
    Member {
        status: LoyaltyStatus,
        stale: bool,
    },
    Guest(Program),
    /// The API failed and nothing is known: the badge keeps its box but shows nothing.
    Unavailable,
}

async fn load(
    api: ApiClient,
    identity: Result<Identity, InvalidIdentity>,
    host: Host,
) -> Result<Standing, ApiError> {
    match identity {
        Ok(Identity::Customer { id, signature }) => {
            let path = format!("/loyalty/{}", path_segment(&id));
            match api
                .get(&path, &[(SIGNATURE_HEADER, &signature)], |body| {
                    LoyaltyStatus::from_json_for(body, &id)
                })
                .await
            {
                Ok(status) => return Ok(Standing::Member(status)),
                // A forged or outdated signature, or a shopper the programme does not know yet:
                // both are best served by the guest offer.
                Err(e) if matches!(e.status(), Some(401 | 404)) => {
                    host.console_error(&format!("{e}; showing the guest offer"));
                }
                Err(e) => return Err(e),
            }
        }
        Ok(Identity::Guest) => {}
        Err(invalid) => host.console_error(&format!("{invalid}; showing the guest offer")),
    }
    api.get("/loyalty/program", &[], Program::from_json)
        .await
        .map(Standing::Guest)
}

fn new_idempotency_key() -> String {
    web_sys::window()
        .and_then(|w| w.crypto().ok())
        .map(|c| c.random_uuid())
        .unwrap_or_else(|| format!("k{}", (js_sys::Math::random() * 1e16) as u64))
}

/// The badge, its popover and its guest offer.
#[component]
pub fn Badge(
    /// The custom element: attributes, page defaults, events.
    host: Host,
) -> impl IntoView {
    let Basics {
        texts,
        api,
        identity,
    } = host.basics();
    let signup_override = Memo::new({
        let host = host.clone();
        move |_| host.attribute("signup-url")
    });
    let standing = LocalResource::new({
        let host = host.clone();
        move || load(api.get(), identity.get(), host.clone())
    });

    // The last balance this page saw, shown (marked as not updated) when the API goes away.
    let last_member = RwSignal::new(None::<LoyaltyStatus>);
    let open = RwSignal::new(false);
    let pending = RwSignal::new(None::<String>);
    let coupon = RwSignal::new(None::<Coupon>);
    let notice = RwSignal::new(None::<String>);
    let copied = RwSignal::new(false);
    let trigger = NodeRef::<html::Button>::new();
    let heading = NodeRef::<html::H2>::new();
    let code = NodeRef::<html::Code>::new();

    Effect::new({
        let host = host.clone();
        move |_| match standing.get() {
            Some(Ok(Standing::Member(status))) => last_member.set(Some(status)),
            Some(Err(e)) => host.console_error(&e.to_string()),
            _ => {}
        }
    });
    // Another shopper (or none) on the same element: nothing of the last one may stay visible.
    Effect::new(move |_| {
        identity.track();
        open.set(false);
        coupon.set(None);
        notice.set(None);
    });

    let current_id = move || match identity.get() {
        Ok(Identity::Customer { id, .. }) => Some(id),
        _ => None,
    };
    let shown = Memo::new(move |_| {
        let id = current_id();
        let last = last_member
            .get()
            .filter(|s| Some(&s.customer_id) == id.as_ref());
        match standing.get() {
            // A status of the previous shopper (attributes just changed) is never shown.
            Some(Ok(Standing::Member(status))) if Some(&status.customer_id) == id.as_ref() => {
                Shown::Member {
                    status,
                    stale: false,
                }
            }
            Some(Ok(Standing::Guest(program))) => Shown::Guest(program),
            Some(Err(_)) => last.map_or(Shown::Unavailable, |status| Shown::Member {
                status,
                stale: true,
            }),
            _ => Shown::Loading,
        }
    });
    let status = Memo::new(move |_| match shown.get() {
        Shown::Member { status, .. } => Some(status),
        _ => None,
    });
    let stale = move || matches!(shown.get(), Shown::Member { stale: true, .. });
    Effect::new({
        let host = host.clone();
        move |was_ready: Option<bool>| {
            let ready = shown.get() != Shown::Loading;
            if ready && was_ready != Some(true) {
                host.mark_ready();
            }
            ready
        }
    });

    let focus_trigger = move || {
        if let Some(button) = trigger.get_untracked() {
            let _ = button.focus();
        }
    };
    let close = move || {
        open.set(false);
        copied.set(false);
    };
    let toggle = move |_| {
        if open.get_untracked() {
            close();
        } else {
            notice.set(None);
            open.set(true);
            // The heading exists once the popover rendered, on the next frame.
            request_animation_frame(move || {
                if let Some(h) = heading.get_untracked() {
                    let _ = h.focus();
                }
            });
        }
    };
    let on_keydown = move |ev: ev::KeyboardEvent| {
        if ev.key() == "Escape" && open.get_untracked() {
            ev.stop_propagation();
            close();
            focus_trigger();
        }
    };
    let outside = window_event_listener(ev::pointerdown, {
        let host = host.clone();
        move |ev| {
            if open.get_untracked() && !host.contains_event(&ev) {
                close();
            }
        }
    });
    // Back online: the balance may have changed meanwhile (or the last load failed), so ask again.
    // Should that fail too, the last balance stays, marked as not updated.
    let online = window_event_listener(ev::online, move |_| standing.refetch());
    on_cleanup(move || {
        outside.remove();
        online.remove();
    });

    let redeem = {
        let host = host.clone();
        move |reward: Reward| {
            // One redemption at a time: a double click must not pay twice.
            if pending.get_untracked().is_some() {
                return;
            }
            let Ok(Identity::Customer { id, signature }) = identity.get_untracked() else {
                return;
            };
            pending.set(Some(reward.id.clone()));
            notice.set(None);
            coupon.set(None);
            copied.set(false);
            let key = new_idempotency_key();
            let api = api.get_untracked();
            let host = host.clone();
            spawn_local(async move {
                let body = serde_json::to_string(&RedeemRequest {
                    reward_id: reward.id.clone(),
                })
                .unwrap_or_default();
                let path = format!("/loyalty/{}/redeem", path_segment(&id));
                let result = api
                    .post(
                        &path,
                        &[(SIGNATURE_HEADER, &signature)],
                        body,
                        Some(&key),
                        |answer| RedeemResponse::from_json_for(answer, &id),
                    )
                    .await;
                pending.set(None);
                match result {
                    Ok(answer) => {
                        let detail = js_sys::Object::new();
                        for (k, v) in [
                            ("rewardId", JsValue::from_str(&answer.coupon.reward_id)),
                            ("code", JsValue::from_str(&answer.coupon.code)),
                            ("expiresAt", JsValue::from_str(&answer.coupon.expires_at)),
                            ("points", JsValue::from_f64(answer.status.points as f64)),
                        ] {
                            let _ = js_sys::Reflect::set(&detail, &k.into(), &v);
                        }
                        // The answer carries the balance after paying: no second request.
                        standing.set(Some(Ok(Standing::Member(answer.status))));
                        coupon.set(Some(answer.coupon));
                        host.emit("redeem", &detail);
                    }
                    Err(e) => {
                        host.console_error(&e.to_string());
                        let m = texts.get_untracked();
                        let m = m.messages();
                        notice.set(Some(match (e.status(), e.code()) {
                            (_, Some("insufficient_points")) => m.insufficient_points.clone(),
                            (Some(401), _) => m.signed_out.clone(),
                            _ => m.redeem_failed.clone(),
                        }));
                        if e.status() == Some(409) {
                            standing.refetch();
                        }
                    }
                }
            });
        }
    };

    let copy_code = move |_| {
        let Some(c) = coupon.get_untracked() else {
            return;
        };
        let Some(window) = web_sys::window() else {
            return;
        };
        let promise = window.navigator().clipboard().write_text(&c.code);
        spawn_local(async move {
            if wasm_bindgen_futures::JsFuture::from(promise).await.is_ok() {
                copied.set(true);
            } else if let (Some(el), Ok(Some(selection))) =
                (code.get_untracked(), window.get_selection())
            {
                // No clipboard permission: select the code so the shopper can copy it by hand.
                let _ = selection.select_all_children(&el);
            }
        });
    };

    let member_view = move || {
        let points = move || {
            status.get().map(|s| {
                texts
                    .get()
                    .count(&texts.get().messages().points, s.points, &[])
            })
        };
        let tier = move || status.get().map(|s| s.tier.name);
        let percent = move || status.get().map_or(0, |s| s.progress().percent());
        let next = move || {
            let (s, t) = (status.get()?, texts.get());
            let p = s.progress();
            Some(match &s.next_tier {
                Some(next) if !p.at_top => t.count(
                    &t.messages().points_to_next_tier,
                    p.points_to_next,
                    &[("tier", &next.name)],
                ),
                _ => t.messages().top_tier.clone(),
            })
        };
        let progress_text = move || {
            if stale() {
                texts.get().messages().stale_balance.clone()
            } else {
                next().unwrap_or_default()
            }
        };
        // Starts with the visible text, in its order (WCAG 2.5.3 Label in Name: a voice-control
        // user says what she sees), then says what the button opens.
        let label = move || {
            let t = texts.get();
            fill(
                &t.messages().badge_label,
                &[
                    ("points", &points().unwrap_or_default()),
                    ("tier", &tier().unwrap_or_default()),
                    ("progress", &progress_text()),
                ],
            )
        };
        view! {
            <button
                class="trigger"
                part="trigger"
                type="button"
                node_ref=trigger
                aria-haspopup="dialog"
                aria-expanded=move || open.get().to_string()
                aria-controls="rewards"
                aria-label=label
                class:stale=stale
                on:click=toggle
            >
                // The spaces keep the words apart in the text assistive tech reads.
                <span class="row">
                    <span class="points" part="points">{points}</span>
                    " "
                    <span class="tier" part="tier">{tier}</span>
                </span>
                " "
                <span class="row">
                    <span class="bar" part="progress" aria-hidden="true">
                        <span class="fill" style:inline-size=move || format!("{}%", percent())></span>
                    </span>
                    <span class="next" part="next">{progress_text}</span>
                </span>
            </button>
        }
    };

    let guest_view = move |program: Program| {
        let t = texts.get();
        let m = t.messages();
        let text = if program.signup_bonus > 0 {
            t.count(&m.guest_cta, program.signup_bonus, &[])
        } else {
            m.guest_cta_no_bonus.clone()
        };
        let href = signup_override
            .get()
            .or(program.signup_url)
            .and_then(|u| safe_link(&u).map(str::to_owned));
        match href {
            Some(href) => view! {
                <a class="cta" part="cta" href=href>
                    <span class="gift" aria-hidden="true">"★"</span>
                    <span>{text}</span>
                </a>
            }
            .into_any(),
            None => view! {
                <p class="cta" part="cta">
                    <span class="gift" aria-hidden="true">"★"</span>
                    <span>{text}</span>
                </p>
            }
            .into_any(),
        }
    };

    let coupon_view = move || {
        coupon.get().map(|c| {
            let t = texts.get();
            let m = t.messages();
            let title = fill(&m.coupon_title, &[("reward", &c.reward_name)]);
            let expires = t.date(&c.expires_at).map(|d| fill(&m.expires, &[("date", &d)]));
            view! {
                <div class="coupon" part="coupon">
                    <p class="coupon-title">{title}</p>
                    <div class="code-row">
                        <code class="code" part="code" node_ref=code>{c.code}</code>
                        <button class="copy" part="copy" type="button" on:click=copy_code>
                            {move || if copied.get() { texts.get().messages().copied.clone() } else { texts.get().messages().copy.clone() }}
                        </button>
                    </div>
                    <p class="expires">{expires}</p>
                </div>
            }
        })
    };

    let rewards_view = move || {
        let Some(s) = status.get() else {
            return ().into_any();
        };
        let t = texts.get();
        let redeemable: Vec<Reward> = s.redeemable().into_iter().cloned().collect();
        if redeemable.is_empty() {
            let hint = s.next_reward().map(|r| {
                t.count(
                    &t.messages().no_rewards_yet,
                    r.cost - s.points,
                    &[("reward", &r.name)],
                )
            });
            return view! { <p class="hint">{hint}</p> }.into_any();
        }
        let redeem = redeem.clone();
        view! {
            <ul class="rewards">
                {redeemable
                    .into_iter()
                    .map(|reward| {
                        let cost = t.count(&t.messages().reward_cost, reward.cost, &[]);
                        let id = reward.id.clone();
                        let busy = move || pending.get().as_deref() == Some(id.as_str());
                        let redeem = redeem.clone();
                        let name = reward.name.clone();
                        view! {
                            <li class="reward" part="reward">
                                <span class="reward-name">{name}</span>
                                <span class="cost">{cost}</span>
                                <button
                                    class="redeem"
                                    part="redeem"
                                    type="button"
                                    aria-disabled=move || pending.get().is_some().to_string()
                                    on:click=move |_| redeem(reward.clone())
                                >
                                    {move || {
                                        let m = texts.get();
                                        if busy() { m.messages().redeeming.clone() } else { m.messages().redeem.clone() }
                                    }}
                                </button>
                            </li>
                        }
                    })
                    .collect_view()}
            </ul>
        }
        .into_any()
    };

    let kind = Memo::new(move |_| match shown.get() {
        Shown::Loading => 0,
        Shown::Member { .. } => 1,
        Shown::Guest(_) => 2,
        Shown::Unavailable => 3,
    });

    view! {
        <div class="badge" part="badge" lang=move || texts.get().locale() on:keydown=on_keydown>
            {move || match kind.get() {
                1 => member_view().into_any(),
                2 => match shown.get() {
                    Shown::Guest(program) => guest_view(program),
                    _ => ().into_any(),
                },
                0 => view! {
                    <div class="skeleton" part="skeleton">
                        <span class="line"></span>
                        <span class="line short"></span>
                        <span class="sr-only" role="status">{move || texts.get().messages().loading.clone()}</span>
                    </div>
                }
                .into_any(),
                _ => view! { <div class="unavailable"></div> }.into_any(),
            }}
            <Show when=move || open.get() && status.get().is_some()>
                <div class="popover" part="popover" id="rewards" role="dialog" aria-labelledby="rewards-title">
                    <div class="popover-head">
                        <h2 id="rewards-title" tabindex="-1" node_ref=heading>
                            {move || texts.get().messages().rewards_title.clone()}
                        </h2>
                        <button
                            class="close"
                            type="button"
                            aria-label=move || texts.get().messages().close.clone()
                            on:click=move |_| {
                                close();
                                focus_trigger();
                            }
                        >
                            "×"
                        </button>
                    </div>
                    <div role="status" aria-live="polite">{coupon_view}</div>
                    {rewards_view.clone()}
                    <p class="notice" role="alert">{move || notice.get()}</p>
                </div>
            </Show>
        </div>
    }
}
