import re

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param
from rest_framework.views import APIView

from catalog.products import PRODUCT_ID_PATTERN, ProductNotFound, product_get, product_page
from catalog.serializers import ProductPageSerializer, ProductSerializer
from favorites_project.schema import problem

PAGE_NUMBER = re.compile(r"[0-9]{1,9}")
CATALOG_UNAVAILABLE = problem(
    "The catalog is down, slow or broken (`catalog_unavailable`); see `Retry-After`."
)


class ProductListView(APIView):
    @extend_schema(
        tags=["products"],
        operation_id="products_list",
        parameters=[
            OpenApiParameter(
                "page", OpenApiTypes.INT, description="A page number from 1 (default 1)."
            )
        ],
        responses={
            200: ProductPageSerializer,
            404: problem("No such page (`not_found`)."),
            503: CATALOG_UNAVAILABLE,
        },
    )
    def get(self, request: Request) -> Response:
        """The catalog's products, a page at a time (the catalog's own page size)."""
        raw_page = request.query_params.get("page", "1")
        if not PAGE_NUMBER.fullmatch(raw_page) or int(raw_page) < 1:
            raise NotFound("Invalid page.")
        page = product_page(int(raw_page))
        if not page.products and page.page > 1:
            raise NotFound("Invalid page.")
        url = request.build_absolute_uri()
        if page.page == 1:
            previous = None
        elif page.page == 2:
            previous = remove_query_param(url, "page")
        else:
            previous = replace_query_param(url, "page", page.page - 1)
        data = {
            "count": page.count if page.count is not None else len(page.products),
            "next": replace_query_param(url, "page", page.page + 1) if page.has_next else None,
            "previous": previous,
            "results": ProductSerializer(page.products, many=True).data,
        }
        return Response(data)


class ProductDetailView(APIView):
    @extend_schema(
        tags=["products"],
        parameters=[
            OpenApiParameter(
                "product_id",
                str,
                OpenApiParameter.PATH,
                pattern=rf"^{PRODUCT_ID_PATTERN.pattern}$",
                description="The product's id in the catalog.",
            )
        ],
        responses={
            200: ProductSerializer,
            400: problem("Not a valid product id (`validation_error`)."),
            404: problem("The catalog has no such product (`not_found`)."),
            503: CATALOG_UNAVAILABLE,
        },
    )
    def get(self, request: Request, product_id: str) -> Response:
        """One product, from the catalog (cached)."""
        try:
            product = product_get(product_id)
        except ProductNotFound as exc:
            raise NotFound(str(exc)) from exc
        return Response(ProductSerializer(product).data)
