"""Support console for mailings: list, compose with live preview and recipient count, test send,
approve/launch/pause/resume/cancel/retry/clone, live progress and the per-recipient log."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from accounts.models import Customer
from accounts.roles import support_required
from campaigns.compensation.code_access import code_shown_record, code_visible_to
from campaigns.incidents.models import Incident
from campaigns.mailings import services as lifecycle
from campaigns.mailings.corrections import NothingToCorrect, correction_customer_ids, mailing_create_correction
from campaigns.mailings.drafts import (
    MailingContentInvalid,
    MailingNotEditable,
    mailing_draft_create,
    mailing_draft_update,
    mailing_test_send,
)
from campaigns.mailings.forms import AUDIENCE_FIELDS, MailingForm
from campaigns.mailings.letters import PLACEHOLDERS, CustomerNotAffected, LetterError, default_content, render_preview
from campaigns.mailings.models import Mailing
from campaigns.mailings.placeholders import LANGUAGES
from campaigns.mailings.selectors import (
    mailing_progress,
    mailing_stall,
)
from campaigns.mailings.summary import audience_summary, contact_roles_summary


def mailing_or_404(pk) -> Mailing:
    return get_object_or_404(Mailing.objects.select_related("incident", "created_by", "approved_by"), pk=pk)


@support_required
def mailing_list(request, slug):
    incident = get_object_or_404(Incident, slug=slug)
    mailings = incident.mailings.select_related("created_by", "approved_by").order_by("-created_at")
    context = {
        "incident": incident,
        "mailings": mailings,
        "to_correct": len(correction_customer_ids(incident=incident)),
    }
    return render(request, "console/mailings/list.html", context)


@support_required
@require_POST
def mailing_correction(request, slug):
    """A draft correction to the customers whose figures changed since their last letter."""
    incident = get_object_or_404(Incident, slug=slug)
    try:
        mailing = mailing_create_correction(incident=incident, by=request.user)
    except NothingToCorrect:
        messages.info(request, _("No customer's figures changed since their last letter: nothing to correct."))
        return redirect("console:mailings", slug=slug)
    return redirect("console:mailing", pk=mailing.pk)


def _compose(request, incident: Incident, mailing: Mailing | None):
    if request.method == "POST":
        form = MailingForm(request.POST, incident=incident)
        if form.is_valid():
            try:
                if mailing is None:
                    mailing = mailing_draft_create(incident=incident, by=request.user, **form.mailing_fields())
                else:
                    mailing = mailing_draft_update(mailing=mailing, by=request.user, **form.mailing_fields())
            except MailingContentInvalid as exc:
                for error in exc.errors:
                    form.add_error(None, error)
            except MailingNotEditable as exc:  # only an existing mailing can have left the draft state
                messages.error(request, str(exc))
                if mailing is not None:
                    return redirect("console:mailing", pk=mailing.pk)
            else:
                messages.success(request, _("Draft saved."))
                return redirect("console:mailing", pk=mailing.pk)
    elif mailing is not None:
        form = MailingForm(initial=MailingForm.initial_for(mailing), incident=incident)
    else:
        draft = Mailing(
            incident=incident,
            name=_("Apology: %(title)s") % {"title": incident.title},
            content=default_content(),
            contact_roles=["primary"],
        )
        form = MailingForm(initial=MailingForm.initial_for(draft), incident=incident)
    context = {
        "incident": incident,
        "mailing": mailing,
        "form": form,
        "placeholders": PLACEHOLDERS,
        "languages": LANGUAGES,
        "sample_customers": _sample_customers(incident),
    }
    return render(request, "console/mailings/form.html", context)


@support_required
def mailing_create(request, slug):
    return _compose(request, get_object_or_404(Incident, slug=slug), None)


@support_required
def mailing_edit(request, pk):
    mailing = mailing_or_404(pk)
    if mailing.status != Mailing.Status.DRAFT:
        messages.error(request, _("Only drafts can be edited; clone this mailing to change it."))
        return redirect("console:mailing", pk=mailing.pk)
    return _compose(request, mailing.incident, mailing)


def _sample_customers(incident: Incident, limit: int = 20, mailing: Mailing | None = None):
    """A few affected customers to pick for the preview (any other by customer number); for a
    saved mailing, customers of its audience, so the first one shown is a real recipient."""
    if mailing is not None:
        in_audience = lifecycle.audience_contacts(mailing).values("customer_id")
        return Customer.objects.filter(pk__in=in_audience).order_by("number")[:limit]
    return Customer.objects.filter(exposures__incident=incident).distinct().order_by("number")[:limit]


@support_required
def mailing_detail(request, pk):
    mailing = mailing_or_404(pk)
    context = {
        "mailing": mailing,
        "incident": mailing.incident,
        **_progress_context(mailing),
        "recipients": _recipient_count(mailing) if mailing.status in _BEFORE_LAUNCH else None,
        "audience": audience_summary(mailing.audience or {}),
        "contact_roles": contact_roles_summary(mailing.contact_roles or []),
        "languages": LANGUAGES,
        "sample_customers": _sample_customers(mailing.incident, mailing=mailing),
        "can_approve": lifecycle.mailing_can_approve(request.user, mailing),
    }
    return render(request, "console/mailings/detail.html", context)


_BEFORE_LAUNCH = (Mailing.Status.DRAFT, Mailing.Status.APPROVED)


def _recipient_count(mailing: Mailing) -> int:
    return lifecycle.audience_contacts(mailing).count()


# --- htmx partials ------------------------------------------------------------------------------


def _preview_response(request, *, incident, content_or_mailing, customer_number, language, audience=None):
    """``audience``: an unsaved mailing whose filters pick the default customer (compose form)."""
    context = {"customer_number": customer_number, "language": language}
    customer = Customer.objects.filter(number=customer_number).first() if customer_number else None
    if customer is None and not customer_number:
        mailing = content_or_mailing if isinstance(content_or_mailing, Mailing) else audience
        customer = _sample_customers(incident, 1, mailing=mailing).first()
    if customer is None:
        context["error"] = _("No customer with number %(number)s.") % {"number": customer_number}
    else:
        try:
            reveal = code_visible_to(request.user)
            message = render_preview(
                content_or_mailing, customer, language=language or None, incident=incident, reveal_code=reveal
            )
            if reveal and message.shown_voucher_id:
                code_shown_record(
                    user=request.user,
                    where="mailing preview",
                    voucher_ids=[message.shown_voucher_id],
                    incident=incident,
                )
            context["message"] = message
            context["customer"] = customer
        except CustomerNotAffected:
            context["error"] = _("Customer %(number)s is not affected by this incident.") % {"number": customer.number}
        except LetterError as exc:
            context["errors"] = exc.errors
    return render(request, "console/mailings/_preview.html", context)


@support_required
def mailing_preview(request, pk):
    """Preview of a saved mailing for any recipient in any language (GET ?customer=&language=)."""
    mailing = mailing_or_404(pk)
    return _preview_response(
        request,
        incident=mailing.incident,
        content_or_mailing=mailing,
        customer_number=request.GET.get("customer", "").strip(),
        language=request.GET.get("language", ""),
    )


@support_required
def compose_preview(request, slug):
    """Live preview of the content being composed (POST of the compose form, nothing saved)."""
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    incident = get_object_or_404(Incident, slug=slug)
    form = MailingForm(request.POST, incident=incident)
    content = form.content(raw=True)  # as typed: invalid content shows its errors in the preview
    return _preview_response(
        request,
        incident=incident,
        content_or_mailing=content or {"": {}},
        customer_number=request.POST.get("preview_customer", "").strip(),
        language=request.POST.get("preview_language", ""),
        audience=_audience_probe(form, incident),
    )


def _audience_probe(form: MailingForm, incident: Incident) -> Mailing | None:
    """An unsaved mailing with the audience the compose form describes; None while a filter is
    invalid (the count then shows the error, and the preview picks any affected customer)."""
    form.is_valid()
    if any(form.errors.get(name) for name in AUDIENCE_FIELDS):
        return None
    data = getattr(form, "cleaned_data", {})
    return Mailing(incident=incident, audience=form.audience(), contact_roles=data.get("contact_roles") or [])


@support_required
def compose_count(request, slug):
    """How many contacts the audience filters of the compose form reach (POST, nothing saved)."""
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    incident = get_object_or_404(Incident, slug=slug)
    form = MailingForm(request.POST, incident=incident)
    probe = _audience_probe(form, incident)
    if probe is None:  # an invalid filter counts no one rather than the whole audience
        errors = [error for name in AUDIENCE_FIELDS for error in form.errors.get(name, [])]
        return render(request, "console/mailings/_count.html", {"errors": errors})
    return render(request, "console/mailings/_count.html", {"recipients": _recipient_count(probe)})


@support_required
def mailing_progress_partial(request, pk):
    """The progress card that htmx swaps in every 2 s; opened as a page (a bookmark, a new tab), the
    same card inside the console, so that it has a title, a language and a way back."""
    mailing = mailing_or_404(pk)
    template = (
        "console/mailings/_progress.html" if request.headers.get("HX-Request") else "console/mailings/progress.html"
    )
    response = render(request, template, _progress_context(mailing))
    patch_vary_headers(response, ["HX-Request"])
    return response


def _progress_context(mailing: Mailing) -> dict:
    progress = mailing_progress(mailing)
    return {
        "mailing": mailing,
        "progress": progress,
        "eta": _clock(progress.eta_seconds),
        "duration": _clock(progress.duration_seconds),
        "stall": mailing_stall(mailing),
    }


def _clock(seconds: float | None) -> str:
    """``1:02:03`` or ``2:03``; "" for None."""
    if seconds is None:
        return ""
    minutes, seconds = divmod(int(seconds + 0.5), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{seconds:02d}" if hours else f"{minutes}:{seconds:02d}"


# --- actions ------------------------------------------------------------------------------------


@support_required
@require_POST
def mailing_test(request, pk):
    mailing = mailing_or_404(pk)
    customer = Customer.objects.filter(number=request.POST.get("customer", "").strip()).first()
    customer = customer or _sample_customers(mailing.incident, 1, mailing=mailing).first()
    if customer is None:
        messages.error(request, _("No affected customer to take the test letter from."))
        return redirect("console:mailing", pk=mailing.pk)
    try:
        mailing_test_send(
            mailing=mailing, customer=customer, to=request.user.email, by=request.user,
            language=request.POST.get("language") or None,
        )  # fmt: skip
    except (CustomerNotAffected, LetterError) as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request,
            _("Test letter for %(number)s sent to %(email)s.")
            % {"number": customer.number, "email": request.user.email},
        )
    return redirect("console:mailing", pk=mailing.pk)


def _approve(mailing, user):
    lifecycle.mailing_approve(mailing=mailing, by=user)
    return _("Mailing approved.")


def _launch(mailing, user):
    lifecycle.mailing_launch(mailing=mailing, by=user)
    return _("Mailing launched.")


def _pause(mailing, user):
    lifecycle.mailing_pause(mailing=mailing, by=user, reason=_("paused in the console"))
    return _("Mailing paused.")


def _resume(mailing, user):
    lifecycle.mailing_resume(mailing=mailing, by=user)
    return _("Mailing resumed.")


def _cancel(mailing, user):
    lifecycle.mailing_cancel(mailing=mailing, by=user)
    return _("Mailing cancelled.")


def _retry(mailing, user):
    count = lifecycle.mailing_retry_failed(mailing=mailing, by=user)
    return ngettext("%(count)s failed delivery queued again.", "%(count)s failed deliveries queued again.", count) % {
        "count": count
    }


ACTIONS = {
    "approve": _approve,
    "launch": _launch,
    "pause": _pause,
    "resume": _resume,
    "cancel": _cancel,
    "retry": _retry,
}


@support_required
@require_POST
def mailing_action(request, pk, action):
    mailing = mailing_or_404(pk)
    if action == "clone":
        try:
            clone = lifecycle.mailing_clone(mailing=mailing, by=request.user)
        except lifecycle.MailingError as exc:
            messages.error(request, str(exc))
            return redirect("console:mailing", pk=mailing.pk)
        messages.success(request, _("Cloned into a new draft."))
        return redirect("console:mailing_edit", pk=clone.pk)
    handler = ACTIONS.get(action)
    if handler is None:
        return HttpResponseNotAllowed(list(ACTIONS))
    try:
        messages.success(request, handler(mailing, request.user))
    except lifecycle.MailingError as exc:
        messages.error(request, str(exc))
    return redirect("console:mailing", pk=mailing.pk)
