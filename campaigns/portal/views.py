"""Customer portal: the incidents that hit the customer and what happened to them.

Sign-in lives in ``accounts.views``; vouchers and redemption in ``campaigns.portal.credit_views``.
Every view reads through ``campaigns.portal.selectors``, scoped to the signed-in customer.
"""

from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from accounts.portal_session import customer_time_zone, portal_login_required
from campaigns.claims.selectors import claims_of_customer
from campaigns.compensation.explanation import explanation_view
from campaigns.incidents.timeline import timeline_layout
from campaigns.portal.page_cache import portal_page_cached
from campaigns.portal.selectors import (
    portal_balances,
    portal_compensation,
    portal_downtime,
    portal_incident,
    portal_incidents,
    portal_outages,
    portal_vouchers,
)
from campaigns.status.selectors import incident_updates_cached


@portal_login_required
def home(request):
    def page() -> dict:
        customer = request.portal_customer
        context = {
            "incidents": portal_incidents(customer=customer),
            "vouchers": portal_vouchers(customer=customer),
            "balances": portal_balances(customer=customer),
        }
        return {"page_title": _("Overview"), "body": render_to_string("portal/_home_body.html", context, request)}

    return render(request, "portal/page.html", portal_page_cached(request, "home", render=page))


@portal_login_required
def incident_detail(request, slug):
    def page() -> dict:
        customer = request.portal_customer
        incident = portal_incident(customer=customer, slug=slug)
        outages = portal_outages(customer=customer, incident=incident)
        compensation = portal_compensation(customer=customer, incident=incident)
        timeline = timeline_layout(
            [(outage.account, [(start, end) for start, end, _server in outage.intervals]) for outage in outages],
            tz=customer_time_zone(customer),
        )
        context = {
            "incident": incident,
            "outages": outages,
            "timeline": timeline,
            "total_seconds": portal_downtime(customer=customer, incident=incident),
            "compensation": compensation,
            "explanation": explanation_view(compensation.explanation) if compensation else None,
            "vouchers": portal_vouchers(customer=customer, incident=incident),
            "time_zone": customer.time_zone,
            "updates": incident_updates_cached(incident, get_language()),
            "claims": claims_of_customer(customer=customer, incident=incident),
        }
        return {"page_title": incident.title, "body": render_to_string("portal/_incident_body.html", context, request)}

    return render(request, "portal/page.html", portal_page_cached(request, "incident", slug, render=page))
