"""Django's ``flush``, refused while the credit ledger holds rows: the ledger is append-only, and
emptying the database would erase what customers were promised. (On PostgreSQL a trigger refuses
the TRUNCATE as well; this answers first, with a clear message, on every database.)"""

from django.core.management.base import CommandError
from django.core.management.commands.flush import Command as DjangoFlush

from accounts.models import LedgerEntry


class Command(DjangoFlush):
    def handle(self, **options):
        database = options["database"]
        if LedgerEntry.objects.using(database).exists():
            raise CommandError(
                "flush refused: the credit ledger holds bookings and is append-only. "
                "Drop and recreate the database if you really mean to start over."
            )
        return super().handle(**options)
