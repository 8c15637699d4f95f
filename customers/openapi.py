"""Summaries and examples of the customers and auth operations in the OpenAPI schema.

Applied to the views from here (drf-spectacular's view extensions), so the views keep
only what describes their behaviour.
"""

from drf_spectacular.extensions import OpenApiViewExtension
from drf_spectacular.utils import extend_schema, extend_schema_view

from favorites_project.openapi_examples import page_of, request_example, response_example

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


class RegisterViewExamples(OpenApiViewExtension):
    target_class = "customers.views.RegisterView"

    def view_replacement(self):
        @extend_schema_view(
            post=extend_schema(
                summary="Register a customer account",
                examples=[
                    request_example(
                        "Register",
                        {"name": "Ana Souza", "email": "ana@example.com", "password": PASSWORD},
                    ),
                    response_example("Registered", ANA, status=201),
                ],
            )
        )
        class Fixed(self.target_class):
            pass

        return Fixed


class TokenObtainPairViewExamples(OpenApiViewExtension):
    target_class = "customers.views.TokenObtainPairView"

    def view_replacement(self):
        @extend_schema_view(
            post=extend_schema(
                summary="Log in: obtain an access and a refresh token",
                examples=[
                    request_example("Log in", {"email": "ana@example.com", "password": PASSWORD}),
                    response_example("Tokens", TOKENS),
                ],
            )
        )
        class Fixed(self.target_class):
            pass

        return Fixed


class TokenRefreshViewExamples(OpenApiViewExtension):
    target_class = "customers.views.TokenRefreshView"

    def view_replacement(self):
        @extend_schema_view(
            post=extend_schema(
                summary="Rotate a refresh token",
                examples=[
                    request_example("Refresh", {"refresh": TOKENS["refresh"]}),
                    response_example("New tokens", TOKENS),
                ],
            )
        )
        class Fixed(self.target_class):
            pass

        return Fixed


class TokenBlacklistViewExamples(OpenApiViewExtension):
    target_class = "customers.views.TokenBlacklistView"

    def view_replacement(self):
        @extend_schema_view(
            post=extend_schema(
                summary="Log out: revoke a refresh token",
                examples=[request_example("Log out", {"refresh": TOKENS["refresh"]})],
            )
        )
        class Fixed(self.target_class):
            pass

        return Fixed


class CustomerViewSetExamples(OpenApiViewExtension):
    target_class = "customers.views.CustomerViewSet"

    def view_replacement(self):
        @extend_schema_view(
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
                summary="Delete a customer",
                description="Deletes the customer and its favorites; its tokens answer 401.",
            ),
        )
        class Fixed(self.target_class):
            pass

        return Fixed
