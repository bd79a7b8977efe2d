-- The merchant console: who may sign in with a password (the merchant token always may), the
-- sessions a sign-in opens (here, not in a process's memory, so any instance answers them), the
-- failed sign-ins that rate-limit guessing, the audit log of every write the console makes,
-- the drafts its previews show, and a revision per campaign so a stale form cannot overwrite
-- a newer campaign silently.

-- A password set with `shop-api console password NAME` (Argon2id, PHC string).
CREATE TABLE console_users (
  name          TEXT PRIMARY KEY,
  password_hash TEXT NOT NULL,
  created_at    TEXT NOT NULL,
  updated_at    TEXT NOT NULL
);

-- `id_hash` is the SHA-256 of the cookie's value: the table alone opens no session. `actor`
-- names who signed in ('merchant token' or 'user:NAME'); `csrf` is the token every write must
-- carry in its `x-csrf-token` header. A session ends at `expires_at` (idle) or `ends_at`
-- (absolute), whichever comes first.
CREATE TABLE console_sessions (
  id_hash      TEXT PRIMARY KEY,
  actor        TEXT NOT NULL,
  csrf         TEXT NOT NULL,
  created_at   TEXT NOT NULL,
  expires_at   TEXT NOT NULL,
  ends_at      TEXT NOT NULL
);
CREATE INDEX console_sessions_by_end ON console_sessions (ends_at);

-- Failed sign-ins by a keyed hash of the client's address (not the address).
CREATE TABLE console_sign_in_failures (
  id      INTEGER PRIMARY KEY,
  ip_hash TEXT NOT NULL,
  at      TEXT NOT NULL
);
CREATE INDEX console_sign_in_failures_by_ip ON console_sign_in_failures (ip_hash, at);

-- Who changed what, when: one row per write (and per sign-in and sign-out), written in the
-- transaction of the change itself. `detail` is JSON.
CREATE TABLE audit_log (
  id     INTEGER PRIMARY KEY,
  at     TEXT NOT NULL,
  actor  TEXT NOT NULL,
  action TEXT NOT NULL,
  target TEXT NOT NULL,
  detail TEXT NOT NULL
);
CREATE INDEX audit_log_by_time ON audit_log (at);

-- A draft the console previews in the real widgets before it is saved: a programme or a
-- campaign, read by the preview endpoints under its random id for an hour.
CREATE TABLE console_previews (
  id         TEXT PRIMARY KEY,
  kind       TEXT NOT NULL CHECK (kind IN ('programme', 'campaign')),
  config     TEXT NOT NULL,
  created_at TEXT NOT NULL
);

ALTER TABLE campaigns ADD COLUMN revision INTEGER NOT NULL DEFAULT 1;
