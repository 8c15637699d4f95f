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


# The docs pages may load only what the service serves: ReDoc's bundle asks an outside host
# for its logo whatever its options, and the browser refuses to. Inline scripts and styles
# are the pages' own (Swagger UI's settings, ReDoc's init and its styled components); ReDoc
# runs its search in a worker made from a blob.
DOCS_CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self' 'unsafe-inline'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "font-src 'self' data:",
        "connect-src 'self'",
        "worker-src 'self' blob:",
        "frame-ancestors 'none'",
        "base-uri 'self'",
        "form-action 'self'",
    ]
)


class SelfContainedMixin:
    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        response["Content-Security-Policy"] = DOCS_CONTENT_SECURITY_POLICY
        return response


class SwaggerView(SelfContainedMixin, SpectacularSwaggerView):
    title = "Favorites API: Swagger UI"


class RedocView(SelfContainedMixin, SpectacularRedocView):
    title = "Favorites API: ReDoc"
    template_name = "docs/redoc.html"
