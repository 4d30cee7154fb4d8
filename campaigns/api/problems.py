"""Every error of the API in one shape: RFC 9457 problem details (``application/problem+json``).

Interfaces raise ``Problem`` (or a subclass); ninja's own errors (validation, malformed JSON,
authentication) and Django's 404 are turned into the same shape here. The OpenAPI document says
so: every error response of every operation is described as ``application/problem+json``.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.core.serializers.json import DjangoJSONEncoder
from django.http import Http404, HttpRequest, HttpResponse
from ninja import Schema
from ninja.errors import AuthenticationError, HttpError, ValidationError
from pydantic import Field

logger = logging.getLogger(__name__)

MEDIA_TYPE = "application/problem+json"
TITLES = {
    400: "Bad request",
    401: "Authentication required",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    413: "Content too large",
    422: "Invalid input",
    429: "Too many requests",
    500: "Internal error",
}


class ProblemOut(Schema):
    type: str = Field("about:blank", description="A URI naming the kind of problem; about:blank: see title")
    title: str
    status: int
    detail: str = ""
    errors: list[dict[str, Any]] | None = Field(
        None, description="Invalid input: one entry per problem, with where (loc or index) and why (msg)."
    )


class Problem(Exception):
    """An error the client can act on; ``errors`` lists per-item reasons (e.g. index and msg)."""

    status = 400
    type = "about:blank"

    def __init__(self, detail: str = "", *, status: int | None = None, errors: list[dict] | None = None, **extra):
        super().__init__(detail)
        self.detail = detail
        if status is not None:
            self.status = status
        self.errors = errors
        self.extra = extra


class NotFound(Problem):
    status = 404


class Conflict(Problem):
    status = 409


class Invalid(Problem):
    status = 422


class Forbidden(Problem):
    status = 403


class RateLimited(Problem):
    status = 429

    def __init__(self, retry_after: int):
        super().__init__(f"Rate limit of this token reached; retry in {retry_after} s.")
        self.retry_after = retry_after


def problem_body(status: int, detail: str = "", *, errors=None, type_: str = "about:blank", **extra) -> dict:
    body = {"type": type_, "title": TITLES.get(status, "Error"), "status": status, "detail": detail}
    if errors is not None:
        body["errors"] = errors
    body.update(extra)
    return body


def problem_response(status: int, detail: str = "", *, errors=None, headers=None, **extra) -> HttpResponse:
    body = problem_body(status, detail, errors=errors, **extra)
    response = HttpResponse(json.dumps(body, cls=DjangoJSONEncoder), status=status, content_type=MEDIA_TYPE)
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def _on_problem(request: HttpRequest, exc: Problem) -> HttpResponse:
    headers = {"Retry-After": str(exc.retry_after)} if isinstance(exc, RateLimited) else None
    return problem_response(exc.status, exc.detail, errors=exc.errors, headers=headers, type_=exc.type, **exc.extra)


def _on_validation(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    errors = [
        {
            "loc": [str(part) for part in error.get("loc", ())],
            "msg": str(error.get("msg", "")),
            "type": error.get("type"),
        }
        for error in exc.errors
    ]
    return problem_response(422, "The request does not match the schema.", errors=errors)


def _on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    headers = {"WWW-Authenticate": "Bearer"} if isinstance(exc, AuthenticationError) else None
    detail = "A valid API token is required." if isinstance(exc, AuthenticationError) else str(exc)
    if exc.status_code == 400 and detail.startswith("Cannot parse request body"):
        detail = "The body must be JSON in UTF-8 without NUL characters."
    return problem_response(exc.status_code, detail, headers=headers)


def _on_404(request: HttpRequest, exc: Http404) -> HttpResponse:
    return problem_response(404, "No such object.")


def _on_too_big(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    return problem_response(413, f"The body is larger than {limit} bytes; send the items in smaller requests.")


def _on_suspicious(request: HttpRequest, exc: SuspiciousOperation) -> HttpResponse:
    return problem_response(400, "The request was refused as malformed.")


def _on_exception(request: HttpRequest, exc: Exception) -> HttpResponse:
    logger.exception("API error on %s %s", request.method, request.path)
    return problem_response(500, "An unexpected error occurred; it has been logged.")


def install_problem_handlers(api) -> None:
    api.add_exception_handler(Exception, _on_exception)
    api.add_exception_handler(Http404, _on_404)
    api.add_exception_handler(SuspiciousOperation, _on_suspicious)  # ninja picks the closest class
    api.add_exception_handler(RequestDataTooBig, _on_too_big)
    api.add_exception_handler(HttpError, _on_http_error)
    api.add_exception_handler(ValidationError, _on_validation)
    api.add_exception_handler(Problem, _on_problem)


def errors(*codes: int) -> dict[int, type[ProblemOut]]:
    """The ``response=`` entries of an operation's error answers."""
    return dict.fromkeys(codes, ProblemOut)


def problem_media_types(schema: dict) -> dict:
    """Describe every error response of the document as ``application/problem+json``, and the 413
    of every operation that takes a body (larger than ``DATA_UPLOAD_MAX_MEMORY_SIZE``)."""
    for path in schema.get("paths", {}).values():
        for operation in path.values():
            if "requestBody" in operation and not {413, "413"} & set(operation.get("responses", {})):
                operation.setdefault("responses", {})[413] = {
                    "description": "Content too large",
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ProblemOut"}}},
                }
            for status, response in operation.get("responses", {}).items():
                content = response.get("content")
                if str(status).isdigit() and int(status) >= 400 and content and "application/json" in content:
                    response["content"] = {MEDIA_TYPE: content.pop("application/json")}
    return schema
