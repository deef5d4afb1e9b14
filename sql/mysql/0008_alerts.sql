-- cafflow schema, version 8 (MySQL/MariaDB): the table of
-- sqlite/0006_alerts.sql. Times are Unix milliseconds, 0 = not set.
-- MEDIUMTEXT, not JSON or LONGTEXT (Poco's MySQL connector cannot read those).
--
-- DDL commits implicitly in MySQL: a re-run after an interruption skips a
-- statement that fails with "already exists" (sql_store.cpp).
CREATE TABLE IF NOT EXISTS alert (
  id          BIGINT        NOT NULL AUTO_INCREMENT PRIMARY KEY,
  dedup_key   VARCHAR(64)   NOT NULL,
  channel     VARCHAR(1024) NOT NULL,
  kind        VARCHAR(32)   NOT NULL,
  severity    VARCHAR(16)   NOT NULL,
  workflow    VARCHAR(255)  NOT NULL,
  instance_id VARCHAR(32)   NOT NULL,
  node        VARCHAR(255)  NOT NULL,
  title       VARCHAR(1024) NOT NULL,
  event       MEDIUMTEXT    NOT NULL CHECK (JSON_VALID(event)),
  status      VARCHAR(16)   NOT NULL,
  attempts    INT           NOT NULL,
  next_at     BIGINT        NOT NULL,
  created_at  BIGINT        NOT NULL,
  sent_at     BIGINT        NOT NULL,
  sent_with   BIGINT        NOT NULL,
  answer      TEXT          NOT NULL,
  UNIQUE KEY alert_dedup (dedup_key),
  KEY alert_pending (status, next_at),
  KEY alert_by_workflow (workflow, id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
