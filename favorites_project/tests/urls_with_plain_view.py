"""The real URL conf plus a plain (not DRF, so CSRF-checked) Django view under /api/."""

from django.http import JsonResponse
from django.urls import path

from favorites_project.urls import urlpatterns as project_urlpatterns


def plain_view(request):
    return JsonResponse({"ok": True})


urlpatterns = [
    path("api/v1/plain/", plain_view),
    *project_urlpatterns,
]
