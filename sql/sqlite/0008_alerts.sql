-- cafflow schema, version 8 (SQLite): the alert outbox and history
-- (docs/OPERATIONS.md, "Alerts"). Times are Unix milliseconds, 0 = not set.

-- One row per alert and channel. A row is written in the same transaction as
-- the state change that caused it where there is one (an instance's end, a
-- failed attempt), and sent by the active master's alerter; status is
-- pending (to send, next_at says when), sent or failed (gave up after
-- [alert] max_attempts). dedup_key (SHA-1 of the event's key and the
-- channel) is unique: an event raised again after a failover or a restart
-- adds nothing. sent_with is the row whose message carried this one in a
-- digest (0 = its own message); event is the event as JSON.
CREATE TABLE alert (
  id          INTEGER PRIMARY KEY AUTOINCREMENT,
  dedup_key   TEXT    NOT NULL,
  channel     TEXT    NOT NULL,
  kind        TEXT    NOT NULL,
  severity    TEXT    NOT NULL,
  workflow    TEXT    NOT NULL,
  instance_id TEXT    NOT NULL,
  node        TEXT    NOT NULL,
  title       TEXT    NOT NULL,
  event       TEXT    NOT NULL,
  status      TEXT    NOT NULL,
  attempts    INTEGER NOT NULL,
  next_at     INTEGER NOT NULL,
  created_at  INTEGER NOT NULL,
  sent_at     INTEGER NOT NULL,
  sent_with   INTEGER NOT NULL,
  answer      TEXT    NOT NULL
);
CREATE UNIQUE INDEX alert_dedup ON alert (dedup_key);
CREATE INDEX alert_pending ON alert (status, next_at);
CREATE INDEX alert_by_workflow ON alert (workflow, id);
