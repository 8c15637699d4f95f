"""The real URL conf plus a view that fails, to see what an unhandled error answers."""

from django.urls import path
from rest_framework.decorators import api_view, permission_classes
from rest_framework.permissions import AllowAny

from favorites_project.urls import urlpatterns as project_urlpatterns


@api_view(["GET"])
@permission_classes([AllowAny])
def failing_api_view(request):
    raise RuntimeError("secret internal detail")


def failing_django_view(request):
    raise RuntimeError("secret internal detail")


urlpatterns = [
    path("api/v1/boom/", failing_api_view),
    path("boom/", failing_django_view),
    *project_urlpatterns,
]
