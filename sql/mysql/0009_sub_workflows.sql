-- cafflow schema, version 9 (MySQL/MariaDB): the changes of
-- sqlite/0009_sub_workflows.sql.
--
-- DDL commits implicitly in MySQL: an interrupted run is re-run and the
-- statements that fail with "already exists" (column) count as done, so
-- there is one ALTER per table.
ALTER TABLE instance
  ADD COLUMN parent_node VARCHAR(255) NOT NULL DEFAULT '',
  ADD COLUMN depth INT NOT NULL DEFAULT 0,
  ADD COLUMN timezone VARCHAR(64) NOT NULL DEFAULT '';

ALTER TABLE attempt
  ADD COLUMN child_id VARCHAR(32) NOT NULL DEFAULT '';
