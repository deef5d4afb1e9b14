-- cafflow schema, version 7 (MySQL/MariaDB): the tables of
-- sqlite/0007_backfills.sql. Times are Unix milliseconds, 0 = not set.
--
-- DDL commits implicitly in MySQL: the store re-runs an interrupted migration
-- and skips statements that fail with "already exists" (sql_store.cpp), so
-- every statement here is one that such an error proves done.

CREATE TABLE IF NOT EXISTS backfills (
  id          VARCHAR(32)  NOT NULL PRIMARY KEY,
  workflow    VARCHAR(255) NOT NULL,
  options     TEXT         NOT NULL CHECK (JSON_VALID(options)),
  state       VARCHAR(32)  NOT NULL,
  created_by  VARCHAR(255) NOT NULL,
  created_at  BIGINT       NOT NULL,
  finished_at BIGINT       NOT NULL,
  INDEX backfills_by_state (state, id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE IF NOT EXISTS backfill_items (
  backfill_id  VARCHAR(32)  NOT NULL,
  workflow     VARCHAR(255) NOT NULL,
  logical_time BIGINT       NOT NULL,
  position     INT          NOT NULL,
  instance_id  VARCHAR(32)  NOT NULL,
  state        VARCHAR(32)  NOT NULL,
  PRIMARY KEY (backfill_id, workflow, logical_time),
  INDEX backfill_items_by_position (backfill_id, position)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
