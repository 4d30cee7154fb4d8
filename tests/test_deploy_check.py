"""``manage.py check --deploy`` is clean with production settings, and fails closed on secrets
anyone can know (missing, short, or a published default)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
STRONG_KEY = "k7#Vq2!pX9zR@m4Lw8sT^e3Yb6Nf1Hd5Gj0Uc%Ao*Ki&Zr$Pv-Qx+Ew=Ty(Ml)Bn"
STRONG_WEBHOOK = "esp-hooks:Jx8pQ2vLw9ZrT4mKc7Yb3NfD"
UNSET = object()


def run(args: list[str], tmp_path, **overrides) -> subprocess.CompletedProcess:
    env = {
        **{
            k: v
            for k, v in os.environ.items()
            if k not in {"DEBUG", "SECURE", "SECRET_KEY", "ANYMAIL_WEBHOOK_SECRET", "DJANGO_SETTINGS_MODULE"}
        },
        "SECURE": "1",
        "DEBUG": "0",
        "SECRET_KEY": STRONG_KEY,
        "ANYMAIL_WEBHOOK_SECRET": STRONG_WEBHOOK,
        "ALLOWED_HOSTS": "portal.example.ch",
        "SITE_URL": "https://portal.example.ch",
        "HOSTNOTIFY_VAR_DIR": str(tmp_path),
    }
    for name, value in overrides.items():
        if value is UNSET:
            env.pop(name, None)
        else:
            env[name] = value
    return subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)


def check_deploy(tmp_path, **overrides) -> subprocess.CompletedProcess:
    return run([sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"], tmp_path, **overrides)


@pytest.mark.slow
def test_check_deploy_is_clean_with_production_settings(tmp_path):
    result = check_deploy(tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


@pytest.mark.slow
@pytest.mark.parametrize(
    ("overrides", "error"),
    [
        ({"SECRET_KEY": UNSET}, "hostnotify.E001) SECRET_KEY is not safe: it is a published default."),
        ({"SECRET_KEY": ""}, "hostnotify.E001) SECRET_KEY is not safe: it is a published default."),
        ({"SECRET_KEY": "short-but-random-Q8x"}, "hostnotify.E001) SECRET_KEY is not safe: it is shorter than 50"),
        (
            {"SECRET_KEY": "change-me-to-a-long-random-string-in-production-0123456789"},
            "hostnotify.E001) SECRET_KEY is not safe: it is a published default.",
        ),
        (
            {"ANYMAIL_WEBHOOK_SECRET": UNSET},
            "hostnotify.E002) ANYMAIL_WEBHOOK_SECRET is not safe: it is a published default.",
        ),
        (
            {"ANYMAIL_WEBHOOK_SECRET": "hostnotify:change-me"},
            "hostnotify.E002) ANYMAIL_WEBHOOK_SECRET is not safe: it is a published default.",
        ),
        ({"ANYMAIL_WEBHOOK_SECRET": "esp:short"}, "hostnotify.E002) ANYMAIL_WEBHOOK_SECRET is not safe: it is shorter"),
    ],
)
def test_check_deploy_fails_on_a_secret_anyone_can_know(tmp_path, overrides, error):
    result = check_deploy(tmp_path, **overrides)
    assert result.returncode == 1
    assert "SystemCheckError" in result.stderr
    assert error in result.stderr


@pytest.mark.slow
def test_startup_refuses_the_default_secrets_with_debug_off(tmp_path):
    # migrate runs the checks: the container's first command stops before touching the database
    migrate = run([sys.executable, "manage.py", "migrate", "--plan"], tmp_path, SECRET_KEY=UNSET)
    assert migrate.returncode == 1
    assert "hostnotify.E001" in migrate.stderr
    # gunicorn imports the WSGI application: it refuses to build
    wsgi = run([sys.executable, "-c", "import hostnotify.wsgi"], tmp_path, ANYMAIL_WEBHOOK_SECRET=UNSET)
    assert wsgi.returncode == 1
    assert "ImproperlyConfigured: ANYMAIL_WEBHOOK_SECRET is not safe: it is a published default." in wsgi.stderr


@pytest.mark.slow
@pytest.mark.parametrize(
    ("process", "overrides", "error"),
    [
        (["worker", "-P", "solo"], {"SECRET_KEY": UNSET}, "SECRET_KEY is not safe: it is a published default."),
        (["worker", "-P", "solo"], {"SECRET_KEY": "short-but-random-Q8x"}, "SECRET_KEY is not safe: it is shorter"),
        (["worker", "-P", "solo"], {"ANYMAIL_WEBHOOK_SECRET": "hostnotify:change-me"}, "ANYMAIL_WEBHOOK_SECRET is not"),
        (["beat", "--pidfile=", "-s", "{tmp}/beat-schedule"], {"SECRET_KEY": UNSET}, "SECRET_KEY is not safe"),
    ],
)
def test_celery_worker_and_beat_refuse_a_secret_anyone_can_know(transactional_db, tmp_path, process, overrides, error):
    # started as docker-compose starts them, on this test's database (beat's scheduler reads it
    # first); a worker that took tasks would sign sign-in links with the public key
    from tests.campaigns.mailings.loopback import database_url

    args = [arg.replace("{tmp}", str(tmp_path)) for arg in process]
    command = [sys.executable, "-m", "celery", "-A", "hostnotify", *args, "-l", "INFO"]
    result = run(command, tmp_path, DATABASE_URL=database_url(), **overrides)
    assert result.returncode == 1, result.stdout + result.stderr
    assert f"hostnotify: refusing to start: {error}" in result.stderr
    assert "celery@" not in result.stdout + result.stderr  # a worker never got as far as its banner
    assert "Scheduler: Sending due task" not in result.stdout + result.stderr  # beat sent nothing


@pytest.mark.slow
def test_debug_runs_without_any_secret_like_make_demo(tmp_path):
    result = run(
        [sys.executable, "manage.py", "check"], tmp_path, DEBUG="1", SECURE="0", SECRET_KEY=UNSET,
        ANYMAIL_WEBHOOK_SECRET=UNSET, SITE_URL="http://127.0.0.1:8000",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


def test_production_settings_secure_the_cookies(tmp_path):
    code = (
        "import django, os; os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'hostnotify.settings'); django.setup();"
        "from django.conf import settings as s;"
        "print(s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.LANGUAGE_COOKIE_SECURE, s.SESSION_COOKIE_HTTPONLY,"
        " s.SESSION_COOKIE_SAMESITE, s.SECURE_SSL_REDIRECT, s.SECURE_HSTS_SECONDS > 0)"
    )
    result = run([sys.executable, "-c", code], tmp_path)
    assert result.stdout.split() == ["True", "True", "True", "True", "Lax", "True", "True"], result.stderr


@pytest.mark.slow
def test_an_empty_database_url_means_the_embedded_default_like_an_empty_redis_url(tmp_path):
    # `DATABASE_URL= REDIS_URL= make demo`, as the README forces SQLite for `make test`
    result = run(
        [sys.executable, "manage.py", "shell", "-c", "from django.db import connection; print(connection.vendor)"],
        tmp_path, DEBUG="1", SECURE="0", SECRET_KEY=UNSET, ANYMAIL_WEBHOOK_SECRET=UNSET,
        SITE_URL="http://127.0.0.1:8000", DATABASE_URL="", REDIS_URL="",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "sqlite"
