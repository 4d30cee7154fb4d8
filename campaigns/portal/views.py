"""Customer portal: the incidents that hit the customer and what happened to them.

Sign-in lives in ``accounts.views``; vouchers and redemption in ``campaigns.portal.credit_views``.
Every view reads through ``campaigns.portal.selectors``, scoped to the signed-in customer.
"""

from django.template.loader import render_to_string
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from accounts.portal_session import customer_time_zone, portal_login_required
from campaigns.compensation.explanation import explanation_view
from campaigns.incidents.timeline import timeline_svg
from campaigns.portal.page_cache import portal_page
from campaigns.portal.selectors import (
    portal_balances,
    portal_incident_page,
    portal_incidents,
    portal_voucher_list,
)
from campaigns.portal.timelines import PORTAL_WIDTH, portal_lanes
from campaigns.status.selectors import incident_updates_cached


@portal_login_required
def home(request):
    def page() -> dict:
        customer = request.portal_customer
        context = {
            "incidents": portal_incidents(customer=customer),
            "vouchers": portal_voucher_list(customer=customer),
            "balances": portal_balances(customer=customer),
        }
        return {"page_title": _("Overview"), "body": render_to_string("portal/_home_body.html", context, request)}

    return portal_page(request, "home", render=page)


@portal_login_required
def incident_detail(request, slug):
    def page() -> dict:
        customer = request.portal_customer
        found = portal_incident_page(customer=customer, slug=slug)
        timeline = timeline_svg(
            portal_lanes(piece for outage in found.outages for piece in outage.intervals),
            tz=customer_time_zone(customer),
            title=_("When your services were down"),
            width=PORTAL_WIDTH,
        )
        compensation = found.compensation
        context = {
            "incident": found.incident,
            "outages": found.outages,
            "timeline_svg": timeline,
            "total_seconds": found.downtime_seconds,
            "compensation": compensation,
            "explanation": explanation_view(compensation.explanation) if compensation else None,
            "vouchers": found.vouchers,
            "time_zone": customer.time_zone,
            "updates": incident_updates_cached(
                found.incident, get_language(), generation=getattr(request, "status_generation", None)
            ),
            "claims": found.claims,
        }
        return {
            "page_title": found.incident.title,
            "body": render_to_string("portal/_incident_body.html", context, request),
        }

    return portal_page(request, "incident", slug, render=page)
