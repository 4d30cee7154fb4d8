"""The embedded default mail backend (``.eml`` files), as ``make demo`` ships it: a mailing sent
through it ends with one readable file per recipient and every delivery recorded as sent."""

import email
from email import policy

import factory
from django.conf import settings as django_settings

from campaigns.mailings import services
from campaigns.models import Delivery, Mailing
from tests.factories import AffectedCustomerFactory, IncidentFactory, MailingFactory


def test_a_mailing_through_the_shipped_eml_backend_writes_one_file_per_recipient(
    db, settings, tmp_path, support_user, django_capture_on_commit_callbacks
):
    # Given the product's default backend (the test suite otherwise uses locmem)
    settings.EMAIL_BACKEND = "hostnotify.mail.EmlFileBackend"
    settings.EMAIL_FILE_PATH = str(tmp_path / "mail")
    incident = IncidentFactory(title="Speicherausfall")
    customers = AffectedCustomerFactory.create_batch(5, incident=incident, language=factory.Iterator(("de", "fr")))
    mailing = services.mailing_approve(mailing=MailingFactory(incident=incident, batch_size=2), by=None)

    # When it is launched and sent in-process
    with django_capture_on_commit_callbacks(execute=True):
        services.mailing_launch(mailing=mailing, by=support_user)

    # Then every delivery is sent and each recipient has one parseable .eml file
    mailing.refresh_from_db()
    assert mailing.status == Mailing.Status.DONE
    assert sorted(Delivery.objects.filter(mailing=mailing).values_list("status", flat=True)) == ["sent"] * 5
    files = sorted((tmp_path / "mail").glob("*.eml"))
    recipients = sorted(email.message_from_bytes(path.read_bytes(), policy=policy.default)["To"] for path in files)
    assert recipients == sorted(c.customer.contacts.get().email for c in customers)
    assert django_settings.EMAIL_BACKEND == "hostnotify.mail.EmlFileBackend"
