-- cafflow schema, version 1 (MySQL/MariaDB): the tables of sqlite/0001_init.sql.
-- Times are Unix milliseconds, 0 = not set.
--
-- MySQL cannot index unbounded TEXT, so keys are VARCHAR; long free text is
-- MEDIUMTEXT (never LONGTEXT or JSON: Poco's MySQL connector crashes reading
-- them, STACK.md). utf8mb4_bin: names are case-sensitive in cafflow.
--
-- DDL commits implicitly in MySQL, so this file cannot run in a transaction:
-- every table is created only if missing, and the store tolerates "already
-- exists" when it re-runs a migration that was interrupted (sql_store.cpp).

-- The current version of every workflow ever loaded.
CREATE TABLE IF NOT EXISTS workflow (
  name            VARCHAR(255) NOT NULL PRIMARY KEY,
  current_version INT          NOT NULL,
  dir             TEXT         NOT NULL,
  description     MEDIUMTEXT   NOT NULL,
  creator         TEXT         NOT NULL,
  file            TEXT         NOT NULL,
  hash            VARCHAR(128) NOT NULL,
  node_count      INT          NOT NULL,
  status          VARCHAR(32)  NOT NULL,
  loaded_at       BIGINT       NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- Every loaded version, with its XML: instances name the version they ran.
CREATE TABLE IF NOT EXISTS workflow_version (
  workflow  VARCHAR(255) NOT NULL,
  version   INT          NOT NULL,
  hash      VARCHAR(128) NOT NULL,
  file      TEXT         NOT NULL,
  xml       MEDIUMTEXT   NOT NULL,
  loaded_at BIGINT       NOT NULL,
  PRIMARY KEY (workflow, version)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE IF NOT EXISTS instance (
  id           VARCHAR(32)  NOT NULL PRIMARY KEY,
  workflow     VARCHAR(255) NOT NULL,
  version      INT          NOT NULL,
  status       VARCHAR(32)  NOT NULL,
  trigger_kind VARCHAR(32)  NOT NULL,
  params       MEDIUMTEXT   NOT NULL CHECK (JSON_VALID(params)),
  logical_time BIGINT       NOT NULL,
  priority     INT          NOT NULL,
  created_at   BIGINT       NOT NULL,
  started_at   BIGINT       NOT NULL,
  finished_at  BIGINT       NOT NULL,
  message      MEDIUMTEXT   NOT NULL,
  INDEX instance_by_workflow (workflow, id),
  INDEX instance_by_status (status, id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE IF NOT EXISTS node_instance (
  instance_id VARCHAR(32)  NOT NULL,
  node        VARCHAR(255) NOT NULL,
  position    INT          NOT NULL,
  kind        VARCHAR(32)  NOT NULL,
  action_type VARCHAR(64)  NOT NULL,
  status      VARCHAR(32)  NOT NULL,
  attempts    INT          NOT NULL,
  started_at  BIGINT       NOT NULL,
  finished_at BIGINT       NOT NULL,
  message     MEDIUMTEXT   NOT NULL,
  PRIMARY KEY (instance_id, node)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE IF NOT EXISTS attempt (
  instance_id VARCHAR(32)  NOT NULL,
  node        VARCHAR(255) NOT NULL,
  number      INT          NOT NULL,
  worker      VARCHAR(255) NOT NULL,
  epoch       BIGINT       NOT NULL,
  pid         INT          NOT NULL,
  status      VARCHAR(32)  NOT NULL,
  exit_code   INT          NOT NULL,
  lost        INT          NOT NULL,
  log_path    TEXT         NOT NULL,
  started_at  BIGINT       NOT NULL,
  finished_at BIGINT       NOT NULL,
  message     MEDIUMTEXT   NOT NULL,
  PRIMARY KEY (instance_id, node, number)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
