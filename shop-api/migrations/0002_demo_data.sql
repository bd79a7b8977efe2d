-- The demo shop "Nordlys Strikk": what the demo storefront and the tests run against.

INSERT INTO program (id, name, signup_bonus, signup_url)
VALUES (1, 'Lojal Fordelsklubb', 100, '/bli-medlem');

INSERT INTO tiers (id, name, min_points) VALUES
  ('bronze', 'Bronse', 0),
  ('silver', 'Sølv', 500),
  ('gold', 'Gull', 1500);

INSERT INTO customers (id, first_name, points, tier_points) VALUES
  ('c-1001', 'Ingrid', 1250, 1250),
  ('c-1002', 'Mart', 300, 300),
  ('c-1003', 'Kari', 4200, 5200);

INSERT INTO rewards (id, name, cost) VALUES
  ('r-ship', 'Gratis frakt', 300),
  ('r-50', '50 kr rabatt', 500),
  ('r-100', '100 kr rabatt', 1000),
  ('r-250', '250 kr rabatt', 2500);
