"""What every customer of an incident sees alike (its status updates) is read once per incident,
language and status cache generation, and a new update shows at once."""

import pytest
from django.db import connection
from django.urls import reverse

from campaigns.status.services import update_post
from tests.campaigns.portal.test_views import signed_in, text
from tests.factories import AffectedCustomerFactory
from tests.signin import private_cache

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _cache(settings):
    private_cache(settings)
    # the updates cache alone: the page bodies' cache (test_page_cache.py) would hide its queries
    settings.HOSTNOTIFY = {**settings.HOSTNOTIFY, "STATUS_CACHE_SECONDS": 30, "PORTAL_CACHE_SECONDS": 0}


def _get(client, url) -> tuple[str, list[str]]:
    statements = []

    def record(execute, sql, params, many, context):
        statements.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(record):
        response = client.get(url)
    assert response.status_code == 200
    return text(response), statements


def test_incident_updates_are_read_once_per_language_and_shown_at_once_when_posted(
    support_user, django_capture_on_commit_callbacks
):
    # given a customer of an incident with one update, reading in English and in German
    world = AffectedCustomerFactory(with_voucher=True, pdf=True)
    with django_capture_on_commit_callbacks(execute=True):
        update_post(
            incident=world.incident,
            phase="identified",
            texts={"en": "Storage failed.", "de": "Speicher ausgefallen."},
            by=support_user,
        )
    url = reverse("portal:incident", args=[world.incident.slug])
    english, german = signed_in(world.contact, "en"), signed_in(world.contact, "de")
    first, first_statements = _get(english, url)
    assert "Storage failed." in first
    # when the page is read again, by the same or another customer in that language
    again, again_statements = _get(english, url)
    # then the updates come from the cache
    assert "Storage failed." in again
    assert [s for s in first_statements if "campaigns_incidentupdate" in s] != []
    assert [s for s in again_statements if "campaigns_incidentupdate" in s] == []
    assert len(again_statements) == len(first_statements) - 1
    # and each language has its own entry
    assert "Speicher ausgefallen." in _get(german, url)[0]

    # when support posts the next update
    with django_capture_on_commit_callbacks(execute=True):
        update_post(
            incident=world.incident,
            phase="resolved",
            texts={"en": "Storage replaced.", "de": "Speicher ersetzt."},
            by=support_user,
        )
    # then every reader sees it on the next request
    assert "Storage replaced." in _get(english, url)[0]
    assert "Speicher ersetzt." in _get(german, url)[0]
