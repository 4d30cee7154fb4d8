"""Browsers ask every site for /favicon.ico: it is served (no 404 in the logs), and pages link it."""

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def test_favicon_is_served_at_the_site_root_and_linked_from_the_pages():
    client = Client()

    icon = client.get("/favicon.ico")
    page = client.get("/status/")

    assert icon.status_code == 200
    body = b"".join(icon.streaming_content) if icon.streaming else icon.content
    assert body[:4] == b"\x00\x00\x01\x00"  # an ICO file
    assert '<link rel="icon" href="/favicon.ico"' in page.content.decode()
