"""Claims in the finance report and its exports: per incident, kind and outcome, and what they
added — awaiting approval, then approved; the books still reconcile."""

from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from campaigns.claims.services import claim_accept, claim_file, claim_reject
from campaigns.compensation.services import compensation_approve
from campaigns.finance.export import finance_export
from campaigns.finance.tables import report_data, report_sections
from tests.claims_world import claims_world
from tests.factories import utc

pytestmark = pytest.mark.django_db


def claims_rows(incident):
    data = report_data(incident=incident)
    return data, next(s for s in report_sections(data) if s.key == "claims").rows


def test_claims_per_incident_outcome_and_amounts_added():
    world = claims_world(language="en")
    longer = claim_file(
        customer=world.customer, contact=world.contact, incident=world.incident, account_id=world.account.pk,
        kind="longer", period=(utc(2006, 1, 2, 18), utc(2006, 1, 4)), text="Longer", uploads=[],
    )  # fmt: skip
    damage = claim_file(
        customer=world.customer, contact=world.contact, incident=world.incident, account_id=world.other_account.pk,
        kind="damage", period=None, text="Lost orders", uploads=[],
    )  # fmt: skip
    claim_accept(claim_id=longer.pk, by=world.support, resolution="adjustment", answer="Yes.")
    claim_reject(claim_id=damage.pk, by=world.support, reason="No damage shown.")
    _, rows = claims_rows(world.incident)
    assert rows == [
        ["christmas-2005", "Other damage", "rejected", "CHF", 1, Decimal("0.00"), Decimal("0.00")],
        ["christmas-2005", "My downtime was longer", "accepted", "CHF", 1, Decimal("0.00"), Decimal("50.00")],
    ]
    compensation_approve(incident=world.incident, by=world.finance)
    data, rows = claims_rows(world.incident)
    assert rows[1][5:] == [Decimal("50.00"), Decimal("0.00")]
    assert data.report.reconciled, data.report.differences
    csv = finance_export(fmt="csv", incident=world.incident, section="claims", by=world.finance).content
    text = csv.decode("utf-8-sig") if isinstance(csv, bytes) else csv
    assert "My downtime was longer" in text and "50.00" in text
    page = Client()
    page.force_login(world.finance)
    page.cookies["django_language"] = "en"
    html = page.get(reverse("console:finance_incident", args=[world.incident.slug])).content.decode()
    assert "Claims" in html and "My downtime was longer" in html
