"""The one unnest-UPDATE helper: rows by id, optionally only those still matching a condition."""

import pytest

from accounts.bulk import bulk_update_rows
from accounts.models import Customer
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


def test_update_by_id_only_where_the_condition_still_holds():
    # given two customers, one of which changed currency meanwhile
    chf = CustomerFactory(number="K1", name="Alt AG", currency="CHF")
    eur = CustomerFactory(number="K2", name="Old GmbH", currency="EUR")
    # when both are renamed, but only rows still in CHF may be written
    bulk_update_rows(
        Customer,
        [{"id": chf.pk, "name": "Neu AG"}, {"id": eur.pk, "name": "New GmbH"}],
        ["name"],
        where={"currency": "CHF"},
    )
    # then only the CHF customer changed
    assert dict(Customer.objects.values_list("number", "name")) == {"K1": "Neu AG", "K2": "Old GmbH"}


def test_update_without_condition_writes_every_row():
    first, second = CustomerFactory(language="de"), CustomerFactory(language="de")
    bulk_update_rows(Customer, [{"id": first.pk, "language": "fr"}, {"id": second.pk, "language": "it"}], ["language"])
    assert sorted(Customer.objects.values_list("language", flat=True)) == ["fr", "it"]


def test_rows_where_in_reads_only_the_rows_named_in_order():
    from accounts.bulk import rows_where_in

    a, b, _ = CustomerFactory(number="K-a", name="A"), CustomerFactory(number="K-b", name="B"), CustomerFactory()

    rows = rows_where_in(Customer, "number", ["K-b", "K-a", "K-none"], ("id", "number", "name"), order=("number",))

    assert rows == [(a.pk, "K-a", "A"), (b.pk, "K-b", "B")]
    assert rows_where_in(Customer, "number", [], ("id",)) == []
