"""The console's incident editor: support creates an incident and edits its titles and
descriptions in de/fr/it/en, its forms of compensation and status, adds its outage windows (per
server or storage volume) with a live count of the customers they reach, moves a window's start
or end (the same live count), and publishes it.

Thin views: the services of ``campaigns.status.editing`` write and audit; the exposure follows.
"""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext, ngettext
from django.views.decorators.http import require_POST

from accounts.models import Server, StorageVolume
from accounts.roles import support_required
from campaigns.incidents.exposure import ExposureFrozen
from campaigns.incidents.models import Incident, OutageWindow
from campaigns.incidents.selectors import incident_exposure_totals, window_reach
from campaigns.status.editing import IncidentInvalid, incident_create, incident_update, window_add, window_update
from campaigns.status.incident_forms import IncidentForm, WindowForm
from campaigns.status.publishing import incident_publish


def _title(form: IncidentForm) -> str:
    """The title column every language falls back to: the default language's, else the first given."""
    texts = form.texts
    first = texts[f"title_{form.cleaned_data['default_language']}"]
    return first or next(text for key, text in texts.items() if key.startswith("title_") and text)


@support_required
def incident_new(request):
    form = IncidentForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            incident = incident_create(
                slug=data["slug"],
                title=_title(form),
                by=request.user,
                default_language=data["default_language"],
                redemption_options=data["redemption_options"],
                **form.texts,  # type: ignore[arg-type]  # title_de … description_en: str
            )
        except IncidentInvalid as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, gettext("Incident created. Add its outage windows, then publish it."))
            return redirect("console:incident_edit", slug=incident.slug)
    return render(
        request, "console/incidents/edit.html", {"form": form, "incident": None}, status=400 if form.errors else 200
    )


@support_required
def incident_edit(request, slug):
    incident = get_object_or_404(Incident, slug=slug)
    form = IncidentForm(request.POST or None, incident=incident, initial=IncidentForm.initial_for(incident))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            incident_update(
                incident=incident,
                by=request.user,
                default_language=data["default_language"],
                redemption_options=data["redemption_options"],
                status=data["status"],
                **form.texts,
            )
        except IncidentInvalid as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, gettext("The incident was saved."))
            return redirect("console:incident_edit", slug=incident.slug)
    return _page(request, incident, form=form, status=400 if form.errors else 200)


def _page(request, incident, *, form=None, window_form=None, change_forms=None, status=200):
    windows = list(incident.windows.select_related("server", "volume").order_by("start", "id"))
    change_forms = change_forms or {}
    for window in windows:
        window.change_form = change_forms.get(window.pk) or WindowForm(
            initial=WindowForm.initial_for(window), auto_id=f"w{window.pk}_%s"
        )
    context = {
        "incident": incident,
        "form": form or IncidentForm(incident=incident, initial=IncidentForm.initial_for(incident)),
        "window_form": window_form or WindowForm(),
        "windows": windows,
        "totals": incident_exposure_totals(incident),
        "server_names": Server.objects.order_by("name").values_list("name", flat=True),
        "volume_names": StorageVolume.objects.order_by("name").values_list("name", flat=True),
    }
    return render(request, "console/incidents/edit.html", context, status=status)


@support_required
@require_POST
def incident_window_add(request, slug):
    incident = get_object_or_404(Incident, slug=slug)
    form = WindowForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            window_add(
                incident=incident,
                target_type=data["target_type"],
                server=data["server"],
                volume=data["volume"],
                start=data["start"],
                end=data["end"],
                by=request.user,
            )
        except ExposureFrozen:
            form.add_error(None, gettext("Compensation for this incident is approved: its windows cannot change."))
        except IncidentInvalid as exc:
            form.add_error(None, str(exc))
        else:
            totals = incident_exposure_totals(incident)
            count = totals["customers"]
            messages.success(
                request,
                ngettext(
                    "Window added. The incident now reaches %(count)s customer.",
                    "Window added. The incident now reaches %(count)s customers.",
                    count,
                )
                % {"count": count},
            )
            return redirect("console:incident_edit", slug=incident.slug)
    return _page(request, incident, window_form=form, status=400)


@support_required
@require_POST
def incident_window_change(request, slug, pk):
    """Move a window's start or end; its target stays (a window elsewhere is a new window)."""
    incident = get_object_or_404(Incident, slug=slug)
    window = get_object_or_404(OutageWindow, pk=pk, incident=incident)
    data = request.POST.copy()
    data.update(WindowForm.target_of(window))
    form = WindowForm(data, auto_id=f"w{window.pk}_%s")
    if form.is_valid() and form.cleaned_data["end"] is None and window.end is not None:
        form.add_error("end", gettext("To mark an ended window as ongoing again, use the status page."))
    if form.is_valid():
        try:
            window_update(
                window=window, start=form.cleaned_data["start"], end=form.cleaned_data["end"], by=request.user
            )
        except ExposureFrozen:
            form.add_error(None, gettext("Compensation for this incident is approved: its windows cannot change."))
        except IncidentInvalid as exc:
            form.add_error(None, str(exc))
        else:
            count = incident_exposure_totals(incident)["customers"]
            messages.success(
                request,
                ngettext(
                    "Window changed. The incident now reaches %(count)s customer.",
                    "Window changed. The incident now reaches %(count)s customers.",
                    count,
                )
                % {"count": count},
            )
            return redirect("console:incident_edit", slug=incident.slug)
    return _page(request, incident, change_forms={window.pk: form}, status=400)


@support_required
def incident_window_reach(request, slug):
    """The live count under the window form (htmx): customers the window would reach."""
    incident = get_object_or_404(Incident, slug=slug)
    form = WindowForm(request.GET)
    reach = None
    if form.is_valid():
        data = form.cleaned_data
        reach = window_reach(
            servers=form.servers(), start=data["start"], end=data["end"], now=timezone.now(), incident=incident
        )
    return render(request, "console/incidents/_reach.html", {"reach": reach, "form": form})


@support_required
@require_POST
def incident_publish_toggle(request, slug):
    incident = get_object_or_404(Incident, slug=slug)
    public = request.POST.get("public") == "1"
    if incident_publish(incident=incident, public=public, by=request.user):
        text = (
            gettext("The incident is now on the public status page.")
            if public
            else gettext("The incident is no longer on the public status page.")
        )
        messages.success(request, text)
    return redirect("console:incident_edit", slug=incident.slug)
