"""Admin for API tokens: created through the same service as the console (shown once, stored
hashed), revoked by an action; nothing else about a token can be edited."""

from django import forms
from django.contrib import admin, messages
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from campaigns.api.models import ApiToken, MonitoringAlert
from campaigns.api.tokens import TokenInvalid, api_token_create, api_token_default_expiry, api_token_revoke


class ApiTokenAddForm(forms.ModelForm):
    scopes = forms.MultipleChoiceField(choices=ApiToken.Scope.choices, widget=forms.CheckboxSelectMultiple)

    class Meta:
        model = ApiToken
        fields = ["name", "scopes", "expires_at", "rate_limit"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["expires_at"].initial = api_token_default_expiry
        self.fields["expires_at"].required = True

    def clean_expires_at(self):
        value = self.cleaned_data["expires_at"]
        if value <= timezone.now():
            raise forms.ValidationError(_("The expiry must be in the future."))
        return value


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["name", "prefix", "scopes", "expires_at", "last_used_at", "revoked_at"]
    search_fields = ["name"]
    actions = ["revoke"]

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = ApiTokenAddForm
        return super().get_form(request, obj, change, **kwargs)

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        return ["name", "prefix", "scopes", "expires_at", "rate_limit", "created_by", "created_at", "revoked_at"]

    def get_exclude(self, request, obj=None):
        return ["digest"]

    def has_change_permission(self, request, obj=None):
        return obj is None and request.user.is_superuser

    def has_add_permission(self, request):
        return request.user.is_superuser

    def has_delete_permission(self, request, obj=None):
        return False  # revoked, not deleted: the audit log names it

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        try:
            token, raw = api_token_create(
                name=data["name"],
                scopes=data["scopes"],
                expires_at=data["expires_at"],
                rate_limit=data["rate_limit"] or 0,
                by=request.user,
            )
        except TokenInvalid as exc:  # a race with another admin on the same name
            messages.error(request, str(exc))
            return
        obj.pk = token.pk
        messages.warning(
            request, gettext("Token for “%(name)s”, shown only now: %(token)s") % {"name": token.name, "token": raw}
        )

    @admin.action(description=_("Revoke the selected tokens"))
    def revoke(self, request, queryset):
        for token in queryset:
            api_token_revoke(token=token, by=request.user)


@admin.register(MonitoringAlert)
class MonitoringAlertAdmin(admin.ModelAdmin):
    list_display = ["received_at", "status", "fingerprint", "starts_at", "ends_at", "outcome", "incident"]
    list_filter = ["outcome", "status"]
    search_fields = ["fingerprint", "group"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
