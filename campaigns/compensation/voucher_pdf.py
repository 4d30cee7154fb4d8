"""Voucher PDFs: A4, the customer's language, laid out by WeasyPrint from the HTML/CSS design.

Two ways to the same document. The reference renders each voucher with WeasyPrint (~20 ms of CPU
even with the stylesheet, fonts and template built once per process). The way used for bulk work
has WeasyPrint lay out one *probe* per design — language, kind, incident, time zone and number of
windows — and stamps each voucher's strings and QR code into it (``voucher_stamp``), a fraction of
a millisecond each; whatever stamping cannot vouch for goes the reference way. The voucher's fixed
texts are in the gettext catalogues under the context "voucher PDF" (``voucher_texts``), the
context written out in every call: xgettext extracts no context held in a variable, and each
catalogue refresh then marked the texts obsolete (``tests/test_catalogues.py`` guards them).
"""

from __future__ import annotations

import copy
import datetime as dt
import os
import posixpath
import secrets
from collections import OrderedDict, defaultdict
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage
from django.template.loader import get_template
from django.urls import get_script_prefix, get_urlconf
from django.utils import timezone, translation
from django.utils.translation import pgettext

from accounts.bulk import bulk_update_rows
from accounts.formatting import format_duration, format_money
from accounts.languages import DEFAULT_LANGUAGE, LANGUAGE_CODES
from accounts.links import absolute_url
from accounts.private_apis import html_class_with_user_agent_css
from campaigns.compensation.codes import GROUP, format_code
from campaigns.compensation.models import Voucher
from campaigns.compensation.pdf_fonts import UnsupportedText
from campaigns.compensation.voucher_qr import qr_svg_data_uri
from campaigns.compensation.voucher_stamp import PROBE_IMAGE, SENTINEL, Design, NotStampable
from campaigns.incidents.impact import downtime_seconds
from campaigns.incidents.models import Exposure, Incident

CSS_PATH = Path(settings.BASE_DIR) / "templates" / "pdf" / "voucher.css"
DATE = "%d.%m.%Y"
DATETIME = "%d.%m.%Y %H:%M"
# The context entries that make a design: the same for every voucher of it, laid out as they are
# (texts that may wrap belong here). Every other string, and each string of the windows' rows, is
# per voucher: stamped into the design's probe. A per-voucher string added later stamps by itself;
# a constant one added here only spares the shaping of it.
DESIGN_KEYS = ("language", "t", "brand", "is_topup", "intro", "windows_title")
DESIGN_CACHE_SIZE = 64
# What a batch reads of a voucher and its customer and compensation (``voucher_context``): not
# the compensation's explanation and the rest, parsed for nothing a hundred thousand times.
BATCH_FIELDS = (
    *("id", "code", "is_topup", "amount", "currency", "expires_on", "pdf", "customer_id", "compensation_id"),
    *("customer__number", "customer__name", "customer__language", "customer__time_zone"),
    "compensation__incident_id",
)


@lru_cache(maxsize=len(LANGUAGE_CODES))
def voucher_texts(language: str) -> dict[str, str]:
    """The voucher's fixed texts in a language, from the gettext catalogues (``locale/``).
    ``intro``, ``windows`` and ``downtime`` keep their ``%(…)s`` placeholders."""
    with translation.override(language):
        return {
            "title": pgettext("voucher PDF", "Credit voucher"),
            "topup": pgettext("voucher PDF", "Top-up to your voucher"),
            "customer_number": pgettext("voucher PDF", "Customer number"),
            "intro": pgettext(
                "voucher PDF", "We apologise for the outage “%(incident)s”. As compensation we credit you this amount:"
            ),
            "code_label": pgettext("voucher PDF", "Voucher code"),
            "expires_label": pgettext("voucher PDF", "Valid until"),
            "redeem": pgettext("voucher PDF", "Redeem it in the customer portal: enter the code or scan the QR code."),
            "windows": pgettext("voucher PDF", "Your affected services (time zone %(tz)s)"),
            "downtime": pgettext("voucher PDF", "Downtime of your services: %(duration)s"),
            "footer": pgettext("voucher PDF", "This voucher is bound to your customer number."),
        }


# The voucher template uses a handful of elements; WeasyPrint's full HTML user-agent stylesheet
# is matched against every element of every document and costs a quarter of the render time.
LEAN_UA_CSS = """
html, body, header, footer, div, p, h2 { display: block }
head, title, meta, style, script { display: none }
p { margin: 1em 0 }
h2 { font-weight: bold }
br::before { content: "\\A"; white-space: pre-line }
"""


@lru_cache(maxsize=1)
def _weasy():
    """The stylesheet, font configuration, template and document class, built once per process."""
    from weasyprint import CSS
    from weasyprint.text.fonts import FontConfiguration

    fonts = FontConfiguration()
    css = CSS(string=CSS_PATH.read_text(encoding="utf-8"), font_config=fonts)
    voucher_html = html_class_with_user_agent_css(CSS(string=LEAN_UA_CSS, font_config=fonts))
    return css, fonts, get_template("pdf/voucher.html"), voucher_html


def redeem_url(code: str) -> str:
    """The page where this code is redeemed, the code filled in (sign-in first when needed)."""
    return f"{_redeem_page(settings.SITE_URL, get_urlconf(), get_script_prefix())}?{urlencode({'code': format_code(code)})}"


@lru_cache(maxsize=8)
def _redeem_page(site_url: str, urlconf, script_prefix: str) -> str:
    """``absolute_url`` of the redeem page, ``reverse()`` run once per site address and URLconf."""
    return absolute_url("portal:redeem_code")


def affected_windows(intervals: list[list[str]], time_zone: str) -> list[dict]:
    """Merged exposure pieces ``[start_iso, end_iso, server]`` of all the customer's accounts as
    rows for the letter: the same period on several servers is one row; local wall-clock times."""
    zone = ZoneInfo(time_zone or settings.DEFAULT_CUSTOMER_TIME_ZONE)
    servers: dict[tuple[str, str], list[str]] = defaultdict(list)
    for start, end, server in intervals:
        if server not in servers[(start, end)]:
            servers[(start, end)].append(server)
    rows = []
    for (start, end), names in sorted(servers.items(), key=lambda item: dt.datetime.fromisoformat(item[0][0])):
        rows.append(
            {
                "servers": ", ".join(names),
                "start": dt.datetime.fromisoformat(start).astimezone(zone).strftime(DATETIME),
                "end": dt.datetime.fromisoformat(end).astimezone(zone).strftime(DATETIME),
            }
        )
    return rows


@lru_cache(maxsize=1024)
def _windows_and_downtime(intervals: tuple[tuple[str, ...], ...], time_zone: str) -> tuple[list[dict], int]:
    """``affected_windows`` and ``downtime_seconds`` of exposure pieces, remembered: customers on
    the same servers share their pieces (copy the rows before changing them)."""
    pieces = [list(piece) for piece in intervals]
    return affected_windows(pieces, time_zone), downtime_seconds(pieces)


def voucher_context(voucher: Voucher, *, intervals: list[list[str]]) -> dict:
    customer = voucher.customer
    language = customer.language if customer.language in LANGUAGE_CODES else DEFAULT_LANGUAGE
    texts = voucher_texts(language)
    incident = voucher.compensation.incident
    url = redeem_url(voucher.code)
    windows, downtime = _windows_and_downtime(tuple(map(tuple, intervals)), customer.time_zone)
    return {
        "language": language,
        "t": texts,
        "brand": settings.HOSTNOTIFY["BRAND_NAME"],
        "is_topup": voucher.is_topup,
        "customer_name": customer.name,
        "customer_number": customer.number,
        "intro": texts["intro"] % {"incident": incident.title_in(language)},
        "amount": format_money(voucher.amount, voucher.currency, language),
        "code": format_code(voucher.code),
        "expires": voucher.expires_on.strftime(DATE),
        "qr_url": url,
        "redeem_url": url,
        "windows_title": texts["windows"] % {"tz": customer.time_zone},
        "windows": [dict(row) for row in windows],
        # The customer's downtime: the union of all their accounts' intervals (customer_downtimes).
        "downtime": texts["downtime"] % {"duration": format_duration(downtime)},
    }


def render_voucher_pdf_reference(voucher: Voucher, *, intervals: list[list[str]]) -> bytes:
    """The reference way: WeasyPrint renders this one voucher from the template."""
    css, fonts, template, document_class = _weasy()
    context = voucher_context(voucher, intervals=intervals)
    html = template.render({**context, "qr": qr_svg_data_uri(context["qr_url"])})
    return document_class(string=html).write_pdf(stylesheets=[css], font_config=fonts)


def render_voucher_pdf(voucher: Voucher, *, intervals: list[list[str]]) -> bytes:
    """The PDF of one voucher (not stored), stamped into its design's probe when it can be, else
    rendered the reference way; ``intervals`` are the customer's exposure pieces."""
    context = voucher_context(voucher, intervals=intervals)
    design, values = _design_and_values(context)
    if design is not None:
        try:
            return design.stamp(values, context["qr_url"], now=timezone.now())
        except UnsupportedText:
            pass
    return render_voucher_pdf_reference(voucher, intervals=intervals)


def _probe_context(context: dict) -> tuple[dict, list[str]]:
    """The context with a sentinel for every per-voucher string, and those strings in order."""
    values: list[str] = []

    def mark(value: str) -> str:
        values.append(str(value))
        return SENTINEL.format(len(values) - 1)

    probe = {
        key: mark(value) if isinstance(value, str) and key not in DESIGN_KEYS else value
        for key, value in context.items()
        if key != "qr_url"
    }
    probe["windows"] = [{key: mark(value) for key, value in row.items()} for row in context["windows"]]
    probe["qr"] = PROBE_IMAGE
    return probe, values


def _design_and_values(context: dict) -> tuple[Design | None, list[str]]:
    """The design of a voucher's context and its per-voucher strings in sentinel order, as
    ``_probe_context`` marks them, without building and freezing a probe context for each
    voucher: the key is what the probe holds besides sentinels (texts by their language, the
    number and fields of the windows' rows)."""
    key = []
    values = []
    for name, value in context.items():
        if name == "qr_url":
            continue
        if isinstance(value, str) and name not in DESIGN_KEYS:
            values.append(value)
            key.append(name)
        elif name == "t":
            key.append(("t", context["language"]))
        elif name == "windows":
            key.append(("windows", len(value), tuple(value[0]) if value else ()))
        else:
            key.append((name, _frozen(value)))
    for row in context["windows"]:
        values.extend(str(item) for item in row.values())
    fast_key = tuple(key)
    design = _designs_by_key.get(fast_key, _MISSING)
    if design is _MISSING:
        design = _design(_probe_context(context)[0])
        _designs_by_key[fast_key] = design
        if len(_designs_by_key) > DESIGN_CACHE_SIZE:
            _designs_by_key.popitem(last=False)
    return design, values  # type: ignore[return-value]


_MISSING = object()
_designs_by_key: OrderedDict[tuple, object] = OrderedDict()
_designs: OrderedDict[tuple, Design | None] = OrderedDict()


def _frozen(value):
    """The probe context as a key: dictionaries as sorted tuples, lists as tuples."""
    if isinstance(value, dict):
        return tuple((key, _frozen(item)) for key, item in sorted(value.items()))
    if isinstance(value, list):
        return tuple(_frozen(item) for item in value)
    return value


def _design(probe: dict) -> Design | None:
    """The stamping design for a probe context, laid out by WeasyPrint on first use (``None``:
    the design has something stamping cannot reproduce, render it the reference way)."""
    key = _frozen(probe)
    if key in _designs:
        _designs.move_to_end(key)
        return _designs[key]
    css, fonts, template, document_class = _weasy()
    document = document_class(string=template.render(probe)).render(stylesheets=[css], font_config=fonts)
    try:
        design = Design(pdf=document.write_pdf(), document=document, title=document.metadata.title or "")
    except NotStampable:
        design = None
    _designs[key] = design
    if len(_designs) > DESIGN_CACHE_SIZE:
        _designs.popitem(last=False)
    return design


def _intervals_by_customer(vouchers: list[Voucher]) -> dict[tuple[int, int], list[list[str]]]:
    """One query: the exposure pieces of every (incident, customer) among the vouchers."""
    pairs = {(v.compensation.incident_id, v.customer_id) for v in vouchers}
    rows = Exposure.objects.filter(
        incident_id__in={p[0] for p in pairs}, customer_id__in={p[1] for p in pairs}
    ).values_list("incident_id", "customer_id", "intervals")
    out: dict[tuple[int, int], list[list[str]]] = defaultdict(list)
    for incident_id, customer_id, intervals in rows:
        if (incident_id, customer_id) in pairs:
            out[(incident_id, customer_id)].extend(intervals)
    return out


def _customer_intervals(voucher: Voucher) -> list[list[str]]:
    """The exposure pieces of the voucher's customer in its incident (one query)."""
    return _intervals_by_customer([voucher]).get((voucher.compensation.incident_id, voucher.customer_id), [])


def _save_file(voucher: Voucher, data: bytes) -> str:
    # A random part in the name: the file name must not reveal or be derivable from the code.
    field = voucher.pdf.field
    name = field.generate_filename(voucher, f"voucher-{voucher.pk}-{secrets.token_hex(8)}.pdf")
    voucher.pdf.name = voucher.pdf.storage.save(name, ContentFile(data), max_length=field.max_length)
    return voucher.pdf.name


def _save_files(rendered: list[tuple[Voucher, bytes]]) -> list[dict]:
    """Store many PDFs; ``{"id", "pdf"}`` rows for ``bulk_update_rows``. On the file system (the
    shipped storage) one directory is made per batch and each file written with one exclusive
    create, as ``FileSystemStorage`` would but without its per-file name checks: names carry
    16 random hex digits. Other storages save file by file."""
    field = Voucher.pdf.field
    storage = field.storage
    if not rendered:
        return []
    if not isinstance(storage, FileSystemStorage) or callable(field.upload_to):
        return [{"id": voucher.pk, "pdf": _save_file(voucher, data)} for voucher, data in rendered]
    directory = posixpath.dirname(field.generate_filename(rendered[0][0], "voucher.pdf"))
    folder = Path(storage.path(directory))
    if not folder.is_dir():
        _make_folder(folder, storage.directory_permissions_mode)
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    rows = []
    for voucher, data in rendered:
        name = f"voucher-{voucher.pk}-{secrets.token_hex(8)}.pdf"
        path = os.path.join(folder, name)
        handle = os.open(path, flags, 0o666)
        try:
            # By the handle: a look-up of the name in a folder of 100,000 files is not free.
            if storage.file_permissions_mode is not None:
                os.fchmod(handle, storage.file_permissions_mode)
            view = memoryview(data)
            while view:
                view = view[os.write(handle, view) :]
        finally:
            os.close(handle)
        rows.append({"id": voucher.pk, "pdf": f"{directory}/{name}"})
    return rows


def _make_folder(folder: Path, mode: int | None) -> None:
    """The folder and its parents, with the storage's directory permissions (as it makes them)."""
    if mode is None:
        folder.mkdir(parents=True, exist_ok=True)
        return
    old_umask = os.umask(0o777 & ~mode)
    try:
        folder.mkdir(mode=mode, parents=True, exist_ok=True)
    finally:
        os.umask(old_umask)


def voucher_pdf_bytes(voucher: Voucher) -> bytes:
    """The voucher's PDF: rendered and stored on first use, the stored bytes from then on."""
    if voucher.pdf:
        try:
            with voucher.pdf.open("rb") as handle:
                return handle.read()
        except FileNotFoundError:
            pass  # lost file: render again
    voucher = Voucher.objects.select_related("customer", "compensation__incident").get(pk=voucher.pk)
    data = render_voucher_pdf(
        voucher,
        intervals=_customer_intervals(voucher),
    )
    Voucher.objects.filter(pk=voucher.pk).update(pdf=_save_file(voucher, data))
    return data


def voucher_specimen_pdf_bytes(voucher: Voucher) -> bytes:
    """The voucher's PDF as staff without the finance role may see it (a test send): the same page
    with the code masked in its text, its link and its QR code. Rendered each time, never stored."""
    voucher = Voucher.objects.select_related("customer", "compensation__incident").get(pk=voucher.pk)
    specimen = copy.copy(voucher)
    hidden = len(voucher.code) - 2 * GROUP
    specimen.code = voucher.code[:GROUP] + "\u2022" * hidden + voucher.code[-GROUP:]
    return render_voucher_pdf(specimen, intervals=_customer_intervals(voucher))


def voucher_pdfs_render(voucher_ids: list[int]) -> int:
    """Render and store the PDFs of the given vouchers that have none yet; safe to run twice."""
    vouchers = list(
        Voucher.objects.filter(pk__in=voucher_ids, pdf="")
        .select_related("customer", "compensation")
        .only(*BATCH_FIELDS)
    )
    # The batch's incidents (one, mostly) once each, not a copy with every row.
    incidents = Incident.objects.in_bulk({voucher.compensation.incident_id for voucher in vouchers})
    for voucher in vouchers:
        voucher.compensation.incident = incidents[voucher.compensation.incident_id]
    intervals = _intervals_by_customer(vouchers)
    rendered = [
        (
            voucher,
            render_voucher_pdf(
                voucher, intervals=intervals.get((voucher.compensation.incident_id, voucher.customer_id), [])
            ),
        )
        for voucher in vouchers
    ]
    bulk_update_rows(Voucher, _save_files(rendered), ["pdf"])
    return len(vouchers)
