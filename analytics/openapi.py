"""Summary and example of the analytics operation in the OpenAPI schema."""

from drf_spectacular.extensions import OpenApiViewExtension
from drf_spectacular.utils import extend_schema

from favorites_project.openapi_examples import page_of, response_example, with_schema

DEMAND = {
    "product_id": "1bf0f365-fbdd-4e21-9786-da459d78dd1f",
    "title": "Cadeira para Auto Iseos Bébé Confort Earth Brown",
    "brand": "bébé confort",
    "customers": 1234,
    "last_7_days": 56,
    "last_30_days": 210,
    "unavailable": 0,
    "cheaper_than_added": 801,
    "computed_at": "2026-11-28T10:00:00.000000Z",
}


class ProductDemandViewExamples(OpenApiViewExtension):
    target_class = "analytics.views.ProductDemandView"

    def view_replacement(self) -> type:
        return with_schema(
            self.target,
            get=extend_schema(
                summary="Demand for favorited products (staff)",
                examples=[response_example("A page of products", page_of(DEMAND))],
            ),
        )
