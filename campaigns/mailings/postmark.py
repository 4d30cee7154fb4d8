"""The reconciler for Postmark, the default ESP: asks Postmark's documented outbound message
search (``GET /messages/outbound``, filtered by the metadata every letter carries) whether it
holds a message for each delivery in doubt. Configured by default when the mail backend is
anymail's Postmark backend; ``MAIL_RECONCILER`` names another callable for other ESPs."""

from __future__ import annotations

from collections.abc import Iterable

import requests
from anymail.utils import get_anymail_setting

SEARCH_TIMEOUT = 10  # seconds per search request (the sweep's reconcile budget is 10 s)


class PostmarkSearchError(Exception):
    """Postmark's message search did not answer as documented."""


def _api() -> tuple[str, dict[str, str]]:
    url = get_anymail_setting("api_url", esp_name="Postmark", default="https://api.postmarkapp.com/")
    token = get_anymail_setting("server_token", esp_name="Postmark", allow_bare=True)
    headers = {"Accept": "application/json", "X-Postmark-Server-Token": token}
    return url if url.endswith("/") else url + "/", headers


def postmark_reconciler(deliveries: Iterable) -> set[int]:
    """The ids of those deliveries Postmark holds an outbound message for (queued or sent), found
    by the ``delivery_id`` metadata and the mailing's tag that ``handover.build_messages`` sets."""
    url, headers = _api()
    held = set()
    with requests.Session() as session:
        for delivery in deliveries:
            params = {
                "count": 50,
                "offset": 0,
                "recipient": delivery.email,
                "tag": f"mailing-{delivery.mailing_id}",
                "metadata_delivery_id": str(delivery.pk),
            }
            response = session.get(f"{url}messages/outbound", params=params, headers=headers, timeout=SEARCH_TIMEOUT)
            if response.status_code != 200:
                raise PostmarkSearchError(f"message search answered {response.status_code}: {response.text[:200]}")
            messages = response.json().get("Messages") or []
            # Only a message that really carries this delivery's id counts, whatever the filter did.
            if any(str((m.get("Metadata") or {}).get("delivery_id")) == str(delivery.pk) for m in messages):
                held.add(delivery.pk)
    return held
