"""Issue 6: the incident's finance report and its XLSX export for every compensation: time and SQL
queries, compared with an incident of one customer (the query count must not grow)."""

from __future__ import annotations

import datetime as dt
from unittest import mock

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.utils import timezone

from accounts.bulk import bulk_insert
from accounts.models import LedgerEntry
from bench.common import Context, ensure_exposed_incident
from campaigns.compensation.models import Compensation, Voucher
from campaigns.compensation.release import vouchers_expire_due
from campaigns.finance.export import finance_export
from campaigns.finance.tables import report_data
from campaigns.incidents.models import Exposure, Incident

FORMS = ("balance", "balance", "extension", "partner")  # balance is the usual choice
CHUNK = 20_000


def run(ctx: Context) -> None:
    incident = ensure_exposed_incident(ctx)
    _ensure_approved(incident)
    vouchers = Voucher.objects.filter(compensation__incident=incident).count()
    compensations = Compensation.objects.filter(incident=incident).count()
    _redeem_share(incident, every=3)  # a third redeemed, spread over 30 days and the forms
    with ctx.timer() as t:
        expired = vouchers_expire_due(today=_expire_share(incident, every=10))
    ctx.record("#6", f"expiry run: {expired.vouchers:,} vouchers expired and booked", f"{t.seconds:.2f} s")
    _analyze()  # after bulk loading, as autovacuum would: the planner needs the tables' statistics

    with ctx.queries() as q, ctx.timer() as t:
        data = report_data(incident=incident)
    ctx.record(
        "#6",
        f"incident report for {compensations:,} compensations ({vouchers:,} vouchers)",
        f"{t.seconds:.2f} s",
        "≤ 3 s",
        t.seconds <= 3,
    )
    ctx.record("#6", "report reconciles with ledger and vouchers", str(data.report.reconciled), "True",
               data.report.reconciled)  # fmt: skip
    with ctx.queries() as q_xlsx, ctx.timer() as t:
        xlsx = finance_export(fmt="xlsx", incident=incident)
    ctx.record("#6", "incident report XLSX export", f"{t.seconds:.2f} s ({len(xlsx.content):,} bytes)", "≤ 3 s",
               t.seconds <= 3)  # fmt: skip

    small = _small_incident(incident)
    with ctx.queries() as q_small:
        report_data(incident=small)
    with ctx.queries() as q_small_xlsx:
        finance_export(fmt="xlsx", incident=small)
    ctx.record("#6", "report SQL queries", f"{q.count} for {compensations:,}, {q_small.count} for 1", "constant",
               q.count == q_small.count)  # fmt: skip
    ctx.record("#6", "XLSX export SQL queries", f"{q_xlsx.count} for {compensations:,}, {q_small_xlsx.count} for 1",
               "constant", q_xlsx.count == q_small_xlsx.count)  # fmt: skip

    with ctx.queries() as q, ctx.timer() as t:
        overall = report_data()
    ctx.record("#6", "overall report (all incidents)", f"{t.seconds:.2f} s, {q.count} queries, "
               f"reconciled: {overall.report.reconciled}")  # fmt: skip
    with ctx.timer() as t:
        journal = finance_export(fmt="journal", incident=incident)
    lines = journal.content.count(b"\n") - 1
    ctx.record("#6", f"accounting journal CSV ({lines:,} lines)", f"{t.seconds:.2f} s")
    with ctx.timer() as t:
        pdf = finance_export(fmt="pdf", incident=incident)
    ctx.record("#6", "incident report PDF summary", f"{t.seconds:.2f} s ({len(pdf.content):,} bytes)")


def _analyze() -> None:
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            for model in (LedgerEntry, Voucher, Compensation, Exposure):
                cursor.execute(f"ANALYZE {model._meta.db_table}")


def _finance_user(name: str):
    user, _ = get_user_model().objects.get_or_create(username=name, defaults={"is_staff": True})
    user.groups.add(Group.objects.get_or_create(name="finance")[0])
    return user


def _ensure_approved(incident: Incident) -> None:
    """Compensation approved with vouchers issued (bench 20 does it; done here when run alone)."""
    from campaigns.compensation.services import compensation_approve, compensation_prepare

    if Voucher.objects.filter(compensation__incident=incident).exists():
        return
    with mock.patch("campaigns.compensation.vouchers._queue_pdfs"):
        compensation_prepare(incident=incident)
        compensation_approve(incident=incident, by=_finance_user("bench-finance"))


def _redeem_share(incident: Incident, *, every: int) -> None:
    """Book redemptions the way the portal does (voucher book −, form book +), set-based."""
    rows = list(
        Voucher.objects.filter(compensation__incident=incident, status="issued")
        .order_by("id")
        .values_list("id", "customer_id", "amount", "currency")[::every]
    )
    start = timezone.now() - dt.timedelta(days=30)
    for offset in range(0, len(rows), CHUNK):
        chunk = rows[offset : offset + CHUNK]
        entries, forms = [], {}
        for n, (voucher_id, customer_id, amount, currency) in enumerate(chunk, start=offset):
            form = FORMS[n % len(FORMS)]
            forms.setdefault(form, []).append(voucher_id)
            when = start + dt.timedelta(minutes=n * 30 * 24 * 60 // max(len(rows), 1))
            common = {
                "customer_id": customer_id,
                "kind": "redeem",
                "currency": currency,
                "memo": "",
                "created_at": when,
            }
            entries.append(
                {**common, "book": "voucher", "amount": -amount, "reference": f"voucher:{voucher_id}:redeem"}
            )
            entries.append(
                {**common, "book": form, "amount": amount, "reference": f"voucher:{voucher_id}:redeem:{form}"}
            )
        bulk_insert(LedgerEntry, entries)
        for form, ids in forms.items():
            Voucher.objects.filter(id__in=ids).update(status="redeemed", redeemed_form=form, redeemed_at=timezone.now())


def _expire_share(incident: Incident, *, every: int) -> dt.date:
    ids = list(
        Voucher.objects.filter(compensation__incident=incident, status="issued")
        .order_by("id")
        .values_list("id", flat=True)[::every]
    )
    past = timezone.localdate() - dt.timedelta(days=400)
    for offset in range(0, len(ids), CHUNK):
        Voucher.objects.filter(id__in=ids[offset : offset + CHUNK]).update(expires_on=past)
    return past + dt.timedelta(days=1)


def _small_incident(big: Incident) -> Incident:
    """An incident with one approved compensation, to compare query counts."""
    from campaigns.compensation.services import compensation_approve, compensation_prepare

    small, created = Incident.objects.get_or_create(slug="bench-finance-one", defaults={"title": "one customer"})
    if created:
        exposure = Exposure.objects.filter(incident=big).first()
        Exposure.objects.create(
            incident=small,
            account_id=exposure.account_id,
            customer_id=exposure.customer_id,
            affected_seconds=30 * 3600,
            intervals=exposure.intervals,
            servers=exposure.servers,
            computed_at=exposure.computed_at,
        )
        with mock.patch("campaigns.compensation.vouchers._queue_pdfs"):
            compensation_prepare(incident=small)
            compensation_approve(incident=small, by=_finance_user("bench-finance-2"))
    return small
