"""Table tests for the pure interval arithmetic, and a property test against a minute-by-minute oracle."""

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from campaigns.incidents import impact

T0 = dt.datetime(2006, 1, 1, tzinfo=dt.UTC)


def t(minutes: int) -> dt.datetime:
    return T0 + dt.timedelta(minutes=minutes)


def spans(*pairs):
    return [(t(a), t(b)) for a, b in pairs]


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ([], []),
        ([(0, 10)], [(0, 10)]),
        ([(0, 10), (5, 15)], [(0, 15)]),  # overlapping windows count once
        ([(0, 10), (10, 20)], [(0, 20)]),  # touching half-open intervals join
        ([(0, 10), (11, 20)], [(0, 10), (11, 20)]),
        ([(20, 30), (0, 5), (2, 3)], [(0, 5), (20, 30)]),  # contained, unordered
        ([(5, 5), (6, 4)], []),  # empty and inverted intervals are dropped
    ],
)
def test_merge(given, expected):
    assert impact.merge(spans(*given)) == spans(*expected)


@pytest.mark.parametrize(
    ("windows", "start", "end", "expected"),
    [
        ([(0, 10), (20, 30)], 5, 25, [(5, 10), (20, 25)]),
        ([(0, 10)], 10, None, []),  # an account that starts exactly when the window ends: not affected
        ([(10, 20)], 0, 10, []),  # an account that ends exactly when the window starts: not affected
        ([(0, 10)], 9, None, [(9, 10)]),  # one minute inside
        ([(0, 10), (20, 30)], 0, None, [(0, 10), (20, 30)]),  # still active
    ],
)
def test_clip_half_open(windows, start, end, expected):
    assert impact.clip(spans(*windows), t(start), t(end) if end is not None else None) == spans(*expected)


def test_account_moving_mid_window_is_split_by_server():
    # Given a volume window 0–100 hitting both servers and an account moved from a to b at 40
    windows = {"a": spans((0, 100)), "b": spans((0, 100))}
    placements = [("a", t(-50), t(40)), ("b", t(40), None)]
    # When
    pieces = impact.account_pieces(placements, windows)
    # Then both parts are listed, with their server, and the downtime is the whole window once
    assert pieces == [(t(0), t(40), "a"), (t(40), t(100), "b")]
    assert impact.affected_seconds(pieces) == 100 * 60


def test_moving_to_an_unaffected_server_ends_the_exposure():
    windows = {"a": spans((0, 100))}
    pieces = impact.account_pieces([("a", t(-50), t(30)), ("c", t(30), None)], windows)
    assert pieces == [(t(0), t(30), "a")]


def test_server_and_volume_windows_overlap_once():
    per_server = impact.windows_per_server(
        [("s1", None, t(0), t(60)), (None, "v1", t(30), t(90)), (None, "v1", t(200), t(210))],
        {"v1": ["s1", "s2"]},
    )
    assert per_server == {"s1": spans((0, 90), (200, 210)), "s2": spans((30, 90), (200, 210))}


def test_dst_window_lasts_its_real_duration():
    from accounts.parsing import parse_local_datetime

    # 2006-03-26 00:30 → 09:00 Europe/Zurich spans the switch to summer time: 7.5 h, not 8.5 h
    start, end = parse_local_datetime("2006-03-26 00:30"), parse_local_datetime("26.03.2006 09:00")
    assert impact.seconds([(start, end)]) == int(7.5 * 3600)


def test_overlapping_placements_count_once():
    windows = {"a": spans((0, 60)), "b": spans((0, 60))}
    pieces = impact.account_pieces([("a", t(0), None), ("b", t(30), None)], windows)
    assert impact.affected_seconds(pieces) == 60 * 60


# --- property: the engine agrees with a brute-force minute-by-minute oracle --------------------

SERVERS = ["s1", "s2", "s3"]
VOLUME_OF = {"s1": "v1", "s2": "v1", "s3": "v2"}
minute = st.integers(min_value=0, max_value=300)


@st.composite
def scenario(draw):
    windows = []
    for _ in range(draw(st.integers(0, 5))):
        start = draw(minute)
        end = draw(st.integers(start + 1, 320))
        if draw(st.booleans()):
            windows.append((draw(st.sampled_from(SERVERS)), None, start, end))
        else:
            windows.append((None, draw(st.sampled_from(["v1", "v2"])), start, end))
    cuts = sorted(draw(st.lists(minute, min_size=0, max_size=4, unique=True)))
    first = draw(st.integers(-20, 100))
    bounds = [first] + [c for c in cuts if c > first]
    ends = bounds[1:] + [draw(st.one_of(st.none(), st.integers(bounds[-1] + 1, 400)))]
    placements = [(draw(st.sampled_from(SERVERS)), a, b) for a, b in zip(bounds, ends, strict=True)]
    return windows, placements


def oracle_minutes(windows, placements) -> int:
    down = 0
    for m in range(-30, 400):
        for server, start, until in placements:
            if start <= m and (until is None or m < until):
                if any(
                    ws <= m < we and (ts == server or (tv is not None and VOLUME_OF[server] == tv))
                    for ts, tv, ws, we in windows
                ):
                    down += 1
                break
    return down


@settings(max_examples=300, deadline=None)
@given(scenario())
def test_engine_matches_minute_oracle(case):
    windows, placements = case
    servers_of_volume = {"v1": ["s1", "s2"], "v2": ["s3"]}
    per_server = impact.windows_per_server([(s, v, t(a), t(b)) for s, v, a, b in windows], servers_of_volume)
    pieces = impact.account_pieces([(s, t(a), t(b) if b is not None else None) for s, a, b in placements], per_server)
    assert impact.affected_seconds(pieces) == oracle_minutes(windows, placements) * 60
    # pieces never overlap (placements don't) and lie inside a window of their server
    for (_, e1, _), (s2, _, _) in zip(pieces, pieces[1:], strict=False):
        assert e1 <= s2
