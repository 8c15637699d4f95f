"""OpenAPI: every operation documents the problem responses it can give, each with an
example, and has a summary."""

import re
from http import HTTPStatus

from drf_spectacular import openapi
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse
from rest_framework import permissions, serializers

PROBLEM_MEDIA_TYPE = "application/problem+json"
PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}


class ProblemSerializer(serializers.Serializer):
    """RFC 9457 problem details, the body of every error."""

    type = serializers.CharField()
    title = serializers.CharField()
    status = serializers.IntegerField()
    code = serializers.CharField(help_text="Stable machine-readable error code.")
    detail = serializers.CharField()
    # A declared field, not the `errors` of a validated serializer (which this never is).
    errors = serializers.DictField(  # type: ignore[assignment]
        child=serializers.ListField(child=serializers.CharField()),
        required=False,
        help_text="Validation errors by field (only with `validation_error`).",
    )


def problem(description: str) -> OpenApiResponse:
    """A documented problem response, for `@extend_schema(responses=...)`."""
    return OpenApiResponse(response=ProblemSerializer, description=description)


RETRY_AFTER_HEADER = {
    "schema": {"type": "integer"},
    "description": "Seconds to wait before trying again.",
}


# favorites_project/middleware.py: kept when sane, else made; always echoed.
REQUEST_ID_PARAMETER = OpenApiParameter(
    "X-Request-ID",
    str,
    OpenApiParameter.HEADER,
    required=False,
    # No `pattern`: a value that does not fit is replaced, never refused.
    description=(
        "Your id for this request: kept and echoed when it is 8 to 128 letters, digits "
        "and `._:-`; any other value is replaced by one the service makes. It names the "
        "request's log lines and goes on to the product catalog."
    ),
)
REQUEST_ID_HEADER = {
    "schema": {"type": "string"},
    "description": "The request's id: the one sent, or one the service made.",
}


# The code a problem's description names, as in "(`favorite_exists`)"; else the status's usual one.
DESCRIBED_CODE = re.compile(r"\(`([a-z_]+)`")
USUAL_CODES = {
    400: "validation_error",
    401: "not_authenticated",
    403: "permission_denied",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "unprocessable",
    429: "throttled",
    503: "service_unavailable",
}
FIRST_SENTENCE = re.compile(r"^(.+?[.:])(\s|$)", re.DOTALL)


def problem_example(status: int, description: str) -> dict:
    """A problem body for a documented error status, its code taken from the description."""
    found = DESCRIBED_CODE.search(description)
    code = found.group(1) if found else USUAL_CODES.get(status, "error")
    return {
        "type": f"urn:favorites:problem:{code}",
        "title": HTTPStatus(status).phrase,
        "status": status,
        "code": code,
        "detail": description.replace("`", ""),
    }


class AutoSchema(openapi.AutoSchema):
    def get_override_parameters(self):
        return [*super().get_override_parameters(), REQUEST_ID_PARAMETER]

    def _get_request_body(self, direction="request"):
        """drf-spectacular documents bodies of POST, PUT and PATCH only; a DELETE whose
        view takes one (customers' `current_password`) gets it documented too."""
        if self.method == "DELETE" and self._declares_request():
            self.method = "POST"
            try:
                return super()._get_request_body(direction)
            finally:
                self.method = "DELETE"
        return super()._get_request_body(direction)

    def _declares_request(self) -> bool:
        """The view says its DELETE takes a body (`delete_takes_body = True`) and declares
        it with `@extend_schema(request=...)`."""
        if not getattr(self.view, "delete_takes_body", False):
            return False
        for klass in type(self).__mro__:
            if klass is AutoSchema:
                return False
            if "get_request_serializer" in klass.__dict__:
                return True
        return False

    def get_summary(self):
        """The explicit summary, else the description's first sentence."""
        summary = super().get_summary()
        if summary:
            return summary
        description = (self.get_description() or "").strip()
        found = FIRST_SENTENCE.match(description)
        return (found.group(1) if found else description).rstrip(".:") or None

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        for status, description in self._error_statuses():
            if status == "503" and status in responses:  # the catalog's: both can happen
                responses[status]["description"] += f" Or: {description}"
            responses.setdefault(status, self._problem_response(description))
        if self.path.startswith("/api/"):
            # Throttling and every 503 of the API (the catalog's, the database's) say when to retry.
            for status in ("429", "503"):
                if status in responses:
                    headers = responses[status].setdefault("headers", {})
                    headers.setdefault("Retry-After", RETRY_AFTER_HEADER)
        # Problem responses added with @extend_schema are served as problem+json too
        # (other error bodies, such as the readiness probe's, stay as they are served).
        for status, response in responses.items():
            content = response.get("content", {})
            if content.get("application/json", {}).get("schema") == PROBLEM_REF:
                content[PROBLEM_MEDIA_TYPE] = content.pop("application/json")
            problem_content = content.get(PROBLEM_MEDIA_TYPE)
            if problem_content is not None and "examples" not in problem_content:
                example = problem_example(int(status), response.get("description", ""))
                problem_content["examples"] = {
                    example["code"]: {"value": example, "summary": example["title"]}
                }
            response.setdefault("headers", {}).setdefault("X-Request-ID", REQUEST_ID_HEADER)
        return responses

    def _problem_response(self, description: str) -> dict:
        response = self._get_response_for_code(
            ProblemSerializer, "400", media_types=[PROBLEM_MEDIA_TYPE]
        )
        response["description"] = description
        return response

    def _error_statuses(self) -> list[tuple[str, str]]:
        statuses = []
        paginated = self.method == "GET" and self._is_list_view() and self._get_paginator()
        if self.method in ("POST", "PUT", "PATCH"):
            statuses.append(("400", "Invalid input (`validation_error`)."))
            statuses.append(("413", "The body is over the size limit (`payload_too_large`)."))
            statuses.append(("415", "The body is not JSON (`unsupported_media_type`)."))
        elif paginated:
            statuses.append(("400", "An invalid query parameter (`validation_error`)."))
        requires_auth = any(
            not isinstance(permission, permissions.AllowAny)
            for permission in self.view.get_permissions()
        )
        if requires_auth:
            statuses.append(("401", "Missing, invalid or expired token."))
        not_found = []
        if "{" in self.path:
            not_found.append("No such resource, or not yours to see")
        if paginated:
            not_found.append("a `page` that is past the end or not a page number")
        if not_found:
            described = ", or ".join(not_found)
            statuses.append(("404", f"{described[0].upper()}{described[1:]} (`not_found`)."))
        if self.view.get_throttles():
            statuses.append(("429", "Too many requests (`throttled`); see `Retry-After`."))
        if self.path.startswith("/api/"):
            statuses.append(
                (
                    "503",
                    "The database is briefly unavailable (`service_unavailable`); "
                    "see `Retry-After`.",
                )
            )
        return statuses
