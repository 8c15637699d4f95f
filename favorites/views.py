from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status, viewsets
from rest_framework.response import Response

from catalog.products import PRODUCT_ID_PATTERN
from customers.models import Customer
from customers.selectors import customer_get_for
from favorites.selectors import favorite_get, favorite_list
from favorites.serializers import (
    FavoriteCreateSerializer,
    FavoriteListQuerySerializer,
    FavoriteSerializer,
)
from favorites.services import favorite_add, favorite_remove
from favorites_project.schema import problem

CUSTOMER_ID = OpenApiParameter(
    "customer_id",
    str,
    OpenApiParameter.PATH,
    pattern=r"^([0-9]+|me)$",
    description="A customer id, or `me` for the caller.",
)
PRODUCT_ID = OpenApiParameter(
    "product_id",
    str,
    OpenApiParameter.PATH,
    pattern=rf"^{PRODUCT_ID_PATTERN.pattern}$",
    description="The product's id in the catalog.",
)
RETRY_AFTER = OpenApiParameter(
    "Retry-After",
    int,
    OpenApiParameter.HEADER,
    response=[503],
    description="Seconds to wait before trying again.",
)
NOT_FOUND = problem("No such customer, not yours to see, or not among its favorites (`not_found`).")


@extend_schema(tags=["favorites"], parameters=[CUSTOMER_ID])
class FavoriteViewSet(viewsets.GenericViewSet):
    """A customer's favorite products. Staff: any customer; a customer: only itself."""

    serializer_class = FavoriteSerializer

    def get_customer(self) -> Customer:
        return customer_get_for(actor=self.request.user, customer_ref=self.kwargs["customer_id"])

    @extend_schema(
        parameters=[FavoriteListQuerySerializer],
        responses={
            200: FavoriteSerializer(many=True),
            400: problem("`available` is not `true` or `false` (`validation_error`)."),
        },
        description=(
            "The customer's favorites, newest first, from the local snapshots: "
            "this never calls the catalog, so it keeps working while the catalog is down."
        ),
    )
    def list(self, request, customer_id):
        customer = self.get_customer()
        # A plain dict, so an empty `?available=` is rejected instead of ignored.
        query = FavoriteListQuerySerializer(data=request.query_params.dict())
        query.is_valid(raise_exception=True)
        favorites = favorite_list(customer=customer, available=query.to_filter())
        page = self.paginate_queryset(favorites)
        return self.get_paginated_response(FavoriteSerializer(page, many=True).data)

    @extend_schema(
        request=FavoriteCreateSerializer,
        responses={
            201: FavoriteSerializer,
            400: problem("The product id is malformed (`validation_error`)."),
            404: NOT_FOUND,
            409: problem("The product is already a favorite (`favorite_exists`)."),
            422: problem("The catalog has no such product (`product_not_found`)."),
            503: problem(
                "The catalog could not answer (`catalog_unavailable`); "
                "try again after `Retry-After` seconds."
            ),
        },
        parameters=[RETRY_AFTER],
        description=(
            "Look the product up in the catalog and add it, with a snapshot of its title, "
            "image, price, review score and brand. `price_when_added` stays as it is now."
        ),
    )
    def create(self, request, customer_id):
        customer = self.get_customer()
        serializer = FavoriteCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        favorite = favorite_add(customer=customer, **serializer.validated_data)
        return Response(FavoriteSerializer(favorite).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        parameters=[PRODUCT_ID],
        responses={200: FavoriteSerializer, 404: NOT_FOUND},
        description="One favorite, from its local snapshot (no catalog call).",
    )
    def retrieve(self, request, customer_id, product_id):
        favorite = favorite_get(customer=self.get_customer(), product_id=product_id)
        return Response(FavoriteSerializer(favorite).data)

    @extend_schema(
        parameters=[PRODUCT_ID],
        responses={204: None, 404: NOT_FOUND},
        description="Remove the product from the customer's favorites.",
    )
    def destroy(self, request, customer_id, product_id):
        favorite_remove(customer=self.get_customer(), product_id=product_id)
        return Response(status=status.HTTP_204_NO_CONTENT)
