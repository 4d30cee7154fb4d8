"""Fail closed: with DEBUG off, the application refuses to start on a secret anyone can know.

A system check at Error level, so ``migrate``, ``runserver`` and ``check --deploy`` stop, and the
WSGI entry point refuses to build the application (``refuse_unsafe_secrets``).
"""

from django.conf import settings
from django.core.checks import Error, Tags, register
from django.core.exceptions import ImproperlyConfigured

# Defaults that shipped in settings.py, docker-compose.yml or the README: public, never a secret.
KNOWN_SECRET_KEYS = {
    "insecure-dev-key-change-me-" + "x" * 32,
    "change-me-to-a-long-random-string-in-production-0123456789",
}
KNOWN_WEBHOOK_SECRETS = {"hostnotify:webhook-secret", "hostnotify:change-me"}
SECRET_KEY_MIN_LENGTH = 50
SECRET_KEY_MIN_UNIQUE = 5
WEBHOOK_SECRET_MIN_LENGTH = 24


def _weak(value: str, *, known: set[str], min_length: int) -> str:
    """Why ``value`` is not a secret, or '' when it may be one."""
    if not value:
        return "it is not set"
    if value in known or value.startswith("django-insecure-") or "change-me" in value.lower():
        return "it is a published default"
    if len(value) < min_length or len(set(value)) < SECRET_KEY_MIN_UNIQUE:
        return f"it is shorter than {min_length} characters or too uniform"
    return ""


def secret_errors() -> list[Error]:
    if settings.DEBUG:
        return []
    errors = []
    reason = _weak(settings.SECRET_KEY, known=KNOWN_SECRET_KEYS, min_length=SECRET_KEY_MIN_LENGTH)
    if reason:
        errors.append(
            Error(
                f"SECRET_KEY is not safe: {reason}.",
                hint=f"Set SECRET_KEY in the environment to a random value of at least {SECRET_KEY_MIN_LENGTH} "
                'characters, e.g. python -c "import secrets; print(secrets.token_urlsafe(50))".',
                id="hostnotify.E001",
            )
        )
    webhook = (getattr(settings, "ANYMAIL", None) or {}).get("WEBHOOK_SECRET", "")
    reason = _weak(webhook, known=KNOWN_WEBHOOK_SECRETS, min_length=WEBHOOK_SECRET_MIN_LENGTH)
    if reason:
        errors.append(
            Error(
                f"ANYMAIL_WEBHOOK_SECRET is not safe: {reason}.",
                hint=f"Set ANYMAIL_WEBHOOK_SECRET to user:password, at least {WEBHOOK_SECRET_MIN_LENGTH} random "
                "characters in all, and give the same value to the ESP's webhook settings.",
                id="hostnotify.E002",
            )
        )
    return errors


@register(Tags.security)
def check_secrets(app_configs, **kwargs) -> list[Error]:
    return secret_errors()


def refuse_unsafe_secrets() -> None:
    """Raise at startup (WSGI, Celery) what the check reports, so no process serves with a public key."""
    errors = secret_errors()
    if errors:
        raise ImproperlyConfigured("; ".join(f"{error.msg} {error.hint}" for error in errors))
