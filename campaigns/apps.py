from django.apps import AppConfig


class CampaignsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "campaigns"

    def ready(self):
        # issue 4: connect anymail's tracking signal to the delivery tracker.
        from campaigns import webhooks  # noqa: F401
