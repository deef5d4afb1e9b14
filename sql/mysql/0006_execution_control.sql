-- cafflow schema, version 6 (MySQL/MariaDB): the changes of
-- sqlite/0006_execution_control.sql. MEDIUMTEXT for the JSON columns (Poco's
-- MySQL connector cannot read JSON or LONGTEXT), read in chunks like message.
--
-- DDL commits implicitly in MySQL: an interrupted run is re-run and the
-- statements that fail with "already exists" (table, column) count as done,
-- so there is one ALTER per table.
ALTER TABLE instance
  ADD COLUMN run_options MEDIUMTEXT NOT NULL,
  ADD COLUMN execution INT NOT NULL DEFAULT 1,
  ADD COLUMN requested_by VARCHAR(255) NOT NULL DEFAULT '';

ALTER TABLE attempt
  ADD COLUMN execution INT NOT NULL DEFAULT 1;

CREATE TABLE IF NOT EXISTS execution (
  instance_id  VARCHAR(32)  NOT NULL,
  number       INT          NOT NULL,
  trigger_kind VARCHAR(32)  NOT NULL,
  requested_by VARCHAR(255) NOT NULL,
  run_options  MEDIUMTEXT   NOT NULL,
  started_at   BIGINT       NOT NULL,
  finished_at  BIGINT       NOT NULL,
  status       VARCHAR(32)  NOT NULL,
  nodes        MEDIUMTEXT   NOT NULL,
  PRIMARY KEY (instance_id, number)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
