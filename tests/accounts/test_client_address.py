"""One helper says who the client is, behind as many proxies as are configured."""

import pytest
from django.test import RequestFactory

from accounts.client_address import client_address


@pytest.mark.parametrize(
    ("proxies", "forwarded", "remote", "expected"),
    [
        (0, "6.6.6.6", "203.0.113.5", "203.0.113.5"),  # no proxy: the header is the client's claim
        (1, "", "10.0.0.2", "10.0.0.2"),  # a proxy that sent nothing
        (1, "198.51.100.7", "10.0.0.2", "198.51.100.7"),
        (1, "6.6.6.6, 198.51.100.7", "10.0.0.2", "198.51.100.7"),  # a spoofed hop on the left is ignored
        (2, "6.6.6.6, 198.51.100.7, 10.0.0.1", "10.0.0.2", "198.51.100.7"),
        (2, "198.51.100.7", "10.0.0.2", "198.51.100.7"),  # fewer hops than proxies: the leftmost
        (1, "not-an-address", "10.0.0.2", "10.0.0.2"),
        (1, "2001:db8::1", "10.0.0.2", "2001:db8::1"),
    ],
)
def test_client_address(settings, proxies, forwarded, remote, expected):
    settings.TRUSTED_PROXY_COUNT = proxies
    request = RequestFactory().get("/", REMOTE_ADDR=remote, HTTP_X_FORWARDED_FOR=forwarded)
    assert client_address(request) == expected


def test_another_header_can_be_trusted(settings):
    settings.TRUSTED_PROXY_COUNT = 1
    settings.TRUSTED_PROXY_HEADER = "HTTP_X_REAL_IP"
    request = RequestFactory().get(
        "/", REMOTE_ADDR="10.0.0.2", HTTP_X_REAL_IP="198.51.100.7", HTTP_X_FORWARDED_FOR="6.6.6.6"
    )
    assert client_address(request) == "198.51.100.7"
