from django.contrib import admin
from django.urls import include, path, re_path

from catalog.products import catalog_status
from favorites_project import docs, exceptions, health, metrics

# The favorites first: the URL resolver tries patterns in order, and the favorites
# list is the hot path.
api_v1 = [
    path("", include("favorites.urls")),
    path("", include("customers.urls")),
    path("", include("catalog.urls")),
    path("", include("events.urls")),
    path("", include("analytics.urls")),
]

urlpatterns = [
    path("api/v1/", include(api_v1)),
    path("", docs.index, name="index"),
    path("api/schema/", docs.SchemaView.as_view(), name="schema"),
    path("api/docs/", docs.SwaggerView.as_view(url_name="schema"), name="swagger-ui"),
    path("api/redoc/", docs.RedocView.as_view(url_name="schema"), name="redoc"),
    path("health/live", health.LiveView.as_view(), name="health-live"),
    path(
        "health/ready",
        health.ReadyView.as_view(catalog_status=catalog_status),
        name="health-ready",
    ),
    path("metrics", metrics.metrics_view, name="metrics"),
    path("admin/", admin.site.urls),
    # Anything else is a problem-details 404, DEBUG on or off (admin keeps its own).
    re_path(r"^(?!admin(?:/|$)).*$", exceptions.not_found_view),
]

handler400 = exceptions.bad_request
handler403 = exceptions.permission_denied
handler404 = exceptions.page_not_found
handler500 = exceptions.server_error
