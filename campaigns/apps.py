from django.apps import AppConfig


class CampaignsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "campaigns"

    def ready(self):
        # connect anymail's tracking signal to the delivery tracker.
        from campaigns.mailings import webhooks  # noqa: F401
