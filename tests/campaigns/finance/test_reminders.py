"""Voucher expiry reminders: selection, once per voucher, handed to the mailing pipeline."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core import mail

from campaigns.finance import reminders
from campaigns.finance.reminders import voucher_reminders_send, vouchers_due_for_reminder
from campaigns.models import AuditEntry, Delivery, Mailing, Voucher, VoucherReminder
from tests.factories import AffectedCustomerFactory, IncidentFactory

TODAY = dt.date(2026, 5, 1)


@pytest.fixture
def due(db):
    storage, other = IncidentFactory(slug="storage", title="Storage outage"), IncidentFactory(slug="network")

    def voucher(incident, number, expires_on, language="de", **traits):
        return AffectedCustomerFactory(
            incident=incident, number=number, language=language, amount=Decimal("12.50"), expires_on=expires_on,
            with_voucher=True, booked=True, **traits,
        ).voucher  # fmt: skip

    return {
        "soon": voucher(storage, "K1", TODAY + dt.timedelta(days=10)),
        "soon_fr": voucher(storage, "K2", TODAY + dt.timedelta(days=30), language="fr"),
        "later": voucher(storage, "K3", TODAY + dt.timedelta(days=31)),
        "expired": voucher(storage, "K4", TODAY),
        "redeemed": _backdated(
            voucher(storage, "K5", dt.date(2030, 1, 1), redeemed=True), TODAY + dt.timedelta(days=5)
        ),
        "other": voucher(other, "K6", TODAY + dt.timedelta(days=1), language="it"),
    }


def _backdated(voucher, expires_on):
    """Redeemed while valid; its date has passed since."""
    Voucher.objects.filter(pk=voucher.pk).update(expires_on=expires_on)
    return voucher


def test_selection_takes_issued_vouchers_expiring_within_the_days(due):
    ids = set(vouchers_due_for_reminder(today=TODAY, days=30).values_list("id", flat=True))

    assert ids == {due["soon"].pk, due["soon_fr"].pk, due["other"].pk}


def test_reminders_go_through_the_pipeline_once_per_voucher(due, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        result = voucher_reminders_send(today=TODAY, days=30)

    assert result.vouchers == 3 and result.held == []
    mailings = Mailing.objects.filter(kind="reminder").order_by("incident__slug")
    assert [(m.incident.slug, m.status, m.audience["customer_ids"]) for m in mailings] == [
        ("network", "done", [due["other"].customer_id]),
        ("storage", "done", sorted([due["soon"].customer_id, due["soon_fr"].customer_id])),
    ]
    assert sorted(Delivery.objects.values_list("customer__number", "status")) == [
        ("K1", "sent"), ("K2", "sent"), ("K6", "sent"),
    ]  # fmt: skip
    subjects = sorted(message.subject for message in mail.outbox)
    assert subjects == [
        "Erinnerung: Ihre Gutschrift von CHF 12.50 verfällt am 11.05.2026",
        "Promemoria: il suo accredito di CHF 12.50 scade il 02.05.2026",
        "Rappel : votre avoir de 12,50 CHF expire le 31.05.2026",
    ]
    german = next(m for m in mail.outbox if m.subject.startswith("Erinnerung"))
    assert due["soon"].code[:4] in german.body
    assert set(VoucherReminder.objects.values_list("voucher_id", flat=True)) == set(result_ids(due))
    assert AuditEntry.objects.get(action="voucher.reminders").data["vouchers"] == 3

    # running again reminds nobody twice
    with django_capture_on_commit_callbacks(execute=True):
        again = voucher_reminders_send(today=TODAY, days=30)
    assert again.vouchers == 0
    assert (Mailing.objects.count(), Delivery.objects.count(), len(mail.outbox)) == (2, 3, 3)

    # a day later only K3's voucher has come within the 30 days
    with django_capture_on_commit_callbacks(execute=True):
        next_day = voucher_reminders_send(today=TODAY + dt.timedelta(days=1), days=30)
    assert next_day.vouchers == 1
    assert sorted(Delivery.objects.values_list("customer__number", flat=True)) == ["K1", "K2", "K3", "K6"]


def result_ids(due):
    return [due["soon"].pk, due["soon_fr"].pk, due["other"].pk]


def test_zero_days_turns_reminders_off(due, settings):
    settings.HOSTNOTIFY = {**settings.HOSTNOTIFY, "VOUCHER_REMINDER_DAYS": 0}

    assert voucher_reminders_send(today=TODAY).vouchers == 0
    assert not Mailing.objects.exists() and not VoucherReminder.objects.exists()


def test_a_pipeline_that_would_mail_everyone_holds_the_mailing(due, monkeypatch):
    # given an audience that ignores customer_ids: every affected customer of the incident
    import copy

    from campaigns.mailings import services as mailing_service

    original = mailing_service.audience_contacts

    def too_wide(mailing):
        unrestricted = copy.copy(mailing)
        unrestricted.audience = {}
        return original(unrestricted)

    monkeypatch.setattr(mailing_service, "audience_contacts", too_wide)

    result = voucher_reminders_send(today=TODAY, days=30)

    assert len(result.held) == 1 and len(result.mailings) == 1  # "network" has one customer only
    held = Mailing.objects.get(pk=result.held[0])
    assert (held.incident.slug, held.status) == ("storage", "draft")
    assert not Delivery.objects.filter(mailing=held).exists()
    assert AuditEntry.objects.filter(action="voucher.reminders_held").count() == 1


def test_reminder_letters_are_valid_in_every_language():
    from campaigns.mailings.placeholders import validate_content

    assert validate_content(reminders.reminder_content()) == []
