-- Loyalty programme, customers, rewards and the coupons paid out for them.
-- `points` is the spendable balance; `tier_points` counts every point ever earned, so redeeming
-- a reward never costs the shopper her tier.

CREATE TABLE program (
  id           INTEGER PRIMARY KEY CHECK (id = 1),
  name         TEXT    NOT NULL,
  signup_bonus INTEGER NOT NULL CHECK (signup_bonus >= 0),
  signup_url   TEXT
);

CREATE TABLE tiers (
  id         TEXT    PRIMARY KEY,
  name       TEXT    NOT NULL,
  min_points INTEGER NOT NULL UNIQUE CHECK (min_points >= 0)
);

CREATE TABLE customers (
  id          TEXT    PRIMARY KEY,
  first_name  TEXT,
  points      INTEGER NOT NULL CHECK (points >= 0),
  tier_points INTEGER NOT NULL CHECK (tier_points >= 0)
);

CREATE TABLE rewards (
  id     TEXT    PRIMARY KEY,
  name   TEXT    NOT NULL,
  cost   INTEGER NOT NULL CHECK (cost > 0),
  active INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1))
);

-- One row per redemption. The idempotency key makes a retried request return the same coupon
-- instead of charging twice.
CREATE TABLE coupons (
  code            TEXT    PRIMARY KEY,
  customer_id     TEXT    NOT NULL REFERENCES customers (id),
  reward_id       TEXT    NOT NULL REFERENCES rewards (id),
  reward_name     TEXT    NOT NULL,
  cost            INTEGER NOT NULL,
  idempotency_key TEXT,
  created_at      TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
  expires_at      TEXT    NOT NULL,
  UNIQUE (customer_id, idempotency_key)
);

CREATE INDEX coupons_by_customer ON coupons (customer_id);
