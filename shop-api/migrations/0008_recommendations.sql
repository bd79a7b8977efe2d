-- "For you": the purchases the recommendation model learns from, in the order they happened,
-- so that every API process can learn what others took in (each reads from its last id on),
-- and which products are bought again and again (and so may be recommended again).

ALTER TABLE products ADD COLUMN repeat_purchase INTEGER NOT NULL DEFAULT 0 CHECK (repeat_purchase IN (0, 1));
UPDATE products SET repeat_purchase = 1 WHERE id IN ('p-alpakka', 'p-ullvask', 'p-sokker');

-- The demo shoppers' own histories, so that each is someone: Ingrid wears sweaters, Mart knits,
-- Kari keeps warm underneath. The older seed orders become guests' (their lines still count
-- for "bought together" and "popular").
UPDATE orders SET customer_id = NULL WHERE id LIKE 'o-%';
INSERT INTO orders (id, customer_id, created_at) VALUES
  ('h-1001-1', 'c-1001', strftime('%Y-%m-%dT%H:%M:%SZ', 'now', '-400 days')),
  ('h-1001-2', 'c-1001', strftime('%Y-%m-%dT%H:%M:%SZ', 'now', '-380 days')),
  ('h-1002-1', 'c-1002', strftime('%Y-%m-%dT%H:%M:%SZ', 'now', '-390 days')),
  ('h-1002-2', 'c-1002', strftime('%Y-%m-%dT%H:%M:%SZ', 'now', '-370 days')),
  ('h-1003-1', 'c-1003', strftime('%Y-%m-%dT%H:%M:%SZ', 'now', '-395 days')),
  ('h-1003-2', 'c-1003', strftime('%Y-%m-%dT%H:%M:%SZ', 'now', '-375 days'));
INSERT INTO order_lines (order_id, product_id, quantity) VALUES
  ('h-1001-1', 'p-setesdal', 1), ('h-1001-1', 'p-marius', 1),
  ('h-1001-2', 'p-islender', 1),
  ('h-1002-1', 'p-fana', 1), ('h-1002-1', 'p-alpakka', 4),
  ('h-1002-2', 'p-pinner', 1),
  ('h-1003-1', 'p-troye', 1), ('h-1003-1', 'p-sokker', 1),
  ('h-1003-2', 'p-ullvask', 1);

-- One row per product of a paid order, `shopper` being the customer id or, for a guest,
-- the order's own key (a guest's order is a shopper of its own).
CREATE TABLE purchases (
  id         INTEGER PRIMARY KEY,
  shopper    TEXT    NOT NULL,
  product_id TEXT    NOT NULL REFERENCES products (id),
  order_key  TEXT    NOT NULL,
  created_at TEXT    NOT NULL,
  UNIQUE (order_key, product_id)
);

INSERT INTO purchases (shopper, product_id, order_key, created_at)
SELECT COALESCE(o.customer_id, 'order:' || o.id), l.product_id, o.id, o.created_at
FROM orders o JOIN order_lines l ON l.order_id = o.id
ORDER BY o.created_at, o.id, l.product_id;
