"""Portal sign-in: magic links, passwords, reset, sign-out. Thin: parse, call a service, answer.

Mounted by ``campaigns/portal/urls.py`` under the ``portal`` namespace.
"""

from django.conf import settings
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts import ratelimit
from accounts.client_address import client_address
from accounts.forms import ChangePasswordForm, EmailForm, NewPasswordForm, PasswordSignInForm
from accounts.models import PortalSignIn
from accounts.portal_session import portal_login_required, portal_sign_in, portal_sign_out
from accounts.services.portal_auth import magic_link_contact
from accounts.services.portal_password import contact_authenticate, contact_set_password, password_reset_contact
from accounts.tasks import portal_link_mail, portal_password_reset_mail


def _too_many() -> str:
    return _("Too many attempts. Please wait a while and try again.")


def _signin_limited(request, scope: str, email: str) -> bool:
    subjects = [f"email:{email.strip().lower()}", f"ip:{client_address(request)}"]
    return ratelimit.rate_limited(scope=scope, subjects=subjects, limit=settings.HOSTNOTIFY["PORTAL_SIGNIN_ATTEMPTS"])


def _signin_count(request, scope: str, email: str) -> None:
    subjects = [f"email:{email.strip().lower()}", f"ip:{client_address(request)}"]
    ratelimit.rate_limit_count(scope=scope, subjects=subjects, window=settings.HOSTNOTIFY["PORTAL_SIGNIN_WINDOW"])


def _signed_in(request, contact, method: str):
    """Sign in, answer with a redirect to where the visitor wanted to go, in the contact's language."""
    portal_sign_in(request, contact, method=method)
    target = request.POST.get("next") or request.GET.get("next") or ""
    if not url_has_allowed_host_and_scheme(target, {request.get_host()}, require_https=request.is_secure()):
        target = reverse("portal:home")
    response = redirect(target)
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        contact.effective_language,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        path=settings.LANGUAGE_COOKIE_PATH,
        secure=settings.LANGUAGE_COOKIE_SECURE,
        httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
        samesite=settings.LANGUAGE_COOKIE_SAMESITE,
    )
    return response


def login(request):
    """Sign-in page: ask for a new link by address, or sign in with a password."""
    link_form, password_form = EmailForm(prefix="link"), PasswordSignInForm(prefix="pw")
    error, status = "", 200
    if request.method == "POST" and request.POST.get("action") == "link":
        link_form = EmailForm(request.POST, prefix="link")
        if link_form.is_valid():
            email = link_form.cleaned_data["email"]
            if _signin_limited(request, "link", email):
                error, status = _too_many(), 429
            else:
                _signin_count(request, "link", email)
                # nothing written first: no need to wait for a commit. The link leads back to ``next``.
                portal_link_mail.delay(email, request.POST.get("next", "")[:500])
                return render(request, "portal/link_sent.html", {"email": email})
    elif request.method == "POST" and request.POST.get("action") == "password":
        password_form = PasswordSignInForm(request.POST, prefix="pw")
        if password_form.is_valid():
            email = password_form.cleaned_data["email"]
            if _signin_limited(request, "password", email):
                error, status = _too_many(), 429
            else:
                contact = contact_authenticate(email=email, raw_password=password_form.cleaned_data["password"])
                if contact is not None:
                    return _signed_in(request, contact, PortalSignIn.Method.PASSWORD)
                _signin_count(request, "password", email)
                error = _("This e-mail address and password do not match.")
    context = {
        "link_form": link_form,
        "password_form": password_form,
        "error": error,
        "next": request.POST.get("next") or request.GET.get("next", ""),
    }
    return render(request, "portal/login.html", context, status=status)


def magic_link(request, token):
    """GET asks to confirm (mail scanners that open links must not spend them); POST signs in.

    Unknown, used, expired and forged tokens get one answer; a client address that keeps
    presenting bad tokens is stopped before any token is looked at."""
    subjects = [f"ip:{client_address(request)}"]
    limit = settings.HOSTNOTIFY["PORTAL_LINK_ATTEMPTS"]
    if ratelimit.rate_limited(scope="magic-link", subjects=subjects, limit=limit):
        return render(request, "portal/link_invalid.html", {"link_form": EmailForm(prefix="link")}, status=410)
    contact = magic_link_contact(token)
    if contact is None:
        window = settings.HOSTNOTIFY["PORTAL_SIGNIN_WINDOW"]
        ratelimit.rate_limit_count(scope="magic-link", subjects=subjects, window=window)
        return render(request, "portal/link_invalid.html", {"link_form": EmailForm(prefix="link")}, status=410)
    if request.method == "POST":
        return _signed_in(request, contact, PortalSignIn.Method.LINK)
    # The page speaks the customer's language, whatever the browser (or a mail scanner) prefers.
    with translation.override(contact.effective_language):
        response = render(request, "portal/link_confirm.html", {"contact": contact, "customer": contact.customer})
    response["Content-Language"] = contact.effective_language
    return response


def password_reset_request(request):
    form = EmailForm(request.POST or None)
    error = ""
    if request.method == "POST" and form.is_valid():
        email = form.cleaned_data["email"]
        if _signin_limited(request, "reset", email):
            error = _too_many()
        else:
            _signin_count(request, "reset", email)
            portal_password_reset_mail.delay(email)
            return render(request, "portal/password_reset_sent.html", {"email": email})
    return render(request, "portal/password_reset_request.html", {"form": form, "error": error})


def password_reset_confirm(request, token):
    contact = password_reset_contact(token)
    if contact is None:
        return render(request, "portal/password_reset_invalid.html", status=410)
    form = NewPasswordForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        contact_set_password(contact=contact, raw_password=form.cleaned_data["new_password1"])
        return _signed_in(request, contact, PortalSignIn.Method.RESET)
    return render(request, "portal/password_reset_confirm.html", {"form": form, "contact": contact})


@portal_login_required
def password_change(request):
    """Set or change the portal password of the signed-in contact; the session carries on."""
    form = ChangePasswordForm(request.POST or None, contact=request.portal_contact)
    if request.method == "POST" and form.is_valid():
        contact_set_password(contact=request.portal_contact, raw_password=form.cleaned_data["new_password1"])
        portal_sign_in(request, request.portal_contact)
        return render(request, "portal/password_changed.html")
    return render(request, "portal/password_change.html", {"form": form})


@require_POST
def logout(request):
    portal_sign_out(request)
    return redirect("portal:login")
