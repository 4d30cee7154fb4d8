"""``create_database``: the database ``DATABASE_URL`` names, created when PostgreSQL answers but does
not have it yet (``make demo`` runs it before ``migrate``); nothing to do on SQLite."""

import psycopg
from django.core.management.base import BaseCommand, CommandError
from django.db import connections
from psycopg import sql


class Command(BaseCommand):
    help = "Create the configured PostgreSQL database if it does not exist (SQLite: nothing to do)."

    def handle(self, *args, **options):
        connection = connections["default"]
        if connection.vendor != "postgresql":
            return
        db = connection.settings_dict
        name = db["NAME"]
        params = {
            key: db[setting]
            for key, setting in (("user", "USER"), ("password", "PASSWORD"), ("host", "HOST"), ("port", "PORT"))
            if db[setting]
        }
        params.update(
            {
                key: value
                for key, value in db["OPTIONS"].items()
                if key in ("sslmode", "sslrootcert", "sslcert", "sslkey")
            }
        )
        try:
            with psycopg.connect(**params, dbname="postgres", connect_timeout=5, autocommit=True) as conn:
                if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone() is not None:
                    return
                conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        except psycopg.Error as exc:
            message = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise CommandError(f"cannot create the database {name!r}: {message}") from None
        self.stdout.write(f"created the PostgreSQL database {name}")
