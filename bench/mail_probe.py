"""Loaded into the benchmark's Celery workers (``--include bench.mail_probe``): counts the SQL
statements of every send task into Redis, and offers an anymail test backend that keeps no outbox."""

from __future__ import annotations

import itertools
import os
import time

from anymail.backends.test import EmailBackend as AnymailTestBackend
from celery.signals import task_postrun, task_prerun
from django.core import mail
from django.db import connection

_counter = itertools.count()
_state = {"queries": 0, "wrapper": None, "started": 0.0}


class CountingTestBackend(AnymailTestBackend):
    """anymail's test backend (payload building, recipient status, message ids) without keeping
    100,000 messages in memory."""

    def get_esp_message_id(self, message):
        return f"bench-{os.getpid()}-{next(_counter)}"

    def post_to_esp(self, payload, message):
        response = super().post_to_esp(payload, message)
        mail.outbox.clear()
        return response


def _count(execute, sql, params, many, context):
    _state["queries"] += 1
    return execute(sql, params, many, context)


@task_prerun.connect
def _start(sender=None, **kwargs):
    _state["queries"] = 0
    _state["started"] = time.perf_counter()
    _state["wrapper"] = connection.execute_wrapper(_count)
    _state["wrapper"].__enter__()


@task_postrun.connect
def _stop(sender=None, args=None, **kwargs):
    if _state["wrapper"] is None:
        return
    _state["wrapper"].__exit__(None, None, None)
    _state["wrapper"] = None
    if sender is not None and sender.name.endswith("send_batch"):
        import redis

        client = redis.Redis.from_url(os.environ["REDIS_URL"])
        client.rpush("bench:batch-queries", _state["queries"])
        client.rpush("bench:batch-seconds", time.perf_counter() - _state["started"])
