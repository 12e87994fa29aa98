-- pgharden role template: app-readwrite
-- kind: app
-- Reads and writes rows in the schema; no CREATE, TRUNCATE, REFERENCES or TRIGGER, no ownership.
-- DELETE is kept on purpose: a deleted row comes back from last night's dump; a dropped table is a
-- different category of bad day, and DDL stays with the migrator role.
GRANT CONNECT ON DATABASE :database TO :role;
GRANT USAGE ON SCHEMA :schema TO :role;
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA :schema TO :role;
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA :schema TO :role;
ALTER DEFAULT PRIVILEGES IN SCHEMA :schema GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO :role;
ALTER DEFAULT PRIVILEGES IN SCHEMA :schema GRANT USAGE, SELECT ON SEQUENCES TO :role;
