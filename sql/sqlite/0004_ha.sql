-- cafflow schema, version 4 (SQLite): the masters of a highly available
-- cluster. Times are Unix milliseconds.

-- Every master process, active or standby, by the address it listens on: each
-- writes its own row at start and again now and then, so that operators (and
-- the other masters) see who is there, which one is active and when each was
-- last heard of. role is 'active' or 'standby'; host is the machine's name.
CREATE TABLE master_nodes (
  address    TEXT    NOT NULL PRIMARY KEY,
  role       TEXT    NOT NULL,
  pid        INTEGER NOT NULL,
  host       TEXT    NOT NULL,
  started_at INTEGER NOT NULL,
  seen_at    INTEGER NOT NULL
);
