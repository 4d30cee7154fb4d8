from django.contrib import admin

from accounts.models import Contact, Customer, HostingAccount, LedgerEntry, Placement, Server, StorageVolume
from accounts.signals import inventory_changed_send


class InventoryFollowsMixin:
    """Changes made here reach what later steps compute from the inventory (the exposure of open
    incidents), in the admin's transaction; what they report is shown to the user."""

    model: type

    def inventory_changed(self, request, *, account_ids=(), server_ids=()) -> None:
        for note in inventory_changed_send(sender=self.model, account_ids=account_ids, server_ids=server_ids):
            self.message_user(request, note)  # type: ignore[attr-defined]


class ContactInline(admin.TabularInline):
    model = Contact
    extra = 0


class HostingAccountInline(admin.TabularInline):
    model = HostingAccount
    extra = 0
    show_change_link = True


class PlacementInline(admin.TabularInline):
    model = Placement
    extra = 0
    autocomplete_fields = ["server"]


@admin.register(StorageVolume)
class StorageVolumeAdmin(admin.ModelAdmin):
    list_display = ["name", "public_name", "datacenter"]
    search_fields = ["name"]
    list_filter = ["datacenter"]


@admin.register(Server)
class ServerAdmin(InventoryFollowsMixin, admin.ModelAdmin):
    list_display = ["name", "public_name", "hostname", "storage_volume", "datacenter"]
    search_fields = ["name", "hostname"]
    list_filter = ["storage_volume", "datacenter"]
    list_select_related = ["storage_volume"]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if change and "storage_volume" in form.changed_data:
            self.inventory_changed(request, server_ids=[obj.pk])


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    list_display = ["number", "name", "language", "currency", "time_zone"]
    search_fields = ["number", "name", "contacts__email", "hosting_accounts__name"]
    list_filter = ["language", "currency"]
    inlines = [ContactInline, HostingAccountInline]
    show_full_result_count = False


@admin.register(Contact)
class ContactAdmin(admin.ModelAdmin):
    list_display = ["email", "role", "customer", "language"]
    search_fields = ["email", "customer__number", "customer__name"]
    list_filter = ["role", "language"]
    list_select_related = ["customer"]
    raw_id_fields = ["customer"]


@admin.register(HostingAccount)
class HostingAccountAdmin(InventoryFollowsMixin, admin.ModelAdmin):
    list_display = ["name", "customer", "product", "monthly_fee"]
    search_fields = ["name", "customer__number", "customer__name"]
    list_filter = ["product"]
    list_select_related = ["customer"]
    raw_id_fields = ["customer"]
    inlines = [PlacementInline]

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        if "customer" in form.changed_data or any(formset.has_changed() for formset in formsets):
            self.inventory_changed(request, account_ids=[form.instance.pk])


@admin.register(Placement)
class PlacementAdmin(InventoryFollowsMixin, admin.ModelAdmin):
    list_display = ["account", "server", "active_from", "active_until"]
    search_fields = ["account__name", "server__name"]
    list_filter = ["server__storage_volume", "server"]
    list_select_related = ["account", "server"]
    raw_id_fields = ["account"]
    date_hierarchy = "active_from"

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        accounts = {obj.account_id}
        if change and "account" in form.changed_data and form.initial.get("account"):
            accounts.add(form.initial["account"])  # the account it moved away from
        self.inventory_changed(request, account_ids=accounts)

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        self.inventory_changed(request, account_ids=[obj.account_id])


@admin.register(LedgerEntry)
class LedgerEntryAdmin(admin.ModelAdmin):
    """Read-only: the ledger is append-only and written by services only."""

    list_display = ["created_at", "customer", "book", "kind", "amount", "currency", "reference"]
    search_fields = ["customer__number", "reference"]
    list_filter = ["book", "kind", "currency"]
    list_select_related = ["customer"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
