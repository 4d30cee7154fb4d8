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


class ServerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Server
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"server{n}")
    hostname = factory.LazyAttribute(lambda o: f"{o.name}.example.ch")
    storage_volume = factory.SubFactory(StorageVolumeFactory)
    datacenter = "ZH1"


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
    servers = "server19"
    computed_at = factory.LazyFunction(timezone.now)


# --- Status page (issue 7) --------------------------------------------------------------------


class IncidentUpdateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "campaigns.IncidentUpdate"

    incident = factory.SubFactory(IncidentFactory)
    phase = "investigating"
    texts = factory.LazyFunction(lambda: {"de": "Wir untersuchen die Störung.", "en": "We are investigating."})
    published_at = utc(2005, 12, 31, 23, 0)
