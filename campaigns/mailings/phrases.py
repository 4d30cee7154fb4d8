"""The fixed sentences the letters are assembled from, in de, fr, it and en.

These are letter content, not UI strings: they are written here once per language (like the
default letters under ``templates/emails/``) instead of going through gettext. Pure functions,
no ORM: ``campaigns.mailings.letters`` feeds them plain values.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from zoneinfo import ZoneInfo

from accounts.formatting import format_duration
from accounts.languages import LANGUAGE_CODES

LANGUAGES = LANGUAGE_CODES

# {account}, {server}, {spans}: one account on one server.
_ONE_SERVER = {
    "de": "Ihr Account {account} auf {server} war {spans} betroffen.",
    "fr": "Votre compte {account} sur {server} a été touché {spans}.",
    "it": "Il suo account {account} su {server} è stato colpito {spans}.",
    "en": "Your account {account} on {server} was affected {spans}.",
}
# {account}, {parts}: an account that moved between servers during the outage.
_SEVERAL_SERVERS = {
    "de": "Ihr Account {account} war {parts} betroffen.",
    "fr": "Votre compte {account} a été touché {parts}.",
    "it": "Il suo account {account} è stato colpito {parts}.",
    "en": "Your account {account} was affected {parts}.",
}
_ON_SERVER = {
    "de": "auf {server} {spans}",
    "fr": "sur {server} {spans}",
    "it": "su {server} {spans}",
    "en": "on {server} {spans}",
}
_SPAN = {
    "de": "vom {start} bis {end}",
    "fr": "du {start} au {end}",
    "it": "dal {start} al {end}",
    "en": "from {start} to {end}",
}
_LIST = {"de": "; ", "fr": "\u202f; ", "it": "; ", "en": "; "}  # French puts a thin space before ";"
_AND = {"de": " und ", "fr": " et ", "it": " e ", "en": " and "}
_CREDIT = {
    "de": "{amount} für {duration} Ausfall ({detail}), gemäss unserer Entschädigungsregel.",
    "fr": "{amount} pour {duration} d’interruption ({detail}), selon notre règle de dédommagement.",
    "it": "{amount} per {duration} di interruzione ({detail}), secondo la nostra regola di indennizzo.",
    "en": "{amount} for {duration} of downtime ({detail}), according to our compensation rule.",
}
_SHARE = {
    "de": "{percent} % der Monatsgebühr von {account}",
    "fr": "{percent} % de la redevance mensuelle de {account}",
    "it": "{percent} % del canone mensile di {account}",
    "en": "{percent} % of the monthly fee of {account}",
}
_PRORATA = {
    "de": "anteilig {hours} h von {account}",
    "fr": "au prorata {hours} h de {account}",
    "it": "pro rata {hours} h di {account}",
    "en": "pro rata {hours} h of {account}",
}
_MINIMUM = {
    "de": "mindestens {minimum}",
    "fr": "au minimum {minimum}",
    "it": "almeno {minimum}",
    "en": "at least {minimum}",
}
_NO_CREDIT = {
    "de": "Die Unterbrechung war kürzer als eine Stunde; dafür ist keine Gutschrift vorgesehen.",
    "fr": "L’interruption a duré moins d’une heure ; aucun avoir n’est prévu dans ce cas.",
    "it": "L’interruzione è durata meno di un’ora; in questo caso non è previsto alcun accredito.",
    "en": "The interruption lasted less than an hour, so no credit applies.",
}

# A correction to a customer whom the corrected windows no longer affect; {amount}: what they keep.
_NOT_AFFECTED = {
    "de": "Nach der Korrektur war keiner Ihrer Dienste von diesem Ausfall betroffen.",
    "fr": "Après correction, aucun de vos services n’a été touché par cette interruption.",
    "it": "Dopo la rettifica, nessuno dei suoi servizi è stato colpito da questa interruzione.",
    "en": "After the correction, none of your services was affected by this outage.",
}
_CREDIT_KEPT = {
    "de": "Die Gutschrift von {amount}, die wir Ihnen gewährt haben, bleibt Ihnen.",
    "fr": "L’avoir de {amount} qui vous a été accordé vous reste acquis.",
    "it": "L’accredito di {amount} che le abbiamo concesso le rimane.",
    "en": "The credit of {amount} we granted you remains yours.",
}


def local_datetime(value: dt.datetime, time_zone: str) -> str:
    """``31.12.2005 23:30`` in the customer's time zone (the Swiss format in every language)."""
    return value.astimezone(ZoneInfo(time_zone)).strftime("%d.%m.%Y %H:%M")


def local_date(value: dt.date) -> str:
    return value.strftime("%d.%m.%Y")


def duration(seconds: int) -> str:
    """``43 h 30 min``; under an hour ``45 min`` (``accounts.formatting.format_duration``)."""
    return format_duration(seconds)


def window_text(language: str, start: str, end: str) -> str:
    return _SPAN[language].format(start=start, end=end)


def account_sentence(language: str, account: str, windows: Sequence[tuple[str, str, str]]) -> str:
    """One sentence for one account; ``windows`` are ``(server, start_text, end_text)`` in order."""
    parts: list[tuple[str, list[str]]] = []  # consecutive windows on the same server share it
    for server, start, end in windows:
        span = window_text(language, start, end)
        if parts and parts[-1][0] == server:
            parts[-1][1].append(span)
        else:
            parts.append((server, [span]))
    joiner = _AND[language]
    if len({server for server, _ in parts}) == 1:
        return _ONE_SERVER[language].format(account=account, server=parts[0][0], spans=joiner.join(parts[0][1]))
    text = joiner.join(_ON_SERVER[language].format(server=s, spans=joiner.join(spans)) for s, spans in parts)
    return _SEVERAL_SERVERS[language].format(account=account, parts=text)


def share_text(language: str, *, account: str, percent: str = "", hours: str = "") -> str:
    """One account's part of the credit: ``25 % der Monatsgebühr von web1`` or pro rata hours."""
    if percent:
        return _SHARE[language].format(percent=percent, account=account)
    return _PRORATA[language].format(hours=hours, account=account)


def minimum_text(language: str, minimum: str) -> str:
    return _MINIMUM[language].format(minimum=minimum)


def credit_line(language: str, *, amount_text: str, seconds: int, details: Sequence[str]) -> str:
    """The one-line explanation of a credit from the policy's per-account ``details``.

    Without a credit it is the sentence that the outage was too short for one.
    """
    if not amount_text:
        return _NO_CREDIT[language]
    detail = _LIST[language].join(details) or "–"
    return _CREDIT[language].format(amount=amount_text, duration=duration(seconds), detail=detail)


def not_affected_line(language: str, *, amount_text: str) -> str:
    """For a customer the corrected windows no longer affect: so it is, and the credit they keep."""
    if not amount_text:
        return _NOT_AFFECTED[language]
    return f"{_NOT_AFFECTED[language]} {_CREDIT_KEPT[language].format(amount=amount_text)}"
