"""Who the mails come from: the provider's name, address, company number and support contact
(settings), and its logo (a file staff upload in the console, kept under ``MEDIA_ROOT``)."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from email.utils import parseaddr
from pathlib import Path

from django.conf import settings

from accounts.links import absolute_url

LOGO_TYPES = {
    b"\x89PNG\r\n\x1a\n": ("png", "image/png"),
    b"\xff\xd8\xff": ("jpg", "image/jpeg"),
    b"GIF8": ("gif", "image/gif"),
}
LOGO_MAX_BYTES = 300_000


class LogoInvalid(Exception):
    """Not a PNG, JPEG or GIF file, or too large for a mail."""


@dataclass(frozen=True)
class Brand:
    name: str
    address: str
    company_number: str
    support_email: str
    support_phone: str
    logo_url: str  # "" without an uploaded logo


def _logo_dir() -> Path:
    return Path(settings.MEDIA_ROOT) / "branding"


def logo_file() -> tuple[Path, str] | None:
    """The uploaded logo and its content type, or None."""
    folder = _logo_dir()
    for _magic, (extension, content_type) in LOGO_TYPES.items():
        path = folder / f"logo.{extension}"
        if path.is_file():
            return path, content_type
    return None


def logo_save(*, data: bytes) -> Path:
    """Store an uploaded logo (PNG, JPEG or GIF, at most ``LOGO_MAX_BYTES``), replacing the previous one."""
    if len(data) > LOGO_MAX_BYTES:
        raise LogoInvalid(f"the logo is larger than {LOGO_MAX_BYTES // 1000} kB")
    kind = next((kind for magic, kind in LOGO_TYPES.items() if data.startswith(magic)), None)
    if kind is None:
        raise LogoInvalid("the logo must be a PNG, JPEG or GIF image")
    folder = _logo_dir()
    folder.mkdir(parents=True, exist_ok=True)
    for extension, _type in LOGO_TYPES.values():
        (folder / f"logo.{extension}").unlink(missing_ok=True)
    path = folder / f"logo.{kind[0]}"
    path.write_bytes(data)
    return path


def logo_remove() -> None:
    for extension, _type in LOGO_TYPES.values():
        (_logo_dir() / f"logo.{extension}").unlink(missing_ok=True)


def current_brand() -> Brand:
    """Read for each batch of letters (a file check, no query)."""
    product = settings.HOSTNOTIFY
    logo = logo_file()
    # The version in the URL changes with the file, so a mail client never shows an old logo.
    logo_url = absolute_url("brand_logo", query={"v": int(logo[0].stat().st_mtime)}) if logo else ""
    return Brand(
        name=product["BRAND_NAME"],
        address=product.get("BRAND_ADDRESS", ""),
        company_number=product.get("BRAND_COMPANY_NUMBER", ""),
        support_email=product.get("SUPPORT_EMAIL") or parseaddr(settings.DEFAULT_FROM_EMAIL)[1],
        support_phone=product.get("SUPPORT_PHONE", ""),
        logo_url=logo_url,
    )


def pdf_brand() -> dict[str, str]:
    """The header of the provider's PDF reports: name, address, company number and the logo as a
    data URI (WeasyPrint then needs neither a URL resolver nor the running site)."""
    product = settings.HOSTNOTIFY
    found = logo_file()
    logo = ""
    if found is not None:
        path, content_type = found
        logo = f"data:{content_type};base64,{base64.b64encode(path.read_bytes()).decode('ascii')}"
    return {
        "name": product["BRAND_NAME"],
        "address": product.get("BRAND_ADDRESS", ""),
        "company_number": product.get("BRAND_COMPANY_NUMBER", ""),
        "logo": logo,
    }
