"""Random issue / top-up / redeem / expire / void sequences: after every step the report's totals
equal the ledger (and a model kept beside it), and the reconciliation finds no difference."""

import datetime as dt
from collections import defaultdict
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, consumes, invariant, rule, run_state_machine_as_test

from accounts.models import LedgerEntry
from campaigns.compensation.release import VoucherNotVoidable, voucher_void, vouchers_expire_due
from campaigns.compensation.vouchers import VoucherRequest, vouchers_issue
from campaigns.finance.reports import finance_report, ledger_totals
from campaigns.models import Redemption, Voucher
from campaigns.offers.models import FORMS
from tests.factories import AffectedCustomerFactory, IncidentFactory, voucher_redeem_offered

amounts = st.decimals(min_value=Decimal("0.05"), max_value=Decimal("500"), places=2)
TODAY = dt.date(2026, 6, 1)


class FinanceBooks(RuleBasedStateMachine):
    vouchers = Bundle("vouchers")

    def __init__(self):
        super().__init__()
        self.incident = IncidentFactory()
        self.before = ledger_totals()  # other examples' bookings stay in the test's transaction
        self.model = defaultdict(lambda: defaultdict(Decimal))  # currency → figure → amount
        self.status: dict[int, str] = {}

    def _compensation(self, currency):
        return AffectedCustomerFactory(
            incident=self.incident, currency=currency, accounts=0, amount=Decimal(0), compensated=True,
            compensation__computed_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
        ).compensation  # fmt: skip

    @rule(target=vouchers, amount=amounts, currency=st.sampled_from(["CHF", "EUR"]), topup=st.booleans())
    def issue(self, amount, currency, topup):
        compensation = self._compensation(currency)
        [voucher_id] = vouchers_issue(
            requests=[VoucherRequest(compensation.pk, compensation.customer_id, amount, currency)], is_topup=topup
        )
        self.model[currency]["issued"] += amount
        self.status[voucher_id] = "issued"
        return voucher_id

    @rule(voucher_id=vouchers, form=st.sampled_from(["balance", "extension", "partner", "donation"]))
    def redeem(self, voucher_id, form):
        voucher = Voucher.objects.get(pk=voucher_id)
        if voucher.status != "issued":
            return  # the portal refuses it; nothing to book
        voucher_redeem_offered(voucher, form)
        done = Redemption.objects.get(voucher_id=voucher_id)  # months or a code: the rest is balance
        assert done.amount + done.rest == voucher.amount and done.form == form
        self.model[voucher.currency]["redeemed"] += voucher.amount
        self.model[voucher.currency][form] += done.amount
        self.model[voucher.currency]["balance"] += done.rest
        self.status[voucher_id] = "redeemed"

    @rule(voucher_id=vouchers)
    def expire(self, voucher_id):
        voucher = Voucher.objects.get(pk=voucher_id)
        Voucher.objects.filter(pk=voucher_id).update(expires_on=TODAY - dt.timedelta(days=1))
        result = vouchers_expire_due(today=TODAY)
        expected = 1 if voucher.status == "issued" else 0
        assert result.vouchers == expected
        if expected:
            self.model[voucher.currency]["expired"] += voucher.amount
            self.status[voucher_id] = "expired"

    @rule(voucher_id=consumes(vouchers))
    def void(self, voucher_id):
        voucher = Voucher.objects.get(pk=voucher_id)
        entries = LedgerEntry.objects.count()
        if voucher.status != "issued":
            with pytest.raises(VoucherNotVoidable):
                voucher_void(voucher=voucher, by=None, reason="test")
            assert LedgerEntry.objects.count() == entries
            return
        voucher_void(voucher=voucher, by=None, reason="test")
        self.model[voucher.currency]["void"] += voucher.amount
        self.status[voucher_id] = "void"

    @rule()
    def expiry_again_changes_nothing(self):
        entries = LedgerEntry.objects.count()
        assert vouchers_expire_due(today=TODAY).vouchers == 0
        assert LedgerEntry.objects.count() == entries

    @invariant()
    def report_equals_ledger(self):
        report = finance_report(incident=self.incident)
        assert report.reconciled, report.differences
        for currency in set(self.model) | set(report.ledger):
            model = self.model[currency]
            totals = report.ledger[currency]
            assert totals.issued == model["issued"]
            assert totals.redeemed == model["redeemed"]
            assert totals.expired == model["expired"]
            assert totals.void == model["void"]
            outstanding = model["issued"] - model["redeemed"] - model["expired"] - model["void"]
            assert totals.outstanding == outstanding
            assert totals.redeemed_by_form == {form: model[form] for form in FORMS}
            # the voucher book's balance, summed straight from the ledger rows of this incident
            book = sum(
                (e.amount for e in LedgerEntry.objects.filter(book="voucher", currency=currency,
                 reference__regex=r"^voucher:[0-9]+:") if int(e.reference.split(":")[1]) in self.status),
                Decimal("0"),
            )  # fmt: skip
            assert totals.outstanding == book
            assert report.vouchers.get(currency) is None or report.vouchers[currency].amount_by_status["issued"] == (
                outstanding
            )

    @invariant()
    def overall_report_moves_by_the_same_amounts(self):
        overall = finance_report().ledger
        for currency, model in self.model.items():
            before = self.before.get(currency)
            base = before.outstanding if before else Decimal("0")
            expected = model["issued"] - model["redeemed"] - model["expired"] - model["void"]
            assert overall[currency].outstanding - base == expected


@pytest.mark.slow
def test_report_totals_equal_the_ledger_at_every_step(db):
    run_state_machine_as_test(
        FinanceBooks,
        settings=settings(
            max_examples=50, stateful_step_count=15, deadline=None, suppress_health_check=list(HealthCheck)
        ),
    )
