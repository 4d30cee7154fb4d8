"""
WSGI config for hostnotify project: ``application``, what gunicorn serves.

Pages go through ``settings.MIDDLEWARE``; the HTTP API under ``/api/`` through the lean
``settings.API_MIDDLEWARE`` (``hostnotify.handlers``).

For more information on this file, see
https://docs.djangoproject.com/en/5.2/howto/deployment/wsgi/
"""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hostnotify.settings")

get_wsgi_application()  # django.setup()

from hostnotify.checks import refuse_unsafe_secrets  # noqa: E402 - needs the apps loaded
from hostnotify.handlers import wsgi_application  # noqa: E402

refuse_unsafe_secrets()
application = wsgi_application()
