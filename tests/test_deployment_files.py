"""docker-compose.yml cannot run here (no Docker engine): check it by reading."""

import re
from pathlib import Path

import environ
import yaml

ROOT = Path(__file__).resolve().parent.parent


def compose():
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_compose_has_the_services_with_health_checks():
    services = compose()["services"]
    assert set(services) == {"web", "worker", "beat", "db", "redis", "mailpit"}
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
    for name in env:
        assert name in read or name.startswith("ANYMAIL_"), f"{name} is not read by hostnotify/settings.py"
    # the URLs parse the way django-environ will parse them
    assert (
        environ.Env.db_url_config(env["DATABASE_URL"].replace("${POSTGRES_PASSWORD:-hostnotify}", "pw"))["HOST"] == "db"
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
