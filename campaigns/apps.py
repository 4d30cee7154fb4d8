from django.apps import AppConfig


class CampaignsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "campaigns"

    def ready(self):
        # connect anymail's tracking signal to the delivery tracker.
        # Exposure follows the inventory: accounts sends, campaigns listens (accounts never imports campaigns).
        from accounts.signals import inventory_changed
        from campaigns.incidents.inventory_follow import on_inventory_changed
        from campaigns.mailings import webhooks  # noqa: F401

        inventory_changed.connect(on_inventory_changed, dispatch_uid="campaigns.exposure_follows_inventory")
