"""The Alertmanager webhook receiver: ``POST /api/v1/alerts/alertmanager/``.

Configure Alertmanager's ``webhook_config`` with ``url: https://…/api/v1/alerts/alertmanager/``
and ``http_config.authorization.credentials: <token>`` (or append ``?token=<token>`` to the URL).
The token needs the ``incidents`` scope.
"""

from __future__ import annotations

from ninja import Router, Schema
from pydantic import ConfigDict, Field

from campaigns.api.alerting import Alert, alerts_receive
from campaigns.api.auth import TokenBearer, TokenQuery, actor
from campaigns.api.problems import errors
from campaigns.api.schemas import InSchema, Instant

router = Router(tags=["monitoring"], auth=[TokenBearer("incidents"), TokenQuery("incidents")])


class AlertIn(InSchema):
    model_config = ConfigDict(extra="ignore")  # Alertmanager may add fields in later versions
    status: str = Field(pattern="^(firing|resolved)$")
    labels: dict[str, str] = Field(max_length=50)
    annotations: dict[str, str] = Field(default_factory=dict)
    startsAt: Instant  # noqa: N815 - Alertmanager's field names
    endsAt: Instant | None = None  # noqa: N815
    generatorURL: str = ""  # noqa: N815
    fingerprint: str = Field("", max_length=64)


class AlertmanagerIn(InSchema):
    """Alertmanager's webhook payload (version 4); fields not used here are accepted and ignored."""

    model_config = ConfigDict(extra="ignore")

    version: str = "4"
    groupKey: str = ""  # noqa: N815
    status: str = Field("firing", pattern="^(firing|resolved)$")
    receiver: str = ""
    groupLabels: dict[str, str] = Field(default_factory=dict)  # noqa: N815
    commonLabels: dict[str, str] = Field(default_factory=dict)  # noqa: N815
    alerts: list[AlertIn] = Field(max_length=1_000)


class AlertSummaryOut(Schema):
    opened: int
    ended: int
    unchanged: int
    unknown_target: int = Field(description="Alerts naming no known server or volume: listed for support")
    frozen: int = Field(description="Alerts on an incident whose compensation is approved: no window changed")
    incidents: list[str]


@router.post("/alerts/alertmanager/", response={200: AlertSummaryOut, **errors(400, 401, 403, 422, 429)})
def alertmanager(request, payload: AlertmanagerIn):
    """Firing alerts open windows, resolved ones end them; a repeated notification changes nothing."""
    alerts = [
        Alert(
            status=a.status,
            labels=a.labels,
            starts_at=a.startsAt,
            ends_at=a.endsAt,
            fingerprint=a.fingerprint,
        )
        for a in payload.alerts
    ]
    return alerts_receive(alerts=alerts, by=actor(request))
