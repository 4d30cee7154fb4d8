"""The status pages answered in front of Django (campaigns/status/edge.py), through the WSGI
application gunicorn serves: the same answer as Django's, per language, fresh after an update is
published, conditional GETs, and Django itself for what the layer must not answer."""

import io

import pytest
from django.core.cache import cache
from django.core.signals import request_started

from campaigns.status.services import update_post
from hostnotify.handlers import wsgi_application
from tests.factories import IncidentFactory, IncidentUpdateFactory, utc

pytestmark = pytest.mark.usefixtures("transactional_db")  # on_commit bumps the generation


@pytest.fixture
def call(settings):
    settings.ALLOWED_HOSTS = ["127.0.0.1"]
    settings.HOSTNOTIFY = {**settings.HOSTNOTIFY, "STATUS_CACHE_SECONDS": 30}
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "edge"}}
    cache.clear()
    application = [wsgi_application()]
    through_django = []

    def counted(**kwargs):
        through_django.append(1)

    request_started.connect(counted)

    def rebuild():  # middleware reads some settings when it is built
        application[0] = wsgi_application()

    def call(path, *, method="GET", query="", host="127.0.0.1", **headers):
        environ = {
            "REQUEST_METHOD": method,
            "PATH_INFO": path,
            "QUERY_STRING": query,
            "SERVER_NAME": "127.0.0.1",
            "SERVER_PORT": "80",
            "HTTP_HOST": host,
            "wsgi.url_scheme": "http",
            "wsgi.input": io.BytesIO(b""),
            "wsgi.errors": io.StringIO(),
            **{f"HTTP_{name.upper()}": value for name, value in headers.items()},
        }
        started = {}

        def start_response(status, response_headers, exc_info=None):
            started["status"], started["headers"] = status, response_headers

        before = len(through_django)
        content = b"".join(application[0](environ, start_response))
        return {
            "status": int(started["status"].split()[0]),
            "headers": dict(started["headers"]),
            "content": content,
            "django": len(through_django) > before,
        }

    call.rebuild = rebuild  # type: ignore[attr-defined]
    yield call
    request_started.disconnect(counted)
    cache.clear()


@pytest.fixture
def incident():
    incident = IncidentFactory(slug="storage-2005", title="Storage failure", default_language="de")
    IncidentUpdateFactory(
        incident=incident,
        phase="investigating",
        texts={"de": "Wir untersuchen.", "fr": "Nous examinons.", "en": "We are investigating."},
        published_at=utc(2005, 12, 31, 23, 0),
    )
    return incident


def test_the_second_reader_gets_djangos_answer_without_django(call, incident):
    first = call("/status/storage-2005/", accept_language="en")
    second = call("/status/storage-2005/", accept_language="en")

    assert first["status"] == second["status"] == 200
    assert first["django"] and not second["django"]
    assert second["content"] == first["content"]
    assert second["headers"] == first["headers"]
    headers = second["headers"]
    assert headers["Content-Language"] == "en"
    assert headers["Cache-Control"] == "public, max-age=30"
    assert {"Accept-Language", "Cookie"} <= {v.strip() for v in headers["Vary"].split(",")}
    assert headers["X-Frame-Options"] == "DENY" and headers["X-Content-Type-Options"] == "nosniff"
    assert b"We are investigating." in second["content"]


def test_each_language_has_its_own_page_chosen_as_django_chooses_it(call, incident):
    for _ in range(2):
        english = call("/status/storage-2005/", accept_language="en")
        french = call("/status/storage-2005/", accept_language="en", cookie="django_language=fr")
        italian = call("/status/storage-2005/", query="lang=it", accept_language="fr")

    assert not (english["django"] or french["django"] or italian["django"])  # the second round: all cached
    assert english["headers"]["Content-Language"] == "en" and b'lang="en-CH"' in english["content"]
    assert french["headers"]["Content-Language"] == "fr" and b"Nous examinons." in french["content"]
    assert italian["headers"]["Content-Language"] == "it" and b'lang="it-CH"' in italian["content"]


def test_a_published_update_shows_at_once(call, incident, django_user_model):
    call("/status/storage-2005/", accept_language="en")
    assert not call("/status/storage-2005/", accept_language="en")["django"]

    support = django_user_model.objects.create_user("support")
    update_post(incident=incident, phase="identified", texts={"en": "A controller failed."}, by=support)
    after = call("/status/storage-2005/", accept_language="en")

    assert after["django"]
    assert b"A controller failed." in after["content"]
    assert not call("/status/storage-2005/", accept_language="en")["django"]


def test_a_conditional_get_gets_304_with_the_validators_and_no_body(call, incident):
    page = call("/status/", accept_language="de")
    call("/status/", accept_language="de")

    again = call("/status/", accept_language="de", if_none_match=page["headers"]["ETag"])
    head = call("/status/", method="HEAD", accept_language="de")

    assert again["status"] == 304 and again["content"] == b"" and not again["django"]
    assert again["headers"]["ETag"] == page["headers"]["ETag"]
    assert "Content-Language" not in again["headers"]
    assert head["status"] == 200 and head["content"] == b"" and not head["django"]
    assert head["headers"]["Content-Length"] == page["headers"]["Content-Length"]


def test_what_django_answers_differently_goes_to_django(call, incident, settings):
    call("/status/", accept_language="de")
    call("/status/", accept_language="de")

    bad_host = call("/status/", host="evil.example", accept_language="de")
    post = call("/status/", method="POST", accept_language="de")
    settings.SECURE_SSL_REDIRECT = True
    call.rebuild()
    redirected = call("/status/", accept_language="de")

    assert bad_host["status"] == 400 and bad_host["django"]
    assert post["status"] == 403 and post["django"]  # CSRF, before the view
    assert redirected["status"] == 301 and redirected["django"]
