import zlib
from typing import cast

from django.utils.cache import get_conditional_response, patch_vary_headers
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status, viewsets
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from audit.models import StaffAccess
from audit.recording import staff_access_note
from catalog.products import PRODUCT_ID_PATTERN
from customers.cache import customer_data_version
from customers.models import Customer
from customers.selectors import customer_get_for
from favorites.selectors import favorite_count, favorite_get, favorite_page
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
        actor = cast(Customer, self.request.user)  # authenticated: the default permission
        customer = customer_get_for(actor=actor, customer_ref=self.kwargs["customer_id"])
        # Staff on another customer's list leave a record; a customer's own list, nothing.
        if actor.is_staff and customer.pk != actor.pk:
            staff_access_note(self.request, [customer.pk], channel=StaffAccess.Channel.API)
        return customer

    @extend_schema(
        parameters=[FavoriteListQuerySerializer],
        responses={
            200: FavoriteSerializer(many=True),
            400: problem(
                "`available` is not `true` or `false`, or `page_size` is not a whole number "
                "from 1 (`validation_error`)."
            ),
        },
        description=(
            "The customer's favorites, newest first, from the local snapshots: "
            "this never calls the catalog, so it keeps working while the catalog is down. "
            "Answers carry an `ETag`; send it back as `If-None-Match` and an unchanged "
            "page is a 304 with no body. Every change to the list changes the ETag."
        ),
    )
    def list(self, request, customer_id):
        customer = self.get_customer()
        available = None
        # Validated only when given (the common list has no filter): a serializer is a
        # noticeable share of the list's CPU. A plain dict, so `?available=` is a 400.
        if "available" in request.query_params:
            query = FavoriteListQuerySerializer(data=request.query_params.dict())
            query.is_valid(raise_exception=True)
            available = query.to_filter()
        number, size = self.paginator.page_window(request)

        etag, not_modified = self._revalidate(request, customer)
        if not_modified is not None:
            return not_modified

        count = None
        if number is None:  # ?page=last
            count = favorite_count(customer_id=customer.pk, available=available)
            number = max(1, -(-count // size))
        offset = (number - 1) * size
        # One row more than the page: a page that is not full knows the count without a query.
        rows = favorite_page(
            customer_id=customer.pk, available=available, offset=offset, limit=size + 1
        )
        if count is None:
            count = (
                offset + len(rows)
                if len(rows) <= size
                else favorite_count(customer_id=customer.pk, available=available)
            )
        if not rows and number > 1:
            raise NotFound("Invalid page.")
        body = self.paginator.page_body(
            request, number=number, size=size, count=count, results=rows[:size]
        )
        return self._private(Response(body), etag)

    def _revalidate(self, request, customer: Customer):
        """This URL's ETag (None while the cache is down) and, when the client has it, a 304.

        The customer's data version was read before any row, so an ETag is never newer
        than its data.
        """
        version = customer_data_version(customer=customer)
        if version is None:
            return None, None
        etag = f'"{version}.{zlib.crc32(request.get_full_path().encode()):08x}"'
        not_modified = get_conditional_response(request, etag=etag)
        if not_modified is not None:
            self._private(not_modified, etag)
        return etag, not_modified

    @staticmethod
    def _private(response, etag: str | None):
        # Personal data: a browser may keep it and revalidate; shared caches may not.
        response["Cache-Control"] = "private, no-cache"
        patch_vary_headers(response, ["Authorization"])
        if etag is not None:
            response["ETag"] = etag
        return response

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
        description=(
            "One favorite, from its local snapshot (no catalog call), with an `ETag`: "
            "send it back as `If-None-Match` for a 304 while the list is unchanged."
        ),
    )
    def retrieve(self, request, customer_id, product_id):
        customer = self.get_customer()
        etag, not_modified = self._revalidate(request, customer)
        if not_modified is not None:
            return not_modified
        favorite = favorite_get(customer=customer, product_id=product_id)
        return self._private(Response(FavoriteSerializer(favorite).data), etag)

    @extend_schema(
        parameters=[PRODUCT_ID],
        responses={204: None, 404: NOT_FOUND},
        description="Remove the product from the customer's favorites.",
    )
    def destroy(self, request, customer_id, product_id):
        favorite_remove(customer=self.get_customer(), product_id=product_id)
        return Response(status=status.HTTP_204_NO_CONTENT)
