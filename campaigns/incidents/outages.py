"""Outage import: incidents and their windows from ``windows.csv``.

The file is the complete list of windows for each incident it names: importing it replaces those
incidents' windows when they differ, and recomputes their exposure. Importing it twice changes
nothing the second time.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import transaction
from django.utils.text import slugify

from accounts.csv_rows import ImportRejected, RowError, read_csv
from accounts.models import Server, StorageVolume
from accounts.parsing import parse_period
from campaigns.incidents.exposure import ExposureResult, exposure_is_frozen, exposure_recompute
from campaigns.incidents.models import INCIDENT_LANGUAGES, Incident, OutageWindow

WINDOW_COLUMNS = ("incident", "title", "target_type", "target", "start", "end")
# The longest value each column's database field holds: a longer one is a row error, never cut short.
WINDOW_LIMITS: dict[str, int] = {
    column: int(getattr(model._meta.get_field(name), "max_length", 0) or 0)
    for column, model, name in (
        ("incident", Incident, "slug"),
        ("title", Incident, "title"),
        *((f"title_{language}", Incident, "title") for language in INCIDENT_LANGUAGES),
        ("target", Server, "name"),
    )
}
# The title in each language; ``title`` is the fallback for a language left empty.
TITLE_COLUMNS = tuple(f"title_{language}" for language in INCIDENT_LANGUAGES)


@dataclass
class OutageImportSummary:
    incidents_created: list[str] = field(default_factory=list)
    incidents_changed: list[str] = field(default_factory=list)
    incidents_unchanged: list[str] = field(default_factory=list)
    windows: int = 0
    exposure: dict[str, ExposureResult] = field(default_factory=dict)
    dry_run: bool = False


def outages_import(*, source, dry_run: bool = False, encoding: str = "utf-8-sig") -> OutageImportSummary:
    errors: list[RowError] = []
    rows = read_csv(
        source, WINDOW_COLUMNS, "windows.csv", errors, limits=WINDOW_LIMITS, encoding=encoding, optional=TITLE_COLUMNS
    )
    if errors:
        raise ImportRejected(errors)
    servers = dict(Server.objects.values_list("name", "id"))
    volumes = dict(StorageVolume.objects.values_list("name", "id"))
    incidents: dict[str, dict] = {}
    for line, row in rows:
        problems = []
        slug = row["incident"]
        if not slug or slugify(slug) != slug:
            problems.append(f"bad incident slug {slug!r} (lower-case letters, digits and dashes)")
        target_type, target = row["target_type"].lower(), row["target"]
        server_id = volume_id = None
        if target_type == "server":
            server_id = servers.get(target)
            if server_id is None:
                problems.append(f"unknown server {target!r}")
        elif target_type == "volume":
            volume_id = volumes.get(target)
            if volume_id is None:
                problems.append(f"unknown storage volume {target!r}")
        else:
            problems.append(f"bad target_type {row['target_type']!r} (server or volume)")
        start, end, period_problems = parse_period(row["start"], row["end"], start_label="start", end_label="end")
        problems.extend(period_problems)
        titles = {column: row.get(column, "") for column in ("title", *TITLE_COLUMNS)}
        parsed = incidents.setdefault(slug, {"titles": titles, "line": line, "windows": []})
        for column, value in titles.items():
            if value != parsed["titles"][column]:
                problems.append(
                    f"incident {slug!r} has {column} {value!r} here but {parsed['titles'][column]!r} "
                    f"on line {parsed['line']}"
                )
        if problems:
            errors.extend(RowError("windows.csv", line, p) for p in problems)
            continue
        parsed["windows"].append((target_type, server_id, volume_id, start, end))

    existing = {i.slug: i for i in Incident.objects.filter(slug__in=incidents)}
    current: dict[int, list[tuple]] = {}
    for incident_id, *window in OutageWindow.objects.filter(incident__in=existing.values()).values_list(
        "incident_id", "target_type", "server_id", "volume_id", "start", "end"
    ):
        current.setdefault(incident_id, []).append(tuple(window))
    changed = []
    for slug, data in incidents.items():
        incident = existing.get(slug)
        if incident is not None and sorted(current.get(incident.pk, []), key=_key) != sorted(data["windows"], key=_key):
            changed.append(slug)
            if exposure_is_frozen(incident):
                errors.append(
                    RowError(
                        "windows.csv", data["line"], f"compensation for {slug!r} is approved: its windows are frozen"
                    )
                )
    if errors:
        raise ImportRejected(errors)

    summary = OutageImportSummary(dry_run=dry_run, windows=sum(len(d["windows"]) for d in incidents.values()))
    with transaction.atomic():
        for slug, data in incidents.items():
            incident = existing.get(slug)
            if incident is None:
                incident = Incident(slug=slug, redemption_options=["balance"])
                _set_titles(incident, data["titles"])
                incident.save()
                summary.incidents_created.append(slug)
            elif slug in changed:
                incident.windows.all().delete()
                summary.incidents_changed.append(slug)
            else:
                summary.incidents_unchanged.append(slug)
            if _set_titles(incident, data["titles"]):
                incident.save(update_fields=[f"title_{language}" for language in INCIDENT_LANGUAGES])
            if slug in summary.incidents_unchanged:
                continue
            OutageWindow.objects.bulk_create(
                OutageWindow(incident=incident, target_type=t, server_id=s, volume_id=v, start=start, end=end)
                for t, s, v, start, end in data["windows"]
            )
            summary.exposure[slug] = exposure_recompute(incident=incident)
        if dry_run:
            transaction.set_rollback(True)
    return summary


def _set_titles(incident: Incident, titles: dict[str, str]) -> bool:
    """Write the file's titles into the incident; True if any changed. ``title`` stands for the
    incident's default language when ``title_<that language>`` is empty; a language left empty
    keeps what it has, and reads the default language's title while it has none."""
    changed = False
    for language in INCIDENT_LANGUAGES:
        value = titles[f"title_{language}"] or (titles["title"] if language == incident.default_language else "")
        if value and value != getattr(incident, f"title_{language}"):
            setattr(incident, f"title_{language}", value)
            changed = True
    if not any(getattr(incident, f"title_{language}") for language in INCIDENT_LANGUAGES):
        setattr(incident, f"title_{incident.default_language}", incident.slug)
        changed = True
    return changed


def _key(window: tuple):
    target_type, server_id, volume_id, start, end = window
    return (target_type, server_id or 0, volume_id or 0, start, end is None, end or start)
