-- cafflow schema, version 3 (SQLite): what coordinators need of instances.
-- Times are Unix milliseconds, 0 = not set.

-- The trigger that created an instance: trigger_kind becomes 'rerun' after a
-- rerun, origin keeps e.g. 'cron'. '' in rows from before this migration:
-- the store reads those as their trigger_kind.
ALTER TABLE instance ADD COLUMN origin TEXT NOT NULL DEFAULT '';
