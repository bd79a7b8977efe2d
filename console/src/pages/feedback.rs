//! Feedback: the review moderation queue (publish, reject, each review's product), every answer
//! with filters (type, score, campaign, status, period), and the CSV export.

use leptos::prelude::*;
use lojal::core::console::{AnswerPage, AnswerRow};

use super::{Loading, PageTitle, Problem};
use crate::api::{self, Failure};
use crate::i18n::use_i18n;
use lojal::life::Life;

/// The filter form's fields, as typed.
#[derive(Clone, Debug, Default, PartialEq)]
struct Filters {
    kind: String,
    min_score: String,
    max_score: String,
    campaign: String,
    status: String,
    from: String,
    to: String,
}

impl Filters {
    fn query(&self) -> String {
        api::query(&[
            ("type", self.kind.clone()),
            ("min_score", self.min_score.clone()),
            ("max_score", self.max_score.clone()),
            ("campaign", self.campaign.clone()),
            ("status", self.status.clone()),
            ("from", self.from.clone()),
            ("to", self.to.clone()),
        ])
    }
}

#[component]
pub fn Feedback() -> impl IntoView {
    // Its loads and saves end with the page: a merchant may leave before they answer.
    let life = Life::new();
    let i18n = use_i18n();
    let t = move |key: &'static str| move || i18n.t(key);
    let draft = RwSignal::new(Filters::default());
    let applied = RwSignal::new(Filters::default());
    let page = RwSignal::new(1_u32);
    // Bumped after a moderation, so both lists are read again.
    let generation = RwSignal::new(0_u32);
    let queue = LocalResource::new(move || {
        generation.track();
        api::get::<AnswerPage>("/api/v1/admin/feedback?type=review&status=pending&per_page=50")
    });
    let answers = LocalResource::new(move || {
        generation.track();
        let query = applied.get().query();
        let page = page.get();
        let separator = if query.is_empty() { "?" } else { "&" };
        async move {
            api::get::<AnswerPage>(&format!(
                "/api/v1/admin/feedback{query}{separator}page={page}"
            ))
            .await
        }
    });
    let moderation_failure = RwSignal::new(None::<Failure>);
    let moderation_status = RwSignal::new(None::<String>);
    let moderate = move |id: i64, from: String, to: &'static str| {
        life.spawn(async move {
            let body = serde_json::json!({ "status": to, "from": from });
            match api::write_raw(
                "POST",
                &format!("/api/v1/feedback/{id}/moderation"),
                Some(&body),
                &[],
            )
            .await
            {
                Ok(_) => {
                    moderation_failure.set(None);
                    moderation_status.set(Some(i18n.t(&format!("feedback.done.{to}"))));
                }
                Err(e) => moderation_failure.set(Some(e)),
            }
            generation.update(|g| *g += 1);
        });
    };
    let export_href = move || {
        let f = applied.get();
        format!(
            "/api/v1/feedback/export.csv{}",
            api::query(&[("from", f.from), ("to", f.to)])
        )
    };
    let text_filter = move |key: &'static str,
                            label: &'static str,
                            input_type: &'static str,
                            read: fn(&Filters) -> String,
                            write: fn(&mut Filters, String)| {
        view! {
            <label class="field">
                <span>{move || i18n.t(label)}</span>
                <input
                    type=input_type
                    name=key
                    prop:value=move || draft.with(read)
                    on:change=move |ev| {
                        let value = event_target_value(&ev);
                        draft.update(|f| write(f, value));
                    }
                />
            </label>
        }
    };
    view! {
        <PageTitle key="feedback.title" />
        <section class="card" aria-labelledby="queue-heading">
            <h2 id="queue-heading">{t("feedback.queue")}</h2>
            {move || moderation_failure.get().map(|failure| view! { <Problem failure /> })}
            <p role="status" class="status">{move || moderation_status.get()}</p>
            <Transition fallback=Loading>
                {move || queue.get().map(|result| match result {
                    Ok(page) if page.answers.is_empty() => view! { <p>{t("feedback.queue_empty")}</p> }.into_any(),
                    Ok(page) => view! {
                        <ul class="reviews">
                            {page.answers.into_iter().map(|review| {
                                let (id, status) = (review.id, review.status.clone());
                                let status2 = status.clone();
                                view! {
                                    <li class="review" data-review-id=id>
                                        <h3>{review.title.clone().unwrap_or_else(|| "–".into())}</h3>
                                        <p class="meta">
                                            {format!("{} / 5 · ", review.score)}
                                            {move || i18n.t("feedback.product")} ": "
                                            <a href=format!("/product.html?id={}", review.product_id.clone().unwrap_or_default())>
                                                {review.product_title.clone().or(review.product_id.clone()).unwrap_or_default()}
                                            </a>
                                        </p>
                                        <p>{review.text.clone().unwrap_or_default()}</p>
                                        <div class="actions">
                                            <button type="button" on:click=move |_| moderate(id, status.clone(), "published")>
                                                {move || i18n.t("feedback.publish")}
                                            </button>
                                            <button type="button" class="secondary" on:click=move |_| moderate(id, status2.clone(), "rejected")>
                                                {move || i18n.t("feedback.reject")}
                                            </button>
                                        </div>
                                    </li>
                                }
                            }).collect_view()}
                        </ul>
                    }.into_any(),
                    Err(failure) => view! { <Problem failure /> }.into_any(),
                })}
            </Transition>
        </section>
        <section class="card" aria-labelledby="answers-heading">
            <h2 id="answers-heading">{t("feedback.answers")}</h2>
            <form class="filters" on:submit=move |ev| {
                ev.prevent_default();
                page.set(1);
                applied.set(draft.get_untracked());
            }>
                <label class="field">
                    <span>{t("feedback.type")}</span>
                    <select name="type" on:change=move |ev| {
                        let value = event_target_value(&ev);
                        draft.update(|f| f.kind = value);
                    }>
                        <option value="">{t("feedback.all")}</option>
                        <option value="nps">"NPS"</option>
                        <option value="csat">"CSAT"</option>
                        <option value="review">{t("overview.reviews")}</option>
                    </select>
                </label>
                {text_filter("min_score", "feedback.min_score", "number", |f| f.min_score.clone(), |f, v| f.min_score = v)}
                {text_filter("max_score", "feedback.max_score", "number", |f| f.max_score.clone(), |f, v| f.max_score = v)}
                {text_filter("campaign", "feedback.campaign", "text", |f| f.campaign.clone(), |f, v| f.campaign = v)}
                <label class="field">
                    <span>{t("feedback.status")}</span>
                    <select name="status" on:change=move |ev| {
                        let value = event_target_value(&ev);
                        draft.update(|f| f.status = value);
                    }>
                        <option value="">{t("feedback.all")}</option>
                        <option value="received">{t("feedback.statuses.received")}</option>
                        <option value="pending">{t("feedback.statuses.pending")}</option>
                        <option value="published">{t("feedback.statuses.published")}</option>
                        <option value="rejected">{t("feedback.statuses.rejected")}</option>
                    </select>
                </label>
                {text_filter("from", "period.from", "date", |f| f.from.clone(), |f, v| f.from = v)}
                {text_filter("to", "period.to", "date", |f| f.to.clone(), |f, v| f.to = v)}
                <button type="submit">{t("feedback.filter")}</button>
            </form>
            <p><a href=export_href download="lojal-feedback.csv">{t("feedback.export")}</a></p>
            <Transition fallback=Loading>
                {move || answers.get().map(|result| match result {
                    Ok(found) => view! { <AnswerTable found page /> }.into_any(),
                    Err(failure) => view! { <Problem failure /> }.into_any(),
                })}
            </Transition>
        </section>
    }
}

#[component]
fn AnswerTable(found: AnswerPage, page: RwSignal<u32>) -> impl IntoView {
    let i18n = use_i18n();
    let t = move |key: &'static str| move || i18n.t(key);
    let pages = found.total.div_ceil(u64::from(found.per_page)).max(1) as u32;
    let current = found.page;
    let row = move |a: AnswerRow| {
        let kind = a.kind.clone();
        view! {
            <tr>
                <td>{i18n.date_time(&a.created_at)}</td>
                <td>{if kind == "review" { i18n.t("overview.reviews") } else { kind.to_uppercase() }}</td>
                <td>{a.score}</td>
                <td>{a.title.clone().map(|t| format!("{t}: ")).unwrap_or_default()}{a.text.clone().unwrap_or_default()}</td>
                <td>{a.product_title.clone().or(a.product_id.clone()).unwrap_or_default()}</td>
                <td>{a.campaign.clone()}</td>
                <td>{i18n.t(&format!("feedback.statuses.{}", a.status))}</td>
            </tr>
        }
    };
    view! {
        <p role="status">
            {i18n.t("feedback.count").replace("{total}", &i18n.number(found.total as f64))}
        </p>
        <div class="table-wrap" tabindex="0" role="region" aria-label=t("feedback.answers")>
            <table>
                <thead>
                    <tr>
                        <th scope="col">{t("feedback.when")}</th>
                        <th scope="col">{t("feedback.type")}</th>
                        <th scope="col">{t("feedback.score")}</th>
                        <th scope="col">{t("feedback.text")}</th>
                        <th scope="col">{t("feedback.product")}</th>
                        <th scope="col">{t("feedback.campaign")}</th>
                        <th scope="col">{t("feedback.status")}</th>
                    </tr>
                </thead>
                <tbody>{found.answers.into_iter().map(row).collect_view()}</tbody>
            </table>
        </div>
        <nav class="pager" aria-label=t("feedback.pages")>
            <button type="button" class="secondary" disabled=current <= 1 on:click=move |_| page.set(current - 1)>
                {t("feedback.previous")}
            </button>
            <span>{format!("{current} / {pages}")}</span>
            <button type="button" class="secondary" disabled=current >= pages on:click=move |_| page.set(current + 1)>
                {t("feedback.next")}
            </button>
        </nav>
    }
}
