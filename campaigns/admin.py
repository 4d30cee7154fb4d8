from django.contrib import admin
from django.utils.translation import gettext_lazy as _
from modeltranslation.admin import TranslationAdmin

from accounts.roles import is_finance
from campaigns.audit.models import AuditEntry
from campaigns.compensation.code_access import code_shown_record, code_visible_to
from campaigns.compensation.codes import format_code, mask_code
from campaigns.compensation.models import Compensation, CompensationPolicy, PolicyProposal, Voucher
from campaigns.incidents.models import Exposure, Incident, OutageWindow


class OutageWindowInline(admin.TabularInline):
    model = OutageWindow
    extra = 0
    autocomplete_fields = ["server", "volume"]


@admin.register(Incident)
class IncidentAdmin(TranslationAdmin):
    """Title and description in each language (django-modeltranslation's admin)."""

    list_display = ["slug", "title", "status", "public", "created_at"]
    search_fields = ["slug", "title"]
    list_filter = ["status", "public"]
    prepopulated_fields = {"slug": ["title"]}
    inlines = [OutageWindowInline]

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        from campaigns.incidents.exposure import ExposureFrozen, exposure_recompute

        try:
            exposure_recompute(incident=form.instance)
        except ExposureFrozen as exc:
            self.message_user(request, str(exc), level="warning")


class ReadOnlyMoneyAdmin(admin.ModelAdmin):
    """Money rows are read-only here for everyone, superusers included: amounts, codes and states
    change only through the services (four eyes, ledger, audit log), never by editing a row."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Exposure)
class ExposureAdmin(ReadOnlyMoneyAdmin):
    """Read-only: exposure is computed from the windows and the inventory (and frozen once the
    compensation is approved); an edited row would change what letters, the portal and the next
    top-up say without anyone's approval."""

    list_display = ["incident", "account", "customer", "server_names", "affected_seconds"]
    search_fields = ["account__name", "customer__number"]
    list_filter = ["incident"]
    list_select_related = ["incident", "account", "customer"]
    raw_id_fields = ["account", "customer"]
    show_full_result_count = False

    @admin.display(description=_("servers"))
    def server_names(self, obj: Exposure) -> str:
        return ", ".join(obj.servers)


@admin.register(CompensationPolicy)
class CompensationPolicyAdmin(ReadOnlyMoneyAdmin):
    """Read-only: finance proposes a policy or its next version in the console (Policies) and a
    second finance user approves it (``compensation.policy_proposals``)."""

    list_display = ["name", "version", "kind", "is_current", "created_by", "approved_by", "created_at"]
    list_filter = ["kind", "is_current"]

    def has_view_permission(self, request, obj=None):
        return is_finance(request.user)

    def has_module_permission(self, request):
        return is_finance(request.user)


@admin.register(PolicyProposal)
class PolicyProposalAdmin(CompensationPolicyAdmin):
    list_display = ["name", "kind", "status", "base", "result", "proposed_by", "proposed_at", "decided_by"]
    list_filter = ["status", "kind"]


@admin.register(Compensation)
class CompensationAdmin(ReadOnlyMoneyAdmin):
    list_display = ["incident", "customer", "amount", "currency", "tier", "status"]
    search_fields = ["customer__number", "customer__name"]
    list_filter = ["incident", "status", "currency", "tier"]
    list_select_related = ["incident", "customer"]
    raw_id_fields = ["customer"]
    show_full_result_count = False


@admin.register(Voucher)
class VoucherAdmin(ReadOnlyMoneyAdmin):
    """Lists show codes masked to everyone; finance sees one voucher's code whole on its page,
    and the audit log records each time."""

    list_display = ["masked_code", "customer", "amount", "currency", "status", "expires_on"]
    search_fields = ["customer__number"]
    list_filter = ["status", "currency"]
    list_select_related = ["customer"]
    raw_id_fields = ["customer", "compensation"]
    exclude = ["code"]
    show_full_result_count = False

    @admin.display(description="code")
    def masked_code(self, obj):
        return mask_code(obj.code)

    @admin.display(description="code")
    def full_code(self, obj):
        return format_code(obj.code)

    def get_readonly_fields(self, request, obj=None):
        code = "full_code" if obj is not None and code_visible_to(request.user) else "masked_code"
        return [code, *super().get_readonly_fields(request, obj)]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        response = super().change_view(request, object_id, form_url, extra_context)
        if response.status_code == 200 and code_visible_to(request.user):
            voucher = Voucher.objects.filter(pk=object_id).select_related("compensation__incident").first()
            if voucher is not None:
                code_shown_record(
                    user=request.user, where="admin", voucher_ids=[voucher.pk], incident=voucher.compensation.incident
                )
        return response


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    list_display = ["created_at", "actor_label", "action", "incident", "object_type", "object_id"]
    list_filter = ["action"]
    search_fields = ["actor_label", "object_id"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


# --- Status page ----------------------------------------------------------------------
from campaigns.models import IncidentUpdate  # noqa: E402


@admin.register(IncidentUpdate)
class IncidentUpdateAdmin(admin.ModelAdmin):
    """Raw data; support posts and edits updates in the console (which also refreshes the page cache)."""

    list_display = ["incident", "phase", "published_at", "edited_at", "author", "notify"]
    list_filter = ["phase", "incident"]
    list_select_related = ["incident", "author"]
    raw_id_fields = ["mailing"]
    readonly_fields = ["author", "mailing", "edited_at"]


# The API slice registers its own models (tokens, monitoring alerts).
from campaigns.api import admin as api_admin  # noqa: E402, F401
