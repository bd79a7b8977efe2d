//! The audit log: who changed what, when. Every write the console makes (and every sign-in and
//! sign-out) writes one row in the transaction of the change itself, so a change without its
//! row cannot be committed.

use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use jiff::Timestamp;
use lojal::core::console::AuditRow;
use serde::Deserialize;
use serde_json::Value;

use super::session::{Actor, Merchant};
use crate::AppState;
use crate::calendar;
use crate::db::{Conn, DbError};
use crate::error::ApiError;
use crate::params;

/// Rows one page of the log holds at most.
pub const MAX_PAGE: u32 = 200;

/// Writes one row: `action` (`programme.put`, `campaign.put`, `review.moderate`,
/// `points.adjust`, `session.sign_in`, …) on `target`, with what changed in `detail`.
pub fn record(
    conn: &mut Conn,
    actor: &Actor,
    action: &str,
    target: &str,
    detail: Value,
    now: Timestamp,
) -> Result<(), DbError> {
    conn.execute(
        "INSERT INTO audit_log (at, actor, action, target, detail) VALUES (?1, ?2, ?3, ?4, ?5)",
        &params![
            calendar::text(now),
            actor.text(),
            action,
            target,
            detail.to_string()
        ],
    )?;
    Ok(())
}

/// The newest rows, before row `before` when given.
pub fn rows(conn: &mut Conn, before: Option<i64>, limit: u32) -> Result<Vec<AuditRow>, DbError> {
    conn.query(
        "SELECT id, at, actor, action, target, detail FROM audit_log
         WHERE id < CAST(?1 AS BIGINT) ORDER BY id DESC LIMIT ?2",
        &params![before.unwrap_or(i64::MAX), limit],
    )?
    .iter()
    .map(|row| {
        let detail: String = row.get(5)?;
        Ok(AuditRow {
            id: row.get(0)?,
            at: row.get(1)?,
            actor: row.get(2)?,
            action: row.get(3)?,
            target: row.get(4)?,
            detail: serde_json::from_str(&detail).unwrap_or(Value::Null),
        })
    })
    .collect()
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuditQuery {
    before: Option<i64>,
    limit: Option<u32>,
}

/// `GET /api/v1/admin/audit?before=&limit=`: the log, newest first.
pub async fn list(
    State(state): State<AppState>,
    _merchant: Merchant,
    query: Result<Query<AuditQuery>, QueryRejection>,
) -> Result<Json<Vec<AuditRow>>, ApiError> {
    let Query(query) = query?;
    let limit = query.limit.unwrap_or(50);
    if !(1..=MAX_PAGE).contains(&limit) {
        return Err(ApiError::InvalidQuery(format!(
            "limit must be 1 to {MAX_PAGE}"
        )));
    }
    state
        .db
        .run(move |conn| Ok(Json(rows(conn, query.before, limit)?)))
        .await
}
