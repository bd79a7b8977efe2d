-- Feedback: NPS and CSAT answers and product reviews. Each answer is stored once per
-- client-generated idempotency key, however often the widget's outbox delivers it, and texts are
-- kept exactly as typed. Reviews wait for the merchant's moderation before they are published.

CREATE TABLE feedback (
  id              INTEGER PRIMARY KEY,
  idempotency_key TEXT    NOT NULL UNIQUE,
  type            TEXT    NOT NULL CHECK (type IN ('nps', 'csat', 'review')),
  score           INTEGER NOT NULL CHECK (
                    CASE type WHEN 'nps' THEN score BETWEEN 0 AND 10 ELSE score BETWEEN 1 AND 5 END),
  title           TEXT    CHECK (title IS NULL OR type = 'review'),
  text            TEXT,
  product_id      TEXT    CHECK ((type = 'review') = (product_id IS NOT NULL)),
  -- NULL for an anonymous answer; otherwise an id whose signature the server checked.
  customer_id     TEXT,
  campaign        TEXT    NOT NULL,
  order_id        TEXT,
  page_url        TEXT,
  locale          TEXT,
  -- 'received' (NPS, CSAT); a review is 'pending' until 'published' or 'rejected'.
  status          TEXT    NOT NULL CHECK (
                    CASE type WHEN 'review' THEN status IN ('pending', 'published', 'rejected')
                              ELSE status = 'received' END),
  created_at      TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
);

-- A signed-in shopper answers each prompt once per campaign period (each product once, for
-- reviews). Anonymous answers are limited by the shopper's browser only.
CREATE UNIQUE INDEX feedback_once_per_campaign
  ON feedback (customer_id, type, campaign, coalesce(product_id, ''))
  WHERE customer_id IS NOT NULL;

CREATE INDEX feedback_published_reviews
  ON feedback (product_id, created_at)
  WHERE type = 'review' AND status = 'published';

CREATE INDEX feedback_by_time ON feedback (created_at);

-- The demo shop's published reviews of its best seller.
INSERT INTO feedback
  (idempotency_key, type, score, title, text, product_id, customer_id, campaign, locale, status, created_at)
VALUES
  ('demo-review-0001', 'review', 5, 'Varm og myk', 'Kjøpte den til turen over Hardangervidda. Klør ikke, og holder formen etter vask.',
   'setesdal-genser', 'c-1003', 'demo', 'nb', 'published', '2026-10-02T09:14:00Z'),
  ('demo-review-0002', 'review', 4, 'Väga soe', 'Ilus muster ja kvaliteetne vill. Varrukad on natuke pikad.',
   'setesdal-genser', 'c-1002', 'demo', 'et', 'published', '2026-10-19T17:40:00Z');
