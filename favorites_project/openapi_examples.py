"""Helpers for the OpenAPI examples each app declares (in its own `openapi.py`)."""

from drf_spectacular.utils import OpenApiExample


def request_example(name: str, value, *, summary: str | None = None) -> OpenApiExample:
    return OpenApiExample(name, value=value, summary=summary, request_only=True)


def response_example(
    name: str, value, *, status: int = 200, summary: str | None = None
) -> OpenApiExample:
    return OpenApiExample(
        name, value=value, summary=summary, response_only=True, status_codes=[str(status)]
    )


def page_of(*results, next_url: str | None = None) -> dict:
    """A paginated body holding these results."""
    return {"count": len(results), "next": next_url, "previous": None, "results": list(results)}
