"""The service's front door: an index at `/`, the OpenAPI schema, Swagger UI and ReDoc.

The docs pages load nothing from outside the service: their scripts and styles are
drf-spectacular-sidecar's copies, served as static files, and ReDoc's page does not ask
for web fonts (it falls back to the system's).
"""

from django.shortcuts import render
from django.views.decorators.http import require_safe
from drf_spectacular.renderers import (
    OpenApiJsonRenderer,
    OpenApiJsonRenderer2,
    OpenApiYamlRenderer,
    OpenApiYamlRenderer2,
)
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView


@require_safe
def index(request):
    """Where a person who opens the service's address lands: links to what it offers."""
    return render(request, "docs/index.html")


class SchemaView(SpectacularAPIView):
    """YAML by default; `?format=json` as `application/json`, which a browser shows
    instead of downloading (`application/vnd.oai.openapi+json` when asked for it)."""

    renderer_classes = [
        OpenApiYamlRenderer,
        OpenApiYamlRenderer2,
        OpenApiJsonRenderer2,
        OpenApiJsonRenderer,
    ]


class SwaggerView(SpectacularSwaggerView):
    title = "Favorites API: Swagger UI"


class RedocView(SpectacularRedocView):
    title = "Favorites API: ReDoc"
    template_name = "docs/redoc.html"
