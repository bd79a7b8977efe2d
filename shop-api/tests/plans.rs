//! The lists in a shopper's status are read in the order their index keeps, on SQLite and on
//! PostgreSQL (`DATABASE_URL`): each stops at its last row instead of reading every row that
//! ties on the second it was written and sorting them. Under load a member who redeems every
//! few milliseconds has dozens of rows per second, and a sort read them all after each commit.

mod common;

use shop_api::db::{Conn, DbError, Value};
use shop_api::{ledger, loyalty, params};
use tempfile::TempDir;

/// The plan of `sql`, one line per step, as the database explains it.
fn plan(conn: &mut Conn, sql: &str, params: &[Value]) -> Result<Vec<String>, DbError> {
    let postgres = matches!(conn, Conn::Postgres(_));
    if postgres {
        // On tables this small a sequential scan and a sort cost nothing; what is asked is
        // whether an index gives the order, so the planner is told to prefer one.
        conn.execute("SET enable_seqscan = off", &[])?;
    }
    let explain = if postgres {
        format!("EXPLAIN {sql}")
    } else {
        format!("EXPLAIN QUERY PLAN {sql}")
    };
    // SQLite's plan has the step in its fourth column, PostgreSQL's in its only one.
    let column = if postgres { 0 } else { 3 };
    conn.query(&explain, params)?
        .iter()
        .map(|row| row.get::<String>(column))
        .collect()
}

#[test]
fn the_status_lists_are_read_in_index_order() {
    let dir = TempDir::new().unwrap();
    let db = common::test_db(dir.path());
    let lists = [
        (
            "activity",
            ledger::ACTIVITY_SQL,
            params!["c-1001", 10_i64].to_vec(),
        ),
        (
            "coupons",
            loyalty::STATUS_COUPONS_SQL,
            params!["c-1001", "2026-12-07T00:00:00Z", 10_i64].to_vec(),
        ),
    ];
    for (name, sql, params) in lists {
        let steps = common::with_conn(&db, move |conn| plan(conn, sql, &params));
        // SQLite: "USE TEMP B-TREE FOR ORDER BY"; PostgreSQL: a "Sort" or "Incremental Sort"
        // node, "  ->  Sort  (cost=…".
        let sorted = steps.iter().any(|step| {
            let node = step.split("  (").next().unwrap_or_default();
            step.contains("TEMP B-TREE") || node.ends_with("Sort")
        });
        assert!(!sorted, "{name} sorts its rows: {steps:#?}");
        assert!(
            steps.iter().any(|step| step.contains("_by_customer")),
            "{name} does not use its index: {steps:#?}"
        );
    }
}
