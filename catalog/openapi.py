"""Summaries and examples of the products operations in the OpenAPI schema."""

from drf_spectacular.extensions import OpenApiViewExtension
from drf_spectacular.utils import extend_schema

from favorites_project.openapi_examples import page_of, response_example, with_schema

PRODUCT = {
    "id": "1bf0f365-fbdd-4e21-9786-da459d78dd1f",
    "title": "Cadeira para Auto Iseos Bébé Confort Earth Brown",
    "price": "1699.00",
    "image_url": "https://images.catalog.example.com/products/1bf0f365.jpg",
    "brand": "bébé confort",
    "review_score": 4.5,
}


class ProductListViewExamples(OpenApiViewExtension):
    target_class = "catalog.views.ProductListView"

    def view_replacement(self) -> type:
        return with_schema(
            self.target,
            get=extend_schema(
                summary="Browse the catalog's products",
                examples=[
                    response_example(
                        "A page of products",
                        page_of(PRODUCT, next_url="http://127.0.0.1:8000/api/v1/products/?page=2"),
                    )
                ],
            ),
        )


class ProductDetailViewExamples(OpenApiViewExtension):
    target_class = "catalog.views.ProductDetailView"

    def view_replacement(self) -> type:
        return with_schema(
            self.target,
            get=extend_schema(
                summary="Read one product from the catalog",
                examples=[response_example("A product", PRODUCT)],
            ),
        )
