"""API tokens: created and revoked by an admin, shown once, stored as a SHA-256 digest.

A token is ``hn_`` followed by 43 characters from ``secrets`` (256 bits): far too many to guess,
so a plain digest (no salt, no slow hash) is enough and lets a request find its token with one
indexed lookup.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.private_apis import cache_get_and_count
from campaigns.api.models import ApiToken
from campaigns.audit.services import audit_record

PREFIX = "hn_"
SCOPES = tuple(ApiToken.Scope.values)


class TokenInvalid(Exception):
    """The name or scopes of a new token are not acceptable; the message says why."""


@dataclass(frozen=True)
class ApiActor:
    """The token as the actor of a service call: the audit log names it, no user is linked."""

    token_name: str
    pk: None = None

    def get_username(self) -> str:
        return f"api:{self.token_name}"


def token_digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def api_token_create(
    *, name: str, scopes: list[str], expires_at: dt.datetime | None = None, by=None, rate_limit: int = 0
) -> tuple[ApiToken, str]:
    """A new token and its secret; the secret is returned here once and never stored."""
    name = name.strip()
    if not name:
        raise TokenInvalid(_("A token needs a name."))
    unknown = sorted(set(scopes) - set(SCOPES))
    if unknown or not scopes:
        raise TokenInvalid(_("Scopes must be among: %(scopes)s.") % {"scopes": ", ".join(SCOPES)})
    if expires_at is not None and expires_at <= timezone.now():
        raise TokenInvalid(_("The expiry must be in the future."))
    raw = PREFIX + secrets.token_urlsafe(32)
    try:
        with transaction.atomic():
            token = ApiToken.objects.create(
                name=name,
                digest=token_digest(raw),
                prefix=raw[:10],
                scopes=sorted(set(scopes)),
                expires_at=expires_at,
                rate_limit=rate_limit,
                created_by=by if getattr(by, "pk", None) else None,
            )
            audit_record(actor=by, action="api.token_create", obj=token, name=name, scopes=token.scopes)
    except IntegrityError:
        raise TokenInvalid(_("A token with this name exists already.")) from None
    return token, raw


def api_token_default_expiry(now: dt.datetime | None = None) -> dt.datetime:
    return (now or timezone.now()) + dt.timedelta(days=settings.HOSTNOTIFY["API_TOKEN_VALID_DAYS"])


def api_token_revoke(*, token: ApiToken, by=None) -> ApiToken:
    with transaction.atomic():
        token = ApiToken.objects.select_for_update().get(pk=token.pk)
        if token.revoked_at is None:
            token.revoked_at = timezone.now()
            token.save(update_fields=["revoked_at"])
            # Now, and once more after the commit, lest a request cache the row as it was meanwhile.
            key = _cache_key(token.digest)
            cache.delete(key)
            transaction.on_commit(lambda: cache.delete(key))
            audit_record(actor=by, action="api.token_revoke", obj=token, name=token.name)
    return token


def _cache_key(digest: str) -> str:
    return f"api-token:{digest}"


def api_token_admit(raw: str, *, now: float) -> tuple[ApiToken | None, int]:
    """The live token with this secret (None: unknown, revoked or expired alike), with the request
    counted against its budget of the current minute: the seconds to wait when that is used up,
    else 0.

    A live token is kept a minute in the Django cache (Redis: shared by every worker) and removed
    from it when it is revoked: a revoked token stops working at once, and a busy integration
    costs no database query per request. The cached token and the minute's counter (by digest)
    travel in one Redis round trip."""
    if not raw or not raw.startswith(PREFIX) or len(raw) > 100:
        return None, 0
    digest = token_digest(raw)
    token, count = cache_get_and_count(_cache_key(digest), f"api-rate:{digest}:{int(now // 60)}", timeout=120)
    if token is None:
        token = ApiToken.objects.filter(digest=digest, revoked_at__isnull=True).first()
        if token is not None:
            cache.set(_cache_key(digest), token, timeout=60)
    moment = dt.datetime.fromtimestamp(now, dt.UTC)
    if token is None or (token.expires_at is not None and token.expires_at <= moment):
        return None, 0
    # Last use to the minute: one write per token and minute, not one per request.
    if token.last_used_at is None or moment - token.last_used_at > dt.timedelta(minutes=1):
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=moment)
        token.last_used_at = moment
        cache.set(_cache_key(digest), token, timeout=60)
    limit = token.rate_limit or settings.HOSTNOTIFY["API_RATE_LIMIT_PER_MINUTE"]
    return token, (60 - int(now % 60) if count > limit else 0)
