-- cafflow schema, version 5 (SQLite): what an action found, kept with its
-- attempt (issue 14): a JSON object, e.g. {"value": 1042, ...} for a
-- data-monitor, {"statements": 3, "rows": 10} for sql; '' = nothing.
ALTER TABLE attempt ADD COLUMN result TEXT NOT NULL DEFAULT '';
