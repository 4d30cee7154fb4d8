"""Publishing an incident as it unfolds: timeline updates and the ongoing/ended state of windows."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import TypedDict

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from accounts.links import absolute_url
from accounts.models import Contact
from campaigns.audit.services import audit_record
from campaigns.incidents.exposure import ExposureFrozen, ExposureResult, exposure_recompute
from campaigns.incidents.models import Incident, OutageWindow
from campaigns.mailings.defaults import mailing_defaults
from campaigns.mailings.models import Mailing
from campaigns.status.cache import status_cache_bump
from campaigns.status.models import STATUS_LANGUAGES, IncidentUpdate, localized_text


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


class UpdateLetterWords(TypedDict):
    greeting: str
    intro: str
    more: str
    closing: str
    phases: dict[str, str]


# The update notice's fixed words per language: letter content, not UI strings.
UPDATE_LETTER: dict[str, UpdateLetterWords] = {
    "de": {
        "greeting": "Guten Tag",
        "intro": "Neuigkeiten zur Störung «{title}» – {phase}:",
        "more": "Den aktuellen Stand finden Sie jederzeit unter {link}",
        "closing": "Freundliche Grüsse",
        "phases": {
            "investigating": "wird untersucht",
            "identified": "Ursache erkannt",
            "monitoring": "unter Beobachtung",
            "resolved": "behoben",
        },
    },
    "fr": {
        "greeting": "Bonjour",
        "intro": "Du nouveau sur la panne « {title} » – {phase} :",
        "more": "L’état actuel est toujours disponible sur {link}",
        "closing": "Meilleures salutations",
        "phases": {
            "investigating": "en cours d’analyse",
            "identified": "cause identifiée",
            "monitoring": "sous surveillance",
            "resolved": "résolue",
        },
    },
    "it": {
        "greeting": "Buongiorno",
        "intro": "Novità sul guasto «{title}» – {phase}:",
        "more": "Lo stato attuale è sempre disponibile su {link}",
        "closing": "Cordiali saluti",
        "phases": {
            "investigating": "in analisi",
            "identified": "causa individuata",
            "monitoring": "sotto osservazione",
            "resolved": "risolto",
        },
    },
    "en": {
        "greeting": "Hello",
        "intro": "News about the incident “{title}” – {phase}:",
        "more": "The current status is always available at {link}",
        "closing": "Kind regards",
        "phases": {
            "investigating": "investigating",
            "identified": "cause identified",
            "monitoring": "monitoring",
            "resolved": "resolved",
        },
    },
}
_TEMPLATE_OPENERS = re.compile(r"\{(?=[{%#])")
_TAG_OPENERS = re.compile(r"<(?=[A-Za-z/!?])")  # raw HTML is left out of a letter: keep it as text


def _literal(text: str) -> str:
    """Letter content is template source (campaigns.mailings.placeholders): keep support's text literal."""
    return _TEMPLATE_OPENERS.sub("{\u200b", text)


def update_mail_content(update: IncidentUpdate) -> dict[str, dict[str, str]]:
    """The notice per language, ``{"de": {"subject", "body"}, …}``, from the update's text in that
    language (falling back like the page does); the body is Markdown (the update's text as staff
    wrote it, a link to the status page). No placeholders: the same letter for everyone."""
    incident = update.incident
    link = absolute_url("status:incident", args=[incident.slug])
    brand = settings.HOSTNOTIFY["BRAND_NAME"]
    content = {}
    for code, words in UPDATE_LETTER.items():
        text = localized_text(update.texts, code, incident.default_language)[0]
        phase = words["phases"][update.phase]
        intro = words["intro"].format(title=incident.title_in(code), phase=phase)
        more = words["more"].format(link=f"<{link}>")
        text = _TAG_OPENERS.sub("\\<", text.strip())
        body = f"{words['greeting']}\n\n{intro}\n\n{text}\n\n{more}\n\n{words['closing']}\n{brand}\n"
        content[code] = {"subject": _literal(f"{incident.title_in(code)}: {phase}"), "body": _literal(body)}
    return content


def _notify_mailing(*, update: IncidentUpdate, by) -> Mailing:
    """A draft of kind "update" to the affected customers' primary and technical contacts.

    The mailing pipeline's four-eyes rule applies: another staff user approves and launches it
    from the mailing console (``mailing_approve``, ``mailing_launch``)."""
    mailing = Mailing.objects.create(
        incident=update.incident,
        name="",  # named in the reader's language: Mailing.display_name
        kind=Mailing.Kind.UPDATE,
        status=Mailing.Status.DRAFT,
        contact_roles=[Contact.Role.PRIMARY, Contact.Role.TECHNICAL],
        content=update_mail_content(update),
        attach_voucher=False,
        from_email=settings.DEFAULT_FROM_EMAIL,
        **mailing_defaults(),
        created_by=by if getattr(by, "pk", None) else None,
    )
    audit_record(actor=by, action="mailing.create", incident=update.incident, obj=mailing, update=update.pk)
    return mailing
