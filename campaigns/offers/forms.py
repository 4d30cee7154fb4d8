"""Console input of the forms of compensation: a proposal per incident, a partner code upload."""

from django import forms
from django.utils.translation import gettext_lazy as _

from campaigns.offers.models import FORMS, PartnerPool
from campaigns.offers.sentences import FORM_LABELS


class ProposalForm(forms.Form):
    forms_offered = forms.MultipleChoiceField(
        label=_("Forms offered"), choices=[(f, FORM_LABELS[f]) for f in FORMS], widget=forms.CheckboxSelectMultiple
    )
    default = forms.ChoiceField(label=_("Default"), choices=[(f, FORM_LABELS[f]) for f in FORMS])
    partners = forms.MultipleChoiceField(label=_("Partners"), required=False, widget=forms.CheckboxSelectMultiple)
    organisation = forms.CharField(label=_("Organisation receiving donations"), max_length=200, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        names = PartnerPool.objects.order_by("partner").values_list("partner", flat=True).distinct()
        partners = self.fields["partners"]
        assert isinstance(partners, forms.MultipleChoiceField)
        partners.choices = [(name, name) for name in names]

    def clean(self):
        data = super().clean() or {}
        offered, default = data.get("forms_offered") or [], data.get("default")
        if default and offered and default not in offered:
            self.add_error("default", _("The default must be one of the forms offered."))
        return data

    def ordered_forms(self) -> list[str]:
        """The forms offered in their usual order, the default first."""
        offered, default = self.cleaned_data["forms_offered"], self.cleaned_data["default"]
        return [default, *(f for f in FORMS if f in offered and f != default)]


class PoolUploadForm(forms.Form):
    partner = forms.CharField(label=_("Partner"), max_length=64)
    file = forms.FileField(label=_("Codes (CSV: code,face_value,currency)"))
    low_threshold = forms.IntegerField(label=_("Warn finance at (unused codes)"), min_value=0, initial=10)
