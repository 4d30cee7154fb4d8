"""The wire format: a real aiosmtpd listener on loopback receives well-formed UTF-8 MIME with the
voucher PDF attached, through Django's SMTP backend, one connection per batch."""

import datetime as dt
import email
import socket
from decimal import Decimal
from email import policy
from zoneinfo import ZoneInfo

import pytest
from aiosmtpd.controller import Controller

from campaigns.mailings import services as services
from campaigns.models import Delivery
from tests.factories import AffectedCustomerFactory


class Inbox:
    def __init__(self):
        self.envelopes = []
        self.sessions = set()

    async def handle_DATA(self, server, session, envelope):
        self.envelopes.append(envelope)
        self.sessions.add(id(session))
        return "250 OK"


@pytest.fixture
def smtp_listener(settings):
    inbox = Inbox()
    with socket.socket() as probe:  # a free loopback port
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = port
    settings.EMAIL_USE_TLS = False
    yield inbox
    controller.stop()


@pytest.mark.slow
def test_smtp_listener_receives_utf8_mime_with_the_voucher_pdf(db, smtp_listener, django_capture_on_commit_callbacks):
    incident = AffectedCustomerFactory(name="Müller & Söhne AG", code="ABCD2345EFGH6789", with_voucher=True).incident
    AffectedCustomerFactory(
        incident=incident, name="Éditions Genève SA", language="fr", code="WXYZ2345EFGH6789", with_voucher=True
    )
    AffectedCustomerFactory(incident=incident, name="Nur Betroffen GmbH", amount=Decimal("0.00"), compensated=True)
    mailing = services.mailing_approve(mailing=services.mailing_create_default(incident=incident), by=None)

    with django_capture_on_commit_callbacks(execute=True):
        services.mailing_launch(mailing=mailing, by=None)

    assert len(smtp_listener.envelopes) == 3
    assert len(smtp_listener.sessions) == 1  # one SMTP connection for the batch
    by_recipient = {}
    for envelope in smtp_listener.envelopes:
        message = email.message_from_bytes(envelope.content, policy=policy.default)
        assert not message.defects
        by_recipient[envelope.rcpt_tos[0]] = message

    german = by_recipient[Delivery.objects.get(customer__name="Müller & Söhne AG").email]
    delivery = Delivery.objects.get(customer__name="Müller & Söhne AG")
    assert german["Message-ID"] == delivery.message_id == f"<hn.{mailing.pk}.{delivery.pk}.1@hostnotify.invalid>"
    assert german.get_content_type() == "multipart/mixed"
    text = german.get_body(preferencelist=("plain",))
    html = german.get_body(preferencelist=("html",))
    assert text.get_content_charset() == "utf-8"
    assert "Müller & Söhne AG" in text.get_content()
    assert "Müller &amp; Söhne AG" in html.get_content()
    attachments = list(german.iter_attachments())
    assert [a.get_content_type() for a in attachments] == ["application/pdf"]
    assert attachments[0].get_content().startswith(b"%PDF")
    # named in the customer's language, with only the code's last group (as a masked code shows it)
    assert attachments[0].get_filename() == "Gutschein-6789.pdf"
    # headers a mail client trusts: the real zone, the language, no auto-replies, replies to support
    assert german["Date"].datetime.utcoffset() == dt.datetime.now(ZoneInfo("Europe/Zurich")).utcoffset()
    assert german["Content-Language"] == "de"
    assert german["Auto-Submitted"] == "auto-generated"
    assert german["Reply-To"] == "support@example.ch"

    french = by_recipient[Delivery.objects.get(customer__name="Éditions Genève SA").email]
    assert "Éditions Genève SA" in french.get_body(preferencelist=("plain",)).get_content()
    assert french["Content-Language"] == "fr"
    assert [a.get_filename() for a in french.iter_attachments()] == ["bon-6789.pdf"]
    zero = by_recipient[Delivery.objects.get(customer__name="Nur Betroffen GmbH").email]
    assert list(zero.iter_attachments()) == []  # no voucher, nothing attached
    assert set(Delivery.objects.values_list("status", flat=True)) == {"sent"}
