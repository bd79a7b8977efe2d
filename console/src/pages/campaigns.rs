//! Campaigns: the list, and the editor for a wheel or a scratch card with its segments, chances
//! in percent that must add up to 100 %, stock, window, period and consent text, checked by the
//! same rules as the server's, a live preview in the real `<lojal-wheel>` / `<lojal-scratch>`,
//! and what saving changes for a campaign shoppers are already playing.

use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::{use_navigate, use_params_map};
use lojal::core::console::{CampaignListItem, CampaignRecord, ODDS_TOTAL, running_change_notes};
use lojal::core::games::{CampaignConfig, CampaignState};
use serde_json::{Value, json};

use super::programme::{Kind, PREVIEW_SIGNATURE, field, set, shown};
use super::{Loading, PageTitle, Preview, Problem};
use crate::api::{self, Failure};
use crate::i18n::{I18n, use_i18n};
use lojal::life::Life;

fn state_key(state: CampaignState) -> &'static str {
    match state {
        CampaignState::Upcoming => "campaigns.states.upcoming",
        CampaignState::Active => "campaigns.states.active",
        CampaignState::Over => "campaigns.states.over",
    }
}

#[component]
pub fn CampaignList() -> impl IntoView {
    let i18n = use_i18n();
    let list = LocalResource::new(|| api::get::<Vec<CampaignListItem>>("/api/v1/admin/campaigns"));
    let t = move |key: &'static str| move || i18n.t(key);
    view! {
        <PageTitle key="campaigns.title" />
        <p><A href="/console/campaigns/new" attr:class="button">{t("campaigns.new")}</A></p>
        <Transition fallback=Loading>
            {move || list.get().map(|result| match result {
                Ok(items) => view! {
                    <div class="table-wrap" tabindex="0" role="region" aria-label=t("campaigns.title")>
                        <table>
                            <thead>
                                <tr>
                                    <th scope="col">{t("campaigns.name")}</th>
                                    <th scope="col">{t("campaigns.game")}</th>
                                    <th scope="col">{t("campaigns.state")}</th>
                                    <th scope="col">{t("overview.plays")}</th>
                                    <th scope="col">{t("overview.prizes")}</th>
                                </tr>
                            </thead>
                            <tbody>
                                {items.into_iter().map(|c| view! {
                                    <tr>
                                        <th scope="row">
                                            <A href=format!("/console/campaigns/{}", c.id)>{c.name.clone()}</A>
                                        </th>
                                        <td>{move || i18n.t(&format!("campaigns.games.{}", c.game.as_str()))}</td>
                                        <td>{move || i18n.t(state_key(c.state))}</td>
                                        <td>{c.plays}</td>
                                        <td>{c.prizes}</td>
                                    </tr>
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

/// A new campaign's starting point: a wheel with a "no prize" segment and one prize.
fn template() -> Value {
    json!({
        "id": "", "name": "", "game": "wheel", "play_every_seconds": 86400,
        "coupon_valid_days": 30, "guest_email": false, "disclose_odds": true,
        "segments": [
            { "label": "Prøv igjen", "color": "#e8e1d4", "weight": 5000, "fallback": true },
            { "label": "10 %", "color": "#0b6e4f", "weight": 5000, "prize": "10 % rabatt" }
        ]
    })
}

/// A UTC instant (`2026-12-01T09:00:00Z`) as a `datetime-local` input shows it, in the browser's
/// time zone.
fn local_input(utc: &str) -> String {
    let date = js_sys::Date::new(&wasm_bindgen::JsValue::from_str(utc));
    if utc.is_empty() || date.get_time().is_nan() {
        return String::new();
    }
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}",
        date.get_full_year(),
        date.get_month() + 1,
        date.get_date(),
        date.get_hours(),
        date.get_minutes()
    )
}

/// What a `datetime-local` input holds, as the API's UTC instant; empty stays empty.
fn utc_from_local(local: &str) -> String {
    let date = js_sys::Date::new(&wasm_bindgen::JsValue::from_str(local));
    if local.is_empty() || date.get_time().is_nan() {
        return String::new();
    }
    date.to_iso_string()
        .as_string()
        .map(|iso| format!("{}Z", &iso[..19]))
        .unwrap_or_default()
}

/// A chance in percent (`12.5`) as the weight the API takes (hundredths of a percent); what is
/// no number is kept as typed, for the validation to name.
fn set_chance(model: &mut Value, index: usize, typed: &str) {
    let weight = typed
        .trim()
        .replace(',', ".")
        .parse::<f64>()
        .ok()
        .filter(|p| p.is_finite() && *p >= 0.0 && *p <= 100.0)
        .map(|p| Value::from((p * 100.0).round() as u64))
        .unwrap_or_else(|| Value::String(typed.to_owned()));
    if let Some(segment) = model["segments"].get_mut(index) {
        segment["weight"] = weight;
    }
}

fn chance_shown(model: &Value, index: usize) -> String {
    match &model["segments"][index]["weight"] {
        Value::Number(n) => n
            .as_u64()
            .map(|w| {
                let whole = w / 100;
                match w % 100 {
                    0 => whole.to_string(),
                    r if r % 10 == 0 => format!("{whole}.{}", r / 10),
                    r => format!("{whole}.{r:02}"),
                }
            })
            .unwrap_or_default(),
        Value::String(s) => s.clone(),
        _ => String::new(),
    }
}

/// The sum of the chances in hundredths of a percent, if every one is a number.
fn odds_total(model: &Value) -> Option<u64> {
    model["segments"]
        .as_array()?
        .iter()
        .map(|s| s["weight"].as_u64())
        .sum()
}

fn percent(i18n: I18n, hundredths: u64) -> String {
    format!("{} %", i18n.number(hundredths as f64 / 100.0))
}

/// Every problem with the draft, in the merchant's language where the console knows the rule.
fn problems(i18n: I18n, model: &Value) -> Vec<String> {
    let mut found = Vec::new();
    match odds_total(model) {
        Some(total) if total != ODDS_TOTAL => {
            let key = if total < ODDS_TOTAL {
                "campaigns.odds_short"
            } else {
                "campaigns.odds_over"
            };
            found.push(
                i18n.t(key)
                    .replace("{total}", &percent(i18n, total))
                    .replace("{difference}", &percent(i18n, total.abs_diff(ODDS_TOTAL))),
            );
        }
        None => found.push(i18n.t("campaigns.odds_numbers")),
        _ => {}
    }
    if let Err(e) = CampaignConfig::from_json(&model.to_string()) {
        found.push(e.to_string());
    }
    found
}

#[component]
pub fn CampaignEditor() -> impl IntoView {
    // Its loads and saves end with the page: a merchant may leave before they answer.
    let life = Life::new();
    let i18n = use_i18n();
    let params = use_params_map();
    let navigate = use_navigate();
    let t = move |key: &'static str| Signal::derive(move || i18n.t(key));
    let model = RwSignal::new(Value::Null);
    let record = RwSignal::new(None::<CampaignRecord>);
    let is_new = Memo::new(move |_| params.read().get("id").as_deref() == Some("new"));
    let loaded = RwSignal::new(false);
    let load_failure = RwSignal::new(None::<Failure>);
    let failure = RwSignal::new(None::<Failure>);
    let stale = RwSignal::new(false);
    let status = RwSignal::new(None::<String>);
    let preview = Preview::default();
    let summary = NodeRef::<leptos::html::Div>::new();

    let reload = move || {
        let id = params.get_untracked().get("id").unwrap_or_default();
        if id == "new" {
            model.set(template());
            record.set(None);
            loaded.set(true);
            return;
        }
        life.spawn(async move {
            match api::get::<CampaignRecord>(&format!("/api/v1/admin/campaigns/{id}")).await {
                Ok(found) => {
                    let mut config = serde_json::to_value(&found.campaign).unwrap_or(Value::Null);
                    // Any campaign, also one saved with relative weights by the CLI, shows as
                    // chances that add up to 100 %.
                    let weights: Vec<u32> =
                        found.campaign.segments.iter().map(|s| s.weight).collect();
                    for (i, odds) in lojal::core::console::weights_as_odds(&weights)
                        .into_iter()
                        .enumerate()
                    {
                        config["segments"][i]["weight"] = Value::from(odds);
                    }
                    model.set(config);
                    record.set(Some(found));
                    stale.set(false);
                    failure.set(None);
                    loaded.set(true);
                }
                Err(e) => load_failure.set(Some(e)),
            }
        });
    };
    Effect::new(move |_| {
        params.track();
        reload();
    });

    let found = Memo::new(move |_| model.with(|m| problems(i18n, m)));
    let valid = Memo::new(move |_| found.with(Vec::is_empty));
    Effect::new(move |_| {
        if !valid.get() || !loaded.get() {
            return;
        }
        preview.store("campaign", &model.get());
    });

    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if !valid.get_untracked() {
            if let Some(summary) = summary.get_untracked() {
                let _ = summary.focus();
            }
            return;
        }
        let body = model.get_untracked();
        let id = shown(&body, "/id");
        let header = match record.get_untracked() {
            Some(r) => ("if-match", r.revision.to_string()),
            None => ("if-none-match", "*".to_owned()),
        };
        let navigate = navigate.clone();
        status.set(None);
        life.spawn(async move {
            let path = format!("/api/v1/admin/campaigns/{id}");
            match api::write::<CampaignRecord>("PUT", &path, &body, &[(header.0, &header.1)]).await
            {
                Ok(saved) => {
                    let revision = saved.revision;
                    let was_new = record.get_untracked().is_none();
                    record.set(Some(saved));
                    failure.set(None);
                    status.set(Some(
                        i18n.t("campaigns.saved")
                            .replace("{revision}", &revision.to_string()),
                    ));
                    if was_new {
                        navigate(&format!("/console/campaigns/{id}"), Default::default());
                    }
                }
                Err(e) => {
                    stale.set(e.code == "stale_campaign");
                    failure.set(Some(e));
                }
            }
        });
    };

    let segment_count =
        Memo::new(move |_| model.with(|m| m["segments"].as_array().map_or(0, Vec::len)));
    let segment_rows = move || {
        (0..segment_count.get())
            .map(|i| {
                let p = move |key: &str| format!("/segments/{i}/{key}");
                let color_pointer = p("color");
                let color_read = color_pointer.clone();
                view! {
                    <fieldset class="row segment">
                        <legend>{move || i18n.t("campaigns.segment")} " " {i + 1}</legend>
                        {field(model, p("label"), Kind::Text, t("campaigns.label"), "text")}
                        <label class="field">
                            <span>{move || i18n.t("campaigns.chance")}</span>
                            <input
                                type="text"
                                inputmode="decimal"
                                class="chance"
                                prop:value=move || model.with(|m| chance_shown(m, i))
                                on:change=move |ev| {
                                    let typed = event_target_value(&ev);
                                    model.update(|m| set_chance(m, i, &typed));
                                }
                            />
                        </label>
                        {field(model, p("prize"), Kind::Text, t("campaigns.prize"), "text")}
                        {field(model, p("stock"), Kind::OptionalNumber, t("campaigns.stock"), "text")}
                        <label class="field">
                            <span>{move || i18n.t("campaigns.color")}</span>
                            <input
                                type="color"
                                prop:value=move || model.with(|m| shown(m, &color_read))
                                on:change=move |ev| {
                                    let typed = event_target_value(&ev);
                                    model.update(|m| set(m, &color_pointer, Kind::Text, &typed));
                                }
                            />
                        </label>
                        <label class="check">
                            <input
                                type="radio"
                                name="fallback"
                                prop:checked=move || model.with(|m| m["segments"][i]["fallback"] == json!(true))
                                on:change=move |_| model.update(|m| {
                                    if let Some(segments) = m["segments"].as_array_mut() {
                                        for (j, s) in segments.iter_mut().enumerate() {
                                            s["fallback"] = json!(j == i);
                                            if j == i && let Some(map) = s.as_object_mut() {
                                                map.remove("prize");
                                                map.remove("stock");
                                            }
                                        }
                                    }
                                })
                            />
                            {move || i18n.t("campaigns.fallback")}
                        </label>
                        <button type="button" class="secondary" on:click=move |_| model.update(|m| {
                            if let Some(segments) = m["segments"].as_array_mut() && i < segments.len() {
                                segments.remove(i);
                            }
                        })>
                            {move || i18n.t("remove")}
                        </button>
                    </fieldset>
                }
            })
            .collect_view()
    };
    // Text fields that are left out of the campaign when emptied.
    let optional_text = move |pointer: &'static str, key: &'static str, multiline: bool| {
        let write = move |typed: String| {
            model.update(|m| {
                if let Some(map) = m.as_object_mut() {
                    if typed.trim().is_empty() {
                        map.remove(&pointer[1..]);
                    } else {
                        map.insert(pointer[1..].to_owned(), Value::String(typed));
                    }
                }
            })
        };
        let input = if multiline {
            view! {
                <textarea
                    rows="3"
                    prop:value=move || model.with(|m| shown(m, pointer))
                    on:change=move |ev| write(event_target_value(&ev))
                ></textarea>
            }
            .into_any()
        } else {
            view! {
                <input
                    type="text"
                    prop:value=move || model.with(|m| shown(m, pointer))
                    on:change=move |ev| write(event_target_value(&ev))
                />
            }
            .into_any()
        };
        view! {
            <label class="field wide">
                <span>{move || i18n.t(key)}</span>
                {input}
            </label>
        }
    };
    let flag = move |key_in_json: &'static str, key: &'static str| {
        view! {
            <label class="check">
                <input
                    type="checkbox"
                    prop:checked=move || model.with(|m| m[key_in_json] == json!(true))
                    on:change=move |ev| {
                        let on = event_target_checked(&ev);
                        model.update(|m| m[key_in_json] = json!(on));
                    }
                />
                {move || i18n.t(key)}
            </label>
        }
    };
    let window_field = move |key_in_json: &'static str, key: &'static str| {
        view! {
            <label class="field">
                <span>{move || i18n.t(key)}</span>
                <input
                    type="datetime-local"
                    prop:value=move || model.with(|m| local_input(&shown(m, &format!("/{key_in_json}"))))
                    on:change=move |ev| {
                        let utc = utc_from_local(&event_target_value(&ev));
                        model.update(|m| {
                            if let Some(map) = m.as_object_mut() {
                                if utc.is_empty() {
                                    map.remove(key_in_json);
                                } else {
                                    map.insert(key_in_json.to_owned(), Value::String(utc));
                                }
                            }
                        });
                    }
                />
            </label>
        }
    };
    let running_notes = move || {
        let record = record.get()?;
        (record.state == CampaignState::Active).then(|| {
            let current: Option<CampaignConfig> =
                model.with(|m| serde_json::from_value(m.clone()).ok());
            let notes = current
                .map(|c| running_change_notes(&record.campaign, &c))
                .unwrap_or_default();
            view! {
                <div class="notice" role="note">
                    <p>
                        {move || i18n.t("campaigns.running")
                            .replace("{plays}", &record.plays.to_string())
                            .replace("{prizes}", &record.prizes.to_string())}
                    </p>
                    <ul>
                        {notes.into_iter().map(|note| view! {
                            <li>{move || i18n.t(&format!("campaigns.changes.{note}"))}</li>
                        }).collect_view()}
                    </ul>
                </div>
            }
        })
    };
    let game = Memo::new(move |_| model.with(|m| shown(m, "/game")));
    let campaign_id = Memo::new(move |_| model.with(|m| shown(m, "/id")));
    let preview_widget = move || {
        let api = preview.api.get()?;
        let id = campaign_id.get();
        let lang = i18n.lang.get();
        Some(if game.get() == "scratch" {
            view! {
                <lojal-scratch id="preview-game" campaign=id api=api locale=lang customer-id="preview" customer-sig=PREVIEW_SIGNATURE></lojal-scratch>
            }
            .into_any()
        } else {
            view! {
                <lojal-wheel id="preview-game" campaign=id api=api locale=lang customer-id="preview" customer-sig=PREVIEW_SIGNATURE></lojal-wheel>
            }
            .into_any()
        })
    };
    let total_shown = move || {
        model.with(|m| {
            odds_total(m)
                .map(|total| percent(i18n, total))
                .unwrap_or_else(|| "–".into())
        })
    };

    view! {
        <PageTitle key="campaigns.editor" />
        <p><A href="/console/campaigns">{move || i18n.t("campaigns.back")}</A></p>
        {move || load_failure.get().map(|failure| view! { <Problem failure /> })}
        <Show when=move || loaded.get() fallback=Loading>
            <div class="editor">
                <form class="card" on:submit=save.clone() novalidate>
                    {running_notes}
                    <fieldset class="row">
                        <legend>{move || i18n.t("campaigns.basics")}</legend>
                        <Show when=move || is_new.get()>
                            {field(model, "/id".into(), Kind::Text, t("campaigns.id"), "text")}
                        </Show>
                        {field(model, "/name".into(), Kind::Text, t("campaigns.name"), "text")}
                        <label class="field">
                            <span>{move || i18n.t("campaigns.game")}</span>
                            <select on:change=move |ev| {
                                let typed = event_target_value(&ev);
                                model.update(|m| m["game"] = Value::String(typed));
                            }>
                                <option value="wheel" selected=move || game.get() == "wheel">
                                    {move || i18n.t("campaigns.games.wheel")}
                                </option>
                                <option value="scratch" selected=move || game.get() == "scratch">
                                    {move || i18n.t("campaigns.games.scratch")}
                                </option>
                            </select>
                        </label>
                        {window_field("starts_at", "campaigns.starts_at")}
                        {window_field("ends_at", "campaigns.ends_at")}
                        {field(model, "/play_every_seconds".into(), Kind::Number, t("campaigns.period"), "text")}
                        {field(model, "/coupon_valid_days".into(), Kind::Number, t("campaigns.coupon_days"), "text")}
                        {flag("guest_email", "campaigns.guest_email")}
                        {flag("disclose_odds", "campaigns.disclose_odds")}
                        {optional_text("/consent_text", "campaigns.consent_text", true)}
                        {optional_text("/rules_url", "campaigns.rules_url", false)}
                    </fieldset>
                    <h2>{move || i18n.t("campaigns.segments")}</h2>
                    <p class="sum" aria-live="polite">
                        {move || i18n.t("campaigns.sum")} ": " <strong data-testid="odds-total">{total_shown}</strong>
                    </p>
                    {segment_rows}
                    <button type="button" class="secondary" on:click=move |_| model.update(|m| {
                        if let Some(segments) = m["segments"].as_array_mut() {
                            segments.push(json!({ "label": "", "color": "#24486b", "weight": 0, "prize": "" }));
                        }
                    })>
                        {move || i18n.t("campaigns.add_segment")}
                    </button>
                    <div class="problems" role="alert" tabindex="-1" node_ref=summary>
                        {move || {
                            let found = found.get();
                            (!found.is_empty()).then(|| view! {
                                <p>{move || i18n.t("campaigns.invalid")}</p>
                                <ul>{found.into_iter().map(|p| view! { <li>{p}</li> }).collect_view()}</ul>
                            })
                        }}
                    </div>
                    {move || failure.get().map(|failure| view! { <Problem failure /> })}
                    <Show when=move || stale.get()>
                        <p class="problem">{move || i18n.t("campaigns.stale")}</p>
                        <button type="button" class="secondary" on:click=move |_| reload()>
                            {move || i18n.t("reload")}
                        </button>
                    </Show>
                    <p role="status" class="status">{move || status.get()}</p>
                    <button type="submit">{move || i18n.t("save")}</button>
                </form>
                <aside class="card preview" aria-labelledby="game-preview-heading">
                    <h2 id="game-preview-heading">{move || i18n.t("campaigns.preview")}</h2>
                    <p>{move || i18n.t("campaigns.preview_hint")}</p>
                    {preview.problem()}
                    {preview_widget}
                </aside>
            </div>
        </Show>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chances_typed_in_percent_become_hundredths_and_back() {
        let mut model = template();
        set_chance(&mut model, 0, "12,5");
        assert_eq!(model["segments"][0]["weight"], 1250);
        assert_eq!(chance_shown(&model, 0), "12.5");
        set_chance(&mut model, 0, "33.33");
        assert_eq!(chance_shown(&model, 0), "33.33");
        set_chance(&mut model, 1, "66.67");
        assert_eq!(odds_total(&model), Some(10_000));
        set_chance(&mut model, 1, "mye");
        assert_eq!(odds_total(&model), None);
        set_chance(&mut model, 1, "101");
        assert_eq!(model["segments"][1]["weight"], "101");
    }
}
