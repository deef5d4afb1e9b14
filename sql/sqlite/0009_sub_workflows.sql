-- cafflow schema, version 9 (SQLite): sub-workflows (docs/WORKFLOWS.md
-- "sub-workflow"). A child instance names its parent's node (its parent is
-- parent_id), its nesting depth and the zone its expressions use (its
-- parent's; '' = its workflow's own). The attempt of a sub-workflow node
-- names the child it runs, written in the child's own transaction, so that
-- a new master re-attaches to that child instead of starting another.
ALTER TABLE instance ADD COLUMN parent_node TEXT NOT NULL DEFAULT '';
ALTER TABLE instance ADD COLUMN depth INTEGER NOT NULL DEFAULT 0;
ALTER TABLE instance ADD COLUMN timezone TEXT NOT NULL DEFAULT '';
ALTER TABLE attempt ADD COLUMN child_id TEXT NOT NULL DEFAULT '';
