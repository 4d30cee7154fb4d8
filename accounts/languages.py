"""The languages hostnotify speaks — letters, portal, status pages, imports, the API: one list.

Django's ``LANGUAGES`` setting, the choices of every language field, the
CSV import's check, the letters' and status updates' languages all derive from it. Adding a
language here also needs its gettext catalogue (``locale/``) and its letter templates.
"""

from django.utils.translation import gettext_lazy as _

LANGUAGES = (("de", _("German")), ("fr", _("French")), ("it", _("Italian")), ("en", _("English")))
LANGUAGE_CODES = tuple(code for code, _name in LANGUAGES)
DEFAULT_LANGUAGE = "de"
