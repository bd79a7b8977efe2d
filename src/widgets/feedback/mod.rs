//! `<lojal-nps>`, `<lojal-csat>` and `<lojal-review>`: one question, a score, an optional text,
//! then thanks. An answer never gets lost: it goes through the durable outbox
//! ([`crate::api::outbox`]) with an idempotency key made once per answer, so a double click, a
//! retry, a reload or a closed tab all end as one stored answer.
//!
//! Attributes (all three): `customer-id`, `customer-sig`, `locale`, `strings`, `api`, `trigger`
//! (`inline` | `delay` | `scroll` | `order-confirmation`), `delay-seconds`, `scroll-percent`,
//! `order-id`, `campaign` (default: the calendar quarter), `question` (NPS and CSAT).
//! `<lojal-csat>`: `variant` (`faces` | `stars`). `<lojal-review>`: `product-id` (required),
//! `product-name`, `moderation-note`.
//! Events: `lojal:feedback` with `detail` `{ type, score, text, title, productId, campaign,
//! orderId, key, queued }`; `lojal:dismiss` with `{ type, campaign }`.
//! Parts: `prompt`, `dismiss`, `question`, `scale`, `option`, `ends`, `field`, `counter`,
//! `note`, `error`, `send`, `thanks`.
//! Custom properties: `--lojal-accent`, `--lojal-radius`, `--lojal-font`, `--lojal-surface`,
//! `--lojal-text`, `--lojal-on-accent`, `--lojal-error`, `--lojal-star` (colours with dark
//! defaults). A floating prompt closes with Escape; dismissed, it gives the focus back.

use std::time::Duration;

use leptos::ev;
use leptos::html;
use leptos::prelude::*;
use leptos::task::spawn_local;
use wasm_bindgen::JsValue;

use crate::api::outbox::{self, Delivery};
use crate::core::config::Identity;
use crate::core::feedback::{
    AnsweredStatus, Band, CsatVariant, FeedbackAnswer, Field, MAX_REVIEW_TITLE_CHARS, Problem,
    PromptType, Trigger, campaign as campaign_of, char_count, remembered_key, scrolled_percent,
};
use crate::core::i18n::{FeedbackStrings, fill};
use crate::core::outbox::{Entry, uuid_v4};
use crate::core::url::path_segment;
use crate::core::wire::SIGNATURE_HEADER;
use crate::life::Life;
use crate::widgets::host::{Basics, Host, js_object};
use crate::widgets::intl::Texts;

mod room;

pub const NPS_TAG: &str = "lojal-nps";
pub const CSAT_TAG: &str = "lojal-csat";
pub const REVIEW_TAG: &str = "lojal-review";
pub const CSS: &str = include_str!(concat!(env!("OUT_DIR"), "/feedback.css"));

/// How the prompt ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Done {
    /// Stored, or waiting in the outbox (`queued`).
    Thanks {
        queued: bool,
    },
    /// The API knew an earlier answer of this shopper in this campaign.
    AlreadyAnswered,
    Dismissed,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    Asking,
    /// The first attempt is on its way; a second click does nothing.
    Sending,
    Done(Done),
}

/// A fresh idempotency key from the browser's cryptographic random source.
fn new_idempotency_key() -> String {
    let mut random = [0u8; 16];
    let filled = web_sys::window()
        .and_then(|w| w.crypto().ok())
        .is_some_and(|c| c.get_random_values_with_u8_array(&mut random).is_ok());
    if !filled {
        // No Web Crypto at all (very old browsers): still unique enough for one shopper's answers.
        for (i, byte) in random.iter_mut().enumerate() {
            *byte = (js_sys::Math::random() * 256.0) as u8 ^ (i as u8);
        }
    }
    uuid_v4(random)
}

fn page_url() -> Option<String> {
    web_sys::window()?.location().href().ok()
}

/// Milliseconds since the page started loading, so "after N seconds on the page" counts from
/// the navigation, not from when the widget's code arrived.
fn on_page_ms() -> f64 {
    web_sys::window()
        .and_then(|w| w.performance())
        .map_or(0.0, |p| p.now())
}

fn scrolled() -> u8 {
    let Some(window) = web_sys::window() else {
        return 0;
    };
    let top = window.scroll_y().unwrap_or(0.0);
    let viewport = window
        .inner_height()
        .ok()
        .and_then(|h| h.as_f64())
        .unwrap_or(0.0);
    let document = window
        .document()
        .and_then(|d| d.document_element())
        .map_or(0.0, |e| f64::from(e.scroll_height()));
    scrolled_percent(top, viewport, document)
}

fn focus_later(life: Life, target: impl Fn() -> Option<web_sys::HtmlElement> + 'static) {
    life.next_frame(move || {
        if let Some(el) = target() {
            let _ = el.focus();
        }
    });
}

/// One feedback prompt of the given type.
#[component]
pub fn Prompt(
    /// The custom element: attributes, page defaults, events.
    host: Host,
    /// NPS, CSAT or review.
    kind: PromptType,
) -> impl IntoView {
    // Its timers and the frames it waits for end with the element.
    let life = Life::new();
    let attribute = {
        let host = host.clone();
        move |name: &'static str| {
            let host = host.clone();
            Memo::new(move |_| {
                host.attribute(name)
                    .map(|v| v.trim().to_owned())
                    .filter(|v| !v.is_empty())
            })
        }
    };
    let Basics {
        texts,
        api,
        identity,
    } = host.basics::<FeedbackStrings>();
    let trigger_attr = attribute("trigger");
    let delay_attr = attribute("delay-seconds");
    let scroll_attr = attribute("scroll-percent");
    let order_attr = attribute("order-id");
    let campaign_attr = attribute("campaign");
    let product = attribute("product-id");
    let product_name = attribute("product-name");
    let question_attr = attribute("question");
    let variant_attr = attribute("variant");
    let note_attr = attribute("moderation-note");

    // A malformed identity, or a signature the API refused (expired, forged), answers
    // anonymously rather than not at all.
    let signature_refused = RwSignal::new(false);
    let customer = Memo::new(move |_| match identity.get() {
        Ok(Identity::Customer { id, signature }) if !signature_refused.get() => {
            Some((id, signature))
        }
        _ => None,
    });
    Effect::new(move |_| {
        identity.track();
        signature_refused.set(false);
    });
    let trigger = Memo::new(move |_| {
        Trigger::from_attributes(
            trigger_attr.get().as_deref(),
            delay_attr.get().as_deref(),
            scroll_attr.get().as_deref(),
            order_attr.get().as_deref(),
        )
    });
    let mounted_at = js_sys::Date::now();
    let campaign = Memo::new(move |_| campaign_of(campaign_attr.get().as_deref(), mounted_at));
    let variant = Memo::new(move |_| CsatVariant::from_attribute(variant_attr.get().as_deref()));
    let product_id = Memo::new(move |_| product.get().filter(|_| kind == PromptType::Review));
    let configured = Memo::new(move |_| {
        trigger.get().is_ok()
            && campaign.get().is_ok()
            && (kind != PromptType::Review || product_id.get().is_some())
    });

    // Configuration mistakes: one console line each, naming the attribute.
    Effect::new({
        let host = host.clone();
        move |_| {
            if let Err(e) = trigger.get() {
                host.console_error(&format!("{e}; the prompt stays hidden"));
            }
            if let Err(e) = campaign.get() {
                host.console_error(&format!("`campaign`: {e}; the prompt stays hidden"));
            }
            if let Err(e) = identity.get() {
                host.console_error(&format!("{e}; answers are sent anonymously"));
            }
            if kind == PromptType::Review && product.get().is_none() {
                host.console_error("`product-id` is required; the prompt stays hidden");
            }
        }
    });

    // Once per shopper per campaign: this browser remembers (with storage consent, else this
    // page does), and the server is asked.
    let memory_key = Memo::new(move |_| {
        let campaign = campaign.get().ok()?;
        Some(remembered_key(
            kind,
            &campaign,
            product_id.get().as_deref(),
            customer.get().map(|(id, _)| id).as_deref(),
        ))
    });
    let remembered = Memo::new({
        let host = host.clone();
        move |_| memory_key.get().is_some_and(|k| host.stored(&k).is_some())
    });
    let remember = move |host: &Host, how: &str| {
        if let Some(key) = memory_key.get_untracked() {
            host.store(&key, how);
        }
    };
    let answered_before = LocalResource::new({
        let host = host.clone();
        move || {
            let (api, customer, campaign, product) =
                (api.get(), customer.get(), campaign.get(), product_id.get());
            let host = host.clone();
            async move {
                let (Some((id, signature)), Ok(campaign)) = (customer, campaign) else {
                    return false;
                };
                let mut path = format!(
                    "/feedback/answered?type={kind}&campaign={}&customer_id={}",
                    path_segment(&campaign),
                    path_segment(&id)
                );
                if let Some(product) = product {
                    path.push_str(&format!("&product_id={}", path_segment(&product)));
                }
                match api
                    .get(
                        &path,
                        &[(SIGNATURE_HEADER, &signature)],
                        AnsweredStatus::from_json,
                    )
                    .await
                {
                    Ok(status) => status.answered,
                    Err(e) if e.status() == Some(401) => {
                        host.console_error(&format!("{e}; answering anonymously"));
                        signature_refused.set(true);
                        false
                    }
                    // Better to ask once too often than to lose the answer: the server refuses
                    // a second answer anyway.
                    Err(e) => {
                        host.console_error(&format!("{e}; asking anyway"));
                        false
                    }
                }
            }
        }
    });

    // A floating prompt interrupts, so it asks the loader's frequency budget, shared with every
    // lojal popup: at most one per visit, none once dismissed or answered, none without storage
    // consent. Inline prompts sit in the page and ask nobody.
    let budget_key = move || {
        format!(
            "feedback:{}:{}",
            kind.as_str(),
            campaign.get_untracked().unwrap_or_default()
        )
    };
    let may_interrupt = {
        let host = host.clone();
        move || host.budget_request(&budget_key())
    };

    // The trigger: once it fires, the prompt stays.
    let fired = RwSignal::new(false);
    Effect::new(move |_| match trigger.get() {
        Ok(Trigger::Inline) | Ok(Trigger::OrderConfirmation { order_id: Some(_) }) => {
            fired.set(true)
        }
        Ok(Trigger::Delay { seconds }) => {
            let wait = (f64::from(seconds) * 1000.0 - on_page_ms()).max(0.0) as u64;
            let may_interrupt = may_interrupt.clone();
            let show = move || {
                if may_interrupt() {
                    fired.set(true);
                }
            };
            if let Ok(handle) = set_timeout_with_handle(show, Duration::from_millis(wait)) {
                on_cleanup(move || handle.clear());
            }
        }
        Ok(Trigger::Scroll { percent }) => {
            if scrolled() >= percent {
                if may_interrupt() {
                    fired.set(true);
                }
                return;
            }
            let may_interrupt = may_interrupt.clone();
            let asked = StoredValue::new(false);
            let listener = window_event_listener(ev::scroll, move |_| {
                if !asked.get_value() && scrolled() >= percent {
                    asked.set_value(true);
                    if may_interrupt() {
                        fired.set(true);
                    }
                }
            });
            on_cleanup(move || listener.remove());
        }
        Ok(Trigger::OrderConfirmation { order_id: None }) | Err(_) => {}
    });
    let floats = Memo::new(move |_| trigger.get().is_ok_and(|t| t.floats()));

    let phase = RwSignal::new(Phase::Asking);
    let score = RwSignal::new(None::<u8>);
    let title = RwSignal::new(String::new());
    let text = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    // The field the error is about, so that fixing it clears the message.
    let error_field = RwSignal::new(None::<Field>);
    // One key per answer: every resend of this answer carries it, so the server stores it once.
    let key = StoredValue::new(None::<String>);
    let form = NodeRef::<html::Form>::new();
    let thanks = NodeRef::<html::P>::new();

    // What the element shows: nothing, the form (asking or sending), or how it ended. A memo,
    // so that sending does not rebuild the form under the shopper's focus. A prompt in the page
    // shows at once, before the server's check, so nothing below it moves when that arrives;
    // then an "answered already" takes it away unless she has begun (a score, a word in the title
    // or the text), and a second answer is refused politely instead. A floating prompt waits for
    // the check.
    let shown = Memo::new(move |_| match phase.get() {
        Phase::Done(Done::Dismissed) => None,
        Phase::Done(done) => Some(Some(done)),
        Phase::Asking | Phase::Sending => (fired.get()
            && configured.get()
            && !remembered.get()
            && match answered_before.get() {
                Some(answered) => {
                    !answered
                        || score.get().is_some()
                        || title.with(|t| !t.is_empty())
                        || text.with(|t| !t.is_empty())
                }
                None => !floats.get(),
            })
        .then_some(None),
    });
    let has_score = Memo::new(move |_| score.get().is_some());

    let max_text = kind.max_text_chars();
    let text_chars = Memo::new(move |_| char_count(&text.get()));
    let title_chars = Memo::new(move |_| char_count(&title.get()));

    Effect::new(move |_| {
        let fixed = match error_field.get() {
            Some(Field::Score) => score.get().is_some(),
            Some(Field::Title) => title_chars.get() <= MAX_REVIEW_TITLE_CHARS,
            Some(Field::Text) => text_chars.get() <= max_text,
            _ => false,
        };
        if fixed {
            error.set(None);
            error_field.set(None);
        }
    });

    let focus_in_form = move |selector: &'static str| {
        focus_later(life, move || {
            let form = form.get_untracked()?;
            let el = form.query_selector(selector).ok().flatten()?;
            wasm_bindgen::JsCast::dyn_into::<web_sys::HtmlElement>(el).ok()
        });
    };

    let send = {
        let host = host.clone();
        move |ev: ev::SubmitEvent| {
            ev.prevent_default();
            // A double click, or Enter held down: the first submit is the only one.
            if phase.get_untracked() != Phase::Asking {
                return;
            }
            let t = texts.get_untracked();
            let m = &t.strings().feedback;
            error.set(None);
            error_field.set(None);
            let Some(chosen) = score.get_untracked() else {
                error_field.set(Some(Field::Score));
                let range = kind.scores();
                error.set(Some(fill(
                    &m.pick_score,
                    &[
                        ("min", &t.number(u64::from(*range.start()))),
                        ("max", &t.number(u64::from(*range.end()))),
                    ],
                )));
                focus_in_form("input[type=radio]");
                return;
            };
            let (Ok(campaign), Ok(trigger)) = (campaign.get_untracked(), trigger.get_untracked())
            else {
                return;
            };
            let customer = customer.get_untracked();
            let mut answer = FeedbackAnswer {
                kind,
                score: i64::from(chosen),
                title: (kind == PromptType::Review).then(|| title.get_untracked()),
                text: Some(text.get_untracked()),
                product_id: product_id.get_untracked(),
                customer_id: customer.as_ref().map(|(id, _)| id.clone()),
                campaign,
                order_id: trigger.order_id().map(str::to_owned),
                page_url: page_url(),
                locale: Some(t.locale().to_owned()),
            }
            .normalized();
            // An odd page address (a file://, a very long query) is not worth losing the answer.
            if answer
                .problems()
                .iter()
                .any(|p| p.field() == Field::PageUrl)
            {
                answer.page_url = None;
            }
            let problems = answer.problems();
            if let Some(problem) = problems.first() {
                match problem {
                    Problem::TooLong { field, chars, max } => {
                        let label = if *field == Field::Title {
                            m.review_title.clone()
                        } else {
                            text_label(kind, &t, score.get_untracked())
                        };
                        error_field.set(Some(*field));
                        error.set(Some(fill(
                            &m.too_long,
                            &[
                                ("field", &label),
                                ("count", &t.number(*chars as u64)),
                                ("max", &t.number(*max as u64)),
                            ],
                        )));
                        focus_in_form(if *field == Field::Title {
                            "#title"
                        } else {
                            "#text"
                        });
                    }
                    _ => {
                        host.console_error(&format!("the answer cannot be sent: {problem}"));
                        error.set(Some(m.failed.clone()));
                    }
                }
                return;
            }
            let idempotency_key = key.get_value().unwrap_or_else(new_idempotency_key);
            key.set_value(Some(idempotency_key.clone()));
            let signed = customer.is_some();
            let mut entry = Entry::new(
                idempotency_key.clone(),
                api.get_untracked().url("/feedback"),
                serde_json::to_string(&answer).unwrap_or_default(),
                customer.map(|(_, signature)| signature),
                js_sys::Date::now(),
            );
            if signed {
                // Kept beside it: an answer that waits longer than the signature lasts still
                // reaches the shop, without her name on it.
                let anonymous = FeedbackAnswer {
                    customer_id: None,
                    ..answer.clone()
                };
                entry = entry
                    .with_anonymous_body(serde_json::to_string(&anonymous).unwrap_or_default());
            }
            phase.set(Phase::Sending);
            let host = host.clone();
            let budget = floats.get_untracked().then(budget_key);
            // Not `life.spawn`: the answer is kept and sent even when the prompt leaves the page
            // the moment she sends it. Only showing how it went needs the prompt.
            spawn_local(async move {
                let delivery = outbox::submit(entry).await;
                let kept = matches!(delivery, Delivery::Delivered | Delivery::Queued);
                if kept || matches!(delivery, Delivery::Rejected { status: 409, .. }) {
                    remember(&host, "answered");
                }
                if let (true, Some(budget)) = (kept, &budget) {
                    host.budget_settle(budget, "answered");
                }
                if life.is_over() {
                    return;
                }
                let m = &texts.get_untracked().strings().feedback.clone();
                let queued = match delivery {
                    Delivery::Delivered => Some(false),
                    Delivery::Queued => Some(true),
                    Delivery::Rejected { status: 409, .. } => {
                        phase.set(Phase::Done(Done::AlreadyAnswered));
                        None
                    }
                    Delivery::Rejected {
                        status, message, ..
                    } => {
                        host.console_error(&format!("POST /feedback: HTTP {status}: {message}"));
                        // The server refused this content; an edited answer is a new answer.
                        key.set_value(None);
                        error.set(Some(m.failed.clone()));
                        phase.set(Phase::Asking);
                        None
                    }
                    Delivery::Failed { message } => {
                        host.console_error(&message);
                        error.set(Some(m.failed.clone()));
                        phase.set(Phase::Asking);
                        None
                    }
                };
                if let Some(queued) = queued {
                    phase.set(Phase::Done(Done::Thanks { queued }));
                    host.emit("feedback", &event_detail(&answer, &idempotency_key, queued));
                }
                if matches!(phase.get_untracked(), Phase::Done(_)) {
                    focus_later(life, move || thanks.get_untracked().map(Into::into));
                }
            });
        }
    };

    // Where the keyboard focus was before it entered the prompt: it goes back there when the
    // prompt is dismissed, instead of falling to the top of the page.
    let came_from = StoredValue::new_local(None::<web_sys::HtmlElement>);
    let on_focus_in = move |ev: ev::FocusEvent| {
        use wasm_bindgen::JsCast;
        let from = ev
            .related_target()
            .and_then(|t| t.dyn_into::<web_sys::HtmlElement>().ok());
        let to = ev
            .target()
            .and_then(|t| t.dyn_into::<web_sys::Element>().ok());
        if let (Some(from), Some(to)) = (&from, &to)
            && !from.get_root_node().is_same_node(Some(&to.get_root_node()))
        {
            came_from.set_value(Some(from.clone()));
        }
        // A text field focused by Tab is scrolled only as far as its caret; the whole field is
        // what she will type into, so all of it comes into view (WCAG 2.4.11).
        if let Some(field) =
            to.filter(|el| matches!(el.local_name().as_str(), "textarea" | "input"))
        {
            let options = web_sys::ScrollIntoViewOptions::new();
            options.set_block(web_sys::ScrollLogicalPosition::Nearest);
            field.scroll_into_view_with_scroll_into_view_options(&options);
        }
    };

    let dismiss = {
        let host = host.clone();
        move || {
            let had_focus = web_sys::window()
                .and_then(|w| w.document())
                .and_then(|d| d.active_element())
                .is_some_and(|el| el.is_same_node(Some(host.element())));
            if had_focus {
                focus_later(life, move || {
                    came_from.get_value().filter(|el| el.is_connected())
                });
            }
            remember(&host, "dismissed");
            if floats.get_untracked() {
                host.budget_settle(&budget_key(), "dismissed");
            }
            phase.set(Phase::Done(Done::Dismissed));
            let campaign = campaign.get_untracked().unwrap_or_default();
            let detail = js_object(&[
                ("type", kind.as_str().into()),
                ("campaign", campaign.into()),
            ]);
            host.emit("dismiss", &detail);
        }
    };

    let question = move || {
        let t = texts.get();
        let m = &t.strings().feedback;
        match kind {
            PromptType::Nps => question_attr
                .get()
                .unwrap_or_else(|| m.nps_question.clone()),
            PromptType::Csat => question_attr
                .get()
                .unwrap_or_else(|| m.csat_question.clone()),
            PromptType::Review => match product_name.get() {
                Some(name) => fill(&m.review_question, &[("product", &name)]),
                None => m.review_question_any.clone(),
            },
        }
    };

    let form_view = move || {
        let scale = match kind {
            PromptType::Nps => nps_scale(texts, score).into_any(),
            PromptType::Csat => match variant.get() {
                CsatVariant::Faces => faces_scale(texts, score).into_any(),
                CsatVariant::Stars => stars_scale(texts, score).into_any(),
            },
            PromptType::Review => stars_scale(texts, score).into_any(),
        };
        let text_field = move || {
            // NPS asks its follow-up once a score is chosen, in words that fit the score.
            (kind != PromptType::Nps || has_score.get()).then(|| {
                counted_field(
                    "text",
                    Signal::derive(move || text_label(kind, &texts.get(), score.get())),
                    text,
                    text_chars,
                    max_text,
                    true,
                    texts,
                )
            })
        };
        let title_field = (kind == PromptType::Review).then(|| {
            counted_field(
                "title",
                Signal::derive(move || texts.get().strings().feedback.review_title.clone()),
                title,
                title_chars,
                MAX_REVIEW_TITLE_CHARS,
                false,
                texts,
            )
        });
        let note = (kind == PromptType::Review).then(|| {
            view! {
                <p class="note" part="note">
                    {move || note_attr.get().unwrap_or_else(|| texts.get().strings().feedback.moderation_note.clone())}
                </p>
            }
        });
        view! {
            <form node_ref=form novalidate on:submit=send.clone()>
                <fieldset class="scale" part="scale">
                    <legend id="question" part="question">{question}</legend>
                    {scale}
                </fieldset>
                {title_field}
                {text_field}
                {note}
                <p class="error" part="error" role="alert">{move || error.get()}</p>
                <button
                    class="send"
                    part="send"
                    type="submit"
                    aria-disabled=move || (phase.get() == Phase::Sending).to_string()
                >
                    {move || {
                        let t = texts.get();
                        let m = &t.strings().feedback;
                        if phase.get() == Phase::Sending { m.sending.clone() } else { m.send.clone() }
                    }}
                </button>
            </form>
        }
    };

    let done_view = move |done: Done| {
        let t = texts.get();
        let m = &t.strings().feedback;
        let (said, more) = match done {
            Done::Thanks { queued } => (
                if kind == PromptType::Review {
                    m.thanks_review.clone()
                } else {
                    m.thanks.clone()
                },
                queued.then(|| m.queued.clone()),
            ),
            Done::AlreadyAnswered => (m.already_answered.clone(), None),
            Done::Dismissed => (String::new(), None),
        };
        view! {
            <div role="status">
                <p class="thanks" part="thanks" tabindex="-1" node_ref=thanks>{said}</p>
                {more.map(|more| view! { <p class="queued">{more}</p> })}
            </div>
        }
    };

    // While it floats, the page makes room for it, so nothing the keyboard focuses is hidden
    // under it. Made anew when the prompt changes (asked, then thanked): another box, another
    // height.
    let section = NodeRef::<html::Section>::new();
    let room = StoredValue::new_local(None::<room::Room>);
    Effect::new(move |_| {
        let floating = floats.get() && shown.get().is_some();
        room.set_value(None);
        if floating {
            // Measured once drawn; by then the prompt may have closed, or the widget gone.
            request_animation_frame(move || {
                let still = floats.try_get_untracked() == Some(true)
                    && shown.try_get_untracked().flatten().is_some();
                if let Some(el) = section.try_get_untracked().flatten().filter(|_| still) {
                    room.try_update_value(|r| {
                        if r.is_none() {
                            *r = room::Room::for_prompt(&el);
                        }
                    });
                }
            });
        }
    });
    on_cleanup(move || {
        room.try_update_value(|r| *r = None);
    });

    // Escape closes a floating prompt, as it closes any popover.
    let on_keydown = {
        let dismiss = dismiss.clone();
        move |ev: ev::KeyboardEvent| {
            if ev.key() == "Escape" && floats.get_untracked() && shown.get_untracked() == Some(None)
            {
                ev.prevent_default();
                dismiss();
            }
        }
    };

    let dismiss_button = move || {
        let dismiss = dismiss.clone();
        view! {
            <button
                class="dismiss"
                part="dismiss"
                type="button"
                aria-label=move || texts.get().strings().feedback.dismiss.clone()
                title=move || texts.get().strings().feedback.dismiss.clone()
                on:click=move |_| dismiss()
            >
                "×"
            </button>
        }
    };

    view! {
        {move || {
            let Some(done) = shown.get() else {
                return ().into_any();
            };
            view! {
                <section
                    class="prompt"
                    node_ref=section
                    class:floating=move || floats.get()
                    class:done=done.is_some()
                    part="prompt"
                    aria-labelledby=done.is_none().then_some("question")
                    lang=move || texts.get().locale()
                    on:focusin=on_focus_in
                    on:keydown=on_keydown.clone()
                >
                    {match done {
                        None => view! { {dismiss_button()} {form_view()} }.into_any(),
                        Some(done) => done_view(done).into_any(),
                    }}
                </section>
            }
            .into_any()
        }}
    }
}

/// The label of the free-text field: the NPS follow-up fits the score's band.
fn text_label(kind: PromptType, texts: &Texts<FeedbackStrings>, score: Option<u8>) -> String {
    let m = &texts.strings().feedback;
    match kind {
        PromptType::Nps => match score.and_then(Band::of) {
            Some(Band::Promoter) => m.nps_follow_up_promoter.clone(),
            Some(Band::Passive) => m.nps_follow_up_passive.clone(),
            _ => m.nps_follow_up_detractor.clone(),
        },
        PromptType::Csat => m.csat_comment.clone(),
        PromptType::Review => m.review_text.clone(),
    }
}

/// `lojal:feedback`'s `detail`.
fn event_detail(answer: &FeedbackAnswer, key: &str, queued: bool) -> JsValue {
    let text = |v: &Option<String>| v.as_deref().map_or(JsValue::NULL, JsValue::from_str);
    js_object(&[
        ("type", answer.kind.as_str().into()),
        ("score", JsValue::from_f64(answer.score as f64)),
        ("text", text(&answer.text)),
        ("title", text(&answer.title)),
        ("productId", text(&answer.product_id)),
        ("campaign", answer.campaign.as_str().into()),
        ("orderId", text(&answer.order_id)),
        ("key", key.into()),
        ("queued", queued.into()),
    ])
}

/// One radio of a scale: a native `<input type=radio>` (arrow keys, Tab and Space come from the
/// browser, and screen readers announce "3 of 11") under a drawn label.
fn option(
    score: RwSignal<Option<u8>>,
    value: u8,
    class: &'static str,
    face: AnyView,
    name: String,
    described_by: Option<&'static str>,
) -> impl IntoView {
    let tooltip = name.clone();
    view! {
        <label
            class=format!("option {class}")
            title=tooltip
            class:checked=move || score.get() == Some(value)
            class:lit=move || score.get().is_some_and(|s| s >= value)
            part="option"
        >
            <input
                type="radio"
                name="score"
                value=value.to_string()
                prop:checked=move || score.get() == Some(value)
                aria-describedby=described_by
                on:change=move |_| score.set(Some(value))
            />
            <span class="face" aria-hidden="true">{face}</span>
            <span class="sr-only">{name}</span>
        </label>
    }
}

/// 0–10, the ends named in the locale.
fn nps_scale(texts: Memo<Texts<FeedbackStrings>>, score: RwSignal<Option<u8>>) -> impl IntoView {
    let t = texts.get();
    let m = &t.strings().feedback;
    let options = (0..=10u8)
        .map(|n| {
            let label = t.number(u64::from(n));
            let described_by = match n {
                0 => Some("low"),
                10 => Some("high"),
                _ => None,
            };
            option(
                score,
                n,
                "number",
                view! { {label.clone()} }.into_any(),
                label,
                described_by,
            )
        })
        .collect_view();
    view! {
        <div class="options nps">{options}</div>
        <div class="ends" part="ends">
            <span id="low">{format!("{} = {}", t.number(0), m.nps_low)}</span>
            <span id="high">{format!("{} = {}", t.number(10), m.nps_high)}</span>
        </div>
    }
}

/// The mouth of face `n` (1 = very unhappy … 5 = very happy): a curve whose middle bends from
/// well above the corners (a frown) to well below them (a smile).
fn mouth(n: u8) -> String {
    let bend = (f32::from(n) - 3.0) * 3.0;
    format!("M7.5 16 Q12 {:.2} 16.5 16", 16.0 + bend)
}

fn faces_scale(texts: Memo<Texts<FeedbackStrings>>, score: RwSignal<Option<u8>>) -> impl IntoView {
    let t = texts.get();
    let names = t.strings().feedback.csat_scores.clone();
    let options = (1..=5u8)
        .map(|n| {
            let name = names
                .get(usize::from(n - 1))
                .cloned()
                .unwrap_or_else(|| n.to_string());
            let face = view! {
                <svg viewBox="0 0 24 24" width="100%" height="100%">
                    <circle cx="12" cy="12" r="10.5" class="head" />
                    <circle cx="8.5" cy="9.5" r="1.3" class="eye" />
                    <circle cx="15.5" cy="9.5" r="1.3" class="eye" />
                    <path d=mouth(n) class="mouth" />
                </svg>
            }
            .into_any();
            option(score, n, "face-option", face, name, None)
        })
        .collect_view();
    view! { <div class="options faces">{options}</div> }
}

fn stars_scale(texts: Memo<Texts<FeedbackStrings>>, score: RwSignal<Option<u8>>) -> impl IntoView {
    let t = texts.get();
    let options = (1..=5u8)
        .map(|n| {
            let name = t.count(&t.strings().feedback.stars, u64::from(n), &[]);
            option(score, n, "star", view! { "★" }.into_any(), name, None)
        })
        .collect_view();
    view! { <div class="options stars">{options}</div> }
}

/// A labelled text input or textarea with its limit counted as the shopper types.
fn counted_field(
    id: &'static str,
    label: Signal<String>,
    value: RwSignal<String>,
    chars: Memo<usize>,
    max: usize,
    multiline: bool,
    texts: Memo<Texts<FeedbackStrings>>,
) -> impl IntoView {
    let over = move || chars.get() > max;
    let counter_id = format!("{id}-counter");
    let counter = move || {
        let t = texts.get();
        fill(
            &t.strings().feedback.counter,
            &[
                ("count", &t.number(chars.get() as u64)),
                ("max", &t.number(max as u64)),
            ],
        )
    };
    let on_input = move |ev: ev::Event| value.set(event_target_value(&ev));
    let control = if multiline {
        view! {
            <textarea
                id=id
                rows="3"
                prop:value=move || value.get()
                aria-describedby=counter_id.clone()
                aria-invalid=move || over().to_string()
                on:input=on_input
            ></textarea>
        }
        .into_any()
    } else {
        view! {
            <input
                id=id
                type="text"
                prop:value=move || value.get()
                aria-describedby=counter_id.clone()
                aria-invalid=move || over().to_string()
                on:input=on_input
            />
        }
        .into_any()
    };
    view! {
        <div class="field" part="field">
            <label for=id>
                {move || label.get()}
                " "
                <span class="optional">{move || texts.get().strings().feedback.optional.clone()}</span>
            </label>
            {control}
            <p class="counter" part="counter" id=counter_id class:over=over>{counter}</p>
        </div>
    }
}
