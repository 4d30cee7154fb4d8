"""The claim form of the portal: what a customer may type, parsed in their time zone."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from django import forms
from django.utils.translation import gettext_lazy as _

from campaigns.claims.models import Claim
from campaigns.claims.rules import ClaimInvalid, parse_local


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    widget = MultipleFileInput

    def clean(self, data, initial=None):
        files = data if isinstance(data, list | tuple) else [data] if data else []
        return [super(MultipleFileField, self).clean(item, initial) for item in files]


class ClaimForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("What is your claim about?"),
        choices=Claim.Kind.choices,
        widget=forms.RadioSelect,
        error_messages={"required": _("Please choose what your claim is about.")},
    )
    account = forms.TypedChoiceField(
        label=_("Hosting account"),
        coerce=int,
        error_messages={
            "required": _("Please choose one of your hosting accounts."),
            "invalid_choice": _("Please choose one of your hosting accounts."),
        },
    )
    period_start = forms.CharField(
        label=_("Down from (your local time)"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )
    period_end = forms.CharField(
        label=_("Down until (your local time)"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )
    text = forms.CharField(
        label=_("Describe what happened"),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 6}),
        error_messages={"required": _("Please describe your claim in at most 4000 characters.")},
    )
    attachments = MultipleFileField(
        label=_("Attachments (optional: PDF, PNG or JPEG)"),
        required=False,
        widget=MultipleFileInput(attrs={"accept": "application/pdf,image/png,image/jpeg"}),
    )

    def __init__(self, *args, accounts: list[tuple[int, str]], tz: ZoneInfo, **kwargs):
        super().__init__(*args, **kwargs)
        account = self.fields["account"]
        assert isinstance(account, forms.TypedChoiceField)
        account.choices = [("", "—"), *accounts]
        self.tz = tz

    def clean(self):
        super().clean()
        data = self.cleaned_data
        start_text, end_text = data.get("period_start", ""), data.get("period_end", "")
        data["period"] = None
        if not start_text and not end_text:
            return data
        if not start_text or not end_text:
            field = "period_end" if start_text else "period_start"
            self.add_error(field, _("Please enter both the start and the end of the period."))
            return data
        try:
            start = parse_local(start_text, self.tz, label=str(self.fields["period_start"].label))
        except ClaimInvalid as exc:
            self.add_error("period_start", exc.message)
            return data
        try:
            end = parse_local(end_text, self.tz, label=str(self.fields["period_end"].label))
        except ClaimInvalid as exc:
            self.add_error("period_end", exc.message)
            return data
        data["period"] = (start, end)
        return data
