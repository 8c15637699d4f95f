"""The real URL conf plus views that fail, to see what an unhandled error and a domain error
of a kind the handler has never heard of answer."""

from django.urls import path
from rest_framework.decorators import api_view, permission_classes
from rest_framework.permissions import AllowAny

from favorites_project.errors import DomainError
from favorites_project.urls import urlpatterns as project_urlpatterns


class ShelfFull(DomainError):
    """A domain error no app defines: the handler knows it only by its attributes."""

    status = 409
    code = "shelf_full"


class QuotaField(DomainError):
    status = 400
    code = "validation_error"
    field = "quota"


@api_view(["GET"])
@permission_classes([AllowAny])
def failing_api_view(request):
    raise RuntimeError("secret internal detail")


@api_view(["GET"])
@permission_classes([AllowAny])
def domain_error_view(request):
    error = ShelfFull("The shelf holds 3 things at most.")
    error.retry_after = 12
    raise error


@api_view(["GET"])
@permission_classes([AllowAny])
def field_error_view(request):
    raise QuotaField("A quota is a whole number.")


def failing_django_view(request):
    raise RuntimeError("secret internal detail")


urlpatterns = [
    path("api/v1/boom/", failing_api_view),
    path("api/v1/shelf/", domain_error_view),
    path("api/v1/quota/", field_error_view),
    path("boom/", failing_django_view),
    *project_urlpatterns,
]
