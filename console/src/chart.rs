//! Charts as accessible SVG: stacked bars drawn from the numbers, a text alternative that says
//! what they show, and the same numbers in a table beside the picture. The SVG scales to its
//! box, so a 320 px wide screen shows the whole chart.

use leptos::prelude::*;

/// One stacked series: its name (the legend and the table's column) and a value per bar.
#[derive(Clone, Debug, PartialEq)]
pub struct Series {
    pub name: String,
    /// The CSS class that colours its bars and legend swatch (`--chart-1` … in the style sheet).
    pub class: &'static str,
    pub values: Vec<u64>,
}

const BAR: f64 = 28.0;
const GAP: f64 = 8.0;
const HEIGHT: f64 = 160.0;
const LEFT: f64 = 36.0;
const BOTTOM: f64 = 20.0;

/// A stacked bar chart of `series` over `labels`, with `summary` as its text alternative and a
/// table of every number under `caption`. `extra` adds a last column to the table (the NPS of
/// each week, say).
#[component]
pub fn StackedBars(
    /// Prefix of the element ids, unique on the page.
    id: &'static str,
    /// The chart's name: the figure's caption and the table's.
    caption: String,
    /// The text alternative: what the chart shows, in a sentence or two.
    summary: String,
    /// The bars' names (a week, a day), in order.
    labels: Vec<String>,
    /// Shown in the table's first column instead of `labels` when given (dates written out).
    shown_labels: Vec<String>,
    series: Vec<Series>,
    /// A column after the series: its heading and a text per bar.
    #[prop(optional)]
    extra: Option<(String, Vec<String>)>,
    /// The first column's heading.
    label_heading: String,
) -> impl IntoView {
    let totals: Vec<u64> = (0..labels.len())
        .map(|i| {
            series
                .iter()
                .map(|s| s.values.get(i).copied().unwrap_or(0))
                .sum()
        })
        .collect();
    let max = totals.iter().copied().max().unwrap_or(0).max(1);
    let width = LEFT + (labels.len().max(1) as f64) * (BAR + GAP) + GAP;
    let scale = (HEIGHT - BOTTOM - 8.0) / max as f64;
    let title_id = format!("{id}-title");
    let desc_id = format!("{id}-desc");
    let labelled_by = format!("{title_id} {desc_id}");
    let (svg_title, region_label) = (caption.clone(), caption.clone());
    let bars = (0..labels.len())
        .map(|i| {
            let x = LEFT + GAP + i as f64 * (BAR + GAP);
            let mut y = HEIGHT - BOTTOM;
            let parts = series
                .iter()
                .map(|s| {
                    let value = s.values.get(i).copied().unwrap_or(0);
                    let h = value as f64 * scale;
                    y -= h;
                    view! {
                        <rect class=s.class x=x y=y width=BAR height=h>
                            <title>{format!("{}: {} {}", labels[i], value, s.name)}</title>
                        </rect>
                    }
                })
                .collect_view();
            let short = labels[i].get(5..).unwrap_or(&labels[i]).to_owned();
            view! {
                <g>
                    {parts}
                    <text class="tick" x=x + BAR / 2.0 y=HEIGHT - 6.0 text-anchor="middle">
                        {short}
                    </text>
                </g>
            }
        })
        .collect_view();
    let shown = if shown_labels.len() == labels.len() {
        shown_labels
    } else {
        labels.clone()
    };
    let rows = (0..labels.len())
        .map(|i| {
            let extra_cell = extra.as_ref().map(|(_, values)| {
                view! { <td>{values.get(i).cloned().unwrap_or_default()}</td> }
            });
            view! {
                <tr>
                    <th scope="row">{shown[i].clone()}</th>
                    {series
                        .iter()
                        .map(|s| view! { <td>{s.values.get(i).copied().unwrap_or(0)}</td> })
                        .collect_view()}
                    {extra_cell}
                </tr>
            }
        })
        .collect_view();
    let legend = series
        .iter()
        .map(|s| view! { <li><span class=format!("swatch {}", s.class)></span>{s.name.clone()}</li> })
        .collect_view();
    let headings = series
        .iter()
        .map(|s| view! { <th scope="col">{s.name.clone()}</th> })
        .collect_view();
    let extra_heading = extra
        .as_ref()
        .map(|(heading, _)| view! { <th scope="col">{heading.clone()}</th> });
    view! {
        <figure class="chart" id=id>
            <div class="picture">
                <svg
                    viewBox=format!("0 0 {width} {HEIGHT}")
                    role="img"
                    aria-labelledby=labelled_by
                    preserveAspectRatio="xMinYMid meet"
                >
                    <title id=title_id>{svg_title}</title>
                    <desc id=desc_id>{summary}</desc>
                    <line class="axis" x1=LEFT y1=HEIGHT - BOTTOM x2=width y2=HEIGHT - BOTTOM></line>
                    <text class="tick" x=LEFT - 4.0 y=14.0 text-anchor="end">{max}</text>
                    <text class="tick" x=LEFT - 4.0 y=HEIGHT - BOTTOM text-anchor="end">"0"</text>
                    {bars}
                </svg>
                <ul class="legend">{legend}</ul>
            </div>
            <div class="table-wrap" tabindex="0" role="region" aria-label=region_label>
                <table>
                    <caption>{caption}</caption>
                    <thead>
                        <tr>
                            <th scope="col">{label_heading}</th>
                            {headings}
                            {extra_heading}
                        </tr>
                    </thead>
                    <tbody>{rows}</tbody>
                </table>
            </div>
        </figure>
    }
}
