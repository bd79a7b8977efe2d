//! The overview: NPS week by week, CSAT, answers per day, plays and prizes per campaign, points
//! and coupons, for a period the merchant picks.

use leptos::prelude::*;
use lojal::core::console::Overview as Numbers;
use lojal::core::feedback::FeedbackSummary;

use super::{Loading, PageTitle, Problem, day_offset};
use crate::api::{self, Failure};
use crate::chart::{Series, StackedBars};
use crate::i18n::{I18n, use_i18n};

async fn load(from: String, to: String) -> Result<(Numbers, FeedbackSummary), Failure> {
    let query = api::query(&[("from", from), ("to", to)]);
    let numbers = api::get::<Numbers>(&format!("/api/v1/admin/overview{query}")).await?;
    let summary = api::get::<FeedbackSummary>(&format!("/api/v1/feedback/summary{query}")).await?;
    Ok((numbers, summary))
}

#[component]
pub fn Overview() -> impl IntoView {
    let i18n = use_i18n();
    let from = RwSignal::new(day_offset(29));
    let to = RwSignal::new(day_offset(0));
    // The period shown: changed by the form's submit, not by every keystroke in it.
    let period = RwSignal::new((from.get_untracked(), to.get_untracked()));
    let data = LocalResource::new(move || {
        let (from, to) = period.get();
        load(from, to)
    });
    let preset = move |days: i32| {
        from.set(day_offset(days - 1));
        to.set(day_offset(0));
        period.set((from.get_untracked(), to.get_untracked()));
    };
    let t = move |key: &'static str| move || i18n.t(key);
    view! {
        <PageTitle key="overview.title" />
        <form
            class="period"
            on:submit=move |ev| {
                ev.prevent_default();
                period.set((from.get_untracked(), to.get_untracked()));
            }
        >
            <fieldset>
                <legend>{t("period.legend")}</legend>
                <label>
                    {t("period.from")}
                    <input
                        type="date"
                        name="from"
                        prop:value=move || from.get()
                        on:change=move |ev| from.set(event_target_value(&ev))
                    />
                </label>
                <label>
                    {t("period.to")}
                    <input
                        type="date"
                        name="to"
                        prop:value=move || to.get()
                        on:change=move |ev| to.set(event_target_value(&ev))
                    />
                </label>
                <button type="submit">{t("period.show")}</button>
                <div class="presets">
                    <button type="button" class="secondary" on:click=move |_| preset(7)>
                        {t("period.days7")}
                    </button>
                    <button type="button" class="secondary" on:click=move |_| preset(30)>
                        {t("period.days30")}
                    </button>
                    <button type="button" class="secondary" on:click=move |_| preset(90)>
                        {t("period.days90")}
                    </button>
                </div>
            </fieldset>
        </form>
        <Transition fallback=Loading>
            {move || {
                data.get()
                    .map(|result| match result {
                        Ok((numbers, summary)) => {
                            view! { <Figures numbers summary i18n /> }.into_any()
                        }
                        Err(failure) => view! { <Problem failure /> }.into_any(),
                    })
            }}
        </Transition>
    }
}

#[component]
fn Figures(numbers: Numbers, summary: FeedbackSummary, i18n: I18n) -> impl IntoView {
    let t = move |key: &'static str| i18n.t(key);
    let n = move |value: u64| i18n.number(value as f64);
    let weeks: Vec<String> = numbers.nps_weeks.iter().map(|w| w.week.clone()).collect();
    let week_names: Vec<String> = weeks.iter().map(|w| i18n.date(w)).collect();
    let nps = &summary.nps;
    let nps_summary = t("overview.nps_summary")
        .replace("{weeks}", &weeks.len().to_string())
        .replace("{promoters}", &n(nps.promoters))
        .replace("{passives}", &n(nps.passives))
        .replace("{detractors}", &n(nps.detractors))
        .replace(
            "{score}",
            &nps.score.map_or_else(|| "–".to_owned(), |s| s.to_string()),
        );
    let nps_chart = view! {
        <StackedBars
            id="nps-chart"
            caption=t("overview.nps_chart")
            summary=nps_summary
            labels=weeks.clone()
            shown_labels=week_names
            label_heading=t("overview.week")
            series=vec![
                Series {
                    name: t("overview.promoters"),
                    class: "promoters",
                    values: numbers.nps_weeks.iter().map(|w| w.promoters).collect(),
                },
                Series {
                    name: t("overview.passives"),
                    class: "passives",
                    values: numbers.nps_weeks.iter().map(|w| w.passives).collect(),
                },
                Series {
                    name: t("overview.detractors"),
                    class: "detractors",
                    values: numbers.nps_weeks.iter().map(|w| w.detractors).collect(),
                },
            ]
            extra=(
                t("overview.nps"),
                numbers
                    .nps_weeks
                    .iter()
                    .map(|w| w.score.map_or_else(|| "–".to_owned(), |s| s.to_string()))
                    .collect(),
            )
        />
    };
    let days: Vec<String> = numbers.per_day.iter().map(|d| d.date.clone()).collect();
    let total_answers: u64 = numbers
        .per_day
        .iter()
        .map(|d| d.nps + d.csat + d.review)
        .sum();
    let day_summary = t("overview.days_summary")
        .replace("{days}", &days.len().to_string())
        .replace("{answers}", &n(total_answers));
    let day_names: Vec<String> = days.iter().map(|d| i18n.date(d)).collect();
    let day_chart = view! {
        <StackedBars
            id="answers-chart"
            caption=t("overview.answers_chart")
            summary=day_summary
            labels=days
            shown_labels=day_names
            label_heading=t("overview.day")
            series=vec![
                Series {
                    name: "NPS".into(),
                    class: "series-1",
                    values: numbers.per_day.iter().map(|d| d.nps).collect(),
                },
                Series {
                    name: "CSAT".into(),
                    class: "series-2",
                    values: numbers.per_day.iter().map(|d| d.csat).collect(),
                },
                Series {
                    name: t("overview.reviews"),
                    class: "series-3",
                    values: numbers.per_day.iter().map(|d| d.review).collect(),
                },
            ]
        />
    };
    let csat = &numbers.csat;
    let campaigns = numbers
        .campaigns
        .iter()
        .map(|c| {
            view! {
                <tr>
                    <th scope="row">{c.name.clone()}</th>
                    <td>{n(c.plays)}</td>
                    <td>{n(c.prizes)}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <section aria-labelledby="nps-heading" class="card">
            <h2 id="nps-heading">{t("overview.nps")}</h2>
            <p class="big" data-testid="nps-score">
                {nps.score.map_or_else(|| "–".to_owned(), |s| s.to_string())}
            </p>
            <p>
                {t("overview.responses")} ": " <span data-testid="nps-responses">{n(nps.responses)}</span>
            </p>
            {nps_chart}
        </section>
        <section aria-labelledby="csat-heading" class="card">
            <h2 id="csat-heading">"CSAT"</h2>
            <dl class="stats">
                <div>
                    <dt>{t("overview.csat_average")}</dt>
                    <dd data-testid="csat-average">
                        {csat.average.map_or_else(|| "–".to_owned(), |a| i18n.number(a))}
                    </dd>
                </div>
                <div>
                    <dt>{t("overview.satisfied")}</dt>
                    <dd>{csat.satisfied_percent.map_or_else(|| "–".to_owned(), |p| format!("{p} %"))}</dd>
                </div>
                <div>
                    <dt>{t("overview.responses")}</dt>
                    <dd>{n(csat.responses)}</dd>
                </div>
            </dl>
        </section>
        <section aria-labelledby="days-heading" class="card">
            <h2 id="days-heading">{t("overview.answers_per_day")}</h2>
            {day_chart}
        </section>
        <section aria-labelledby="plays-heading" class="card">
            <h2 id="plays-heading">{t("overview.games")}</h2>
            <div class="table-wrap" tabindex="0" role="region" aria-labelledby="plays-heading">
                <table>
                    <thead>
                        <tr>
                            <th scope="col">{t("overview.campaign")}</th>
                            <th scope="col">{t("overview.plays")}</th>
                            <th scope="col">{t("overview.prizes")}</th>
                        </tr>
                    </thead>
                    <tbody>{campaigns}</tbody>
                </table>
            </div>
        </section>
        <section aria-labelledby="points-heading" class="card">
            <h2 id="points-heading">{t("overview.points")}</h2>
            <dl class="stats">
                <div>
                    <dt>{t("overview.issued")}</dt>
                    <dd data-testid="points-issued">{n(numbers.points.issued)}</dd>
                </div>
                <div>
                    <dt>{t("overview.redeemed")}</dt>
                    <dd>{n(numbers.points.redeemed)}</dd>
                </div>
                <div>
                    <dt>{t("overview.expired")}</dt>
                    <dd>{n(numbers.points.expired)}</dd>
                </div>
                <div>
                    <dt>{t("overview.coupons_rewards")}</dt>
                    <dd>{n(numbers.coupons.rewards)}</dd>
                </div>
                <div>
                    <dt>{t("overview.coupons_prizes")}</dt>
                    <dd>{n(numbers.coupons.prizes)}</dd>
                </div>
                <div>
                    <dt>{t("overview.coupons_referrals")}</dt>
                    <dd>{n(numbers.coupons.referrals)}</dd>
                </div>
            </dl>
        </section>
    }
}
