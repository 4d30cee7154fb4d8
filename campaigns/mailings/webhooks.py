"""Delivery tracking: anymail's tracking webhooks (authenticated by anymail's WEBHOOK_SECRET basic
auth and the ESP's signature where it has one) become DeliveryEvents. A repeated event changes
nothing, the tracking state only moves forward, hard bounces and complaints suppress the address."""

from __future__ import annotations

import hashlib
import json
import logging

from anymail.signals import AnymailTrackingEvent, tracking
from django.conf import settings
from django.db import IntegrityError, transaction
from django.dispatch import receiver
from django.utils import timezone

from campaigns.mailings import rules
from campaigns.mailings.models import Delivery, DeliveryEvent, SuppressedAddress

log = logging.getLogger(__name__)


@receiver(tracking, dispatch_uid="hostnotify-delivery-tracking")
def on_tracking_event(sender, event: AnymailTrackingEvent, esp_name: str, **kwargs) -> None:
    esp = esp_name.lower()
    if esp != settings.ANYMAIL_ESP.lower():
        log.warning("tracking event from %s ignored: the configured ESP is %s", esp, settings.ANYMAIL_ESP)
        return
    delivery_track(event=event, esp=esp)


def delivery_track(*, event: AnymailTrackingEvent, esp: str) -> DeliveryEvent | None:
    """Record one tracking event; None when it is a repeat or belongs to no delivery of ours."""
    with transaction.atomic():
        delivery = _delivery_for(event)
        if delivery is None:
            log.info("tracking event for an unknown message %s ignored", event.message_id)
            return None
        try:
            with transaction.atomic():
                recorded = DeliveryEvent.objects.create(
                    delivery=delivery,
                    esp=esp[:32],
                    event_type=event.event_type[:32],
                    event_id=_event_id(event)[:255],
                    occurred_at=event.timestamp or timezone.now(),
                    description=(event.description or event.mta_response or "")[:2000],
                    payload=_jsonable(event.esp_event),
                )
        except IntegrityError:
            return None  # the same event again
        state = rules.TRACKING_FOR_EVENT.get(event.event_type)
        if state is not None:
            moved = rules.tracking_after(delivery.tracking, state)
            if moved != delivery.tracking:
                Delivery.objects.filter(pk=delivery.pk).update(tracking=moved, updated_at=timezone.now())
        if _suppresses(event):
            SuppressedAddress.objects.get_or_create(
                email=delivery.email.lower(), defaults={"reason": event.event_type, "delivery": delivery}
            )
    return recorded


def _delivery_for(event: AnymailTrackingEvent) -> Delivery | None:
    deliveries = Delivery.objects.select_for_update()
    delivery_id = (event.metadata or {}).get("delivery_id")
    if delivery_id and str(delivery_id).isdigit():
        delivery = deliveries.filter(pk=int(delivery_id)).first()
        if delivery is not None:
            return delivery
    if event.message_id:
        return deliveries.filter(message_id=str(event.message_id)).exclude(message_id="").first()
    return None


def _event_id(event: AnymailTrackingEvent) -> str:
    """The ESP's event id, or — for ESPs without one (Postmark, except bounces) — a digest of the
    raw event, so the same event delivered twice has the same key."""
    if event.event_id:
        return str(event.event_id)
    raw = json.dumps(_jsonable(event.esp_event), sort_keys=True, default=str)
    return "sha256:" + hashlib.sha256(f"{event.event_type}|{event.message_id}|{raw}".encode()).hexdigest()


def _suppresses(event: AnymailTrackingEvent) -> bool:
    if event.event_type == "complained":
        return True
    if event.event_type != "bounced":
        return False
    raw_type = event.esp_event.get("Type") if isinstance(event.esp_event, dict) else None
    return raw_type not in rules.SOFT_BOUNCE_TYPES


def _jsonable(value):
    if isinstance(value, dict | list | str | int | float | bool) or value is None:
        try:
            json.dumps(value, default=str)
            return json.loads(json.dumps(value, default=str))
        except (TypeError, ValueError):
            return {}
    return {"raw": str(value)[:4000]}
