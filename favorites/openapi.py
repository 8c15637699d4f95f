"""Summaries and examples of the favorites operations in the OpenAPI schema."""

from drf_spectacular.extensions import OpenApiViewExtension
from drf_spectacular.utils import extend_schema

from favorites_project.openapi_examples import (
    page_of,
    request_example,
    response_example,
    with_schema,
)

PRODUCT_ID = "1bf0f365-fbdd-4e21-9786-da459d78dd1f"
FAVORITE = {
    "product_id": PRODUCT_ID,
    "title": "Cadeira para Auto Iseos Bébé Confort Earth Brown",
    "image_url": f"https://images.catalog.example.com/products/{PRODUCT_ID}.jpg",
    "price": "1699.00",
    "review_score": None,
    "brand": "bébé confort",
    "price_when_added": "1699.00",
    "available": True,
    "created_at": "2026-11-27T22:16:18.843807Z",
    "refreshed_at": "2026-11-27T22:16:18.843807Z",
}


class FavoriteViewSetExamples(OpenApiViewExtension):
    target_class = "favorites.views.FavoriteViewSet"

    def view_replacement(self) -> type:
        return with_schema(
            self.target,
            list=extend_schema(
                summary="List a customer's favorites",
                examples=[response_example("A page of favorites", page_of(FAVORITE))],
            ),
            create=extend_schema(
                summary="Add a product to a customer's favorites",
                examples=[
                    request_example("Add", {"product_id": PRODUCT_ID}),
                    response_example("Added", FAVORITE, status=201),
                ],
            ),
            retrieve=extend_schema(
                summary="Read one favorite",
                examples=[response_example("A favorite", FAVORITE)],
            ),
            destroy=extend_schema(summary="Remove a product from a customer's favorites"),
        )
