"""Print the subject and text body of the letter one customer would get for an incident."""

from django.core.management.base import BaseCommand, CommandError

from accounts.models import Customer
from campaigns.compensation.code_access import code_shown_record
from campaigns.incidents.models import Incident
from campaigns.mailings.letters import LANGUAGES, CustomerNotAffected, LetterError, render_preview


class Command(BaseCommand):
    help = "Print the apology a customer would get: the incident's latest mailing, or the default letter."

    def add_arguments(self, parser):
        parser.add_argument("incident", help="incident slug")
        parser.add_argument("customer_number")
        parser.add_argument("--language", choices=LANGUAGES, help="default: the customer's language")
        parser.add_argument(
            "--show-code", action="store_true", help="print the voucher code whole (recorded in the audit log)"
        )

    def handle(self, *args, incident, customer_number, language, show_code=False, **options):
        found = Incident.objects.filter(slug=incident).first()
        if found is None:
            raise CommandError(f"unknown incident {incident!r}")
        customer = Customer.objects.filter(number=customer_number).first()
        if customer is None:
            raise CommandError(f"unknown customer {customer_number!r}")
        mailing = found.mailings.order_by("-created_at", "-pk").first()
        try:
            message = render_preview(mailing, customer, language=language, incident=found, reveal_code=show_code)
        except CustomerNotAffected as exc:
            raise CommandError(f"customer {customer_number} is not affected by incident {incident}") from exc
        except LetterError as exc:
            raise CommandError(f"the letter of mailing {mailing} does not render: {exc}") from exc
        if show_code and message.shown_voucher_id:
            code_shown_record(
                user=None, where="preview_notice", voucher_ids=[message.shown_voucher_id], incident=found,
                actor_label="command line: preview_notice",
            )  # fmt: skip
        self.stdout.write(f"To: {message.to}\nLanguage: {message.language}\nSubject: {message.subject}\n")
        self.stdout.write(message.text)
