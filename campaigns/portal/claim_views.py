"""Customer portal: filing a claim about an incident, and reading one's claims and their answers.

Every read is scoped to the signed-in customer (``campaigns.claims.selectors``): another
customer's claim or attachment answers 404.
"""

from django.conf import settings
from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from accounts import ratelimit
from accounts.client_address import client_address
from accounts.portal_session import customer_time_zone, portal_login_required
from campaigns.claims.rules import ClaimInvalid
from campaigns.claims.selectors import (
    attachment_of_customer,
    attachment_response,
    claim_of_customer,
    claimable_accounts,
    claims_of_customer,
)
from campaigns.claims.services import Upload, claim_file
from campaigns.portal.claim_forms import ClaimForm
from campaigns.portal.selectors import portal_incident

CLAIM_SCOPE = "claim-file"


def _subjects(request) -> list[str]:
    return [f"customer:{request.portal_customer.pk}", f"ip:{client_address(request)}"]


@portal_login_required
def claim_new(request, slug):
    customer = request.portal_customer
    incident = portal_incident(customer=customer, slug=slug)
    accounts = claimable_accounts(customer=customer)
    status = 200
    form = ClaimForm(request.POST or None, request.FILES or None, accounts=accounts, tz=customer_time_zone(customer))
    if request.method == "POST":
        limited = ratelimit.rate_limited(
            scope=CLAIM_SCOPE, subjects=_subjects(request), limit=settings.HOSTNOTIFY["CLAIM_FILE_LIMIT"]
        )
        if limited:
            form.add_error(None, _("You have filed many claims in a short time. Please wait a while and try again."))
            status = 429
        elif form.is_valid():
            limit = settings.HOSTNOTIFY["CLAIM_ATTACHMENT_MAX_BYTES"]
            uploads = [Upload(name=f.name, data=f.read(limit + 1)) for f in form.cleaned_data["attachments"]]
            try:
                claim = claim_file(
                    customer=customer,
                    contact=request.portal_contact,
                    incident=incident,
                    account_id=form.cleaned_data["account"],
                    kind=form.cleaned_data["kind"],
                    period=form.cleaned_data["period"],
                    text=form.cleaned_data["text"],
                    uploads=uploads,
                )
            except ClaimInvalid as exc:
                form.add_error(exc.field or None, exc.message)
            else:
                ratelimit.rate_limit_count(
                    scope=CLAIM_SCOPE, subjects=_subjects(request), window=settings.HOSTNOTIFY["CLAIM_FILE_WINDOW"]
                )
                messages.success(request, _("Thank you. We have received your claim and will answer it by e-mail."))
                return redirect("portal:claim", pk=claim.pk)
        if status == 200:
            status = 400
    context = {
        "incident": incident,
        "form": form,
        "time_zone": customer.time_zone,
        "max_mb": settings.HOSTNOTIFY["CLAIM_ATTACHMENT_MAX_BYTES"] // (1024 * 1024),
        "max_files": settings.HOSTNOTIFY["CLAIM_ATTACHMENTS_MAX"],
    }
    return render(request, "portal/claims/new.html", context, status=status)


@portal_login_required
def claim_list(request):
    return render(request, "portal/claims/list.html", {"claims": claims_of_customer(customer=request.portal_customer)})


@portal_login_required
def claim_detail(request, pk):
    claim = claim_of_customer(customer=request.portal_customer, pk=pk)
    return render(
        request, "portal/claims/detail.html", {"claim": claim, "time_zone": request.portal_customer.time_zone}
    )


@portal_login_required
def claim_attachment(request, pk, attachment):
    found = attachment_of_customer(customer=request.portal_customer, claim_pk=pk, pk=attachment)
    return attachment_response(found)
