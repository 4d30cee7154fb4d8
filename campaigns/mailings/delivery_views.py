"""Console pages that follow a mailing's recipients: the per-recipient log, a resend to one
recipient, and the deliveries in doubt after a worker died, which staff decide."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from accounts.roles import support_required
from campaigns.mailings import services as lifecycle
from campaigns.mailings.in_doubt import (
    DECISIONS,
    InDoubtDecisionRefused,
    deliveries_in_doubt,
    deliveries_resolve,
    in_doubt_decisions,
)
from campaigns.mailings.models import Delivery
from campaigns.mailings.selectors import delivery_events_by_delivery, mailing_log_deliveries
from campaigns.mailings.views import mailing_or_404

LOG_PAGE_SIZE = 50


@support_required
@require_POST
def delivery_resend(request, pk, delivery_pk):
    delivery = get_object_or_404(Delivery, pk=delivery_pk, mailing_id=pk)
    try:
        lifecycle.mailing_resend(delivery=delivery, by=request.user)
    except lifecycle.MailingError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Sending again to %(email)s.") % {"email": delivery.email})
    return redirect("console:mailing_log", pk=pk)


@support_required
def mailing_in_doubt(request, pk):
    """The deliveries in doubt with their recipients; staff mark them sent or send them again."""
    mailing = mailing_or_404(pk)
    if request.method == "POST":
        decision = request.POST.get("decision", "")
        chosen = None if request.POST.get("all") else [int(i) for i in request.POST.getlist("delivery") if i.isdigit()]
        if decision not in DECISIONS or chosen == []:
            messages.error(request, _("Choose deliveries and what to do with them."))
        else:
            try:
                count = deliveries_resolve(mailing=mailing, by=request.user, decision=decision, delivery_ids=chosen)
            except InDoubtDecisionRefused as exc:
                messages.error(request, str(exc))
            else:
                text = (
                    ngettext("%(count)s delivery marked as sent.", "%(count)s deliveries marked as sent.", count)
                    if decision == "sent"
                    else ngettext(
                        "%(count)s delivery queued to be sent again.",
                        "%(count)s deliveries queued to be sent again.",
                        count,
                    )
                )
                messages.success(request, text % {"count": count})
        return redirect("console:mailing_in_doubt", pk=mailing.pk)
    rows = list(deliveries_in_doubt(mailing)[:500])
    context = {
        "mailing": mailing,
        "incident": mailing.incident,
        "rows": rows,
        "total": deliveries_in_doubt(mailing).count(),
        "decisions": in_doubt_decisions(mailing)[:50],
    }
    return render(request, "console/mailings/in_doubt.html", context)


# --- the per-recipient log ----------------------------------------------------------------------


@support_required
def mailing_log(request, pk):
    mailing = mailing_or_404(pk)
    status = request.GET.get("status", "")
    query = request.GET.get("q", "").strip()
    deliveries = mailing_log_deliveries(mailing, status=status, query=query)
    page = Paginator(deliveries, LOG_PAGE_SIZE).get_page(request.GET.get("page"))
    events = delivery_events_by_delivery(page)
    rows = [(delivery, events.get(delivery.pk, [])) for delivery in page]
    context = {
        "mailing": mailing,
        "incident": mailing.incident,
        "page": page,
        "rows": rows,
        "status": status,
        "q": query,
        "filters": [
            ("", _("all")),
            ("pending", _("pending")),
            ("sent", _("sent")),
            ("failed", _("failed")),
            ("unknown", _("in doubt")),
            ("delivered", _("delivered")),
            ("bounced", _("bounced")),
            ("complained", _("complained")),
        ],
    }
    return render(request, "console/mailings/log.html", context)
