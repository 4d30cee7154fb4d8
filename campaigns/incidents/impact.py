"""Pure interval arithmetic for exposure: half-open ``[start, end)`` intervals of aware datetimes.

No ORM and no clock here; the service feeds plain tuples in and stores what comes out.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from typing import TypeVar

Interval = tuple[dt.datetime, dt.datetime]
# A server as the caller names it: its id in the service, a name in the tests.
ServerKey = TypeVar("ServerKey", int, str)
Piece = tuple[dt.datetime, dt.datetime, ServerKey]  # an interval attributed to a server

FOREVER = dt.datetime.max.replace(tzinfo=dt.UTC)


def merge(intervals: Iterable[Interval]) -> list[Interval]:
    """The union of the intervals as sorted, disjoint, non-touching intervals; empty ones dropped."""
    ordered = sorted((s, e) for s, e in intervals if e > s)
    merged: list[Interval] = []
    for start, end in ordered:
        if merged and start <= merged[-1][1]:
            if end > merged[-1][1]:
                merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return merged


def clip(intervals: Sequence[Interval], start: dt.datetime, end: dt.datetime | None) -> list[Interval]:
    """The parts of sorted, disjoint ``intervals`` that lie inside ``[start, end)`` (``None`` = open)."""
    stop = end or FOREVER
    out = []
    for s, e in intervals:
        if e <= start:
            continue
        if s >= stop:
            break
        out.append((max(s, start), min(e, stop)))
    return out


def seconds(intervals: Iterable[Interval]) -> int:
    """Total whole seconds of disjoint intervals (real elapsed time, so DST changes count right)."""
    return int(sum(((e - s) for s, e in intervals), dt.timedelta()).total_seconds())


def account_pieces(
    placements: Iterable[tuple[ServerKey, dt.datetime, dt.datetime | None]],
    windows_by_server: Mapping[ServerKey, Sequence[Interval]],
) -> list[Piece[ServerKey]]:
    """Where and when one account was down.

    ``placements`` are ``(server, active_from, active_until)``; ``windows_by_server`` maps a server
    to the merged windows that hit it (its own and its volume's). Pieces on the same server that
    touch or overlap are joined; the result is sorted by start.
    """
    by_server: dict[ServerKey, list[Interval]] = {}
    for server, active_from, active_until in placements:
        windows = windows_by_server.get(server)
        if windows:
            by_server.setdefault(server, []).extend(clip(windows, active_from, active_until))
    pieces = [(s, e, server) for server, spans in by_server.items() for s, e in merge(spans)]
    pieces.sort(key=lambda p: (p[0], p[1], p[2]))
    return pieces


def affected_seconds(pieces: Iterable[Piece[ServerKey]]) -> int:
    """Downtime of an account: overlapping pieces (bad data, two placements at once) count once."""
    return seconds(merge((s, e) for s, e, _ in pieces))


def windows_per_server(
    windows: Iterable[tuple[ServerKey | None, ServerKey | None, dt.datetime, dt.datetime]],
    servers_of_volume: Mapping[ServerKey, Iterable[ServerKey]],
) -> dict[ServerKey, list[Interval]]:
    """Merged windows per server, from windows given as ``(server, volume, start, end)``.

    A window names its server, or else its volume (``servers_of_volume`` maps a volume to its servers).
    """
    spans: dict[ServerKey, list[Interval]] = {}
    for server, volume, start, end in windows:
        if server is not None:
            targets = [server]
        elif volume is not None:
            targets = list(servers_of_volume.get(volume, ()))
        else:
            targets = []
        for target in targets:
            spans.setdefault(target, []).append((start, end))
    return {server: merge(items) for server, items in spans.items()}


def downtime_seconds(stored_pieces: Iterable[Sequence]) -> int:
    """A customer's downtime: wall-clock seconds during which at least one of their accounts was
    down — the length of the union of the stored pieces ``[start_iso, end_iso, server]`` of all
    their accounts' exposures (two accounts down at the same time count once)."""
    return seconds(merge((dt.datetime.fromisoformat(p[0]), dt.datetime.fromisoformat(p[1])) for p in stored_pieces))


def with_added(pieces: Sequence[Piece[ServerKey]], added: Iterable[Piece[ServerKey]]) -> list[Piece[ServerKey]]:
    """``pieces`` plus the parts of ``added`` (downtime a person added, e.g. for an accepted claim)
    that no piece or earlier added part covers yet, attributed to the added part's server; sorted
    by start. Time counts once, so the stored pieces stay disjoint."""
    covered: list[Interval] = merge((s, e) for s, e, _ in pieces)
    out = list(pieces)
    for start, end, server in sorted(added, key=lambda p: (p[0], p[1])):
        cursor = start
        for s, e in covered:
            if e <= cursor:
                continue
            if s >= end:
                break
            if s > cursor:
                out.append((cursor, s, server))
            cursor = max(cursor, e)
        if cursor < end:
            out.append((cursor, end, server))
        covered = merge([*covered, (start, end)])
    out.sort(key=lambda p: (p[0], p[1], str(p[2])))
    return out
