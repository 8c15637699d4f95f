"""The one place errors become responses: RFC 9457 problem details.

Every error the service answers, from a DRF view, a plain Django view or the
URL resolver, goes through `problem_response`, so clients see one format with
a stable machine-readable `code`.
"""

import logging
import sys
from http import HTTPStatus
from typing import Any

import psycopg
from django.conf import settings
from django.core.exceptions import DisallowedHost, RequestDataTooBig, SuspiciousOperation
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import InterfaceError, OperationalError
from django.http import Http404, JsonResponse
from django.urls import Resolver404, resolve
from django.views.decorators.csrf import csrf_exempt
from rest_framework import exceptions as drf_exceptions
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler
from rest_framework.views import set_rollback

from favorites_project.errors import DomainError

logger = logging.getLogger(__name__)

PROBLEM_CONTENT_TYPE = "application/problem+json"

# The database cannot be reached, lost the connection or is failing over: nobody's
# bug, over in seconds (Django reconnects on the next request). Django wraps
# psycopg's errors in its own; psycopg's are listed for any raised outside that wrapper.
DATABASE_UNAVAILABLE = (
    OperationalError,
    InterfaceError,
    psycopg.OperationalError,
    psycopg.InterfaceError,
)

# DRF's default codes that the contract names differently.
DRF_CODES = {
    "invalid": "validation_error",
    "parse_error": "validation_error",
    "token_not_valid": "authentication_failed",
}

SERVER_ERROR_DETAIL = "The server could not complete the request."


def problem(
    status: int, code: str, detail: str, *, errors: dict | None = None, title: str | None = None
) -> dict:
    body = {
        "type": f"urn:favorites:problem:{code}",
        "title": title or HTTPStatus(status).phrase,
        "status": status,
        "code": code,
        "detail": detail,
    }
    if errors is not None:
        body["errors"] = errors
    return body


def problem_response(status: int, code: str, detail: str, **kwargs) -> JsonResponse:
    """A problem response for plain Django views (DRF views use the handler below)."""
    return _problem_json(problem(status, code, detail, **kwargs))


def _problem_json(body: dict) -> JsonResponse:
    return JsonResponse(
        body,
        status=body["status"],
        content_type=PROBLEM_CONTENT_TYPE,
        json_dumps_params={"separators": (",", ":")},
    )


def _flatten_errors(detail, prefix: str = "") -> dict[str, list[str]]:
    """DRF's nested error detail as {"field": [messages]} ("a.b" for nested fields)."""
    if isinstance(detail, dict):
        errors: dict[str, list[str]] = {}
        for key, value in detail.items():
            errors.update(_flatten_errors(value, f"{prefix}.{key}" if prefix else str(key)))
        return errors
    if isinstance(detail, list) and any(isinstance(item, (dict, list)) for item in detail):
        errors = {}
        for index, item in enumerate(detail):
            errors.update(_flatten_errors(item, f"{prefix}.{index}" if prefix else str(index)))
        return errors
    messages = detail if isinstance(detail, list) else [detail]
    return {prefix or "non_field_errors": [str(message) for message in messages]}


def _validation_problem(detail) -> dict:
    return problem(400, "validation_error", "Invalid input.", errors=_flatten_errors(detail))


def _payload_too_large_problem() -> dict:
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    return problem(413, "payload_too_large", f"The request body is larger than {limit} bytes.")


def _payload_too_large_response() -> JsonResponse:
    return _problem_json(_payload_too_large_problem())


def _declared_length(request) -> int:
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 0


def _database_unavailable(path: str, exc: BaseException) -> tuple[dict, dict]:
    """The 503 problem and its headers, logged as one warning line: no traceback, no bug."""
    message = " ".join(str(exc).split())
    logger.warning("The database is unavailable (%s in %s): %s", type(exc).__name__, path, message)
    body = problem(
        503,
        "service_unavailable",
        "The service cannot reach its database for now; try again after Retry-After seconds.",
    )
    return body, {"Retry-After": str(settings.DATABASE_RETRY_AFTER)}


def _logged(response):
    # Django logs every 5xx as an error (with the traceback when there is one);
    # this one is logged already, as a warning.
    response._has_been_logged = True
    return response


def _database_unavailable_response(request, exc: BaseException) -> JsonResponse:
    body, headers = _database_unavailable(request.path, exc)
    response = _problem_json(body)
    for name, value in headers.items():
        response[name] = value
    return _logged(response)


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response:
    """DRF's EXCEPTION_HANDLER: every exception raised in an API view, in one pass.

    Django's errors first (answered here, or turned into DRF's), then the domain
    errors (each declares its status and code), then DRF's own; anything else
    is a bug: logged with its traceback, answered with the one 500 problem.
    """
    if isinstance(exc, RequestDataTooBig):  # the body was refused unread (DRF lets it through)
        return _problem_drf_response(_payload_too_large_problem())
    if isinstance(exc, DATABASE_UNAVAILABLE):  # in the view, or while authenticating
        body, headers = _database_unavailable(context["request"].path, exc)
        set_rollback()
        return _logged(_problem_drf_response(body, headers))
    if isinstance(exc, Http404):
        exc = drf_exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = drf_exceptions.PermissionDenied()
    elif isinstance(exc, DjangoValidationError):  # raised by services
        exc = drf_exceptions.ValidationError(
            exc.message_dict if hasattr(exc, "error_dict") else exc.messages
        )

    if isinstance(exc, DomainError):
        set_rollback()
        return _problem_drf_response(domain_problem(exc), domain_headers(exc))

    response = drf_exception_handler(exc, context)
    if response is None or not isinstance(exc, drf_exceptions.APIException):
        logger.exception("Unhandled error in %s", context["request"].path, exc_info=exc)
        set_rollback()
        return _problem_drf_response(problem(500, "server_error", SERVER_ERROR_DETAIL))
    if isinstance(exc, drf_exceptions.ValidationError):
        response.data = _validation_problem(exc.detail)
    else:
        detail: object = exc.detail
        if isinstance(detail, dict):  # SimpleJWT: {"detail", "code", "messages"}
            detail = detail.get("detail", exc.default_detail)
        elif isinstance(detail, list):
            detail = " ".join(str(item) for item in detail)
        code = DRF_CODES.get(exc.default_code, exc.default_code)
        response.data = problem(response.status_code, code, str(detail))
    response.content_type = PROBLEM_CONTENT_TYPE
    return response


def domain_problem(error: DomainError) -> dict[str, Any]:
    """The problem a domain error answers: its status and code, its message as the detail."""
    if error.field is not None:
        return _validation_problem({error.field: [str(error)]})
    return problem(error.status, error.code, str(error))


def domain_headers(error: DomainError) -> dict[str, str]:
    return {} if error.retry_after is None else {"Retry-After": str(error.retry_after)}


def _problem_drf_response(body: dict[str, Any], headers: dict[str, str] | None = None) -> Response:
    return Response(body, status=body["status"], headers=headers, content_type=PROBLEM_CONTENT_TYPE)


class ProblemDetailsMiddleware:
    """Problem details for errors raised outside DRF views, DEBUG on or off.

    Before Django's own middleware, so that an unknown Host header (which Django
    answers with an HTML page when DEBUG is on) is a problem response too, and a
    declared body over DATA_UPLOAD_MAX_MEMORY_SIZE is refused before anything
    reads it (the admin's form parsing would log it as an error with a traceback).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            request.get_host()
        except DisallowedHost:
            return problem_response(
                400, "bad_request", "The Host header names no host this service answers to."
            )
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        if limit is not None and _declared_length(request) > limit:
            return _payload_too_large_response()
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, Http404):
            return problem_response(404, "not_found", "Not found.")
        if isinstance(exception, DjangoPermissionDenied):
            return problem_response(403, "permission_denied", "Permission denied.")
        if isinstance(exception, RequestDataTooBig):
            return _payload_too_large_response()
        if isinstance(exception, DATABASE_UNAVAILABLE):
            return _database_unavailable_response(request, exception)
        if isinstance(exception, SuspiciousOperation):
            return problem_response(400, "bad_request", "Bad request.")
        logger.exception("Unhandled error in %s", request.path)
        return problem_response(500, "server_error", SERVER_ERROR_DETAIL)


# Handlers the URL conf installs for errors Django answers itself (DEBUG off).
def bad_request(request, exception=None):
    # Django answers a body over DATA_UPLOAD_MAX_MEMORY_SIZE read in middleware (the
    # admin's forms) as a 400; it is a 413 like everywhere else.
    if isinstance(exception, RequestDataTooBig):
        return _payload_too_large_response()
    return problem_response(400, "bad_request", "Bad request.")


def permission_denied(request, exception=None):
    return problem_response(403, "permission_denied", "Permission denied.")


def page_not_found(request, exception=None):
    return problem_response(404, "not_found", f"No resource at {request.path}.")


def csrf_failure(request, reason=""):
    """CSRF_FAILURE_VIEW: Django's HTML page as a problem (only session-based views check CSRF)."""
    return problem_response(403, "permission_denied", f"CSRF verification failed: {reason}")


# Exempt: a path that names nothing is a 404 whatever the method, not a CSRF failure.
@csrf_exempt
def not_found_view(request):
    """The URL conf's last route: a 404 that says when only the trailing slash is missing."""
    detail = f"No resource at {request.path}."
    if not request.path.endswith("/"):
        try:
            match = resolve(request.path + "/")
        except Resolver404:
            match = None
        if match is not None and match.func is not not_found_view:
            detail += f" Did you mean {request.path}/ ?"
    return problem_response(404, "not_found", detail)


def server_error(request):
    # Called while Django handles an exception raised outside any view (in a
    # middleware): a database outage there is a 503 like anywhere else.
    exception = sys.exc_info()[1]
    if isinstance(exception, DATABASE_UNAVAILABLE):
        return _database_unavailable_response(request, exception)
    return problem_response(500, "server_error", SERVER_ERROR_DETAIL)
