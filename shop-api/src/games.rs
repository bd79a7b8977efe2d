//! `/api/v1/campaigns`: reward games. The server decides every prize: it draws the segment from
//! the merchant's weights with the OS's CSPRNG, and records the play, the stock and the coupon
//! in one transaction (`BEGIN IMMEDIATE` on SQLite; on PostgreSQL, locks on the player and,
//! shared, on the campaign, so that plays of different shoppers run side by side and a merchant's
//! edit waits for them). The widget only shows what it was told.

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use lojal::core::games::{
    Campaign, CampaignConfig, CampaignState, DrawSegment, Game, PlayRequest, PlayResult,
    PublicSegment, RandomSource, SegmentOdds, WonPrize, chances, draw, normalize_email, parse_utc,
};
use serde::Deserialize;

use crate::AppState;
use crate::coupon;
use crate::db::{Conn, DbError, Row};
use crate::error::ApiError;
use crate::loyalty::{authenticate, idempotency_key};
use crate::params;

/// The database's clock in the API's one timestamp form (PostgreSQL gets an SQLite-compatible
/// `strftime` from `migrations/postgres/prelude.sql`).
const NOW: &str = "strftime('%Y-%m-%dT%H:%M:%SZ', 'now')";

/// The operating system's CSPRNG (getrandom): what every real draw uses.
pub struct OsRandom;

impl RandomSource for OsRandom {
    fn next_u64(&mut self) -> u64 {
        getrandom::u64().expect("the OS random source is available")
    }
}

/// Who plays: a customer whose id the shop signed, or a guest known by an email address.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Player {
    Customer(String),
    Guest(String),
}

impl Player {
    /// The key plays and coupons are bound to.
    pub fn key(&self) -> String {
        match self {
            Self::Customer(id) => format!("customer:{id}"),
            Self::Guest(email) => format!("email:{email}"),
        }
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct CampaignQuery {
    /// With the `x-lojal-signature` header: also answer when this customer may play next.
    pub customer_id: Option<String>,
}

pub(crate) struct CampaignRow {
    pub(crate) config: CampaignConfig,
    pub(crate) starts_at: String,
}

/// `GET /api/v1/campaigns/{id}`: what every shopper may see, plus the odds when the campaign
/// discloses them, plus `next_play_at` for a signed customer who asks and must wait.
pub async fn campaign(
    State(state): State<AppState>,
    Path(campaign_id): Path<String>,
    Query(query): Query<CampaignQuery>,
    headers: HeaderMap,
) -> Result<Json<Campaign>, ApiError> {
    let player = match query.customer_id.filter(|id| !id.is_empty()) {
        Some(id) => {
            authenticate(&state, &id, &headers)?;
            Some(Player::Customer(id))
        }
        None => None,
    };
    state
        .db
        .run(move |conn| {
            let now = now(conn)?;
            let row = load_campaign(conn, &campaign_id)?.ok_or(ApiError::UnknownCampaign)?;
            let next_play_at = match &player {
                Some(player) => next_play_at(conn, &campaign_id, player, &now)?,
                None => None,
            };
            Ok(Json(public_campaign(&row, &now, next_play_at)))
        })
        .await
}

/// `POST /api/v1/campaigns/{id}/play`.
pub async fn play(
    State(state): State<AppState>,
    Path(campaign_id): Path<String>,
    headers: HeaderMap,
    body: Result<Json<PlayRequest>, JsonRejection>,
) -> Result<Json<PlayResult>, ApiError> {
    let Json(request) = body?;
    let player = match (&request.customer_id, &request.email) {
        (Some(id), None) => {
            // Checked in constant time before anything is looked up.
            authenticate(&state, id, &headers)?;
            if id.is_empty() || id.len() > 128 || id.chars().any(char::is_control) {
                return Err(ApiError::InvalidBody(
                    "customer_id must be 1 to 128 characters".into(),
                ));
            }
            Player::Customer(id.clone())
        }
        (None, Some(email)) => Player::Guest(normalize_email(email).ok_or(ApiError::InvalidEmail)?),
        _ => {
            return Err(ApiError::InvalidBody(
                "send either customer_id (with x-lojal-signature) or a guest's email".into(),
            ));
        }
    };
    let key = idempotency_key(&headers)?.ok_or(ApiError::InvalidIdempotencyKey)?;
    let consent = Consent {
        given: request.marketing_consent,
        text: request.consent_text,
    };
    let provider = state.provider.clone();
    state
        .db
        .write(move |conn| {
            play_in_transaction(
                conn,
                &provider,
                &campaign_id,
                &player,
                &key,
                &consent,
                &mut OsRandom,
            )
        })
        .await
        .map(Json)
}

/// A guest's marketing consent as the play request gives it.
#[derive(Debug, Default)]
pub struct Consent {
    /// The checkbox was ticked.
    pub given: bool,
    /// The text next to it, as the widget showed it.
    pub text: Option<String>,
}

/// One play: the idempotency check, the campaign's window, the shopper's period, the draw, the
/// stock, the coupon and the play row, committed together or not at all.
#[allow(clippy::too_many_arguments)]
pub fn play_in_transaction(
    conn: &mut Conn,
    provider: &crate::providers::Provider,
    campaign_id: &str,
    player: &Player,
    idempotency_key: &str,
    consent: &Consent,
    rng: &mut impl RandomSource,
) -> Result<PlayResult, ApiError> {
    // Locked before anything is read, whichever API process they reach: the player, so that
    // two plays of hers cannot both see the old period or idempotency key; the campaign shared,
    // so that an edit (which takes it whole) cannot change its segments under a play. The last
    // prize is decided by the stock update itself, below.
    let mut tx = conn.transaction()?;
    let player_key = player.key();
    tx.lock_key_shared(&campaign_lock(campaign_id))?;
    tx.lock_key(&format!("play:{campaign_id}:{player_key}"))?;

    if let Some(earlier) = replay(&mut tx, campaign_id, &player_key, idempotency_key)? {
        return Ok(earlier);
    }

    let now = now(&mut tx)?;
    let mut row = load_campaign(&mut tx, campaign_id)?.ok_or(ApiError::UnknownCampaign)?;
    match state_at(&row, &now) {
        CampaignState::Upcoming => {
            return Err(ApiError::CampaignNotStarted {
                starts_at: row.starts_at,
            });
        }
        CampaignState::Over => return Err(ApiError::CampaignOver),
        CampaignState::Active => {}
    }
    let config = &row.config;
    if matches!(player, Player::Guest(_)) && !config.guest_email {
        return Err(ApiError::GuestsNotAllowed);
    }
    // A consent counts for the text she read: one the merchant has since changed is refused
    // before anything is drawn, so she can read the new one and play then.
    let consent_given =
        matches!(player, Player::Guest(_)) && consent.given && config.consent_text.is_some();
    if consent_given && consent.text.as_deref() != config.consent_text.as_deref() {
        return Err(match consent.text {
            None => ApiError::InvalidBody(
                "marketing_consent needs consent_text: the text the shopper agreed to".into(),
            ),
            Some(_) => ApiError::ConsentTextChanged,
        });
    }
    if let Some(next) = next_play_at(&mut tx, campaign_id, player, &now)? {
        let retry_after_secs = match (parse_utc(&next), parse_utc(&now)) {
            (Some(next), Some(now)) => (next - now).max(1) as u64,
            _ => config.play_every_seconds,
        };
        return Err(ApiError::AlreadyPlayed {
            next_play_at: next,
            retry_after_secs,
        });
    }

    // On PostgreSQL another shopper's play may take a segment's last prize between the load and
    // the update; then the draw is made again from what is left. Each retry follows a segment
    // running out, so there are never more than it has segments.
    let mut index = None;
    for _ in 0..=row.config.segments.len() {
        let drawn = draw(&row.config.draw_segments(), rng)
            .map_err(|e| ApiError::Internal(format!("campaign {campaign_id}: {e}")))?;
        let segment = &row.config.segments[drawn];
        if segment.prize.is_none()
            || segment.stock.is_none()
            || take_one(&mut tx, campaign_id, drawn)?
        {
            index = Some(drawn);
            break;
        }
        row = load_campaign(&mut tx, campaign_id)?.ok_or(ApiError::UnknownCampaign)?;
    }
    let index = index.ok_or_else(|| {
        ApiError::Internal(format!(
            "campaign {campaign_id}: every draw met a segment without stock"
        ))
    })?;
    let config = &row.config;
    let segment = &config.segments[index];

    let prize = match &segment.prize {
        Some(name) => {
            let valid = format!("+{} days", config.coupon_valid_days);
            let discount = segment.discount.as_ref();
            let (code, expires_at) = insert_coupon(
                &mut tx,
                campaign_id,
                &player_key,
                name,
                (
                    discount.map_or("", |d| d.kind.as_str()),
                    discount.and_then(|d| d.amount),
                ),
                &now,
                &valid,
            )?;
            let currency = crate::programme::load(&mut tx)?.config.currency;
            let spec = crate::providers::CouponSpec {
                table: "game_coupons".into(),
                code: code.clone(),
                title: format!("lojal: {name} ({})", config.name),
                kind: discount.map_or("", |d| d.kind.as_str()).to_owned(),
                amount: discount.and_then(|d| d.amount),
                currency,
                customer_id: match player {
                    Player::Customer(id) => Some(id.clone()),
                    Player::Guest(_) => None,
                },
                email: match player {
                    Player::Guest(email) => Some(email.clone()),
                    Player::Customer(_) => None,
                },
                starts_at: now.clone(),
                expires_at: expires_at.clone(),
            };
            let issued = crate::payout::after_insert(
                &mut tx,
                provider,
                crate::payout::Table::GameCoupons,
                &spec,
                crate::calendar::now(),
            )?;
            let (status, ticket) = match issued {
                crate::payout::Issued::Active => ("active".to_owned(), None),
                crate::payout::Issued::Pending { ticket } => ("pending".to_owned(), Some(ticket)),
            };
            Some(WonPrize {
                name: name.clone(),
                code,
                expires_at,
                status,
                ticket,
            })
        }
        None => None,
    };

    let email = match player {
        Player::Guest(email) => Some(email.as_str()),
        Player::Customer(_) => None,
    };
    // The text the shopper saw next to the checkbox is kept with the play, ticked or not.
    let consent_text = email.and(config.consent_text.as_deref());
    let play = tx.query_one(
        "INSERT INTO plays (campaign_id, player, idempotency_key, segment_index, label, coupon_code,
                            email, marketing_consent, consent_text, played_at, next_play_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10,
                 strftime('%Y-%m-%dT%H:%M:%SZ', ?10, ?11))
         RETURNING next_play_at",
        &params![
            campaign_id,
            &player_key,
            idempotency_key,
            index,
            &segment.label,
            prize.as_ref().map(|p| p.code.as_str()),
            email,
            consent_given,
            consent_text,
            &now,
            format!("+{} seconds", config.play_every_seconds),
        ],
    )?;
    let next_play_at: String = play.get(0)?;
    if let Some(prize) = &prize {
        crate::outbound::emit(
            &mut tx,
            "play.won",
            serde_json::json!({
                "campaign_id": campaign_id,
                "segment": segment.label,
                "prize": prize.name,
                "customer_id": match player { Player::Customer(id) => Some(id.as_str()), Player::Guest(_) => None },
                "email": email,
                "marketing_consent": consent_given,
                "played_at": now,
            }),
            crate::calendar::now(),
        )?;
    }
    tx.commit()?;
    Ok(PlayResult {
        campaign_id: campaign_id.to_owned(),
        segment_index: index,
        label: segment.label.clone(),
        prize: prize.map(withhold_pending),
        played_at: now,
        next_play_at,
    })
}

/// The advisory lock a play holds shared and a campaign's edit holds whole.
fn campaign_lock(campaign_id: &str) -> String {
    format!("campaign:{campaign_id}")
}

/// Takes one prize of a stocked segment; `false` when none is left.
fn take_one(tx: &mut Conn, campaign_id: &str, index: usize) -> Result<bool, ApiError> {
    let taken = tx.execute(
        "UPDATE campaign_segments SET stock = stock - 1
         WHERE campaign_id = ?1 AND position = ?2 AND stock > 0",
        &params![campaign_id, index],
    )?;
    Ok(taken == 1)
}

/// A pending prize's code is not shown until the shop's checkout takes it.
fn withhold_pending(mut prize: WonPrize) -> WonPrize {
    if prize.status != "active" {
        prize.code = String::new();
    }
    prize
}

fn replay(
    conn: &mut Conn,
    campaign_id: &str,
    player_key: &str,
    idempotency_key: &str,
) -> Result<Option<PlayResult>, ApiError> {
    let Some(row) = conn.query_opt(
        "SELECT p.segment_index, p.label, c.prize, c.code, c.expires_at, p.played_at, p.next_play_at,
                c.status, c.ticket
         FROM plays p LEFT JOIN game_coupons c ON c.code = p.coupon_code
         WHERE p.campaign_id = ?1 AND p.player = ?2 AND p.idempotency_key = ?3",
        &params![campaign_id, player_key, idempotency_key],
    )?
    else {
        return Ok(None);
    };
    let prize = match (
        row.get::<Option<String>>(2)?,
        row.get::<Option<String>>(3)?,
        row.get::<Option<String>>(4)?,
    ) {
        (Some(name), Some(code), Some(expires_at)) => Some(withhold_pending(WonPrize {
            name,
            code,
            expires_at,
            status: row.get(7)?,
            ticket: row.get(8)?,
        })),
        _ => None,
    };
    Ok(Some(PlayResult {
        campaign_id: campaign_id.to_owned(),
        segment_index: row.get(0)?,
        label: row.get(1)?,
        prize,
        played_at: row.get(5)?,
        next_play_at: row.get(6)?,
    }))
}

fn insert_coupon(
    conn: &mut Conn,
    campaign_id: &str,
    player_key: &str,
    prize: &str,
    (discount_kind, discount_amount): (&str, Option<u64>),
    now: &str,
    valid: &str,
) -> Result<(String, String), ApiError> {
    // A clash among 31⁸ codes (in either coupon table) is rare; fresh draws make it practically
    // impossible. The trigger on game_coupons skips a code the loyalty table holds.
    for _ in 0..5 {
        let code = coupon::new_code();
        let inserted = conn.query_opt(
            "INSERT INTO game_coupons (code, campaign_id, player, prize, created_at, expires_at,
                                       discount_kind, discount_amount)
             VALUES (?1, ?2, ?3, ?4, ?5, strftime('%Y-%m-%dT%H:%M:%SZ', ?5, ?6), ?7, ?8)
             ON CONFLICT (code) DO NOTHING
             RETURNING code, expires_at",
            &params![
                code,
                campaign_id,
                player_key,
                prize,
                now,
                valid,
                discount_kind,
                discount_amount
            ],
        )?;
        if let Some(row) = inserted {
            return Ok((row.get(0)?, row.get(1)?));
        }
    }
    Err(ApiError::Internal(
        "five coupon codes in a row already existed".into(),
    ))
}

pub(crate) fn now(conn: &mut Conn) -> Result<String, ApiError> {
    Ok(conn.query_one(&format!("SELECT {NOW}"), &[])?.get(0)?)
}

/// When `player` may play again, or `None` if now.
fn next_play_at(
    conn: &mut Conn,
    campaign_id: &str,
    player: &Player,
    now: &str,
) -> Result<Option<String>, ApiError> {
    Ok(conn
        .query_one(
            "SELECT max(next_play_at) FROM plays WHERE campaign_id = ?1 AND player = ?2",
            &params![campaign_id, player.key()],
        )?
        .get::<Option<String>>(0)?
        .filter(|next| next.as_str() > now))
}

pub(crate) fn state_at(row: &CampaignRow, now: &str) -> CampaignState {
    if row.starts_at.as_str() > now {
        CampaignState::Upcoming
    } else if row.config.ends_at.as_deref().is_some_and(|end| end <= now) {
        CampaignState::Over
    } else {
        CampaignState::Active
    }
}

pub(crate) fn load_campaign(
    conn: &mut Conn,
    campaign_id: &str,
) -> Result<Option<CampaignRow>, ApiError> {
    let Some(row) = conn.query_opt(
        "SELECT id, name, game, starts_at, ends_at, play_every_seconds, coupon_valid_days,
                guest_email, consent_text, disclose_odds, rules_url
         FROM campaigns WHERE id = ?1",
        &params![campaign_id],
    )?
    else {
        return Ok(None);
    };
    let game: String = row.get(2)?;
    let starts_at: String = row.get(3)?;
    let segments = conn
        .query(
            "SELECT label, color, weight, prize, stock, fallback, discount_kind, discount_amount
             FROM campaign_segments WHERE campaign_id = ?1 ORDER BY position",
            &params![campaign_id],
        )?
        .iter()
        .map(segment_from_row)
        .collect::<Result<_, _>>()?;
    Ok(Some(CampaignRow {
        config: CampaignConfig {
            id: row.get(0)?,
            name: row.get(1)?,
            game: if game == "scratch" {
                Game::Scratch
            } else {
                Game::Wheel
            },
            starts_at: Some(starts_at.clone()),
            ends_at: row.get(4)?,
            play_every_seconds: row.get(5)?,
            coupon_valid_days: row.get(6)?,
            guest_email: row.get(7)?,
            consent_text: row.get(8)?,
            disclose_odds: row.get(9)?,
            rules_url: row.get(10)?,
            segments,
        },
        starts_at,
    }))
}

fn segment_from_row(r: &Row) -> Result<lojal::core::games::SegmentConfig, DbError> {
    Ok(lojal::core::games::SegmentConfig {
        label: r.get(0)?,
        color: r.get(1)?,
        weight: r.get(2)?,
        prize: r.get(3)?,
        stock: r.get(4)?,
        fallback: r.get(5)?,
        discount: r
            .get::<Option<String>>(6)?
            .as_deref()
            .and_then(lojal::core::programme::DiscountKind::parse)
            .map(|kind| lojal::core::programme::Discount {
                kind,
                amount: r.get(7).ok().flatten(),
            }),
    })
}

pub(crate) fn public_campaign(
    row: &CampaignRow,
    now: &str,
    next_play_at: Option<String>,
) -> Campaign {
    let config = &row.config;
    let draw_segments: Vec<DrawSegment> = config.draw_segments();
    let odds = config
        .disclose_odds
        .then(|| chances(&draw_segments).ok())
        .flatten()
        .map(|chances| {
            chances
                .into_iter()
                .enumerate()
                .map(|(segment, chance)| SegmentOdds {
                    segment,
                    chance,
                    remaining: config.segments[segment].stock,
                })
                .collect()
        });
    Campaign {
        id: config.id.clone(),
        name: config.name.clone(),
        game: config.game,
        state: state_at(row, now),
        starts_at: row.starts_at.clone(),
        ends_at: config.ends_at.clone(),
        play_every_seconds: config.play_every_seconds,
        guest_email: config.guest_email,
        consent_text: config.consent_text.clone(),
        rules_url: config.rules_url.clone(),
        segments: config
            .segments
            .iter()
            .map(|s| PublicSegment {
                label: s.label.clone(),
                color: s.color.clone(),
            })
            .collect(),
        odds,
        next_play_at,
    }
}

/// Creates or replaces a campaign from a merchant's file (`shop-api campaign put`). Plays and
/// coupons already given out stay; stock is set to what the file says.
pub fn put_campaign(conn: &mut Conn, config: &CampaignConfig) -> Result<(), ApiError> {
    config
        .validate()
        .map_err(|e| ApiError::InvalidBody(e.to_string()))?;
    let mut tx = conn.transaction()?;
    write_campaign(&mut tx, config)?;
    tx.commit()?;
    Ok(())
}

/// Writes a validated campaign inside the caller's transaction; replacing one counts up its
/// revision, so a form opened before is refused (the console's `If-Match`).
pub(crate) fn write_campaign(tx: &mut Conn, config: &CampaignConfig) -> Result<(), ApiError> {
    // Waits for the plays under way, and holds new ones until the edit is committed.
    tx.lock_key(&campaign_lock(&config.id))?;
    let starts_at = match &config.starts_at {
        Some(t) => t.clone(),
        None => now(tx)?,
    };
    tx.execute(
        "INSERT INTO campaigns (id, name, game, starts_at, ends_at, play_every_seconds,
                                coupon_valid_days, guest_email, consent_text, disclose_odds, rules_url)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)
         ON CONFLICT (id) DO UPDATE SET
           name = excluded.name, game = excluded.game, starts_at = excluded.starts_at,
           ends_at = excluded.ends_at, play_every_seconds = excluded.play_every_seconds,
           coupon_valid_days = excluded.coupon_valid_days, guest_email = excluded.guest_email,
           consent_text = excluded.consent_text, disclose_odds = excluded.disclose_odds,
           rules_url = excluded.rules_url, revision = campaigns.revision + 1",
        &params![
            &config.id,
            &config.name,
            config.game.as_str(),
            starts_at,
            config.ends_at.as_deref(),
            config.play_every_seconds,
            config.coupon_valid_days,
            config.guest_email,
            config.consent_text.as_deref(),
            config.disclose_odds,
            config.rules_url.as_deref(),
        ],
    )?;
    tx.execute(
        "DELETE FROM campaign_segments WHERE campaign_id = ?1",
        &params![&config.id],
    )?;
    for (position, s) in config.segments.iter().enumerate() {
        tx.execute(
            "INSERT INTO campaign_segments (campaign_id, position, label, color, weight, prize, stock,
                                            fallback, discount_kind, discount_amount)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
            &params![
                &config.id,
                position,
                &s.label,
                s.color.as_deref(),
                s.weight,
                s.prize.as_deref(),
                s.stock,
                s.fallback,
                s.discount.as_ref().map(|d| d.kind.as_str()),
                s.discount.as_ref().and_then(|d| d.amount)
            ],
        )?;
    }
    Ok(())
}
