"""The OpenAPI description of the project's JWT authentication: SimpleJWT's bearer scheme."""

from drf_spectacular.contrib.rest_framework_simplejwt import SimpleJWTScheme


class JWTScheme(SimpleJWTScheme):
    target_class = "customers.authentication.JWTAuthentication"
