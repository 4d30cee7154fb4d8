"""Console pages of the API: tokens (admins create and revoke them; a new secret is shown once)
and the alerts monitoring sent about targets hostnotify does not know (for support)."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import user_passes_test
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from accounts.roles import support_required
from campaigns.api.models import ApiToken, MonitoringAlert
from campaigns.api.tokens import TokenInvalid, api_token_create, api_token_default_expiry, api_token_revoke


def _is_admin(user) -> bool:
    if not user.is_authenticated:
        return False
    if not (user.is_active and user.is_staff and user.is_superuser):
        raise PermissionDenied
    return True


admin_required = user_passes_test(_is_admin, login_url="console:login")


class TokenForm(forms.Form):
    name = forms.CharField(label=_("Integration"), max_length=100)
    scopes = forms.MultipleChoiceField(
        label=_("Scopes"), choices=ApiToken.Scope.choices, widget=forms.CheckboxSelectMultiple
    )
    expires_at = forms.DateTimeField(
        label=_("Expires at"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"}), required=True
    )
    rate_limit = forms.IntegerField(label=_("Requests per minute (0: default)"), min_value=0, initial=0)


@admin_required
def tokens(request):
    created = None
    if request.method == "POST":
        form = TokenForm(request.POST)
        if form.is_valid():
            try:
                token, raw = api_token_create(by=request.user, **form.cleaned_data)
            except TokenInvalid as exc:
                form.add_error(None, str(exc))
            else:
                created = (token, raw)
                form = TokenForm(initial={"expires_at": timezone.localtime(api_token_default_expiry())})
    else:
        form = TokenForm(initial={"expires_at": timezone.localtime(api_token_default_expiry())})
    context = {"form": form, "tokens": ApiToken.objects.order_by("revoked_at", "name"), "created": created}
    response = render(request, "console/api/tokens.html", context)
    if created:
        response["Cache-Control"] = "no-store"  # the page holds a secret
    return response


@admin_required
@require_POST
def token_revoke(request, pk: int):
    token = api_token_revoke(token=get_object_or_404(ApiToken, pk=pk), by=request.user)
    messages.success(request, gettext("Token “%(name)s” revoked.") % {"name": token.name})
    return redirect("console:api_tokens")


@support_required
def alerts(request):
    show = request.GET.get("show", "unknown")
    entries = MonitoringAlert.objects.select_related("incident", "window")
    if show == "unknown":
        entries = entries.filter(outcome=MonitoringAlert.Outcome.UNKNOWN_TARGET)
    page = Paginator(entries.order_by("-received_at", "-id"), 50).get_page(request.GET.get("page"))
    return render(request, "console/api/alerts.html", {"page": page, "show": show})
