"""Only the configured ESP's tracking webhook is mounted under /anymail/ (``HOSTNOTIFY_ESP``),
not every ESP that anymail knows. A payload that does not parse (empty, not JSON, not the ESP's
shape) answers 400 and writes nothing; failures after parsing (the database) still answer 500, so
that the ESP retries."""

from __future__ import annotations

import importlib
import logging

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.http import HttpResponseBadRequest
from django.urls import path

log = logging.getLogger(__name__)

# What anymail's parsers raise on input of the wrong shape.
MALFORMED = (ValueError, KeyError, TypeError, AttributeError, IndexError, LookupError)


class MalformedWebhook(Exception):
    pass


def _anymail_view(esp: str):
    try:
        module = importlib.import_module(f"anymail.webhooks.{esp}")
    except ImportError:
        raise ImproperlyConfigured(f"HOSTNOTIFY_ESP={esp!r} is not an ESP anymail knows") from None
    views = [
        view
        for name, view in vars(module).items()
        if isinstance(view, type) and name.endswith(("TrackingWebhookView", "CombinedWebhookView"))
        and view.__module__ == module.__name__
    ]  # fmt: skip
    if len(views) != 1:
        raise ImproperlyConfigured(f"anymail has no single tracking webhook for {esp!r}")
    return views[0]


def guarded_tracking_view(esp: str):
    """The ESP's anymail tracking view, answering 400 instead of 500 to malformed payloads, and
    recording a request's events all or none."""
    base = _anymail_view(esp)

    class GuardedTrackingWebhookView(base):  # type: ignore[valid-type, misc]
        def parse_events(self, request):
            try:
                events = list(super().parse_events(request))
            except MALFORMED as exc:
                raise MalformedWebhook(f"{type(exc).__name__}: {exc}") from exc
            for event in events:
                # Unexpected: nothing to attribute it to, no time, or a kind anymail does not know.
                if not event.message_id or event.timestamp is None or event.event_type == "unknown":
                    raise MalformedWebhook(f"unexpected event {event.event_type!r} for {event.message_id!r}")
            return events

        def post(self, request, *args, **kwargs):
            try:
                with transaction.atomic():
                    return super().post(request, *args, **kwargs)
            except MalformedWebhook as exc:
                log.warning("malformed %s webhook refused: %s", esp, exc)
                return HttpResponseBadRequest("malformed webhook payload", content_type="text/plain")

    GuardedTrackingWebhookView.__name__ = f"Guarded{base.__name__}"
    return GuardedTrackingWebhookView.as_view()


def anymail_urlpatterns() -> list:
    esp = settings.ANYMAIL_ESP.lower()
    suffix = "" if esp == "mandrill" else "tracking/"
    return [path(f"{esp}/{suffix}", guarded_tracking_view(esp), name=f"{esp}_tracking_webhook")]
