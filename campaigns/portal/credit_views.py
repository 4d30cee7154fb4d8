"""Customer portal: vouchers, their PDFs, redemption, balance and ledger history."""

from django.conf import settings
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils.translation import gettext as _

from accounts import ratelimit
from accounts.client_address import client_address
from accounts.portal_session import portal_login_required
from campaigns.compensation.codes import normalize_code
from campaigns.compensation.voucher_pdf import voucher_pdf_bytes
from campaigns.mailings.handover import voucher_file_name
from campaigns.offers.sentences import FORM_LABELS, choice_sentence
from campaigns.portal.page_cache import portal_page
from campaigns.portal.redemption import (
    RedemptionError,
    VoucherInvalid,
    redemption_choices,
    voucher_check,
    voucher_lookup,
    voucher_redeem,
)
from campaigns.portal.selectors import (
    portal_balances,
    portal_ledger,
    portal_redemptions,
    portal_voucher,
    portal_voucher_for_pdf,
    portal_voucher_list,
)

CODE_SCOPE = "voucher-code"


def _code_subjects(request) -> list[str]:
    return [f"customer:{request.portal_customer.pk}", f"ip:{client_address(request)}"]


@portal_login_required
def credit(request):
    def page() -> dict:
        customer = request.portal_customer
        context = {
            "vouchers": portal_voucher_list(customer=customer),
            "balances": portal_balances(customer=customer),
            "entries": portal_ledger(customer=customer),
            "redemptions": [(r, choice_sentence(r)) for r in portal_redemptions(customer=customer)],
        }
        return {"page_title": _("Your credit"), "body": render_to_string("portal/_credit_body.html", context, request)}

    return portal_page(request, "credit", render=page)


@portal_login_required
def voucher_pdf(request, pk):
    voucher = portal_voucher_for_pdf(customer=request.portal_customer, pk=pk)
    response = HttpResponse(voucher_pdf_bytes(voucher), content_type="application/pdf")
    # named as the letter's attachment: the PDF's language (the customer's), not the page's
    name = voucher_file_name(voucher.code, request.portal_customer.language)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["Cache-Control"] = "private, no-store"
    return response


@portal_login_required
def redeem_code(request):
    """A code received on paper: find the customer's voucher, then confirm on the next page. The
    voucher's printed link and QR code open this page with ``?code=`` filled in."""
    error, code, status = "", request.GET.get("code", "")[:64], 200
    if request.method == "POST":
        code = request.POST.get("code", "")[:64]
        subjects = _code_subjects(request)
        limit = settings.HOSTNOTIFY["PORTAL_CODE_ATTEMPTS"]
        if ratelimit.rate_limited(scope=CODE_SCOPE, subjects=subjects, limit=limit):
            error, status = _("Too many attempts. Please wait a while and try again."), 429
        else:
            try:
                voucher = voucher_lookup(customer=request.portal_customer, code=normalize_code(code))
            except VoucherInvalid as exc:
                ratelimit.rate_limit_count(
                    scope=CODE_SCOPE, subjects=subjects, window=settings.HOSTNOTIFY["PORTAL_CODE_WINDOW"]
                )
                error = str(exc.message)
            except RedemptionError as exc:
                error = str(exc.message)
            else:
                return redirect("portal:redeem", pk=voucher.pk)
    return render(request, "portal/redeem_code.html", {"error": error, "code": code}, status=status)


@portal_login_required
def redeem(request, pk):
    """Every choice the incident offers, each saying exactly what the customer gets; confirm,
    redeem (once: the service locks the voucher)."""
    customer = request.portal_customer
    voucher = portal_voucher(customer=customer, pk=pk)
    error = ""
    try:
        voucher_check(voucher)
    except RedemptionError as exc:
        error = str(exc.message)
    if request.method == "POST" and not error:
        form = request.POST.get("form", "")[:100]
        try:
            voucher_redeem(
                customer=customer, code=voucher.code, form=form, actor_label=f"contact:{request.portal_contact.email}"
            )
        except RedemptionError as exc:
            error = str(exc.message)
        else:
            done = voucher.redemption
            messages.success(
                request, _("Your voucher has been redeemed: %(outcome)s") % {"outcome": choice_sentence(done)}
            )
            return redirect("portal:credit")
    choices = redemption_choices(voucher) if voucher.status == voucher.Status.ISSUED else []
    groups: dict[str, list] = {}
    for choice in choices:
        groups.setdefault(choice.form, []).append((choice.key, choice_sentence(choice)))
    keys = [choice.key for choice in choices]
    selected = request.POST.get("form", "")
    context = {
        "voucher": voucher,
        "groups": [(FORM_LABELS[form], items) for form, items in groups.items()],
        "selected": selected if selected in keys else (keys[0] if keys else ""),
        "error": error,
    }
    return render(request, "portal/redeem_confirm.html", context, status=409 if error else 200)
