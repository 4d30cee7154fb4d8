from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db.models import F

from accounts.links import absolute_url
from accounts.models import Contact, Server, StorageVolume
from accounts.roles import FINANCE, SUPPORT
from accounts.services.portal_auth import magic_link_url
from campaigns.compensation.models import Voucher
from campaigns.demo import data as demo
from campaigns.demo.offers import demo_offers
from campaigns.demo.status_timeline import status_demo_updates
from campaigns.incidents.models import Exposure, Incident
from campaigns.mailings.models import Mailing
from campaigns.portal.redemption import RedemptionError, redemption_choices, voucher_redeem
from campaigns.status.publishing import incident_publish

DEMO_USERS = [
    # user name, password, groups, superuser
    ("support", "support-2005", [SUPPORT], False),
    ("support2", "support-2005", [SUPPORT], False),
    ("finance", "finance-2005", [FINANCE], False),
    ("finance2", "finance-2005", [FINANCE], False),
    ("admin", "admin-2005", [], True),
]
DEMO_FORMS = ("balance", "extension", "partner", "donation")


class Command(BaseCommand):
    help = "Load the Christmas 2005 storage outage demo and run the pipeline end to end."

    def add_arguments(self, parser):
        parser.add_argument("--customers", type=int, default=3000)

    def handle(self, *args, customers, **options):
        directory = settings.VAR_DIR / "demo"
        paths = demo.write_demo_csvs(directory, customers=customers)
        self.stdout.write(self.style.MIGRATE_HEADING(f"Demo data in {directory}"))
        call_command(
            "import_inventory",
            servers=str(paths["servers"]),
            customers=str(paths["customers"]),
            accounts=str(paths["accounts"]),
            stdout=self.stdout,
            stderr=self.stderr,
        )
        call_command("import_outages", str(paths["windows"]), stdout=self.stdout, stderr=self.stderr)
        users = self._staff_users()
        self._run_pipeline(users)
        self._print_sign_in()

    def _staff_users(self):
        User = get_user_model()
        users = {}
        for username, password, groups, superuser in DEMO_USERS:
            user, created = User.objects.get_or_create(
                username=username,
                defaults={"is_staff": True, "is_superuser": superuser, "email": f"{username}@example.ch"},
            )
            if created:
                user.set_password(password)
                user.save()
            for group in groups:
                user.groups.add(Group.objects.get_or_create(name=group)[0])
            users[username] = user
        return users

    def _run_pipeline(self, users):
        """The rest of the pipeline, each step idempotent: status updates, compensation prepared by
        the admin on the command line and approved by finance (vouchers and ledger), the apology mailing, and a
        few redemptions so that the portal and the finance reports have something to show."""
        incident = Incident.objects.get(slug=demo.INCIDENT)
        forms = demo_offers(
            incident=incident, proposer=users["finance2"], approver=users["finance"],
            directory=settings.VAR_DIR / "demo",
        )  # fmt: skip
        self.stdout.write(f"forms of compensation in force: {forms}")
        # The demo provider names its servers and volumes publicly as it does internally, and
        # support publishes the imported incident (imports are never public by themselves).
        Server.objects.filter(public_name="").update(public_name=F("name"))
        StorageVolume.objects.filter(public_name="").update(public_name=F("name"))
        incident_publish(incident=incident, public=True, by=users["support"])
        posted = status_demo_updates(incident=incident, by=users["support"])
        self.stdout.write(f"status updates posted: {posted}")
        call_command(
            "compensate", demo.INCIDENT, by="admin", approve_as="finance", stdout=self.stdout, stderr=self.stderr
        )
        call_command("render_vouchers", demo.INCIDENT, stdout=self.stdout, stderr=self.stderr)
        if not Mailing.objects.filter(incident=incident, kind=Mailing.Kind.APOLOGY).exists():
            call_command("send_mailing", demo.INCIDENT, wait=True, timeout=1800, stdout=self.stdout, stderr=self.stderr)
        self._redeem_some(incident)

    def _redeem_some(self, incident, share: int = 7):
        """Every ``share``-th voucher redeemed, in turn as balance, extension, partner voucher and
        donation (the first choice of that form the customer is offered, else the balance)."""
        if Voucher.objects.filter(compensation__incident=incident).exclude(status=Voucher.Status.ISSUED).exists():
            return
        vouchers = Voucher.objects.filter(compensation__incident=incident).select_related("customer").order_by("id")
        redeemed = 0
        for index, voucher in enumerate(vouchers[::share]):
            wanted = DEMO_FORMS[index % len(DEMO_FORMS)]
            keys = [choice.key for choice in redemption_choices(voucher) if choice.form == wanted]
            try:
                voucher_redeem(
                    customer=voucher.customer,
                    code=voucher.code,
                    form=keys[0] if keys else "balance",
                    actor_label="demo",
                )
                redeemed += 1
            except RedemptionError as exc:
                self.stderr.write(f"demo redemption of voucher {voucher.pk} refused: {exc}")
        self.stdout.write(f"demo redemptions: {redeemed}")

    def _print_sign_in(self):
        incident = Incident.objects.get(slug=demo.INCIDENT)
        exposure = (
            Exposure.objects.filter(incident=incident).select_related("customer").order_by("customer__number").first()
        )
        self.stdout.write("")
        self.stdout.write(self.style.SUCCESS("hostnotify demo is ready."))
        self.stdout.write(f"  Status page:   {absolute_url('status:index')}")
        self.stdout.write(f"  Staff console: {absolute_url('console:home')}")
        for username, password, groups, superuser in DEMO_USERS:
            role = "admin" if superuser else ", ".join(groups)
            self.stdout.write(f"      {username:<9} / {password:<14} ({role})")
        self.stdout.write(f"  Admin:         {absolute_url('admin:index')}  (admin / admin-2005)")
        if exposure:
            contact = Contact.objects.filter(customer=exposure.customer, role=Contact.Role.PRIMARY).first()
            if contact:
                self.stdout.write(
                    f"  Portal, signed in as customer {exposure.customer.number} ({exposure.customer.name}):"
                )
                self.stdout.write(f"      {magic_link_url(contact=contact)}")
