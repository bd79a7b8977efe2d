//! DOM behaviour in a real browser (wasm-bindgen-test in headless Chromium): the `Intl`
//! formatting the widgets rely on, and a badge mounted into a shadow root, with `fetch`
//! replaced by canned answers so each state can be reached on purpose.
#![cfg(target_arch = "wasm32")]

use gloo_timers::future::TimeoutFuture;
use lojal::core::i18n::{BadgeStrings, CarouselStrings, FamilyStrings};
use lojal::mount::{Mounted, mount};
use lojal::widgets::intl::Texts;
use lojal::widgets::{BADGE, FEEDBACK};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_test::*;
use web_sys::{HtmlElement, ShadowRoot, ShadowRootInit, ShadowRootMode};

wasm_bindgen_test_configure!(run_in_browser);

const STATUS: &str = r#"{"customer_id":"c-1001","first_name":"Ingrid","points":1250,"tier_points":1250,
  "tier":{"id":"silver","name":"Sølv","min_points":500},"next_tier":{"id":"gold","name":"Gull","min_points":1500},
  "points_to_next":250,"rewards":[{"id":"r-ship","name":"Gratis frakt","cost":300}]}"#;
const SIG: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Replaces `window.fetch` with one answering every request with `status` and `body`.
fn answer_fetch_with(status: u16, body: &str) {
    let fetch = js_sys::Function::new_with_args(
        "status, body",
        "window.fetch = () => Promise.resolve(new Response(body, { status, headers: { 'content-type': 'application/json' } }));",
    );
    fetch
        .call2(&JsValue::NULL, &status.into(), &body.into())
        .unwrap();
}

/// Stands in for the loader, which fetches each family's strings in the page's locale beside its
/// wasm (`__lojal.strings` in src/mount/lojal.js): the badge's and the prompts' in Bokmål, the
/// locale these tests mount with.
fn fetched_strings_in_nb() {
    let set = js_sys::Function::new_with_args(
        "badge, feedback",
        "const strings = ((globalThis.__lojal ??= {}).strings ??= {});
         strings.badge = { nb: badge };
         strings.feedback = { nb: feedback };",
    );
    set.call2(
        &JsValue::NULL,
        &include_str!(concat!(env!("OUT_DIR"), "/locales/badge/nb.json")).into(),
        &include_str!(concat!(env!("OUT_DIR"), "/locales/feedback/nb.json")).into(),
    )
    .unwrap();
}

fn new_host(attributes: &[(&str, &str)]) -> (HtmlElement, ShadowRoot) {
    fetched_strings_in_nb();
    let document = web_sys::window().unwrap().document().unwrap();
    let host: HtmlElement = document.create_element("div").unwrap().unchecked_into();
    for (name, value) in attributes {
        host.set_attribute(name, value).unwrap();
    }
    document.body().unwrap().append_child(&host).unwrap();
    let root = host
        .attach_shadow(&ShadowRootInit::new(ShadowRootMode::Open))
        .unwrap();
    (host, root)
}

fn mount_badge(attributes: &[(&str, &str)], api: &str) -> (HtmlElement, ShadowRoot, Mounted) {
    let (host, root) = new_host(attributes);
    let mounted = mount(
        &[BADGE],
        "lojal-badge",
        host.clone(),
        root.clone(),
        Some(api.into()),
        Some("nb".into()),
    )
    .unwrap();
    (host, root, mounted)
}

/// Waits up to `ms` for `selector` to match inside `root`.
async fn wait_for(root: &ShadowRoot, selector: &str, ms: u32) -> web_sys::Element {
    for _ in 0..ms / 20 {
        if let Ok(Some(el)) = root.query_selector(selector) {
            return el;
        }
        TimeoutFuture::new(20).await;
    }
    panic!(
        "`{selector}` did not appear within {ms} ms: {}",
        root.inner_html()
    );
}

fn text(el: &web_sys::Element) -> String {
    el.text_content()
        .unwrap_or_default()
        .replace(['\u{a0}', '\u{202f}'], " ")
}

#[wasm_bindgen_test]
fn numbers_plurals_and_dates_come_from_the_browsers_intl() {
    let nb = Texts::<BadgeStrings>::new("nb");
    let en = Texts::<BadgeStrings>::new("en");
    assert_eq!(nb.number(1250).replace('\u{a0}', " "), "1 250");
    assert_eq!(en.number(1250), "1,250");
    let points = &BadgeStrings::from_value(BadgeStrings::english()).points;
    assert_eq!(en.count(points, 1, &[]), "1 point");
    assert_eq!(en.count(points, 2, &[]), "2 points");
    assert_eq!(
        nb.date("2026-12-22T10:00:00Z").as_deref(),
        Some("22. desember 2026")
    );
    assert_eq!(nb.date("not a date"), None);
}

#[wasm_bindgen_test]
fn an_unknown_tag_is_refused_with_a_message() {
    let (host, root) = new_host(&[]);
    let error = mount(&[BADGE], "lojal-nope", host, root, None, None)
        .err()
        .expect("must be refused");
    let message: JsValue = error.into();
    let message = js_sys::Reflect::get(&message, &"message".into())
        .unwrap()
        .as_string()
        .unwrap();
    assert_eq!(message, "lojal: no widget is called <lojal-nope>");

    // A family's table holds its own widgets only: the badge's wasm cannot draw a carousel.
    let (host, root) = new_host(&[]);
    let error = mount(&[BADGE], "lojal-carousel", host, root, None, None)
        .err()
        .expect("another family's tag must be refused");
    let message: JsValue = error.into();
    let message = js_sys::Reflect::get(&message, &"message".into())
        .unwrap()
        .as_string()
        .unwrap();
    assert_eq!(message, "lojal: no widget is called <lojal-carousel>");
}

#[wasm_bindgen_test]
async fn a_member_badge_renders_and_clicks_and_keys_work_inside_the_shadow_root() {
    answer_fetch_with(200, STATUS);
    let (_host, root, mounted) = mount_badge(
        &[("customer-id", "c-1001"), ("customer-sig", SIG)],
        "/api/v1",
    );
    let points = wait_for(&root, "[part=points]", 2_000).await;
    assert_eq!(text(&points), "1 250 poeng");

    let trigger: HtmlElement = root
        .query_selector("[part=trigger]")
        .unwrap()
        .unwrap()
        .unchecked_into();
    trigger.click();
    let popover = wait_for(&root, "[part=popover]", 1_000).await;
    assert_eq!(
        trigger.get_attribute("aria-expanded").as_deref(),
        Some("true")
    );

    let init = web_sys::KeyboardEventInit::new();
    init.set_key("Escape");
    init.set_bubbles(true);
    let escape =
        web_sys::KeyboardEvent::new_with_keyboard_event_init_dict("keydown", &init).unwrap();
    popover.dispatch_event(&escape).unwrap();
    TimeoutFuture::new(50).await;
    assert!(
        root.query_selector("[part=popover]").unwrap().is_none(),
        "Escape must close the popover"
    );
    assert_eq!(
        trigger.get_attribute("aria-expanded").as_deref(),
        Some("false")
    );

    // Unmounting (the element left the page) takes the view with it.
    drop(mounted);
    assert!(root.query_selector("[part=badge]").unwrap().is_none());
}

#[wasm_bindgen_test]
async fn locale_changes_re_render_without_a_new_request() {
    answer_fetch_with(200, STATUS);
    let (_host, root, mounted) = mount_badge(
        &[("customer-id", "c-1001"), ("customer-sig", SIG)],
        "/api/v1",
    );
    wait_for(&root, "[part=points]", 2_000).await;
    // Any request from now on would fail loudly.
    answer_fetch_with(500, "{}");
    mounted.attribute_changed("locale".into(), Some("en".into()));
    TimeoutFuture::new(50).await;
    assert_eq!(
        text(&root.query_selector("[part=points]").unwrap().unwrap()),
        "1,250 points"
    );
    assert_eq!(
        text(&root.query_selector("[part=next]").unwrap().unwrap()),
        "250 points to Gull"
    );
}

#[wasm_bindgen_test]
async fn a_badge_shows_a_skeleton_then_keeps_its_box_empty_when_the_api_is_broken() {
    answer_fetch_with(200, "<html>this is not JSON</html>");
    let (_host, root, _mounted) = mount_badge(
        &[("customer-id", "c-1001"), ("customer-sig", SIG)],
        "/api/v1",
    );
    assert!(
        root.query_selector("[part=skeleton]").unwrap().is_some(),
        "loading starts with a skeleton"
    );
    wait_for(&root, ".unavailable", 3_000).await;
    assert!(root.query_selector("[part=points]").unwrap().is_none());
}

#[wasm_bindgen_test]
async fn a_hostile_signup_url_never_reaches_an_href() {
    answer_fetch_with(
        200,
        r#"{"name":"Klubb","signup_bonus":100,"signup_url":"javascript:alert(1)","tiers":[]}"#,
    );
    let (_host, root, _mounted) = mount_badge(&[], "/api/v1");
    let cta = wait_for(&root, "[part=cta]", 2_000).await;
    assert_eq!(
        cta.tag_name(),
        "P",
        "an unsafe link is shown as text, not as a link"
    );
    assert_eq!(text(&cta), "★Bli medlem og få 100 poeng");
}

#[wasm_bindgen_test]
fn prices_are_formatted_by_intl_in_the_products_currency() {
    let plain = |s: String| s.replace(['\u{a0}', '\u{202f}'], " ");
    let nb = Texts::<CarouselStrings>::new("nb");
    let en = Texts::<CarouselStrings>::new("en");
    assert_eq!(plain(nb.money(1899.0, "NOK")), "1 899 kr");
    assert_eq!(plain(nb.money(349.5, "NOK")), "349,50 kr");
    assert_eq!(plain(en.money(1899.0, "NOK")), "NOK 1,899");
    assert_eq!(plain(nb.money(1500.0, "JPY")), "1 500 JPY");
    assert_eq!(plain(en.money(12.5, "EUR")), "€12.50");
    assert_eq!(nb.tenths(4.67), "4,7");
    assert_eq!(en.tenths(4.0), "4");
}

/// Replaces `window.fetch` with one that keeps every request in `window.__requests` and answers
/// each with `status` and `body`.
fn record_fetch_answering(status: u16, body: &str) {
    let fetch = js_sys::Function::new_with_args(
        "status, body",
        "window.__requests = [];
         window.fetch = (url, init) => {
           window.__requests.push({ url: String(url), init });
           return Promise.resolve(new Response(body, { status, headers: { 'content-type': 'application/json' } }));
         };",
    );
    fetch
        .call2(&JsValue::NULL, &status.into(), &body.into())
        .unwrap();
}

fn get(value: &JsValue, path: &[&str]) -> JsValue {
    path.iter().fold(value.clone(), |v, key| {
        js_sys::Reflect::get(&v, &(*key).into()).unwrap()
    })
}

/// Stands in for the loader's storage gate (`__lojal.storage` in src/mount/lojal.js) with
/// storage consent given: what the widgets keep lands in `window.__kept`.
fn grant_storage() {
    js_sys::Function::new_no_args(
        "window.__kept = {};
         (globalThis.__lojal ??= {}).storage = {
           read: (kind, key) => window.__kept[key] ?? null,
           write: (kind, key, value) => ((window.__kept[key] = `${kind}:${value}`), true),
         };",
    )
    .call0(&JsValue::NULL)
    .unwrap();
}

#[wasm_bindgen_test]
async fn an_nps_prompt_follows_up_by_band_and_sends_one_answer_with_one_key() {
    record_fetch_answering(201, r#"{"id":1,"status":"received","duplicate":false}"#);
    grant_storage();
    let (host, root) = new_host(&[("campaign", "browser-test-1")]);
    let _mounted = mount(
        &[FEEDBACK],
        "lojal-nps",
        host,
        root.clone(),
        Some("/api/v1".into()),
        Some("nb".into()),
    )
    .unwrap();
    let legend = wait_for(&root, "legend", 2_000).await;
    assert_eq!(
        text(&legend),
        "Hvor sannsynlig er det at du vil anbefale oss til en venn?"
    );
    let radios = (0..=11)
        .filter(|v| {
            let selector = format!("input[type=radio][name=score][value=\"{v}\"]");
            root.query_selector(&selector).unwrap().is_some()
        })
        .count();
    assert_eq!(radios, 11, "one radio for each of 0 to 10");
    assert!(
        root.query_selector("#text").unwrap().is_none(),
        "no follow-up before a score"
    );

    let radio = |value: &str| -> HtmlElement {
        root.query_selector(&format!("input[value=\"{value}\"]"))
            .unwrap()
            .unwrap()
            .unchecked_into()
    };
    radio("3").click();
    let label = wait_for(&root, "label[for=text]", 1_000).await;
    assert!(text(&label).starts_with("Hva kan vi gjøre bedre?"));
    for (score, question) in [
        ("8", "Hva skulle til for at du ga oss 10?"),
        ("10", "Så hyggelig! Hva likte du best?"),
    ] {
        radio(score).click();
        TimeoutFuture::new(20).await;
        assert!(
            text(&label).starts_with(question),
            "{score}: {}",
            text(&label)
        );
    }

    let send: HtmlElement = root
        .query_selector("[part=send]")
        .unwrap()
        .unwrap()
        .unchecked_into();
    send.click();
    send.click();
    wait_for(&root, "[part=thanks]", 2_000).await;

    let window: JsValue = web_sys::window().unwrap().into();
    let requests: js_sys::Array = get(&window, &["__requests"]).unchecked_into();
    assert_eq!(requests.length(), 1, "a double click sends once");
    let request = requests.get(0);
    assert!(
        get(&request, &["url"])
            .as_string()
            .unwrap()
            .ends_with("/api/v1/feedback")
    );
    assert_eq!(get(&request, &["init", "keepalive"]), JsValue::TRUE);
    let key = get(&request, &["init", "headers", "idempotency-key"])
        .as_string()
        .unwrap();
    assert_eq!(key.len(), 36);
    assert_eq!(&key[14..15], "4", "a version-4 UUID: {key}");
    let body: serde_json::Value =
        serde_json::from_str(&get(&request, &["init", "body"]).as_string().unwrap()).unwrap();
    assert_eq!(body["type"], "nps");
    assert_eq!(body["score"], 10);
    assert_eq!(body["campaign"], "browser-test-1");
    assert!(
        body.get("customer_id").is_none(),
        "a guest answers anonymously"
    );

    // Delivered: nothing waits in the outbox, and the prompt is remembered for the campaign,
    // through the loader's consent gate.
    let storage = web_sys::window().unwrap().local_storage().unwrap().unwrap();
    let keys: Vec<String> = (0..storage.length().unwrap())
        .filter_map(|i| storage.key(i).unwrap())
        .collect();
    assert!(!keys.iter().any(|k| k.starts_with("lojal:")), "{keys:?}");
    assert_eq!(
        get(
            &window,
            &["__kept", "lojal:prompt:nps:browser-test-1::guest"]
        ),
        JsValue::from_str("local:answered")
    );
}
