"""Celery tasks by sub-domain; imported here so the worker's autodiscovery registers them."""

from . import expiry, pdf  # noqa: F401
