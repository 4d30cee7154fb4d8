"""Claims through the normal machinery: filing validates everything and stores nothing on bad
input; accepting changes the exposure or adds goodwill and waits for finance; rejecting changes
no amount; the customer is told by mail in their language; the audit log has who did what."""

from decimal import Decimal

import pytest
from django.core import mail

from accounts.models import LedgerEntry
from campaigns.claims.models import Claim, ClaimAttachment
from campaigns.claims.services import ClaimInvalid, Upload, claim_accept, claim_assign, claim_file, claim_reject
from campaigns.compensation.models import Compensation, CompensationTopUp, Voucher
from campaigns.compensation.services import ApprovalRefused, compensation_approve
from campaigns.finance.reports import finance_report
from campaigns.incidents.models import Exposure
from campaigns.models import AuditEntry
from tests.claims_world import PDF, claims_world, png_bytes
from tests.factories import CustomerFactory, HostingAccountFactory, utc

pytestmark = pytest.mark.django_db
LONGER = (utc(2006, 1, 2, 18), utc(2006, 1, 4))  # 30 h more: 73 h 30 min in all → 100 %


def file(world, **overrides):
    values = {
        "customer": world.customer,
        "contact": world.contact,
        "incident": world.incident,
        "account_id": world.account.pk,
        "kind": "longer",
        "period": LONGER,
        "text": "Unsere Website war bis zum 4. Januar nicht erreichbar.",
        "uploads": [],
        "now": utc(2006, 1, 10),
    }
    return claim_file(**{**values, **overrides})


def money_state(world):
    return (
        list(Compensation.objects.order_by("pk").values_list("amount", "status")),
        list(CompensationTopUp.objects.values_list("amount", "status")),
        list(Voucher.objects.order_by("pk").values_list("amount", "is_topup")),
        LedgerEntry.objects.count(),
        list(Exposure.objects.values_list("affected_seconds", flat=True)),
    )


def test_a_claim_is_stored_with_its_attachments_and_audited():
    world = claims_world()
    claim = file(world, uploads=[Upload("screenshot.png", png_bytes()), Upload("invoice.pdf", PDF)])
    assert (claim.status, claim.kind, claim.language, claim.account) == ("open", "longer", "de", world.account)
    assert (claim.period_start, claim.period_end) == LONGER
    assert list(claim.attachments.values_list("name", "content_type")) == [
        ("screenshot.png", "image/png"),
        ("invoice.pdf", "application/pdf"),
    ]
    entry = AuditEntry.objects.get(action="claim.file")
    assert (entry.actor_label, entry.object_id, entry.data["attachments"]) == (
        world.contact.email,
        str(claim.pk),
        2,
    )


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        (
            {"uploads": [Upload("proof.pdf", b"MZ\x90 not a pdf")]},
            "attachments",
            "proof.pdf is not a PDF, PNG or JPEG file.",
        ),
        (
            {"uploads": [Upload("big.pdf", PDF + b"x" * (5 * 1024 * 1024))]},
            "attachments",
            "big.pdf is larger than 5 MB.",
        ),
        ({"uploads": [Upload(f"{n}.pdf", PDF) for n in range(4)]}, "attachments", "Please attach at most 3 files."),
        ({"period": (utc(2005, 6, 1), utc(2005, 6, 2))}, "period_start", "This period lies outside the incident."),
        ({"period": None}, "period_start", "Please enter when your account was down."),
        ({"kind": "refund"}, "kind", "Please choose what your claim is about."),
        ({"text": "   "}, "text", "Please describe your claim in at most 4000 characters."),
        ({"account_id": None}, "account", "Please choose one of your hosting accounts."),
    ],
)
def test_bad_input_is_a_clear_message_and_nothing_is_stored(overrides, field, message):
    world = claims_world(language="en")
    with pytest.raises(ClaimInvalid) as caught:
        file(world, **overrides)
    assert (caught.value.field, caught.value.message) == (field, message)
    assert Claim.objects.count() == 0 and ClaimAttachment.objects.count() == 0
    assert not AuditEntry.objects.filter(action__startswith="claim.").exists()


def test_another_customers_account_is_refused_and_nothing_is_stored():
    world = claims_world()
    stranger = HostingAccountFactory(customer=CustomerFactory())
    with pytest.raises(ClaimInvalid) as caught:
        file(world, account_id=stranger.pk)
    assert caught.value.field == "account"
    assert Claim.objects.count() == 0


def test_one_open_claim_per_account_and_incident():
    world = claims_world(language="en")
    first = file(world)
    with pytest.raises(ClaimInvalid) as caught:
        file(world, kind="damage", period=None)
    assert "already have an open claim" in caught.value.message
    file(world, account_id=world.other_account.pk, kind="missing")  # another account: fine
    claim_reject(claim_id=first.pk, by=world.support, reason="Our logs show the site answering.")
    file(world)  # answered: a new claim may be filed
    assert Claim.objects.count() == 3


def test_accepted_downtime_becomes_a_top_up_only_after_finance_approves():
    world = claims_world()
    claim = file(world)
    before = money_state(world)
    assert before[2] == [(Decimal("50.00"), False)]

    claim_assign(claim_id=claim.pk, by=world.support)
    claim = claim_accept(claim_id=claim.pk, by=world.support, resolution="adjustment", answer="Angenommen.")

    # the exposure grew by the claimed 30 h, the amount waits for finance: no voucher, no booking
    exposure = Exposure.objects.get(account=world.account)
    assert exposure.affected_seconds == (43 * 3600 + 1800) + 30 * 3600
    assert exposure.intervals[-1] == ["2006-01-02T18:00:00+00:00", "2006-01-04T00:00:00+00:00", "server19"]
    assert (claim.status, claim.resolution, claim.amount_added) == ("accepted", "adjustment", Decimal("50.00"))
    assert list(CompensationTopUp.objects.values_list("amount", "status")) == [(Decimal("50.00"), "pending")]
    assert Voucher.objects.count() == 1 and LedgerEntry.objects.count() == before[3]
    assert Compensation.objects.get().amount == Decimal("50.00")

    # the supporter who accepted it cannot approve what it prepared, finance can
    with pytest.raises(ApprovalRefused):
        compensation_approve(incident=world.incident, by=world.support)
    compensation_approve(incident=world.incident, by=world.finance)
    compensation = Compensation.objects.get()
    assert compensation.amount == Decimal("100.00")
    topup = Voucher.objects.get(is_topup=True)
    assert (topup.amount, topup.customer) == (Decimal("50.00"), world.customer)
    assert LedgerEntry.objects.filter(kind="topup", amount=Decimal("50.00"), customer=world.customer).count() == 1
    notes = compensation.explanation["claims"]
    assert [(n["kind"], n["account"], n["reference"]) for n in notes] == [
        ("downtime", world.account.name, f"claim:{claim.pk}")
    ]
    report = finance_report(incident=world.incident)
    assert report.reconciled, report.differences


def test_accepted_goodwill_is_added_after_the_policy_and_approved_by_finance():
    world = claims_world()
    claim = file(world, kind="damage", period=None, text="Wir haben Bestellungen verloren.")
    claim_accept(claim_id=claim.pk, by=world.support, resolution="goodwill", amount="20.00", answer="Kulanz.")
    assert Voucher.objects.filter(is_topup=True).count() == 0
    compensation_approve(incident=world.incident, by=world.finance)
    compensation = Compensation.objects.get()
    assert compensation.amount == Decimal("70.00")
    assert compensation.explanation["goodwill"] == "20.00" and compensation.explanation["amount"] == "50.00"
    assert Voucher.objects.get(is_topup=True).amount == Decimal("20.00")
    assert Claim.objects.get().amount_added == Decimal("20.00")


@pytest.mark.parametrize("amount", ["0", "-5", "abc", "1.234", "NaN", "Infinity", "100001"])
def test_a_bad_goodwill_amount_changes_nothing(amount):
    world = claims_world(language="en")
    claim = file(world, kind="damage", period=None)
    before = money_state(world)
    with pytest.raises(ClaimInvalid) as caught:
        claim_accept(claim_id=claim.pk, by=world.support, resolution="goodwill", amount=amount, answer="Yes.")
    assert caught.value.field == "amount"
    assert money_state(world) == before
    assert Claim.objects.get().status == "open"


def test_accepting_before_approval_changes_the_draft_which_finance_then_approves():
    world = claims_world(approve=False)
    claim = file(world, now=utc(2006, 1, 10))
    claim_accept(claim_id=claim.pk, by=world.support, resolution="adjustment", answer="Angenommen.")
    draft = Compensation.objects.get()
    assert (draft.status, draft.amount) == ("draft", Decimal("100.00"))
    assert Voucher.objects.count() == 0
    compensation_approve(incident=world.incident, by=world.finance)
    assert list(Voucher.objects.values_list("amount", "is_topup")) == [(Decimal("100.00"), False)]


def test_a_rejected_claim_changes_no_amount_and_needs_a_reason():
    world = claims_world(language="en")
    claim = file(world)
    before = money_state(world)
    with pytest.raises(ClaimInvalid):
        claim_reject(claim_id=claim.pk, by=world.support, reason="  ")
    claim_reject(claim_id=claim.pk, by=world.support, reason="Our monitoring shows the site up from 19:00.")
    assert money_state(world) == before
    claim.refresh_from_db()
    assert (claim.status, claim.answered_by, claim.resolution) == ("rejected", world.support, "")
    assert AuditEntry.objects.filter(action="claim.reject", actor=world.support).count() == 1
    with pytest.raises(ClaimInvalid):  # answered once
        claim_accept(claim_id=claim.pk, by=world.support, resolution="goodwill", amount="5", answer="x")


@pytest.mark.parametrize(
    ("language", "subject", "line"),
    [
        ("de", "Ihre Reklamation", "Wir haben sie angenommen."),
        ("it", "Il suo reclamo", "L'abbiamo accettato."),
        ("fr", "Votre réclamation", "Nous l’avons acceptée."),
        ("en", "Your claim", "We have accepted it."),
    ],
)
def test_the_customer_is_told_by_mail_in_their_language(django_capture_on_commit_callbacks, language, subject, line):
    world = claims_world(language=language, email=f"kunde-{language}@example.ch")
    claim = file(world)
    with django_capture_on_commit_callbacks(execute=True):
        claim_accept(claim_id=claim.pk, by=world.support, resolution="adjustment", answer="Text 123.")
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [f"kunde-{language}@example.ch"]
    assert message.subject.startswith(subject)
    assert line in message.body and "Text 123." in message.body
    assert f"/portal/claims/{claim.pk}/" in message.body
