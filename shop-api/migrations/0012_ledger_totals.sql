-- Her points are what her ledger rows add up to at an instant: those available by then are
-- spendable, the rest pending. Summing every row for each status and each redemption costs in
-- proportion to her history, and a loyal shopper's runs to hundreds of rows (every order,
-- reward, refund and expiry). Her row now keeps the total of all her ledger rows, kept by
-- triggers on every insert, update and delete of a ledger row (a hand edit included), so a
-- balance is that total less the rows still pending: only her points in a return window are
-- read, through `ledger_by_availability`. `BIGINT`: on PostgreSQL `INTEGER` is 32 bits, and
-- the sums were 64.
ALTER TABLE customers ADD COLUMN ledger_points BIGINT NOT NULL DEFAULT 0;
ALTER TABLE customers ADD COLUMN ledger_tier_points BIGINT NOT NULL DEFAULT 0;
UPDATE customers
   SET ledger_points = (SELECT COALESCE(SUM(points), 0) FROM ledger WHERE customer_id = customers.id),
       ledger_tier_points = (SELECT COALESCE(SUM(tier_points), 0) FROM ledger WHERE customer_id = customers.id);
CREATE INDEX ledger_by_availability ON ledger (customer_id, available_at, points, tier_points);

-- SQLite's triggers; PostgreSQL's are in postgres/0012_ledger_totals.sql.
CREATE TRIGGER ledger_totals_insert AFTER INSERT ON ledger
BEGIN
  UPDATE customers
     SET ledger_points = ledger_points + NEW.points,
         ledger_tier_points = ledger_tier_points + NEW.tier_points
   WHERE id = NEW.customer_id;
END;
CREATE TRIGGER ledger_totals_delete AFTER DELETE ON ledger
BEGIN
  UPDATE customers
     SET ledger_points = ledger_points - OLD.points,
         ledger_tier_points = ledger_tier_points - OLD.tier_points
   WHERE id = OLD.customer_id;
END;
-- Erasure moves her rows to a pseudonym: the totals move with them.
CREATE TRIGGER ledger_totals_update AFTER UPDATE OF customer_id, points, tier_points ON ledger
BEGIN
  UPDATE customers
     SET ledger_points = ledger_points - OLD.points,
         ledger_tier_points = ledger_tier_points - OLD.tier_points
   WHERE id = OLD.customer_id;
  UPDATE customers
     SET ledger_points = ledger_points + NEW.points,
         ledger_tier_points = ledger_tier_points + NEW.tier_points
   WHERE id = NEW.customer_id;
END;
