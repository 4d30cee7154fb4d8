"""Monitoring opens and closes outage windows: Prometheus Alertmanager's webhook notifications.

An alert is identified by its fingerprint and start (Alertmanager keeps the fingerprint of a label
set; the same alert firing again after it resolved has a new ``startsAt``). A firing alert whose
labels name a known server or storage volume opens a window at ``startsAt`` on the incident it maps
to; the resolved alert ends that window at ``endsAt``; an alert seen before changes nothing. An
alert about no known target is recorded for support (the console's alert list), never dropped.

The incident an alert maps to, by the value of its group label (``ALERT_GROUP_LABEL``): an open
incident with that slug; else the open incident earlier alerts of that group opened; else a new
incident, not public until support reviews and publishes it. Alerts of one group are applied one
at a time (a PostgreSQL advisory lock on the group for the transaction; SQLite writes one
transaction at a time anyway), so alerts of a new group arriving at once make one incident.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
from dataclasses import dataclass, field

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.utils.text import slugify

from accounts.models import Server, StorageVolume
from campaigns.api.models import MonitoringAlert
from campaigns.incidents.exposure import ExposureFrozen, exposure_is_frozen, exposure_recompute
from campaigns.incidents.models import Incident, OutageWindow
from campaigns.status.editing import incident_create, window_add, window_update

Outcome = MonitoringAlert.Outcome


@dataclass(frozen=True)
class Alert:
    status: str  # firing | resolved
    labels: dict[str, str]
    starts_at: dt.datetime
    ends_at: dt.datetime | None
    fingerprint: str = ""


@dataclass
class AlertSummary:
    opened: int = 0
    ended: int = 0
    unchanged: int = 0
    unknown_target: int = 0
    frozen: int = 0
    incidents: list[str] = field(default_factory=list)


def alert_fingerprint(alert: Alert) -> str:
    """Alertmanager's fingerprint, or one of our own from the labels when a sender leaves it out."""
    if alert.fingerprint:
        return alert.fingerprint[:64]
    return hashlib.sha256(json.dumps(alert.labels, sort_keys=True).encode()).hexdigest()[:16]


def _label_values(labels: dict[str, str], names: list[str]) -> list[str]:
    values = []
    for name in names:
        value = (labels.get(name) or "").strip()
        if value:
            values.append(value)
            host = value.rsplit(":", 1)[0] if ":" in value and not value.startswith("[") else value
            if host != value:
                values.append(host)  # instance="server19:9100" names server19
    return values


def alert_target(labels: dict[str, str]) -> tuple[str, Server | None, StorageVolume | None] | None:
    """The server (by name or host name) or storage volume the labels name, servers first."""
    config = settings.HOSTNOTIFY
    for value in _label_values(labels, config["ALERT_SERVER_LABELS"]):
        server = Server.objects.filter(Q(name=value) | Q(hostname=value)).order_by("id").first()
        if server is not None:
            return OutageWindow.TargetType.SERVER, server, None
    for value in _label_values(labels, config["ALERT_VOLUME_LABELS"]):
        volume = StorageVolume.objects.filter(name=value).first()
        if volume is not None:
            return OutageWindow.TargetType.VOLUME, None, volume
    return None


def alert_group(labels: dict[str, str]) -> str:
    return (labels.get(settings.HOSTNOTIFY["ALERT_GROUP_LABEL"]) or labels.get("alertname") or "monitoring")[:200]


def _lock_group(group: str) -> None:
    """Until the transaction ends, no other request applies an alert of ``group``: the second of
    two alerts opening a new group's incident waits, then finds that incident."""
    if connection.vendor == "postgresql":
        key = int.from_bytes(hashlib.sha256(f"alert-group:{group}".encode()).digest()[:8], "big", signed=True)
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [key])


def _incident_for(group: str, starts_at: dt.datetime, by) -> Incident:
    incident = Incident.objects.filter(slug=group, status=Incident.Status.OPEN).first()
    if incident is None:
        earlier = (
            MonitoringAlert.objects.filter(group=group, incident__status=Incident.Status.OPEN)
            .select_related("incident")
            .order_by("-id")
            .first()
        )
        incident = earlier.incident if earlier else None
    if incident is None:
        slug = f"alert-{slugify(group)[:60] or 'monitoring'}-{starts_at:%Y%m%d-%H%M}"
        while Incident.objects.filter(slug=slug).exists():
            slug += "-x"
        incident = incident_create(slug=slug, title=group, by=by, public=False)
    return incident


def alerts_receive(*, alerts: list[Alert], by) -> AlertSummary:
    """Apply a notification's alerts in order of their start; exposure is recomputed once per
    incident touched. Safe to receive twice (Alertmanager repeats notifications)."""
    summary = AlertSummary()
    touched: dict[int, Incident] = {}
    for alert in sorted(alerts, key=lambda a: a.starts_at):
        outcome, incident = _receive_one(alert, by)
        setattr(summary, outcome, getattr(summary, outcome) + 1)
        if incident is not None and outcome in ("opened", "ended"):
            touched[incident.pk] = incident
    for incident in touched.values():
        with contextlib.suppress(ExposureFrozen):  # frozen since the window changed: the alert list says so
            exposure_recompute(incident=incident)
        summary.incidents.append(incident.slug)
    return summary


def _receive_one(alert: Alert, by) -> tuple[str, Incident | None]:
    fingerprint = alert_fingerprint(alert)
    labels = {str(k)[:100]: str(v)[:500] for k, v in alert.labels.items()}
    resolved = alert.status == "resolved"
    ends_at = alert.ends_at if resolved and alert.ends_at and alert.ends_at > alert.starts_at else None
    group = alert_group(labels)
    try:
        with transaction.atomic():
            _lock_group(group)
            record = (
                MonitoringAlert.objects.select_for_update(of=("self",))
                .select_related("window", "incident")
                .filter(fingerprint=fingerprint, starts_at=alert.starts_at)
                .first()
            )
            if record is not None:
                return _follow_up(record, resolved, ends_at, by)
            record = MonitoringAlert(
                fingerprint=fingerprint,
                starts_at=alert.starts_at,
                ends_at=ends_at,
                status=alert.status,
                group=group,
                labels=labels,
            )
            if resolved and ends_at is None:
                return "unchanged", None  # resolved without a usable end: nothing to apply
            target = alert_target(labels)
            if target is None:
                record.outcome = Outcome.UNKNOWN_TARGET
                record.save()
                return "unknown_target", None
            target_type, server, volume = target
            incident = _incident_for(record.group, alert.starts_at, by)
            record.incident = incident
            if exposure_is_frozen(incident):
                record.outcome = Outcome.FROZEN
                record.save()
                return "frozen", incident
            record.window = window_add(
                incident=incident,
                target_type=target_type,
                server=server,
                volume=volume,
                start=alert.starts_at,
                end=ends_at,
                title=labels.get("alertname", "")[:200],
                by=by,
                recompute=False,
                fingerprint=fingerprint,
            )
            record.outcome = Outcome.ENDED if resolved else Outcome.OPENED
            record.save()
            return ("ended" if resolved else "opened"), incident
    except IntegrityError:
        return "unchanged", None  # the same alert, received concurrently, was applied by the other request


def _follow_up(record: MonitoringAlert, resolved: bool, ends_at: dt.datetime | None, by) -> tuple[str, Incident | None]:
    """An alert seen before: only its first resolution ends the window it opened."""
    if not resolved or record.status == "resolved":
        return "unchanged", None
    record.status, record.ends_at = "resolved", ends_at
    window = record.window
    if window is None or window.end is not None or ends_at is None:
        record.save(update_fields=["status", "ends_at", "updated_at"])
        return "unchanged", None
    if record.incident is not None and exposure_is_frozen(record.incident):
        record.outcome = Outcome.FROZEN
        record.save(update_fields=["status", "ends_at", "outcome", "updated_at"])
        return "frozen", record.incident
    window_update(window=window, end=ends_at, by=by, recompute=False)  # the caller recomputes once
    record.outcome = Outcome.ENDED
    record.save(update_fields=["status", "ends_at", "outcome", "updated_at"])
    return "ended", record.incident
