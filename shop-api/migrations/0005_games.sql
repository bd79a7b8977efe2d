-- Reward games: campaigns (a wheel or a scratch card), their segments with weights and prize
-- stock, every play, and the coupons the plays paid out. Timestamps are UTC text in the form
-- YYYY-MM-DDTHH:MM:SSZ, which sorts correctly as text.

CREATE TABLE campaigns (
  id                 TEXT    PRIMARY KEY,
  name               TEXT    NOT NULL,
  game               TEXT    NOT NULL CHECK (game IN ('wheel', 'scratch')),
  starts_at          TEXT    NOT NULL,
  ends_at            TEXT,
  play_every_seconds INTEGER NOT NULL CHECK (play_every_seconds >= 60),
  coupon_valid_days  INTEGER NOT NULL CHECK (coupon_valid_days >= 1),
  guest_email        INTEGER NOT NULL DEFAULT 0 CHECK (guest_email IN (0, 1)),
  consent_text       TEXT,
  disclose_odds      INTEGER NOT NULL DEFAULT 0 CHECK (disclose_odds IN (0, 1)),
  rules_url          TEXT,
  CHECK (ends_at IS NULL OR ends_at > starts_at)
);

-- Clockwise from 12 o'clock. `stock` NULL means unlimited; when it reaches 0 the segment's
-- weight goes to the campaign's one fallback segment.
CREATE TABLE campaign_segments (
  campaign_id TEXT    NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
  position    INTEGER NOT NULL CHECK (position >= 0),
  label       TEXT    NOT NULL,
  color       TEXT,
  weight      INTEGER NOT NULL CHECK (weight >= 0),
  prize       TEXT,
  stock       INTEGER CHECK (stock >= 0),
  fallback    INTEGER NOT NULL DEFAULT 0 CHECK (fallback IN (0, 1)),
  PRIMARY KEY (campaign_id, position),
  CHECK (prize IS NOT NULL OR stock IS NULL),
  CHECK (fallback = 0 OR prize IS NULL)
);

CREATE UNIQUE INDEX one_fallback_per_campaign ON campaign_segments (campaign_id) WHERE fallback = 1;

-- `player` is `customer:<id>` for a signed customer or `email:<address>` for a guest: the
-- coupon is bound to that shopper.
CREATE TABLE game_coupons (
  code        TEXT PRIMARY KEY,
  campaign_id TEXT NOT NULL REFERENCES campaigns (id),
  player      TEXT NOT NULL,
  prize       TEXT NOT NULL,
  created_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
  expires_at  TEXT NOT NULL
);

CREATE INDEX game_coupons_by_player ON game_coupons (player);

-- One row per play. The idempotency key makes a retried request return the same result;
-- `next_play_at` is when this shopper may play this campaign again. The marketing consent and
-- the exact text the shopper was shown are kept with the play.
CREATE TABLE plays (
  id                INTEGER PRIMARY KEY,
  campaign_id       TEXT    NOT NULL REFERENCES campaigns (id),
  player            TEXT    NOT NULL,
  idempotency_key   TEXT    NOT NULL,
  segment_index     INTEGER NOT NULL CHECK (segment_index >= 0),
  label             TEXT    NOT NULL,
  coupon_code       TEXT    UNIQUE REFERENCES game_coupons (code),
  email             TEXT,
  marketing_consent INTEGER NOT NULL DEFAULT 0 CHECK (marketing_consent IN (0, 1)),
  consent_text      TEXT,
  played_at         TEXT    NOT NULL,
  next_play_at      TEXT    NOT NULL,
  UNIQUE (campaign_id, player, idempotency_key)
);

CREATE INDEX plays_by_player ON plays (campaign_id, player, next_play_at);

-- A coupon code is unique across loyalty redemptions and games. Either insert of a code the
-- other table holds is skipped (like ON CONFLICT DO NOTHING), and the caller draws a new code.
CREATE TRIGGER loyalty_coupon_code_not_used_by_a_game BEFORE INSERT ON coupons
WHEN EXISTS (SELECT 1 FROM game_coupons WHERE code = NEW.code)
BEGIN
  SELECT RAISE(IGNORE);
END;

CREATE TRIGGER game_coupon_code_not_used_by_loyalty BEFORE INSERT ON game_coupons
WHEN EXISTS (SELECT 1 FROM coupons WHERE code = NEW.code)
BEGIN
  SELECT RAISE(IGNORE);
END;

-- The demo shop's campaigns: a wheel (odds published, guests play with an email), a scratch
-- card, and a summer wheel that is over.
INSERT INTO campaigns (id, name, game, starts_at, ends_at, play_every_seconds, coupon_valid_days,
                       guest_email, consent_text, disclose_odds, rules_url) VALUES
  ('vinterhjulet', 'Vinterhjulet', 'wheel', '2026-01-01T00:00:00Z', NULL, 86400, 30,
   1, 'Ja takk, send meg tilbud og nyheter fra Nordlys Strikk på e-post. Du kan melde deg av når som helst.',
   1, '/kampanje.html#regler'),
  ('skrapelodd', 'Julens skrapelodd', 'scratch', '2026-01-01T00:00:00Z', NULL, 86400, 14,
   1, 'Ja takk, send meg tilbud og nyheter fra Nordlys Strikk på e-post. Du kan melde deg av når som helst.',
   0, NULL),
  ('sommerhjulet', 'Sommerhjulet', 'wheel', '2026-06-01T00:00:00Z', '2026-08-31T22:00:00Z', 86400, 30,
   0, NULL, 0, NULL);

INSERT INTO campaign_segments (campaign_id, position, label, color, weight, prize, stock, fallback) VALUES
  ('vinterhjulet', 0, '10 % rabatt',  '#0b6e4f', 26, '10 % rabatt på hele butikken', NULL, 0),
  ('vinterhjulet', 1, 'Prøv igjen',   '#f1e9dc', 20, NULL, NULL, 1),
  ('vinterhjulet', 2, 'Gratis frakt', '#24486b', 20, 'Gratis frakt', NULL, 0),
  ('vinterhjulet', 3, '50 kr',        '#f2c14e', 12, '50 kr rabatt', 500, 0),
  ('vinterhjulet', 4, '20 % rabatt',  '#8c2f39', 8,  '20 % rabatt på hele butikken', 200, 0),
  ('vinterhjulet', 5, 'Nesten!',      '#e8e1d4', 10, NULL, NULL, 0),
  ('vinterhjulet', 6, 'Gratis lue',   '#5a4a78', 2,  'En Marius-lue på huset', 5, 0),
  ('vinterhjulet', 7, '100 kr',       '#b07d2b', 2,  '100 kr rabatt', 50, 0),
  ('skrapelodd', 0, '15 % rabatt',   '#0b6e4f', 40, '15 % rabatt på hele butikken', NULL, 0),
  ('skrapelodd', 1, 'Gratis frakt',  '#24486b', 30, 'Gratis frakt', NULL, 0),
  ('skrapelodd', 2, 'Ingen gevinst', '#e8e1d4', 25, NULL, NULL, 1),
  ('skrapelodd', 3, 'Garnpakke',     '#b07d2b', 5,  'Garnpakke «Fana»', 3, 0),
  ('sommerhjulet', 0, '10 % rabatt', '#0b6e4f', 50, '10 % rabatt', NULL, 0),
  ('sommerhjulet', 1, 'Prøv igjen',  '#f1e9dc', 50, NULL, NULL, 1),
  ('sommerhjulet', 2, 'Gratis frakt', '#24486b', 50, 'Gratis frakt', NULL, 0),
  ('sommerhjulet', 3, 'Nesten!',     '#e8e1d4', 50, NULL, NULL, 0);
