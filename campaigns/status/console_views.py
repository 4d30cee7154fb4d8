"""Console for support: post and edit an incident's public updates, mark its windows ongoing or ended."""

from django import forms
from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.formats import number_format
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from accounts.roles import support_required
from campaigns.incidents.models import Incident, OutageWindow
from campaigns.status.models import STATUS_LANGUAGES, IncidentUpdate
from campaigns.status.publishing import incident_publish
from campaigns.status.services import (
    UpdatePhaseInvalid,
    UpdateTextMissing,
    WindowEndInvalid,
    update_edit,
    update_post,
    window_mark_ended,
    window_mark_ongoing,
)

_LANGUAGE_LABELS = {
    "de": _("Text (German)"),
    "fr": _("Text (French)"),
    "it": _("Text (Italian)"),
    "en": _("Text (English)"),
}


class UpdateForm(forms.Form):
    phase = forms.ChoiceField(label=_("Phase"), choices=IncidentUpdate.Phase.choices)

    def __init__(self, *args, with_notify: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        for code in STATUS_LANGUAGES:
            self.fields[f"text_{code}"] = forms.CharField(
                label=_LANGUAGE_LABELS[code], required=False, widget=forms.Textarea(attrs={"rows": 3, "lang": code})
            )
        if with_notify:
            self.fields["notify"] = forms.BooleanField(label=_("Notify affected customers by mail"), required=False)

    def clean(self):
        super().clean()
        data = self.cleaned_data
        if not any((data.get(f"text_{code}") or "").strip() for code in STATUS_LANGUAGES):
            raise forms.ValidationError(_("Write the update in at least one language."))
        return data

    @property
    def texts(self) -> dict[str, str]:
        return {code: self.cleaned_data.get(f"text_{code}", "") for code in STATUS_LANGUAGES}

    @classmethod
    def initial_for(cls, update: IncidentUpdate) -> dict:
        return {"phase": update.phase, **{f"text_{code}": update.texts.get(code, "") for code in STATUS_LANGUAGES}}


class WindowEndForm(forms.Form):
    # Interpreted in the active time zone (Europe/Zurich), like every time support enters.
    end = forms.DateTimeField(
        label=_("Ended at"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
    )


def _page(request, incident, form=None, end_forms=None, status=200):
    windows = list(incident.windows.select_related("server", "volume").order_by("start", "id"))
    end_forms = end_forms or {}
    for window in windows:
        window.end_form = end_forms.get(window.pk) or WindowEndForm(prefix=f"w{window.pk}", initial={"end": window.end})
    context = {
        "incident": incident,
        "form": form or UpdateForm(),
        "windows": windows,
        "updates": incident.updates.select_related("author", "mailing").order_by("-published_at", "-id"),
        "languages": STATUS_LANGUAGES,
    }
    return render(request, "console/status/updates.html", context, status=status)


@support_required
def status_updates(request, slug):
    incident = get_object_or_404(Incident, slug=slug)
    if request.method != "POST":
        return _page(request, incident)
    form = UpdateForm(request.POST)
    if form.is_valid():
        try:
            update = update_post(
                incident=incident,
                phase=form.cleaned_data["phase"],
                texts=form.texts,
                by=request.user,
                notify=form.cleaned_data["notify"],
            )
        except (UpdateTextMissing, UpdatePhaseInvalid) as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, gettext("The update is published on the status page."))
            if update.mailing is not None:
                messages.info(
                    request,
                    gettext(
                        'Mailing "%(name)s" to the affected customers is ready as a draft: '
                        "another staff member approves and sends it from the mailings console."
                    )
                    % {"name": update.mailing.display_name},
                )
            return redirect("console:status", slug=incident.slug)
    return _page(request, incident, form=form, status=400)


@support_required
def status_update_edit(request, slug, pk):
    incident = get_object_or_404(Incident, slug=slug)
    update = get_object_or_404(IncidentUpdate, pk=pk, incident=incident)
    if request.method == "POST":
        form = UpdateForm(request.POST, with_notify=False)
        if form.is_valid():
            try:
                update_edit(update=update, phase=form.cleaned_data["phase"], texts=form.texts, by=request.user)
            except (UpdateTextMissing, UpdatePhaseInvalid) as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, gettext("The update was changed."))
                return redirect("console:status", slug=incident.slug)
        status = 400
    else:
        form = UpdateForm(initial=UpdateForm.initial_for(update), with_notify=False)
        status = 200
    context = {"incident": incident, "update": update, "form": form}
    return render(request, "console/status/update_edit.html", context, status=status)


@require_POST
@support_required
def status_window_ended(request, slug, pk):
    incident = get_object_or_404(Incident, slug=slug)
    window = get_object_or_404(OutageWindow, pk=pk, incident=incident)
    form = WindowEndForm(request.POST, prefix=f"w{window.pk}")
    if form.is_valid():
        try:
            change = window_mark_ended(window=window, end=form.cleaned_data["end"], by=request.user)
        except WindowEndInvalid as exc:
            form.add_error("end", str(exc))
        else:
            _report_window_change(request, change, gettext("Window %(window)s marked as ended."))
            return redirect("console:status", slug=incident.slug)
    return _page(request, incident, end_forms={window.pk: form}, status=400)


@require_POST
@support_required
def status_window_ongoing(request, slug, pk):
    incident = get_object_or_404(Incident, slug=slug)
    window = get_object_or_404(OutageWindow, pk=pk, incident=incident)
    change = window_mark_ongoing(window=window, by=request.user)
    _report_window_change(request, change, gettext("Window %(window)s marked as ongoing."))
    return redirect("console:status", slug=incident.slug)


@require_POST
@support_required
def status_publish(request, slug):
    """Publish the incident on /status/ (``public=1``) or take it down (``public=0``)."""
    incident = get_object_or_404(Incident, slug=slug)
    public = request.POST.get("public") == "1"
    incident_publish(incident=incident, public=public, by=request.user)
    if public:
        messages.success(request, gettext("The incident is now on the public status page."))
    else:
        messages.success(request, gettext("The incident is no longer on the public status page."))
    return redirect("console:status", slug=incident.slug)


def _report_window_change(request, change, text):
    messages.success(request, text % {"window": change.window.target.name})
    if change.exposure is None:
        messages.warning(
            request,
            gettext("Exposure was not recomputed: %(reason)s") % {"reason": change.frozen_reason},
        )
    else:
        messages.info(
            request,
            gettext("Exposure recomputed: %(accounts)s accounts of %(customers)s customers affected.")
            % {
                "accounts": number_format(change.exposure.accounts, force_grouping=True),
                "customers": number_format(change.exposure.customers, force_grouping=True),
            },
        )
