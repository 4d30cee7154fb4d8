import datetime as dt

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from campaigns.api.tokens import SCOPES, TokenInvalid, api_token_create, api_token_default_expiry


class Command(BaseCommand):
    help = "Create an API token for an integration and print it once (only its digest is stored)."

    def add_arguments(self, parser):
        parser.add_argument("name", help="the integration, e.g. billing; unique")
        parser.add_argument("--scope", action="append", required=True, choices=SCOPES, help="repeat for several")
        parser.add_argument("--days", type=int, default=None, help="valid this many days (default: the setting)")
        parser.add_argument("--rate-limit", type=int, default=0, help="requests per minute; 0: the default")

    def handle(self, *args, name, scope, days, rate_limit, **options):
        if days is not None and days < 1:
            raise CommandError("--days must be at least 1")
        expires_at = timezone.now() + dt.timedelta(days=days) if days else api_token_default_expiry()
        try:
            token, raw = api_token_create(name=name, scopes=scope, expires_at=expires_at, rate_limit=max(rate_limit, 0))
        except TokenInvalid as exc:
            raise CommandError(str(exc)) from exc
        self.stderr.write(
            f"token {token.name!r} with scopes {', '.join(token.scopes)}, valid until "
            f"{token.expires_at:%Y-%m-%d %H:%M} UTC — store it now, it is not shown again:"
        )
        self.stdout.write(raw)
