"""Support's tools around sending: the suppression list (see, search, lift with a reason) and a
mailing's pace (rate and batch size, until it finishes)."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.roles import support_required
from campaigns.mailings.pace import PaceForm, PaceRefused, mailing_set_pace
from campaigns.mailings.suppression import LiftRefused, suppression_lift, suppressions_search
from campaigns.mailings.views import mailing_or_404


@support_required
def suppressions(request):
    query = request.GET.get("q", "").strip()
    page = Paginator(suppressions_search(query=query), 50).get_page(request.GET.get("page"))
    return render(request, "console/mailings/suppressions.html", {"page": page, "query": query})


@support_required
@require_POST
def suppression_lift_view(request, pk):
    try:
        row = suppression_lift(suppression_id=pk, reason=request.POST.get("reason", ""), by=request.user)
    except LiftRefused as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("%(email)s receives mailings again.") % {"email": row.email})
    query = request.POST.get("q", "").strip()
    target = reverse("console:suppressions")
    return redirect(f"{target}?{urlencode({'q': query})}" if query else target)


@support_required
@require_POST
def mailing_pace(request, pk):
    mailing = mailing_or_404(pk)
    form = PaceForm(request.POST)
    if not form.is_valid():
        errors = " ".join(str(error) for field in form for error in field.errors)
        messages.error(request, _("The pace was not changed: %(errors)s") % {"errors": errors})
        return redirect("console:mailing", pk=mailing.pk)
    try:
        mailing_set_pace(mailing=mailing, by=request.user, **form.cleaned_data)
    except PaceRefused as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("The new pace applies from the next batch on."))
    return redirect("console:mailing", pk=mailing.pk)
