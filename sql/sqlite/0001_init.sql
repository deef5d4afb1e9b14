-- cafflow schema, version 1 (SQLite). Times are Unix milliseconds, 0 = not set.

-- The current version of every workflow ever loaded.
CREATE TABLE workflow (
  name            TEXT    NOT NULL PRIMARY KEY,
  current_version INTEGER NOT NULL,
  dir             TEXT    NOT NULL,
  description     TEXT    NOT NULL,
  creator         TEXT    NOT NULL,
  file            TEXT    NOT NULL,
  hash            TEXT    NOT NULL,
  node_count      INTEGER NOT NULL,
  status          TEXT    NOT NULL,
  loaded_at       INTEGER NOT NULL
);

-- Every loaded version, with its XML: instances name the version they ran.
CREATE TABLE workflow_version (
  workflow  TEXT    NOT NULL,
  version   INTEGER NOT NULL,
  hash      TEXT    NOT NULL,
  file      TEXT    NOT NULL,
  xml       TEXT    NOT NULL,
  loaded_at INTEGER NOT NULL,
  PRIMARY KEY (workflow, version)
);

CREATE TABLE instance (
  id           TEXT    NOT NULL PRIMARY KEY,
  workflow     TEXT    NOT NULL,
  version      INTEGER NOT NULL,
  status       TEXT    NOT NULL,
  trigger_kind TEXT    NOT NULL,
  params       TEXT    NOT NULL,
  logical_time INTEGER NOT NULL,
  priority     INTEGER NOT NULL,
  created_at   INTEGER NOT NULL,
  started_at   INTEGER NOT NULL,
  finished_at  INTEGER NOT NULL,
  message      TEXT    NOT NULL
);
CREATE INDEX instance_by_workflow ON instance (workflow, id);
CREATE INDEX instance_by_status ON instance (status, id);

CREATE TABLE node_instance (
  instance_id TEXT    NOT NULL,
  node        TEXT    NOT NULL,
  position    INTEGER NOT NULL,
  kind        TEXT    NOT NULL,
  action_type TEXT    NOT NULL,
  status      TEXT    NOT NULL,
  attempts    INTEGER NOT NULL,
  started_at  INTEGER NOT NULL,
  finished_at INTEGER NOT NULL,
  message     TEXT    NOT NULL,
  PRIMARY KEY (instance_id, node)
);

CREATE TABLE attempt (
  instance_id TEXT    NOT NULL,
  node        TEXT    NOT NULL,
  number      INTEGER NOT NULL,
  worker      TEXT    NOT NULL,
  epoch       INTEGER NOT NULL,
  pid         INTEGER NOT NULL,
  status      TEXT    NOT NULL,
  exit_code   INTEGER NOT NULL,
  lost        INTEGER NOT NULL,
  log_path    TEXT    NOT NULL,
  started_at  INTEGER NOT NULL,
  finished_at INTEGER NOT NULL,
  message     TEXT    NOT NULL,
  PRIMARY KEY (instance_id, node, number)
);
