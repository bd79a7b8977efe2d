-- The loyalty programme run for real: the merchant's programme as configuration, a ledger that
-- every change of points is a row of (the balance is what it says), orders as the shop
-- platforms report them, and what the other ways to earn need: sign-ups, birthdays, referrals.

-- The merchant's programme file, as validated (core::programme). `program`, `tiers` and
-- `rewards` are kept in step with it for the queries that read them.
CREATE TABLE programme (
  id         INTEGER PRIMARY KEY CHECK (id = 1),
  config     TEXT    NOT NULL,
  revision   INTEGER NOT NULL,
  updated_at TEXT    NOT NULL
);

ALTER TABLE tiers ADD COLUMN multiplier_milli INTEGER NOT NULL DEFAULT 1000;
ALTER TABLE rewards ADD COLUMN kind TEXT NOT NULL DEFAULT 'fixed_amount';
ALTER TABLE rewards ADD COLUMN amount INTEGER;

ALTER TABLE customers ADD COLUMN email TEXT;
ALTER TABLE customers ADD COLUMN created_at TEXT;
ALTER TABLE customers ADD COLUMN birthday_month INTEGER;
ALTER TABLE customers ADD COLUMN birthday_day INTEGER;
ALTER TABLE customers ADD COLUMN birthday_set_at TEXT;
ALTER TABLE customers ADD COLUMN referral_code TEXT;
CREATE UNIQUE INDEX customers_by_referral_code ON customers (referral_code);
CREATE INDEX customers_by_email ON customers (email);

-- Every change of a shopper's points. `points` is what it does to the spendable balance,
-- `tier_points` what it does to the qualifying points tiers follow (a redemption spends points
-- but keeps the tier; a refund takes back both). A row counts once `available_at` has passed:
-- until then its points are pending (an order inside its return window). `source` says what
-- the row is for ('order:shopify:820982911946154508:rev:1', 'signup', 'birthday:2026',
-- 'redeem:LOJAL-…'): unique per customer, it makes every credit and debit exactly-once however
-- often the event behind it arrives. `shortfall` is what a take-back could not take because
-- the points were already spent (a balance never goes below zero).
CREATE TABLE ledger (
  id           INTEGER PRIMARY KEY,
  customer_id  TEXT    NOT NULL REFERENCES customers (id),
  kind         TEXT    NOT NULL,
  points       INTEGER NOT NULL,
  tier_points  INTEGER NOT NULL,
  source       TEXT    NOT NULL,
  detail       TEXT,
  shortfall    INTEGER NOT NULL DEFAULT 0 CHECK (shortfall >= 0),
  available_at TEXT    NOT NULL,
  created_at   TEXT    NOT NULL,
  UNIQUE (customer_id, source)
);
CREATE INDEX ledger_by_customer ON ledger (customer_id, created_at);

-- The balances the demo shop's customers had, as the ledger's first rows: what each earned,
-- and what she has spent of it.
INSERT INTO ledger (customer_id, kind, points, tier_points, source, available_at, created_at)
SELECT id, 'opening', tier_points, tier_points, 'opening', strftime('%Y-%m-%dT%H:%M:%SZ', 'now'),
       strftime('%Y-%m-%dT%H:%M:%SZ', 'now')
FROM customers WHERE tier_points > 0;
INSERT INTO ledger (customer_id, kind, points, tier_points, source, available_at, created_at)
SELECT id, 'opening', points - tier_points, 0, 'opening-spent', strftime('%Y-%m-%dT%H:%M:%SZ', 'now'),
       strftime('%Y-%m-%dT%H:%M:%SZ', 'now')
FROM customers WHERE points < tier_points;

ALTER TABLE customers DROP COLUMN points;
ALTER TABLE customers DROP COLUMN tier_points;

UPDATE customers SET created_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now');
UPDATE customers SET email = 'ingrid@example.no' WHERE id = 'c-1001';
UPDATE customers SET email = 'mart@example.ee' WHERE id = 'c-1002';
UPDATE customers SET email = 'kari@example.no' WHERE id = 'c-1003';

-- An order as its shop platform last reported it, keyed 'shopify:<id>', 'woocommerce:<id>' or
-- 'api:<id>'. `eligible` is what earns points (items after discounts, without shipping, in
-- minor units); `target` the points the order stands at now, reached through ledger rows
-- numbered by `revision`. `paid` and `cancelled` never go back: a late, out-of-order delivery
-- cannot undo a cancellation. `note` says why an order earns nothing.
CREATE TABLE shop_orders (
  order_key   TEXT    PRIMARY KEY,
  number      TEXT,
  customer_id TEXT    REFERENCES customers (id),
  email       TEXT,
  currency    TEXT    NOT NULL,
  eligible    INTEGER NOT NULL CHECK (eligible >= 0),
  refunded    INTEGER NOT NULL DEFAULT 0 CHECK (refunded >= 0),
  paid        INTEGER NOT NULL DEFAULT 0 CHECK (paid IN (0, 1)),
  cancelled   INTEGER NOT NULL DEFAULT 0 CHECK (cancelled IN (0, 1)),
  earned      INTEGER NOT NULL DEFAULT 0,
  target      INTEGER NOT NULL DEFAULT 0,
  revision    INTEGER NOT NULL DEFAULT 0,
  note        TEXT,
  paid_at     TEXT,
  created_at  TEXT    NOT NULL,
  updated_at  TEXT    NOT NULL
);
CREATE INDEX shop_orders_by_email ON shop_orders (email);
CREATE INDEX shop_orders_by_customer ON shop_orders (customer_id);

-- Each refund once, by the platform's refund id, whichever delivery brought it (Shopify's
-- refunds/create may arrive before the order it belongs to).
CREATE TABLE shop_refunds (
  order_key TEXT    NOT NULL,
  refund_id TEXT    NOT NULL,
  amount    INTEGER NOT NULL CHECK (amount >= 0),
  PRIMARY KEY (order_key, refund_id)
);

-- Webhook deliveries already taken, by the platform's delivery id (Shopify's
-- X-Shopify-Webhook-Id is the same on every retry of one event).
CREATE TABLE webhook_deliveries (
  platform    TEXT NOT NULL,
  delivery_id TEXT NOT NULL,
  topic       TEXT NOT NULL,
  received_at TEXT NOT NULL,
  PRIMARY KEY (platform, delivery_id)
);

-- A friend invited through a member's link: one invitation per email, ever. `ip_hash` (a keyed
-- hash, not the address) caps claims per IP per week. The friend's coupon is `coupon_code`.
CREATE TABLE referrals (
  id              INTEGER PRIMARY KEY,
  referrer_id     TEXT    NOT NULL REFERENCES customers (id),
  email           TEXT    NOT NULL UNIQUE,
  coupon_code     TEXT    NOT NULL UNIQUE,
  ip_hash         TEXT    NOT NULL,
  created_at      TEXT    NOT NULL,
  expires_at      TEXT    NOT NULL,
  converted_order TEXT,
  converted_at    TEXT
);
CREATE INDEX referrals_by_ip ON referrals (ip_hash, created_at);
CREATE INDEX referrals_by_referrer ON referrals (referrer_id);

-- The last day each daily job finished, in the programme's time zone, so that a restart
-- neither skips nor repeats a day.
CREATE TABLE jobs (
  name     TEXT PRIMARY KEY,
  last_day TEXT NOT NULL
);
