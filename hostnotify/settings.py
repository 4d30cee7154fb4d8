"""Settings for hostnotify, read from environment variables with embedded defaults.

Without any environment the project runs self-contained: SQLite under ``var/``, Celery tasks
executed in-process and mail written as ``.eml`` files under ``var/mail/``. Setting
``DATABASE_URL`` and ``REDIS_URL`` switches to PostgreSQL and real Celery workers.
"""

from pathlib import Path
from typing import Literal

import environ

from accounts.languages import LANGUAGES as HOSTNOTIFY_LANGUAGES

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(environ.Env().str("HOSTNOTIFY_VAR_DIR", default=str(BASE_DIR / "var")))

VAR_DIR.mkdir(parents=True, exist_ok=True)
env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=False)
# Unset or empty: a public development key, refused with DEBUG off (hostnotify/checks.py).
SECRET_KEY = env.str("SECRET_KEY", default="") or "insecure-dev-key-change-me-" + "x" * 32
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "modeltranslation",  # before the admin, which it extends
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "django_celery_beat",
    "anymail",
    "ninja",  # the HTTP API; listed so its docs page serves its own Swagger UI files, no CDN
    "axes",
    "accounts",
    "campaigns",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "axes.middleware.AxesMiddleware",  # last: answers a locked-out staff sign-in
]
# The HTTP API authenticates with tokens (scope, rate limit and the audit log's actor in
# campaigns/api/auth.py), not with sessions: the shipped WSGI application (hostnotify/wsgi.py)
# serves paths under API_PATH_PREFIX through this lean stack instead of MIDDLEWARE.
API_PATH_PREFIX = "/api/"
# The public status pages: answered from the cache in front of MIDDLEWARE (campaigns/status/edge.py).
STATUS_PATH_PREFIX = "/status/"
API_MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.locale.LocaleMiddleware",  # problem details in the Accept-Language asked for
]

ROOT_URLCONF = "hostnotify.urls"
WSGI_APPLICATION = "hostnotify.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
# DATABASE_URL set but empty (``DATABASE_URL= make demo``) means the default, as REDIS_URL does
DATABASE_URL = env.str("DATABASE_URL", default="") or f"sqlite:///{VAR_DIR / 'hostnotify.sqlite3'}"
DATABASES = {"default": env.db_url_config(DATABASE_URL)}
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # Concurrent writers (several web workers, the scheduler): a write-ahead log so readers never
    # block, immediate transactions so a writer waits for the lock up front (busy timeout, in
    # seconds) instead of failing with "database is locked" when it upgrades a read lock.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "timeout": 30,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            "transaction_mode": "IMMEDIATE",
        }
    )
else:
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
    DATABASES["default"].setdefault("CONN_HEALTH_CHECKS", True)
    # Web processes bound every statement (hostnotify/gunicorn.conf.py sets it); 0 = no limit.
    STATEMENT_TIMEOUT_MS = env.int("DATABASE_STATEMENT_TIMEOUT", default=0)
    if STATEMENT_TIMEOUT_MS:
        DATABASES["default"].setdefault("OPTIONS", {})["options"] = f"-c statement_timeout={STATEMENT_TIMEOUT_MS}"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache (Redis when configured: shared rate limits and page cache across workers) ---------
REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "accounts.private_apis.RedisCache",  # Django's, reusing its redis clients
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "hostnotify",
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- Auth and sessions -----------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Staff sign-in (console and admin): django-axes counts failures per user name and per client
# address (accounts.client_address, the real one behind TRUSTED_PROXY_COUNT proxies) and locks
# for AXES_COOLOFF_HOURS after AXES_FAILURE_LIMIT of them; `manage.py axes_reset_username` unlocks.
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "django.contrib.auth.backends.ModelBackend"]
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = env.float("AXES_COOLOFF_HOURS", default=1.0)
AXES_LOCKOUT_PARAMETERS = ["ip_address", "username"]
AXES_CLIENT_IP_CALLABLE = "accounts.client_address.client_address"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "console/login_locked.html"
AXES_VERBOSE = False
LOGIN_URL = "console:login"
LOGIN_REDIRECT_URL = "console:home"
LOGOUT_REDIRECT_URL = "console:login"

SECURE = env.bool("SECURE", default=not DEBUG and SITE_URL.startswith("https://"))
SESSION_COOKIE_SECURE = SECURE
CSRF_COOKIE_SECURE = SECURE
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=8 * 3600)
# Sessions are read on every portal page: from the cache, written through to the database (a
# restarted cache signs nobody out).
SESSION_ENGINE = "accounts.session_store"  # cached_db, new keys drawn without a look-up first
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=SECURE)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000 if SECURE else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE
SECURE_HSTS_PRELOAD = SECURE
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if SECURE else None
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# --- Internationalisation: de/fr/it/en, Swiss formats ----------------------------------------
LANGUAGE_CODE = env.str("LANGUAGE_CODE", default="de")
LANGUAGES = list(HOSTNOTIFY_LANGUAGES)  # accounts/languages.py: the one list
# Translated model fields (django-modeltranslation): an incident's title and description in the four
# languages; a missing one falls back to the incident's default language (campaigns/incidents/translation.py).
MODELTRANSLATION_LANGUAGES = tuple(code for code, _name in HOSTNOTIFY_LANGUAGES)
MODELTRANSLATION_DEFAULT_LANGUAGE = "de"
MODELTRANSLATION_FALLBACK_LANGUAGES = MODELTRANSLATION_LANGUAGES
MODELTRANSLATION_TRANSLATION_FILES = ("campaigns.incidents.translation",)
LOCALE_PATHS = [BASE_DIR / "locale"]
FORMAT_MODULE_PATH = ["hostnotify.formats"]
TIME_ZONE = "Europe/Zurich"  # display default; storage is always UTC
USE_I18N = True
USE_TZ = True
DEFAULT_CUSTOMER_TIME_ZONE = "Europe/Zurich"

# --- Static and media ------------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
WHITENOISE_USE_FINDERS = True  # static files work before collectstatic (tests, first start)
WHITENOISE_ROOT = BASE_DIR / "static" / "root"  # /favicon.ico, served at the site root
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "media/"
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(VAR_DIR / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

# --- Mail ------------------------------------------------------------------------------------
# Default: .eml files under var/mail/. EMAIL_BACKEND may name any Django or anymail backend,
# e.g. "anymail.backends.postmark.EmailBackend" with ANYMAIL_* variables for its credentials.
EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="hostnotify.mail.EmlFileBackend")
EMAIL_FILE_PATH = Path(env.str("EMAIL_FILE_PATH", default=str(VAR_DIR / "mail")))
EMAIL_HOST = env.str("EMAIL_HOST", default="127.0.0.1")
EMAIL_PORT = env.int("EMAIL_PORT", default=1025)
EMAIL_HOST_USER = env.str("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env.str("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=30)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Hostnotify Support <support@example.ch>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
ANYMAIL = {
    "WEBHOOK_SECRET": env.str("ANYMAIL_WEBHOOK_SECRET", default="") or "hostnotify:webhook-secret",
    **{
        key[len("ANYMAIL_") :]: value
        for key, value in env.ENVIRON.items()
        if key.startswith("ANYMAIL_") and key != "ANYMAIL_WEBHOOK_SECRET"
    },
}
# Which ESP's tracking webhook to mount under /anymail/ (anymail module name, e.g. "postmark").
ANYMAIL_ESP = env.str("HOSTNOTIFY_ESP", default="postmark")

# --- Celery ----------------------------------------------------------------------------------
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = None
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=not REDIS_URL)
CELERY_TASK_EAGER_PROPAGATES = True
# A task not acknowledged within this time is delivered again; delays longer than half of it wait
# in the database for a periodic task instead (campaigns.mailings.recovery).
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=3600)}

# --- Product settings ------------------------------------------------------------------------
HOSTNOTIFY = {
    "BRAND_NAME": env.str("BRAND_NAME", default="Hostnotify Hosting AG"),
    # The footer of every mail (the logo is uploaded in the console: "Look of the mails").
    "BRAND_ADDRESS": env.str("BRAND_ADDRESS", default="Bahnhofstrasse 1, 8001 Zürich"),
    "BRAND_COMPANY_NUMBER": env.str("BRAND_COMPANY_NUMBER", default="CHE-123.456.789"),
    "SUPPORT_EMAIL": env.str("SUPPORT_EMAIL", default=""),  # empty: the address of DEFAULT_FROM_EMAIL
    "SUPPORT_PHONE": env.str("SUPPORT_PHONE", default="+41 44 000 00 00"),
    "VOUCHER_VALID_DAYS": env.int("VOUCHER_VALID_DAYS", default=365),
    # Render voucher PDFs in the background right after approval. Without a worker
    # (embedded mode) they are rendered on first use instead of blocking the approval.
    "VOUCHER_PDF_PRERENDER": env.bool("VOUCHER_PDF_PRERENDER", default=bool(REDIS_URL)),
    "MAIL_BATCH_SIZE": env.int("MAIL_BATCH_SIZE", default=200),
    "MAIL_RATE_PER_SECOND": env.float("MAIL_RATE_PER_SECOND", default=0),
    "MAIL_AUTO_PAUSE_ERROR_RATE": env.float("MAIL_AUTO_PAUSE_ERROR_RATE", default=0.2),
    # --- finance: accounting journal accounts, voucher expiry reminders ---
    "ACCOUNTS": {
        "EXPENSE": env.str("HOSTNOTIFY_ACCOUNT_EXPENSE", default="3800"),  # compensation granted
        "LIABILITY": env.str("HOSTNOTIFY_ACCOUNT_LIABILITY", default="2035"),  # vouchers outstanding
        "EXPIRED": env.str("HOSTNOTIFY_ACCOUNT_EXPIRED", default="3805"),  # released by expiry
        "BALANCE": env.str("HOSTNOTIFY_ACCOUNT_BALANCE", default="2030"),  # customer credit balance
        "EXTENSION": env.str("HOSTNOTIFY_ACCOUNT_EXTENSION", default="2032"),  # service extension owed
        "PARTNER": env.str("HOSTNOTIFY_ACCOUNT_PARTNER", default="2033"),  # partner vouchers owed
        "DONATION": env.str("HOSTNOTIFY_ACCOUNT_DONATION", default="2034"),  # donations to pass on
    },
    "VOUCHER_REMINDER_DAYS": env.int("VOUCHER_REMINDER_DAYS", default=30),  # 0: no reminder mails
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="WARNING")},
    # In-process Celery (no REDIS_URL) has no broker host; kombu would warn about that on every run.
    "loggers": {} if REDIS_URL else {"kombu.connection": {"level": "ERROR"}},
}

# Portal magic links: valid this many seconds, and only until the contact next signs in.
MAGIC_LINK_MAX_AGE = env.int("MAGIC_LINK_MAX_AGE", default=30 * 24 * 3600)

# --- Sending engine ----------------------------------------------------------------
HOSTNOTIFY.update(
    {
        # Deliveries left "sending" longer than this had their worker die (task_time_limit is 300 s).
        "MAIL_SENDING_LEASE_SECONDS": env.int("MAIL_SENDING_LEASE_SECONDS", default=600),
        # A batch stops handing over after this long and leaves the rest to a fresh task, so a
        # throttled batch ends well within the Celery task time limit (300 s).
        "MAIL_BATCH_TIME_BUDGET_SECONDS": env.int("MAIL_BATCH_TIME_BUDGET_SECONDS", default=120),
        # Temporary failures (429, 5xx, network) before a delivery is given up as failed.
        "MAIL_MAX_ATTEMPTS": env.int("MAIL_MAX_ATTEMPTS", default=8),
        # Domain of the deterministic Message-ID set per delivery attempt.
        "MAIL_MESSAGE_ID_DOMAIN": env.str("MAIL_MESSAGE_ID_DOMAIN", default="hostnotify.invalid"),
        # Dotted path of a callable(message_ids) -> ids the receiving end holds; empty: none,
        # deliveries a dead worker left behind stay "unknown" for staff to retry.
        "MAIL_RECONCILER": env.str("MAIL_RECONCILER", default=""),
        # A delivery is put to the reconciler once it has been in doubt this long: an ESP's message
        # search lists a message only some time after taking it (not listed yet = sent again).
        # 30 s plus the sweep's 15 s keeps a letter the ESP never took going again within a minute.
        "MAIL_RECONCILE_AFTER_SECONDS": env.int("MAIL_RECONCILE_AFTER_SECONDS", default=30),
        # ESP batch sending (anymail backends only): recipients per API call, 0 = one call per
        # message; and the ESP's merge-field syntax the rendered subject/text/html are put into.
        "MAIL_MERGE_BATCH_SIZE": env.int("MAIL_MERGE_BATCH_SIZE", default=0),
        "MAIL_MERGE_FIELD_FORMAT": env.str("MAIL_MERGE_FIELD_FORMAT", default="{{%s}}"),
    }
)


# --- Customer portal ---------------------------------------------------------------
# Rate limits: wrong voucher codes per customer and per client address; sign-in mails and
# password attempts per e-mail address and per client address. One generic error when hit.
HOSTNOTIFY.update(
    {
        "PORTAL_CODE_ATTEMPTS": env.int("PORTAL_CODE_ATTEMPTS", default=5),
        "PORTAL_CODE_WINDOW": env.int("PORTAL_CODE_WINDOW", default=15 * 60),
        "PORTAL_SIGNIN_ATTEMPTS": env.int("PORTAL_SIGNIN_ATTEMPTS", default=5),
        "PORTAL_SIGNIN_WINDOW": env.int("PORTAL_SIGNIN_WINDOW", default=60 * 60),
        # Bad sign-in links per client address and window before every link answers "invalid".
        "PORTAL_LINK_ATTEMPTS": env.int("PORTAL_LINK_ATTEMPTS", default=10),
    }
)
PORTAL_PASSWORD_RESET_MAX_AGE = env.int("PORTAL_PASSWORD_RESET_MAX_AGE", default=3600)
LANGUAGE_COOKIE_SECURE = SECURE
LANGUAGE_COOKIE_HTTPONLY = True
LANGUAGE_COOKIE_SAMESITE: Literal["Lax", "Strict", "None", False] | None = "Lax"

# --- Public status page ------------------------------------------------------------
# Seconds a rendered status page or feed is cached server-side and by browsers/proxies; 0 disables.
HOSTNOTIFY["STATUS_CACHE_SECONDS"] = env.int("STATUS_CACHE_SECONDS", default=30)
# Seconds a customer's rendered portal page body is cached (campaigns/portal/page_cache.py); the
# services that change what a customer sees invalidate it at once (accounts.portal_version); 0 disables.
HOSTNOTIFY["PORTAL_CACHE_SECONDS"] = env.int("PORTAL_CACHE_SECONDS", default=600)

# --- Client address behind reverse proxies (accounts.client_address) -------------------------
# How many proxies of ours stand in front of Django, and the header they append the client to.
# 0: REMOTE_ADDR is the client. Every rate limit and the staff sign-in lockout count by it.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
TRUSTED_PROXY_HEADER = "HTTP_" + env.str("TRUSTED_PROXY_HEADER", default="X-Forwarded-For").upper().replace("-", "_")

# --- Claims (campaigns.claims) -------------------------------------------------------------
HOSTNOTIFY.update(
    {
        # Support answers a claim within this many hours; the queue shows each claim's age against it.
        "CLAIM_TARGET_ANSWER_HOURS": env.int("CLAIM_TARGET_ANSWER_HOURS", default=48),
        # Claims a customer may file per window (and per client address), attachments per claim and size.
        "CLAIM_FILE_LIMIT": env.int("CLAIM_FILE_LIMIT", default=5),
        "CLAIM_FILE_WINDOW": env.int("CLAIM_FILE_WINDOW", default=24 * 3600),
        "CLAIM_ATTACHMENTS_MAX": env.int("CLAIM_ATTACHMENTS_MAX", default=3),
        "CLAIM_ATTACHMENT_MAX_BYTES": env.int("CLAIM_ATTACHMENT_MAX_BYTES", default=5 * 1024 * 1024),
    }
)

# --- HTTP API ----------------------------------------------------------------------
HOSTNOTIFY.update(
    {
        # Requests per minute and token (a token may set its own); counted in the Django cache.
        "API_RATE_LIMIT_PER_MINUTE": env.int("API_RATE_LIMIT_PER_MINUTE", default=1200),
        "API_TOKEN_VALID_DAYS": env.int("API_TOKEN_VALID_DAYS", default=365),
        "API_PAGE_SIZE": env.int("API_PAGE_SIZE", default=100),
        # Days the first answer to an Idempotency-Key is kept for retries (purged hourly).
        "API_IDEMPOTENCY_DAYS": env.int("API_IDEMPOTENCY_DAYS", default=7),
        # Alertmanager labels naming the server or storage volume an alert is about (first found
        # wins; a value "host:port" also matches the server "host"), and the label that groups
        # alerts into one incident.
        "ALERT_SERVER_LABELS": env.list("ALERT_SERVER_LABELS", default=["server", "instance"]),
        "ALERT_VOLUME_LABELS": env.list("ALERT_VOLUME_LABELS", default=["volume", "storage_volume"]),
        "ALERT_GROUP_LABEL": env.str("ALERT_GROUP_LABEL", default="incident"),
    }
)
