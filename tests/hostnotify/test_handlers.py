"""The shipped WSGI application has two middleware stacks: API requests pass the lean one (no
session, CSRF, messages, clickjacking or axes) and keep token auth, scopes, rate limits and the
audit log; pages pass the browser's. Requests go through the application gunicorn serves."""

import io
import json
from decimal import Decimal

import pytest
from django.core.cache import cache

from campaigns.api.tokens import api_token_create
from campaigns.models import AuditEntry, Voucher
from hostnotify.handlers import wsgi_application
from tests.factories import VoucherFactory

CODE = "ABCD2345EFGH6789"
# It opens and closes database connections per request as in production: committed data.
pytestmark = pytest.mark.usefixtures("transactional_db")


@pytest.fixture
def call(settings):
    settings.ALLOWED_HOSTS = ["127.0.0.1"]
    cache.clear()  # rate limit counts of an earlier run's token with the same id
    application = wsgi_application()  # what hostnotify.wsgi builds, without its refusal of test secrets

    def call(path, *, method="GET", body=b"", **headers):
        environ = {
            "REQUEST_METHOD": method,
            "PATH_INFO": path,
            "QUERY_STRING": "",
            "SERVER_NAME": "127.0.0.1",
            "SERVER_PORT": "80",
            "HTTP_HOST": "127.0.0.1",
            "CONTENT_TYPE": "application/json",
            "CONTENT_LENGTH": str(len(body)),
            "wsgi.url_scheme": "http",
            "wsgi.input": io.BytesIO(body),
            "wsgi.errors": io.StringIO(),
            **{f"HTTP_{name.upper()}": value for name, value in headers.items()},
        }
        started = {}

        def start_response(status, response_headers, exc_info=None):
            started["status"], started["headers"] = status, response_headers

        content = b"".join(application(environ, start_response))
        cookies = [value for name, value in started["headers"] if name == "Set-Cookie"]
        return int(started["status"].split()[0]), dict(started["headers"]), cookies, content

    return call


def test_an_api_request_passes_no_browser_middleware_yet_token_scope_rate_limit_and_audit_hold(call):
    voucher = VoucherFactory(code=CODE, amount=Decimal("12.50"))
    _, raw = api_token_create(name="billing", scopes=["vouchers"], rate_limit=3)
    _, read_only = api_token_create(name="crm", scopes=["read"])
    bearer = f"Bearer {raw}"

    looked_up = call(f"/api/v1/vouchers/{CODE}/", authorization=bearer)
    redeemed = call(  # no CSRF token: the API authenticates by token
        f"/api/v1/vouchers/{CODE}/redeem/",
        method="POST",
        body=json.dumps({"form": "balance"}).encode(),
        authorization=bearer,
        idempotency_key="k1",
    )

    for status, headers, cookies, _ in (looked_up, redeemed):
        assert status == 200
        assert cookies == []  # no session, no CSRF cookie, no messages
        assert "X-Frame-Options" not in headers  # the clickjacking middleware did not run
        assert "Cookie" not in headers.get("Vary", "")
        assert "Accept-Language" in headers["Vary"]  # problem details in the reader's language
        assert headers["X-Content-Type-Options"] == "nosniff"  # SecurityMiddleware runs for everything
    assert json.loads(redeemed[3])["status"] == "redeemed"
    assert Voucher.objects.get(pk=voucher.pk).status == "redeemed"
    assert AuditEntry.objects.get(action="voucher.redeem").actor_label == "api:billing"
    assert call(f"/api/v1/vouchers/{CODE}/")[0] == 401
    assert call(f"/api/v1/vouchers/{CODE}/", authorization=f"Bearer {read_only}")[0] == 403
    limited = call(f"/api/v1/vouchers/{CODE}/", authorization=bearer)  # the third request of the minute
    assert call(f"/api/v1/vouchers/{CODE}/", authorization=bearer)[0] == 429 or limited[0] == 429


def test_a_page_passes_the_browser_middleware(call, settings):
    status, headers, cookies, page = call("/portal/login/")

    assert status == 200
    assert any(cookie.strip().startswith(f"{settings.CSRF_COOKIE_NAME}=") for cookie in cookies)
    assert headers["X-Frame-Options"] == "DENY"
    assert b'name="csrfmiddlewaretoken"' in page
    # and a page's form without the CSRF token is refused
    assert call("/portal/login/", method="POST", body=b"email=a%40b.ch", content_type="x")[0] == 403
