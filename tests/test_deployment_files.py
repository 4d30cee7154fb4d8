"""docker-compose.yml cannot run here (no Docker engine): check it by reading."""

import os
import re
import runpy
import subprocess
import sys
from pathlib import Path

import environ
import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent


def compose():
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_compose_has_the_services_with_health_checks():
    services = compose()["services"]
    assert set(services) == {"web", "status", "worker", "beat", "db", "redis", "mailpit"}
    for name, service in services.items():
        assert "healthcheck" in service, name
    assert "gunicorn hostnotify.wsgi" in services["web"]["command"]
    assert services["worker"]["command"].startswith("celery -A hostnotify worker")
    assert "send" in services["worker"]["command"] and "pdf" in services["worker"]["command"]
    assert services["beat"]["command"].startswith("celery -A hostnotify beat")
    for app in ("web", "worker", "beat"):
        assert services[app]["depends_on"] == {
            "db": {"condition": "service_healthy"},
            "redis": {"condition": "service_healthy"},
        }


def test_compose_environment_points_at_its_own_services_and_known_settings():
    services = compose()["services"]
    env = services["web"]["environment"]
    assert env["DATABASE_URL"].split("@")[1].startswith("db:5432/")
    assert env["REDIS_URL"].startswith("redis://redis:6379")
    assert env["EMAIL_HOST"] == "mailpit"
    # every variable the app containers get is one the settings read
    settings_source = (ROOT / "hostnotify" / "settings.py").read_text()
    read = set(re.findall(r'env\.\w+\(\s*"([A-Z_]+)"', settings_source)) | {"DATABASE_URL"}
    read |= {"OWNER_DATABASE_URL"}  # read by web's command: migrate as the owner
    for name in env:
        assert name in read or name.startswith("ANYMAIL_"), f"{name} is not read by hostnotify/settings.py"
    # the URLs parse the way django-environ will parse them
    assert (
        environ.Env.db_url_config(re.sub(r"\$\{APP_DB_PASSWORD:\?[^}]*\}", "pw", env["DATABASE_URL"]))["HOST"] == "db"
    )
    assert set(compose()["volumes"]) == {"pgdata", "media"}


def test_ci_runs_the_readme_test_command():
    ci = (ROOT / ".ci" / "run").read_text()
    readme = (ROOT / "README.md").read_text()
    assert "make test" in ci and "make test" in readme and "make demo" in readme
    assert "libharfbuzz-subset0" in ci and "chromium" in ci


def test_compose_requires_the_secrets_from_the_environment():
    # given the compose file as shipped: no default a reader could copy into production
    env = compose()["services"]["web"]["environment"]
    for name in ("SECRET_KEY", "ANYMAIL_WEBHOOK_SECRET"):
        assert env[name].startswith("${" + name + ":?"), f"{name} must be required (${{{name}:?…}}), not defaulted"
    text = (ROOT / "docker-compose.yml").read_text()
    assert "change-me-to-a-long-random-string" not in text
    assert "hostnotify:change-me" not in text


def gunicorn_settings(**env):
    """The shipped gunicorn configuration as gunicorn reads it, under the environment ``env``."""
    from gunicorn.config import Config

    saved = {name: os.environ.get(name) for name in [*env, "DATABASE_STATEMENT_TIMEOUT"]}
    os.environ.update(env)
    try:
        namespace = runpy.run_path(str(ROOT / "hostnotify" / "gunicorn.conf.py"))
        statement_timeout = os.environ.get("DATABASE_STATEMENT_TIMEOUT")
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
    config = Config()
    for name, value in namespace.items():
        if name in config.settings:
            config.set(name, value)
    return config, statement_timeout


def test_web_server_runs_threads_with_timeouts_so_a_slow_page_cannot_starve_the_others():
    # given the shipped configuration on a machine with no overrides
    config, statement_timeout = gunicorn_settings()
    # then: threaded workers, several of them, and every request bounded
    assert config.worker_class_str == "gthread"
    assert config.threads == 8
    assert config.workers >= 2
    assert config.timeout == 30 and config.keepalive == 5
    assert statement_timeout == "30000"
    # and the operator can size it
    config, _ = gunicorn_settings(WEB_WORKERS="5", WEB_THREADS="12", WEB_BIND="127.0.0.1:9000")
    assert (config.workers, config.threads, config.bind) == (5, 12, ["127.0.0.1:9000"])


def test_every_way_of_serving_uses_the_shipped_web_server_configuration():
    command = compose()["services"]["web"]["command"]
    assert "gunicorn hostnotify.wsgi --config hostnotify/gunicorn.conf.py" in command
    assert "--workers" not in command
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert 'CMD ["gunicorn", "hostnotify.wsgi", "--config", "hostnotify/gunicorn.conf.py"]' in dockerfile
    assert "--config hostnotify/gunicorn.conf.py" in (ROOT / "README.md").read_text()
    # the status page has processes of its own, started the same way, after web has migrated
    status = compose()["services"]["status"]
    assert status["command"].startswith("gunicorn hostnotify.wsgi --config hostnotify/gunicorn.conf.py")
    assert status["depends_on"]["web"] == {"condition": "service_healthy"}
    assert status["ports"] == ["8001:8000"] and "/status/" in status["healthcheck"]["test"][-1]
    web_env = compose()["services"]["web"]["environment"]
    assert status["environment"] == {k: v for k, v in web_env.items() if k != "OWNER_DATABASE_URL"}
    # PostgreSQL has room for every web thread's connection
    assert compose()["services"]["db"]["command"] == ["postgres", "-c", "max_connections=200"]


@pytest.mark.postgres
def test_the_statement_timeout_reaches_postgresql():
    # given a process started as the web server starts it (DATABASE_STATEMENT_TIMEOUT set)
    script = (
        "import django; django.setup(); from django.db import connection; c = connection.cursor(); "
        "c.execute('SHOW statement_timeout'); print(c.fetchone()[0])"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "hostnotify.settings", "DEBUG": "1"}
    shown = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env={**env, "DATABASE_STATEMENT_TIMEOUT": "1500"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    # then PostgreSQL holds the web process's statements to it …
    assert shown.stdout.strip() == "1500ms", shown.stderr
    # … and other processes (Celery, commands) have no limit
    env.pop("DATABASE_STATEMENT_TIMEOUT", None)
    shown = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert shown.stdout.strip() == "0", shown.stderr


def test_compose_runs_the_application_as_a_role_that_owns_nothing():
    services = compose()["services"]
    # the application connects as hostnotify_app; only web's migrate step uses the owner
    for app in ("web", "worker", "beat"):
        url = services[app]["environment"]["DATABASE_URL"]
        assert environ.Env.db_url_config(re.sub(r"\$\{[^}]*\}", "pw", url))["USER"] == "hostnotify_app", app
    assert "OWNER_DATABASE_URL" in services["web"]["environment"]
    assert "OWNER_DATABASE_URL" not in services["worker"]["environment"]
    assert services["web"]["command"].startswith('sh -c "DATABASE_URL=$$OWNER_DATABASE_URL python manage.py migrate')
    assert "unset OWNER_DATABASE_URL" in services["web"]["command"]
    # the database creates the role on first start with the shipped script; no default passwords
    db = services["db"]
    assert "./deploy/postgres/init-roles.sql:/docker-entrypoint-initdb.d/10-init-roles.sql:ro" in db["volumes"]
    assert db["environment"]["POSTGRES_USER"] == "hostnotify"
    for name in ("POSTGRES_PASSWORD", "APP_DB_PASSWORD"):
        assert db["environment"][name].startswith("${" + name + ":?"), name
    script = (ROOT / "deploy" / "postgres" / "init-roles.sql").read_text()
    assert "\\getenv app_password APP_DB_PASSWORD" in script
    grants = [line for line in script.splitlines() if line.startswith(("GRANT", "ALTER DEFAULT"))]
    assert grants and not any(word in line for line in grants for word in ("TRUNCATE", "TRIGGER", "ALL PRIVILEGES"))
