//! lojal's merchant console: a Leptos single-page app under `/console/`, served by shop-api only
//! to a signed-in merchant, talking to the merchant API with the session's cookie and CSRF
//! token. Its own wasm: nothing of it reaches a shopper's page.

pub mod api;
pub mod chart;
pub mod i18n;
pub mod pages;

use leptos::prelude::*;
use leptos_router::components::{A, Route, Router, Routes};
use leptos_router::path;
use lojal::core::console::SessionInfo;
use wasm_bindgen::prelude::*;

use i18n::{I18n, LANGUAGES, use_i18n};

/// Starts the console in the page's `<body>`.
#[wasm_bindgen(start)]
pub fn start() {
    leptos::mount::mount_to_body(App);
}

/// Who is signed in, once the session has been read.
#[derive(Clone, Copy)]
pub struct Signed(pub RwSignal<Option<SessionInfo>>);

#[component]
fn App() -> impl IntoView {
    let i18n = I18n::new();
    provide_context(i18n);
    let signed = Signed(RwSignal::new(None));
    provide_context(signed);
    leptos::task::spawn_local(async move {
        if let Ok(info) = api::get::<SessionInfo>("/api/v1/console/session").await {
            api::set_csrf(&info.csrf_token);
            signed.0.set(Some(info));
        }
    });
    let t = move |key: &'static str| move || i18n.t(key);
    view! {
        <Router>
            <a class="skip" href="#main">{t("skip")}</a>
            <header class="top">
                <p class="brand">"lojal " <span>{t("console")}</span></p>
                <nav aria-label=t("nav.label")>
                    <A href="/console" exact=true>{t("nav.overview")}</A>
                    <A href="/console/programme">{t("nav.programme")}</A>
                    <A href="/console/campaigns">{t("nav.campaigns")}</A>
                    <A href="/console/feedback">{t("nav.feedback")}</A>
                    <A href="/console/customers">{t("nav.customers")}</A>
                    <A href="/console/audit">{t("nav.audit")}</A>
                </nav>
                <div class="account">
                    <LanguagePicker />
                    <SignOut />
                </div>
            </header>
            <main id="main" tabindex="-1">
                <Routes fallback=move || view! { <h1>{t("not_found")}</h1> }>
                    <Route path=path!("/console") view=pages::overview::Overview />
                    <Route path=path!("/console/programme") view=pages::programme::Programme />
                    <Route path=path!("/console/campaigns") view=pages::campaigns::CampaignList />
                    <Route
                        path=path!("/console/campaigns/:id")
                        view=pages::campaigns::CampaignEditor
                    />
                    <Route path=path!("/console/feedback") view=pages::feedback::Feedback />
                    <Route path=path!("/console/customers") view=pages::customers::Customers />
                    <Route
                        path=path!("/console/customers/:id")
                        view=pages::customers::CustomerPage
                    />
                    <Route path=path!("/console/audit") view=pages::audit::Audit />
                </Routes>
            </main>
        </Router>
    }
}

/// The language select in the header.
#[component]
fn LanguagePicker() -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <label class="language">
            <span class="visually-hidden">{move || i18n.t("language")}</span>
            <select on:change=move |ev| i18n.lang.set(event_target_value(&ev))>
                {LANGUAGES
                    .iter()
                    .map(|(tag, name, _)| {
                        view! {
                            <option value=*tag selected=move || i18n.lang.get() == *tag lang=*tag>
                                {*name}
                            </option>
                        }
                    })
                    .collect_view()}
            </select>
        </label>
    }
}

/// Signs out (ending the session on the server) and goes to the sign-in form.
#[component]
fn SignOut() -> impl IntoView {
    let i18n = use_i18n();
    let Signed(signed) = expect_context::<Signed>();
    let sign_out = move |_| {
        leptos::task::spawn_local(async move {
            let _ = api::write_raw("DELETE", "/api/v1/console/session", None::<&()>, &[]).await;
            if let Some(window) = web_sys::window() {
                let _ = window.location().assign("/console/sign-in?signed_out=1");
            }
        });
    };
    view! {
        <span class="who">{move || signed.get().map(|s| s.actor)}</span>
        <button type="button" class="secondary" on:click=sign_out>
            {move || i18n.t("sign_out")}
        </button>
    }
}
