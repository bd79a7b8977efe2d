-- PostgreSQL only: 0005's two triggers, which SQLite writes with RAISE(IGNORE). Returning NULL
-- from a BEFORE trigger skips the row the same way, so the caller draws a new code.
CREATE FUNCTION skip_coupon_code_used_elsewhere() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_TABLE_NAME = 'coupons' AND EXISTS (SELECT 1 FROM game_coupons WHERE code = NEW.code)
     OR TG_TABLE_NAME = 'game_coupons' AND EXISTS (SELECT 1 FROM coupons WHERE code = NEW.code) THEN
    RETURN NULL;
  END IF;
  RETURN NEW;
END
$$;

CREATE TRIGGER loyalty_coupon_code_not_used_by_a_game BEFORE INSERT ON coupons
FOR EACH ROW EXECUTE FUNCTION skip_coupon_code_used_elsewhere();

CREATE TRIGGER game_coupon_code_not_used_by_loyalty BEFORE INSERT ON game_coupons
FOR EACH ROW EXECUTE FUNCTION skip_coupon_code_used_elsewhere();
