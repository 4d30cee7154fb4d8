"""The HTTP API, version 1: one ninja application assembled from the routers of each resource."""

from __future__ import annotations

from ninja import NinjaAPI

from campaigns.api import alerts, claims, incidents, inventory, reads, vouchers
from campaigns.api.problems import install_problem_handlers, problem_media_types
from campaigns.api.schemas import StrictJSONParser

DESCRIPTION = """
hostnotify's API for billing, CRM and monitoring systems.

Authenticate with `Authorization: Bearer <token>`; tokens are created by an admin in the console
(or `manage.py create_api_token`) with scopes `inventory`, `incidents`, `read`, `vouchers`, `claims`.
Errors are RFC 9457 problem details (`application/problem+json`). Lists are paginated with
`limit`/`offset` and filtered with `updated_since` for syncing.
"""


class HostnotifyAPI(NinjaAPI):
    def get_openapi_schema(self, *, path_prefix=None, path_params=None):
        schema = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        return problem_media_types(schema)

    def get_openapi_operation_id(self, operation) -> str:
        return operation.view_func.__name__


api = HostnotifyAPI(
    title="hostnotify API",
    version="1",
    description=DESCRIPTION.strip(),
    urls_namespace="api-v1",
    openapi_url="/openapi.json",
    docs_url="/docs/",
    parser=StrictJSONParser(),
)
install_problem_handlers(api)
api.add_router("/", inventory.router)
api.add_router("/", reads.router)
api.add_router("/", incidents.router)
api.add_router("/", alerts.router)
api.add_router("/", vouchers.router)
api.add_router("/", claims.router)
