//! The programme: tiers, rewards and ways to earn, edited as the programme file itself and
//! checked by the same validation as `shop-api programme put` (the core's), with the real
//! `<lojal-badge>` showing the draft as a member and as a guest before it is saved.

use leptos::prelude::*;
use lojal::core::programme::ProgrammeConfig;
use serde_json::{Value, json};

use super::{Loading, PageTitle, Preview, Problem};
use crate::api::{self, Failure};
use crate::i18n::use_i18n;
use lojal::life::Life;

/// `GET /api/v1/admin/programme`.
#[derive(Clone, Debug, serde::Deserialize)]
struct Stored {
    revision: i64,
    programme: Value,
}

/// What an input holds: a number, a number or nothing (the key left out), or text.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Number,
    OptionalNumber,
    /// A number, or `null` when empty (`expiry_months`: never).
    NullableNumber,
    Text,
}

/// The text an input shows for the value at `pointer`.
pub fn shown(model: &Value, pointer: &str) -> String {
    match model.pointer(pointer) {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        Some(Value::Bool(b)) => b.to_string(),
        _ => String::new(),
    }
}

/// Writes what was typed at `pointer` (`/tiers/1/name`): a number where one is expected (text
/// that is no number is kept as text, so the validation names the field), nothing or `null`
/// for an empty optional one.
pub fn set(model: &mut Value, pointer: &str, kind: Kind, typed: &str) {
    let Some((parent, key)) = pointer.rsplit_once('/') else {
        return;
    };
    let typed = typed.trim();
    let number = || {
        typed
            .parse::<u64>()
            .map(Value::from)
            .ok()
            .or_else(|| {
                typed
                    .parse::<f64>()
                    .ok()
                    .and_then(|f| serde_json::Number::from_f64(f).map(Value::Number))
            })
            .unwrap_or_else(|| Value::String(typed.to_owned()))
    };
    let value = match kind {
        Kind::Text => Some(Value::String(typed.to_owned())),
        Kind::Number => Some(number()),
        Kind::OptionalNumber if typed.is_empty() => None,
        Kind::NullableNumber if typed.is_empty() => Some(Value::Null),
        Kind::OptionalNumber | Kind::NullableNumber => Some(number()),
    };
    let Some(target) = model.pointer_mut(parent) else {
        return;
    };
    match (target, value) {
        (Value::Object(map), Some(value)) => {
            map.insert(key.to_owned(), value);
        }
        (Value::Object(map), None) => {
            map.remove(key);
        }
        (Value::Array(items), Some(value)) => {
            if let Some(slot) = key.parse::<usize>().ok().and_then(|i| items.get_mut(i)) {
                *slot = value;
            }
        }
        _ => {}
    }
}

/// One labelled input bound to the value at `pointer`.
pub fn field(
    model: RwSignal<Value>,
    pointer: String,
    kind: Kind,
    label: Signal<String>,
    input_type: &'static str,
) -> impl IntoView {
    let read = pointer.clone();
    view! {
        <label class="field">
            <span>{move || label.get()}</span>
            <input
                type=input_type
                inputmode=if kind == Kind::Text { "text" } else { "decimal" }
                prop:value=move || model.with(|m| shown(m, &read))
                on:change=move |ev| {
                    let typed = event_target_value(&ev);
                    model.update(|m| set(m, &pointer, kind, &typed));
                }
            />
        </label>
    }
}

/// The validation's verdict on the draft: the programme, or every problem with its field.
fn check(model: &Value) -> Result<ProgrammeConfig, String> {
    ProgrammeConfig::from_json(&model.to_string()).map_err(|e| e.to_string())
}

/// A dummy signature the preview's badge accepts as well-formed; the preview's endpoints let
/// the session in, not the signature.
pub const PREVIEW_SIGNATURE: &str =
    "t=1,v1=0000000000000000000000000000000000000000000000000000000000000000";

#[component]
pub fn Programme() -> impl IntoView {
    // Its loads and saves end with the page: a merchant may leave before they answer.
    let life = Life::new();
    let i18n = use_i18n();
    let t = move |key: &'static str| Signal::derive(move || i18n.t(key));
    let model = RwSignal::new(Value::Null);
    let revision = RwSignal::new(0_i64);
    let load_failure = RwSignal::new(None::<Failure>);
    let loaded = RwSignal::new(false);
    let status = RwSignal::new(None::<String>);
    let failure = RwSignal::new(None::<Failure>);
    let stale = RwSignal::new(false);
    let preview = Preview::default();
    let member_points = RwSignal::new(1250_u64);
    let saving = RwSignal::new(false);

    let reload = move || {
        life.spawn(async move {
            match api::get::<Stored>("/api/v1/admin/programme").await {
                Ok(stored) => {
                    model.set(stored.programme);
                    revision.set(stored.revision);
                    stale.set(false);
                    failure.set(None);
                    loaded.set(true);
                }
                Err(e) => load_failure.set(Some(e)),
            }
        });
    };
    reload();

    let verdict = Memo::new(move |_| model.with(check));
    // The preview follows every valid draft.
    Effect::new(move |_| {
        let Ok(config) = verdict.get() else {
            return;
        };
        if !loaded.get() {
            return;
        }
        preview.store("programme", &config);
    });

    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if verdict.get_untracked().is_err() || saving.get_untracked() {
            return;
        }
        let body = model.get_untracked();
        let expected = revision.get_untracked().to_string();
        saving.set(true);
        status.set(None);
        life.spawn(async move {
            let answer = api::write::<Stored>(
                "PUT",
                "/api/v1/admin/programme",
                &body,
                &[("if-match", &expected)],
            )
            .await;
            saving.set(false);
            match answer {
                Ok(stored) => {
                    revision.set(stored.revision);
                    failure.set(None);
                    status.set(Some(
                        i18n.t("programme.saved")
                            .replace("{revision}", &stored.revision.to_string()),
                    ));
                }
                Err(e) => {
                    stale.set(e.code == "stale_programme");
                    failure.set(Some(e));
                }
            }
        });
    };

    let rows = move |list: &'static str| {
        Memo::new(move |_| model.with(|m| m[list].as_array().map_or(0, Vec::len)))
    };
    let tier_count = rows("tiers");
    let reward_count = rows("rewards");
    let way_count = rows("ways_to_earn");
    let remove = move |list: &'static str, index: usize| {
        model.update(|m| {
            if let Some(items) = m[list].as_array_mut()
                && index < items.len()
            {
                items.remove(index);
            }
        });
    };
    let add = move |list: &'static str, item: Value| {
        model.update(|m| {
            if let Some(items) = m[list].as_array_mut() {
                items.push(item);
            }
        });
    };

    let tier_rows = move || {
        (0..tier_count.get())
            .map(|i| {
                let p = move |key: &str| format!("/tiers/{i}/{key}");
                view! {
                    <fieldset class="row">
                        <legend>{move || i18n.t("programme.tier")} " " {i + 1}</legend>
                        {field(model, p("id"), Kind::Text, t("programme.id"), "text")}
                        {field(model, p("name"), Kind::Text, t("programme.name"), "text")}
                        {field(model, p("min_points"), Kind::Number, t("programme.min_points"), "text")}
                        {field(model, p("multiplier"), Kind::Number, t("programme.multiplier"), "text")}
                        <button type="button" class="secondary" on:click=move |_| remove("tiers", i)>
                            {move || i18n.t("remove")}
                        </button>
                    </fieldset>
                }
            })
            .collect_view()
    };
    let reward_rows = move || {
        (0..reward_count.get())
            .map(|i| {
                let p = move |key: &str| format!("/rewards/{i}/{key}");
                let kind_pointer = p("kind");
                let kind_read = kind_pointer.clone();
                view! {
                    <fieldset class="row">
                        <legend>{move || i18n.t("programme.reward")} " " {i + 1}</legend>
                        {field(model, p("id"), Kind::Text, t("programme.id"), "text")}
                        {field(model, p("name"), Kind::Text, t("programme.name"), "text")}
                        <label class="field">
                            <span>{move || i18n.t("programme.kind")}</span>
                            <select on:change=move |ev| {
                                let typed = event_target_value(&ev);
                                model.update(|m| set(m, &kind_pointer, Kind::Text, &typed));
                            }>
                                {["free_shipping", "fixed_amount", "percentage"]
                                    .into_iter()
                                    .map(|kind| {
                                        let read = kind_read.clone();
                                        view! {
                                            <option
                                                value=kind
                                                selected=move || model.with(|m| shown(m, &read) == kind)
                                            >
                                                {move || i18n.t(&format!("programme.kinds.{kind}"))}
                                            </option>
                                        }
                                    })
                                    .collect_view()}
                            </select>
                        </label>
                        {field(model, p("amount"), Kind::OptionalNumber, t("programme.amount"), "text")}
                        {field(model, p("cost"), Kind::Number, t("programme.cost"), "text")}
                        <button type="button" class="secondary" on:click=move |_| remove("rewards", i)>
                            {move || i18n.t("remove")}
                        </button>
                    </fieldset>
                }
            })
            .collect_view()
    };
    let way_rows = move || {
        (0..way_count.get())
            .map(|i| {
                let kind = model.with_untracked(|m| shown(m, &format!("/ways_to_earn/{i}/kind")));
                let p = move |key: &str| format!("/ways_to_earn/{i}/{key}");
                let numbers = if kind == "purchase" {
                    field(model, p("points_per_unit"), Kind::Number, t("programme.points_per_unit"), "text")
                        .into_any()
                } else {
                    field(model, p("points"), Kind::Number, t("programme.points"), "text").into_any()
                };
                view! {
                    <fieldset class="row">
                        <legend>{move || i18n.t(&format!("programme.ways.{kind}"))}</legend>
                        {numbers}
                        <button type="button" class="secondary" on:click=move |_| remove("ways_to_earn", i)>
                            {move || i18n.t("remove")}
                        </button>
                    </fieldset>
                }
            })
            .collect_view()
    };

    let badge_api = move || preview.api.get().unwrap_or_default();
    let member_id = move || format!("preview-{}", member_points.get());
    view! {
        <PageTitle key="programme.title" />
        {move || load_failure.get().map(|failure| view! { <Problem failure /> })}
        <Show when=move || loaded.get() fallback=Loading>
            <div class="editor">
                <form class="card" on:submit=save novalidate>
                    <fieldset class="row">
                        <legend>{move || i18n.t("programme.basics")}</legend>
                        {field(model, "/name".into(), Kind::Text, t("programme.programme_name"), "text")}
                        {field(model, "/currency".into(), Kind::Text, t("programme.currency"), "text")}
                        {field(model, "/pending_days".into(), Kind::Number, t("programme.pending_days"), "text")}
                        {field(model, "/expiry_months".into(), Kind::NullableNumber, t("programme.expiry_months"), "text")}
                    </fieldset>
                    <h2>{move || i18n.t("programme.tiers")}</h2>
                    {tier_rows}
                    <button
                        type="button"
                        class="secondary"
                        on:click=move |_| add("tiers", json!({"id": "", "name": "", "min_points": 0, "multiplier": 1}))
                    >
                        {move || i18n.t("programme.add_tier")}
                    </button>
                    <h2>{move || i18n.t("programme.rewards")}</h2>
                    {reward_rows}
                    <button
                        type="button"
                        class="secondary"
                        on:click=move |_| add("rewards", json!({"id": "", "name": "", "kind": "free_shipping", "cost": 100}))
                    >
                        {move || i18n.t("programme.add_reward")}
                    </button>
                    <h2>{move || i18n.t("programme.ways_to_earn")}</h2>
                    {way_rows}
                    <div class="problems" role="alert" aria-live="assertive">
                        {move || verdict.get().err().map(|problems| view! {
                            <p>{move || i18n.t("programme.invalid")}</p>
                            <ul>
                                {problems.split("; ").map(|p| view! { <li>{p.to_owned()}</li> }).collect_view()}
                            </ul>
                        })}
                    </div>
                    {move || failure.get().map(|failure| view! { <Problem failure /> })}
                    <Show when=move || stale.get()>
                        <p class="problem">{move || i18n.t("programme.stale")}</p>
                        <button type="button" class="secondary" on:click=move |_| reload()>
                            {move || i18n.t("reload")}
                        </button>
                    </Show>
                    <p role="status" class="status">{move || status.get()}</p>
                    <button type="submit" disabled=move || verdict.get().is_err() || saving.get()>
                        {move || i18n.t("save")}
                    </button>
                </form>
                <aside class="card preview" aria-labelledby="preview-heading">
                    <h2 id="preview-heading">{move || i18n.t("programme.preview")}</h2>
                    <p>{move || i18n.t("programme.preview_hint")}</p>
                    <label class="field">
                        <span>{move || i18n.t("programme.member_points")}</span>
                        <input
                            type="number"
                            min="0"
                            prop:value=move || member_points.get().to_string()
                            on:change=move |ev| {
                                if let Ok(n) = event_target_value(&ev).parse() {
                                    member_points.set(n);
                                }
                            }
                        />
                    </label>
                    {preview.problem()}
                    <Show when=move || preview.api.get().is_some()>
                        <h3>{move || i18n.t("programme.as_member")}</h3>
                        <lojal-badge
                            id="preview-member"
                            api=badge_api
                            locale=move || i18n.lang.get()
                            customer-id=member_id
                            customer-sig=PREVIEW_SIGNATURE
                        ></lojal-badge>
                        <h3>{move || i18n.t("programme.as_guest")}</h3>
                        <lojal-badge
                            id="preview-guest"
                            api=badge_api
                            locale=move || i18n.lang.get()
                        ></lojal-badge>
                    </Show>
                </aside>
            </div>
        </Show>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typed_values_land_where_the_programme_file_has_them() {
        let mut model =
            json!({ "tiers": [{ "name": "Sølv", "min_points": 500 }], "expiry_months": 12 });
        set(&mut model, "/tiers/0/min_points", Kind::Number, "750");
        set(&mut model, "/tiers/0/multiplier", Kind::Number, "1.25");
        set(&mut model, "/tiers/0/name", Kind::Text, " Gull ");
        set(&mut model, "/expiry_months", Kind::NullableNumber, "");
        set(&mut model, "/tiers/0/amount", Kind::OptionalNumber, "");
        assert_eq!(
            model,
            json!({ "tiers": [{ "name": "Gull", "min_points": 750, "multiplier": 1.25 }], "expiry_months": null })
        );
        set(&mut model, "/tiers/0/min_points", Kind::Number, "mange");
        assert_eq!(shown(&model, "/tiers/0/min_points"), "mange");
        assert_eq!(shown(&model, "/expiry_months"), "");
    }
}
