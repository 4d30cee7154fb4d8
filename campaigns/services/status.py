"""Publishing an incident as it unfolds: timeline updates and the ongoing/ended state of windows."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext

from campaigns.models import Incident, IncidentUpdate, Mailing, OutageWindow
from campaigns.models.status import STATUS_LANGUAGES, localized_text
from campaigns.services.audit import audit_record
from campaigns.services.exposure import ExposureFrozen, ExposureResult, exposure_recompute
from campaigns.status_cache import status_cache_bump


class UpdateTextMissing(Exception):
    """An update needs a text in at least one language."""


class UpdatePhaseInvalid(Exception):
    """The phase is not one of investigating, identified, monitoring, resolved."""


class WindowEndInvalid(Exception):
    """A window cannot end before (or when) it starts."""


@dataclass(frozen=True)
class WindowChange:
    window: OutageWindow
    exposure: ExposureResult | None  # None when the exposure is frozen
    frozen_reason: str = ""


def clean_texts(texts: dict) -> dict[str, str]:
    """Keep the known languages with a non-blank text, stripped."""
    cleaned = {code: (texts.get(code) or "").strip() for code in STATUS_LANGUAGES}
    return {code: text for code, text in cleaned.items() if text}


def incident_status_after(*, current: str, latest_phase: str | None) -> str:
    """The incident follows its latest update between open and resolved; closed stays closed."""
    if current == Incident.Status.CLOSED or latest_phase is None:
        return current
    return Incident.Status.RESOLVED if latest_phase == IncidentUpdate.Phase.RESOLVED else Incident.Status.OPEN


def update_post(
    *, incident: Incident, phase: str, texts: dict, by, notify: bool = False, published_at: dt.datetime | None = None
) -> IncidentUpdate:
    """Publish an update; with ``notify`` also prepare a mailing of kind "update" to the affected customers."""
    texts = _validated(phase, texts)
    with transaction.atomic():
        incident = Incident.objects.select_for_update().get(pk=incident.pk)
        update = IncidentUpdate.objects.create(
            incident=incident,
            phase=phase,
            texts=texts,
            published_at=published_at or timezone.now(),
            author=by if getattr(by, "pk", None) else None,
            notify=notify,
        )
        _follow_latest_phase(incident)
        if notify:
            update.mailing = _notify_mailing(update=update, by=by)
            update.save(update_fields=["mailing", "updated_at"])
        audit_record(actor=by, action="status.update_post", incident=incident, obj=update, phase=phase, notify=notify)
        status_cache_bump()
    return update


def update_edit(*, update: IncidentUpdate, phase: str, texts: dict, by) -> IncidentUpdate:
    """Correct an update's phase or texts; the page shows it as edited. A sent notice is not re-sent."""
    texts = _validated(phase, texts)
    with transaction.atomic():
        incident = Incident.objects.select_for_update().get(pk=update.incident_id)
        update = IncidentUpdate.objects.select_for_update().get(pk=update.pk)
        before = {"phase": update.phase, "texts": update.texts}
        update.phase, update.texts, update.edited_at = phase, texts, timezone.now()
        update.save(update_fields=["phase", "texts", "edited_at", "updated_at"])
        _follow_latest_phase(incident)
        audit_record(actor=by, action="status.update_edit", incident=incident, obj=update, before=before)
        status_cache_bump()
    return update


def window_mark_ended(*, window: OutageWindow, end: dt.datetime, by) -> WindowChange:
    """Record when a window ended, then recompute the incident's exposure (unless it is frozen)."""
    if timezone.is_naive(end):
        raise ValueError("end must be an aware datetime")
    return _window_set_end(window=window, end=end, by=by, action="status.window_ended")


def window_mark_ongoing(*, window: OutageWindow, by) -> WindowChange:
    """Reopen a window: it counts as down until it is marked ended again."""
    return _window_set_end(window=window, end=None, by=by, action="status.window_ongoing")


def _window_set_end(*, window: OutageWindow, end: dt.datetime | None, by, action: str) -> WindowChange:
    with transaction.atomic():
        window = OutageWindow.objects.select_for_update().get(pk=window.pk)
        if end is not None and end <= window.start:
            raise WindowEndInvalid(gettext("The end must be after the start of the window."))
        before = window.end
        window.end = end
        window.save(update_fields=["end"])
        # Windows carry no timestamp of their own: the incident's tells caches the page changed.
        Incident.objects.filter(pk=window.incident_id).update(updated_at=timezone.now())
        audit_record(
            actor=by,
            action=action,
            incident=window.incident,
            obj=window,
            before=before.isoformat() if before else None,
            after=end.isoformat() if end else None,
        )
        status_cache_bump()
        try:
            exposure = exposure_recompute(incident=window.incident)
        except ExposureFrozen as exc:
            return WindowChange(window=window, exposure=None, frozen_reason=str(exc))
    return WindowChange(window=window, exposure=exposure)


def _validated(phase: str, texts: dict) -> dict[str, str]:
    if phase not in IncidentUpdate.Phase.values:
        raise UpdatePhaseInvalid(gettext("Unknown phase: %(phase)s") % {"phase": phase})
    cleaned = clean_texts(texts)
    if not cleaned:
        raise UpdateTextMissing(gettext("Write the update in at least one language."))
    return cleaned


def _follow_latest_phase(incident: Incident) -> None:
    latest = incident.updates.order_by("-published_at", "-id").values_list("phase", flat=True).first()
    status = incident_status_after(current=incident.status, latest_phase=latest)
    if status != incident.status:
        incident.status = status
        incident.save(update_fields=["status", "updated_at"])
    else:
        Incident.objects.filter(pk=incident.pk).update(updated_at=timezone.now())


def update_mail_content(update: IncidentUpdate) -> dict[str, dict[str, str]]:
    """The notice's subject and text per language, from the update (falling back like the page does)."""
    incident = update.incident
    link = settings.SITE_URL + reverse("status:incident", args=[incident.slug])
    content = {}
    for code in STATUS_LANGUAGES:
        text, _ = localized_text(update.texts, code, incident.default_language)
        with translation.override(code):
            subject = gettext("%(title)s: %(phase)s") % {"title": incident.title, "phase": update.get_phase_display()}
            more = gettext("Current status of this incident: %(link)s") % {"link": link}
        content[code] = {"subject": subject, "text": f"{text}\n\n{more}\n"}
    return content


def _notify_mailing(*, update: IncidentUpdate, by) -> Mailing:
    # A draft: support reviews and launches it from the mailing console like every other mailing.
    return Mailing.objects.create(
        incident=update.incident,
        name=gettext("Update %(when)s: %(phase)s")
        % {
            "when": timezone.localtime(update.published_at).strftime("%Y-%m-%d %H:%M"),
            "phase": update.get_phase_display(),
        },
        kind=Mailing.Kind.UPDATE,
        status=Mailing.Status.DRAFT,
        content=update_mail_content(update),
        attach_voucher=False,
        created_by=by if getattr(by, "pk", None) else None,
    )
