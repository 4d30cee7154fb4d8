"""The staff console's incident pages."""

import pytest
from django.urls import reverse

from campaigns.incidents.exposure import exposure_recompute
from tests.factories import OutageWindowFactory, PlacementFactory, ServerFactory, StorageVolumeFactory, utc

pytestmark = pytest.mark.django_db


@pytest.fixture
def incident():
    volume = StorageVolumeFactory(name="stor-a")
    s19 = ServerFactory(name="server19", storage_volume=volume)
    s1 = ServerFactory(name="server1", storage_volume=None)
    window = OutageWindowFactory(
        target_type="volume", server=None, volume=volume, start=utc(2005, 12, 31, 22, 30), end=utc(2006, 1, 2, 18)
    )
    OutageWindowFactory(incident=window.incident, server=s1, start=utc(2006, 1, 3, 9), end=None)
    PlacementFactory(server=s19, account__name="web-nineteen", account__customer__number="K19")
    PlacementFactory(server=s1, account__name="web-one", account__customer__number="K1")
    exposure_recompute(incident=window.incident, now=utc(2006, 1, 3, 12))
    return window.incident


def test_console_requires_staff_login(client, incident, django_user_model):
    url = reverse("console:incident", args=[incident.slug])
    assert client.get(url).status_code == 302
    customer_like = django_user_model.objects.create_user("someone", password="pw-someone-1")
    client.force_login(customer_like)
    assert client.get(url).status_code == 403


def test_incident_list_and_detail_render(client, support_user, incident):
    client.force_login(support_user)
    home = client.get(reverse("console:home"))
    assert home.status_code == 200 and incident.title in home.content.decode()
    page = client.get(reverse("console:incident", args=[incident.slug]))
    html = page.content.decode()
    assert page.status_code == 200
    assert page.context["totals"]["customers"] == 2 and page.context["totals"]["accounts"] == 2
    assert "<svg" in html and "stor-a" in html and "server19" in html
    assert "31.12.2005 23:30 – 02.01.2006 19:00" in html  # local time in the exposure table
    assert 'stroke-dasharray="3,2"' in html  # the ongoing window is drawn as such


def test_exposure_filter_by_server_is_exact(client, support_user, incident):
    client.force_login(support_user)
    page = client.get(reverse("console:incident", args=[incident.slug]), {"server": "server1"})
    assert [e.account.name for e in page.context["page"]] == ["web-one"]
    page = client.get(reverse("console:incident", args=[incident.slug]), {"q": "K19"})
    assert [e.account.name for e in page.context["page"]] == ["web-nineteen"]
    page = client.get(reverse("console:incident", args=[incident.slug]), {"min_hours": "40"})
    assert [e.account.name for e in page.context["page"]] == ["web-nineteen"]


@pytest.mark.parametrize(("language", "customers", "lane", "matches"), [
    ("de", "<b>1’202</b>", "1’201 Konten", "1’202 Konten gefunden."),
    ("fr", "<b>1\u202f202</b>", "1\u202f201 comptes", "1\u202f202 comptes correspondent."),
])  # fmt: skip
def test_counts_on_the_incident_page_carry_the_readers_thousands_separator(
    client, support_user, incident, language, customers, lane, matches
):
    # given: 1,200 more accounts of as many customers on server1
    from accounts.models import Customer, HostingAccount, Placement

    server = ServerFactory(name="server1")
    created = Customer.objects.bulk_create(
        Customer(number=f"B{n:05d}", name=f"Kunde {n}", language="de", currency="CHF") for n in range(1200)
    )
    accounts = HostingAccount.objects.bulk_create(
        HostingAccount(name=f"bulk{n:05d}", customer=c, product="Webhosting", monthly_fee=20)
        for n, c in enumerate(created)
    )
    Placement.objects.bulk_create(Placement(account=a, server=server, active_from=utc(2005, 1, 1)) for a in accounts)
    exposure_recompute(incident=incident, now=utc(2006, 1, 3, 12))
    client.force_login(support_user)
    client.cookies["django_language"] = language

    # when
    html = client.get(reverse("console:incident", args=[incident.slug])).content.decode()

    # then: 1’202 (de) and 1 202 (fr) beside the hours, as on every other page — not 1202
    assert html.count(customers) == 2  # affected customers and affected accounts
    assert lane in html  # the timeline's lane of server1
    assert matches in html
    assert "1202" not in html and "1201" not in html
