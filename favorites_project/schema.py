"""OpenAPI: every operation documents the problem responses it can give."""

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


class AutoSchema(openapi.AutoSchema):
    def get_override_parameters(self):
        return [*super().get_override_parameters(), REQUEST_ID_PARAMETER]

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
        for response in responses.values():
            content = response.get("content", {})
            if content.get("application/json", {}).get("schema") == PROBLEM_REF:
                content[PROBLEM_MEDIA_TYPE] = content.pop("application/json")
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
