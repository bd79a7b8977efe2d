-- PostgreSQL only, run before the shared migrations: SQLite's `strftime` for the one form the
-- migrations and the API use, `strftime('%Y-%m-%dT%H:%M:%SZ', time, modifier…)`, where time is
-- 'now' (the statement's start, as in SQLite) or a UTC timestamp, and each modifier an interval
-- such as '-16 days' or '+30 days'.
CREATE OR REPLACE FUNCTION strftime(format text, at text, VARIADIC modifiers text[] DEFAULT '{}')
RETURNS text LANGUAGE plpgsql STABLE AS $$
BEGIN
  IF format <> '%Y-%m-%dT%H:%M:%SZ' THEN
    RAISE EXCEPTION 'lojal: strftime supports only %%Y-%%m-%%dT%%H:%%M:%%SZ, not %', format;
  END IF;
  RETURN to_char(
    (CASE WHEN at = 'now' THEN statement_timestamp() ELSE at::timestamptz END
     + (SELECT coalesce(sum(m::interval), interval '0') FROM unnest(modifiers) AS m))
      AT TIME ZONE 'UTC',
    'YYYY-MM-DD"T"HH24:MI:SS"Z"');
END
$$;
