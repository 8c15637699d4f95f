"""
WSGI config for favorites_project project.

It exposes the WSGI callable as a module-level variable named ``application``.

For more information on this file, see
https://docs.djangoproject.com/en/5.2/howto/deployment/wsgi/
"""

import os

from django.core.wsgi import get_wsgi_application

from favorites_project.middleware import bounded_chunked_bodies

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "favorites_project.settings")

if os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT"):
    # Traces (docs/operations.md). Imported only here and only then: with traces off,
    # nothing of OpenTelemetry is loaded. Before Django's handler is built, since the
    # Django instrumentation adds a middleware.
    from favorites_project import telemetry

    telemetry.configure()

application = bounded_chunked_bodies(get_wsgi_application())
