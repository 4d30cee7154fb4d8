"""Distinct messages in one ESP API call: each a complete message of its own (its voucher PDF, its
headers and Message-ID, its metadata), many handed over with one request, and each read back from
its own part of the answer.

anymail sends one message per API call; its batch sending sends copies of one message with merge
data, which cannot carry a different attachment per recipient. An ESP whose API takes many
complete messages at once gets an adapter here, built on the backend's own payload classes: every
message's payload is the backend's payload class, as ``backend.build_message_payload`` builds it
for anymail to post alone (only the sender and reply-to addresses, the same on every letter, are
parsed once instead of per message); the request that carries them together and the reading of
the answer are ours.

- Postmark: ``POST /email/batch`` takes up to 500 messages and 50 MB (attachments base64-encoded)
  per call, answers 200 with one result per message in the order sent, each with its own
  ``ErrorCode`` (0: taken; 406: inactive recipient; 300: invalid message); a message may have at
  most 10 MB. Each result is read by anymail's own ``parse_recipient_status``, as if it were the
  answer to that message alone.
- anymail's test backend: each message recorded as the test backend records it (``mail.outbox``,
  ``anymail_test_params``, an injected ``anymail_test_response``), one call per chunk (numbered in
  ``anymail_test_batch_call``), so that the benchmark and the tests run the path Postmark runs.

``adapter_for(backend)``: ``MAIL_BATCH_ADAPTER`` (a dotted path to a callable taking the backend
and returning an adapter, or None) for another ESP, else the built-in ones; None when the backend
has no such call (SMTP, files, other ESPs), and the hand-over keeps its other paths.
"""

from __future__ import annotations

import functools
import itertools
import json
from collections.abc import Iterator, Sequence
from urllib.parse import urljoin

import requests
from anymail.backends.base import AnymailBaseBackend, BasePayload
from anymail.backends.postmark import EmailBackend as PostmarkBackend
from anymail.backends.postmark import PostmarkPayload
from anymail.backends.test import EmailBackend as AnymailTestBackend
from anymail.exceptions import AnymailAPIError, AnymailError, AnymailRecipientsRefused, AnymailRequestsAPIError
from anymail.message import AnymailStatus
from anymail.utils import parse_address_list
from django.utils.module_loading import import_string

from campaigns.mailings.claims import product_setting
from campaigns.mailings.rules import AnswerLost

MB = 1024 * 1024


class BatchAnswerUnreadable(AnymailAPIError, AnswerLost):
    """The ESP took the call but its answer cannot be matched to the messages: in doubt."""


@functools.lru_cache(maxsize=64)
def _parsed_once(addresses: tuple[str, ...]) -> tuple:
    return tuple(parse_address_list(list(addresses)))


def _same_addresses(value) -> list:
    """anymail's address parsing (about 0.1 ms an address), once per distinct sender or
    reply-to list rather than once per message: every letter of a mailing has the same."""
    if type(value) is str:
        return list(_parsed_once((value,)))
    if isinstance(value, list | tuple) and all(type(item) is str for item in value):
        return list(_parsed_once(tuple(value)))
    return parse_address_list(value)  # lazy strings: as anymail parses them


@functools.cache
def _payload_class(base: type[BasePayload]) -> type[BasePayload]:
    """The backend's own payload class, with ``from_email`` and ``reply_to`` parsed by
    ``_same_addresses``; every other field as anymail builds it."""
    attrs = tuple(
        (attr, combiner, _same_addresses if attr in ("from_email", "reply_to") else converter)
        for attr, combiner, converter in base.base_message_attrs
    )
    return type(base.__name__, (base,), {"base_message_attrs": attrs, "__module__": __name__})


class DistinctBatch:
    """One ESP's call for many complete messages. Subclasses set the ESP's caps and implement
    ``post`` (one request for the payloads, the answers in order) and ``read_answer``."""

    max_messages = 500
    max_bytes = 50 * MB  # per call, as the ESP counts it (attachments base64-encoded)
    # Whether the ESP substitutes inline merge fields (``{{subject}}``), so that messages without
    # attachments may go as one message with merge data (``handover._hand_over_merged``) instead.
    merge_fields = False

    def __init__(self, backend: AnymailBaseBackend):
        self.backend = backend

    def payload(self, message):
        """The message's payload as ``backend.build_message_payload`` builds it (subclasses may
        build it with ``_payload_class`` of the backend's payload class: the same payload)."""
        return self.backend.build_message_payload(message, self.backend.send_defaults)

    @staticmethod
    def size_of(message) -> int:
        """An upper estimate of the bytes one message adds to a call: its attachments
        base64-encoded, its text parts twice (JSON escapes), and 2 KB for headers and fields."""
        size = 2048 + 2 * (len(message.body) + sum(len(content) for content, _ in message.alternatives))
        for attachment in message.attachments:
            content = attachment[1] if isinstance(attachment, tuple) else attachment.as_bytes()
            size += (len(content) + 2) // 3 * 4
        return size

    def chunks(self, pairs: Sequence, size: int) -> Iterator[tuple[int, Sequence]]:
        """(start, chunk) over ``pairs`` of (delivery, message): at most ``size`` and the ESP's
        message cap per chunk, and within its byte cap (a message bigger than that goes alone,
        for the ESP to refuse it by itself)."""
        limit = max(1, min(size, self.max_messages))
        start = 0
        while start < len(pairs):
            end, total = start, 0
            while end < len(pairs) and end - start < limit:
                grow = self.size_of(pairs[end][1])
                if end > start and total + grow > self.max_bytes:
                    break
                total += grow
                end += 1
            yield start, pairs[start:end]
            start = end

    def send(self, messages: Sequence) -> list[Exception | None]:
        """Hand ``messages`` over in one call. Raises when the call as a whole failed (as anymail
        raises for one message: the exception says whether the request may have gone). Otherwise
        sets each message's ``anymail_status`` and returns, in order, None for each message the ESP
        took and the exception for each it refused (or a ``pre_send`` receiver cancelled)."""
        backend = self.backend
        results: list[Exception | None] = [None] * len(messages)
        going, payloads = [], []
        for index, message in enumerate(messages):
            message.anymail_status = AnymailStatus()
            if not backend.run_pre_send(message) or not message.recipients():
                results[index] = AnymailRecipientsRefused("cancelled before sending (pre_send, or no recipient)")
                continue
            going.append(index)
            payloads.append(self.payload(message))
        if not going:
            return results
        answers = self.post(payloads, [messages[i] for i in going])
        if not isinstance(answers, list) or len(answers) != len(going):
            raise BatchAnswerUnreadable(f"{backend.esp_name} answered a call of {len(going)} messages unreadably")
        for index, payload, answer in zip(going, payloads, answers, strict=True):
            message = messages[index]
            try:
                self.read_answer(answer, payload, message)
                backend.run_post_send(message)
                backend.raise_for_recipient_status(
                    message.anymail_status, message.anymail_status.esp_response, payload, message
                )
            except AnymailError as exc:
                results[index] = exc
        return results

    def post(self, payloads: list, messages: list) -> list:
        raise NotImplementedError

    def read_answer(self, answer, payload, message) -> None:
        raise NotImplementedError


class PostmarkBatch(DistinctBatch):
    """``POST /email/batch`` (Postmark's documented batch endpoint)."""

    max_messages = 500
    max_bytes = 50 * MB
    merge_fields = False  # Postmark merges only into its stored templates
    payload_class = _payload_class(PostmarkPayload)

    def payload(self, message):
        return self.payload_class(message, self.backend.send_defaults, self.backend)

    def post(self, payloads: list, messages: list) -> list:
        backend = self.backend
        body = "[" + ",".join(payload.serialize_data() for payload in payloads) + "]"
        url = urljoin(backend.api_url, "email/batch")
        headers = {**payloads[0].headers, "X-Postmark-Server-Token": payloads[0].server_token}
        try:
            response = backend.session.request(
                "POST", url, data=body.encode(), headers=headers, timeout=backend.timeout
            )
        except requests.RequestException as err:
            # Both anymail's error and the requests one, as anymail raises it for one message
            # (``rules.classify_error`` tells a read timeout, in doubt, from a refused connection).
            error = type("AnymailRequestsAPIError", (AnymailRequestsAPIError, type(err)), {})
            raise error(f"Error posting to {url}:", backend=backend) from err
        if response.status_code != 200:
            raise AnymailRequestsAPIError(response=response, backend=backend)
        try:
            return response.json()
        except ValueError as err:
            raise BatchAnswerUnreadable("Invalid JSON in Postmark's batch answer", backend=backend) from err

    def read_answer(self, answer, payload, message) -> None:
        if not isinstance(answer, dict):
            raise BatchAnswerUnreadable("a message's result in Postmark's batch answer is not an object")
        response = _OneAnswer(answer)
        message.anymail_status.esp_response = response
        message.anymail_status.set_recipient_status(self.backend.parse_recipient_status(response, payload, message))


class _OneAnswer:
    """The part of a batch answer that is one message's, as Postmark would have answered that
    message alone (200 when taken, 422 with the same ``ErrorCode`` when not): what anymail's
    ``parse_recipient_status`` and its errors read of a ``requests.Response`` (building a real
    one per message cost more than reading it)."""

    def __init__(self, answer: dict):
        self._answer = answer
        self.status_code = 200 if answer.get("ErrorCode", 0) == 0 else 422
        self.reason = "OK" if self.status_code == 200 else "Unprocessable Entity"
        self.headers: dict[str, str] = {}

    def json(self) -> dict:
        return self._answer

    @property
    def text(self) -> str:
        return json.dumps(self._answer)


_test_calls = itertools.count(1)


class TestBackendBatch(DistinctBatch):
    """anymail's test backend as an ESP with a batch call (Postmark's caps): one numbered call
    per chunk; a message's injected ``anymail_test_response`` is its own answer."""

    __test__ = False  # not a pytest class
    merge_fields = True

    def payload(self, message):
        return _payload_class(self.backend._payload_class)(
            backend=self.backend, message=message, defaults=self.backend.send_defaults
        )

    def post(self, payloads: list, messages: list) -> list:
        call = next(_test_calls)
        answers: list = []
        for payload, message in zip(payloads, messages, strict=True):
            message.anymail_test_batch_call = call
            try:
                answers.append(self.backend.post_to_esp(payload, message))
            except AnymailAPIError as exc:  # an injected refusal of this message
                answers.append(exc)
        return answers

    def read_answer(self, answer, payload, message) -> None:
        if isinstance(answer, Exception):
            raise answer
        message.anymail_status.esp_response = answer
        message.anymail_status.set_recipient_status(self.backend.parse_recipient_status(answer, payload, message))


def adapter_for(backend) -> DistinctBatch | None:
    """The batch call for complete messages of this backend, or None (see the module's doc)."""
    path = product_setting("MAIL_BATCH_ADAPTER", "")
    if path:
        return import_string(path)(backend)
    if isinstance(backend, PostmarkBackend) and not backend.use_bulk_api:
        return PostmarkBatch(backend)
    if isinstance(backend, AnymailTestBackend):
        return TestBackendBatch(backend)
    return None
