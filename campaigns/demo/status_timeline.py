"""The demo incident's public timeline, as support posted it during the Christmas 2005 outage.

Content, not UI strings: the texts are written out in every language (Italian only for some
updates, so the demo shows the fallback to the incident's default language).
"""

import datetime as dt
from zoneinfo import ZoneInfo

from campaigns.incidents.models import Incident
from campaigns.status.models import IncidentUpdate
from campaigns.status.services import update_post

ZURICH = ZoneInfo("Europe/Zurich")

TIMELINE = [
    (
        "26.12.2005 08:40",
        "investigating",
        {
            "de": "Mehrere Webserver sind nicht erreichbar. Wir untersuchen die Ursache.",
            "fr": "Plusieurs serveurs web sont injoignables. Nous recherchons la cause.",
            "it": "Diversi server web non sono raggiungibili. Stiamo indagando sulla causa.",
            "en": "Several web servers are unreachable. We are investigating the cause.",
        },
    ),
    (
        "26.12.2005 10:05",
        "identified",
        {
            "de": "Ein Controller des Speichersystems stor-zh-a ist ausgefallen. Ersatzteile sind unterwegs.",
            "fr": "Un contrôleur du système de stockage stor-zh-a est tombé en panne. Les pièces sont en route.",
            "en": "A controller of storage system stor-zh-a failed. Replacement parts are on their way.",
        },
    ),
    (
        "26.12.2005 21:50",
        "monitoring",
        {
            "de": "Alle Server laufen wieder. Wir beobachten das Speichersystem weiter.",
            "fr": "Tous les serveurs fonctionnent à nouveau. Nous surveillons le système de stockage.",
            "it": "Tutti i server funzionano di nuovo. Continuiamo a monitorare il sistema di storage.",
            "en": "All servers are running again. We keep monitoring the storage system.",
        },
    ),
    (
        "01.01.2006 00:10",
        "investigating",
        {
            "de": "Beide Speichersysteme sind ausgefallen; viele Websites und Postfächer sind nicht erreichbar.",
            "fr": "Les deux systèmes de stockage sont en panne ; de nombreux sites et boîtes aux lettres sont injoignables.",
            "en": "Both storage systems failed; many websites and mailboxes are unreachable.",
        },
    ),
    (
        "04.01.2006 10:00",
        "resolved",
        {
            "de": "Alle Systeme laufen wieder. Betroffene Kunden erhalten eine Gutschrift; Details folgen per E-Mail.",
            "fr": "Tous les systèmes fonctionnent. Les clients concernés recevront un avoir ; détails par e-mail.",
            "it": "Tutti i sistemi funzionano. I clienti interessati riceveranno un credito; dettagli via e-mail.",
            "en": "All systems are running again. Affected customers receive a credit; details follow by e-mail.",
        },
    ),
]


def status_demo_updates(*, incident: Incident, by=None) -> int:
    """Post the demo timeline once (idempotent); returns how many updates were posted."""
    if IncidentUpdate.objects.filter(incident=incident).exists():
        return 0
    for when, phase, texts in TIMELINE:
        published_at = dt.datetime.strptime(when, "%d.%m.%Y %H:%M").replace(tzinfo=ZURICH).astimezone(dt.UTC)
        update_post(incident=incident, phase=phase, texts=texts, by=by, published_at=published_at)
    return len(TIMELINE)
