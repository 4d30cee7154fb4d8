"""Forms of the console's incident editor: an incident's texts in four languages, and a window.

Times are entered in Swiss local time (the active time zone); Django refuses a local time that
does not exist or is ambiguous on a DST change, with a message on the field.
"""

from __future__ import annotations

from django import forms
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _

from accounts.languages import LANGUAGES
from accounts.models import Server, StorageVolume
from campaigns.incidents.models import INCIDENT_LANGUAGES, Incident, OutageWindow
from campaigns.status.editing import REDEMPTION_FORMS

TITLE_LABELS = {
    "de": _("Title (German)"),
    "fr": _("Title (French)"),
    "it": _("Title (Italian)"),
    "en": _("Title (English)"),
}
DESCRIPTION_LABELS = {
    "de": _("Description (German)"),
    "fr": _("Description (French)"),
    "it": _("Description (Italian)"),
    "en": _("Description (English)"),
}
FORM_LABELS = {
    "balance": _("credit to the account balance"),
    "extension": _("months of service extension"),
    "partner": _("partner voucher"),
}
RESERVED_SLUGS = {"new"}  # /console/incidents/new/ is the editor
LOCAL_INPUT = {"type": "datetime-local"}
LOCAL_FORMAT = "%Y-%m-%dT%H:%M"


class IncidentForm(forms.Form):
    slug = forms.SlugField(
        label=_("Short name (in links)"),
        max_length=100,
        help_text=_("Lower-case letters, digits and dashes, e.g. storage-outage-2026-12."),
    )
    default_language = forms.ChoiceField(
        label=_("Default language"),
        choices=LANGUAGES,
        help_text=_("Readers of a language without a title read this one."),
    )
    redemption_options = forms.MultipleChoiceField(
        label=_("Forms of compensation offered"),
        choices=[(form, FORM_LABELS[form]) for form in REDEMPTION_FORMS],
        widget=forms.CheckboxSelectMultiple,
        initial=["balance"],
        help_text=_(
            "What the incident is meant to offer. Customers get the balance credit until finance has approved "
            "the forms of compensation (two finance users, on the incident's forms of compensation page)."
        ),
    )
    status = forms.ChoiceField(label=_("Status"), choices=Incident.Status.choices, initial=Incident.Status.OPEN)

    def __init__(self, *args, incident: Incident | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.incident = incident
        for code in INCIDENT_LANGUAGES:
            self.fields[f"title_{code}"] = forms.CharField(
                label=TITLE_LABELS[code], max_length=200, required=False, widget=forms.TextInput(attrs={"lang": code})
            )
        for code in INCIDENT_LANGUAGES:
            self.fields[f"description_{code}"] = forms.CharField(
                label=DESCRIPTION_LABELS[code],
                required=False,
                widget=forms.Textarea(attrs={"rows": 3, "lang": code}),
            )
        if incident is not None:
            self.fields["slug"].disabled = True
            self.fields["slug"].required = False
        else:
            del self.fields["status"]

    def clean_slug(self) -> str:
        if self.incident is not None:
            return self.incident.slug
        slug = self.cleaned_data["slug"]
        if slugify(slug) != slug:
            raise forms.ValidationError(_("A slug has lower-case letters, digits and dashes only."))
        if slug in RESERVED_SLUGS:
            raise forms.ValidationError(_("This short name is reserved; choose another one."))
        if Incident.objects.filter(slug=slug).exists():
            raise forms.ValidationError(_("An incident with this slug exists already."))
        return slug

    def clean(self):
        data = super().clean() or {}
        if not any((data.get(f"title_{code}") or "").strip() for code in INCIDENT_LANGUAGES):
            raise forms.ValidationError(_("Give the incident a title in at least one language."))
        return data

    @property
    def texts(self) -> dict[str, str]:
        return {
            f"{field}_{code}": (self.cleaned_data.get(f"{field}_{code}") or "").strip()
            for field in ("title", "description")
            for code in INCIDENT_LANGUAGES
        }

    @staticmethod
    def initial_for(incident: Incident) -> dict:
        return {
            "slug": incident.slug,
            "default_language": incident.default_language,
            "redemption_options": incident.redemption_options,
            "status": incident.status,
            **{
                f"{field}_{code}": getattr(incident, f"{field}_{code}") or ""
                for field in ("title", "description")
                for code in INCIDENT_LANGUAGES
            },
        }


class WindowForm(forms.Form):
    target_type = forms.ChoiceField(label=_("Affected"), choices=OutageWindow.TargetType.choices)
    target = forms.CharField(
        label=_("Server or storage volume"), max_length=64, widget=forms.TextInput(attrs={"list": "targets"})
    )
    start = forms.DateTimeField(
        label=_("Down from (local time)"), widget=forms.DateTimeInput(attrs=LOCAL_INPUT, format=LOCAL_FORMAT)
    )
    end = forms.DateTimeField(
        label=_("Up again at (local time)"),
        required=False,
        help_text=_("Empty while it is still down."),
        widget=forms.DateTimeInput(attrs=LOCAL_INPUT, format=LOCAL_FORMAT),
    )

    def clean(self):
        data = super().clean() or {}
        target_type, name = data.get("target_type"), (data.get("target") or "").strip()
        data["server"] = data["volume"] = None
        if target_type == OutageWindow.TargetType.SERVER and name:
            data["server"] = Server.objects.filter(name=name).first()
            if data["server"] is None:
                self.add_error("target", _("There is no server of this name."))
        elif target_type == OutageWindow.TargetType.VOLUME and name:
            data["volume"] = StorageVolume.objects.filter(name=name).first()
            if data["volume"] is None:
                self.add_error("target", _("There is no storage volume of this name."))
        start, end = data.get("start"), data.get("end")
        if start and end and end <= start:
            self.add_error("end", _("The end must be after the start of the window."))
        return data

    @staticmethod
    def target_of(window: OutageWindow) -> dict[str, str]:
        return {"target_type": window.target_type, "target": window.target.name}

    @classmethod
    def initial_for(cls, window: OutageWindow) -> dict:
        return {**cls.target_of(window), "start": window.start, "end": window.end}

    def servers(self) -> list[Server]:
        """The servers the window takes down: its server, or every server on its volume."""
        data = self.cleaned_data
        if data.get("server") is not None:
            return [data["server"]]
        if data.get("volume") is not None:
            return list(data["volume"].servers.all())
        return []
