//! `<lojal-badge>`: the signed-in shopper's points, tier and progress to the next tier; on click
//! or Enter a popover with the rewards the balance pays for now (each paid out as a coupon
//! code), points on their way and expiring, her codes, how to earn more, her birthday, her
//! referral link and her activity. A guest sees the programme's sign-up offer instead, and a
//! friend who arrived through a member's link (`?lojal_ref=CODE`) her invitation.
//!
//! Attributes: `customer-id`, `customer-sig` (`t=<unix seconds>,v1=<hex HMAC-SHA256 of
//! '<id>.<t>'>` under the shop secret, rendered by the theme), `locale`, `strings` (JSON
//! overrides of the locale's strings), `api` (overrides the script tag's `data-api`),
//! `signup-url` (overrides the programme's), `referral-url` (the page a member's share link
//! opens; the shop's front page by default), `source` (a mapping of the shop's own loyalty JSON,
//! inline or `#id` of a `<script type="application/json">`; see `core::loyalty_source`) and
//! `endpoint` (with `source`: the status URL, `{customer_id}` filled in).
//! Events: `lojal:redeem` with `detail` `{ rewardId, code, expiresAt, points }`, once the code
//! exists (a code the shop platform is still making comes later, when it is made).
//! Parts: `badge`, `trigger`, `points`, `tier`, `progress`, `next`, `popover`, `reward`,
//! `redeem`, `coupon`, `code`, `copy`, `cta`, `pending`, `expiring`, `coupons`, `earn`,
//! `birthday`, `referral`, `share`, `copy-link`, `activity`, `invite`.
//! Custom properties: `--lojal-accent`, `--lojal-radius`, `--lojal-font`, `--lojal-surface`,
//! `--lojal-text`, `--lojal-on-accent`, `--lojal-error` (each with a dark default).
//!
//! The popover is non-modal: it closes when focus or a click leaves it, and Escape or its close
//! button give the focus back to the trigger, so nothing the page behind it holds is ever
//! focused while hidden under it (WCAG 2.4.11).

mod invite;
mod panels;

use crate::api::{ApiClient, ApiError};
use crate::core::config::{Identity, InvalidIdentity};
use crate::core::i18n::{BadgeStrings, fill};
use crate::core::loyalty::{Coupon, LoyaltyStatus, Program, RedeemRequest, RedeemResponse, Reward};
use crate::core::loyalty_source::LoyaltyMapping;
use crate::core::url::{path_segment, safe_link};
use crate::core::wire::SIGNATURE_HEADER;
use crate::life::Life;
use crate::widgets::coupon::{Arrival, arrival};
use crate::widgets::host::{Basics, Host, js_object};
use crate::widgets::intl::Texts;
use leptos::ev;
use leptos::html;
use leptos::prelude::*;
use std::collections::BTreeMap;
use wasm_bindgen::{JsCast, JsValue};

pub const TAG: &str = "lojal-badge";
pub const CSS: &str = include_str!(concat!(env!("OUT_DIR"), "/badge.css"));

/// What the API says about the shopper on this page. One lives in a signal at a time, so the
/// member's larger status is not worth a box.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug, PartialEq)]
enum Standing {
    Member(LoyaltyStatus),
    Guest(Program),
    /// Nobody signed in on a badge over the shop's own JSON, which has no programme to offer.
    SourceGuest,
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
    SourceGuest,
    /// The API failed and nothing is known: the badge keeps its box but shows nothing.
    Unavailable,
}

/// The shop's own loyalty JSON, when `source` names a mapping: where to read it, and how.
#[derive(Clone, Debug, PartialEq)]
struct Source {
    mapping: LoyaltyMapping,
    /// The `endpoint` attribute, used when the mapping has no `path`.
    endpoint: Option<String>,
}

impl Source {
    /// The status URL for `customer_id`, below `api`.
    fn status_url(&self, api: &ApiClient, customer_id: &str) -> Option<String> {
        match (&self.endpoint, self.mapping.status_path(customer_id)) {
            (Some(endpoint), _) => {
                Some(endpoint.replace("{customer_id}", &path_segment(customer_id)))
            }
            (None, Some(path)) => Some(api.url(&path)),
            (None, None) => None,
        }
    }
}

/// The `source` attribute read into a mapping: inline JSON, or the text of the script element
/// it names with `#id`. `None` without the attribute; a broken mapping is an error that names
/// what is wrong.
fn read_source(host: &Host) -> Option<Result<Source, String>> {
    let raw = host.attribute("source")?;
    let raw = raw.trim();
    if raw.is_empty() {
        return None;
    }
    let text = match raw.strip_prefix('#') {
        Some(id) => host
            .element()
            .owner_document()
            .and_then(|d| d.get_element_by_id(id))
            .and_then(|e| e.text_content())
            .ok_or_else(|| format!("source: no element #{id} on the page")),
        None => Ok(raw.to_owned()),
    };
    Some(text.and_then(|text| {
        let mapping = LoyaltyMapping::from_config(&text).map_err(|e| e.to_string())?;
        Ok(Source {
            mapping,
            endpoint: host.attribute("endpoint").filter(|e| !e.trim().is_empty()),
        })
    }))
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

/// A status from the shop's own JSON. The shop's endpoint knows its shopper by its own means
/// (a session cookie, an app proxy's signature), so only the id is needed here.
async fn load_from_source(
    api: ApiClient,
    source: Source,
    customer_id: Option<String>,
    host: Host,
) -> Result<Standing, ApiError> {
    let Some(id) = customer_id else {
        return Ok(Standing::SourceGuest);
    };
    let Some(url) = source.status_url(&api, &id) else {
        host.console_error("source: the mapping has no `path` and the element no `endpoint`");
        return Ok(Standing::SourceGuest);
    };
    let read = api
        .get_url(&url, &[("accept", "application/json")], |body| {
            source.mapping.read(body, &id)
        })
        .await?;
    for warning in &read.warnings {
        host.console_warn(&format!("source: {warning}"));
    }
    Ok(Standing::Member(read.status))
}

fn new_idempotency_key() -> String {
    web_sys::window()
        .and_then(|w| w.crypto().ok())
        .map(|c| c.random_uuid())
        .unwrap_or_else(|| format!("k{}", (js_sys::Math::random() * 1e16) as u64))
}

/// A coupon as the popover shows it.
#[derive(Clone, Debug, PartialEq)]
enum CouponShown {
    Code(String),
    /// The shop platform is making it; this page is asking.
    Waiting,
    /// Still being made when this page stopped asking.
    Later,
    /// The platform refused it; her points came back.
    Failed,
}

/// What the badge's parts share: `Copy`, so every closure and panel gets one.
#[derive(Clone, Copy)]
struct BadgeCtl {
    host: StoredValue<Host>,
    /// Redemptions, coupon follow-ups and the popover's focus end with the element.
    life: Life,
    texts: Memo<Texts<BadgeStrings>>,
    api: Memo<ApiClient>,
    identity: Memo<Result<Identity, InvalidIdentity>>,
    standing: LocalResource<Result<Standing, ApiError>>,
    /// The signed-in shopper's status as shown (the last known one while the API is away).
    status: Memo<Option<LoyaltyStatus>>,
    /// Pending coupons this page asks about, by ticket: `None` while it asks, then how each
    /// ended.
    arrivals: RwSignal<BTreeMap<String, Option<Arrival>>>,
    /// The coupon just redeemed in this popover.
    coupon: RwSignal<Option<Coupon>>,
    /// The status comes from the shop's own JSON, which has no activity or programme of ours.
    from_source: Memo<bool>,
}

impl BadgeCtl {
    fn host(&self) -> Host {
        self.host.get_value()
    }

    /// The signed shopper's id and signature, if the badge shows a member.
    fn customer(&self) -> Option<(String, String)> {
        match self.identity.get_untracked() {
            Ok(Identity::Customer { id, signature }) => Some((id, signature)),
            _ => None,
        }
    }

    /// Asks about a pending coupon until it is made or refused, once per ticket and page.
    /// A refusal gave her points back, so the status is read again.
    fn follow(&self, coupon: &Coupon) {
        let Some(ticket) = coupon.ticket.clone().filter(|_| coupon.status == "pending") else {
            return;
        };
        if self.arrivals.with_untracked(|a| a.contains_key(&ticket)) {
            return;
        }
        self.arrivals
            .update(|a| drop(a.insert(ticket.clone(), None)));
        let ctl = *self;
        let reward_id = coupon.reward_id.clone();
        ctl.life.spawn(async move {
            let api = ctl.api.get_untracked();
            let arrivals = ctl.arrivals;
            let outcome = arrival(api, ticket.clone()).await;
            if let Arrival::Settled(state) = &outcome {
                if state.status == "failed" {
                    ctl.host().console_error(&format!(
                        "the shop refused the coupon for {}: {}",
                        state.name,
                        state.failure.as_deref().unwrap_or("no reason given")
                    ));
                    ctl.standing.refetch();
                } else if let Some(code) = &state.code {
                    ctl.announce(&reward_id, code, &state.expires_at);
                }
            }
            arrivals.update(|a| drop(a.insert(ticket, Some(outcome))));
        });
    }

    /// What to show of `coupon` now: its code, or where it stands on its way. Tracks the
    /// answers about pending coupons.
    fn shown_coupon(&self, coupon: &Coupon) -> CouponShown {
        if coupon.status == "active" {
            return CouponShown::Code(coupon.code.clone());
        }
        if coupon.status == "failed" {
            return CouponShown::Failed;
        }
        let arrived = coupon
            .ticket
            .as_ref()
            .and_then(|t| self.arrivals.with(|a| a.get(t).cloned()).flatten());
        match arrived {
            Some(Arrival::Settled(state)) => {
                state.code.map_or(CouponShown::Failed, CouponShown::Code)
            }
            Some(Arrival::StillPending) => CouponShown::Later,
            None => CouponShown::Waiting,
        }
    }

    /// `lojal:redeem`, once a redeemed reward's code exists.
    fn announce(&self, reward_id: &str, code: &str, expires_at: &str) {
        let points = self
            .status
            .try_get_untracked()
            .flatten()
            .map_or(0.0, |s| s.points as f64);
        let detail = js_object(&[
            ("rewardId", JsValue::from_str(reward_id)),
            ("code", JsValue::from_str(code)),
            ("expiresAt", JsValue::from_str(expires_at)),
            ("points", JsValue::from_f64(points)),
        ]);
        self.host().emit("redeem", &detail);
    }
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
    } = host.basics::<BadgeStrings>();
    let signup_override = Memo::new({
        let host = host.clone();
        move |_| host.attribute("signup-url")
    });
    let source = Memo::new({
        let host = host.clone();
        move |_| read_source(&host)
    });
    // With `source`, the shop's endpoint knows its shopper by its own means: only her id here.
    // A memo, so that other attributes changing (a new locale) ask nothing again.
    let source_customer = Memo::new({
        let host = host.clone();
        move |_| {
            host.attribute("customer-id")
                .map(|id| id.trim().to_owned())
                .filter(|id| !id.is_empty() && id.len() <= 128 && !id.chars().any(char::is_control))
        }
    });
    let standing = LocalResource::new({
        let host = host.clone();
        move || {
            let (api, identity, source, host) =
                (api.get(), identity.get(), source.get(), host.clone());
            let customer_id = source.is_some().then(|| source_customer.get()).flatten();
            async move {
                match source {
                    None => load(api, identity, host).await,
                    Some(Ok(source)) => load_from_source(api, source, customer_id, host).await,
                    Some(Err(problem)) => {
                        host.console_error(&problem);
                        Ok(Standing::SourceGuest)
                    }
                }
            }
        }
    });

    // The last balance this page saw, shown (marked as not updated) when the API goes away.
    let last_member = RwSignal::new(None::<LoyaltyStatus>);
    let open = RwSignal::new(false);
    let pending = RwSignal::new(None::<String>);
    let coupon = RwSignal::new(None::<Coupon>);
    let notice = RwSignal::new(None::<String>);
    let trigger = NodeRef::<html::Button>::new();
    let heading = NodeRef::<html::H2>::new();

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

    let current_id = move || match (source.get(), identity.get()) {
        (Some(_), _) => source_customer.get(),
        (None, Ok(Identity::Customer { id, .. })) => Some(id),
        _ => None,
    };
    let shown = Memo::new(move |_| {
        let id = current_id();
        let last = last_member
            .get()
            .filter(|s| Some(&s.customer_id) == id.as_ref());
        match standing.get() {
            // A status of the previous shopper (attributes just changed) is never shown.
            Some(Ok(Standing::Member(status)))
                if source.get().is_some() || Some(&status.customer_id) == id.as_ref() =>
            {
                Shown::Member {
                    status,
                    stale: false,
                }
            }
            Some(Ok(Standing::Guest(program))) => Shown::Guest(program),
            Some(Ok(Standing::SourceGuest)) => Shown::SourceGuest,
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
    let life = Life::new();
    let ctl = BadgeCtl {
        host: StoredValue::new(host.clone()),
        life,
        texts,
        api,
        identity,
        standing,
        status,
        arrivals: RwSignal::new(BTreeMap::new()),
        coupon,
        from_source: Memo::new(move |_| source.get().is_some()),
    };
    // Codes still on their way, from this popover or from a page she left: ask until they come.
    Effect::new(move |_| {
        if let Some(s) = status.get() {
            s.coupons.iter().for_each(|c| ctl.follow(c));
        }
    });
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
    let close = move || open.set(false);
    let toggle = move |_| {
        if open.get_untracked() {
            close();
        } else {
            notice.set(None);
            open.set(true);
            // The heading exists once the popover rendered, on the next frame.
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

    let redeem = move |reward: Reward| {
        // One redemption at a time: a double click must not pay twice.
        if pending.get_untracked().is_some() {
            return;
        }
        let from_source = source.get_untracked().and_then(Result::ok);
        let customer = match &from_source {
            Some(_) => status
                .get_untracked()
                .map(|s| (s.customer_id, String::new())),
            None => ctl.customer(),
        };
        let Some((id, signature)) = customer else {
            return;
        };
        pending.set(Some(reward.id.clone()));
        notice.set(None);
        coupon.set(None);
        let key = new_idempotency_key();
        let api = api.get_untracked();
        life.spawn(async move {
            let result = match from_source {
                Some(source) => redeem_at_source(&api, &source, &reward, &id, &key).await,
                None => redeem_at_lojal(&api, &reward, &id, &signature, &key).await,
            };
            pending.set(None);
            match result {
                Ok((new_coupon, new_status)) => {
                    match new_status {
                        // The answer carries the balance after paying: no second request.
                        Some(s) => standing.set(Some(Ok(Standing::Member(s)))),
                        None => standing.refetch(),
                    }
                    if new_coupon.status == "active" {
                        ctl.announce(
                            &new_coupon.reward_id,
                            &new_coupon.code,
                            &new_coupon.expires_at,
                        );
                    } else {
                        ctl.follow(&new_coupon);
                    }
                    coupon.set(Some(new_coupon));
                }
                Err(e) => {
                    ctl.host().console_error(&e.to_string());
                    let m = texts.get_untracked();
                    let m = m.strings();
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
    };

    let member_view = move || {
        let points = move || {
            status.get().map(|s| {
                texts
                    .get()
                    .count(&texts.get().strings().points, s.points, &[])
            })
        };
        let tier = move || status.get().map(|s| s.tier.name);
        let percent = move || status.get().map_or(0, |s| s.progress().percent());
        let next = move || {
            let (s, t) = (status.get()?, texts.get());
            let p = s.progress();
            Some(match &s.next_tier {
                Some(next) if !p.at_top => t.count(
                    &t.strings().points_to_next_tier,
                    p.points_to_next,
                    &[("tier", &next.name)],
                ),
                _ => t.strings().top_tier.clone(),
            })
        };
        let progress_text = move || {
            if stale() {
                texts.get().strings().stale_balance.clone()
            } else {
                next().unwrap_or_default()
            }
        };
        // Starts with the visible text, in its order (WCAG 2.5.3 Label in Name: a voice-control
        // user says what she sees), then says what the button opens.
        let label = move || {
            let t = texts.get();
            fill(
                &t.strings().badge_label,
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
        let m = t.strings();
        let text = if program.signup_bonus > 0 {
            t.count(&m.guest_cta, program.signup_bonus, &[])
        } else {
            m.guest_cta_no_bonus.clone()
        };
        let href = signup_override.get().or(program.signup_url);
        view! {
            <invite::Invited host=ctl.host() texts api signup_text=text signup_href=href />
        }
        .into_any()
    };
    let source_guest_view = move || {
        // Without the programme's own link there is nothing to offer: the box stays empty.
        match signup_override.get() {
            Some(href) => signup_cta(
                &host,
                texts.get().strings().guest_cta_no_bonus.clone(),
                Some(href),
            ),
            None => view! { <div class="unavailable"></div> }.into_any(),
        }
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
                    &t.strings().no_rewards_yet,
                    r.cost - s.points,
                    &[("reward", &r.name)],
                )
            });
            return view! { <p class="hint">{hint}</p> }.into_any();
        }
        view! {
            <ul class="rewards">
                {redeemable
                    .into_iter()
                    .map(|reward| {
                        let cost = t.count(&t.strings().reward_cost, reward.cost, &[]);
                        let id = reward.id.clone();
                        let busy = move || pending.get().as_deref() == Some(id.as_str());
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
                                        if busy() { m.strings().redeeming.clone() } else { m.strings().redeem.clone() }
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
    // A badge over the shop's own JSON redeems only where the mapping says it may.
    let can_redeem = move || match source.get() {
        Some(Ok(source)) => source.mapping.redeem.is_some(),
        _ => true,
    };

    let kind = Memo::new(move |_| match shown.get() {
        Shown::Loading => 0,
        Shown::Member { .. } => 1,
        Shown::Guest(_) => 2,
        Shown::Unavailable => 3,
        Shown::SourceGuest => 4,
    });

    view! {
        <div
            class="badge"
            part="badge"
            lang=move || texts.get().locale()
            on:keydown=on_keydown
            on:focusout=on_focusout
        >
            {move || match kind.get() {
                1 => member_view().into_any(),
                2 => match shown.get() {
                    Shown::Guest(program) => guest_view(program),
                    _ => ().into_any(),
                },
                4 => source_guest_view(),
                0 => view! {
                    <div class="skeleton" part="skeleton">
                        <span class="line"></span>
                        <span class="line short"></span>
                        <span class="sr-only" role="status">{move || texts.get().strings().loading.clone()}</span>
                    </div>
                }
                .into_any(),
                _ => view! { <div class="unavailable"></div> }.into_any(),
            }}
            <Show when=move || open.get() && status.get().is_some()>
                <div class="popover" part="popover" id="rewards" role="dialog" aria-labelledby="rewards-title">
                    <div class="popover-head">
                        <h2 id="rewards-title" tabindex="-1" node_ref=heading>
                            {move || texts.get().strings().loyalty.panel_title.clone()}
                        </h2>
                        <button
                            class="close"
                            type="button"
                            aria-label=move || texts.get().strings().close.clone()
                            on:click=move |_| {
                                close();
                                focus_trigger();
                            }
                        >
                            "×"
                        </button>
                    </div>
                    {move || panels::standing(ctl)}
                    <div role="status" aria-live="polite">{move || panels::just_redeemed(ctl)}</div>
                    <Show when=can_redeem>
                        <h3 class="section-title">{move || texts.get().strings().rewards_title.clone()}</h3>
                        {rewards_view}
                    </Show>
                    <p class="notice" role="alert">{move || notice.get()}</p>
                    {panels::coupons(ctl)}
                    {panels::ways_to_earn(ctl)}
                    {panels::birthday(ctl)}
                    {panels::referral(ctl)}
                    {panels::activity(ctl)}
                </div>
            </Show>
        </div>
    }
}

/// The keys and focus rules of a popover this badge opens: Escape closes it and gives the focus
/// back to `trigger`; focus that leaves the badge for the page closes it, as the page's links
/// and buttons would otherwise be focused under it, unseen.
fn popover_keys(
    open: RwSignal<bool>,
    trigger: NodeRef<html::Button>,
) -> (
    impl Fn(ev::KeyboardEvent) + Clone + 'static + use<>,
    impl Fn(ev::FocusEvent) + Clone + 'static + use<>,
) {
    let on_keydown = move |ev: ev::KeyboardEvent| {
        if ev.key() == "Escape" && open.get_untracked() {
            ev.stop_propagation();
            open.set(false);
            if let Some(button) = trigger.get_untracked() {
                let _ = button.focus();
            }
        }
    };
    let on_focusout = move |ev: ev::FocusEvent| {
        // No related target: focus left the window (another tab, the address bar), not the badge.
        let Some(to) = ev.related_target() else {
            return;
        };
        // The listener sits on the element that holds both the trigger and the popover, inside
        // the shadow root, where `related_target` is not retargeted.
        let holder = ev
            .current_target()
            .and_then(|t| t.dyn_into::<web_sys::Node>().ok());
        let inside = to
            .dyn_into::<web_sys::Node>()
            .is_ok_and(|node| holder.is_some_and(|h| h.contains(Some(&node))));
        if open.get_untracked() && !inside {
            open.set(false);
        }
    };
    (on_keydown, on_focusout)
}

/// The sign-up offer: a link to the shop's sign-up page when there is a safe one. Its click
/// dispatches `lojal:signup-click` first, cancelable, so an app's router can take it over.
fn signup_cta(host: &Host, text: String, href: Option<String>) -> AnyView {
    match href.and_then(|u| safe_link(&u).map(str::to_owned)) {
        Some(href) => {
            let click = {
                let (host, url) = (host.clone(), href.clone());
                move |ev: ev::MouseEvent| {
                    let detail = js_object(&[("url", url.as_str().into())]);
                    host.emit_before_navigation("signup-click", &detail, &ev);
                }
            };
            view! {
                <a class="cta" part="cta" href=href on:click=click>
                    <span class="gift" aria-hidden="true">"★"</span>
                    <span>{text}</span>
                </a>
            }
            .into_any()
        }
        None => view! {
            <p class="cta" part="cta">
                <span class="gift" aria-hidden="true">"★"</span>
                <span>{text}</span>
            </p>
        }
        .into_any(),
    }
}

/// Redeems at the reference API: the coupon, and the status after paying for it.
async fn redeem_at_lojal(
    api: &ApiClient,
    reward: &Reward,
    id: &str,
    signature: &str,
    key: &str,
) -> Result<(Coupon, Option<LoyaltyStatus>), ApiError> {
    let body = serde_json::to_string(&RedeemRequest {
        reward_id: reward.id.clone(),
    })
    .unwrap_or_default();
    let path = format!("/loyalty/{}/redeem", path_segment(id));
    let answer = api
        .post(
            &path,
            &[(SIGNATURE_HEADER, signature)],
            body,
            Some(key),
            |answer| RedeemResponse::from_json_for(answer, id),
        )
        .await?;
    Ok((answer.coupon, Some(answer.status)))
}

/// Redeems at the shop's own endpoint that the mapping names; its answer carries the code, and
/// the balance is read again after.
async fn redeem_at_source(
    api: &ApiClient,
    source: &Source,
    reward: &Reward,
    id: &str,
    key: &str,
) -> Result<(Coupon, Option<LoyaltyStatus>), ApiError> {
    let Some(redeem) = &source.mapping.redeem else {
        return Err(ApiError::Body {
            endpoint: "redeem".into(),
            problem: "the source mapping has no redeem endpoint".into(),
        });
    };
    let body = serde_json::json!({ "reward_id": reward.id, "customer_id": id }).to_string();
    let (code, expires_at) = api
        .post(&redeem.path, &[], body, Some(key), |answer| {
            source.mapping.read_coupon(answer)
        })
        .await?;
    Ok((
        Coupon {
            code,
            reward_id: reward.id.clone(),
            reward_name: reward.name.clone(),
            expires_at: expires_at.unwrap_or_default(),
            status: "active".into(),
            ticket: None,
        },
        None,
    ))
}
