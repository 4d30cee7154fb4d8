-- The application's database role: it reads and writes rows but owns no table, so it can neither
-- truncate the credit ledger nor disable the ledger's triggers (only an owner can). Migrations
-- run as the owner (POSTGRES_USER in docker-compose). Run once per database, as the owner or a
-- superuser, AFTER the first `migrate` or before it (default privileges cover later tables):
--   psql -v app_password=SECRET -d hostnotify -f deploy/postgres/init-roles.sql
-- docker-compose runs it on the database's first start, with the password from APP_DB_PASSWORD.
\set ON_ERROR_STOP on
\if :{?app_password}
\else
  \getenv app_password APP_DB_PASSWORD
\endif
\if :{?app_role}
\else
  \set app_role hostnotify_app
\endif

CREATE ROLE :"app_role" LOGIN PASSWORD :'app_password' NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT;
SELECT format('GRANT CONNECT ON DATABASE %I TO %I', current_database(), :'app_role') \gexec
GRANT USAGE ON SCHEMA public TO :"app_role";
-- Rows only: no TRUNCATE, no REFERENCES, no TRIGGER; the ledger's trigger refuses UPDATE and DELETE.
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO :"app_role";
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO :"app_role";
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO :"app_role";
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO :"app_role";
