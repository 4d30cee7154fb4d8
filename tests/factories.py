"""factory_boy factories for the whole domain."""

import datetime as dt
from decimal import Decimal

import factory
from django.utils import timezone

from accounts.models import Contact, Customer, HostingAccount, Placement, Server, StorageVolume
from campaigns.models import Exposure, Incident, OutageWindow

UTC = dt.UTC


def utc(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=UTC)


class StorageVolumeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = StorageVolume
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"vol{n}")
    datacenter = "ZH1"
    public_name = factory.LazyAttribute(lambda o: o.name)  # named on the status page (default: hidden)


class ServerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Server
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"server{n}")
    hostname = factory.LazyAttribute(lambda o: f"{o.name}.example.ch")
    storage_volume = factory.SubFactory(StorageVolumeFactory)
    datacenter = "ZH1"
    public_name = factory.LazyAttribute(lambda o: o.name)  # named on the status page (default: hidden)


class CustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Customer
        skip_postgeneration_save = True

    number = factory.Sequence(lambda n: f"C{n:06d}")
    name = factory.Faker("name", locale="de_CH")
    language = "de"
    currency = "CHF"

    @factory.post_generation
    def email(obj, create, extracted, **kwargs):
        if create:
            Contact.objects.create(
                customer=obj, email=extracted or f"{obj.number.lower()}@kunde.example.ch", role="primary"
            )


class ContactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Contact

    customer = factory.SubFactory(CustomerFactory)
    email = factory.Sequence(lambda n: f"contact{n}@example.ch")
    role = "technical"


class HostingAccountFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = HostingAccount

    name = factory.Sequence(lambda n: f"web{n:06d}")
    customer = factory.SubFactory(CustomerFactory)
    product = "Webhosting Pro"
    monthly_fee = Decimal("20.00")


class PlacementFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Placement

    account = factory.SubFactory(HostingAccountFactory)
    server = factory.SubFactory(ServerFactory)
    active_from = utc(2005, 1, 1)
    active_until = None


class IncidentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Incident
        django_get_or_create = ("slug",)

    slug = factory.Sequence(lambda n: f"incident-{n}")
    title = "Storage outage"
    redemption_options = ["balance"]
    public = True  # published by support (the model's default is not public)


class OutageWindowFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OutageWindow

    incident = factory.SubFactory(IncidentFactory)
    target_type = "server"
    server = factory.SubFactory(ServerFactory)
    volume = None
    start = utc(2005, 12, 31, 22, 30)
    end = utc(2006, 1, 2, 18, 0)


class ExposureFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Exposure

    incident = factory.SubFactory(IncidentFactory)
    account = factory.SubFactory(HostingAccountFactory)
    customer = factory.LazyAttribute(lambda o: o.account.customer)
    affected_seconds = 3 * 3600
    intervals = factory.LazyAttribute(
        lambda o: [["2005-12-31T22:30:00+00:00", "2006-01-01T01:30:00+00:00", "server19"]]
    )
    servers = factory.LazyFunction(lambda: ["server19"])
    computed_at = factory.LazyFunction(timezone.now)


# --- Mailings ----------------------------------------------------------------------
from campaigns.models import Delivery, Mailing  # noqa: E402

TEST_CONTENT = {
    language: {
        "subject": f"[{language}] Entschuldigung / excuses / scuse / apologies",
        "text": "Grüezi {customer_name} — wir entschuldigen uns.",
        "html": "<p>Grüezi {customer_name} — wir entschuldigen uns.</p>",
    }
    for language in ("de", "fr", "it", "en")
}


class MailingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Mailing

    incident = factory.SubFactory(IncidentFactory)
    name = factory.Sequence(lambda n: f"Mailing {n}")
    contact_roles = ["primary"]
    content = factory.LazyFunction(lambda: dict(TEST_CONTENT))
    attach_voucher = False
    batch_size = 50


class DeliveryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Delivery

    mailing = factory.SubFactory(MailingFactory)
    contact = factory.SubFactory(ContactFactory)
    customer = factory.LazyAttribute(lambda o: o.contact.customer)
    email = factory.LazyAttribute(lambda o: o.contact.email)
    language = "de"


def exposed_customers(incident, count: int, *, languages=("de",), server="server19", prefix="K") -> list[Customer]:
    """``count`` customers with one primary contact and one exposed account each, in bulk."""
    customers = Customer.objects.bulk_create(
        [
            Customer(number=f"{prefix}{i:06d}", name=f"Kundin {i} Müller", language=languages[i % len(languages)])
            for i in range(count)
        ]
    )
    Contact.objects.bulk_create(
        [Contact(customer=c, email=f"{c.number.lower()}@kunde.example.ch", role="primary") for c in customers]
    )
    accounts = HostingAccount.objects.bulk_create(
        [
            HostingAccount(name=f"{c.number.lower()}-web", customer=c, product="Webhosting Pro", monthly_fee=20)
            for c in customers
        ]
    )
    Exposure.objects.bulk_create(
        [
            Exposure(
                incident=incident,
                account=a,
                customer=a.customer,
                affected_seconds=3 * 3600,
                intervals=[["2005-12-31T22:30:00+00:00", "2006-01-01T01:30:00+00:00", server]],
                servers=[server],
                computed_at=timezone.now(),
            )
            for a in accounts
        ]
    )
    return customers


# --- Status page --------------------------------------------------------------------


class IncidentUpdateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "campaigns.IncidentUpdate"

    incident = factory.SubFactory(IncidentFactory)
    phase = "investigating"
    texts = factory.LazyFunction(lambda: {"de": "Wir untersuchen die Störung.", "en": "We are investigating."})
    published_at = utc(2005, 12, 31, 23, 0)


# --- Compensation and vouchers ----------
class CompensationPolicyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "campaigns.CompensationPolicy"
        django_get_or_create = ("name", "version")

    name = "default"
    version = 1
    kind = "tiers"
    params = factory.LazyFunction(
        lambda: {"tiers": [[1, 10], [8, 25], [24, 50], [72, 100]], "minimum": "5.00", "step": "0.05", "rounding": "up"}
    )


class CompensationFactory(factory.django.DjangoModelFactory):
    """25 % of a 20.00 fee for 43 h on server19, as ``campaigns.compensation.policy.customer_amount`` explains it."""

    class Meta:
        model = "campaigns.Compensation"

    incident = factory.SubFactory(IncidentFactory)
    customer = factory.SubFactory(CustomerFactory)
    policy = factory.SubFactory(CompensationPolicyFactory)
    amount = Decimal("10.00")
    currency = "CHF"
    affected_seconds = 43 * 3600 + 30 * 60
    tier = "24h"
    status = "approved"
    computed_at = factory.LazyFunction(timezone.now)
    explanation = factory.LazyFunction(
        lambda: {
            "kind": "tiers",
            "currency": "CHF",
            "accounts": [
                {
                    "account": "web000001",
                    "servers": "server19",
                    "seconds": 43 * 3600 + 30 * 60,
                    "fee": "20.00",
                    "tier": "24h",
                    "percent": "50",
                    "share": "10.00",
                }
            ],
            "subtotal": "10.00",
            "minimum": "5.00",
            "minimum_applied": False,
            "rounding": {"step": "0.05", "mode": "up", "before": "10.00"},
            "amount": "10.00",
        }
    )


def _voucher_code() -> str:
    from campaigns.compensation.codes import generate_code

    return generate_code()


class VoucherFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "campaigns.Voucher"

    compensation = factory.SubFactory(CompensationFactory)
    customer = factory.LazyAttribute(lambda o: o.compensation.customer)
    code = factory.LazyFunction(lambda: _voucher_code())
    amount = factory.LazyAttribute(lambda o: o.compensation.amount)
    currency = factory.LazyAttribute(lambda o: o.compensation.currency)
    status = "issued"
    expires_on = factory.LazyFunction(lambda: timezone.localdate() + dt.timedelta(days=365))
    issued_at = factory.LazyFunction(timezone.now)
