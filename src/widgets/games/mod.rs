//! What `<lojal-wheel>` and `<lojal-scratch>` share: loading the campaign, knowing who plays
//! (a signed customer, or a guest with an email), asking the server to play, the states
//! (not eligible, campaign over, error), the result card with its coupon, the email form with
//! its optional consent, the rules, and the `lojal:play` / `lojal:prize` events.
//!
//! The widgets decide nothing: the server draws the segment and issues the coupon, and the
//! widget shows exactly what it answered. Segments come from the API only, never from
//! attributes or the DOM, so editing the page changes nothing but the picture.

pub mod scratch;
pub mod wheel;

/// The games' shared sheet, adopted before the wheel's or the scratch card's own.
pub const CSS: &str = include_str!(concat!(env!("OUT_DIR"), "/games.css"));

use crate::api::{ApiClient, ApiError};
use crate::core::config::{Identity, InvalidIdentity};
use crate::core::games::{
    Campaign, CampaignState, ComeBack, PlayRequest, PlayResult, come_back, normalize_email,
};
use crate::core::i18n::{GameStrings, fill};
use crate::core::url::path_segment;
use crate::core::wire::SIGNATURE_HEADER;
use crate::life::Life;
use crate::widgets::coupon::{Arrival, CodeRow, arrival};
use crate::widgets::host::{Basics, Host, js_object};
use crate::widgets::intl::Texts;
use leptos::html;
use leptos::prelude::*;
use wasm_bindgen::JsValue;

/// Where a game stands, apart from its own animation.
#[derive(Clone, Debug, PartialEq)]
pub enum Phase {
    Loading,
    /// The shopper may play.
    Ready,
    /// The play request is on its way, or the result is being revealed.
    Playing,
    /// The result is shown.
    Done(PlayResult),
    /// Already played; the next play is allowed at this instant (RFC 3339).
    NotEligible(String),
    Over,
    Upcoming(String),
    /// A guest, and the campaign is for signed-in customers.
    LoginRequired,
    /// The campaign could not be loaded: the widget says so calmly and keeps its box.
    Unavailable,
}

/// The loaded campaign and whether the shopper plays as the signed customer.
#[derive(Clone, Debug, PartialEq)]
struct Loaded {
    campaign: Campaign,
    signed: bool,
}

/// The state and actions one game widget shares with the other. `Copy`: every closure gets one.
#[derive(Clone, Copy)]
pub struct GameCtl {
    host: StoredValue<Host>,
    /// Plays, timers and prize follow-ups end with the element.
    pub life: Life,
    pub texts: Memo<Texts<GameStrings>>,
    pub campaign: Memo<Option<Campaign>>,
    signed: Memo<bool>,
    identity: Memo<Result<Identity, InvalidIdentity>>,
    api: Memo<ApiClient>,
    pub phase: RwSignal<Phase>,
    /// A transient message under the game (a failed request, a polite refusal).
    pub notice: RwSignal<Option<String>>,
    pub email: RwSignal<String>,
    pub email_invalid: RwSignal<bool>,
    pub consent: RwSignal<bool>,
    pub email_input: NodeRef<html::Input>,
    /// Counts campaign loads (a new campaign, shopper or language): a game resets its picture.
    pub generation: RwSignal<u64>,
    /// Kept until the server gives a definite answer, so a retry after a lost answer gets the
    /// same play instead of a refusal.
    key: StoredValue<Option<String>>,
    loaded: LocalResource<Result<Loaded, String>>,
    /// A won prize's code still on its way from the shop platform: `Some(None)` while this page
    /// asks about it, then how it ended.
    prize_arrival: RwSignal<Option<Option<Arrival>>>,
    /// The notice to show once the campaign has loaded again.
    notice_after_load: StoredValue<Option<String>>,
}

fn new_idempotency_key() -> String {
    web_sys::window()
        .and_then(|w| w.crypto().ok())
        .map(|c| c.random_uuid())
        .unwrap_or_else(|| format!("k{}", (js_sys::Math::random() * 1e16) as u64))
}

async fn load(
    api: ApiClient,
    campaign_id: Option<String>,
    identity: Result<Identity, InvalidIdentity>,
    host: Host,
) -> Result<Loaded, String> {
    let Some(id) = campaign_id.filter(|id| !id.trim().is_empty()) else {
        return Err("the `campaign` attribute is missing".into());
    };
    let path = format!("/campaigns/{}", path_segment(id.trim()));
    match identity {
        Ok(Identity::Customer {
            id: customer,
            signature,
        }) => {
            let asked = format!("{path}?customer_id={}", path_segment(&customer));
            match api
                .get(
                    &asked,
                    &[(SIGNATURE_HEADER, &signature)],
                    Campaign::from_json,
                )
                .await
            {
                Ok(campaign) => {
                    return Ok(Loaded {
                        campaign,
                        signed: true,
                    });
                }
                // A forged or outdated signature: the shopper plays as a guest, if at all.
                Err(e) if e.status() == Some(401) => {
                    host.console_error(&format!("{e}; playing as a guest"));
                }
                Err(e) => return Err(e.to_string()),
            }
        }
        Ok(Identity::Guest) => {}
        Err(invalid) => host.console_error(&format!("{invalid}; playing as a guest")),
    }
    api.get(&path, &[], Campaign::from_json)
        .await
        .map(|campaign| Loaded {
            campaign,
            signed: false,
        })
        .map_err(|e| e.to_string())
}

/// The user asked the system for less motion.
pub fn reduced_motion() -> bool {
    web_sys::window()
        .and_then(|w| {
            w.match_media("(prefers-reduced-motion: reduce)")
                .ok()
                .flatten()
        })
        .is_some_and(|m| m.matches())
}

impl GameCtl {
    pub fn new(host: Host) -> Self {
        let Basics {
            texts,
            api,
            identity,
        } = host.basics::<GameStrings>();
        let campaign_id = Memo::new({
            let host = host.clone();
            move |_| host.attribute("campaign")
        });
        let loaded = LocalResource::new({
            let host = host.clone();
            move || load(api.get(), campaign_id.get(), identity.get(), host.clone())
        });
        let life = Life::new();
        let phase = RwSignal::new(Phase::Loading);
        let notice = RwSignal::new(None::<String>);
        let key = StoredValue::new(None::<String>);
        let notice_after_load = StoredValue::new(None::<String>);
        let host_value = StoredValue::new(host);
        let generation = RwSignal::new(0_u64);
        // A new campaign or shopper starts over, whatever the last one did.
        Effect::new(move |_| {
            let Some(loaded) = loaded.get() else {
                phase.set(Phase::Loading);
                return;
            };
            // Taken by whichever load comes next, so a reload that fails leaves none for later.
            let pending_notice = notice_after_load.try_update_value(Option::take).flatten();
            match loaded {
                Ok(Loaded { campaign, signed }) => {
                    generation.update(|g| *g += 1);
                    key.set_value(None);
                    notice.set(pending_notice);
                    phase.set(match campaign.state {
                        CampaignState::Over => Phase::Over,
                        CampaignState::Upcoming => Phase::Upcoming(campaign.starts_at.clone()),
                        CampaignState::Active => match campaign.next_play_at.clone() {
                            Some(next) => Phase::NotEligible(next),
                            None if !signed && !campaign.guest_email => Phase::LoginRequired,
                            None => Phase::Ready,
                        },
                    });
                }
                Err(problem) => {
                    host_value.with_value(|h| h.console_error(&problem));
                    phase.set(Phase::Unavailable);
                }
            }
            // `lojal:wheel:ready` / `lojal:scratch:ready`, once the DOM updates this phase
            // causes have run (render effects are microtasks; a timeout comes after them all).
            life.after(std::time::Duration::ZERO, move || {
                host_value.with_value(Host::mark_ready)
            });
        });
        let campaign = Memo::new(move |_| match loaded.get() {
            Some(Ok(Loaded { campaign, .. })) => Some(campaign),
            _ => None,
        });
        let signed =
            Memo::new(move |_| matches!(loaded.get(), Some(Ok(Loaded { signed: true, .. }))));
        Self {
            host: host_value,
            life,
            texts,
            campaign,
            signed,
            identity,
            api,
            phase,
            notice,
            email: RwSignal::new(String::new()),
            email_invalid: RwSignal::new(false),
            consent: RwSignal::new(false),
            email_input: NodeRef::new(),
            generation,
            key,
            loaded,
            notice_after_load,
            prize_arrival: RwSignal::new(None),
        }
    }

    pub fn segment_count(&self) -> usize {
        self.campaign
            .with_untracked(|c| c.as_ref().map_or(0, |c| c.segments.len()))
    }

    /// A guest on a campaign that captures emails sees the email form.
    pub fn asks_email(&self) -> bool {
        !self.signed.get()
            && self
                .campaign
                .with(|c| c.as_ref().is_some_and(|c| c.guest_email))
            && matches!(self.phase.get(), Phase::Ready | Phase::Playing)
    }

    pub fn console_error(&self, message: &str) {
        self.host.with_value(|h| h.console_error(message));
    }

    /// "Come back in 3 hours, at 14:05" or "tomorrow at 14:05", on the shopper's own calendar
    /// and clock; the relative time is the browser's `Intl.RelativeTimeFormat`.
    pub fn come_back_text(&self, next_play_at: &str) -> String {
        let texts = self.texts.get();
        let m = texts.strings();
        let next = js_sys::Date::new(&JsValue::from_str(next_play_at));
        let now = js_sys::Date::new_0();
        let day = |d: &js_sys::Date| (d.get_full_year() as i32, d.get_month() + 1, d.get_date());
        let time = texts.time(next_play_at).unwrap_or_default();
        let date = texts.date(next_play_at).unwrap_or_default();
        let seconds = (next.get_time() - now.get_time()) / 1000.0;
        let relative = texts.relative(seconds as i64);
        let template = match come_back(day(&now), day(&next)) {
            ComeBack::Today => &m.game_again_today,
            ComeBack::Tomorrow => &m.game_again_tomorrow,
            ComeBack::Later => &m.game_again_later,
        };
        fill(
            template,
            &[("time", &time), ("date", &date), ("in", &relative)],
        )
    }

    /// Asks the server to play. `on_result` gets the answer and shows it (the wheel turns, the
    /// card uncovers), then calls [`GameCtl::finish`]. Any other phase than `Ready` is refused
    /// here, politely, without a request.
    pub fn play(self, on_result: impl FnOnce(PlayResult) + 'static) {
        match self.phase.get_untracked() {
            Phase::Ready => {}
            Phase::NotEligible(next) => {
                self.notice.set(Some(self.come_back_text(&next)));
                return;
            }
            Phase::Done(result) => {
                self.notice
                    .set(Some(self.come_back_text(&result.next_play_at)));
                return;
            }
            _ => return,
        }
        let Some(campaign) = self.campaign.get_untracked() else {
            return;
        };
        let signed = self.signed.get_untracked();
        let (request, signature) = match self.identity.get_untracked() {
            Ok(Identity::Customer { id, signature }) if signed => (
                PlayRequest {
                    customer_id: Some(id),
                    ..PlayRequest::default()
                },
                Some(signature),
            ),
            _ => {
                let Some(email) = normalize_email(&self.email.get_untracked()) else {
                    self.email_invalid.set(true);
                    if let Some(input) = self.email_input.get_untracked() {
                        let _ = input.focus();
                    }
                    return;
                };
                self.email_invalid.set(false);
                // A consent travels with the words she agreed to; the server checks them.
                let consent_text = campaign
                    .consent_text
                    .clone()
                    .filter(|_| self.consent.get_untracked());
                (
                    PlayRequest {
                        email: Some(email),
                        marketing_consent: consent_text.is_some(),
                        consent_text,
                        ..PlayRequest::default()
                    },
                    None,
                )
            }
        };
        self.phase.set(Phase::Playing);
        self.notice.set(None);
        let key = self.key.with_value(Clone::clone).unwrap_or_else(|| {
            let key = new_idempotency_key();
            self.key.set_value(Some(key.clone()));
            key
        });
        let api = self.api.get_untracked();
        let count = campaign.segments.len();
        let path = format!("/campaigns/{}/play", path_segment(&campaign.id));
        self.life.spawn(async move {
            let headers: Vec<(&str, &str)> = signature
                .as_deref()
                .map(|s| vec![(SIGNATURE_HEADER, s)])
                .unwrap_or_default();
            let body = serde_json::to_string(&request).unwrap_or_default();
            let answer = api
                .post(&path, &headers, body, Some(&key), |b| {
                    PlayResult::from_json(b, count)
                })
                .await;
            match answer {
                Ok(result) => {
                    self.key.set_value(None);
                    on_result(result);
                }
                Err(e) => self.failed(&e, &campaign),
            }
        });
    }

    fn failed(self, error: &ApiError, campaign: &Campaign) {
        self.console_error(&error.to_string());
        let texts = self.texts.get_untracked();
        let m = texts.strings();
        let definite = matches!(error.status(), Some(400..=499));
        if definite {
            self.key.set_value(None);
        }
        match (error.status(), error.code()) {
            (Some(429), _) => {
                let wait = error
                    .retry_after_secs()
                    .map(f64::from)
                    .unwrap_or(campaign.play_every_seconds as f64);
                let next =
                    js_sys::Date::new(&JsValue::from_f64(js_sys::Date::now() + wait * 1000.0));
                let next = String::from(next.to_iso_string());
                self.notice.set(Some(self.come_back_text(&next)));
                self.phase.set(Phase::NotEligible(next));
            }
            (Some(410), _) => self.phase.set(Phase::Over),
            (Some(409), Some("campaign_not_started")) => {
                self.phase.set(Phase::Upcoming(campaign.starts_at.clone()))
            }
            (Some(403), _) => self.phase.set(Phase::LoginRequired),
            (Some(401), _) => {
                self.notice.set(Some(m.game_signed_out.clone()));
                self.phase.set(Phase::Ready);
            }
            // The merchant changed the text since it was shown: nothing was drawn. The new
            // text is loaded, the box unticked, and she decides again.
            (Some(409), Some("consent_text_changed")) => {
                self.consent.set(false);
                self.notice.set(Some(m.game_consent_changed.clone()));
                self.notice_after_load
                    .set_value(Some(m.game_consent_changed.clone()));
                self.phase.set(Phase::Ready);
                self.loaded.refetch();
            }
            (Some(422), Some("invalid_email")) => {
                self.email_invalid.set(true);
                self.phase.set(Phase::Ready);
            }
            _ => {
                self.notice.set(Some(m.game_play_failed.clone()));
                self.phase.set(Phase::Ready);
            }
        }
    }

    /// Shows the result and tells the page: `lojal:play` always, `lojal:prize` for a prize.
    pub fn finish(self, result: PlayResult) {
        if matches!(self.phase.get_untracked(), Phase::Done(_)) {
            return;
        }
        let Some(campaign) = self.campaign.get_untracked() else {
            return;
        };
        let game = campaign.game.as_str();
        let play = js_object(&[
            ("campaignId", JsValue::from_str(&result.campaign_id)),
            ("game", JsValue::from_str(game)),
            (
                "segmentIndex",
                JsValue::from_f64(result.segment_index as f64),
            ),
            ("label", JsValue::from_str(&result.label)),
            ("won", JsValue::from_bool(result.prize.is_some())),
            ("nextPlayAt", JsValue::from_str(&result.next_play_at)),
        ]);
        let prize = result.prize.as_ref().map(|p| {
            js_object(&[
                ("campaignId", JsValue::from_str(&result.campaign_id)),
                ("game", JsValue::from_str(game)),
                ("prize", JsValue::from_str(&p.name)),
                ("code", JsValue::from_str(&p.code)),
                ("expiresAt", JsValue::from_str(&p.expires_at)),
            ])
        });
        let waiting = result
            .prize
            .as_ref()
            .filter(|p| p.status == "pending")
            .and_then(|p| p.ticket.clone());
        self.prize_arrival.set(None);
        self.phase.set(Phase::Done(result));
        if let Some(ticket) = waiting {
            self.follow_prize(ticket);
        }
        // Analytics: only as the page's consent allows (the loader queues or drops them).
        self.host.with_value(|h| {
            h.emit_analytics("play", &play);
            if let Some(prize) = &prize {
                h.emit_analytics("prize", prize);
            }
        });
    }

    /// Asks about a prize's code until the shop platform made or refused it.
    fn follow_prize(self, ticket: String) {
        self.prize_arrival.set(Some(None));
        let api = self.api.get_untracked();
        self.life.spawn(async move {
            let outcome = arrival(api, ticket).await;
            if let Arrival::Settled(state) = &outcome
                && state.status == "failed"
            {
                self.host.with_value(|h| {
                    h.console_error(&format!(
                        "the shop refused the prize's coupon: {}",
                        state.failure.as_deref().unwrap_or("no reason given")
                    ))
                });
            }
            self.prize_arrival.set(Some(Some(outcome)));
        });
    }

    /// The message for every phase that is not the game itself, or `None`.
    pub fn state_message(&self) -> Option<String> {
        let texts = self.texts.get();
        let m = texts.strings();
        match self.phase.get() {
            Phase::NotEligible(next) => Some(self.come_back_text(&next)),
            Phase::Over => Some(m.game_over.clone()),
            Phase::Upcoming(starts) => Some(fill(
                &m.game_upcoming,
                &[("date", &texts.date(&starts).unwrap_or(starts))],
            )),
            Phase::LoginRequired => Some(m.game_login_required.clone()),
            Phase::Unavailable => Some(m.game_unavailable.clone()),
            _ => None,
        }
    }
}

/// With the `popup` attribute the game opens as a modal dialog after `popup-delay` seconds
/// (default 8), once the shopper may play and only if the loader's shared frequency budget
/// allows it (one interrupting prompt per visit, never again once dismissed or played, none
/// without storage consent). Without `popup` the game is inline and this adds nothing.
pub fn popup_shell(ctl: GameCtl, tag: &'static str, game: AnyView) -> AnyView {
    let host = ctl.host.get_value();
    if host.attribute("popup").is_none() {
        return game;
    }
    let delay_ms = host
        .attribute("popup-delay")
        .and_then(|d| d.trim().parse::<f64>().ok())
        .filter(|d| d.is_finite() && *d >= 0.0)
        .map_or(8000, |d| (d * 1000.0).min(600_000.0) as u64);
    let waited = RwSignal::new(false);
    let asked = StoredValue::new(false);
    let open = RwSignal::new(false);
    let dialog = NodeRef::<html::Dialog>::new();
    let key = move || {
        let campaign = ctl
            .campaign
            .with_untracked(|c| c.as_ref().map(|c| c.id.clone()));
        format!("{tag}:{}", campaign.unwrap_or_default())
    };
    ctl.life
        .after(std::time::Duration::from_millis(delay_ms), move || {
            waited.set(true)
        });
    Effect::new(move |_| {
        if waited.get() && matches!(ctl.phase.get(), Phase::Ready) && !asked.get_value() {
            asked.set_value(true);
            if ctl.host.with_value(|h| h.budget_request(&key())) {
                open.set(true);
            }
        }
    });
    Effect::new(move |_| {
        if let (true, Some(dialog)) = (open.get(), dialog.get()) {
            if !dialog.open() {
                let _ = dialog.show_modal();
            }
        }
    });
    // Played: this prompt never comes back.
    Effect::new(move |_| {
        if open.get() && matches!(ctl.phase.get(), Phase::Done(_)) {
            ctl.host.with_value(|h| h.budget_settle(&key(), "played"));
        }
    });
    let on_close = move |_| {
        if !matches!(ctl.phase.get_untracked(), Phase::Done(_)) {
            ctl.host
                .with_value(|h| h.budget_settle(&key(), "dismissed"));
        }
        open.set(false);
    };
    // A closed <dialog> is not displayed; show_modal() puts it in the top layer, with focus
    // kept inside, Escape to close, and the page behind made inert.
    view! {
        <dialog class="popup" part="dialog" node_ref=dialog aria-labelledby="lojal-title" on:close=on_close>
            <form method="dialog" class="popup-close">
                <button class="close" part="close" type="submit"
                    aria-label=move || ctl.texts.get().strings().close.clone()>"×"</button>
            </form>
            {game}
        </dialog>
    }
    .into_any()
}

/// The heading with the campaign's name.
pub fn title_view(ctl: GameCtl) -> impl IntoView {
    move || {
        ctl.campaign.get().map(|c| {
            view! { <h2 class="title" part="title" id="lojal-title">{c.name}</h2> }
        })
    }
}

/// The email field and the optional, unticked consent checkbox, for guests.
pub fn email_view(ctl: GameCtl) -> impl IntoView {
    move || {
        if !ctl.asks_email() {
            return None;
        }
        let texts = ctl.texts.get();
        let m = texts.strings().clone();
        let consent_text = ctl.campaign.get().and_then(|c| c.consent_text);
        Some(view! {
            <div class="email" part="email">
                <label class="field-label" for="lojal-email">{m.game_email_label.clone()}</label>
                <input
                    id="lojal-email"
                    part="email-input"
                    type="email"
                    autocomplete="email"
                    inputmode="email"
                    spellcheck="false"
                    node_ref=ctl.email_input
                    aria-describedby="lojal-email-hint lojal-email-error"
                    aria-invalid=move || ctl.email_invalid.get().to_string()
                    prop:value=move || ctl.email.get()
                    on:input=move |ev| {
                        ctl.email.set(event_target_value(&ev));
                        ctl.email_invalid.set(false);
                    }
                />
                <p class="hint" id="lojal-email-hint">{m.game_email_hint.clone()}</p>
                <p class="error" id="lojal-email-error" role="alert">
                    {move || ctl.email_invalid.get().then(|| m.game_email_invalid.clone())}
                </p>
                {consent_text.map(|text| view! {
                    <label class="consent" part="consent">
                        <input
                            type="checkbox"
                            prop:checked=move || ctl.consent.get()
                            on:change=move |ev| ctl.consent.set(event_target_checked(&ev))
                        />
                        <span>{text}" "<span class="optional">{texts.strings().game_consent_optional.clone()}</span></span>
                    </label>
                })}
            </div>
        })
    }
}

/// The result: the prize with its code, a copy button and the expiry, or the "no prize"
/// segment; and when the shopper may play again.
pub fn result_view(ctl: GameCtl) -> impl IntoView {
    move || {
        let Phase::Done(result) = ctl.phase.get() else {
            return None;
        };
        let texts = ctl.texts.get();
        let m = texts.strings().clone();
        let again = ctl.come_back_text(&result.next_play_at);
        Some(match result.prize {
            Some(prize) => {
                let headline = fill(&m.game_won, &[("prize", &prize.name)]);
                let expires = texts
                    .date(&prize.expires_at)
                    .map(|d| fill(&m.expires, &[("date", &d)]));
                let code = match (prize.status.as_str(), ctl.prize_arrival.get()) {
                    ("active", _) => Ok(prize.code),
                    (_, Some(Some(Arrival::Settled(state)))) => {
                        state.code.ok_or(m.game_coupon_failed.clone())
                    }
                    (_, Some(Some(Arrival::StillPending))) => Err(m.game_coupon_later.clone()),
                    ("failed", _) => Err(m.game_coupon_failed.clone()),
                    _ => Err(m.game_coupon_pending.clone()),
                };
                let code = match code {
                    Ok(code) => view! {
                        <CodeRow code texts=ctl.texts />
                        <p class="expires" part="expires">{expires}</p>
                    }
                    .into_any(),
                    Err(waiting) => {
                        view! { <p class="waiting" part="waiting">{waiting}</p> }.into_any()
                    }
                };
                view! {
                    <div class="result won" part="result">
                        <p class="headline" part="headline">{headline}</p>
                        {code}
                        <Show when=move || ctl.notice.get().is_none()>
                            <p class="again">{again.clone()}</p>
                        </Show>
                    </div>
                }
                .into_any()
            }
            None => {
                let headline = fill(&m.game_no_prize, &[("label", &result.label)]);
                view! {
                    <div class="result lost" part="result">
                        <p class="headline" part="headline">{headline}</p>
                        <Show when=move || ctl.notice.get().is_none()>
                            <p class="again">{again.clone()}</p>
                        </Show>
                    </div>
                }
                .into_any()
            }
        })
    }
}

/// Everything announced to screen readers: the result, the state, a notice.
pub fn status_view(ctl: GameCtl) -> impl IntoView {
    view! {
        <div class="status" part="status" role="status" aria-live="polite">
            {result_view(ctl)}
            // A notice repeating the state (pressing Spin again) replaces it, so the text is
            // shown once and still announced anew.
            {move || {
                ctl.state_message()
                    .filter(|text| ctl.notice.get().as_ref() != Some(text))
                    .map(|text| view! { <p class="state" part="state">{text}</p> })
            }}
            {move || ctl.notice.get().map(|text| view! { <p class="notice" part="notice">{text}</p> })}
        </div>
    }
}

/// The rules: each segment's chance and the stock left, when the campaign discloses them, and
/// a link to the full rules.
pub fn rules_view(ctl: GameCtl) -> impl IntoView {
    move || {
        let campaign = ctl.campaign.get()?;
        if campaign.odds.is_none() && campaign.rules_url.is_none() {
            return None;
        }
        let texts = ctl.texts.get();
        let m = texts.strings().clone();
        let rows = campaign
            .odds
            .clone()
            .unwrap_or_default()
            .into_iter()
            .map(|odds| {
                let label = campaign
                    .segments
                    .get(odds.segment)
                    .map(|s| s.label.clone())
                    .unwrap_or_default();
                let chance = fill(&m.game_chance, &[("chance", &texts.percent(odds.chance))]);
                let left = odds
                    .remaining
                    .map(|n| texts.count(&m.game_remaining, u64::from(n), &[]));
                view! {
                    <li>
                        <span class="rule-label">{label}</span>
                        <span class="rule-chance">{chance}</span>
                        <span class="rule-left">{left}</span>
                    </li>
                }
            });
        // Like the carousel's cards: an event before the link navigates, for a router to take.
        let link = campaign.rules_url.clone().map(|href| {
            let (campaign_id, url) = (campaign.id.clone(), href.clone());
            let click = move |ev: web_sys::MouseEvent| {
                let detail = js_object(&[
                    ("campaignId", campaign_id.as_str().into()),
                    ("url", url.as_str().into()),
                ]);
                ctl.host
                    .with_value(|h| h.emit_before_navigation("rules-click", &detail, &ev));
            };
            view! { <a class="rules-link" href=href on:click=click>{m.game_rules_link.clone()}</a> }
        });
        Some(view! {
            <details class="rules" part="rules">
                <summary>{m.game_rules.clone()}</summary>
                <ul class="odds">{rows.collect_view()}</ul>
                {link}
            </details>
        })
    }
}
