"""``manage.py check --deploy`` is clean with production settings."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.slow
def test_check_deploy_is_clean_with_production_settings(tmp_path):
    env = {
        **{k: v for k, v in os.environ.items() if k not in {"DEBUG", "SECURE", "SECRET_KEY", "DJANGO_SETTINGS_MODULE"}},
        "SECURE": "1",
        "DEBUG": "0",
        "SECRET_KEY": "k7#Vq2!pX9zR@m4Lw8sT^e3Yb6Nf1Hd5Gj0Uc%Ao*Ki&Zr$Pv-Qx+Ew=Ty(Ml)Bn",
        "ALLOWED_HOSTS": "portal.example.ch",
        "SITE_URL": "https://portal.example.ch",
        "HOSTNOTIFY_VAR_DIR": str(tmp_path),
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_production_settings_secure_the_cookies(tmp_path):
    env = {**os.environ, "SECURE": "1", "DEBUG": "0", "HOSTNOTIFY_VAR_DIR": str(tmp_path)}
    code = (
        "import django, os; os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'hostnotify.settings'); django.setup();"
        "from django.conf import settings as s;"
        "print(s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.LANGUAGE_COOKIE_SECURE, s.SESSION_COOKIE_HTTPONLY,"
        " s.SESSION_COOKIE_SAMESITE, s.SECURE_SSL_REDIRECT, s.SECURE_HSTS_SECONDS > 0)"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert result.stdout.split() == ["True", "True", "True", "True", "Lax", "True", "True"], result.stderr
