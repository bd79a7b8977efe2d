-- A shopper's status lists her newest ten ledger rows and her newest ten coupons. Instants are
-- stored to the second, so rows written in the same second tie on `created_at`, and the lists'
-- tie-breakers (`id`, `code`) were not in the indexes: each list read every tied row from the
-- table and sorted them. Under load a member redeeming every few milliseconds has dozens of
-- rows per second, and after each commit those table pages are read again. With the
-- tie-breaker (and the coupons' expiry filter) in the index, the index gives the lists' order
-- itself, and each list stops at its tenth row.
DROP INDEX ledger_by_customer;
CREATE INDEX ledger_by_customer
  ON ledger (customer_id, created_at, id, available_at, points, tier_points, kind);
DROP INDEX coupons_by_customer;
CREATE INDEX coupons_by_customer ON coupons (customer_id, created_at DESC, code, expires_at);
