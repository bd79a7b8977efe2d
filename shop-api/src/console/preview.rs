//! Previews: a draft programme or campaign shown in the real `<lojal-badge>` and
//! `<lojal-wheel>` / `<lojal-scratch>` before it is saved. The console stores the draft
//! (validated as a save would) and points the widget's `api` attribute at
//! `/api/v1/admin/previews/{id}`, which answers the widget's own requests from the draft: the
//! programme a guest sees, a sample member's status, the campaign, and plays drawn from the
//! draft's odds that store nothing.

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use jiff::Timestamp;
use jiff::tz::TimeZone;
use lojal::core::console::PreviewCreated;
use lojal::core::games::{Campaign, CampaignConfig, PlayResult, WonPrize, draw};
use lojal::core::loyalty::{LoyaltyStatus, Program, Referral, Reward, Tier};
use lojal::core::programme::{EarnKind, ProgrammeConfig};
use serde::Deserialize;
use serde_json::Value;

use super::session::{Console, Merchant};
use crate::AppState;
use crate::calendar;
use crate::db::Conn;
use crate::error::ApiError;
use crate::games::{self, CampaignRow, OsRandom};
use crate::params;
use crate::programme::{Programme, offer};

/// How long a draft can be previewed.
const KEEP: jiff::SignedDuration = jiff::SignedDuration::from_hours(1);

/// `POST /api/v1/admin/previews` body: the draft and what it is.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewPreview {
    kind: String,
    config: Value,
}

/// Stores a validated draft; answers its id.
pub fn create(conn: &mut Conn, preview: &NewPreview, now: Timestamp) -> Result<String, ApiError> {
    let json = preview.config.to_string();
    match preview.kind.as_str() {
        "programme" => {
            ProgrammeConfig::from_json(&json).map_err(|e| ApiError::InvalidBody(e.to_string()))?;
        }
        "campaign" => {
            super::admin::validate_console_campaign(&json)?;
        }
        _ => {
            return Err(ApiError::InvalidBody(
                "kind must be programme or campaign".into(),
            ));
        }
    }
    let mut id = [0u8; 16];
    getrandom::fill(&mut id).expect("the OS random source is available");
    let id = hex::encode(id);
    let since = calendar::text(now.saturating_sub(KEEP).unwrap_or(now));
    conn.execute(
        "DELETE FROM console_previews WHERE created_at <= ?1",
        &params![since],
    )?;
    conn.execute(
        "INSERT INTO console_previews (id, kind, config, created_at) VALUES (?1, ?2, ?3, ?4)",
        &params![&id, &preview.kind, json, calendar::text(now)],
    )?;
    Ok(id)
}

/// `POST /api/v1/admin/previews`: 201 with where the widget reads the draft.
pub async fn post(
    State(state): State<AppState>,
    _merchant: Merchant,
    body: Result<Json<NewPreview>, JsonRejection>,
) -> Result<(axum::http::StatusCode, Json<PreviewCreated>), ApiError> {
    let Json(preview) = body?;
    let id = state
        .db
        .run(move |conn| create(conn, &preview, calendar::now()))
        .await?;
    Ok((
        axum::http::StatusCode::CREATED,
        Json(PreviewCreated {
            api: format!("/api/v1/admin/previews/{id}"),
            id,
        }),
    ))
}

fn draft(conn: &mut Conn, id: &str, kind: &str) -> Result<String, ApiError> {
    let since = calendar::text(
        calendar::now()
            .saturating_sub(KEEP)
            .unwrap_or(calendar::now()),
    );
    conn.query_opt(
        "SELECT config FROM console_previews WHERE id = ?1 AND kind = ?2 AND created_at > ?3",
        &params![id, kind, since],
    )?
    .map(|row| row.get(0))
    .transpose()?
    .ok_or(ApiError::UnknownPreview)
}

fn programme_draft(conn: &mut Conn, id: &str) -> Result<Programme, ApiError> {
    let config = ProgrammeConfig::from_json(&draft(conn, id, "programme")?)
        .map_err(|e| ApiError::Internal(format!("a stored preview is invalid: {e}")))?;
    Ok(Programme {
        config,
        zone: TimeZone::UTC,
        revision: 0,
    })
}

/// What a guest is offered under the draft.
pub fn program(programme: &Programme) -> Program {
    let config = &programme.config;
    Program {
        name: config.name.clone(),
        signup_bonus: config.points_for(EarnKind::Signup),
        signup_url: config.signup_url.clone(),
        tiers: tiers(config),
        ways_to_earn: programme.ways_to_earn(),
        currency: Some(config.currency.clone()),
    }
}

fn tiers(config: &ProgrammeConfig) -> Vec<Tier> {
    let mut tiers: Vec<Tier> = config
        .tiers
        .iter()
        .map(|t| Tier {
            id: t.id.clone(),
            name: t.name.clone(),
            min_points: t.min_points,
        })
        .collect();
    tiers.sort_by_key(|t| t.min_points);
    tiers
}

/// A sample member with `points` (spendable and qualifying) under the draft.
pub fn member(programme: &Programme, customer_id: &str, points: u64) -> LoyaltyStatus {
    let config = &programme.config;
    let tiers = tiers(config);
    let tier = tiers
        .iter()
        .rev()
        .find(|t| t.min_points <= points)
        .or(tiers.first())
        .cloned()
        .unwrap_or(Tier {
            id: String::new(),
            name: String::new(),
            min_points: 0,
        });
    let next_tier = tiers.iter().find(|t| t.min_points > points).cloned();
    let mut rewards: Vec<Reward> = config
        .rewards
        .iter()
        .map(|r| Reward {
            id: r.id.clone(),
            name: r.name.clone(),
            cost: r.cost,
        })
        .collect();
    rewards.sort_by(|a, b| a.cost.cmp(&b.cost).then(a.id.cmp(&b.id)));
    LoyaltyStatus {
        customer_id: customer_id.to_owned(),
        first_name: None,
        points,
        tier_points: points,
        points_to_next: next_tier.as_ref().map_or(0, |n| n.min_points - points),
        tier,
        next_tier,
        rewards,
        pending_points: 0,
        pending_until: None,
        expiring: None,
        activity: Vec::new(),
        ways_to_earn: programme.ways_to_earn(),
        currency: Some(config.currency.clone()),
        birthday: None,
        birthday_points: config.points_for(EarnKind::Birthday),
        referral: config.way(EarnKind::Referral).and_then(|way| {
            Some(Referral {
                code: "PREVIEW".into(),
                points: way.points.unwrap_or(0),
                friend_reward: offer(way.friend_reward.as_ref()?),
                min_order: way.min_order.unwrap_or(0),
                converted: 0,
            })
        }),
        coupons: Vec::new(),
    }
}

/// The sample member's points: the number that ends the customer id the preview's badge was
/// given (`preview-1250` has 1 250), or 0.
pub fn sample_points(customer_id: &str) -> u64 {
    customer_id
        .rsplit('-')
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

/// `GET /api/v1/admin/previews/{id}/loyalty/program`.
pub async fn loyalty_program(
    State(state): State<AppState>,
    _console: Console,
    Path(id): Path<String>,
) -> Result<Json<Program>, ApiError> {
    state
        .db
        .run(move |conn| Ok(Json(program(&programme_draft(conn, &id)?))))
        .await
}

/// `GET /api/v1/admin/previews/{id}/loyalty/{customer_id}`: the badge's member request (its
/// signature is not checked: the session is what lets it in).
pub async fn loyalty_status(
    State(state): State<AppState>,
    _console: Console,
    Path((id, customer_id)): Path<(String, String)>,
) -> Result<Json<LoyaltyStatus>, ApiError> {
    state
        .db
        .run(move |conn| {
            let programme = programme_draft(conn, &id)?;
            Ok(Json(member(
                &programme,
                &customer_id,
                sample_points(&customer_id),
            )))
        })
        .await
}

fn campaign_draft(conn: &mut Conn, id: &str, campaign_id: &str) -> Result<CampaignRow, ApiError> {
    let config: CampaignConfig = serde_json::from_str(&draft(conn, id, "campaign")?)
        .map_err(|e| ApiError::Internal(format!("a stored preview is invalid: {e}")))?;
    if config.id != campaign_id {
        return Err(ApiError::UnknownCampaign);
    }
    let now = games::now(conn)?;
    Ok(CampaignRow {
        // A draft is shown as if it ran now, whatever its window.
        starts_at: config
            .starts_at
            .clone()
            .filter(|s| *s <= now)
            .unwrap_or(now),
        config: CampaignConfig {
            ends_at: None,
            ..config
        },
    })
}

/// `GET /api/v1/admin/previews/{id}/campaigns/{campaign_id}`.
pub async fn campaign(
    State(state): State<AppState>,
    _console: Console,
    Path((id, campaign_id)): Path<(String, String)>,
) -> Result<Json<Campaign>, ApiError> {
    state
        .db
        .run(move |conn| {
            let row = campaign_draft(conn, &id, &campaign_id)?;
            let now = games::now(conn)?;
            Ok(Json(games::public_campaign(&row, &now, None)))
        })
        .await
}

/// `POST /api/v1/admin/previews/{id}/campaigns/{campaign_id}/play`: a draw from the draft's
/// odds, with a sample code; nothing is stored, so it needs no CSRF token.
pub async fn play(
    State(state): State<AppState>,
    _console: Console,
    Path((id, campaign_id)): Path<(String, String)>,
) -> Result<Json<PlayResult>, ApiError> {
    state
        .db
        .run(move |conn| {
            let row = campaign_draft(conn, &id, &campaign_id)?;
            let now = games::now(conn)?;
            let config = &row.config;
            let index = draw(&config.draw_segments(), &mut OsRandom)
                .map_err(|e| ApiError::Internal(format!("preview {campaign_id}: {e}")))?;
            let segment = &config.segments[index];
            Ok(Json(PlayResult {
                campaign_id: campaign_id.clone(),
                segment_index: index,
                label: segment.label.clone(),
                prize: segment.prize.as_ref().map(|name| WonPrize {
                    name: name.clone(),
                    code: "PREVIEW-0000".into(),
                    expires_at: now.clone(),
                    status: "active".into(),
                    ticket: None,
                }),
                played_at: now.clone(),
                // The preview may be played again at once.
                next_play_at: now,
            }))
        })
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sample_member_is_placed_in_the_drafts_tiers() {
        let config = ProgrammeConfig::from_json(crate::programme::DEMO).unwrap();
        let programme = Programme {
            config,
            zone: TimeZone::UTC,
            revision: 0,
        };
        let status = member(&programme, "preview-1250", sample_points("preview-1250"));
        assert_eq!(status.points, 1250);
        assert_eq!(status.tier.name, "Sølv");
        assert_eq!(
            status.next_tier.as_ref().map(|t| t.name.as_str()),
            Some("Gull")
        );
        assert_eq!(status.points_to_next, 250);
        assert_eq!(status.rewards.first().map(|r| r.cost), Some(300));
        assert_eq!(sample_points("preview"), 0);
        assert_eq!(member(&programme, "x", 0).tier.name, "Bronse");
    }
}
