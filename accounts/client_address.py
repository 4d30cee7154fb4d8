"""The address of the client behind our own proxies: the one every rate limit counts by.

``TRUSTED_PROXY_COUNT`` is how many reverse proxies of ours stand in front of Django (0: clients
connect directly, REMOTE_ADDR is the client) and ``TRUSTED_PROXY_HEADER`` the header they append
to (default X-Forwarded-For). Each proxy appends the address it received the request from, so the
client is the N-th address from the right; whatever a client put further left is its own claim
and ignored.
"""

import ipaddress

from django.conf import settings


def _valid(address: str) -> str:
    try:
        return str(ipaddress.ip_address(address.strip()))
    except ValueError:
        return ""


def client_address(request) -> str:
    """The client's IP address, or REMOTE_ADDR when the proxies sent nothing usable."""
    remote = request.META.get("REMOTE_ADDR", "")
    proxies = settings.TRUSTED_PROXY_COUNT
    if proxies <= 0:
        return remote
    hops = [hop for hop in request.META.get(settings.TRUSTED_PROXY_HEADER, "").split(",") if hop.strip()]
    if not hops:
        return remote
    # More hops than proxies: the extra ones on the left are the client's claim. Fewer: the
    # first proxy saw the leftmost one connect.
    chosen = hops[-proxies] if len(hops) >= proxies else hops[0]
    return _valid(chosen) or remote
