//! The badge popover's panels: points on their way and expiring, the coupon just redeemed and
//! her other codes, how to earn points, her birthday, her referral link and her activity. Each
//! renders the typed status; a panel the programme does not offer is left out.

use super::{BadgeCtl, CouponShown, Standing};
use crate::core::i18n::{BadgeStrings, fill};
use crate::core::loyalty::{
    Activity, Coupon, LoyaltyStatus, Offer, WayToEarn, is_day_of_year, points_per_hundred,
};
use crate::core::url::{path_segment, safe_link, with_param};
use crate::core::wire::SIGNATURE_HEADER;
use crate::widgets::coupon::CodeRow;
use crate::widgets::host::js_object;
use crate::widgets::intl::Texts;
use leptos::prelude::*;
use wasm_bindgen::JsCast;

/// What a referred friend gets, in words: `gratis frakt`, `50 kr i rabatt`, `10 % rabatt`.
pub(super) fn offer_text(t: &Texts<BadgeStrings>, offer: &Offer, currency: &str) -> String {
    let l = &t.strings().loyalty;
    match (offer.kind.as_str(), offer.amount) {
        ("fixed_amount", Some(amount)) => fill(
            &l.offer_fixed,
            &[("amount", &t.money_minor(amount, currency))],
        ),
        ("percentage", Some(percent)) => fill(
            &l.offer_percentage,
            &[("percent", &t.percent(percent as f64 / 100.0))],
        ),
        _ => l.offer_free_shipping.clone(),
    }
}

/// "+130 poeng på vei · kan brukes fra …" and "1 250 poeng utløper …".
pub(super) fn standing(ctl: BadgeCtl) -> Option<AnyView> {
    let s = ctl.status.get()?;
    let t = ctl.texts.get();
    let l = &t.strings().loyalty;
    let pending = (s.pending_points > 0).then(|| {
        let mut text = t.count(&l.pending, s.pending_points, &[]);
        if let Some(date) = s.pending_until.as_deref().and_then(|d| t.date(d)) {
            text.push_str(" · ");
            text.push_str(&fill(&l.pending_until, &[("date", &date)]));
        }
        view! { <p class="pending" part="pending">{text}</p> }
    });
    let expiring = s.expiring.as_ref().and_then(|e| {
        let date = t.date(&e.at)?;
        let text = t.count(&l.expiring, e.points, &[("date", &date)]);
        Some(view! { <p class="expiring" part="expiring">{text}</p> })
    });
    Some(view! { {pending} {expiring} }.into_any())
}

/// A coupon as its code with a copy button, or where it stands on its way from the shop.
fn coupon_card(ctl: BadgeCtl, coupon: &Coupon, part: &'static str) -> AnyView {
    let t = ctl.texts.get();
    let m = t.strings();
    let l = &m.loyalty;
    let reward = [("reward", coupon.reward_name.as_str())];
    match ctl.shown_coupon(coupon) {
        CouponShown::Code(code) => {
            let title = fill(&m.coupon_title, &reward);
            let expires = t
                .date(&coupon.expires_at)
                .map(|d| fill(&m.expires, &[("date", &d)]));
            view! {
                <div class="coupon" part=part>
                    <p class="coupon-title">{title}</p>
                    <CodeRow code texts=ctl.texts />
                    <p class="expires">{expires}</p>
                </div>
            }
            .into_any()
        }
        waiting => {
            let (text, failed) = match waiting {
                CouponShown::Failed => (&l.coupon_failed, true),
                CouponShown::Later => (&l.coupon_pending_later, false),
                _ => (&l.coupon_pending, false),
            };
            view! {
                <div class="coupon waiting" class:failed=failed part=part>
                    <p class="coupon-title">{fill(text, &reward)}</p>
                </div>
            }
            .into_any()
        }
    }
}

/// The coupon just redeemed in this popover.
pub(super) fn just_redeemed(ctl: BadgeCtl) -> Option<AnyView> {
    let coupon = ctl.coupon.get()?;
    Some(coupon_card(ctl, &coupon, "coupon"))
}

/// Whether two listings are the same coupon (a pending one has no code yet, only a ticket).
fn same_coupon(a: &Coupon, b: &Coupon) -> bool {
    match (&a.ticket, &b.ticket) {
        (Some(x), Some(y)) => x == y,
        _ => !a.code.is_empty() && a.code == b.code,
    }
}

/// Her other codes that have not expired, so one she left the page without is still here.
pub(super) fn coupons(ctl: BadgeCtl) -> impl IntoView {
    let others = move || {
        let just = ctl.coupon.get();
        ctl.status
            .get()
            .map(|s| s.coupons)
            .unwrap_or_default()
            .into_iter()
            .filter(|c| c.status != "failed")
            .filter(|c| !just.as_ref().is_some_and(|j| same_coupon(j, c)))
            .collect::<Vec<_>>()
    };
    view! {
        <Show when=move || !others().is_empty()>
            <details class="section" part="coupons">
                <summary>
                    {move || ctl.texts.get().strings().loyalty.coupons_title.clone()}
                    " (" {move || others().len()} ")"
                </summary>
                <div class="codes">
                    {move || {
                        others()
                            .iter()
                            .map(|c| coupon_card(ctl, c, "coupon"))
                            .collect_view()
                    }}
                </div>
            </details>
        </Show>
    }
}

/// One way to earn, in words; `None` for a kind this badge cannot describe.
fn way_text(t: &Texts<BadgeStrings>, way: &WayToEarn, currency: Option<&str>) -> Option<String> {
    let l = &t.strings().loyalty;
    let points = way.points.unwrap_or(0);
    Some(match way.kind.as_str() {
        "purchase" => {
            let currency = currency?;
            let per_hundred = points_per_hundred(way.points_per_unit?);
            t.count(
                &l.earn_purchase,
                per_hundred,
                &[("amount", &t.money(100.0, currency))],
            )
        }
        "signup" => t.count(&l.earn_signup, points, &[]),
        "birthday" => t.count(&l.earn_birthday, points, &[]),
        "review" => t.count(&l.earn_review, points, &[]),
        "referral" => match (way.min_order, currency) {
            (Some(min @ 1..), Some(currency)) => t.count(
                &l.earn_referral,
                points,
                &[("amount", &t.money_minor(min, currency))],
            ),
            _ => t.count(&l.earn_referral_any, points, &[]),
        },
        _ => return None,
    })
}

/// "Slik tjener du poeng": the programme's ways to earn, with their numbers.
pub(super) fn ways_to_earn(ctl: BadgeCtl) -> impl IntoView {
    let lines = move || {
        let (Some(s), t) = (ctl.status.get(), ctl.texts.get()) else {
            return Vec::new();
        };
        WayToEarn::known(&s.ways_to_earn)
            .into_iter()
            .filter_map(|w| way_text(&t, w, s.currency.as_deref()))
            .collect::<Vec<_>>()
    };
    view! {
        <Show when=move || !lines().is_empty()>
            <details class="section" part="earn">
                <summary>{move || ctl.texts.get().strings().loyalty.earn_title.clone()}</summary>
                <ul class="earn">
                    {move || lines().into_iter().map(|line| view! { <li>{line}</li> }).collect_view()}
                </ul>
            </details>
        </Show>
    }
}

/// Her birthday: asked for once, shown once set, changeable again a year later.
pub(super) fn birthday(ctl: BadgeCtl) -> impl IntoView {
    let offered = move || ctl.status.get().is_some_and(|s| s.birthday_points > 0);
    let editing = RwSignal::new(false);
    let month = RwSignal::new(0u8);
    let day = RwSignal::new(0u8);
    let saving = RwSignal::new(false);
    let problem = RwSignal::new(None::<String>);

    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if saving.get_untracked() {
            return;
        }
        let (m, d) = (month.get_untracked(), day.get_untracked());
        let texts = ctl.texts.get_untracked();
        let l = &texts.strings().loyalty;
        if !is_day_of_year(m, d) {
            problem.set(Some(l.birthday_failed.clone()));
            return;
        }
        let Some((id, signature)) = ctl.customer() else {
            return;
        };
        saving.set(true);
        problem.set(None);
        let failed = l.birthday_failed.clone();
        ctl.life.spawn(async move {
            let body = serde_json::json!({ "month": m, "day": d }).to_string();
            let path = format!("/loyalty/{}/birthday", path_segment(&id));
            let answer = ctl
                .api
                .get_untracked()
                .put(&path, &[(SIGNATURE_HEADER, &signature)], body, |b| {
                    LoyaltyStatus::from_json_for(b, &id)
                })
                .await;
            saving.set(false);
            match answer {
                Ok(status) => {
                    editing.set(false);
                    ctl.standing.set(Some(Ok(Standing::Member(status))));
                }
                // Set in another tab meanwhile: the status says since when, and until when.
                Err(e) if e.code() == Some("birthday_locked") => {
                    ctl.host().console_warn(&e.to_string());
                    editing.set(false);
                    ctl.standing.refetch();
                }
                Err(e) => {
                    ctl.host().console_error(&e.to_string());
                    problem.set(Some(failed));
                }
            }
        });
    };

    let form = move || {
        let t = ctl.texts.get();
        let l = t.strings().loyalty.clone();
        let ask = t.count(
            &l.birthday_ask,
            ctl.status.get().map_or(0, |s| s.birthday_points),
            &[],
        );
        let months = (1..=12u8)
            .map(|m| view! { <option value=m.to_string() selected=move || month.get() == m>{t.day_of_year(m, 0)}</option> })
            .collect_view();
        let days = (1..=31u8)
            .map(|d| view! { <option value=d.to_string() selected=move || day.get() == d>{d.to_string()}</option> })
            .collect_view();
        let pick = |signal: RwSignal<u8>| {
            move |ev: leptos::ev::Event| signal.set(event_target_value(&ev).parse().unwrap_or(0))
        };
        view! {
            <form class="birthday-form" on:submit=save>
                <p>{ask}</p>
                <div class="fields">
                    <label>
                        <span>{l.birthday_month.clone()}</span>
                        <select name="month" required on:change=pick(month)>
                            <option value="" selected=move || month.get() == 0></option>
                            {months}
                        </select>
                    </label>
                    <label>
                        <span>{l.birthday_day.clone()}</span>
                        <select name="day" required on:change=pick(day)>
                            <option value="" selected=move || day.get() == 0></option>
                            {days}
                        </select>
                    </label>
                    <button class="save" type="submit" aria-disabled=move || saving.get().to_string()>
                        {move || if saving.get() { l.birthday_saving.clone() } else { l.birthday_save.clone() }}
                    </button>
                </div>
            </form>
        }
    };

    let set = move || {
        let s = ctl.status.get()?;
        let b = s.birthday?;
        let t = ctl.texts.get();
        let l = t.strings().loyalty.clone();
        let date = t.day_of_year(b.month, b.day);
        let after = match b.changeable_from.as_deref().and_then(|d| t.date(d)) {
            Some(from) => {
                view! { <p class="hint">{fill(&l.birthday_locked, &[("date", &from)])}</p> }
                    .into_any()
            }
            None => view! {
                <button
                    class="link"
                    type="button"
                    on:click=move |_| {
                        month.set(b.month);
                        day.set(b.day);
                        editing.set(true);
                    }
                >
                    {l.birthday_change.clone()}
                </button>
            }
            .into_any(),
        };
        Some(view! {
            <p class="birthday-set">{fill(&l.birthday_set, &[("date", &date)])}</p>
            {after}
        })
    };
    let is_set = move || ctl.status.get().is_some_and(|s| s.birthday.is_some());

    view! {
        <Show when=offered>
            <details class="section" part="birthday">
                <summary>{move || ctl.texts.get().strings().loyalty.birthday_title.clone()}</summary>
                {move || if is_set() && !editing.get() { set().into_any() } else { form().into_any() }}
                <p class="notice" role="alert">{move || problem.get()}</p>
            </details>
        </Show>
    }
}

/// Where a member's share link leads: the element's `referral-url`, else the shop's front page.
fn share_base(ctl: BadgeCtl) -> String {
    let configured = ctl
        .host()
        .attribute("referral-url")
        .and_then(|u| safe_link(&u).map(str::to_owned));
    let origin = || {
        web_sys::window()
            .and_then(|w| w.location().origin().ok())
            .map(|o| format!("{o}/"))
            .unwrap_or_else(|| "/".into())
    };
    match configured {
        Some(url) if url.starts_with('/') => format!("{}{}", origin().trim_end_matches('/'), url),
        Some(url) => url,
        None => origin(),
    }
}

/// The Web Share API, where the browser has it (phones, mostly).
fn web_share() -> Option<js_sys::Function> {
    let navigator = web_sys::window()?.navigator();
    js_sys::Reflect::get(&navigator, &"share".into())
        .ok()?
        .dyn_into::<js_sys::Function>()
        .ok()
}

/// Her referral link, what friends get and what she gets, with share and copy.
pub(super) fn referral(ctl: BadgeCtl) -> impl IntoView {
    let referral = move || {
        let s = ctl.status.get()?;
        Some((s.referral?, s.currency.unwrap_or_default()))
    };
    let link = move || referral().map(|(r, _)| with_param(&share_base(ctl), "lojal_ref", &r.code));
    let copied = RwSignal::new(false);
    let copy = move |_| {
        let (Some(window), Some(url)) = (web_sys::window(), untrack(link)) else {
            return;
        };
        let promise = window.navigator().clipboard().write_text(&url);
        ctl.life.spawn(async move {
            copied.set(wasm_bindgen_futures::JsFuture::from(promise).await.is_ok());
        });
    };
    let share = move |_| {
        let (Some(share), Some(url), Some((r, currency))) =
            (web_share(), untrack(link), untrack(referral))
        else {
            return;
        };
        let t = ctl.texts.get_untracked();
        let text = fill(
            &t.strings().loyalty.referral_share_text,
            &[("offer", &offer_text(&t, &r.friend_reward, &currency))],
        );
        let data = js_object(&[("url", url.into()), ("text", text.into())]);
        let navigator = web_sys::window().map(|w| w.navigator());
        if let Ok(promise) = share.call1(&navigator.into(), &data) {
            // She may cancel the share sheet; nothing to say about that.
            ctl.life.spawn(async move {
                let _ = wasm_bindgen_futures::JsFuture::from(js_sys::Promise::from(promise)).await;
            });
        }
    };
    let terms = move || {
        let (r, currency) = referral()?;
        let t = ctl.texts.get();
        let l = &t.strings().loyalty;
        let offer = offer_text(&t, &r.friend_reward, &currency);
        let terms = if r.min_order > 0 && !currency.is_empty() {
            t.count(
                &l.referral_terms,
                r.points,
                &[
                    ("offer", &offer),
                    ("amount", &t.money_minor(r.min_order, &currency)),
                ],
            )
        } else {
            t.count(&l.referral_terms_any, r.points, &[("offer", &offer)])
        };
        let converted = (r.converted > 0).then(
            || view! { <p class="hint">{t.count(&l.referral_converted, r.converted, &[])}</p> },
        );
        Some(view! { <p>{terms}</p> {converted} })
    };
    let l = move || ctl.texts.get().strings().loyalty.clone();
    view! {
        <Show when=move || referral().is_some()>
            <details class="section" part="referral">
                <summary>{move || l().referral_title}</summary>
                {terms}
                <label class="link-field">
                    <span>{move || l().referral_link}</span>
                    <input type="url" readonly prop:value=move || link().unwrap_or_default() on:focus=|ev| {
                        if let Some(input) = ev.target().and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok()) {
                            input.select();
                        }
                    } />
                </label>
                <div class="actions">
                    <Show when=|| web_share().is_some()>
                        <button class="copy" part="share" type="button" on:click=share>{move || l().referral_share}</button>
                    </Show>
                    <button class="copy" part="copy-link" type="button" on:click=copy>
                        {move || if copied.get() { l().referral_copied } else { l().referral_copy }}
                    </button>
                </div>
            </details>
        </Show>
    }
}

/// One ledger row in words: what it was for.
fn activity_label(t: &Texts<BadgeStrings>, row: &Activity) -> String {
    let l = &t.strings().loyalty;
    let kind = match row.kind.as_str() {
        "purchase" => &l.kind_purchase,
        "signup" => &l.kind_signup,
        "birthday" => &l.kind_birthday,
        "review" => &l.kind_review,
        "referral" => &l.kind_referral,
        "redeem" => &l.kind_redeem,
        "refund" => &l.kind_refund,
        "cancel" => &l.kind_cancel,
        "expire" => &l.kind_expire,
        "adjust" => &l.kind_adjust,
        "opening" => &l.kind_opening,
        "returned" => &l.kind_returned,
        _ => &l.kind_other,
    };
    match &row.detail {
        Some(detail) => format!("{kind}: {detail}"),
        None => kind.clone(),
    }
}

/// Her newest changes of points, dated, pending ones marked.
pub(super) fn activity(ctl: BadgeCtl) -> impl IntoView {
    let rows = move || ctl.status.get().map(|s| s.activity).unwrap_or_default();
    let shown = move || !ctl.from_source.get() || !rows().is_empty();
    view! {
        <Show when=shown>
            <details class="section" part="activity">
                <summary>{move || ctl.texts.get().strings().loyalty.activity_title.clone()}</summary>
                {move || {
                    let t = ctl.texts.get();
                    let rows = rows();
                    if rows.is_empty() {
                        return view! { <p class="hint">{t.strings().loyalty.activity_none.clone()}</p> }.into_any();
                    }
                    view! {
                        <ol class="activity">
                            {rows
                                .iter()
                                .map(|row| {
                                    let sign = if row.points < 0 { "−" } else { "+" };
                                    let points = format!("{sign}{}", t.number(row.points.unsigned_abs()));
                                    let date = t.date(&row.at).unwrap_or_default();
                                    let pending = row.pending.then(|| {
                                        view! { <span class="tag">{t.strings().loyalty.activity_pending.clone()}</span> }
                                    });
                                    view! {
                                        <li class:spent=row.points < 0>
                                            <span class="what">{activity_label(&t, row)}</span>
                                            <span class="amount">{points} " " {pending}</span>
                                            <time class="when" datetime=row.at.clone()>{date}</time>
                                        </li>
                                    }
                                })
                                .collect_view()}
                        </ol>
                    }
                    .into_any()
                }}
            </details>
        </Show>
    }
}
