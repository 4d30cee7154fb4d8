"""URLs of the API (``/api/v1/``) and of its console pages."""

from django.urls import path

from campaigns.api import console
from campaigns.api.api import api

urlpatterns = [path("", api.urls)]

console_urlpatterns = [
    path("api/tokens/", console.tokens, name="api_tokens"),
    path("api/tokens/<int:pk>/revoke/", console.token_revoke, name="api_token_revoke"),
    path("api/alerts/", console.alerts, name="api_alerts"),
]
