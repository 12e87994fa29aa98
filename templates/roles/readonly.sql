-- pgharden role template: readonly
-- kind: app
-- Reads rows in the schema, nothing else: reports, dashboards, read replicas' consumers.
GRANT CONNECT ON DATABASE :database TO :role;
GRANT USAGE ON SCHEMA :schema TO :role;
GRANT SELECT ON ALL TABLES IN SCHEMA :schema TO :role;
GRANT SELECT ON ALL SEQUENCES IN SCHEMA :schema TO :role;
ALTER DEFAULT PRIVILEGES IN SCHEMA :schema GRANT SELECT ON TABLES TO :role;
