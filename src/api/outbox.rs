//! The durable outbox in the browser: every answer is written to `localStorage` before it is
//! sent, sent with `fetch(…, { keepalive: true })` so closing the tab does not cancel it, and
//! removed only once the API took it (or refused it for good). What is left is retried on the
//! schedule of [`crate::core::outbox`], at once when the browser comes back `online`, and on
//! every later page load that includes the loader. One flusher serves the whole page.

use std::cell::{Cell, RefCell};
use std::collections::HashSet;
use std::time::Duration;

use leptos::prelude::{TimeoutHandle, set_timeout_with_handle};
// Not Leptos's spawn_local: that needs the executor a mounted widget sets up, and the loader starts
// the outbox also in a feedback wasm that mounted nothing (a page whose only elements belong to
// other families, or none), where Leptos's would drop the flush and leave FLUSHING set for good.
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_futures::spawn_local;
use web_sys::{AbortController, RequestInit, Response, Storage};

use crate::core::outbox::{Entry, STORAGE_PREFIX, Verdict, next_due};
use crate::core::retry::{Outcome, parse_retry_after};
use crate::core::wire::{ErrorBody, IDEMPOTENCY_HEADER, SIGNATURE_HEADER};

/// How long one attempt may take; shorter than the claim in [`crate::core::outbox::CLAIM_MS`].
const TIMEOUT_MS: i32 = 8_000;

/// What became of an answer handed to [`submit`].
#[derive(Clone, Debug, PartialEq)]
pub enum Delivery {
    /// The API stored it (or had stored it before).
    Delivered,
    /// No answer or a "not now": it waits in the outbox and will be sent later.
    Queued,
    /// The API refused it for good; `code` is the API's error code.
    Rejected {
        status: u16,
        code: Option<String>,
        message: String,
    },
    /// It could not be stored in the outbox and the API did not take it either.
    Failed { message: String },
}

thread_local! {
    /// Keys this page is sending right now: a flush skips them instead of sending them twice.
    static IN_FLIGHT: RefCell<HashSet<String>> = RefCell::new(HashSet::new());
    static FLUSHING: Cell<bool> = const { Cell::new(false) };
    /// A flush was asked for while one ran: run again when it ends.
    static AGAIN: Cell<(bool, bool)> = const { Cell::new((false, false)) };
    static TIMER: Cell<Option<TimeoutHandle>> = const { Cell::new(None) };
    static INSTALLED: Cell<bool> = const { Cell::new(false) };
}

fn now() -> f64 {
    js_sys::Date::now()
}

/// `localStorage`, when the browser lets this page use it (private modes and sandboxed frames
/// may not).
fn storage() -> Option<Storage> {
    web_sys::window()?.local_storage().ok().flatten()
}

fn console_error(message: &str) {
    web_sys::console::error_1(&format!("lojal: outbox: {message}").into());
}

/// Every entry waiting in this browser. Items that are not entries, and entries older than 30
/// days, are removed, each with one console error.
pub fn pending() -> Vec<Entry> {
    let Some(storage) = storage() else {
        return Vec::new();
    };
    let length = storage.length().unwrap_or(0);
    let keys: Vec<String> = (0..length)
        .filter_map(|i| storage.key(i).ok().flatten())
        .filter(|k| k.starts_with(STORAGE_PREFIX))
        .collect();
    let mut entries = Vec::new();
    for key in keys {
        let Some(json) = storage.get_item(&key).ok().flatten() else {
            continue;
        };
        match Entry::parse(&json) {
            Some(entry) if entry.is_expired(now()) => {
                console_error(&format!(
                    "giving up on {} after 30 days without an answer from {}",
                    entry.key, entry.url
                ));
                let _ = storage.remove_item(&key);
            }
            Some(entry) => entries.push(entry),
            None => {
                console_error(&format!("removing the unreadable item {key}"));
                let _ = storage.remove_item(&key);
            }
        }
    }
    entries
}

fn save(entry: &Entry) -> bool {
    storage().is_some_and(|s| s.set_item(&entry.storage_key(), &entry.to_json()).is_ok())
}

fn remove(entry: &Entry) {
    if let Some(storage) = storage() {
        let _ = storage.remove_item(&entry.storage_key());
    }
}

/// One attempt: the outcome, and the API's error body when it sent one.
async fn attempt(entry: &Entry) -> (Outcome, Option<ErrorBody>) {
    let Some(window) = web_sys::window() else {
        return (Outcome::Network, None);
    };
    let headers = js_sys::Object::new();
    let set = |k: &str, v: &str| {
        let _ = js_sys::Reflect::set(&headers, &k.into(), &v.into());
    };
    set("content-type", "application/json");
    set(IDEMPOTENCY_HEADER, &entry.key);
    if let Some(signature) = &entry.signature {
        set(SIGNATURE_HEADER, signature);
    }
    let init = RequestInit::new();
    init.set_method("POST");
    init.set_headers(&headers);
    init.set_body(&JsValue::from_str(&entry.body));
    // Outlives the page: a shopper who closes the tab right after "Send" is still heard.
    let _ = js_sys::Reflect::set(&init, &"keepalive".into(), &JsValue::TRUE);
    let controller = AbortController::new().ok();
    if let Some(c) = &controller {
        init.set_signal(Some(&c.signal()));
    }
    let timed_out = std::rc::Rc::new(Cell::new(false));
    let timer = controller.clone().and_then(|c| {
        let timed_out = timed_out.clone();
        set_timeout_with_handle(
            move || {
                timed_out.set(true);
                c.abort();
            },
            Duration::from_millis(TIMEOUT_MS as u64),
        )
        .ok()
    });
    let result = JsFuture::from(window.fetch_with_str_and_init(&entry.url, &init)).await;
    if let Some(timer) = timer {
        timer.clear();
    }
    let response: Response = match result.and_then(|r| r.dyn_into()) {
        Ok(response) => response,
        Err(_) if timed_out.get() => return (Outcome::Timeout, None),
        Err(_) => return (Outcome::Network, None),
    };
    let status = response.status();
    let retry_after_secs = response
        .headers()
        .get("retry-after")
        .ok()
        .flatten()
        .as_deref()
        .and_then(parse_retry_after);
    let body = match response.text() {
        Ok(promise) => JsFuture::from(promise)
            .await
            .ok()
            .and_then(|v| v.as_string()),
        Err(_) => None,
    };
    (
        Outcome::Status {
            status,
            retry_after_secs,
        },
        body.as_deref().and_then(ErrorBody::parse),
    )
}

/// Sends a claimed entry and records the verdict in storage: once, or twice when the API
/// refused the shopper's signature and the answer goes again without her.
async fn send(mut entry: Entry) -> (Verdict, Option<ErrorBody>) {
    IN_FLIGHT.with(|f| f.borrow_mut().insert(entry.key.clone()));
    let (verdict, error) = loop {
        entry.claim(now());
        save(&entry);
        let (outcome, error) = attempt(&entry).await;
        let verdict = entry.settle(outcome, now(), js_sys::Math::random());
        if verdict != Verdict::Anonymised {
            break (verdict, error);
        }
        let message = error
            .as_ref()
            .map_or_else(String::new, |e| format!(": {}", e.error.message));
        console_error(&format!(
            "POST {}: HTTP 401{message}; sending the answer again without the customer",
            entry.url
        ));
    };
    match verdict {
        Verdict::Delivered => remove(&entry),
        Verdict::Rejected { status } => {
            remove(&entry);
            // 409: answered before (another tab, another device); nothing is lost.
            if status != 409 {
                let message = error
                    .as_ref()
                    .map_or_else(String::new, |e| format!(": {}", e.error.message));
                console_error(&format!(
                    "POST {}: HTTP {status}{message}; the answer was dropped",
                    entry.url
                ));
            }
        }
        Verdict::RetryAt(_) | Verdict::Anonymised => {
            save(&entry);
        }
    }
    IN_FLIGHT.with(|f| f.borrow_mut().remove(&entry.key));
    (verdict, error)
}

/// Puts `entry` in the outbox and sends it at once. Resolves after this first attempt; a
/// [`Delivery::Queued`] answer is retried from then on without the caller.
pub async fn submit(entry: Entry) -> Delivery {
    install();
    let durable = save(&entry);
    let (verdict, error) = send(entry.clone()).await;
    let delivery = match verdict {
        Verdict::Delivered => Delivery::Delivered,
        Verdict::Rejected { status } => Delivery::Rejected {
            status,
            code: error.as_ref().map(|e| e.error.code.clone()),
            message: error.map_or_else(|| format!("HTTP {status}"), |e| e.error.message),
        },
        Verdict::RetryAt(_) | Verdict::Anonymised if durable => Delivery::Queued,
        Verdict::RetryAt(_) | Verdict::Anonymised => Delivery::Failed {
            message: format!(
                "POST {}: no answer, and this browser does not let the page keep it for later",
                entry.url
            ),
        },
    };
    schedule();
    delivery
}

/// Sends what is due; `force` sends everything (back online, a new page). Only one flush runs
/// at a time on a page; asking during one runs another right after.
pub fn flush(force: bool) {
    if FLUSHING.with(Cell::get) {
        AGAIN.with(|a| {
            let (_, forced) = a.get();
            a.set((true, forced || force));
        });
        return;
    }
    FLUSHING.with(|f| f.set(true));
    spawn_local(async move {
        let mut force = force;
        loop {
            let online = web_sys::window().is_none_or(|w| w.navigator().on_line());
            if online {
                let due: Vec<Entry> = pending()
                    .into_iter()
                    .filter(|e| force || e.is_due(now()))
                    .filter(|e| !IN_FLIGHT.with(|f| f.borrow().contains(&e.key)))
                    .collect();
                for entry in due {
                    send(entry).await;
                }
            }
            let (again, forced) = AGAIN.with(|a| a.replace((false, false)));
            if !again {
                break;
            }
            force = forced;
        }
        FLUSHING.with(|f| f.set(false));
        schedule();
    });
}

/// Wakes the page when the earliest waiting entry falls due.
fn schedule() {
    if let Some(old) = TIMER.with(|t| t.take()) {
        old.clear();
    }
    // Offline, nothing can succeed: the `online` event sends everything instead.
    if web_sys::window().is_some_and(|w| !w.navigator().on_line()) {
        return;
    }
    let waiting: Vec<Entry> = pending()
        .into_iter()
        .filter(|e| !IN_FLIGHT.with(|f| f.borrow().contains(&e.key)))
        .collect();
    let Some(at) = next_due(&waiting) else {
        return;
    };
    let wait = (at - now()).clamp(0.0, 3_600_000.0) as u64;
    let handle = set_timeout_with_handle(|| flush(false), Duration::from_millis(wait)).ok();
    TIMER.with(|t| t.set(handle));
}

/// Starts the page's outbox once: sends whatever earlier pages left, and listens for `online`.
/// The loader calls it (through the feedback family's `flushOutbox`) on every page with waiting
/// entries; widgets call it before sending.
pub fn install() {
    if INSTALLED.with(|i| i.replace(true)) {
        return;
    }
    if let Some(window) = web_sys::window() {
        // The page's lifetime: one listener, never removed.
        let online = Closure::<dyn Fn()>::new(|| flush(true));
        let _ = window.add_event_listener_with_callback("online", online.as_ref().unchecked_ref());
        online.forget();
    }
    flush(true);
}
