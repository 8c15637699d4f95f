"""Summaries and examples of the customers and auth operations in the OpenAPI schema.

Applied to the views from here (drf-spectacular's view extensions), so the views keep
only what describes their behaviour.
"""

from drf_spectacular.extensions import OpenApiViewExtension
from drf_spectacular.utils import extend_schema

from favorites_project.openapi_examples import (
    page_of,
    request_example,
    response_example,
    with_schema,
)

ANA = {
    "id": 42,
    "name": "Ana Souza",
    "email": "ana@example.com",
    "is_staff": False,
    "is_active": True,
    "date_joined": "2026-11-27T22:16:18.843807Z",
}
TOKENS = {
    "access": "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJ0b2tlbl90eXBlIjoiYWNjZXNzIn0.c2lnbmF0dXJl",
    "refresh": "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJ0b2tlbl90eXBlIjoicmVmcmVzaCJ9.c2lnbmF0dXJl",
}
PASSWORD = "a-long-passphrase"
EXPORT = {
    "exported_at": "2026-11-28T10:00:00.000000+00:00",
    "customer": {**ANA, "last_login": None},
    "records": {
        "favorites.favorite": [
            {
                "id": 7,
                "product_id": "1bf0f365-fbdd-4e21-9786-da459d78dd1f",
                "title": "Cadeira para Auto Iseos Bébé Confort Earth Brown",
                "image_url": "https://images.catalog.example.com/products/1bf0f365.jpg",
                "price": "1499.00",
                "review_score": None,
                "brand": "bébé confort",
                "price_when_added": "1699.00",
                "available": True,
                "created_at": "2026-11-27T22:16:18.843Z",
                "refreshed_at": "2026-11-28T03:00:00.000Z",
            }
        ],
        "audit.staffaccess": [
            {
                "id": 3,
                "created_at": "2026-11-28T09:12:00.000Z",
                "actor_pseudonym": "",
                "subject_pseudonym": "",
                "action": "read",
                "channel": "admin",
                "what": "GET /admin/customers/customer/42/change/",
                "address": "203.0.113.9",
            }
        ],
        "token_blacklist.outstandingtoken": [
            {
                "id": 11,
                "jti": "f3a2c1d4e5b6a7980123456789abcdef",
                "created_at": "2026-11-27T22:16:19.000Z",
                "expires_at": "2026-12-04T22:16:19.000Z",
            }
        ],
    },
}


class RegisterViewExamples(OpenApiViewExtension):
    target_class = "customers.views.RegisterView"

    def view_replacement(self) -> type:
        return with_schema(
            self.target,
            post=extend_schema(
                summary="Register a customer account",
                examples=[
                    request_example(
                        "Register",
                        {"name": "Ana Souza", "email": "ana@example.com", "password": PASSWORD},
                    ),
                    response_example("Registered", ANA, status=201),
                ],
            ),
        )


class TokenObtainPairViewExamples(OpenApiViewExtension):
    target_class = "customers.views.TokenObtainPairView"

    def view_replacement(self) -> type:
        return with_schema(
            self.target,
            post=extend_schema(
                summary="Log in: obtain an access and a refresh token",
                examples=[
                    request_example("Log in", {"email": "ana@example.com", "password": PASSWORD}),
                    response_example("Tokens", TOKENS),
                ],
            ),
        )


class TokenRefreshViewExamples(OpenApiViewExtension):
    target_class = "customers.views.TokenRefreshView"

    def view_replacement(self) -> type:
        return with_schema(
            self.target,
            post=extend_schema(
                summary="Rotate a refresh token",
                examples=[
                    request_example("Refresh", {"refresh": TOKENS["refresh"]}),
                    response_example("New tokens", TOKENS),
                ],
            ),
        )


class TokenBlacklistViewExamples(OpenApiViewExtension):
    target_class = "customers.views.TokenBlacklistView"

    def view_replacement(self) -> type:
        return with_schema(
            self.target,
            post=extend_schema(
                summary="Log out: revoke a refresh token",
                examples=[request_example("Log out", {"refresh": TOKENS["refresh"]})],
            ),
        )


class CustomerViewSetExamples(OpenApiViewExtension):
    target_class = "customers.views.CustomerViewSet"

    def view_replacement(self) -> type:
        return with_schema(
            self.target,
            list=extend_schema(
                summary="List customers",
                examples=[response_example("A page of customers", page_of(ANA))],
            ),
            create=extend_schema(
                summary="Create a customer (staff)",
                description=(
                    "Staff only. Without a `password` the customer cannot log in until one "
                    "is set; `is_staff` makes the account staff."
                ),
                examples=[
                    request_example(
                        "Create",
                        {"name": "Ana Souza", "email": "ana@example.com", "password": PASSWORD},
                    ),
                    response_example("Created", ANA, status=201),
                ],
            ),
            retrieve=extend_schema(
                summary="Read a customer",
                description="One customer: yourself (`me` or your id), or anyone for staff.",
                examples=[response_example("A customer", ANA)],
            ),
            update=extend_schema(
                summary="Replace a customer's fields",
                examples=[
                    request_example(
                        "Update", {"name": "Ana Souza Lima", "email": "ana@example.com"}
                    ),
                    response_example("Updated", {**ANA, "name": "Ana Souza Lima"}),
                ],
            ),
            partial_update=extend_schema(
                summary="Change some of a customer's fields",
                examples=[
                    request_example(
                        "New password",
                        {"password": "another-long-passphrase", "current_password": PASSWORD},
                    ),
                    response_example("Updated", ANA),
                ],
            ),
            destroy=extend_schema(
                summary="Delete a customer and erase its data",
                examples=[request_example("Delete yourself", {"current_password": PASSWORD})],
            ),
            export=extend_schema(
                summary="Export everything held about a customer",
                examples=[response_example("An export", EXPORT)],
            ),
        )
