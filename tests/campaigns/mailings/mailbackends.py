"""Mail backends for the sending tests: scripted ESP failures, and a file receiving end that
survives a killed worker and answers the reconcile by Message-ID."""

import os
import re
import time
import uuid
from pathlib import Path

import requests
from anymail.exceptions import AnymailAPIError
from django.conf import settings
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


def _safe(message_id: str) -> str:
    return re.sub(r"[^A-Za-z0-9.@-]", "", message_id)


class MessageIdFileBackend(BaseEmailBackend):
    """One file per accepted message, named by its Message-ID plus a random part (so a duplicate
    shows as a second file), written atomically. ``TEST_SEND_DELAY`` slows each message down."""

    def send_messages(self, messages):
        directory = Path(settings.EMAIL_FILE_PATH)
        directory.mkdir(parents=True, exist_ok=True)
        delay = float(os.environ.get("TEST_SEND_DELAY", "0"))
        for message in messages:
            if delay:
                time.sleep(delay)
            name = f"{_safe(message.extra_headers['Message-ID'])}.{uuid.uuid4().hex}"
            temporary = directory / f".{name}.tmp"
            temporary.write_bytes(message.message().as_bytes())
            os.replace(temporary, directory / f"{name}.eml")
        return len(messages)


def file_reconciler(message_ids):
    """The receiving end's answer: which of these Message-IDs arrived."""
    directory = Path(settings.EMAIL_FILE_PATH)
    present = {path.name.rsplit(".", 2)[0] for path in directory.glob("*.eml")}
    return {message_id for message_id in message_ids if _safe(message_id) in present}
