//! `<lojal-carousel>`: a rail of recommended products read from any shop's JSON API through a
//! mapping (see `core::catalog::mapping`), from the shopper's own recently viewed products, or
//! chosen for the signed-in shopper or her cart.
//!
//! Attributes: `source` (preset name, mapping JSON, or `#id` of a `<script type="application/json">`;
//! a child `<script type="application/json">` works too; default `lojal`), `endpoint` (full URL,
//! with `{product_id}`, `{intent}`, `{limit}`, `{customer_id}`, `{viewed}`, `{product_ids}`),
//! `product-id`, `intent` (`related`, `bought-together`, `popular`, `back-in-stock`,
//! `recently-viewed`, `for-you`, `cart`), `customer-id` and `customer-sig` (`for-you` only: the
//! signature goes in `x-lojal-signature` to the API's or the page's origin, never elsewhere; the
//! ids of the products viewed go too, with storage consent), `product-ids` (`cart` only: the
//! cart's ids, comma-separated), `limit` (at most the mapping's `max_limit`), `title`, `locale`,
//! `strings`, `api`, `storefront` (where relative product links go), `auto-rotate` (seconds; off
//! by default).
//! Events: `lojal:recommendation-view` (once per product seen in this rail, whatever the
//! locale does to the cards) and `lojal:recommendation-click` (cancelable when the click would
//! replace the page, so a router can take over), `detail` `{ productId, position, intent, url }`.
//! Parts: `carousel`, `title`, `controls`, `rotate`, `prev`, `next`, `rail`, `slide`, `card`,
//! `image`, `name`, `price`, `compare-at`, `sold-out`, `rating`, `skeleton`.
//! Custom properties: `--lojal-accent`, `--lojal-radius`, `--lojal-font`, `--lojal-surface`,
//! `--lojal-text`, `--lojal-card-width`, `--lojal-sale` (the colours with dark defaults).
//! The element carries `empty` when there is nothing to recommend (it is then hidden).
//! Keyboard: the rail is one tab stop (the card last focused, or the first wholly in view); the
//! arrow keys, Home and End move between cards, each scrolled wholly into view.

use crate::api::{self, ApiError};
use crate::core::catalog::mapping::{Context, Mapped, Mapping, Query};
use crate::core::catalog::rail::{self, RailSettings, Shopper};
use crate::core::catalog::{Intent, Product};
use crate::core::config::Identity;
use crate::core::i18n::{CarouselStrings, fill};
use crate::core::wire::SIGNATURE_HEADER;
use crate::life::Life;
use crate::widgets::host::{Host, js_object};
use leptos::ev;
use leptos::html;
use leptos::prelude::*;
use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use web_sys::{Element, HtmlElement, IntersectionObserver, IntersectionObserverEntry};

pub const TAG: &str = "lojal-carousel";
pub const CSS: &str = include_str!(concat!(env!("OUT_DIR"), "/carousel.css"));

/// Cards drawn while loading: enough to fill a wide rail.
const SKELETON_CARDS: usize = 6;
/// A slide counts as seen when this much of it is in view.
const SEEN_RATIO: f64 = 0.6;

/// The mapping text this element asks for: `source` (a preset, JSON, or `#id` of a script
/// element), else a child `<script type="application/json">`, else the `lojal` preset.
fn mapping_text(host: &Host) -> String {
    let element = host.element();
    let source = host.attribute("source").map(|s| s.trim().to_owned());
    let script_text = |script: Option<Element>| script.and_then(|s| s.text_content());
    match source.as_deref() {
        Some(id) if id.starts_with('#') => {
            let document = element.owner_document();
            script_text(document.and_then(|d| d.get_element_by_id(&id[1..]))).unwrap_or_default()
        }
        Some(s) if !s.is_empty() => s.to_owned(),
        _ => script_text(
            element
                .query_selector(":scope > script[type='application/json']")
                .ok()
                .flatten(),
        )
        .unwrap_or_else(|| "lojal".to_owned()),
    }
}

/// The active currency of a Shopify storefront (`Shopify.currency.active`), which Shopify's
/// product JSON does not carry.
fn page_currency() -> Option<String> {
    let window = web_sys::window()?;
    let shopify = js_sys::Reflect::get(&window, &"Shopify".into()).ok()?;
    let currency = js_sys::Reflect::get(&shopify, &"currency".into()).ok()?;
    js_sys::Reflect::get(&currency, &"active".into())
        .ok()?
        .as_string()
}

fn page_origin() -> Option<String> {
    web_sys::window()?.location().origin().ok()
}

fn stored_recently_viewed() -> String {
    web_sys::window()
        .and_then(|w| w.local_storage().ok().flatten())
        .and_then(|s| s.get_item(rail::RECENTLY_VIEWED_KEY).ok().flatten())
        .unwrap_or_else(|| "[]".to_owned())
}

/// What the rail shows.
#[derive(Clone, Debug, PartialEq)]
enum Shown {
    Loading,
    Products(Vec<Product>),
    /// Nothing to recommend, or the source failed: the element hides itself.
    Empty,
}

/// Everything a rail's request depends on, read from the element's attributes and the page's
/// consent before `load` runs: `load` reads no attribute itself, since a read there would make
/// any attribute, a new locale too, fetch again.
#[derive(Clone, Debug, PartialEq)]
struct Ask {
    settings: RailSettings,
    mapping: Result<Mapping, String>,
    endpoint: Option<String>,
    api_base: String,
    storefront: Option<String>,
    /// A `for-you` rail with storage consent: the ids of the products she viewed go along.
    with_views: bool,
}

async fn load(host: Host, ask: Ask) -> Result<Vec<Product>, String> {
    let Ask {
        settings,
        mapping,
        endpoint,
        api_base,
        storefront,
        with_views,
    } = ask;
    let mapping = if settings.intent == Intent::RecentlyViewed {
        Mapping::from_config(rail::RECENTLY_VIEWED_MAPPING).map_err(|e| e.to_string())
    } else {
        mapping
    }?;
    let (limit, problem) = settings.limit_for(&mapping);
    if let Some(problem) = problem {
        host.console_warn(&problem);
    }
    let context = Context {
        origin: None,
        // A headless storefront whose API lives elsewhere: product links belong on it.
        storefront,
        currency: page_currency(),
        exclude_id: settings.product_id.clone(),
        limit,
    };
    let report = |mapped: Mapped, from: &str| {
        for warning in &mapped.warnings {
            host.console_warn(&format!("{from}: {warning}"));
        }
        mapped.products
    };
    if settings.intent == Intent::RecentlyViewed {
        let mapped = mapping
            .apply_body(&stored_recently_viewed(), &context)
            .map_err(|e| format!("localStorage {}: {e}", rail::RECENTLY_VIEWED_KEY))?;
        return Ok(report(
            mapped,
            &format!("localStorage {}", rail::RECENTLY_VIEWED_KEY),
        ));
    }
    // What she viewed reaches the server only with the consent that lets lojal keep it.
    let viewed = if with_views {
        rail::viewed_ids(&stored_recently_viewed())
    } else {
        Vec::new()
    };
    let query = Query {
        product_id: settings.product_id.as_deref(),
        customer_id: settings
            .shopper
            .customer
            .as_ref()
            .map(|(id, _)| id.as_str()),
        viewed: &viewed,
        product_ids: &settings.shopper.cart,
        ..Query::new(settings.intent, limit)
    };
    let url = mapping
        .request_url(&api_base, endpoint.as_deref(), &query)
        .map_err(|e| e.to_string())?;
    let absolute = api::absolute(url);
    let page = page_origin();
    // Paths in JSON from another origin are paths on that origin, not on the page's.
    let origin = rail::origin_of(&absolute)
        .filter(|o| Some(o.to_ascii_lowercase()) != page.as_ref().map(|p| p.to_ascii_lowercase()))
        .map(str::to_owned);
    let context = Context { origin, ..context };
    let client = api::ApiClient::new(api_base);
    let mut headers = vec![("accept", "application/json")];
    if let Some((_, signature)) = &settings.shopper.customer
        && rail::may_carry_signature(&absolute, &client.url(""), page.as_deref())
    {
        headers.push((SIGNATURE_HEADER, signature));
    }
    let mapped = client
        .get_url(&absolute, &headers, |body| {
            mapping.apply_body(body, &context)
        })
        .await
        .map_err(|e: ApiError| e.to_string())?;
    Ok(report(mapped, &format!("GET {absolute}")))
}

fn detail(product: &Product, position: usize, intent: Intent) -> JsValue {
    js_object(&[
        ("productId", JsValue::from_str(&product.id)),
        ("position", JsValue::from_f64(position as f64)),
        ("intent", JsValue::from_str(intent.as_str())),
        ("url", JsValue::from_str(&product.url)),
    ])
}

/// Calls back once per slide that comes at least [`SEEN_RATIO`] into view.
struct SeenObserver {
    observer: IntersectionObserver,
    _callback: Closure<dyn FnMut(js_sys::Array, IntersectionObserver)>,
}

impl SeenObserver {
    fn watch(rail: &HtmlElement, on_seen: impl Fn(usize) + 'static) -> Option<Self> {
        let callback = Closure::<dyn FnMut(js_sys::Array, IntersectionObserver)>::new(
            move |entries: js_sys::Array, observer: IntersectionObserver| {
                for entry in entries.iter() {
                    let entry: IntersectionObserverEntry = entry.unchecked_into();
                    if !entry.is_intersecting() || entry.intersection_ratio() < SEEN_RATIO {
                        continue;
                    }
                    let target = entry.target();
                    observer.unobserve(&target);
                    let index = target
                        .get_attribute("data-index")
                        .and_then(|i| i.parse::<usize>().ok());
                    if let Some(index) = index {
                        on_seen(index);
                    }
                }
            },
        );
        let options = web_sys::IntersectionObserverInit::new();
        options.set_threshold(&JsValue::from_f64(SEEN_RATIO));
        let observer =
            IntersectionObserver::new_with_options(callback.as_ref().unchecked_ref(), &options)
                .ok()?;
        let slides = rail.query_selector_all(".slide").ok()?;
        for i in 0..slides.length() {
            if let Some(slide) = slides.item(i).and_then(|n| n.dyn_into::<Element>().ok()) {
                observer.observe(&slide);
            }
        }
        Some(Self {
            observer,
            _callback: callback,
        })
    }
}

impl Drop for SeenObserver {
    fn drop(&mut self) {
        self.observer.disconnect();
    }
}

/// The rail, its controls and its cards.
#[component]
pub fn Carousel(
    /// The custom element: attributes, page defaults, events.
    host: Host,
) -> impl IntoView {
    // The frames it waits for end with the element.
    let life = Life::new();
    let texts = Memo::new({
        let host = host.clone();
        move |_| host.texts::<CarouselStrings>()
    });
    let settings = Memo::new({
        let host = host.clone();
        move |_| {
            let (mut settings, mut problems) = RailSettings::from_attributes(
                host.attribute("intent").as_deref(),
                host.attribute("limit").as_deref(),
                host.attribute("product-id").as_deref(),
                host.attribute("auto-rotate").as_deref(),
            );
            // Only a `for-you` rail follows the shopper's identity and only a `cart` rail the
            // cart: a new `customer-id` on a popular rail changes nothing and fetches nothing.
            let identity = Identity::from_attributes(
                host.attribute("customer-id").as_deref(),
                host.attribute("customer-sig").as_deref(),
            );
            let ids = host.attribute("product-ids");
            let (shopper, problem) = Shopper::for_intent(settings.intent, identity, ids.as_deref());
            settings.shopper = shopper;
            problems.extend(problem);
            for problem in problems {
                host.console_warn(&problem);
            }
            settings
        }
    });
    let mapping = Memo::new({
        let host = host.clone();
        move |_| {
            host.attribute("source");
            Mapping::from_config(&mapping_text(&host)).map_err(|e| e.to_string())
        }
    });
    let endpoint = Memo::new({
        let host = host.clone();
        move |_| host.attribute("endpoint")
    });
    let api_base = Memo::new({
        let host = host.clone();
        move |_| host.api_base()
    });
    let storefront = Memo::new({
        let host = host.clone();
        move |_| host.attribute("storefront")
    });
    // Storage consent may come after the rail first asked (a cookie banner that answers late):
    // a `for-you` rail then asks again, with her views. The loader says so with `lojal:consent`.
    let storage_allowed = RwSignal::new(host.storage_allowed());
    let consent = window_event_listener_untyped("lojal:consent", {
        let host = host.clone();
        move |_| {
            let now = host.storage_allowed();
            if storage_allowed.get_untracked() != now {
                storage_allowed.set(now);
            }
        }
    });
    on_cleanup(move || consent.remove());
    // Products already reported seen (ids: a rail has at most 200, a set's code costs more).
    // A new request (intent, product, limit, source or endpoint) is a new rail and starts afresh;
    // a new locale only re-renders the cards, which keep their place here.
    let seen = Rc::new(RefCell::new(Vec::<String>::new()));
    let products = LocalResource::new({
        let host = host.clone();
        let seen = seen.clone();
        move || {
            seen.borrow_mut().clear();
            // Everything the request depends on is read here, through memos; consent only by a
            // `for-you` rail, the one that sends something stored.
            let settings = settings.get();
            let with_views = settings.intent == Intent::ForYou && storage_allowed.get();
            let ask = Ask {
                settings,
                mapping: mapping.get(),
                endpoint: endpoint.get(),
                api_base: api_base.get(),
                storefront: storefront.get(),
                with_views,
            };
            load(host.clone(), ask)
        }
    });
    let shown = Memo::new(move |_| match products.get() {
        None => Shown::Loading,
        Some(Ok(list)) if !list.is_empty() => Shown::Products(list),
        Some(_) => Shown::Empty,
    });
    let title = Memo::new({
        let host = host.clone();
        move |_| {
            host.attribute("title")
                .map(|t| t.trim().to_owned())
                .filter(|t| !t.is_empty())
                .unwrap_or_else(|| {
                    let t = texts.get();
                    let m = t.strings();
                    match settings.get().intent {
                        Intent::Related => m.title_related.clone(),
                        Intent::BoughtTogether => m.title_bought_together.clone(),
                        Intent::Popular => m.title_popular.clone(),
                        Intent::BackInStock => m.title_back_in_stock.clone(),
                        Intent::RecentlyViewed => m.title_recently_viewed.clone(),
                        Intent::ForYou => m.title_for_you.clone(),
                        Intent::Cart => m.title_cart.clone(),
                    }
                })
        }
    });

    let rail_ref = NodeRef::<html::Div>::new();
    let at_start = RwSignal::new(true);
    let at_end = RwSignal::new(false);
    let rotating = RwSignal::new(true);
    let hovered = RwSignal::new(false);
    let focused = RwSignal::new(false);

    Effect::new({
        let host = host.clone();
        move |_| {
            if let Some(Err(e)) = products.get() {
                host.console_error(&e);
            }
            let state = shown.get();
            host.set_flag("empty", state == Shown::Empty);
            if state != Shown::Loading {
                host.mark_ready();
            }
        }
    });

    let update_edges = move || {
        if let Some(rail) = rail_ref.get_untracked() {
            let left = f64::from(rail.scroll_left());
            let room = f64::from(rail.scroll_width() - rail.client_width());
            at_start.set(left <= 1.0);
            at_end.set(left >= room - 1.0);
        }
    };

    // One tab stop per rail (`tabindex="0"` on one card, `-1` on the others): the card last
    // focused or, once the rail moved while focus was elsewhere, the first card wholly in view,
    // so that Tab never lands on a card the rail hides. The arrow keys, Home and End move
    // between the cards.
    let follow_scroll = move || {
        let Some(rail) = rail_ref.get_untracked() else {
            return;
        };
        let root = rail.get_root_node().dyn_into::<web_sys::ShadowRoot>().ok();
        if root
            .and_then(|r| r.active_element())
            .is_some_and(|a| rail.contains(Some(&a)))
        {
            return;
        }
        let current = f64::from(rail.scroll_left());
        let edge = rail.get_bounding_client_rect().left() - current;
        let view = f64::from(rail.client_width());
        let span = |card: &Element| {
            let r = card.get_bounding_client_rect();
            (r.left() - edge, r.width())
        };
        if let Some(stop) = tab_stop(&rail)
            && rail::first_whole(1, |_| span(&stop), current, view).is_some()
        {
            return;
        }
        let Ok(cards) = rail.query_selector_all(".card") else {
            return;
        };
        let card = |i: usize| {
            u32::try_from(i)
                .ok()
                .and_then(|i| cards.item(i))
                .and_then(|c| c.dyn_into::<Element>().ok())
        };
        let count = cards.length() as usize;
        let at = |i: usize| card(i).map_or((f64::MAX, 0.0), |c| span(&c));
        if let Some(first) = rail::first_whole(count, at, current, view).and_then(card) {
            make_tab_stop(&rail, &first);
        }
    };
    // Once the cards are in the DOM: edge state for the buttons, and the view events.
    let observer = StoredValue::new_local(None::<SeenObserver>);
    Effect::new({
        let host = host.clone();
        move |_| {
            // A new locale re-renders the cards: watch the new ones.
            texts.track();
            let Shown::Products(list) = shown.get() else {
                observer.set_value(None);
                return;
            };
            let intent = settings.get_untracked().intent;
            let host = host.clone();
            let seen = seen.clone();
            life.next_frame(move || {
                update_edges();
                // New cards (a new locale re-renders them) start from the first: move the tab
                // stop to where the rail is.
                follow_scroll();
                let Some(rail) = rail_ref.get_untracked() else {
                    return;
                };
                let rail: &HtmlElement = &rail;
                let watch = SeenObserver::watch(rail, move |index| {
                    let Some(product) = list.get(index) else {
                        return;
                    };
                    let new = !seen.borrow().contains(&product.id);
                    if new {
                        seen.borrow_mut().push(product.id.clone());
                        host.emit("recommendation-view", &detail(product, index + 1, intent));
                    }
                });
                observer.set_value(watch);
            });
        }
    });
    on_cleanup(move || observer.set_value(None));

    let scroll_page = move |direction: f64| {
        if let Some(rail) = rail_ref.get_untracked() {
            let options = web_sys::ScrollToOptions::new();
            options.set_left(direction * f64::from(rail.client_width()) * 0.9);
            rail.scroll_by_with_scroll_to_options(&options);
        }
    };
    let slides = move || -> Vec<HtmlElement> {
        rail_ref
            .get_untracked()
            .and_then(|rail| rail.query_selector_all(".card").ok())
            .map(|list| {
                (0..list.length())
                    .filter_map(|i| list.item(i)?.dyn_into::<HtmlElement>().ok())
                    .collect()
            })
            .unwrap_or_default()
    };
    let scroll_rail_to = move |left: f64| {
        if let Some(rail) = rail_ref.get_untracked() {
            let scroll = web_sys::ScrollToOptions::new();
            scroll.set_left(left);
            rail.scroll_to_with_scroll_to_options(&scroll);
        }
    };
    // Scrolls the rail so that card `target` is wholly in view, to a snap position the core
    // picks (the browser's own "nearest" scroll, snapped back, can hide part of it); the scroll
    // position asked for, when the rail had to move.
    let show_card = move |cards: &[HtmlElement], target: usize| -> Option<f64> {
        let rail = rail_ref.get_untracked()?;
        let current = f64::from(rail.scroll_left());
        let edge = rail.get_bounding_client_rect().left() - current;
        let spans: Vec<(f64, f64)> = cards
            .iter()
            .map(|c| c.get_bounding_client_rect())
            .map(|r| (r.left() - edge, r.width()))
            .collect();
        let view = f64::from(rail.client_width());
        let max = f64::from(rail.scroll_width()) - view;
        let to = rail::scroll_to_show(&spans, target, current, view, max);
        (to != current).then(|| {
            scroll_rail_to(to);
            to
        })
    };
    // Focus by the arrow keys (which keep the browser from scrolling), Tab, a click, a screen
    // reader or a script: the card becomes the rail's tab stop and is shown whole. The browser's
    // own focus scroll comes after this event, and snapping may pull it back: ask again once
    // it has run.
    let on_focusin = move |_| {
        let cards = slides();
        let (Some(target), Some(rail)) = (host_active_index(&cards), rail_ref.get_untracked())
        else {
            return;
        };
        if let Some(card) = cards.get(target) {
            make_tab_stop(&rail, card);
        }
        if let Some(to) = show_card(&cards, target) {
            life.next_frame(move || scroll_rail_to(to));
        }
    };
    let on_keydown = move |ev: ev::KeyboardEvent| {
        let cards = slides();
        let Some(active) = host_active_index(&cards) else {
            return;
        };
        let target = match ev.key().as_str() {
            "ArrowRight" => (active + 1).min(cards.len().saturating_sub(1)),
            "ArrowLeft" => active.saturating_sub(1),
            "Home" => 0,
            "End" => cards.len().saturating_sub(1),
            _ => return,
        };
        ev.prevent_default();
        if let Some(card) = cards.get(target) {
            let options = web_sys::FocusOptions::new();
            options.set_prevent_scroll(true);
            let _ = card.focus_with_options(&options);
        }
    };

    // Auto-rotation only when the merchant asks for it, and never while the shopper points at
    // or works in the rail.
    let rotation = StoredValue::new_local(None::<IntervalHandle>);
    Effect::new(move |_| {
        if let Some(handle) = rotation.get_value() {
            handle.clear();
        }
        rotation.set_value(None);
        let seconds = settings.get().rotate_seconds;
        let has_products = matches!(shown.get(), Shown::Products(_));
        let (Some(seconds), true) = (seconds, has_products) else {
            return;
        };
        let handle = set_interval_with_handle(
            move || {
                if !rotating.get_untracked() || hovered.get_untracked() || focused.get_untracked() {
                    return;
                }
                if at_end.get_untracked() {
                    if let Some(rail) = rail_ref.get_untracked() {
                        rail.set_scroll_left(0);
                    }
                } else {
                    scroll_page(1.0);
                }
            },
            Duration::from_secs(u64::from(seconds)),
        );
        rotation.set_value(handle.ok());
    });
    on_cleanup(move || {
        if let Some(handle) = rotation.get_value() {
            handle.clear();
        }
    });
    let rotates = move || settings.get().rotate_seconds.is_some();

    let card_view = move |(index, product, total): (usize, Product, usize)| {
        let t = texts.get_untracked();
        let m = t.strings();
        let intent = settings.get_untracked().intent;
        let price = &product.price;
        let now = t.money(price.major(price.amount), &price.currency);
        let now = if price.max.is_some() {
            fill(&m.price_from, &[("price", &now)])
        } else {
            now
        };
        let was = price
            .compare_at
            .map(|c| t.money(price.major(c), &price.currency));
        let rating = product.rating.clone().map(|r| {
            let label = t.count(
                &m.rating_label,
                u64::from(r.count.unwrap_or(0)),
                &[("rating", &t.tenths(f64::from(r.average)))],
            );
            let label = if r.count.is_some() {
                label
            } else {
                label.split(',').next().unwrap_or_default().to_owned()
            };
            let (whole, half) = r.stars();
            // Whole numbers only: formatting floats would pull Rust's float printing into the bundle.
            let percent = u32::from(whole) * 20 + if half { 10 } else { 0 };
            (label, format!("--stars: {percent}%"), r.count)
        });
        let label = fill(
            &m.slide_label,
            &[
                ("index", &(index + 1).to_string()),
                ("total", &total.to_string()),
            ],
        );
        let click = {
            let host = host.clone();
            let product = product.clone();
            move |ev: ev::MouseEvent| {
                host.emit_before_navigation(
                    "recommendation-click",
                    &detail(&product, index + 1, intent),
                    &ev,
                )
            }
        };
        let image = product.image.clone();
        view! {
            <div
                class="slide"
                part="slide"
                role="group"
                aria-roledescription=m.slide.clone()
                aria-label=label
                data-index=index.to_string()
            >
                <a
                    class="card"
                    part="card"
                    href=product.url.clone()
                    tabindex=if index == 0 { "0" } else { "-1" }
                    on:click=click
                >
                    <span class="media">
                        {image.map(|image| view! {
                            <img
                                part="image"
                                src=image.src
                                srcset=image.srcset
                                sizes="(max-width: 40rem) 45vw, 12rem"
                                alt=image.alt
                                width="640"
                                height="800"
                                loading="lazy"
                                decoding="async"
                            />
                        })}
                        {(!product.in_stock).then(|| view! {
                            <span class="sold-out" part="sold-out">{m.sold_out.clone()}</span>
                        })}
                    </span>
                    <span class="name" part="name">{product.title.clone()}</span>
                    <span class="price" part="price">
                        <span class="now" class:sale=was.is_some()>{now}</span>
                        {was.map(|was| view! {
                            <s class="was" part="compare-at">
                                <span class="sr-only">{m.price_before.clone()} " "</span>
                                {was}
                            </s>
                        })}
                    </span>
                    <span class="rating-row">
                        {rating.map(|(label, style, count)| view! {
                            <span class="rating" part="rating" role="img" aria-label=label>
                                <span class="stars" style=style aria-hidden="true">"★★★★★"</span>
                                {count.map(|c| view! { <span class="count" aria-hidden="true">"(" {c} ")"</span> })}
                            </span>
                        })}
                    </span>
                </a>
            </div>
        }
    };

    let rail_view = move || {
        texts.track();
        match shown.get() {
        Shown::Products(list) => {
            let total = list.len();
            list.into_iter()
                .enumerate()
                .map(|(i, p)| card_view((i, p, total)))
                .collect_view()
                .into_any()
        }
        _ => (0..SKELETON_CARDS)
            .map(|_| {
                view! {
                    <div class="slide" aria-hidden="true">
                        <div class="card skeleton" part="skeleton">
                            <span class="media"></span>
                            <span class="name"><span class="line"></span><span class="line short"></span></span>
                            <span class="price"><span class="line short"></span></span>
                            <span class="rating-row"></span>
                        </div>
                    </div>
                }
            })
            .collect_view()
            .into_any(),
    }
    };

    view! {
        <section
            class="carousel"
            part="carousel"
            lang=move || texts.get().locale()
            aria-roledescription=move || texts.get().strings().carousel.clone()
            aria-label=move || title.get()
            aria-busy=move || (shown.get() == Shown::Loading).to_string()
            on:mouseenter=move |_| hovered.set(true)
            on:mouseleave=move |_| hovered.set(false)
            on:focusin=move |_| focused.set(true)
            on:focusout=move |_| focused.set(false)
        >
            <div class="head">
                <h2 class="title" part="title">{move || title.get()}</h2>
                <div class="controls" part="controls" class:hidden=move || at_start.get() && at_end.get()>
                    <Show when=rotates>
                        <button
                            class="rotate"
                            part="rotate"
                            type="button"
                            aria-pressed=move || (!rotating.get()).to_string()
                            aria-label=move || {
                                let m = texts.get();
                                if rotating.get() { m.strings().pause_rotation.clone() } else { m.strings().start_rotation.clone() }
                            }
                            on:click=move |_| rotating.update(|r| *r = !*r)
                        >
                            {move || if rotating.get() { "❚❚" } else { "▶" }}
                        </button>
                    </Show>
                    <button
                        class="prev"
                        part="prev"
                        type="button"
                        aria-controls="rail"
                        aria-label=move || texts.get().strings().previous.clone()
                        aria-disabled=move || at_start.get().to_string()
                        on:click=move |_| scroll_page(-1.0)
                    >
                        <span aria-hidden="true">"‹"</span>
                    </button>
                    <button
                        class="next"
                        part="next"
                        type="button"
                        aria-controls="rail"
                        aria-label=move || texts.get().strings().next.clone()
                        aria-disabled=move || at_end.get().to_string()
                        on:click=move |_| scroll_page(1.0)
                    >
                        <span aria-hidden="true">"›"</span>
                    </button>
                </div>
            </div>
            <div
                class="rail"
                part="rail"
                id="rail"
                node_ref=rail_ref
                aria-live=move || if rotates() && rotating.get() { "off" } else { "polite" }
                on:scroll=move |_| {
                    update_edges();
                    follow_scroll();
                }
                on:keydown=on_keydown
                on:focusin=on_focusin
            >
                {rail_view}
            </div>
            <Show when=move || shown.get() == Shown::Loading>
                <span class="sr-only" role="status">{move || texts.get().strings().loading_products.clone()}</span>
            </Show>
        </section>
    }
}

/// The card that is the rail's one tab stop.
fn tab_stop(rail: &Element) -> Option<Element> {
    rail.query_selector(".card[tabindex='0']").ok().flatten()
}

/// Makes `card` the rail's one tab stop.
fn make_tab_stop(rail: &Element, card: &Element) {
    if let Some(old) = tab_stop(rail) {
        let _ = old.set_attribute("tabindex", "-1");
    }
    let _ = card.set_attribute("tabindex", "0");
}

/// The index of the card that has focus inside the shadow root, if any.
fn host_active_index(cards: &[HtmlElement]) -> Option<usize> {
    let root = cards.first()?.get_root_node();
    let root: web_sys::ShadowRoot = root.dyn_into().ok()?;
    let active = root.active_element()?;
    cards.iter().position(|c| {
        let c: &Element = c;
        *c == active
    })
}
