-- A shopper's status (every badge load and every redemption) sums her whole ledger and lists
-- her newest coupons. A loyal shopper gathers hundreds of ledger rows, and looking each one up
-- in the table made the balance the costliest query the API has. The ledger's index now holds
-- every column the balance reads, so the sum is answered from the index alone; the coupons'
-- index is in the order the badge lists them, so the newest ten are read and nothing more.
DROP INDEX ledger_by_customer;
CREATE INDEX ledger_by_customer
  ON ledger (customer_id, created_at, available_at, points, tier_points, kind);
DROP INDEX coupons_by_customer;
CREATE INDEX coupons_by_customer ON coupons (customer_id, created_at);
