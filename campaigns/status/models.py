"""What the public is told while an incident unfolds: updates in up to four languages."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from accounts.languages import LANGUAGE_CODES
from campaigns.incidents.models import Incident
from campaigns.mailings.models import Mailing

STATUS_LANGUAGES = LANGUAGE_CODES


def localized_text(texts: dict, language: str, default_language: str) -> tuple[str, str]:
    """The text in ``language``, else in ``default_language``, else in the first language that has one.

    Returns ``(text, language_of_text)``; ``("", "")`` when there is no text at all.
    """
    for code in (language, default_language, *STATUS_LANGUAGES):
        text = (texts or {}).get(code, "")
        if text and text.strip():
            return text, code
    return "", ""


class IncidentUpdate(models.Model):
    """One entry in an incident's public timeline; ``texts`` is ``{"de": …, "fr": …, …}``."""

    class Phase(models.TextChoices):
        INVESTIGATING = "investigating", _("investigating")
        IDENTIFIED = "identified", _("identified")
        MONITORING = "monitoring", _("monitoring")
        RESOLVED = "resolved", _("resolved")

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="updates")
    phase = models.CharField(_("phase"), max_length=16, choices=Phase.choices)
    texts = models.JSONField(_("texts per language"), default=dict)
    published_at = models.DateTimeField(_("published"))
    edited_at = models.DateTimeField(_("edited"), null=True, blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    notify = models.BooleanField(_("notify affected customers"), default=False)
    mailing = models.ForeignKey(Mailing, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["-published_at", "-id"]
        verbose_name = _("incident update")
        verbose_name_plural = _("incident updates")
        indexes = [models.Index(fields=["incident", "-published_at"], name="update_incident_published")]
        constraints = [
            models.CheckConstraint(
                condition=Q(phase__in=["investigating", "identified", "monitoring", "resolved"]),
                name="update_phase_valid",
            ),
        ]

    def __str__(self):
        return f"{self.incident_id} {self.phase} {self.published_at:%Y-%m-%d %H:%M}"
