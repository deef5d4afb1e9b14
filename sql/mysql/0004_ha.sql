-- cafflow schema, version 4 (MySQL/MariaDB): the table of sqlite/0004_ha.sql.
-- Times are Unix milliseconds.
--
-- DDL commits implicitly in MySQL: the store re-runs an interrupted migration
-- and skips statements that fail with "already exists" (sql_store.cpp), so
-- every statement here is one that such an error proves done (see
-- 0002_durable_state.sql).

-- Every master process, active or standby, by the address it listens on: each
-- writes its own row at start and again now and then, so that operators (and
-- the other masters) see who is there, which one is active and when each was
-- last heard of. role is 'active' or 'standby'; host is the machine's name.
CREATE TABLE IF NOT EXISTS master_nodes (
  address    VARCHAR(255) NOT NULL PRIMARY KEY,
  role       VARCHAR(16)  NOT NULL,
  pid        BIGINT       NOT NULL,
  host       VARCHAR(255) NOT NULL,
  started_at BIGINT       NOT NULL,
  seen_at    BIGINT       NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
