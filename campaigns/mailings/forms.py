"""The compose form for mailings: audience, recipients, letter per language, sender, schedule."""

from __future__ import annotations

from typing import cast

from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from accounts.languages import LANGUAGES as LANGUAGE_CHOICES
from accounts.models import Contact, HostingAccount, StorageVolume
from campaigns.incidents.models import Exposure, Incident
from campaigns.mailings.models import Mailing
from campaigns.mailings.placeholders import LANGUAGES, PARTS, content_errors

AUDIENCE_LISTS = ("servers", "volumes", "languages", "products")
AUDIENCE_FIELDS = (*AUDIENCE_LISTS, "min_amount", "max_amount", "contact_roles")


def _offer(field: forms.Field, names: list[str]) -> None:
    """Offer ``names`` in one of the form's audience lists (each a MultipleChoiceField)."""
    cast(forms.MultipleChoiceField, field).choices = [(name, name) for name in names]


class MailingForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    servers = forms.MultipleChoiceField(label=_("Servers"), required=False, widget=forms.CheckboxSelectMultiple)
    volumes = forms.MultipleChoiceField(label=_("Storage volumes"), required=False, widget=forms.CheckboxSelectMultiple)
    languages = forms.MultipleChoiceField(
        label=_("Languages"), required=False, choices=LANGUAGE_CHOICES, widget=forms.CheckboxSelectMultiple
    )
    products = forms.MultipleChoiceField(label=_("Products"), required=False, widget=forms.CheckboxSelectMultiple)
    min_amount = forms.DecimalField(label=_("Credit at least"), required=False, min_value=0, decimal_places=2)
    max_amount = forms.DecimalField(label=_("Credit at most"), required=False, min_value=0, decimal_places=2)
    contact_roles = forms.MultipleChoiceField(
        label=_("Contact roles"),
        choices=Contact.Role.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("None ticked: every contact of an affected customer."),
    )
    attach_voucher = forms.BooleanField(label=_("Attach the voucher PDF"), required=False)
    from_email = forms.CharField(label=_("Sender"), max_length=255, required=False)
    reply_to = forms.EmailField(label=_("Reply-to"), max_length=255, required=False)
    scheduled_at = forms.DateTimeField(
        label=_("Send at"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text=_("Empty: when launched. Local time (Europe/Zurich)."),
    )

    def __init__(self, *args, incident: Incident, **kwargs):
        super().__init__(*args, **kwargs)
        self.incident = incident
        # The servers that actually hit someone: from the exposure rows (few distinct combinations).
        combos = Exposure.objects.filter(incident=incident).values_list("servers", flat=True).distinct()
        servers = sorted({name for combo in combos for name in combo})
        _offer(self.fields["servers"], servers)
        volumes = StorageVolume.objects.filter(
            Q(windows__incident=incident) | Q(servers__windows__incident=incident)
        ).values_list("name", flat=True)
        _offer(self.fields["volumes"], sorted(set(volumes)))
        products = HostingAccount.objects.filter(
            pk__in=Exposure.objects.filter(incident=incident).values("account_id")
        ).values_list("product", flat=True)
        _offer(self.fields["products"], sorted(set(products)))
        for language in LANGUAGES:
            name = dict(LANGUAGE_CHOICES)[language]
            self.fields[f"subject_{language}"] = forms.CharField(
                label=_("Subject (%(language)s)") % {"language": name}, required=False, max_length=300
            )
            self.fields[f"body_{language}"] = forms.CharField(
                label=_("Letter in Markdown (%(language)s)") % {"language": name},
                required=False,
                strip=False,
                widget=forms.Textarea(attrs={"rows": 22, "class": "markdown", "spellcheck": "true", "lang": language}),
                help_text=_(
                    "Blank line: new paragraph. **bold**, *italic*, lines starting with - for a list, "
                    "[text](address) or <address> for a link. The text part is this text as written; the "
                    "HTML part shows it in the branded layout with the credit box."
                ),
            )

    @classmethod
    def initial_for(cls, mailing: Mailing) -> dict:
        audience = mailing.audience or {}
        initial = {
            "name": mailing.display_name,
            "contact_roles": mailing.contact_roles,
            "attach_voucher": mailing.attach_voucher,
            "from_email": mailing.from_email,
            "reply_to": mailing.reply_to,
            "scheduled_at": mailing.scheduled_at,
            "min_amount": audience.get("min_amount"),
            "max_amount": audience.get("max_amount"),
        }
        initial.update({key: audience.get(key, []) for key in AUDIENCE_LISTS})
        for language, parts in (mailing.content or {}).items():
            for part in PARTS:
                initial[f"{part}_{language}"] = parts.get(part, "")
        return initial

    def audience_fields(self):
        return [self[name] for name in (*AUDIENCE_LISTS, "contact_roles")]

    def language_fields(self):
        """``[(language, subject, body), …]`` bound fields, for the template's tabs."""
        return [(lang, self[f"subject_{lang}"], self[f"body_{lang}"]) for lang in LANGUAGES]

    def content(self, *, raw: bool = False) -> dict:
        """The letter per language; ``raw``: as typed, even when it did not validate (for previews)."""
        data = self.data if raw else self.cleaned_data
        content = {}
        for language in LANGUAGES:
            parts = {part: (data.get(f"{part}_{language}") or "").replace("\r\n", "\n") for part in PARTS}
            if any(value.strip() for value in parts.values()):
                content[language] = parts
        return content

    def audience(self) -> dict:
        data = self.cleaned_data
        audience = {key: data[key] for key in AUDIENCE_LISTS if data.get(key)}
        for key in ("min_amount", "max_amount"):
            if data.get(key) is not None:
                audience[key] = str(data[key])
        return audience

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        for language, part, message in content_errors(self.content()):
            field = f"{part}_{language}" if part and f"{part}_{language}" in self.fields else None
            self.add_error(field, f"{language}: {message}" if field is None and language else message)
        return cleaned

    def mailing_fields(self) -> dict:
        """The cleaned form as keyword arguments for ``mailing_draft_create``/``_update``."""
        data = self.cleaned_data
        return {
            "name": data["name"],
            "audience": self.audience(),
            "contact_roles": data["contact_roles"],
            "content": self.content(),
            "attach_voucher": data["attach_voucher"],
            "from_email": data["from_email"],
            "reply_to": data["reply_to"],
            "scheduled_at": data["scheduled_at"],
        }
