//! The audit log: who changed what, when, newest first.

use leptos::prelude::*;
use lojal::core::console::AuditRow;

use super::{Loading, PageTitle, Problem};
use crate::api;
use crate::i18n::use_i18n;

#[component]
pub fn Audit() -> impl IntoView {
    let i18n = use_i18n();
    let t = move |key: &'static str| move || i18n.t(key);
    let rows = LocalResource::new(|| api::get::<Vec<AuditRow>>("/api/v1/admin/audit?limit=200"));
    view! {
        <PageTitle key="audit.title" />
        <p>{t("audit.intro")}</p>
        <Transition fallback=Loading>
            {move || rows.get().map(|result| match result {
                Ok(rows) => view! {
                    <div class="table-wrap" tabindex="0" role="region" aria-label=t("audit.title")>
                        <table class="audit">
                            <thead>
                                <tr>
                                    <th scope="col">{t("audit.when")}</th>
                                    <th scope="col">{t("audit.who")}</th>
                                    <th scope="col">{t("audit.what")}</th>
                                    <th scope="col">{t("audit.target")}</th>
                                    <th scope="col">{t("audit.detail")}</th>
                                </tr>
                            </thead>
                            <tbody>
                                {rows.into_iter().map(|row| {
                                    let action = row.action.clone();
                                    view! {
                                        <tr>
                                            <td>{i18n.date_time(&row.at)}</td>
                                            <td>{row.actor.clone()}</td>
                                            <td>{move || i18n.t(&format!("audit.actions.{}", action.replace('.', "_")))}</td>
                                            <td>{row.target.clone()}</td>
                                            <td><code>{row.detail.to_string()}</code></td>
                                        </tr>
                                    }
                                }).collect_view()}
                            </tbody>
                        </table>
                    </div>
                }.into_any(),
                Err(failure) => view! { <Problem failure /> }.into_any(),
            })}
        </Transition>
    }
}
