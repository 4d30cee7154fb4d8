"""The console's policy form: a policy's parameters as fields a person fills in, turned into the
``params`` that ``campaigns.compensation.policy.parse_policy`` reads; and a policy put in words."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from campaigns.compensation import policy as rules
from campaigns.compensation.models import CompensationPolicy

ROUNDING_CHOICES = [
    ("up", _("up to the next step")),
    ("half_up", _("to the nearest step")),
    ("down", _("down to the step")),
]
_TIER_LINE = re.compile(r"^\s*(\d+(?:[.,]\d+)?)\s*(?:h\b)?\s*[;:=→\s]\s*(\d+(?:[.,]\d+)?)\s*%?\s*$")
NAME = re.compile(r"^[a-z0-9][a-z0-9_-]*$")


def _number(text: str) -> str:
    return text.replace(",", ".")


def tiers_text(tiers) -> str:
    return "\n".join(f"{hours} {percent}" for hours, percent in tiers)


class PolicyForm(forms.Form):
    """A new policy (``name`` asked) or the next version of ``base`` (its values filled in)."""

    name = forms.CharField(
        label=_("Name"), max_length=64, required=False, help_text=_("Lower-case letters, digits, - and _.")
    )
    kind = forms.ChoiceField(label=_("Kind"), choices=CompensationPolicy.Kind.choices)
    tiers = forms.CharField(
        label=_("Tiers"),
        widget=forms.Textarea(attrs={"rows": 5}),
        required=False,
        help_text=_("One tier per line: the least downtime in hours and the percent of the monthly fee, e.g. 24 50."),
    )
    factor = forms.DecimalField(label=_("Factor"), min_value=0, max_digits=8, decimal_places=4, required=False)
    cap = forms.DecimalField(
        label=_("Cap in % of the monthly fee"), min_value=0, max_digits=8, decimal_places=2, required=False
    )
    minimum = forms.DecimalField(label=_("Minimum per customer"), min_value=0, max_digits=10, decimal_places=2)
    step = forms.DecimalField(label=_("Rounding step"), min_value=Decimal("0.01"), max_digits=6, decimal_places=2)
    rounding = forms.ChoiceField(label=_("Rounding"), choices=ROUNDING_CHOICES)
    note = forms.CharField(label=_("Why this change"), max_length=255)

    def __init__(self, *args, base: CompensationPolicy | None = None, **kwargs):
        self.base = base
        if base is not None and "initial" not in kwargs:
            params = {**rules.DEFAULT_PRORATA_PARAMS, **rules.DEFAULT_TIERS_PARAMS, **base.params}
            kwargs["initial"] = {
                "kind": base.kind,
                "tiers": tiers_text(params["tiers"]),
                **{key: params[key] for key in ("factor", "cap", "minimum", "step", "rounding")},
            }
        super().__init__(*args, **kwargs)
        if base is not None:
            del self.fields["name"]
        else:
            self.fields["name"].required = True

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        if not NAME.match(name):
            raise forms.ValidationError(_("Use lower-case letters, digits, - and _ only."))
        return name

    def clean_tiers(self) -> list[list[str]]:
        tiers = []
        for number, line in enumerate(self.cleaned_data["tiers"].splitlines(), start=1):
            if not line.strip():
                continue
            match = _TIER_LINE.match(line)
            if match is None:
                raise forms.ValidationError(
                    _("Line %(line)s: write the hours and the percent, e.g. 24 50.") % {"line": number}
                )
            tiers.append([_number(match[1]), _number(match[2])])
        ordered = sorted((Decimal(hours), Decimal(percent)) for hours, percent in tiers)
        if any(hours <= 0 for hours, _percent in ordered):
            raise forms.ValidationError(_("Each tier needs more than 0 hours."))
        if len({hours for hours, _percent in ordered}) != len(ordered):
            raise forms.ValidationError(_("Each number of hours may start one tier only."))
        if any(later[1] < earlier[1] for earlier, later in zip(ordered, ordered[1:], strict=False)):
            raise forms.ValidationError(_("A longer downtime must not earn a lower percent."))
        return tiers

    def clean(self):
        super().clean()
        cleaned = self.cleaned_data
        if self.errors:
            return cleaned
        kind = cleaned["kind"]
        params: dict = {
            "minimum": f"{cleaned['minimum']:.2f}",
            "step": f"{cleaned['step']:.2f}",
            "rounding": cleaned["rounding"],
        }
        if kind == CompensationPolicy.Kind.TIERS:
            if not cleaned.get("tiers"):
                self.add_error("tiers", _("A tier policy needs at least one tier."))
                return cleaned
            params["tiers"] = [[_plain(hours), _plain(percent)] for hours, percent in cleaned["tiers"]]
        else:
            for key in ("factor", "cap"):
                if cleaned.get(key) is None:
                    self.add_error(key, _("A pro-rata policy needs this value."))
                    return cleaned
                params[key] = _plain(str(cleaned[key]))
        try:
            rules.parse_policy(kind, params)
        except rules.PolicyInvalid:  # the fields above catch what a person can get wrong; this is the last guard
            raise forms.ValidationError(_("These values do not make a usable policy.")) from None
        cleaned["params"] = params
        return cleaned


def _plain(number: str) -> int | str:
    """Whole numbers as numbers (as the built-in tiers are stored), others as exact decimal text."""
    try:
        value = Decimal(number)
    except InvalidOperation:
        return number
    return int(value) if value == value.to_integral_value() else f"{value.normalize():f}"


def policy_summary(kind: str, params: dict) -> list[str]:
    """A policy's parameters as short lines in the active language, for lists and proposals."""
    lines = []
    if kind == CompensationPolicy.Kind.TIERS:
        lines += [
            gettext("from %(hours)s h: %(percent)s %% of the monthly fee") % {"hours": hours, "percent": percent}
            for hours, percent in params.get("tiers", [])
        ]
    else:
        lines.append(
            gettext("fee × hours down ÷ hours in the month × %(factor)s, at most %(cap)s %% of the fee")
            % {"factor": params.get("factor", "1"), "cap": params.get("cap", "100")}
        )
    rounding = dict(ROUNDING_CHOICES).get(params.get("rounding", "up"), params.get("rounding", ""))
    lines.append(
        gettext("at least %(minimum)s per customer; rounded %(rounding)s (step %(step)s)")
        % {"minimum": params.get("minimum", "0"), "rounding": rounding, "step": params.get("step", "0.05")}
    )
    return lines
