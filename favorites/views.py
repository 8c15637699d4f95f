import functools
import io
import json
import zlib
from typing import cast

from django.conf import settings
from django.http import HttpResponse
from django.utils.cache import get_conditional_response, patch_vary_headers
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework import status, viewsets
from rest_framework.exceptions import APIException, NotFound, ValidationError
from rest_framework.response import Response

from audit.models import StaffAccess
from audit.recording import staff_access_note
from catalog.products import PRODUCT_ID_PATTERN, product_at_hand
from customers.authentication import JWTAuthentication, token_customer
from customers.cache import customer_data_version, customer_forget
from customers.models import Customer
from customers.selectors import ME, customer_get_for
from customers.throttling import ScopedRateThrottle
from customers.tokens import TokenCustomer, TokenRevoked
from favorites import idempotency
from favorites.batch import favorites_batch
from favorites.models import with_price_change
from favorites.selectors import (
    FavoriteListQuery,
    favorite_get,
    favorite_lookup,
    favorite_query_count,
    favorite_query_page,
)
from favorites.serializers import (
    BATCH_MAX_IDS,
    LOOKUP_MAX_IDS,
    FavoriteBatchResultSerializer,
    FavoriteBatchSerializer,
    FavoriteCreateSerializer,
    FavoriteListQuerySerializer,
    FavoriteLookupResultSerializer,
    FavoriteLookupSerializer,
    FavoriteSerializer,
    favorite_data,
)
from favorites.services import favorite_add, favorite_refresh, favorite_remove
from favorites_project.exceptions import exception_handler
from favorites_project.negotiation import takes
from favorites_project.pagination import PageNumberPagination
from favorites_project.parsers import JSONParser
from favorites_project.renderers import JSONRenderer, dumps
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
IDEMPOTENCY_KEY = OpenApiParameter(
    "Idempotency-Key",
    str,
    OpenApiParameter.HEADER,
    required=False,
    pattern=r"^[ -~]{1,255}$",
    description=(
        "Up to 255 printable characters, new for each distinct request. Sent again with the "
        "same request within 24 hours, the first successful answer is replayed unchanged "
        "(with `Idempotent-Replayed: true`) and nothing is done again."
    ),
)


def idempotency_headers(success: int) -> list[OpenApiParameter]:
    """The `Idempotency-Key` header, and the headers of the answers it brings."""
    return [
        IDEMPOTENCY_KEY,
        OpenApiParameter(
            "Idempotent-Replayed",
            str,
            OpenApiParameter.HEADER,
            response=[success],
            enum=["true"],
            description="On an answer replayed for an `Idempotency-Key` (absent otherwise).",
        ),
        OpenApiParameter(
            "Retry-After",
            int,
            OpenApiParameter.HEADER,
            response=[409],
            description="Seconds to wait before sending the request again for its answer.",
        ),
    ]


NOT_FOUND = problem("No such customer, not yours to see, or not among its favorites (`not_found`).")
CATALOG_UNAVAILABLE = problem(
    "The catalog could not answer (`catalog_unavailable`); try again after `Retry-After` seconds."
)
IDEMPOTENCY_ERRORS = {
    409: problem(
        "A request with this `Idempotency-Key` is still running (`request_in_progress`); "
        "send it again after `Retry-After` seconds for its answer."
    ),
    422: problem(
        "This `Idempotency-Key` was used for a different request (`idempotency_key_reused`)."
    ),
}
FAVORITE_EXAMPLE = {
    "product_id": "1bf0f365-fbdd-4e21-9786-da459d78dd1f",
    "title": "Cadeira para Auto Iseos Bébé Confort Earth Brown",
    "image_url": "https://images.catalog.example.com/products/1bf0f365.jpg",
    "price": "1529.10",
    "review_score": 4.5,
    "brand": "bébé confort",
    "price_when_added": "1699.00",
    "available": True,
    "created_at": "2026-11-27T22:16:18.843807Z",
    "refreshed_at": "2026-11-28T03:00:02.120044Z",
    "price_change": "-169.90",
    "price_change_percent": "-10.0",
}


class FavoriteRefreshThrottle(ScopedRateThrottle):
    """On-demand re-syncs per caller, at `FAVORITE_REFRESH_THROTTLE_RATE` (read at each call)."""

    scope_attr = "refresh_throttle_scope"

    def get_rate(self):
        return settings.FAVORITE_REFRESH_THROTTLE_RATE


@extend_schema(tags=["favorites"], parameters=[CUSTOMER_ID])
class FavoriteViewSet(viewsets.GenericViewSet):
    """A customer's favorite products. Staff: any customer; a customer: only itself."""

    serializer_class = FavoriteSerializer
    refresh_throttle_scope = "favorite_refresh"  # FavoriteRefreshThrottle's scope

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
                "`available` or `price_dropped` is not `true` or `false`, `ordering` is not "
                "one of its values, `search` is over 100 characters, or `page_size` is not a "
                "whole number from 1 (`validation_error`)."
            ),
        },
        examples=[
            OpenApiExample(
                "A page",
                value={"count": 1, "next": None, "previous": None, "results": [FAVORITE_EXAMPLE]},
                response_only=True,
            )
        ],
        description=(
            "The customer's favorites, newest first unless `ordering` says otherwise, from "
            "the local snapshots: this never calls the catalog, so it keeps working while "
            "the catalog is down. Answers carry an `ETag`; send it back as `If-None-Match` "
            "and an unchanged page is a 304 with no body. Every change to the list changes "
            "the ETag; each combination of parameters has its own."
        ),
    )
    def list(self, request, customer_id):
        return favorite_list_response(request, self.get_customer())

    @extend_schema(
        request=FavoriteCreateSerializer,
        responses={
            201: FavoriteSerializer,
            400: problem(
                "The product id is malformed, or the `Idempotency-Key` is not 1 to 255 "
                "printable characters (`validation_error`)."
            ),
            404: NOT_FOUND,
            409: problem(
                "The product is already a favorite (`favorite_exists`), or a request with "
                "this `Idempotency-Key` is still running (`request_in_progress`)."
            ),
            422: problem(
                "The catalog has no such product (`product_not_found`), the list holds its "
                "limit of favorites (`favorites_limit_reached`), or this `Idempotency-Key` "
                "was used for a different request (`idempotency_key_reused`)."
            ),
            503: CATALOG_UNAVAILABLE,
        },
        parameters=[RETRY_AFTER, *idempotency_headers(201)],
        examples=[
            OpenApiExample(
                "Add a product",
                value={"product_id": "1bf0f365-fbdd-4e21-9786-da459d78dd1f"},
                request_only=True,
            ),
            OpenApiExample(
                "The new favorite",
                value={
                    **FAVORITE_EXAMPLE,
                    "price": "1699.00",
                    "price_change": "0.00",
                    "price_change_percent": "0.0",
                },
                response_only=True,
                status_codes=["201"],
            ),
        ],
        description=(
            "Look the product up in the catalog and add it, with a snapshot of its title, "
            "image, price, review score and brand. `price_when_added` stays as it is now. "
            "A list holds at most `FAVORITES_MAX_PER_CUSTOMER` favorites (1,000 by default)."
        ),
    )
    def create(self, request, customer_id):
        customer = self.get_customer()

        def add():
            product_id = FavoriteCreateSerializer.validated_product_id(request.data)
            favorite = favorite_add(customer=customer, product_id=product_id)
            return Response(favorite_data(favorite), status=status.HTTP_201_CREATED)

        return self._idempotent(request, customer, "favorites.create", add)

    def _idempotent(self, request, customer: Customer, operation: str, handler):
        """`handler()`'s response, run once per `Idempotency-Key` (favorites/idempotency.py)."""
        key = request.headers.get("Idempotency-Key")
        if key is None:
            return handler()
        if not idempotency.idempotency_key_valid(key):
            raise ValidationError({"Idempotency-Key": [idempotency.KEY_RULE]})
        # The parsed body (the parser's size and depth limits apply), in a canonical form.
        body = json.dumps(request.data, sort_keys=True, separators=(",", ":"), default=str)
        fingerprint = idempotency.request_fingerprint(operation=operation, body=body.encode())
        claim = idempotency.idempotency_claim(customer=customer, key=key, fingerprint=fingerprint)
        if isinstance(claim, idempotency.StoredAnswer):
            replay = HttpResponse(claim.body, status=claim.status, content_type="application/json")
            replay["Idempotent-Replayed"] = "true"
            return replay
        try:
            response = handler()
        except BaseException:
            idempotency.idempotency_release(record=claim)
            raise
        if 200 <= response.status_code < 300:
            idempotency.idempotency_complete(
                record=claim, status=response.status_code, body=dumps(response.data).decode()
            )
        else:
            idempotency.idempotency_release(record=claim)
        return response

    @extend_schema(
        request=FavoriteLookupSerializer,
        responses={
            200: FavoriteLookupResultSerializer,
            400: problem(
                f"No ids, over {LOOKUP_MAX_IDS}, or a malformed one (`validation_error`, "
                "naming `product_ids` or `product_ids.<index>`)."
            ),
            404: problem("No such customer, or not yours to see (`not_found`)."),
        },
        examples=[
            OpenApiExample(
                "A product grid",
                value={"product_ids": ["1bf0f365-fbdd-4e21-9786-da459d78dd1f", "958ec015-cfcf"]},
                request_only=True,
            ),
            OpenApiExample(
                "One favorite, one not",
                value={
                    "favorites": {
                        "1bf0f365-fbdd-4e21-9786-da459d78dd1f": {
                            "created_at": "2026-11-27T22:16:18.843807Z",
                            "price_when_added": "1699.00",
                            "price": "1529.10",
                        },
                        "958ec015-cfcf": None,
                    }
                },
                response_only=True,
            ),
        ],
        description=(
            f"Which of up to {LOOKUP_MAX_IDS} products (a product grid) are among the "
            "customer's favorites: every asked id is a key, with its favorite's `created_at`, "
            "`price_when_added` and `price`, or null. One database query whatever the number "
            "of ids; never calls the catalog."
        ),
    )
    def lookup(self, request, customer_id):
        customer = self.get_customer()
        product_ids = FavoriteLookupSerializer.validated_product_ids(request.data)
        found = favorite_lookup(customer_id=customer.pk, product_ids=product_ids)
        return private(Response({"favorites": found}), None)

    @extend_schema(
        request=FavoriteBatchSerializer,
        responses={
            200: FavoriteBatchResultSerializer,
            400: problem(
                f"Over {BATCH_MAX_IDS} ids together, a malformed id, an id twice in one "
                "list or in both, or a malformed `Idempotency-Key` (`validation_error`)."
            ),
            404: problem("No such customer, or not yours to see (`not_found`)."),
            **IDEMPOTENCY_ERRORS,
        },
        parameters=idempotency_headers(200),
        examples=[
            OpenApiExample(
                "Add two, remove one",
                value={
                    "add": ["1bf0f365-fbdd-4e21-9786-da459d78dd1f", "no-such-product"],
                    "remove": ["958ec015-cfcf"],
                },
                request_only=True,
            ),
            OpenApiExample(
                "One result per id",
                value={
                    "results": [
                        {
                            "product_id": "1bf0f365-fbdd-4e21-9786-da459d78dd1f",
                            "status": "added",
                            "favorite": {
                                **FAVORITE_EXAMPLE,
                                "price": "1699.00",
                                "price_change": "0.00",
                                "price_change_percent": "0.0",
                            },
                        },
                        {
                            "product_id": "no-such-product",
                            "status": "product_not_found",
                            "favorite": None,
                        },
                        {"product_id": "958ec015-cfcf", "status": "removed", "favorite": None},
                    ]
                },
                response_only=True,
            ),
        ],
        description=(
            f"Add and remove up to {BATCH_MAX_IDS} products at once. Each id stands alone "
            "(one failing never undoes another) and has one result, the adds first, then the "
            "removes, each in the order sent: `added` (with `favorite`), `already_present`, "
            "`removed`, `not_present`, `product_not_found`, `catalog_unavailable` (the "
            "catalog failed, or did not answer within the request's time budget) or "
            "`limit_reached`. The catalog lookups of the adds run concurrently."
        ),
    )
    def batch(self, request, customer_id):
        customer = self.get_customer()

        def run():
            serializer = FavoriteBatchSerializer(data=request.data)
            serializer.is_valid(raise_exception=True)
            results = favorites_batch(customer=customer, **serializer.validated_data)
            return Response(
                {
                    "results": [
                        {
                            "product_id": result.product_id,
                            "status": result.status,
                            "favorite": (
                                None if result.favorite is None else favorite_data(result.favorite)
                            ),
                        }
                        for result in results
                    ]
                }
            )

        return self._idempotent(request, customer, "favorites.batch", run)

    @extend_schema(
        request=None,
        parameters=[PRODUCT_ID, RETRY_AFTER],
        responses={
            200: FavoriteSerializer,
            404: NOT_FOUND,
            429: problem(
                "Over `FAVORITE_REFRESH_THROTTLE_RATE` re-syncs (30 a minute by default) "
                "(`throttled`)."
            ),
            503: CATALOG_UNAVAILABLE,
        },
        examples=[
            OpenApiExample("The favorite, re-synced", value=FAVORITE_EXAMPLE, response_only=True)
        ],
        description=(
            "Look the product up in the catalog now (past the product cache) and update the "
            "favorite's snapshot, as `manage.py refresh_favorites` does: `price_when_added` "
            "never changes, and a product the catalog no longer has is marked "
            "`available: false`. When the catalog fails the snapshot is left as it was."
        ),
    )
    def refresh(self, request, customer_id, product_id):
        favorite = favorite_refresh(customer=self.get_customer(), product_id=product_id)
        return private(Response(favorite_data(favorite)), None)

    def get_throttles(self):
        if self.action == "refresh":
            return [FavoriteRefreshThrottle()]
        return super().get_throttles()

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
        etag, not_modified = revalidate(request, customer)
        if not_modified is not None:
            return not_modified
        favorite = favorite_get(customer=customer, product_id=product_id)
        return private(Response(favorite_data(favorite)), etag)

    @extend_schema(
        parameters=[PRODUCT_ID],
        responses={204: None, 404: NOT_FOUND},
        description="Remove the product from the customer's favorites.",
    )
    def destroy(self, request, customer_id, product_id):
        favorite_remove(customer=self.get_customer(), product_id=product_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


def favorite_list_response(request, customer: Customer) -> HttpResponse:
    """The list action's whole answer: a page of the customer's favorites, or a 304.

    `request` is Django's or DRF's (the viewset's `list` and `own_lane` both answer
    with this); a bad parameter raises DRF's exceptions, for the viewset to answer.
    """
    params = request.GET
    query = FavoriteListQuery()
    # Validated only when given (the common list has none): a serializer is a
    # noticeable share of the list's CPU. A plain dict, so `?available=` is a 400.
    if not FavoriteListQuerySerializer.NAMES.isdisjoint(params):
        serializer = FavoriteListQuerySerializer(data=params.dict())
        serializer.is_valid(raise_exception=True)
        query = serializer.to_query()
    paginator = PageNumberPagination()
    number, size = paginator.page_window(request)

    etag, not_modified = revalidate(request, customer)
    if not_modified is not None:
        return not_modified

    count = None
    if number is None:  # ?page=last
        count = favorite_query_count(customer_id=customer.pk, query=query)
        number = max(1, -(-count // size))
    offset = (number - 1) * size
    # One row more than the page: a page that is not full knows the count without a query.
    rows = favorite_query_page(customer_id=customer.pk, query=query, offset=offset, limit=size + 1)
    if count is None:
        count = (
            offset + len(rows)
            if len(rows) <= size
            else favorite_query_count(customer_id=customer.pk, query=query)
        )
    if not rows and number > 1:
        raise NotFound("Invalid page.")
    results = [with_price_change(row) for row in rows[:size]]
    body = paginator.page_body(request, number=number, size=size, count=count, results=results)
    return private(HttpResponse(dumps(body), content_type=JSONRenderer.media_type), etag)


def revalidate(request, customer: Customer) -> tuple[str | None, HttpResponse | None]:
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
        private(not_modified, etag)
    return etag, not_modified


def private(response: HttpResponse, etag: str | None) -> HttpResponse:
    # Personal data: a browser may keep it and revalidate; shared caches may not.
    response["Cache-Control"] = "private, no-cache"
    patch_vary_headers(response, ["Authorization"])
    if etag is not None:
        response["ETag"] = etag
    return response


def own_lane(view):
    """A favorites URL's view, answering its commonest requests itself.

    Nearly every request is a customer with a valid token reading its own list, adding to
    it or removing from it, and DRF's dispatch around that (its request wrapper, content
    negotiation, permission and throttle checks, rendering) was a fifth of the list's CPU
    under gunicorn; skipping it, with the add's single round trip, took a write from
    1.1-1.3 to 0.8-0.9 ms of CPU in-process (docs/performance.md). So such a request is answered
    here, by what the viewset's action does: the same authentication class (for the list;
    an add or a remove checks the token in its own statement instead, `token=`, and reads
    no cached customer), body parser, validation, service or page function, error handler,
    and the headers the viewset adds (`LANES`).

    Anything else goes to `view`, the viewset, unchanged, before anything is done: another
    method, no token or a refused one, another customer's list (staff's included), an
    `Accept` or `?format=` to negotiate, an `Idempotency-Key`, a body that is not a small
    JSON object with a plainly valid id, an add whose catalog answer is not at hand, a bad
    list parameter; and a write whose statement found the token revoked (nothing written).
    An exception raised by the
    service is answered by the viewset's error handler (`_refused`); one met before it
    (while authenticating), by the problem-details middleware, with the same 503 and
    `Retry-After` as the viewset's for a database outage.
    """
    methods = {*view.actions, "options"} | ({"head"} if "get" in view.actions else set())
    allow = ", ".join(m.upper() for m in FavoriteViewSet.http_method_names if m in methods)
    lanes = {
        method: LANES[method, action]
        for method, action in view.actions.items()
        if (method, action) in LANES
    }

    @functools.wraps(view)  # and the viewset's attributes, for the schema and CSRF
    def lane(request, customer_id, **kwargs):
        handler = lanes.get(request.method.lower())
        if handler is None or not takes(request, JSONRenderer.media_type):
            return view(request, customer_id=customer_id, **kwargs)
        response = handler(request, customer_id, **kwargs)
        if response is None:
            return view(request, customer_id=customer_id, **kwargs)
        response["Allow"] = allow
        return response

    return lane


def _caller_itself(request, customer_id: str) -> Customer | None:
    """The caller, when its token is good and `customer_id` names it (its id or `me`)."""
    try:
        authenticated = JWTAuthentication().authenticate(request)
    except APIException:
        return None
    if authenticated is None or customer_id not in (ME, str(authenticated[0].pk)):
        return None
    request.user = customer = cast(Customer, authenticated[0])
    return customer


def _token_caller(request, customer_id: str) -> tuple[Customer, TokenCustomer] | None:
    """The caller as its token names it, when `customer_id` is its id or `me`, its row
    unread: for a write that checks the token against the row itself (`token=`)."""
    token = token_customer(request)
    if token is None or customer_id not in (ME, str(token.id)):
        return None
    request.user = customer = Customer(pk=token.id)
    return customer, token


def _revoked(token: TokenCustomer) -> None:
    """The write found the token revoked and wrote nothing: the viewset is to answer,
    reading the customer afresh (a change made past the ORM may still be in the cache)."""
    customer_forget(customer_id=token.id)


def _refused(request, error: Exception) -> HttpResponse:
    """An exception met in the lane's action, answered as the viewset answers it: by the
    one error handler (a problem; a database outage's 503; a bug's 500, logged), rendered
    as DRF renders it."""
    response = exception_handler(error, {"request": request})
    response.accepted_renderer = JSONRenderer()
    response.accepted_media_type = JSONRenderer.media_type
    response.renderer_context = {}  # type: ignore[attr-defined]  # set by DRF as it renders
    return response.render()


def _list_in_lane(request, customer_id: str) -> HttpResponse | None:
    customer = _caller_itself(request, customer_id)
    if customer is None:
        return None
    try:
        return favorite_list_response(request, customer)
    except APIException:  # a bad parameter: the list writes nothing, the viewset answers
        return None


# The largest body the lane parses: an add's is about 60 bytes (an id of at most 64
# characters). Anything longer is the viewset's, whose parser bounds it.
LANE_BODY_MAX = 1024


def _add_in_lane(request, customer_id: str) -> HttpResponse | None:
    meta = request.META
    if (
        "HTTP_IDEMPOTENCY_KEY" in meta
        or meta.get("CONTENT_TYPE") != JSONParser.media_type
        or not meta.get("CONTENT_LENGTH", "").isdigit()
        or int(meta["CONTENT_LENGTH"]) > LANE_BODY_MAX
    ):
        return None
    caller = _token_caller(request, customer_id)
    if caller is None:
        return None
    customer, token = caller
    try:
        # Read through Django's request, which keeps the body for the viewset.
        data = JSONParser().parse(io.BytesIO(request.body), None, {"request": request})
        product_id = FavoriteCreateSerializer.validated_product_id(data)
    except APIException:
        return None
    # The catalog is never asked for a caller whose customer is unread: the viewset, which
    # reads it first, adds a product whose answer is not at hand.
    product = product_at_hand(product_id)
    if product is None:
        return None
    try:
        favorite = favorite_add(
            customer=customer, product_id=product_id, product=product, token=token
        )
    except TokenRevoked:
        _revoked(token)
        return None
    except Exception as error:  # as DRF's dispatch catches it, for the same handler
        return _refused(request, error)
    return HttpResponse(
        dumps(favorite_data(favorite)), status=201, content_type=JSONRenderer.media_type
    )


def _remove_in_lane(request, customer_id: str, product_id: str) -> HttpResponse | None:
    caller = _token_caller(request, customer_id)
    if caller is None:
        return None
    customer, token = caller
    try:
        favorite_remove(customer=customer, product_id=product_id, token=token)
    except TokenRevoked:
        _revoked(token)
        return None
    except Exception as error:  # as DRF's dispatch catches it, for the same handler
        return _refused(request, error)
    response = HttpResponse(status=204)
    del response["Content-Type"]  # no body, no type: as DRF answers a 204
    return response


# What `own_lane` answers itself, by (method, the viewset's action): a response, or None
# for the viewset to answer.
LANES = {
    ("get", "list"): _list_in_lane,
    ("post", "create"): _add_in_lane,
    ("delete", "destroy"): _remove_in_lane,
}
