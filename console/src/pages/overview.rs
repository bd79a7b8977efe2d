//! The overview: NPS week by week, CSAT, answers per day, plays and prizes per campaign, points
//! and coupons, for a period the merchant picks for the page, and each card for a period of its
//! own when she wants to compare.

use leptos::prelude::*;
use lojal::core::console::Overview as Numbers;
use lojal::core::feedback::FeedbackSummary;

use super::{Loading, PageTitle, Problem, day_offset};
use crate::api::{self, Failure};
use crate::chart::{Series, StackedBars};
use crate::i18n::{I18n, use_i18n};

/// The overview's numbers and the feedback summary for one period.
type Loaded = Result<(Numbers, FeedbackSummary), Failure>;

async fn load(from: String, to: String) -> Loaded {
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
        <Card id="nps" heading="overview.nps" page=data figure=nps_figure />
        <Card id="csat" heading="overview.csat" page=data figure=csat_figure />
        <Card id="days" heading="overview.answers_per_day" page=data figure=days_figure />
        <Card id="plays" heading="overview.games" page=data figure=plays_figure />
        <Card id="points" heading="overview.points" page=data figure=points_figure />
    }
}

/// One figure of the overview, for the page's period or, picked here, the last 7, 30 or 90
/// days: a card asks the API for itself only when its period differs from the page's.
#[component]
fn Card(
    /// Prefix of the card's element ids.
    id: &'static str,
    /// The key of the card's heading.
    heading: &'static str,
    /// The numbers for the page's period.
    page: LocalResource<Loaded>,
    /// Draws the figure from the numbers.
    figure: fn(&Numbers, &FeedbackSummary, I18n) -> AnyView,
) -> impl IntoView {
    let i18n = use_i18n();
    let t = move |key: &'static str| move || i18n.t(key);
    // 0: the page's period.
    let days = RwSignal::new(0_i32);
    let own = LocalResource::new(move || {
        let days = days.get();
        async move {
            if days == 0 {
                None
            } else {
                Some(load(day_offset(days - 1), day_offset(0)).await)
            }
        }
    });
    let shown = move || match days.get() {
        0 => page.get(),
        _ => own.get().flatten(),
    };
    let heading_id = format!("{id}-heading");
    let label_id = format!("{id}-period");
    view! {
        <section aria-labelledby=heading_id.clone() class="card">
            <div class="card-head">
                <h2 id=heading_id.clone()>{t(heading)}</h2>
                <label class="card-period">
                    <span id=label_id.clone()>{t("period.legend")}</span>
                    <select
                        aria-labelledby=format!("{label_id} {heading_id}")
                        on:change=move |ev| days.set(event_target_value(&ev).parse().unwrap_or(0))
                    >
                        <option value="0" selected=move || days.get() == 0>{t("period.page")}</option>
                        <option value="7">{t("period.days7")}</option>
                        <option value="30">{t("period.days30")}</option>
                        <option value="90">{t("period.days90")}</option>
                    </select>
                </label>
            </div>
            <Transition fallback=Loading>
                {move || {
                    shown()
                        .map(|result| match result {
                            Ok((numbers, summary)) => figure(&numbers, &summary, i18n),
                            Err(failure) => view! { <Problem failure /> }.into_any(),
                        })
                }}
            </Transition>
        </section>
    }
}

fn nps_figure(numbers: &Numbers, summary: &FeedbackSummary, i18n: I18n) -> AnyView {
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
    view! {
        <p class="big" data-testid="nps-score">
            {nps.score.map_or_else(|| "–".to_owned(), |s| s.to_string())}
        </p>
        <p>
            {t("overview.responses")} ": " <span data-testid="nps-responses">{n(nps.responses)}</span>
        </p>
        {nps_chart}
    }
    .into_any()
}

fn csat_figure(numbers: &Numbers, _: &FeedbackSummary, i18n: I18n) -> AnyView {
    let t = move |key: &'static str| i18n.t(key);
    let n = move |value: u64| i18n.number(value as f64);
    let csat = &numbers.csat;
    view! {
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
    }
    .into_any()
}

fn days_figure(numbers: &Numbers, _: &FeedbackSummary, i18n: I18n) -> AnyView {
    let t = move |key: &'static str| i18n.t(key);
    let n = move |value: u64| i18n.number(value as f64);
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
    view! {
        {day_chart}
    }
    .into_any()
}

fn plays_figure(numbers: &Numbers, _: &FeedbackSummary, i18n: I18n) -> AnyView {
    let t = move |key: &'static str| i18n.t(key);
    let n = move |value: u64| i18n.number(value as f64);
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
    }
    .into_any()
}

fn points_figure(numbers: &Numbers, _: &FeedbackSummary, i18n: I18n) -> AnyView {
    let t = move |key: &'static str| i18n.t(key);
    let n = move |value: u64| i18n.number(value as f64);
    view! {
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
    }
    .into_any()
}
