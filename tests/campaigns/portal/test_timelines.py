"""The portal's timeline: one lane per server, drawn once per distinct timeline for every customer
of an incident ahead of their visits, so that a customer's first visit draws nothing."""

import uuid

import pytest
from django.core.cache import cache
from django.core.management import CommandError, call_command
from django.urls import reverse

from campaigns.incidents import timeline
from campaigns.portal.timelines import portal_timelines_draw
from tests.campaigns.portal.test_views import signed_in, timeline_bars
from tests.factories import CHRISTMAS, AffectedCustomerFactory
from tests.signin import private_cache

pytestmark = pytest.mark.django_db

ELSEWHERE = [["2006-01-03T09:00:00+00:00", "2006-01-03T11:00:00+00:00", "server20"]]


@pytest.fixture
def drawings(monkeypatch, settings):
    private_cache(settings)
    cache.clear()
    calls = []
    real = timeline.vega_svg
    monkeypatch.setattr(timeline, "vega_svg", lambda spec, **kw: calls.append(spec) or real(spec, **kw))
    yield calls
    cache.clear()


@pytest.fixture
def shared(settings, redis_url, drawings):
    """The cache the product ships with Redis (shared by every process), under this test's own prefix."""
    prefix = f"t-timelines-{uuid.uuid4().hex}"
    settings.CACHES = {
        "default": {"BACKEND": "accounts.private_apis.RedisCache", "LOCATION": redis_url, "KEY_PREFIX": prefix}
    }
    yield drawings
    client = cache._cache.get_client(write=True)
    keys = list(client.scan_iter(f"{prefix}:*"))
    if keys:
        client.delete(*keys)  # only this test's keys: cache.clear() would empty the Redis database
    private_cache(settings)


def test_customers_on_the_same_servers_share_one_drawing_whatever_their_language(drawings):
    # two customers on server19 (German and French, two accounts for one of them), one also on server20
    first = AffectedCustomerFactory(language="de", accounts=[CHRISTMAS, CHRISTMAS])
    second = AffectedCustomerFactory(language="fr", incident=first.incident)
    third = AffectedCustomerFactory(language="de", incident=first.incident, accounts=[CHRISTMAS, ELSEWHERE])

    drawn = portal_timelines_draw(incident=first.incident)

    assert (drawn.customers, drawn.drawings) == (3, 2) and len(drawings) == 2
    # their first visits draw nothing: every page finds its drawing
    pages = {}
    for affected, language in ((first, "de"), (second, "fr"), (third, "de")):
        response = signed_in(affected.contact, language).get(reverse("portal:incident", args=["christmas-2005"]))
        assert response.status_code == 200
        pages[affected.customer.number] = response.content.decode()
    assert len(drawings) == 2
    assert len(timeline_bars(pages[first.customer.number])) == 1  # server19's window, once for two accounts
    assert len(timeline_bars(pages[third.customer.number])) == 2
    assert '<title id="timeline-title">Wann Ihre Dienste ausgefallen waren</title>' in pages[first.customer.number]
    assert '<title id="timeline-title">Quand vos services étaient interrompus</title>' in pages[second.customer.number]
    # drawing again finds them all in the cache
    assert portal_timelines_draw(incident=first.incident).drawings == 2 and len(drawings) == 2


def test_the_command_names_what_it_drew_and_refuses_an_unknown_incident(shared, capsys):
    affected = AffectedCustomerFactory()
    call_command("draw_portal_timelines", affected.incident.slug)
    assert "christmas-2005: 1 timeline(s) for 1 customer(s)" in capsys.readouterr().out
    with pytest.raises(CommandError, match="unknown incident"):
        call_command("draw_portal_timelines", "nope")


def test_with_a_cache_of_its_own_the_command_and_the_job_draw_nothing_the_server_would_not_see(drawings, capsys):
    from campaigns.portal.tasks import portal_timelines_draw_changed

    AffectedCustomerFactory()
    call_command("draw_portal_timelines")
    assert "nothing drawn: the cache is this process's own" in capsys.readouterr().err
    assert portal_timelines_draw_changed() == {"incidents": 0, "drawings": 0} and drawings == []


def test_the_periodic_job_draws_an_incident_again_when_its_exposure_changes(shared):
    drawings = shared
    from django.utils import timezone

    from campaigns.incidents.models import Exposure
    from campaigns.mailings.models import PeriodicRun
    from campaigns.mailings.periodic import periodic_run_due

    first = AffectedCustomerFactory(language="de")
    AffectedCustomerFactory(language="fr", incident=first.incident, accounts=[CHRISTMAS, ELSEWHERE])

    assert periodic_run_due()["draw-portal-timelines"] == {"incidents": 1, "drawings": 2}
    assert len(drawings) == 2
    PeriodicRun.objects.update(last_run_at=None)  # due again, nothing changed: one query, no drawing
    assert periodic_run_due()["draw-portal-timelines"] == {"incidents": 0, "drawings": 0}

    # the windows were corrected: exposure recomputed, server19's window a minute longer
    longer = [["2005-12-31T22:30:00+00:00", "2006-01-02T18:01:00+00:00", "server19"]]
    Exposure.objects.filter(incident=first.incident, servers=["server19"]).update(
        intervals=longer, computed_at=timezone.now()
    )
    PeriodicRun.objects.update(last_run_at=None)
    assert periodic_run_due()["draw-portal-timelines"] == {"incidents": 1, "drawings": 2}
    assert len(drawings) == 4  # both timelines show the longer window
    response = signed_in(first.contact, "de").get(reverse("portal:incident", args=["christmas-2005"]))
    assert response.status_code == 200 and len(drawings) == 4  # the first visit draws nothing
