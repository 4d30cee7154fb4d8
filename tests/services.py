"""Which database and broker ``make test`` uses: PostgreSQL and Redis at their default local
addresses when they answer, else SQLite and in-process Celery.

Prints shell lines for ``eval``. A ``DATABASE_URL`` or ``REDIS_URL`` already in the environment is
kept; set empty, it means "not that service" (``DATABASE_URL= make test`` runs on SQLite).
"""

from __future__ import annotations

import os
import shlex
import sys

LOCAL_POSTGRES = "postgres://postgres@127.0.0.1:5432/hostnotify"
LOCAL_REDIS = "redis://127.0.0.1:6379/0"


def local_postgres(url: str = LOCAL_POSTGRES) -> str:
    """``url`` when PostgreSQL answers there (its database created if missing), else ""."""
    import psycopg
    from psycopg import sql

    base, _, name = url.rpartition("/")
    try:
        with psycopg.connect(f"{base}/postgres", connect_timeout=2, autocommit=True) as conn:
            if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone() is None:
                conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    except psycopg.Error:
        return ""
    return url


def local_redis(url: str = LOCAL_REDIS) -> str:
    """``url`` when Redis answers a PING there, else ""."""
    import redis

    try:
        redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2).ping()
    except redis.RedisError:
        return ""
    return url


def main() -> None:
    chosen = {
        "DATABASE_URL": os.environ["DATABASE_URL"] if "DATABASE_URL" in os.environ else local_postgres(),
        "REDIS_URL": os.environ["REDIS_URL"] if "REDIS_URL" in os.environ else local_redis(),
    }
    for name, value in chosen.items():
        print(f"export {name}={shlex.quote(value)}" if value else f"unset {name}")
    database = "PostgreSQL" if chosen["DATABASE_URL"].startswith("postgres") else "SQLite"
    broker = "Redis" if chosen["REDIS_URL"] else "none (Celery in-process)"
    print(f"make test: database {database}, broker {broker}", file=sys.stderr)


if __name__ == "__main__":
    main()
