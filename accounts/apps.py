from django.apps import AppConfig


class AccountsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "accounts"

    def ready(self):
        # Fail closed on public secrets (registers the system check).
        from hostnotify import checks  # noqa: F401
