"""Print the subject and text body of the letter one customer would get for an incident."""

from django.core.management.base import BaseCommand, CommandError

from accounts.models import Customer
from campaigns.incidents.models import Incident
from campaigns.mailings.letters import LANGUAGES, CustomerNotAffected, LetterError, render_preview


class Command(BaseCommand):
    help = "Print the apology a customer would get: the incident's latest mailing, or the default letter."

    def add_arguments(self, parser):
        parser.add_argument("incident", help="incident slug")
        parser.add_argument("customer_number")
        parser.add_argument("--language", choices=LANGUAGES, help="default: the customer's language")

    def handle(self, *args, incident, customer_number, language, **options):
        found = Incident.objects.filter(slug=incident).first()
        if found is None:
            raise CommandError(f"unknown incident {incident!r}")
        customer = Customer.objects.filter(number=customer_number).first()
        if customer is None:
            raise CommandError(f"unknown customer {customer_number!r}")
        mailing = found.mailings.order_by("-created_at", "-pk").first()
        try:
            message = render_preview(mailing, customer, language=language, incident=found)
        except CustomerNotAffected as exc:
            raise CommandError(f"customer {customer_number} is not affected by incident {incident}") from exc
        except LetterError as exc:
            raise CommandError(f"the letter of mailing {mailing} does not render: {exc}") from exc
        self.stdout.write(f"To: {message.to}\nLanguage: {message.language}\nSubject: {message.subject}\n")
        self.stdout.write(message.text)
