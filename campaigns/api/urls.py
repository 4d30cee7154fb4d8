"""URLs of the API (``/api/v1/``) and of its console pages."""

import functools

from django.urls import path, re_path

from campaigns.api import console
from campaigns.api.api import api
from campaigns.api.problems import MEDIA_TYPE, problem_response


def _problem_405(view):
    """ninja answers a method an operation lacks with Django's bare 405: the API's shape instead."""

    @functools.wraps(view)
    def wrapped(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        if response.status_code == 405 and not response.get("Content-Type", "").startswith(MEDIA_TYPE):
            allowed = response.get("Allow", "")
            return problem_response(405, f"Allowed methods: {allowed}.", headers={"Allow": allowed})
        return response

    return wrapped


api_patterns, app_name_, namespace = api.urls
for pattern in api_patterns:
    pattern.callback = _problem_405(pattern.callback)


def no_such_resource(request, rest=""):
    """Any other path under /api/v1/ answers in the API's error shape, not with an HTML page."""
    return problem_response(404, "No such resource; see /api/v1/openapi.json.")


urlpatterns = [path("", (api_patterns, app_name_, namespace)), re_path(r"^(?P<rest>.*)$", no_such_resource)]

console_urlpatterns = [
    path("api/tokens/", console.tokens, name="api_tokens"),
    path("api/tokens/<int:pk>/revoke/", console.token_revoke, name="api_token_revoke"),
    path("api/alerts/", console.alerts, name="api_alerts"),
]
