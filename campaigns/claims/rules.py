"""Pure rules of a claim: what an attachment really is, a local time typed into the form, and
whether a claimed period fits the incident. No ORM and no clock: the caller passes ``now``."""

from __future__ import annotations

import datetime as dt
import io
from zoneinfo import ZoneInfo

from django.utils.translation import gettext as _

# What the portal accepts, recognised by the file's first bytes (never by its name).
SIGNATURES = (
    (b"%PDF-", "application/pdf", "pdf"),
    (b"\x89PNG\r\n\x1a\n", "image/png", "png"),
    (b"\xff\xd8\xff", "image/jpeg", "jpg"),
)
LOCAL_FORMATS = ("%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%d.%m.%Y %H:%M")
# How far a claimed period may lie before the first window or after the last one ends.
PERIOD_SLACK = dt.timedelta(days=7)
LONGEST_PERIOD = dt.timedelta(days=31)


class ClaimInvalid(Exception):
    """A claim or an answer that cannot be stored as given; ``message`` is for the person, in
    their language; ``field`` names the form field it belongs to ("" for the whole form)."""

    def __init__(self, message: str, field: str = ""):
        super().__init__(message)
        self.message = message
        self.field = field


def attachment_type(data: bytes) -> tuple[str, str] | None:
    """``(content type, extension)`` of a PDF, PNG or JPEG file judged by its content, or None.
    Images must also decode as what their signature says (a renamed file or a truncated image
    is not accepted)."""
    for magic, content_type, extension in SIGNATURES:
        if data.startswith(magic):
            if content_type == "application/pdf":
                return (content_type, extension) if b"%%EOF" in data[-1024:] else None
            return (content_type, extension) if _image_ok(data, extension) else None
    return None


def _image_ok(data: bytes, extension: str) -> bool:
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data)) as image:
            if (image.format or "").lower() not in {extension, "jpeg" if extension == "jpg" else extension}:
                return False
            image.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        return False
    return True


def parse_local(text: str, tz: ZoneInfo, *, label: str) -> dt.datetime:
    """An aware UTC datetime from a wall-clock time typed in ``tz`` (the form's ``datetime-local``,
    or ``31.12.2005 23:30``). A time the clocks skipped, or one they passed twice, is refused."""
    value = text.strip()
    parsed = None
    for fmt in LOCAL_FORMATS:
        try:
            parsed = dt.datetime.strptime(value, fmt)  # noqa: DTZ007 - localised just below
            break
        except ValueError:
            continue
    if parsed is None:
        raise ClaimInvalid(_("%(label)s: please enter a date and time such as 31.12.2005 23:30.") % {"label": label})
    first, second = parsed.replace(tzinfo=tz, fold=0), parsed.replace(tzinfo=tz, fold=1)
    if first.astimezone(dt.UTC).astimezone(tz).replace(tzinfo=None) != parsed:
        raise ClaimInvalid(
            _("%(label)s: this time does not exist in your time zone (the clocks were put forward).") % {"label": label}
        )
    if first.utcoffset() != second.utcoffset():
        raise ClaimInvalid(
            _(
                "%(label)s: this time occurs twice in your time zone (the clocks were put back); please choose one an hour earlier or later."
            )
            % {"label": label}
        )
    return first.astimezone(dt.UTC)


def check_period(
    start: dt.datetime, end: dt.datetime, *, incident_span: tuple[dt.datetime, dt.datetime] | None, now: dt.datetime
) -> None:
    """The claimed period ends after it starts, is not in the future, lasts at most a month and
    lies within the incident (its windows, give or take a week)."""
    if end <= start:
        raise ClaimInvalid(_("The end of the period must be after its start."), "period_end")
    if end > now:
        raise ClaimInvalid(_("The period cannot end in the future."), "period_end")
    if end - start > LONGEST_PERIOD:
        raise ClaimInvalid(_("A claimed period can last at most 31 days."), "period_end")
    if incident_span is None:
        return
    first, last = incident_span
    if end <= first - PERIOD_SLACK or start >= last + PERIOD_SLACK:
        raise ClaimInvalid(_("This period lies outside the incident."), "period_start")
