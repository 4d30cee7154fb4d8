"""Editing incidents and their windows outside a CSV import (the API, monitoring alerts): create,
update, publish, end; every change in the audit log, exposure recomputed as an import would.

Each service owns its transaction. ``by`` is a user or any actor with ``get_username()`` (an API
token); ``recompute=False`` lets a caller that changes several windows recompute once at the end.
"""

from __future__ import annotations

import datetime as dt

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext

from accounts.languages import LANGUAGE_CODES
from accounts.models import Server, StorageVolume
from campaigns.audit.services import audit_record
from campaigns.incidents.exposure import ExposureFrozen, exposure_is_frozen, exposure_recompute
from campaigns.incidents.models import INCIDENT_LANGUAGES, Incident, OutageWindow
from campaigns.status.cache import status_cache_bump

REDEMPTION_FORMS = ("balance", "extension", "partner")
# An incident's title and description in each language (django-modeltranslation's columns).
TEXT_FIELDS = tuple(f"{field}_{code}" for field in ("title", "description") for code in INCIDENT_LANGUAGES)
EDITABLE = ("title", "description", "default_language", "redemption_options", "status", *TEXT_FIELDS)


class IncidentInvalid(Exception):
    """The incident or window asked for cannot be: the message says why."""


class IncidentExists(IncidentInvalid):
    pass


class WindowTargetUnknown(IncidentInvalid):
    pass


def _check_fields(fields: dict) -> None:
    if "title" in fields and not (fields["title"] or "").strip():
        raise IncidentInvalid(gettext("An incident needs a title."))
    if "default_language" in fields and fields["default_language"] not in LANGUAGE_CODES:
        raise IncidentInvalid(gettext("Unknown language."))
    if "status" in fields and fields["status"] not in Incident.Status.values:
        raise IncidentInvalid(gettext("Unknown incident status."))
    options = fields.get("redemption_options")
    if options is not None and (not options or any(o not in REDEMPTION_FORMS for o in options)):
        raise IncidentInvalid(
            gettext("Redemption options must be among: %(forms)s.") % {"forms": ", ".join(REDEMPTION_FORMS)}
        )


def incident_create(*, slug: str, title: str, by, public: bool = False, **fields) -> Incident:
    """A new incident, not public unless asked (support publishes it once it is reviewed)."""
    if not slug or slugify(slug) != slug:
        raise IncidentInvalid(gettext("A slug has lower-case letters, digits and dashes only."))
    fields = {"redemption_options": ["balance"], **{k: v for k, v in fields.items() if v is not None}}
    _check_fields({"title": title, **fields})
    try:
        with transaction.atomic():
            incident = Incident.objects.create(slug=slug, title=title.strip(), public=public, **fields)
            audit_record(actor=by, action="incident.create", incident=incident, obj=incident, public=public)
    except IntegrityError:
        raise IncidentExists(gettext("An incident with this slug exists already.")) from None
    if public:
        status_cache_bump()
    return incident


def incident_update(*, incident: Incident, by, **fields) -> Incident:
    changes = {k: v for k, v in fields.items() if k in EDITABLE and v is not None}
    _check_fields(changes)
    with transaction.atomic():
        incident = Incident.objects.select_for_update().get(pk=incident.pk)
        before = {k: getattr(incident, k) for k in changes}
        changed = {k: v for k, v in changes.items() if before[k] != v}
        if changed:
            for name, value in changed.items():
                setattr(incident, name, value)
            if not any(getattr(incident, f"title_{code}") for code in INCIDENT_LANGUAGES) and not incident.__dict__.get(
                "title"
            ):
                raise IncidentInvalid(gettext("An incident needs a title."))
            incident.save(update_fields=[*changed, "updated_at"])
            audit_record(
                actor=by, action="incident.update", incident=incident, obj=incident, before=before, after=changed
            )
            status_cache_bump()
    return incident


def incident_end(*, incident: Incident, end: dt.datetime, by) -> Incident:
    """Resolve the incident: every ongoing window ends at ``end``; exposure is recomputed."""
    with transaction.atomic():
        incident = Incident.objects.select_for_update().get(pk=incident.pk)
        ongoing = list(incident.windows.filter(end__isnull=True))
        if any(end <= window.start for window in ongoing):
            raise IncidentInvalid(gettext("The end must be after the start of every ongoing window."))
        if ongoing and exposure_is_frozen(incident):
            raise ExposureFrozen(f"compensation for {incident.slug} is approved: its exposure is frozen")
        OutageWindow.objects.filter(pk__in=[w.pk for w in ongoing]).update(end=end)
        incident.status = Incident.Status.RESOLVED
        incident.save(update_fields=["status", "updated_at"])
        audit_record(
            actor=by, action="incident.end", incident=incident, obj=incident, end=end.isoformat(), windows=len(ongoing)
        )
        if ongoing:
            exposure_recompute(incident=incident)
        status_cache_bump()
    return incident


def window_target(target_type: str, name: str) -> tuple[Server | None, StorageVolume | None]:
    if target_type == OutageWindow.TargetType.SERVER:
        server = Server.objects.filter(name=name).first()
        if server is None:
            raise WindowTargetUnknown(gettext("Unknown server %(name)r.") % {"name": name})
        return server, None
    if target_type == OutageWindow.TargetType.VOLUME:
        volume = StorageVolume.objects.filter(name=name).first()
        if volume is None:
            raise WindowTargetUnknown(gettext("Unknown storage volume %(name)r.") % {"name": name})
        return None, volume
    raise IncidentInvalid(gettext("The target type is server or volume."))


def window_add(
    *,
    incident: Incident,
    target_type: str,
    server: Server | None = None,
    volume: StorageVolume | None = None,
    start: dt.datetime,
    end: dt.datetime | None = None,
    title: str = "",
    by,
    recompute: bool = True,
    **audit,
) -> OutageWindow:
    """A new window; refused once the incident's compensation is approved (exposure frozen)."""
    if end is not None and end <= start:
        raise IncidentInvalid(gettext("The end must be after the start of the window."))
    target = server if target_type == OutageWindow.TargetType.SERVER else volume
    if target is None:
        raise IncidentInvalid(gettext("The target type is server or volume."))
    with transaction.atomic():
        incident = Incident.objects.select_for_update().get(pk=incident.pk)
        if exposure_is_frozen(incident):
            raise ExposureFrozen(f"compensation for {incident.slug} is approved: its exposure is frozen")
        window = OutageWindow.objects.create(
            incident=incident, target_type=target_type, server=server, volume=volume, start=start, end=end, title=title
        )
        Incident.objects.filter(pk=incident.pk).update(updated_at=timezone.now())
        audit_record(
            actor=by,
            action="window.add",
            incident=incident,
            obj=window,
            target=target.name,
            start=start.isoformat(),
            end=end.isoformat() if end else None,
            **audit,
        )
        if recompute:
            exposure_recompute(incident=incident)
        status_cache_bump()
    return window


def window_update(
    *,
    window: OutageWindow,
    by,
    start: dt.datetime | None = None,
    end: dt.datetime | None = None,
    title: str | None = None,
    recompute: bool = True,
) -> OutageWindow:
    """Move a window's start or end, or retitle it; exposure follows."""
    with transaction.atomic():
        window = OutageWindow.objects.select_for_update().select_related("incident").get(pk=window.pk)
        before = {"start": window.start.isoformat(), "end": window.end.isoformat() if window.end else None}
        new_start, new_end = start or window.start, end if end is not None else window.end
        if new_end is not None and new_end <= new_start:
            raise IncidentInvalid(gettext("The end must be after the start of the window."))
        times_changed = (new_start, new_end) != (window.start, window.end)
        if times_changed and exposure_is_frozen(window.incident):
            raise ExposureFrozen(f"compensation for {window.incident.slug} is approved: its exposure is frozen")
        window.start, window.end = new_start, new_end
        if title is not None:
            window.title = title
        window.save(update_fields=["start", "end", "title"])
        Incident.objects.filter(pk=window.incident_id).update(updated_at=timezone.now())
        audit_record(
            actor=by,
            action="window.update",
            incident=window.incident,
            obj=window,
            before=before,
            after={"start": new_start.isoformat(), "end": new_end.isoformat() if new_end else None},
        )
        if times_changed and recompute:
            exposure_recompute(incident=window.incident)
        status_cache_bump()
    return window
