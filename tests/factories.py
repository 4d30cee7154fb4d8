"""factory_boy factories for the whole domain."""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from functools import cached_property

import factory
from django.utils import timezone

from accounts.models import Contact, Customer, HostingAccount, Placement, Server, StorageVolume
from campaigns.incidents.impact import downtime_seconds
from campaigns.models import Compensation, Exposure, Incident, OutageWindow, Voucher

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
        "body": "Grüezi {customer_name} — wir entschuldigen uns.",
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


# --- An affected customer: the one way tests build one ------------------------------------------

# Stored exposure pieces ``[start, end, server]`` (UTC): 31.12.2005 23:30 – 02.01.2006 19:00 Zurich
# time on server19 (43.5 h); the night the clocks went forward, on server7.
CHRISTMAS = [["2005-12-31T22:30:00+00:00", "2006-01-02T18:00:00+00:00", "server19"]]
DST = [["2006-03-25T23:30:00+00:00", "2006-03-26T07:00:00+00:00", "server7"]]
MONTHLY_FEE = Decimal("20.00")
CHRISTMAS_INCIDENT = {"slug": "christmas-2005", "title": "Storage outage Christmas 2005"}
PDF_BYTES = b"%PDF-1.4\n% hostnotify test voucher\n%%EOF\n"


@dataclass
class AffectedCustomer:
    """What ``AffectedCustomerFactory`` returns: a customer and what the incident did to them."""

    incident: Incident
    customer: Customer
    exposures: list[Exposure]
    compensation: Compensation | None = None
    voucher: Voucher | None = None

    @cached_property
    def contact(self) -> Contact:
        return self.customer.contacts.get(role="primary")


def _account_plan(o) -> list[tuple[str, list]]:
    """``accounts``: a number of accounts down for ``intervals``; a list of each account's
    intervals; or ``{account name: intervals}``."""
    if isinstance(o.accounts, dict):
        return [(name, list(pieces)) for name, pieces in o.accounts.items()]
    per_account = [o.intervals] * o.accounts if isinstance(o.accounts, int) else o.accounts
    base = f"{o.number.lower()}-web"
    return [(base if i == 0 else f"{base}{i + 1}", list(pieces)) for i, pieces in enumerate(per_account)]


def _explanation(o) -> dict:
    """The tiers policy's explanation in the shape ``compensation.policy`` stores it: each account's
    servers, downtime, fee, tier and share (``percent`` of the fee), then the customer's ``amount``."""
    accounts = [
        {"account": name, "servers": ", ".join(dict.fromkeys(p[2] for p in pieces)),
         "seconds": downtime_seconds(pieces), "fee": str(MONTHLY_FEE), "tier": o.tier, "percent": o.percent,
         "share": str(MONTHLY_FEE * Decimal(o.percent) / 100)}
        for name, pieces in o.account_plan
    ]  # fmt: skip
    subtotal = str(sum((Decimal(a["share"]) for a in accounts), Decimal("0.00")))
    return {"kind": "tiers", "currency": o.customer.currency, "accounts": accounts, "subtotal": subtotal,
            "minimum": "5.00", "minimum_applied": False, "rounding": {"step": "0.05", "mode": "up", "before": subtotal},
            "amount": str(o.amount)}  # fmt: skip


class AffectedCustomerFactory(factory.Factory):
    """A customer with a primary contact and ``accounts`` hosting accounts hit by ``incident``, each
    with its stored exposure. ``accounts``: a number of accounts down for ``intervals`` (default one,
    ``CHRISTMAS`` on server19), a list of each account's intervals, or ``{name: intervals}``. Without
    an ``incident``, every customer shares the Christmas 2005 storage outage (slug christmas-2005).
    An existing ``customer`` may be passed instead (``accounts=0``: no exposure of its own).

    Traits: ``compensated`` (an approved compensation of ``amount`` in the customer's currency,
    explained per account), ``with_voucher`` (compensated, and its issued voucher with ``code``
    and ``expires_on``); post-generation: ``email`` (the primary contact's address), ``booked``
    (the voucher's issue booked in the ledger, as the compensation service books it), ``pdf`` (a
    stored voucher PDF), ``redeemed=True|"form"`` (redeemed through the portal's service, the form
    offered first if the incident did not offer it).

    Customer numbers count per test from ``{prefix}000000`` (``tests/conftest.py`` resets the
    sequence); ``create_batch`` writes a batch with one ``bulk_create`` per table."""

    class Meta:
        model = AffectedCustomer

    class Params:
        prefix = "K"
        number = factory.LazyAttributeSequence(lambda o, n: f"{o.prefix}{n:06d}")
        name = factory.LazyAttribute(lambda o: f"Kunde {o.number}")
        language = "de"
        time_zone = "Europe/Zurich"
        currency = "CHF"
        accounts = 1
        intervals = CHRISTMAS
        account_plan = factory.LazyAttribute(_account_plan)
        amount = Decimal("10.00")
        tier = "24h"
        percent = "50"
        code = factory.LazyFunction(lambda: _voucher_code())
        expires_on = factory.LazyFunction(lambda: timezone.localdate() + dt.timedelta(days=365))
        compensated = factory.Trait(
            compensation=factory.SubFactory(
                CompensationFactory,
                incident=factory.SelfAttribute("..incident"),
                customer=factory.SelfAttribute("..customer"),
                amount=factory.SelfAttribute("..amount"),
                currency=factory.SelfAttribute("..customer.currency"),
                tier=factory.SelfAttribute("..tier"),
                affected_seconds=factory.LazyAttribute(
                    lambda c: downtime_seconds(p for _, pieces in c.factory_parent.account_plan for p in pieces)
                ),
                explanation=factory.LazyAttribute(lambda c: _explanation(c.factory_parent)),
                approved_at=factory.SelfAttribute("computed_at"),
            )
        )
        with_voucher = factory.Trait(
            compensated=True,
            voucher=factory.SubFactory(
                VoucherFactory,
                compensation=factory.SelfAttribute("..compensation"),
                code=factory.SelfAttribute("..code"),
                expires_on=factory.SelfAttribute("..expires_on"),
            ),
        )

    incident = factory.SubFactory(IncidentFactory, **CHRISTMAS_INCIDENT)
    customer = factory.SubFactory(
        CustomerFactory,
        number=factory.SelfAttribute("..number"),
        name=factory.SelfAttribute("..name"),
        language=factory.SelfAttribute("..language"),
        time_zone=factory.SelfAttribute("..time_zone"),
        currency=factory.SelfAttribute("..currency"),
    )
    exposures = factory.LazyAttribute(
        lambda o: [
            Exposure(
                incident=o.incident,
                account=HostingAccount(
                    name=name, customer=o.customer, product="Webhosting Pro", monthly_fee=MONTHLY_FEE
                ),
                customer=o.customer,
                affected_seconds=downtime_seconds(pieces),
                intervals=pieces,
                servers=list(dict.fromkeys(p[2] for p in pieces)),
                computed_at=timezone.now(),
            )
            for name, pieces in o.account_plan
        ]
    )
    compensation = None
    voucher = None

    @classmethod
    def _create(cls, model_class, **kwargs):
        for exposure in kwargs["exposures"]:
            exposure.account.save()
            exposure.save()
        return model_class(**kwargs)

    @factory.post_generation
    def email(obj, create, extracted, **kwargs):
        """The primary contact's address (default CustomerFactory's: <number>@kunde.example.ch)."""
        if create and extracted:
            obj.customer.contacts.filter(role="primary").update(email=extracted)

    @factory.post_generation
    def booked(obj, create, extracted, **kwargs):
        if create and extracted:
            _book_issue([obj.voucher])

    @factory.post_generation
    def pdf(obj, create, extracted, **kwargs):
        if create and extracted:
            from django.core.files.base import ContentFile

            obj.voucher.pdf.save(f"{obj.voucher.code}.pdf", ContentFile(PDF_BYTES))

    @factory.post_generation
    def redeemed(obj, create, extracted, **kwargs):
        if create and extracted:
            obj.voucher = voucher_redeem_offered(obj.voucher, "balance" if extracted is True else extracted)

    @classmethod
    def create_batch(cls, size, **kwargs):
        """``size`` affected customers, one ``bulk_create`` per table (thousands for the sending
        tests); the post-generation steps (``booked``, ``pdf``, ``redeemed``) go one by one."""
        if {"booked", "pdf", "redeemed"} & set(kwargs):
            return [cls.create(**kwargs) for _ in range(size)]
        kwargs.setdefault("incident", IncidentFactory(**CHRISTMAS_INCIDENT))
        built = cls.build_batch(size, **kwargs)
        customers = Customer.objects.bulk_create([b.customer for b in built])
        Contact.objects.bulk_create(
            [Contact(customer=c, email=kwargs.get("email") or f"{c.number.lower()}@kunde.example.ch", role="primary")
             for c in customers]
        )  # fmt: skip
        exposures = [e for b in built for e in b.exposures]
        HostingAccount.objects.bulk_create([e.account for e in exposures])
        Exposure.objects.bulk_create(exposures)
        compensations = [b.compensation for b in built if b.compensation is not None]
        policy = CompensationPolicyFactory()
        for compensation in compensations:
            compensation.policy = policy
        Compensation.objects.bulk_create(compensations)
        Voucher.objects.bulk_create([b.voucher for b in built if b.voucher is not None])
        return built


def _book_issue(vouchers) -> None:
    from accounts.models import LedgerEntry
    from accounts.services.ledger import ledger_book

    for voucher in vouchers:
        ledger_book(
            customer=voucher.customer,
            book=LedgerEntry.Book.VOUCHER,
            kind=LedgerEntry.Kind.ISSUE,
            amount=voucher.amount,
            currency=voucher.currency,
            reference=f"voucher:{voucher.pk}:issue",
        )


def voucher_redeem_offered(voucher, form: str = "balance"):
    """Redeem through the portal's service (``campaigns.portal.redemption``) as ``form``, the form
    offered first if the incident did not offer it, with what the form needs: an active account
    whose fee leaves a rest (extension), a partner code worth about half the amount (partner), an
    organisation (donation) — as finance would have set them up and approved them."""
    from decimal import ROUND_DOWN

    from accounts.models import Placement
    from campaigns.models import OfferSettings, PartnerCode, PartnerPool
    from campaigns.portal.redemption import voucher_redeem

    incident = voucher.compensation.incident
    if form not in (incident.redemption_options or []):
        incident.redemption_options = [*(incident.redemption_options or []), form]
        incident.save(update_fields=["redemption_options"])
    if form != "balance" and not OfferSettings.objects.filter(incident=incident, status="approved").exists():
        from django.contrib.auth import get_user_model

        proposer = get_user_model().objects.get_or_create(username="offers-proposer", defaults={"is_staff": True})[0]
        OfferSettings.objects.create(
            incident=incident, status="approved", forms=["balance", "extension", "partner", "donation"],
            partners=["Digitec"], organisation="Glückskette", proposed_by=proposer, decided_at=timezone.now(),
        )  # fmt: skip
    key = form
    cent = Decimal("0.01")
    if form == "extension":
        fee = max(cent, (voucher.amount / 3).quantize(cent, rounding=ROUND_DOWN))
        account = HostingAccount.objects.create(
            name=f"ext-{voucher.pk}", customer=voucher.customer, product="Webhosting Pro", monthly_fee=fee
        )
        Placement.objects.create(
            account=account, server=ServerFactory(), active_from=timezone.now() - dt.timedelta(days=1)
        )
        key = f"extension:{account.name}"
    elif form == "partner":
        face = max(cent, (voucher.amount / 2).quantize(cent, rounding=ROUND_DOWN))
        pool, _ = PartnerPool.objects.get_or_create(partner="Digitec", currency=voucher.currency, face_value=face)
        PartnerCode.objects.create(pool=pool, code=f"CODE-{voucher.pk}-{voucher.code[:6]}", uploaded_at=timezone.now())
        key = f"partner:{pool.pk}"
    return voucher_redeem(customer=voucher.customer, code=voucher.code, form=key)
