"""gunicorn settings of the web process: ``gunicorn hostnotify.wsgi -c hostnotify/gunicorn.conf.py``.

Used by docker-compose.yml, the Dockerfile and the benchmarks, so what is measured is what ships.

Threads, not one request per process: after a mailing, thousands of customers open their portal
within minutes. With sync workers, a handful of slow requests occupied every process and the cached
``/status/`` page waited behind them. Each ``gthread`` worker serves ``WEB_THREADS`` requests at
once, so a slow page holds one thread while the others keep answering. A request that cannot end
is cut by PostgreSQL: web processes run with ``statement_timeout`` (``DATABASE_STATEMENT_TIMEOUT``,
milliseconds; bulk work in Celery and the command line keeps no limit). gunicorn's own ``timeout``
restarts a worker whose main loop stops answering (with threads it is not a per-request limit).
Every thread keeps its own database connection (``CONN_MAX_AGE``): PostgreSQL needs
``WEB_WORKERS × WEB_THREADS`` connections per web container, plus the Celery workers'.
"""

import multiprocessing
import os

bind = os.environ.get("WEB_BIND", "0.0.0.0:8000")
worker_class = "gthread"
workers = int(os.environ.get("WEB_WORKERS", max(2, multiprocessing.cpu_count())))
threads = int(os.environ.get("WEB_THREADS", 8))
timeout = int(os.environ.get("WEB_TIMEOUT", 30))
graceful_timeout = 30
keepalive = 5
backlog = 2048
# Recycle workers now and then (leaks in third-party code), not all at once.
max_requests = 20_000
max_requests_jitter = 2_000
accesslog = os.environ.get("WEB_ACCESS_LOG", "-") or None
# Web requests must not run for minutes: one page's statements are cut after this.
os.environ.setdefault("DATABASE_STATEMENT_TIMEOUT", "30000")
