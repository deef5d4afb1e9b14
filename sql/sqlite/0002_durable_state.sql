-- cafflow schema, version 2 (SQLite): lineage of instances, the state of the
-- xmlconfig files, and what coordinators need to resume exactly where they
-- stopped. Times are Unix milliseconds, 0 = not set.

-- The instance a rerun or lineage run came from, and the backfill that
-- created an instance ('' = none).
ALTER TABLE instance ADD COLUMN parent_id TEXT NOT NULL DEFAULT '';
ALTER TABLE instance ADD COLUMN backfill_id TEXT NOT NULL DEFAULT '';
CREATE INDEX instance_by_logical_time ON instance (workflow, logical_time);

-- Every file of the xmlconfig directory and what became of it; diagnostics
-- is a JSON array of {file, line, column, severity, message}.
CREATE TABLE xml_file (
  path           TEXT    NOT NULL PRIMARY KEY,
  kind           TEXT    NOT NULL,
  name           TEXT    NOT NULL,
  status         TEXT    NOT NULL,
  hash           TEXT    NOT NULL,
  active_version INTEGER NOT NULL,
  checked_at     INTEGER NOT NULL,
  diagnostics    TEXT    NOT NULL
);

-- One row per coordinator fire: the key makes a fire exactly-once, also
-- across master restarts and failovers.
CREATE TABLE fire_record (
  workflow     TEXT    NOT NULL,
  logical_time INTEGER NOT NULL,
  instance_id  TEXT    NOT NULL,
  fired_at     INTEGER NOT NULL,
  PRIMARY KEY (workflow, logical_time)
);

-- Where each coordinator resumes; state is a JSON object.
CREATE TABLE coordinator_state (
  workflow  TEXT    NOT NULL PRIMARY KEY,
  next_fire INTEGER NOT NULL,
  last_fire INTEGER NOT NULL,
  state     TEXT    NOT NULL
);

-- Which upstream instance satisfied a dependency of a logical time.
CREATE TABLE dependency_state (
  workflow     TEXT    NOT NULL,
  upstream     TEXT    NOT NULL,
  logical_time INTEGER NOT NULL,
  instance_id  TEXT    NOT NULL,
  satisfied_at INTEGER NOT NULL,
  PRIMARY KEY (workflow, upstream, logical_time)
);

-- The master lease: one row 'master'. Every master incarnation takes a
-- larger epoch, so workers and the store can refuse a stale master.
CREATE TABLE lease (
  name       TEXT    NOT NULL PRIMARY KEY,
  holder     TEXT    NOT NULL,
  epoch      INTEGER NOT NULL,
  expires_at INTEGER NOT NULL
);
