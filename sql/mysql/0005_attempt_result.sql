-- cafflow schema, version 5 (MySQL/MariaDB): the column of
-- sqlite/0005_attempt_result.sql. MEDIUMTEXT, not JSON or LONGTEXT (Poco's
-- MySQL connector cannot read those), read in chunks like message.
--
-- DDL commits implicitly in MySQL: a re-run after an interruption fails with
-- "duplicate column" (1060), which the store counts as done.
ALTER TABLE attempt
  ADD COLUMN result MEDIUMTEXT NOT NULL;
