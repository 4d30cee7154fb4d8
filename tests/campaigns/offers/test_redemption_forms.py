"""Each form does what the confirmation page said it would: the choices (with the exact months,
dates, codes and rests), the ledger, the account, the pool, the customer's mail — and nothing at
all when a choice is refused."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core import mail
from django.utils import translation

from accounts.models import HostingAccount, LedgerEntry
from campaigns.models import PartnerCode, PartnerPool, Redemption, Voucher
from campaigns.offers.billing import donation_totals
from campaigns.offers.sentences import choice_sentence
from campaigns.portal.redemption import (
    RedemptionChoiceGone,
    RedemptionFormNotOffered,
    redemption_choices,
    voucher_redeem,
)
from tests.campaigns.offers.world import ORGANISATION, PARTNER, offer, upload, world

pytestmark = pytest.mark.django_db
D = Decimal


def _ledger(customer):
    return sorted(
        LedgerEntry.objects.filter(customer=customer).values_list("book", "amount", "reference"), key=lambda r: r[2]
    )


def _redeem(w, key, capture):
    voucher = w.vouchers[0]
    with capture(execute=True):
        voucher_redeem(customer=w.customer, code=voucher.code, form=key)
    return Redemption.objects.select_related("partner_code__pool", "account").get(voucher=voucher)


def test_the_choices_say_exactly_what_the_customer_gets():
    # given a 77.00 voucher, an account of 24.90 a month, one of 500.00, one cancelled, pools of 50 and 20
    w = world()
    upload(value="50.00", count=2, prefix="DG50")
    upload(value="20.00", count=2, prefix="DG20")
    upload(value="100.00", count=2, prefix="DG100")  # above the voucher: never offered

    with translation.override("en"):
        sentences = [(c.key, choice_sentence(c)) for c in redemption_choices(w.vouchers[0])]

    pool50 = PartnerPool.objects.get(face_value=50)
    assert sentences == [
        ("balance", "CHF 77.00 to your account balance."),
        (f"extension:{w.account.name}",
         f"3 months of Webhosting Pro on {w.account.name}, paid until 31.03.2027, and CHF 2.30 to your account "
         "balance."),
        (f"partner:{pool50.pk}", "A Digitec voucher worth CHF 50.00, and CHF 27.00 to your account balance."),
        ("donation", f"CHF 77.00 donated to {ORGANISATION} in your name."),
    ]  # fmt: skip
    with translation.override("de"):
        assert choice_sentence(redemption_choices(w.vouchers[0])[1]) == (
            f"3 Monate Webhosting Pro auf {w.account.name}, bezahlt bis 31.03.2027, und CHF 2.30 auf Ihr Guthaben."
        )


def test_balance(django_capture_on_commit_callbacks):
    w = world()
    done = _redeem(w, "balance", django_capture_on_commit_callbacks)
    voucher = w.vouchers[0]
    assert (done.form, done.amount, done.rest) == ("balance", D("77.00"), D("0.00"))
    assert _ledger(w.customer) == [
        ("voucher", D("77.00"), f"voucher:{voucher.pk}:issue"),
        ("voucher", D("-77.00"), f"voucher:{voucher.pk}:redeem"),
        ("balance", D("77.00"), f"voucher:{voucher.pk}:redeem:target"),
    ]
    assert len(mail.outbox) == 1 and "CHF 77.00 auf Ihr Guthaben." in mail.outbox[0].body


def test_extension_moves_paid_until_and_books_the_rest_to_the_balance(django_capture_on_commit_callbacks):
    w = world()
    done = _redeem(w, f"extension:{w.account.name}", django_capture_on_commit_callbacks)
    voucher = w.vouchers[0]
    assert HostingAccount.objects.get(pk=w.account.pk).paid_until == dt.date(2027, 3, 31)
    assert (done.months, done.amount, done.rest) == (3, D("74.70"), D("2.30"))
    assert (done.paid_until_before, done.paid_until) == (dt.date(2026, 12, 31), dt.date(2027, 3, 31))
    assert _ledger(w.customer) == [
        ("voucher", D("77.00"), f"voucher:{voucher.pk}:issue"),
        ("voucher", D("-77.00"), f"voucher:{voucher.pk}:redeem"),
        ("balance", D("2.30"), f"voucher:{voucher.pk}:redeem:rest"),
        ("extension", D("74.70"), f"voucher:{voucher.pk}:redeem:target"),
    ]
    assert "bezahlt bis 31.03.2027" in mail.outbox[0].body


@pytest.mark.parametrize("name", ["web-big", "web-old", "nonexistent"])
def test_an_account_a_month_cannot_be_paid_for_or_not_active_is_not_offered(name):
    w = world()
    key = f"extension:{name}-{w.customer.pk}" if name != "nonexistent" else "extension:nonexistent"
    assert key not in [c.key for c in redemption_choices(w.vouchers[0])]
    with pytest.raises(RedemptionFormNotOffered):
        voucher_redeem(customer=w.customer, code=w.vouchers[0].code, form=key)
    assert Voucher.objects.get(pk=w.vouchers[0].pk).status == "issued"
    assert not LedgerEntry.objects.exclude(kind="issue").exists() and not Redemption.objects.exists()
    assert HostingAccount.objects.get(pk=w.account.pk).paid_until == dt.date(2026, 12, 31)


def test_another_customers_account_is_not_offered():
    w, other = world(), world()
    with pytest.raises(RedemptionFormNotOffered):
        voucher_redeem(customer=w.customer, code=w.vouchers[0].code, form=f"extension:{other.account.name}")
    assert HostingAccount.objects.get(pk=other.account.pk).paid_until == dt.date(2026, 12, 31)


def test_partner_hands_out_one_code_of_the_largest_fitting_value(django_capture_on_commit_callbacks):
    w = world()
    upload(value="50.00", count=2, prefix="DG50")
    upload(value="20.00", count=2, prefix="DG20")
    pool = PartnerPool.objects.get(face_value=50)

    done = _redeem(w, f"partner:{pool.pk}", django_capture_on_commit_callbacks)

    assert done.partner_code.pool == pool and done.partner_code.handed_out_at is not None
    assert PartnerCode.objects.filter(handed_out_at__isnull=False).count() == 1
    assert (done.amount, done.rest) == (D("50.00"), D("27.00"))
    assert [book for book, *_ in _ledger(w.customer)] == ["voucher", "voucher", "balance", "partner"]
    assert done.partner_code.code in mail.outbox[0].body


def test_an_empty_pool_is_not_offered_and_a_smaller_value_steps_in():
    w = world()
    upload(value="50.00", count=1, prefix="DG50")
    upload(value="20.00", count=1, prefix="DG20")
    PartnerCode.objects.filter(pool__face_value=50).update(handed_out_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC))

    partner = [c for c in redemption_choices(w.vouchers[0]) if c.form == "partner"]
    assert [(c.pool.face_value, c.rest) for c in partner] == [(D("20.00"), D("57.00"))]

    PartnerCode.objects.update(handed_out_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC))
    assert [c.form for c in redemption_choices(w.vouchers[0])] == ["balance", "extension", "donation"]


def test_a_pool_emptied_after_the_page_was_shown_is_a_clean_refusal():
    w = world()
    upload(value="50.00", count=1, prefix="DG50")
    pool = PartnerPool.objects.get()
    PartnerCode.objects.update(handed_out_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC))
    with pytest.raises(RedemptionChoiceGone):
        voucher_redeem(customer=w.customer, code=w.vouchers[0].code, form=f"partner:{pool.pk}")
    assert Voucher.objects.get(pk=w.vouchers[0].pk).status == "issued"
    assert not LedgerEntry.objects.exclude(kind="issue").exists() and not Redemption.objects.exists()


def test_a_partner_not_offered_by_the_incident_is_refused():
    w = world()
    upload("Coop", value="50.00", count=1, prefix="CO50")
    pool = PartnerPool.objects.get(partner="Coop")
    assert [c.form for c in redemption_choices(w.vouchers[0])] == ["balance", "extension", "donation"]
    with pytest.raises(RedemptionFormNotOffered):
        voucher_redeem(customer=w.customer, code=w.vouchers[0].code, form=f"partner:{pool.pk}")
    assert PartnerCode.objects.get().handed_out_at is None


def test_a_pool_running_low_warns_finance_once(finance_user, django_capture_on_commit_callbacks):
    # given a pool of three 20.00 codes that warns at one left, and three customers
    upload(value="20.00", count=3, prefix="DG20", threshold=1)
    pool = PartnerPool.objects.get()
    customers = [world(amount="20.00") for _ in range(3)]

    for n, w in enumerate(customers):
        mail.outbox.clear()
        _redeem(w, f"partner:{pool.pk}", django_capture_on_commit_callbacks)
        warnings = [m for m in mail.outbox if m.to == [finance_user.email]]
        # the warning comes with the hand-out that leaves one code, and only then
        assert len(warnings) == (1 if n == 1 else 0), n
        if warnings:
            assert "Digitec" in warnings[0].subject and "1" in warnings[0].body

    # a refill clears the mark: the next running-low warns again
    upload(value="20.00", count=2, prefix="DG20B", threshold=1)
    assert PartnerPool.objects.get().low_warned_at is None


def test_donation_is_confirmed_and_totalled_per_organisation(django_capture_on_commit_callbacks):
    w = world()
    done = _redeem(w, "donation", django_capture_on_commit_callbacks)
    assert (done.form, done.organisation, done.amount) == ("donation", ORGANISATION, D("77.00"))
    assert [book for book, *_ in _ledger(w.customer)] == ["voucher", "voucher", "donation"]
    assert ORGANISATION in mail.outbox[0].body
    assert donation_totals() == [(ORGANISATION, "CHF", 1, D("77.00"))]


def test_forms_not_approved_are_not_offered():
    w = world()
    offer(w.incident, forms=["balance"], partners=(), organisation="")
    assert [c.key for c in redemption_choices(w.vouchers[0])] == ["balance"]
    for key in ("donation", f"extension:{w.account.name}"):
        with pytest.raises(RedemptionFormNotOffered):
            voucher_redeem(customer=w.customer, code=w.vouchers[0].code, form=key)
    assert not LedgerEntry.objects.exclude(kind="issue").exists()


def test_partner_is_named_in_the_sentence_of_a_done_redemption(django_capture_on_commit_callbacks):
    w = world()
    upload(value="50.00", count=1)
    done = _redeem(w, f"partner:{PartnerPool.objects.get().pk}", django_capture_on_commit_callbacks)
    with translation.override("fr"):
        assert choice_sentence(done) == f"Un bon {PARTNER} d’une valeur de 50,00 CHF, et 27,00 CHF sur votre avoir."
