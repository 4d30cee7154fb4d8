"""Finance console: who may open what, approval four-eyes, report page, exports, void, audit log."""

import io
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse
from openpyxl import load_workbook

from accounts.models import LedgerEntry
from campaigns.models import AuditEntry, Compensation, Voucher
from tests.factories import ExposureFactory, IncidentFactory

FINANCE_PAGES = [
    ("get", "console:finance", {}),
    ("get", "console:finance_incident", {"slug": "storage"}),
    ("get", "console:finance_export", {}),
    ("get", "console:audit", {}),
    ("post", "console:voucher_void", {}),
    ("post", "console:compensation_approve", {"slug": "storage"}),
]


@pytest.fixture
def second_finance_user(django_user_model):
    user = django_user_model.objects.create_user("controller", "c@example.ch", "pw-controller-1", is_staff=True)
    user.groups.add(Group.objects.get_or_create(name="finance")[0])
    return user


@pytest.mark.parametrize(("method", "name", "kwargs"), FINANCE_PAGES)
def test_support_staff_get_403_on_finance_pages(client, support_user, books, method, name, kwargs):
    client.force_login(support_user)

    response = getattr(client, method)(reverse(name, kwargs=kwargs))

    assert response.status_code == 403
    assert not AuditEntry.objects.filter(action="finance.export").exists()


@pytest.mark.parametrize(
    ("method", "name", "kwargs"),
    [
        *FINANCE_PAGES,
        ("get", "console:compensation", {"slug": "storage"}),
        ("post", "console:compensation_prepare", {"slug": "storage"}),
    ],  # fmt: skip
)
def test_anonymous_visitors_are_sent_to_the_login(client, books, method, name, kwargs):
    response = getattr(client, method)(reverse(name, kwargs=kwargs))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("console:login"))


def test_a_signed_in_non_staff_user_cannot_open_the_console(client, books, django_user_model):
    customer = django_user_model.objects.create_user("kunde", "k@example.ch", "pw-kunde-1")
    client.force_login(customer)

    assert client.get(reverse("console:finance")).status_code == 403
    assert client.get(reverse("console:compensation", kwargs={"slug": "storage"})).status_code == 403


def test_finance_report_page_shows_totals_reconciliation_and_charts(client, finance_user, books):
    client.force_login(finance_user)

    response = client.get(reverse("console:finance_incident", kwargs={"slug": "storage"}))

    assert response.status_code == 200
    page = response.content.decode()
    assert "report = ledger = vouchers" in page
    assert "as account balance</th>" in page and "as partner voucher</th>" in page
    # redeemed per day (CHF), still owed (CHF, EUR), by tier (CHF, EUR), by form (CHF: nothing
    # was redeemed in EUR), vouchers per amount (CHF, EUR)
    assert page.count("<svg") == 8
    assert "Still owed on vouchers in EUR, end of day</title>" in page
    assert response.context["report"].ledger["CHF"].outstanding == Decimal("20.00")


def test_finance_report_page_shows_differences(client, finance_user, books):
    Voucher.objects.filter(pk=books["v1"].pk).update(status="expired")
    client.force_login(finance_user)

    page = client.get(reverse("console:finance")).content.decode()

    assert "3 differences" in page  # open, expired amount, expired count
    assert 'class="difference"' in page


def test_overall_report_queries_do_not_grow_with_vouchers(client, finance_user, books, django_assert_max_num_queries):
    client.force_login(finance_user)
    with django_assert_max_num_queries(21):  # the outstanding-over-time chart reads one more
        assert client.get(reverse("console:finance")).status_code == 200


def test_finance_downloads_the_xlsx(client, finance_user, books):
    client.force_login(finance_user)

    response = client.get(reverse("console:finance_export"), {"format": "xlsx", "incident": "storage"})

    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="finance-storage-')
    assert load_workbook(io.BytesIO(response.content))["Totals"]["K2"].value == 20
    assert AuditEntry.objects.get(action="finance.export").actor == finance_user


def test_unknown_export_format_is_404(client, finance_user, books):
    client.force_login(finance_user)
    assert client.get(reverse("console:finance_export"), {"format": "exe"}).status_code == 404


def test_finance_voids_a_voucher_by_code(client, finance_user, books):
    client.force_login(finance_user)
    code = books["v1"].code

    response = client.post(reverse("console:voucher_void"), {"code": f"{code[:4]}-{code[4:]}", "reason": "duplicate"})

    assert response.status_code == 302
    books["v1"].refresh_from_db()
    assert books["v1"].status == "void"
    entry = LedgerEntry.objects.get(reference=f"voucher:{books['v1'].pk}:void")
    assert entry.amount == Decimal("-20.00")
    audit = AuditEntry.objects.get(action="voucher.void", object_id=str(books["v1"].pk))
    assert (audit.actor, audit.data["reason"]) == (finance_user, "duplicate")


def test_voiding_a_redeemed_voucher_changes_nothing(client, finance_user, books):
    client.force_login(finance_user)
    entries = LedgerEntry.objects.count()

    response = client.post(reverse("console:voucher_void"), {"code": books["v2"].code, "reason": "x"}, follow=True)

    assert "cannot be voided" in response.content.decode()
    assert LedgerEntry.objects.count() == entries
    assert Voucher.objects.get(pk=books["v2"].pk).status == "redeemed"


def test_audit_log_lists_and_filters(client, finance_user, books):
    client.force_login(finance_user)

    response = client.get(reverse("console:audit"), {"action": "voucher.void"})

    entries = list(response.context["page"])
    assert [e.action for e in entries] == ["voucher.void"]
    assert entries[0].actor == finance_user


# --- approval ----------------------------------------------------------------------------------


@pytest.fixture
def exposed_incident(db):
    incident = IncidentFactory(slug="outage")
    for _ in range(3):
        ExposureFactory(incident=incident, affected_seconds=9 * 3600)  # fee 20.00, 25 % → 5.00
    return incident


def test_support_sees_the_dry_run(client, support_user, exposed_incident):
    client.force_login(support_user)

    response = client.get(reverse("console:compensation", kwargs={"slug": "outage"}))

    assert response.status_code == 200
    assert response.context["preview"].customers == 3
    assert response.context["preview"].totals == {"CHF": Decimal("15.00")}
    assert "<svg" in response.content.decode()
    assert not Compensation.objects.exists()  # a dry run writes nothing


def test_support_prepares_and_another_person_in_finance_approves(client, support_user, finance_user, exposed_incident):
    client.force_login(support_user)
    client.post(reverse("console:compensation_prepare", kwargs={"slug": "outage"}))
    assert Compensation.objects.filter(status="draft", prepared_by=support_user).count() == 3
    assert client.post(reverse("console:compensation_approve", kwargs={"slug": "outage"})).status_code == 403

    client.force_login(finance_user)
    page = client.get(reverse("console:compensation", kwargs={"slug": "outage"}))
    assert page.context["may_approve"]
    client.post(reverse("console:compensation_approve", kwargs={"slug": "outage"}))

    assert Compensation.objects.filter(status="approved", approved_by=finance_user).count() == 3
    assert Voucher.objects.filter(compensation__incident=exposed_incident).count() == 3
    actions = list(AuditEntry.objects.order_by("id").values_list("action", "actor_label"))
    assert actions == [("compensation.prepare", "supporter"), ("compensation.approve", "financier")]


def test_the_preparer_cannot_approve(client, finance_user, second_finance_user, exposed_incident):
    client.force_login(finance_user)
    client.post(reverse("console:compensation_prepare", kwargs={"slug": "outage"}))

    response = client.post(reverse("console:compensation_approve", kwargs={"slug": "outage"}), follow=True)

    assert "Approval refused" in response.content.decode()
    assert not response.context["may_approve"] and response.context["is_preparer"]
    assert Compensation.objects.filter(status="draft").count() == 3
    assert not Voucher.objects.exists() and not LedgerEntry.objects.exists()

    client.force_login(second_finance_user)
    client.post(reverse("console:compensation_approve", kwargs={"slug": "outage"}))
    assert Voucher.objects.count() == 3


def test_a_void_without_a_reason_is_refused_by_the_service_and_changes_nothing(finance_user, books):
    from campaigns.compensation.release import VoidReasonMissing, voucher_void

    ledger_before = LedgerEntry.objects.count()
    with pytest.raises(VoidReasonMissing):
        voucher_void(voucher=books["v1"], by=finance_user, reason="   ")
    books["v1"].refresh_from_db()
    assert books["v1"].status == "issued"
    assert LedgerEntry.objects.count() == ledger_before
    assert not AuditEntry.objects.filter(action="voucher.void", object_id=str(books["v1"].pk)).exists()


def test_the_console_says_a_void_needs_a_reason(client, finance_user, books):
    client.force_login(finance_user)
    response = client.post(reverse("console:voucher_void"), {"code": books["v1"].code, "reason": ""}, follow=True)
    assert "Say why the voucher is voided." in response.content.decode()
    books["v1"].refresh_from_db()
    assert books["v1"].status == "issued"
