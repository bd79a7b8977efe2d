//! Customers: found by id or email; one customer's balance, tier, ledger and coupons, and a
//! manual adjustment with a required reason (written to the ledger and the audit log).

use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::{use_params_map, use_query_map};
use lojal::core::console::{Adjustment, CustomerDetail, CustomerHit, MAX_ADJUSTMENT};

use super::{Loading, PageTitle, Problem};
use crate::api::{self, Failure};
use crate::i18n::use_i18n;
use lojal::life::Life;

#[component]
pub fn Customers() -> impl IntoView {
    let i18n = use_i18n();
    let t = move |key: &'static str| move || i18n.t(key);
    let query = use_query_map();
    let typed = RwSignal::new(query.get_untracked().get("q").unwrap_or_default());
    let searched = RwSignal::new(typed.get_untracked());
    let hits = LocalResource::new(move || {
        let q = searched.get();
        async move {
            if q.trim().is_empty() {
                return Ok(None);
            }
            api::get::<Vec<CustomerHit>>(&format!(
                "/api/v1/admin/customers{}",
                api::query(&[("q", q)])
            ))
            .await
            .map(Some)
        }
    });
    view! {
        <PageTitle key="customers.title" />
        <form role="search" class="search" on:submit=move |ev| {
            ev.prevent_default();
            searched.set(typed.get_untracked());
        }>
            <label class="field">
                <span>{t("customers.search")}</span>
                <input
                    type="search"
                    name="q"
                    prop:value=move || typed.get()
                    on:input=move |ev| typed.set(event_target_value(&ev))
                />
            </label>
            <button type="submit">{t("customers.find")}</button>
        </form>
        <Transition fallback=Loading>
            {move || hits.get().map(|result| match result {
                Ok(None) => ().into_any(),
                Ok(Some(found)) if found.is_empty() => view! { <p role="status">{t("customers.none")}</p> }.into_any(),
                Ok(Some(found)) => view! {
                    <ul class="hits" role="status">
                        {found.into_iter().map(|c| view! {
                            <li>
                                <A href=format!("/console/customers/{}", c.id)>{c.id.clone()}</A>
                                " " {c.first_name.clone().unwrap_or_default()}
                                " " {c.email.clone().map(|e| format!("<{e}>")).unwrap_or_default()}
                            </li>
                        }).collect_view()}
                    </ul>
                }.into_any(),
                Err(failure) => view! { <Problem failure /> }.into_any(),
            })}
        </Transition>
    }
}

#[component]
pub fn CustomerPage() -> impl IntoView {
    // Its loads and saves end with the page: a merchant may leave before they answer.
    let life = Life::new();
    let i18n = use_i18n();
    let t = move |key: &'static str| move || i18n.t(key);
    let params = use_params_map();
    let detail = RwSignal::new(None::<CustomerDetail>);
    let load_failure = RwSignal::new(None::<Failure>);
    Effect::new(move |_| {
        let id = params.read().get("id").unwrap_or_default();
        life.spawn(async move {
            match api::get::<CustomerDetail>(&format!(
                "/api/v1/admin/customers/{}",
                js_sys::encode_uri_component(&id)
            ))
            .await
            {
                Ok(found) => detail.set(Some(found)),
                Err(e) => load_failure.set(Some(e)),
            }
        });
    });
    let points = RwSignal::new(String::new());
    let reason = RwSignal::new(String::new());
    // One key per adjustment the form is about to make: a double submit or a retry is one row.
    let key = RwSignal::new(api::idempotency_key());
    let failure = RwSignal::new(None::<Failure>);
    let problem = RwSignal::new(None::<String>);
    let status = RwSignal::new(None::<String>);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let Some(current) = detail.get_untracked() else {
            return;
        };
        let adjustment = Adjustment {
            points: points.get_untracked().trim().parse().unwrap_or(0),
            reason: reason.get_untracked(),
        };
        // The core's rules, said in the merchant's language where the console knows them.
        if let Some(why) = adjustment.problem() {
            let points_ok = adjustment.points != 0 && adjustment.points.abs() <= MAX_ADJUSTMENT;
            problem.set(Some(if !points_ok {
                i18n.t("customers.points_needed")
            } else if adjustment.reason.trim().is_empty() {
                i18n.t("customers.reason_needed")
            } else {
                why
            }));
            return;
        }
        problem.set(None);
        let path = format!(
            "/api/v1/admin/customers/{}/adjustments",
            js_sys::encode_uri_component(&current.customer.id)
        );
        let idempotency = key.get_untracked();
        life.spawn(async move {
            match api::write::<CustomerDetail>(
                "POST",
                &path,
                &adjustment,
                &[("idempotency-key", &idempotency)],
            )
            .await
            {
                Ok(after) => {
                    detail.set(Some(after));
                    failure.set(None);
                    points.set(String::new());
                    reason.set(String::new());
                    key.set(api::idempotency_key());
                    status.set(Some(i18n.t("customers.adjusted")));
                }
                Err(e) => failure.set(Some(e)),
            }
        });
    };
    view! {
        <PageTitle key="customers.customer" />
        <p><A href="/console/customers">{t("customers.back")}</A></p>
        {move || load_failure.get().map(|failure| view! { <Problem failure /> })}
        {move || detail.get().map(|d| {
            let n = move |v: u64| i18n.number(v as f64);
            view! {
                <section class="card" aria-labelledby="who-heading">
                    <h2 id="who-heading">
                        {d.customer.first_name.clone().unwrap_or_else(|| d.customer.id.clone())}
                    </h2>
                    <dl class="stats">
                        <div><dt>{t("customers.id")}</dt><dd>{d.customer.id.clone()}</dd></div>
                        <div><dt>{t("customers.email")}</dt><dd>{d.customer.email.clone().unwrap_or_else(|| "–".into())}</dd></div>
                        <div><dt>{t("customers.points")}</dt><dd data-testid="balance">{n(d.points)}</dd></div>
                        <div><dt>{t("customers.pending")}</dt><dd>{n(d.pending_points)}</dd></div>
                        <div><dt>{t("customers.tier")}</dt><dd>{d.tier.clone().unwrap_or_else(|| "–".into())}</dd></div>
                    </dl>
                </section>
                <section class="card" aria-labelledby="ledger-heading">
                    <h2 id="ledger-heading">{t("customers.ledger")}</h2>
                    <div class="table-wrap" tabindex="0" role="region" aria-labelledby="ledger-heading">
                        <table class="ledger">
                            <thead>
                                <tr>
                                    <th scope="col">{t("customers.when")}</th>
                                    <th scope="col">{t("customers.kind")}</th>
                                    <th scope="col">{t("customers.points")}</th>
                                    <th scope="col">{t("customers.detail")}</th>
                                </tr>
                            </thead>
                            <tbody>
                                {d.ledger.iter().map(|row| {
                                    let kind = row.kind.clone();
                                    view! {
                                        <tr>
                                            <td>{i18n.date_time(&row.created_at)}</td>
                                            <td>{move || i18n.t(&format!("customers.kinds.{kind}"))}</td>
                                            <td>{format!("{:+}", row.points)}</td>
                                            <td>{row.detail.clone().unwrap_or_default()}</td>
                                        </tr>
                                    }
                                }).collect_view()}
                            </tbody>
                        </table>
                    </div>
                </section>
                <section class="card" aria-labelledby="coupons-heading">
                    <h2 id="coupons-heading">{t("customers.coupons")}</h2>
                    {if d.coupons.is_empty() {
                        view! { <p>{t("customers.no_coupons")}</p> }.into_any()
                    } else {
                        view! {
                            <div class="table-wrap" tabindex="0" role="region" aria-labelledby="coupons-heading">
                                <table>
                                    <thead>
                                        <tr>
                                            <th scope="col">{t("customers.code")}</th>
                                            <th scope="col">{t("customers.coupon")}</th>
                                            <th scope="col">{t("customers.status")}</th>
                                            <th scope="col">{t("customers.expires")}</th>
                                        </tr>
                                    </thead>
                                    <tbody>
                                        {d.coupons.iter().map(|c| view! {
                                            <tr>
                                                <td><code>{c.code.clone()}</code></td>
                                                <td>{c.name.clone()}</td>
                                                <td>{c.status.clone()}</td>
                                                <td>{i18n.date(&c.expires_at)}</td>
                                            </tr>
                                        }).collect_view()}
                                    </tbody>
                                </table>
                            </div>
                        }.into_any()
                    }}
                </section>
            }
        })}
        <Show when=move || detail.get().is_some()>
            <form class="card adjust" on:submit=submit novalidate>
                <h2>{t("customers.adjust")}</h2>
                <p id="adjust-hint">{t("customers.adjust_hint")}</p>
                <label class="field">
                    <span>{t("customers.adjust_points")}</span>
                    // Text, not a number input: "-" alone is not a number yet, and the
                    // browser would hand the form an empty value while it is typed.
                    <input
                        type="text"
                        inputmode="numeric"
                        pattern="-?[0-9]+"
                        name="points"
                        required
                        aria-describedby="adjust-hint"
                        prop:value=move || points.get()
                        on:input=move |ev| points.set(event_target_value(&ev))
                    />
                </label>
                <label class="field wide">
                    <span>{t("customers.reason")}</span>
                    <input
                        type="text"
                        name="reason"
                        required
                        maxlength="200"
                        prop:value=move || reason.get()
                        on:input=move |ev| reason.set(event_target_value(&ev))
                    />
                </label>
                <div role="alert" class="problems">{move || problem.get()}</div>
                {move || failure.get().map(|failure| view! { <Problem failure /> })}
                <p role="status" class="status">{move || status.get()}</p>
                <button type="submit">{t("customers.adjust_submit")}</button>
            </form>
        </Show>
    }
}
