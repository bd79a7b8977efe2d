-- Fitting into the shop's own systems: coupons created at the shop platform (Shopify,
-- WooCommerce, or the shop's own backend through a webhook), outbound events to the
-- merchant's other tools, and the durable queue both are worked from.

-- Work that must happen outside the request, exactly once and in order where it matters:
-- creating a coupon at the shop platform, delivering an event to an endpoint. `job_key` makes
-- enqueueing idempotent; `ordering` (an endpoint, say) is worked one job at a time, oldest
-- first. A worker leases a job until `lease_until`; a worker that dies (kill -9) loses its
-- lease and another takes the job again.
CREATE TABLE work_queue (
  id          INTEGER PRIMARY KEY,
  kind        TEXT    NOT NULL,
  job_key     TEXT    NOT NULL UNIQUE,
  ordering    TEXT,
  payload     TEXT    NOT NULL,
  state       TEXT    NOT NULL DEFAULT 'ready' CHECK (state IN ('ready', 'done', 'dead')),
  attempts    INTEGER NOT NULL DEFAULT 0,
  run_at      TEXT    NOT NULL,
  lease_until TEXT,
  leased_by   TEXT,
  last_error  TEXT,
  created_at  TEXT    NOT NULL,
  updated_at  TEXT    NOT NULL
);
CREATE INDEX work_queue_due ON work_queue (state, run_at);
CREATE INDEX work_queue_ordering ON work_queue (ordering, id);

-- A coupon is `active` once the shop's checkout accepts it (at once with no provider),
-- `pending` while the provider is asked, `failed` when it refused for good (`failure` says
-- why; a loyalty coupon's points are then given back). `ticket` lets the shopper's browser ask
-- how a pending coupon is doing without knowing its code.
ALTER TABLE coupons ADD COLUMN status TEXT NOT NULL DEFAULT 'active';
ALTER TABLE coupons ADD COLUMN ticket TEXT;
ALTER TABLE coupons ADD COLUMN failure TEXT;
ALTER TABLE coupons ADD COLUMN discount_kind TEXT;
ALTER TABLE coupons ADD COLUMN discount_amount INTEGER;
ALTER TABLE coupons ADD COLUMN provider_ref TEXT;
CREATE UNIQUE INDEX coupons_by_ticket ON coupons (ticket);
ALTER TABLE game_coupons ADD COLUMN status TEXT NOT NULL DEFAULT 'active';
ALTER TABLE game_coupons ADD COLUMN ticket TEXT;
ALTER TABLE game_coupons ADD COLUMN failure TEXT;
ALTER TABLE game_coupons ADD COLUMN discount_kind TEXT;
ALTER TABLE game_coupons ADD COLUMN discount_amount INTEGER;
ALTER TABLE game_coupons ADD COLUMN provider_ref TEXT;
CREATE UNIQUE INDEX game_coupons_by_ticket ON game_coupons (ticket);
ALTER TABLE referrals ADD COLUMN status TEXT NOT NULL DEFAULT 'active';
ALTER TABLE referrals ADD COLUMN failure TEXT;

-- What a game prize takes off at checkout, so the shop platform can create it. A prize
-- without one (a product on the house) stays a code the shop honours by hand.
ALTER TABLE campaign_segments ADD COLUMN discount_kind TEXT;
ALTER TABLE campaign_segments ADD COLUMN discount_amount INTEGER;
UPDATE campaign_segments SET discount_kind = 'percentage', discount_amount = 10
  WHERE prize LIKE '10 \% rabatt%' ESCAPE '\';
UPDATE campaign_segments SET discount_kind = 'percentage', discount_amount = 15
  WHERE prize LIKE '15 \% rabatt%' ESCAPE '\';
UPDATE campaign_segments SET discount_kind = 'percentage', discount_amount = 20
  WHERE prize LIKE '20 \% rabatt%' ESCAPE '\';
UPDATE campaign_segments SET discount_kind = 'free_shipping' WHERE prize = 'Gratis frakt';
UPDATE campaign_segments SET discount_kind = 'fixed_amount', discount_amount = 5000
  WHERE prize = '50 kr rabatt';
UPDATE campaign_segments SET discount_kind = 'fixed_amount', discount_amount = 10000
  WHERE prize = '100 kr rabatt';

-- The merchant's endpoints for outbound events, each with the events it wants (comma-separated,
-- or '*'), its Standard Webhooks secret (`whsec_…`), and why it was switched off, if it was.
CREATE TABLE webhook_endpoints (
  id              TEXT    PRIMARY KEY,
  url             TEXT    NOT NULL,
  events          TEXT    NOT NULL,
  secret          TEXT    NOT NULL,
  allow_private   INTEGER NOT NULL DEFAULT 0 CHECK (allow_private IN (0, 1)),
  enabled         INTEGER NOT NULL DEFAULT 1 CHECK (enabled IN (0, 1)),
  disabled_reason TEXT,
  failing_since   TEXT,
  created_at      TEXT    NOT NULL
);

-- Every event, once, with its stable id (`msg_…`, the `webhook-id` receivers deduplicate on).
CREATE TABLE events (
  id         TEXT PRIMARY KEY,
  type       TEXT NOT NULL,
  payload    TEXT NOT NULL,
  created_at TEXT NOT NULL
);
CREATE INDEX events_by_time ON events (created_at);

-- One row per delivery attempt, for the merchant's delivery log.
CREATE TABLE webhook_attempts (
  id          INTEGER PRIMARY KEY,
  endpoint_id TEXT    NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
  event_id    TEXT    NOT NULL,
  attempt     INTEGER NOT NULL,
  status      INTEGER,
  error       TEXT,
  duration_ms INTEGER NOT NULL,
  at          TEXT    NOT NULL
);
CREATE INDEX webhook_attempts_by_endpoint ON webhook_attempts (endpoint_id, id);
