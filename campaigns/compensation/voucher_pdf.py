"""Voucher PDFs with WeasyPrint: A4, the customer's language, rendered once and stored.

Rendering many is fast because the expensive parts are built once per process and reused: the
parsed stylesheet (``CSS``), the font configuration and the Django template; a lean user-agent
stylesheet replaces WeasyPrint's full HTML one. Each voucher then costs one small HTML parse and
layout (~22 ms of CPU with libharfbuzz-subset0 for the font subsetting). The voucher letter's fixed texts are content, written here
in the four languages rather than left to the UI catalogue.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections import defaultdict
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import segno
from django.conf import settings
from django.core.files.base import ContentFile
from django.template.loader import get_template

from accounts.bulk import bulk_update_rows
from accounts.formatting import format_money
from accounts.private_apis import html_class_with_user_agent_css
from campaigns.compensation.codes import format_code
from campaigns.compensation.models import Voucher
from campaigns.incidents.models import Exposure

CSS_PATH = Path(settings.BASE_DIR) / "templates" / "pdf" / "voucher.css"
DATE = "%d.%m.%Y"
DATETIME = "%d.%m.%Y %H:%M"

TEXTS = {
    "de": {
        "title": "Gutschein",
        "topup": "Nachtrag zu Ihrem Gutschein",
        "customer_number": "Kundennummer",
        "intro": "Wir entschuldigen uns für den Ausfall «{incident}». Als Entschädigung schreiben wir Ihnen diesen Betrag gut:",
        "code_label": "Gutscheincode",
        "expires_label": "Gültig bis",
        "redeem": "Lösen Sie den Gutschein im Kundenportal ein: Code eingeben oder QR-Code scannen.",
        "windows": "Ihre betroffenen Dienste (Zeitzone {tz})",
        "footer": "Dieser Gutschein ist an Ihre Kundennummer gebunden.",
    },
    "fr": {
        "title": "Bon de crédit",
        "topup": "Complément à votre bon",
        "customer_number": "Numéro de client",
        "intro": "Nous vous prions de nous excuser pour la panne « {incident} ». En compensation, nous vous créditons ce montant :",
        "code_label": "Code du bon",
        "expires_label": "Valable jusqu’au",
        "redeem": "Utilisez ce bon dans le portail client : saisissez le code ou scannez le code QR.",
        "windows": "Vos services concernés (fuseau horaire {tz})",
        "footer": "Ce bon est lié à votre numéro de client.",
    },
    "it": {
        "title": "Buono di credito",
        "topup": "Integrazione del Suo buono",
        "customer_number": "Numero cliente",
        "intro": "Ci scusiamo per il guasto «{incident}». A titolo di risarcimento Le accreditiamo questo importo:",
        "code_label": "Codice del buono",
        "expires_label": "Valido fino al",
        "redeem": "Riscatti il buono nel portale clienti: inserisca il codice o scansioni il codice QR.",
        "windows": "I Suoi servizi interessati (fuso orario {tz})",
        "footer": "Questo buono è legato al Suo numero cliente.",
    },
    "en": {
        "title": "Credit voucher",
        "topup": "Top-up to your voucher",
        "customer_number": "Customer number",
        "intro": "We apologise for the outage “{incident}”. As compensation we credit you this amount:",
        "code_label": "Voucher code",
        "expires_label": "Valid until",
        "redeem": "Redeem it in the customer portal: enter the code or scan the QR code.",
        "windows": "Your affected services (time zone {tz})",
        "footer": "This voucher is bound to your customer number.",
    },
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
    return f"{settings.SITE_URL}/portal/redeem/?{urlencode({'code': format_code(code)})}"


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


def voucher_context(voucher: Voucher, *, intervals: list[list[str]]) -> dict:
    customer = voucher.customer
    language = customer.language if customer.language in TEXTS else "de"
    texts = TEXTS[language]
    incident = voucher.compensation.incident
    url = redeem_url(voucher.code)
    return {
        "language": language,
        "t": texts,
        "brand": settings.HOSTNOTIFY["BRAND_NAME"],
        "is_topup": voucher.is_topup,
        "customer_name": customer.name,
        "customer_number": customer.number,
        "intro": texts["intro"].format(incident=incident.title),
        "amount": format_money(voucher.amount, voucher.currency, language),
        "code": format_code(voucher.code),
        "expires": voucher.expires_on.strftime(DATE),
        # A fixed mask skips scoring all eight (a third of the QR cost); any mask reads fine.
        "qr": segno.make(url, error="m", mask=0, micro=False).png_data_uri(scale=4, border=2),
        "redeem_url": f"{settings.SITE_URL}/portal/redeem/",
        "windows_title": texts["windows"].format(tz=customer.time_zone),
        "windows": affected_windows(intervals, customer.time_zone),
    }


def render_voucher_pdf(voucher: Voucher, *, intervals: list[list[str]]) -> bytes:
    """The PDF of one voucher (not stored); ``intervals`` are the customer's exposure pieces."""
    css, fonts, template, document_class = _weasy()
    html = template.render(voucher_context(voucher, intervals=intervals))
    return document_class(string=html).write_pdf(stylesheets=[css], font_config=fonts)


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


def _save_file(voucher: Voucher, data: bytes) -> str:
    # A random part in the name: the file name must not reveal or be derivable from the code.
    field = voucher.pdf.field
    name = field.generate_filename(voucher, f"voucher-{voucher.pk}-{secrets.token_hex(8)}.pdf")
    voucher.pdf.name = voucher.pdf.storage.save(name, ContentFile(data), max_length=field.max_length)
    return voucher.pdf.name


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
        intervals=_intervals_by_customer([voucher]).get((voucher.compensation.incident_id, voucher.customer_id), []),
    )
    Voucher.objects.filter(pk=voucher.pk).update(pdf=_save_file(voucher, data))
    return data


def voucher_pdfs_render(voucher_ids: list[int]) -> int:
    """Render and store the PDFs of the given vouchers that have none yet; safe to run twice."""
    vouchers = list(
        Voucher.objects.filter(pk__in=voucher_ids, pdf="").select_related("customer", "compensation__incident")
    )
    intervals = _intervals_by_customer(vouchers)
    stored = []
    for voucher in vouchers:
        key = (voucher.compensation.incident_id, voucher.customer_id)
        data = render_voucher_pdf(voucher, intervals=intervals.get(key, []))
        stored.append({"id": voucher.pk, "pdf": _save_file(voucher, data)})
    bulk_update_rows(Voucher, stored, ["pdf"])
    return len(vouchers)
