"""Mail backends for the sending tests: scripted ESP failures."""

import requests
from anymail.exceptions import AnymailAPIError
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend

# address -> list of exceptions to raise, one per attempt (then the message goes through)
SCRIPT: dict[str, list[Exception]] = {}
OPENED = []


def esp_error(status: int, retry_after: str | None = None) -> AnymailAPIError:
    response = requests.Response()
    response.status_code = status
    response.reason = "test"
    response._content = b'{"Message": "injected"}'
    if retry_after is not None:
        response.headers["Retry-After"] = retry_after
    return AnymailAPIError(f"injected {status}", status_code=status, response=response)


class ScriptedBackend(BaseEmailBackend):
    """Like locmem, but raises the exceptions scripted for an address first."""

    def open(self):
        OPENED.append(self)
        return True

    def send_messages(self, messages):
        if not hasattr(mail, "outbox"):
            mail.outbox = []
        for message in messages:
            script = SCRIPT.get(message.to[0])
            if script:
                raise script.pop(0)
            mail.outbox.append(message)
        return len(messages)


class TakenOverBackend(BaseEmailBackend):
    """Hands the first message over, then the sweep takes the rest of the claim (as it does when
    it finds the claiming worker's database session gone): a scripted race."""

    def send_messages(self, messages):
        from campaigns.mailings.models import Delivery

        if not hasattr(mail, "outbox"):
            mail.outbox = []
        mail.outbox.extend(messages)
        Delivery.objects.filter(status="sending").update(status="pending")
        return len(messages)
