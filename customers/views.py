from collections.abc import Mapping
from typing import cast

from django.conf import settings
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import AuthenticationFailed, PermissionDenied
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework_simplejwt import views as jwt_views

from audit.models import StaffAccess
from audit.recording import staff_access_note
from customers.models import Customer, normalize_email
from customers.selectors import customer_export, customer_get_for, customer_list
from customers.serializers import (
    CustomerCreateSerializer,
    CustomerDeleteSerializer,
    CustomerListQuerySerializer,
    CustomerSerializer,
    CustomerUpdateSerializer,
    RegisterSerializer,
    StaffCustomerUpdateSerializer,
    TokenBlacklistSerializer,
    TokenObtainPairSerializer,
    TokenPairSerializer,
)
from customers.services import (
    customer_check_changeable,
    customer_create,
    customer_delete,
    customer_update,
)
from customers.throttling import (
    LoginAccountThrottle,
    LoginAddressThrottle,
    PasswordCheckThrottle,
    ScopedRateThrottle,
)
from favorites_project.schema import problem

API = StaffAccess.Channel.API
EMAIL_TAKEN = problem("Another customer has this email (`email_taken`).")


class RegisterView(APIView):
    authentication_classes = []
    permission_classes = [permissions.AllowAny]
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "register"

    @extend_schema(
        tags=["auth"],
        request=RegisterSerializer,
        responses={
            201: CustomerSerializer,
            403: problem("Registration is closed (`permission_denied`)."),
            409: EMAIL_TAKEN,
        },
    )
    def post(self, request):
        """Open a customer account."""
        if not settings.REGISTRATION_OPEN:
            raise PermissionDenied("Registration is closed.")
        serializer = RegisterSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        customer = customer_create(**serializer.validated_data)
        return Response(CustomerSerializer(customer).data, status=status.HTTP_201_CREATED)


AUTH_FAILED = problem("Wrong credentials, or an invalid, expired or revoked token.")


@extend_schema(
    tags=["auth"],
    responses={
        200: TokenPairSerializer,
        401: AUTH_FAILED,
        429: problem(
            "Too many logins from this address, or too many failed ones for this account "
            "(`throttled`); `Retry-After` says when to try again."
        ),
    },
)
class TokenObtainPairView(jwt_views.TokenObtainPairView):
    """Log in with email and password: an access and a refresh token."""

    serializer_class = TokenObtainPairSerializer
    throttle_classes = [LoginAddressThrottle, LoginAccountThrottle]
    throttle_scope = "login"

    def post(self, request, *args, **kwargs):
        try:
            return super().post(request, *args, **kwargs)
        except AuthenticationFailed:
            LoginAccountThrottle().record_failure(request, self)
            raise


@extend_schema(tags=["auth"], responses={200: TokenPairSerializer, 401: AUTH_FAILED})
class TokenRefreshView(jwt_views.TokenRefreshView):
    """A new access token and a new refresh token; the old refresh token is revoked."""


@extend_schema(tags=["auth"], responses={200: None, 401: AUTH_FAILED})
class TokenBlacklistView(jwt_views.TokenBlacklistView):
    """Log out: revoke the refresh token."""

    serializer_class = TokenBlacklistSerializer


CUSTOMER_ID = OpenApiParameter(
    "id", str, OpenApiParameter.PATH, description="A customer id, or `me` for the caller."
)


UPDATE_DESCRIPTION = (
    "`is_staff` and `is_active` are applied only when staff send them. Changing one's "
    "own `password` or `email` needs `current_password` (400 `validation_error` naming "
    "it when missing or wrong, and nothing changes); staff changing another customer "
    "do not. Requests that check the current password are throttled like logins (429)."
)
SUPERUSER_PROTECTED = problem(
    "Staff who are not superusers may not change or delete a superuser (`permission_denied`)."
)
CURRENT_PASSWORD_THROTTLED = problem(
    "Too many password or email changes, which check the current password, from this "
    "customer (`throttled`); `Retry-After` says when to try again."
)


UPDATE_SCHEMA = extend_schema(
    parameters=[CUSTOMER_ID],
    request=StaffCustomerUpdateSerializer,
    responses={
        200: CustomerSerializer,
        403: SUPERUSER_PROTECTED,
        409: EMAIL_TAKEN,
        429: CURRENT_PASSWORD_THROTTLED,
    },
    description=UPDATE_DESCRIPTION,
)


@extend_schema_view(
    list=extend_schema(
        parameters=[CustomerListQuerySerializer],
        responses={
            200: CustomerSerializer(many=True),
            400: problem(
                "A query parameter is invalid, such as a `search` over 254 characters "
                "(`validation_error`)."
            ),
        },
        description="Staff: every customer. A customer: a page holding only itself.",
    ),
    create=extend_schema(
        request=CustomerCreateSerializer,
        responses={
            201: CustomerSerializer,
            403: problem("Only staff create customers (`permission_denied`)."),
            409: EMAIL_TAKEN,
        },
    ),
    retrieve=extend_schema(parameters=[CUSTOMER_ID]),
    update=UPDATE_SCHEMA,
    partial_update=UPDATE_SCHEMA,
    destroy=extend_schema(
        parameters=[CUSTOMER_ID],
        request=CustomerDeleteSerializer,
        responses={
            204: None,
            400: problem(
                "Deleting oneself without the right `current_password` (`validation_error`); "
                "nothing is deleted."
            ),
            403: SUPERUSER_PROTECTED,
            429: CURRENT_PASSWORD_THROTTLED,
        },
        description=(
            "Erases the customer: deletes it and every record that names it (favorites, "
            "refresh tokens, events and deliveries about it); staff access records about "
            "it stay, pseudonymised. Deleting oneself needs `current_password` in the body; "
            "staff deleting a customer do not. Its tokens answer 401 at once."
        ),
    ),
    export=extend_schema(
        parameters=[CUSTOMER_ID],
        responses={200: OpenApiTypes.OBJECT},
        description=(
            "Everything the service holds about the customer, as one JSON document to save "
            "(`Content-Disposition: attachment`): the profile (no password), then its "
            "records by kind: favorites, staff access records about it, refresh tokens "
            "(dates only), and any events or deliveries about it."
        ),
    ),
)
class CustomerViewSet(viewsets.GenericViewSet):
    serializer_class = CustomerSerializer
    lookup_value_regex = r"[0-9]+|me"
    # Deleting oneself takes `current_password` in the body (documented in the schema).
    delete_takes_body = True

    # Password and email changes check the current password: as many guesses as logins.
    password_check_throttle_scope = "login"

    def get_throttles(self):
        if self.action in ("update", "partial_update") and self._may_check_current_password():
            return [PasswordCheckThrottle()]
        if self.action == "destroy" and self._own():
            return [PasswordCheckThrottle()]
        return super().get_throttles()

    def _own(self) -> bool:
        return self.kwargs.get("pk") in ("me", str(self.request.user.pk))

    def _may_check_current_password(self) -> bool:
        """A password change, or a change of the caller's own email (not a staff edit)."""
        data = self.request.data
        if not isinstance(data, Mapping):
            return False
        if "password" in data:
            return True
        email = data.get("email")
        caller = cast(Customer, self.request.user)  # authenticated: the default permission
        own = self.kwargs.get("pk") in ("me", str(caller.pk))
        return own and isinstance(email, str) and normalize_email(email) != caller.email

    def get_permissions(self):
        if self.action == "create":
            return [permissions.IsAdminUser()]
        return super().get_permissions()

    def get_object(self):
        actor = cast(Customer, self.request.user)  # authenticated: the default permission
        customer = customer_get_for(actor=actor, customer_ref=self.kwargs["pk"])
        if self.action not in ("retrieve", "export"):
            customer_check_changeable(actor=actor, customer=customer)
        # Before the change: an erased customer's entries are pseudonymised with the rest.
        if actor.is_staff and customer.pk != actor.pk:
            staff_access_note(self.request, [customer.pk], channel=API)
        return customer

    def list(self, request):
        query = CustomerListQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        customers = customer_list(actor=request.user, **query.validated_data)
        page = self.paginate_queryset(customers)
        if request.user.is_staff:
            staff_access_note(request, [customer.pk for customer in page], channel=API)
        return self.get_paginated_response(CustomerSerializer(page, many=True).data)

    def create(self, request):
        serializer = CustomerCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        customer = customer_create(**serializer.validated_data)
        staff_access_note(request, [customer.pk], channel=API)
        return Response(CustomerSerializer(customer).data, status=status.HTTP_201_CREATED)

    def retrieve(self, request, pk):
        return Response(CustomerSerializer(self.get_object()).data)

    def update(self, request, pk, partial=False):
        customer = self.get_object()
        serializer_class = (
            StaffCustomerUpdateSerializer if request.user.is_staff else CustomerUpdateSerializer
        )
        serializer = serializer_class(data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        customer = customer_update(
            customer=customer, actor=request.user, **serializer.validated_data
        )
        return Response(CustomerSerializer(customer).data)

    def partial_update(self, request, pk):
        return self.update(request, pk, partial=True)

    def destroy(self, request, pk):
        customer = self.get_object()
        # No body is no fields; a body that is not an object (`false`, `[]`) is a 400.
        serializer = CustomerDeleteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        customer_delete(customer=customer, actor=request.user, **serializer.validated_data)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @action(detail=True, methods=["get"], url_path="export")
    def export(self, request, pk):
        customer = self.get_object()
        response = Response(customer_export(customer=customer))
        # A browser saves it as a file.
        response["Content-Disposition"] = (
            f'attachment; filename="favorites-customer-{customer.pk}-data.json"'
        )
        return response
