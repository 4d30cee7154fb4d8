"""The exposure service on a real database: what it stores, idempotence, freezing, query count."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accounts.models import HostingAccount, Placement
from campaigns.incidents.exposure import ExposureFrozen, exposure_recompute
from campaigns.models import Compensation, CompensationPolicy, Exposure, OutageWindow
from tests.factories import (
    HostingAccountFactory,
    IncidentFactory,
    OutageWindowFactory,
    PlacementFactory,
    ServerFactory,
    StorageVolumeFactory,
    utc,
)

pytestmark = pytest.mark.django_db


def test_volume_window_and_server_window_merge_per_account():
    # Given a volume with two servers, a volume window and an overlapping server window
    volume = StorageVolumeFactory(name="stor-a")
    s19, s20 = (
        ServerFactory(name="server19", storage_volume=volume),
        ServerFactory(name="server20", storage_volume=volume),
    )
    incident = IncidentFactory(slug="xmas")
    OutageWindowFactory(
        incident=incident,
        target_type="volume",
        server=None,
        volume=volume,
        start=utc(2005, 12, 31, 22, 30),
        end=utc(2006, 1, 2, 18),
    )
    OutageWindowFactory(incident=incident, server=s19, start=utc(2006, 1, 2, 12), end=utc(2006, 1, 2, 20))
    on19 = PlacementFactory(server=s19).account
    on20 = PlacementFactory(server=s20).account
    # When
    result = exposure_recompute(incident=incident)
    # Then
    assert (result.accounts, result.customers) == (2, 2)
    e19 = Exposure.objects.get(account=on19)
    assert e19.affected_seconds == int((utc(2006, 1, 2, 20) - utc(2005, 12, 31, 22, 30)).total_seconds())
    assert e19.intervals == [["2005-12-31T22:30:00+00:00", "2006-01-02T20:00:00+00:00", "server19"]]
    assert Exposure.objects.get(account=on20).affected_seconds == (43 * 3600 + 30 * 60)


def test_account_migrated_mid_window_lists_both_servers():
    volume = StorageVolumeFactory(name="stor-a")
    old, new = (
        ServerFactory(name="server12", storage_volume=volume),
        ServerFactory(name="server03", storage_volume=None),
    )
    incident = IncidentFactory()
    OutageWindowFactory(
        incident=incident,
        target_type="volume",
        server=None,
        volume=volume,
        start=utc(2006, 1, 1, 0),
        end=utc(2006, 1, 2, 0),
    )
    OutageWindowFactory(incident=incident, server=new, start=utc(2006, 1, 1, 0), end=utc(2006, 1, 3, 0))
    account = HostingAccountFactory()
    Placement.objects.create(account=account, server=old, active_from=utc(2005, 1, 1), active_until=utc(2006, 1, 1, 11))
    Placement.objects.create(account=account, server=new, active_from=utc(2006, 1, 1, 11))
    exposure_recompute(incident=incident)
    exposure = Exposure.objects.get()
    assert exposure.servers == ["server12", "server03"]
    assert exposure.intervals == [
        ["2006-01-01T00:00:00+00:00", "2006-01-01T11:00:00+00:00", "server12"],
        ["2006-01-01T11:00:00+00:00", "2006-01-03T00:00:00+00:00", "server03"],
    ]
    assert exposure.affected_seconds == 48 * 3600


def test_account_starting_when_window_ends_is_not_affected():
    server = ServerFactory()
    window = OutageWindowFactory(server=server, start=utc(2006, 1, 1, 0), end=utc(2006, 1, 1, 6))
    PlacementFactory(server=server, active_from=utc(2006, 1, 1, 6))
    PlacementFactory(server=server, active_from=utc(2005, 1, 1), active_until=utc(2006, 1, 1, 0))
    assert exposure_recompute(incident=window.incident).accounts == 0
    assert not Exposure.objects.exists()


def test_dst_window_from_csv_times():
    from accounts.parsing import parse_local_datetime

    server = ServerFactory()
    window = OutageWindowFactory(
        server=server, start=parse_local_datetime("2006-03-26 00:30"), end=parse_local_datetime("2006-03-26 09:00")
    )
    PlacementFactory(server=server)
    exposure_recompute(incident=window.incident)
    assert Exposure.objects.get().affected_seconds == 27000  # 7.5 h


def test_ongoing_window_counts_until_now():
    server = ServerFactory()
    window = OutageWindowFactory(server=server, start=utc(2006, 1, 1, 0), end=None)
    PlacementFactory(server=server)
    exposure_recompute(incident=window.incident, now=utc(2006, 1, 1, 5))
    assert Exposure.objects.get().affected_seconds == 5 * 3600


def test_recompute_is_idempotent_and_follows_window_changes():
    server = ServerFactory()
    window = OutageWindowFactory(server=server, start=utc(2006, 1, 1, 0), end=utc(2006, 1, 1, 2))
    PlacementFactory(server=server)
    exposure_recompute(incident=window.incident)
    first = list(Exposure.objects.values_list("account_id", "affected_seconds", "intervals"))
    exposure_recompute(incident=window.incident)
    assert list(Exposure.objects.values_list("account_id", "affected_seconds", "intervals")) == first
    OutageWindow.objects.filter(pk=window.pk).update(end=utc(2006, 1, 1, 3))
    exposure_recompute(incident=window.incident)
    assert Exposure.objects.get().affected_seconds == 3 * 3600


def test_frozen_after_approval_changes_nothing(django_user_model):
    server = ServerFactory()
    window = OutageWindowFactory(server=server)
    account = PlacementFactory(server=server).account
    exposure_recompute(incident=window.incident)
    before = list(Exposure.objects.values_list("id", "affected_seconds"))
    policy = CompensationPolicy.objects.create(name="default", version=1, kind="tiers", params={})
    Compensation.objects.create(
        incident=window.incident,
        customer=account.customer,
        policy=policy,
        amount="10.00",
        currency="CHF",
        affected_seconds=1,
        status="approved",
        computed_at=utc(2006, 1, 5),
    )
    OutageWindow.objects.filter(pk=window.pk).update(end=window.end + dt.timedelta(hours=5))
    with pytest.raises(ExposureFrozen):
        exposure_recompute(incident=window.incident)
    assert list(Exposure.objects.values_list("id", "affected_seconds")) == before


def test_query_count_does_not_grow_with_accounts():
    server = ServerFactory()
    window = OutageWindowFactory(server=server)

    def count():
        with CaptureQueriesContext(connection) as ctx:
            exposure_recompute(incident=window.incident)
        return len(ctx.captured_queries)

    PlacementFactory.create_batch(3, server=server)
    few = count()
    PlacementFactory.create_batch(60, server=server)
    assert count() == few
    assert Exposure.objects.count() == 63


# --- property test: the stored result equals a minute-by-minute oracle -------------------------

T0 = utc(2006, 1, 1)


def m(minutes):
    return T0 + dt.timedelta(minutes=minutes)


@st.composite
def world(draw):
    windows = [
        (draw(st.sampled_from(["server", "volume"])), draw(st.integers(0, 2)), a, draw(st.integers(a + 1, 200)))
        for a in draw(st.lists(st.integers(0, 180), max_size=4))
    ]
    accounts = []
    for _ in range(draw(st.integers(1, 4))):
        cuts = sorted(draw(st.lists(st.integers(0, 200), max_size=3, unique=True)))
        start = draw(st.integers(-10, 50))
        bounds = [start] + [c for c in cuts if c > start]
        ends = bounds[1:] + [draw(st.one_of(st.none(), st.integers(bounds[-1] + 1, 260)))]
        accounts.append([(draw(st.integers(0, 2)), a, b) for a, b in zip(bounds, ends, strict=True)])
    return windows, accounts


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(world())
def test_service_matches_minute_oracle(case):
    windows, accounts = case
    OutageWindow.objects.all().delete()
    Exposure.objects.all().delete()
    Placement.objects.all().delete()
    HostingAccount.objects.all().delete()
    volumes = [StorageVolumeFactory(name="va"), StorageVolumeFactory(name="vb")]
    servers = [
        ServerFactory(name="s0", storage_volume=volumes[0]),
        ServerFactory(name="s1", storage_volume=volumes[0]),
        ServerFactory(name="s2", storage_volume=volumes[1]),
    ]
    incident = IncidentFactory(slug="prop")
    for kind, target, a, b in windows:
        if kind == "server":
            OutageWindow.objects.create(
                incident=incident, target_type="server", server=servers[target], start=m(a), end=m(b)
            )
        else:
            OutageWindow.objects.create(
                incident=incident, target_type="volume", volume=volumes[min(target, 1)], start=m(a), end=m(b)
            )
    made = []
    for placements in accounts:
        account = HostingAccountFactory()
        made.append(account)
        for server, a, b in placements:
            Placement.objects.create(
                account=account, server=servers[server], active_from=m(a), active_until=m(b) if b is not None else None
            )
    exposure_recompute(incident=incident)
    stored = dict(Exposure.objects.values_list("account_id", "affected_seconds"))
    for account, placements in zip(made, accounts, strict=True):
        expected = 0
        for minute in range(-20, 270):
            for server, a, b in placements:
                if a <= minute and (b is None or minute < b):
                    expected += any(
                        wa <= minute < wb
                        and (
                            (kind == "server" and target == server)
                            or (kind == "volume" and servers[server].storage_volume_id == volumes[min(target, 1)].id)
                        )
                        for kind, target, wa, wb in windows
                    )
                    break
        assert stored.get(account.pk, 0) == expected * 60
