-- cafflow schema, version 3 (MySQL/MariaDB): the changes of
-- sqlite/0003_coordinators.sql. Times are Unix milliseconds, 0 = not set.
--
-- DDL commits implicitly in MySQL: the store re-runs an interrupted migration
-- and skips statements that fail with "already exists" (sql_store.cpp), so
-- every statement here is one that such an error proves done (see
-- 0002_durable_state.sql).

-- The trigger that created an instance: trigger_kind becomes 'rerun' after a
-- rerun, origin keeps e.g. 'cron'. '' in rows from before this migration:
-- the store reads those as their trigger_kind.
ALTER TABLE instance
  ADD COLUMN origin VARCHAR(32) NOT NULL DEFAULT '';
