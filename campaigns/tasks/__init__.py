"""Celery tasks by sub-domain; imported here so the worker's autodiscovery registers them."""

from . import pdf  # noqa: F401
from . import expiry  # noqa: F401  (issue 6)
