"""Summaries and examples of the webhook endpoints' operations in the OpenAPI schema."""

from drf_spectacular.extensions import OpenApiViewExtension
from drf_spectacular.utils import extend_schema

from favorites_project.openapi_examples import (
    page_of,
    request_example,
    response_example,
    with_schema,
)

ENDPOINT = {
    "id": 3,
    "url": "https://hooks.example.com/favorites",
    "description": "Price drops for the newsletter",
    "event_types": ["favorite.price_dropped"],
    "active": True,
    "disabled_reason": "",
    "created_at": "2026-11-28T10:00:00.000000Z",
    "updated_at": "2026-11-28T10:00:00.000000Z",
}
WRITE = {
    "url": "https://hooks.example.com/favorites",
    "description": "Price drops for the newsletter",
    "event_types": ["favorite.price_dropped"],
    "active": True,
}


class WebhookEndpointViewSetExamples(OpenApiViewExtension):
    target_class = "events.views.WebhookEndpointViewSet"

    def view_replacement(self) -> type:
        return with_schema(
            self.target,
            list=extend_schema(
                summary="List webhook endpoints",
                examples=[response_example("A page of endpoints", page_of(ENDPOINT))],
            ),
            create=extend_schema(
                summary="Add a webhook endpoint",
                examples=[
                    request_example("Add", WRITE),
                    response_example(
                        "Added, with its secret (shown this once)",
                        {**ENDPOINT, "secret": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"},
                        status=201,
                    ),
                ],
            ),
            retrieve=extend_schema(
                summary="Read a webhook endpoint",
                examples=[response_example("An endpoint", ENDPOINT)],
            ),
            update=extend_schema(
                summary="Replace a webhook endpoint",
                examples=[
                    request_example("Replace", WRITE),
                    response_example("Replaced", ENDPOINT),
                ],
            ),
            partial_update=extend_schema(
                summary="Change some of a webhook endpoint's fields",
                examples=[
                    request_example("Pause", {"active": False}),
                    response_example("Paused", {**ENDPOINT, "active": False}),
                ],
            ),
            destroy=extend_schema(summary="Delete a webhook endpoint"),
        )
