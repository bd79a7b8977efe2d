-- PostgreSQL only: 0012's triggers, which keep each customer's ledger totals through every
-- insert, update and delete of a ledger row. Each adds to her row with an UPDATE, which
-- PostgreSQL applies to the newest version of the row: two transactions adding at once both
-- count.
CREATE FUNCTION keep_ledger_totals() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP IN ('UPDATE', 'DELETE') THEN
    UPDATE customers
       SET ledger_points = ledger_points - OLD.points,
           ledger_tier_points = ledger_tier_points - OLD.tier_points
     WHERE id = OLD.customer_id;
  END IF;
  IF TG_OP IN ('INSERT', 'UPDATE') THEN
    UPDATE customers
       SET ledger_points = ledger_points + NEW.points,
           ledger_tier_points = ledger_tier_points + NEW.tier_points
     WHERE id = NEW.customer_id;
  END IF;
  RETURN NULL;
END
$$;

CREATE TRIGGER ledger_totals AFTER INSERT OR DELETE OR UPDATE OF customer_id, points, tier_points
ON ledger FOR EACH ROW EXECUTE FUNCTION keep_ledger_totals();
