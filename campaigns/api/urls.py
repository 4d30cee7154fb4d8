"""URLs of the API (``/api/v1/``) and of its console pages."""

from django.urls import path, re_path

from campaigns.api import console
from campaigns.api.api import api
from campaigns.api.problems import problem_response


def no_such_resource(request, rest=""):
    """Any other path under /api/v1/ answers in the API's error shape, not with an HTML page."""
    return problem_response(404, "No such resource; see /api/v1/openapi.json.")


urlpatterns = [path("", api.urls), re_path(r"^(?P<rest>.*)$", no_such_resource)]

console_urlpatterns = [
    path("api/tokens/", console.tokens, name="api_tokens"),
    path("api/tokens/<int:pk>/revoke/", console.token_revoke, name="api_token_revoke"),
    path("api/alerts/", console.alerts, name="api_alerts"),
]
