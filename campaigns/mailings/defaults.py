"""The sending parameters every new mailing starts with — apology, draft, status update notice,
voucher reminder alike. Their values (and the environment variables that set them) live in one
place, ``HOSTNOTIFY`` in hostnotify/settings.py; a person can change them per mailing afterwards."""

from django.conf import settings


def mailing_defaults() -> dict:
    """``batch_size``, ``rate_per_second`` and ``auto_pause_error_rate`` for ``Mailing(**…)``."""
    product = settings.HOSTNOTIFY
    return {
        "batch_size": product["MAIL_BATCH_SIZE"],
        "rate_per_second": product["MAIL_RATE_PER_SECOND"],
        "auto_pause_error_rate": product["MAIL_AUTO_PAUSE_ERROR_RATE"],
    }
