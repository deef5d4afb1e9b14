-- cafflow schema, version 7 (SQLite): backfills (docs/SCHEDULING.md
-- "Backfill"). Times are Unix milliseconds, 0 = not set.

-- One backfill: a workflow over a range of logical times. options is the
-- request as a JSON object (range or dates, parallel, order, downstream,
-- rerun, params); state is planned, running, succeeded, failed or cancelled.
CREATE TABLE backfills (
  id          TEXT    NOT NULL PRIMARY KEY,
  workflow    TEXT    NOT NULL,
  options     TEXT    NOT NULL,
  state       TEXT    NOT NULL,
  created_by  TEXT    NOT NULL,
  created_at  INTEGER NOT NULL,
  finished_at INTEGER NOT NULL
);
CREATE INDEX backfills_by_state ON backfills (state, id);

-- Every (workflow, logical time) of a backfill's plan, once. instance_id is
-- written in the transaction that creates the instance ('' = none yet), so
-- an item never gets a second one. state is planned, started, skipped or
-- cancelled; a started item's progress is its instance's status.
CREATE TABLE backfill_items (
  backfill_id  TEXT    NOT NULL,
  workflow     TEXT    NOT NULL,
  logical_time INTEGER NOT NULL,
  position     INTEGER NOT NULL,
  instance_id  TEXT    NOT NULL,
  state        TEXT    NOT NULL,
  PRIMARY KEY (backfill_id, workflow, logical_time)
);
CREATE INDEX backfill_items_by_position ON backfill_items (backfill_id, position);
