-- pgharden role template: migrator
-- kind: owner
-- Owns the schema's objects and runs deploys: CREATE in the database and the schema. Give it to
-- the deploy pipeline, never to the running application.
GRANT CONNECT, CREATE ON DATABASE :database TO :role;
GRANT USAGE, CREATE ON SCHEMA :schema TO :role;
