"""Compute (or preview) the compensation of an incident, optionally approving it as a finance user."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from accounts.formatting import format_money
from campaigns.compensation.policies import PolicyNotFound, policy_current
from campaigns.compensation.policy import PolicyInvalid
from campaigns.compensation.services import (
    ApprovalRefused,
    NothingToApprove,
    compensation_approve,
    compensation_preview,
    compensation_recompute,
)
from campaigns.incidents.models import Incident


def _tier_order(tier: str):
    return (0, 0.0) if tier == "none" else (1, float(tier.rstrip("h"))) if tier.endswith("h") else (2, 0.0)


class Command(BaseCommand):
    help = "Compute one draft compensation per affected customer (or --dry-run to preview)."

    def add_arguments(self, parser):
        parser.add_argument("incident", help="incident slug")
        parser.add_argument("--policy", default="default", help="policy name (current version is used)")
        parser.add_argument("--dry-run", action="store_true", help="print what would be computed, store nothing")
        parser.add_argument(
            "--by", metavar="USERNAME", help="who prepares the amounts (recorded; may not approve them)"
        )
        parser.add_argument(
            "--approve-as", metavar="USERNAME", help="then approve as this finance user (needs --by, another person)"
        )

    def handle(self, *args, incident, policy, dry_run, approve_as, by=None, **options):
        try:
            incident = Incident.objects.get(slug=incident)
        except Incident.DoesNotExist:
            raise CommandError(f"no incident with slug {incident!r}") from None
        try:
            policy = policy_current(policy)
        except PolicyNotFound:
            raise CommandError(f"no compensation policy named {policy!r}") from None
        preparer = approver = None
        if by:
            preparer = get_user_model().objects.filter(username=by).first()
            if preparer is None:
                raise CommandError(f"no user {by!r}")
        if approve_as:
            if preparer is None:
                raise CommandError("--approve-as needs --by: four eyes, the preparer must be named and be someone else")
            approver = get_user_model().objects.filter(username=approve_as).first()
            if approver is None:
                raise CommandError(f"no user {approve_as!r}")
            if approver.pk == preparer.pk:
                raise CommandError(f"approval refused: {approve_as} prepares this run and may not also approve it")
        try:
            if dry_run:
                self._print_preview(incident, policy)
                return
            result = compensation_recompute(incident=incident, policy=policy, by=preparer)
        except PolicyInvalid as exc:
            raise CommandError(f"policy {policy}: {exc}") from None
        self.stdout.write(
            f"{incident.slug} with {policy}: {result.created} created, {result.recomputed} recomputed, "
            f"{result.unchanged} unchanged, {result.removed} removed, {result.topups} top-ups awaiting approval"
            + (f", {result.kept_higher} approved amounts kept (never lowered)" if result.kept_higher else "")
        )
        for currency, total in sorted(result.totals.items()):
            self.stdout.write(f"  total {format_money(total, currency, 'en')}")
        if approver is not None:
            try:
                approved = compensation_approve(incident=incident, by=approver)
            except NothingToApprove:
                self.stdout.write("nothing to approve: every compensation is approved already")
                return
            except ApprovalRefused as exc:
                raise CommandError(f"approval refused: {exc}") from None
            self.stdout.write(
                self.style.SUCCESS(
                    f"approved {approved.approved} compensations and their top-ups, issued {approved.vouchers} vouchers"
                )
            )

    def _print_preview(self, incident, policy):
        preview = compensation_preview(incident=incident, policy=policy)
        out = self.stdout.write
        out(f"DRY RUN {incident.slug} with {policy}: {preview.customers} affected customers (nothing stored)")
        out("customers per tier:")
        for tier, count in sorted(preview.per_tier.items(), key=lambda item: _tier_order(item[0])):
            out(f"  {tier:>8}  {count:>8}")
        out("distribution of amounts:")
        for bucket, count in preview.distribution.items():
            out(f"  {bucket:>8}  {count:>8}")
        out("total per currency:")
        for currency, total in sorted(preview.totals.items()):
            out(f"  {format_money(total, currency, 'en')}")
        out("ten largest:")
        for row in preview.largest:
            out(f"  {row['number']:<12} {row['name'][:40]:<40} {format_money(row['amount'], row['currency'], 'en')}")
