"""The one timeline layout (portal and console): pure, table-driven."""

import datetime as dt
import zoneinfo

import pytest

from campaigns.incidents.timeline import timeline_layout

ZURICH = zoneinfo.ZoneInfo("Europe/Zurich")


def utc(*args):
    return dt.datetime(*args, tzinfo=dt.UTC)


def test_nothing_to_draw():
    assert timeline_layout([], tz=ZURICH) is None
    assert timeline_layout([("web1", [])], tz=ZURICH) is None


def test_bars_are_proportional_and_rows_stack():
    # two accounts: 10:00-12:00 and 12:00-16:00 UTC on one day
    layout = timeline_layout(
        [
            ("web1", [(utc(2006, 1, 1, 10), utc(2006, 1, 1, 12))]),
            ("web2", [(utc(2006, 1, 1, 12), utc(2006, 1, 1, 16))]),
        ],
        tz=ZURICH,
        width=640,
        left=150,
        right=12,
    )
    first, second = layout.rows[0].bars[0], layout.rows[1].bars[0]
    assert [row.y for row in layout.rows] == [4, 26]
    assert first.x + first.width == pytest.approx(second.x, abs=0.2)
    assert second.width == pytest.approx(2 * first.width, abs=0.2)
    assert layout.left <= first.x and second.x + second.width <= layout.width - layout.right
    assert layout.axis_y == 48 and layout.height == 70


@pytest.mark.parametrize(
    ("start", "end", "daily", "labels"),
    [
        # 6 hours: a tick every local hour
        (
            utc(2006, 1, 1, 9),
            utc(2006, 1, 1, 15),
            False,
            ["10:00", "11:00", "12:00", "13:00", "14:00", "15:00", "16:00"],
        ),
        # 31.12.2005 23:30 – 02.01.2006 19:00 local: 12-hour steps on local wall-clock time
        (
            utc(2005, 12, 31, 22, 30),
            utc(2006, 1, 2, 18),
            False,
            ["01-01 00:00", "01-01 12:00", "01-02 00:00", "01-02 12:00"],
        ),
        # ten days: a tick every other local midnight
        (utc(2006, 3, 20), utc(2006, 3, 30), True, None),
    ],
)
def test_ticks_fall_on_local_wall_clock(start, end, daily, labels):
    layout = timeline_layout([("web1", [(start, end)])], tz=ZURICH)
    assert all(tick.daily == daily for tick in layout.ticks)
    local = [tick.at.astimezone(ZURICH) for tick in layout.ticks]
    if labels and labels[0].count(" "):
        assert [t.strftime("%m-%d %H:%M") for t in local] == labels
    elif labels:
        assert [t.strftime("%H:%M") for t in local] == labels
    else:
        assert all(t.hour == 0 and t.minute == 0 for t in local) and 2 <= len(local) <= 7
    assert [tick.x for tick in layout.ticks] == sorted(tick.x for tick in layout.ticks)


def test_midnight_across_dst_change_stays_local():
    # 26.03.2006: the clocks go forward; midnights are still 00:00 local
    layout = timeline_layout([("web1", [(utc(2006, 3, 24), utc(2006, 3, 29))])], tz=ZURICH)
    assert {tick.at.astimezone(ZURICH).hour for tick in layout.ticks} == {0}
    assert {tick.at.utcoffset() for tick in layout.ticks} == {dt.timedelta(hours=1), dt.timedelta(hours=2)}


def test_a_very_short_outage_still_shows():
    layout = timeline_layout([("web1", [(utc(2006, 1, 1, 10), utc(2006, 1, 1, 10, 0, 30))])], tz=ZURICH)
    assert layout.rows[0].bars[0].width >= 1.5


def test_an_ongoing_window_is_drawn_up_to_now_and_rows_keep_kind_and_note():
    # the console's lanes: a volume window that ended and a server window still open at 12:00
    now = utc(2006, 1, 3, 12)
    layout = timeline_layout(
        [
            ("stor-a", [(utc(2006, 1, 1, 10), utc(2006, 1, 2, 10))], "volume", "2 servers"),
            ("server1", [(utc(2006, 1, 3, 9), None)], "server", "1"),
        ],
        tz=ZURICH,
        now=now,
        width=900,
        left=150,
        row_height=26,
    )
    volume, server = layout.rows
    assert (volume.kind, volume.note, server.kind, server.note) == ("volume", "2 servers", "server", "1")
    (ongoing,) = server.bars
    assert ongoing.ongoing and ongoing.end == now and not volume.bars[0].ongoing
    assert ongoing.x + ongoing.width <= layout.width - layout.right
    assert [row.y for row in layout.rows] == [4, 30]


def test_an_ongoing_window_without_now_is_an_error():
    with pytest.raises(ValueError, match="ongoing interval needs now"):
        timeline_layout([("server1", [(utc(2006, 1, 3, 9), None)])], tz=ZURICH)
