"""Helpers for the OpenAPI examples each app declares (in its own `openapi.py`)."""

from typing import Any

from drf_spectacular.utils import OpenApiExample, extend_schema_view


def request_example(name: str, value: object) -> OpenApiExample:
    return OpenApiExample(name, value=value, request_only=True)


def response_example(name: str, value: object, *, status: int = 200) -> OpenApiExample:
    return OpenApiExample(name, value=value, response_only=True, status_codes=[str(status)])


def page_of(*results, next_url: str | None = None) -> dict:
    """A paginated body holding these results."""
    return {"count": len(results), "next": next_url, "previous": None, "results": list(results)}


def with_schema(view_class: type, **schemas: Any) -> type:
    """A subclass of the view with these `extend_schema(...)` by action or method, for an
    `OpenApiViewExtension.view_replacement` (the view itself is left as it is)."""
    subclass = type(view_class.__name__, (view_class,), {"__module__": view_class.__module__})
    return extend_schema_view(**schemas)(subclass)
