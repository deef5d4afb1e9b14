-- cafflow schema, version 2 (MySQL/MariaDB): the tables of
-- sqlite/0002_durable_state.sql. Times are Unix milliseconds, 0 = not set.
--
-- DDL commits implicitly in MySQL: a migration interrupted half-way leaves
-- some of these changes in place without its schema_version row. The store
-- re-runs it and skips statements that fail with "already exists" (table,
-- column or index; sql_store.cpp), so every statement here must be one that
-- such an error proves done: CREATE TABLE IF NOT EXISTS, and one ALTER per
-- table (an ALTER is atomic: all of its changes are there, or none).

-- The instance a rerun or lineage run came from, and the backfill that
-- created an instance ('' = none). One ALTER: one rebuild of the table.
ALTER TABLE instance
  ADD COLUMN parent_id VARCHAR(32) NOT NULL DEFAULT '',
  ADD COLUMN backfill_id VARCHAR(64) NOT NULL DEFAULT '',
  ADD INDEX instance_by_logical_time (workflow, logical_time);

-- Every file of the xmlconfig directory and what became of it; diagnostics
-- is a JSON array of {file, line, column, severity, message}. 768 characters
-- of utf8mb4 are InnoDB's largest key (3072 bytes).
CREATE TABLE IF NOT EXISTS xml_file (
  path           VARCHAR(768) NOT NULL PRIMARY KEY,
  kind           VARCHAR(32)  NOT NULL,
  name           VARCHAR(255) NOT NULL,
  status         VARCHAR(32)  NOT NULL,
  hash           VARCHAR(128) NOT NULL,
  active_version INT          NOT NULL,
  checked_at     BIGINT       NOT NULL,
  diagnostics    MEDIUMTEXT   NOT NULL CHECK (JSON_VALID(diagnostics))
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- One row per coordinator fire: the key makes a fire exactly-once, also
-- across master restarts and failovers.
CREATE TABLE IF NOT EXISTS fire_record (
  workflow     VARCHAR(255) NOT NULL,
  logical_time BIGINT       NOT NULL,
  instance_id  VARCHAR(32)  NOT NULL,
  fired_at     BIGINT       NOT NULL,
  PRIMARY KEY (workflow, logical_time)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- Where each coordinator resumes; state is a JSON object.
CREATE TABLE IF NOT EXISTS coordinator_state (
  workflow  VARCHAR(255) NOT NULL PRIMARY KEY,
  next_fire BIGINT       NOT NULL,
  last_fire BIGINT       NOT NULL,
  state     MEDIUMTEXT   NOT NULL CHECK (JSON_VALID(state))
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- Which upstream instance satisfied a dependency of a logical time.
CREATE TABLE IF NOT EXISTS dependency_state (
  workflow     VARCHAR(255) NOT NULL,
  upstream     VARCHAR(255) NOT NULL,
  logical_time BIGINT       NOT NULL,
  instance_id  VARCHAR(32)  NOT NULL,
  satisfied_at BIGINT       NOT NULL,
  PRIMARY KEY (workflow, upstream, logical_time)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- The master lease: one row 'master'. Every master incarnation takes a
-- larger epoch, so workers and the store can refuse a stale master.
CREATE TABLE IF NOT EXISTS lease (
  name       VARCHAR(64)  NOT NULL PRIMARY KEY,
  holder     VARCHAR(255) NOT NULL,
  epoch      BIGINT       NOT NULL,
  expires_at BIGINT       NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
