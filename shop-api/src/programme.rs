//! The merchant's programme: stored whole as the validated file (`shop-api programme put`,
//! `PUT /api/v1/admin/programme`), read back by every request that earns or spends, and
//! mirrored into `program`, `tiers` and `rewards` for the queries that list them. The demo's
//! programme (`shop-api/demo/programme.json`) is loaded on a database's first start.

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::HeaderMap;
use jiff::Timestamp;
use jiff::tz::TimeZone;
use lojal::core::loyalty::{Offer, WayToEarn};
use lojal::core::programme::{Discount, EarnKind, ProgrammeConfig};
use serde_json::{Value, json};

use crate::AppState;
use crate::calendar;
use crate::console::session::{Actor, Merchant};
use crate::db::{Conn, DbError};
use crate::error::ApiError;
use crate::params;

/// The demo shop's programme, loaded when a database has none.
pub const DEMO: &str = include_str!("../demo/programme.json");

/// The programme in force, with its time zone resolved.
#[derive(Clone, Debug)]
pub struct Programme {
    pub config: ProgrammeConfig,
    pub zone: TimeZone,
    /// Counts every `put`: the merchant console's forms send it back, so a stale form cannot
    /// overwrite a newer programme silently.
    pub revision: i64,
}

impl Programme {
    /// Days a purchase's points wait before they can be spent.
    pub fn pending_until(&self, from: Timestamp) -> Timestamp {
        calendar::plus_days(from, i64::from(self.config.pending_days))
    }

    /// The ways to earn as the badge shows them.
    pub fn ways_to_earn(&self) -> Vec<WayToEarn> {
        self.config
            .ways_to_earn
            .iter()
            .map(|way| WayToEarn {
                kind: way.kind.as_str().to_owned(),
                points: way.points,
                points_per_unit: way.points_per_unit.map(|p| p.as_f64()),
                min_order: way.min_order,
                friend_reward: way.friend_reward.as_ref().map(offer),
            })
            .collect()
    }
}

pub fn offer(discount: &Discount) -> Offer {
    Offer {
        kind: discount.kind.as_str().to_owned(),
        amount: discount.amount,
    }
}

/// Validates what only the server can check: the time zone exists here.
fn resolve(config: ProgrammeConfig, revision: i64) -> Result<Programme, ApiError> {
    let zone = calendar::zone(&config.timezone)
        .map_err(|why| ApiError::InvalidBody(format!("timezone: {why}")))?;
    Ok(Programme {
        config,
        zone,
        revision,
    })
}

/// The programme in force.
pub fn load(conn: &mut Conn) -> Result<Programme, ApiError> {
    let row = conn
        .query_opt("SELECT config, revision FROM programme WHERE id = 1", &[])?
        .ok_or_else(|| ApiError::Internal("no programme is stored".into()))?;
    let json: String = row.get(0)?;
    let config = ProgrammeConfig::from_json(&json)
        .map_err(|e| ApiError::Internal(format!("the stored programme is invalid: {e}")))?;
    resolve(config, row.get(1)?)
}

/// Parses, validates and stores a whole programme in one transaction; answers the new
/// revision. With `expected_revision`, refuses (409) when another write came first.
pub fn put(
    conn: &mut Conn,
    json: &str,
    expected_revision: Option<i64>,
    actor: &Actor,
    now: Timestamp,
) -> Result<Programme, ApiError> {
    let config =
        ProgrammeConfig::from_json(json).map_err(|e| ApiError::InvalidBody(e.to_string()))?;
    let programme = resolve(config, 0)?;
    let mut tx = conn.transaction()?;
    let sql = format!(
        "SELECT revision FROM programme WHERE id = 1{}",
        tx.for_update()
    );
    let current: Option<i64> = tx.query_opt(&sql, &[])?.map(|row| row.get(0)).transpose()?;
    if let Some(expected) = expected_revision
        && current != Some(expected)
    {
        return Err(ApiError::StaleProgramme {
            current: current.unwrap_or(0),
        });
    }
    let revision = current.unwrap_or(0) + 1;
    store(&mut tx, &programme.config, revision, now)?;
    crate::console::audit::record(
        &mut tx,
        actor,
        "programme.put",
        "programme",
        json!({
            "revision": revision,
            "tiers": programme.config.tiers.len(),
            "rewards": programme.config.rewards.len(),
            "ways_to_earn": programme.config.ways_to_earn.len(),
        }),
        now,
    )?;
    tx.commit()?;
    Ok(Programme {
        revision,
        ..programme
    })
}

fn store(
    conn: &mut Conn,
    config: &ProgrammeConfig,
    revision: i64,
    now: Timestamp,
) -> Result<(), DbError> {
    let json = serde_json::to_string(config).unwrap_or_default();
    conn.execute(
        "INSERT INTO programme (id, config, revision, updated_at) VALUES (1, ?1, ?2, ?3)
         ON CONFLICT (id) DO UPDATE SET config = ?1, revision = ?2, updated_at = ?3",
        &params![json, revision, calendar::text(now)],
    )?;
    conn.execute(
        "UPDATE program SET name = ?1, signup_bonus = ?2, signup_url = ?3 WHERE id = 1",
        &params![
            &config.name,
            config.points_for(EarnKind::Signup),
            config.signup_url.as_deref()
        ],
    )?;
    conn.execute("DELETE FROM tiers", &[])?;
    for tier in &config.tiers {
        conn.execute(
            "INSERT INTO tiers (id, name, min_points, multiplier_milli) VALUES (?1, ?2, ?3, ?4)",
            &params![&tier.id, &tier.name, tier.min_points, tier.multiplier.0],
        )?;
    }
    // Coupons keep pointing at rewards the programme no longer offers: those stay, inactive.
    conn.execute("UPDATE rewards SET active = 0", &[])?;
    for reward in &config.rewards {
        conn.execute(
            "INSERT INTO rewards (id, name, cost, kind, amount, active) VALUES (?1, ?2, ?3, ?4, ?5, 1)
             ON CONFLICT (id) DO UPDATE SET name = ?2, cost = ?3, kind = ?4, amount = ?5, active = 1",
            &params![
                &reward.id,
                &reward.name,
                reward.cost,
                reward.kind.as_str(),
                reward.amount
            ],
        )?;
    }
    Ok(())
}

/// Run once a database is migrated: a database without a programme gets the demo's. Two
/// instances starting together store it once.
pub fn load_demo_on_first_start(conn: &mut Conn) -> Result<(), DbError> {
    let mut tx = conn.transaction()?;
    if tx
        .query_opt("SELECT 1 FROM programme WHERE id = 1", &[])?
        .is_none()
    {
        let config = ProgrammeConfig::from_json(DEMO)
            .map_err(|e| DbError::Mismatch(format!("demo/programme.json: {e}")))?;
        store(&mut tx, &config, 1, calendar::now())?;
    }
    tx.commit()
}

/// `GET /api/v1/admin/programme`: the programme file in force, and its revision.
pub async fn admin_get(
    State(state): State<AppState>,
    _merchant: Merchant,
) -> Result<Json<Value>, ApiError> {
    state
        .db
        .run(|conn| {
            let programme = load(conn)?;
            Ok(Json(
                json!({ "revision": programme.revision, "programme": programme.config }),
            ))
        })
        .await
}

/// `PUT /api/v1/admin/programme`: replaces the whole programme. `If-Match: <revision>` makes
/// it refuse (409) when someone else saved in between.
pub async fn admin_put(
    State(state): State<AppState>,
    merchant: Merchant,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    let expected = match headers.get(axum::http::header::IF_MATCH) {
        Some(value) => Some(
            value
                .to_str()
                .ok()
                .map(|v| v.trim().trim_matches('"'))
                .and_then(|v| v.parse::<i64>().ok())
                .ok_or_else(|| {
                    ApiError::InvalidBody("If-Match must be the programme's revision".into())
                })?,
        ),
        None => None,
    };
    let json = String::from_utf8(body.to_vec())
        .map_err(|_| ApiError::InvalidBody("the programme must be UTF-8 JSON".into()))?;
    state
        .db
        .write(move |conn| {
            let programme = put(conn, &json, expected, &merchant.actor, calendar::now())?;
            Ok(Json(
                json!({ "revision": programme.revision, "programme": programme.config }),
            ))
        })
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_demo_programme_is_valid_and_its_zone_is_known() {
        let config = ProgrammeConfig::from_json(DEMO).unwrap();
        let programme = resolve(config, 1).unwrap();
        assert_eq!(programme.config.currency, "NOK");
        assert_eq!(programme.config.timezone, "Europe/Oslo");
        assert_eq!(programme.ways_to_earn().len(), 5);
    }
}
