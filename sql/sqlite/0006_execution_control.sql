-- cafflow schema, version 6 (SQLite): execution control (issue 17). Which
-- nodes the instance's current execution runs, as a JSON object
-- {"mode": "nodes", "nodes": ["a"], "downstream": true, "skip": ["b"]};
-- '{}' = every node of a first run.
ALTER TABLE instance ADD COLUMN run_options TEXT NOT NULL DEFAULT '{}';

-- Every execution of an instance (its first run, each rerun, each resume
-- after a mark), with its node lists as they stood at its end.
CREATE TABLE execution (
  instance_id   TEXT    NOT NULL,
  number        INTEGER NOT NULL,
  trigger_kind  TEXT    NOT NULL DEFAULT '',
  requested_by  TEXT    NOT NULL DEFAULT '',
  run_options   TEXT    NOT NULL DEFAULT '{}',
  started_at    INTEGER NOT NULL DEFAULT 0,
  finished_at   INTEGER NOT NULL DEFAULT 0,
  status        TEXT    NOT NULL DEFAULT '',
  nodes         TEXT    NOT NULL DEFAULT '{}',
  PRIMARY KEY (instance_id, number)
);
ALTER TABLE instance ADD COLUMN execution INTEGER NOT NULL DEFAULT 1;
ALTER TABLE instance ADD COLUMN requested_by TEXT NOT NULL DEFAULT '';
ALTER TABLE attempt ADD COLUMN execution INTEGER NOT NULL DEFAULT 1;
