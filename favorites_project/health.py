"""Probes for the load balancer and the orchestrator: no authentication, no throttling."""

import logging
from collections.abc import Callable, Mapping

from django.db import DatabaseError, connection
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import permissions, serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from favorites_project.celery import broker_status
from favorites_project.openapi_examples import response_example

logger = logging.getLogger(__name__)

READY_EXAMPLE = {
    "status": "ok",
    "database": "ok",
    "catalog": {"provider": "luizalabs", "breaker": "closed", "reachable": True},
}


class CatalogStatusSerializer(serializers.Serializer):
    provider = serializers.CharField(help_text="`demo`, `luizalabs` or `fakestore`.")
    breaker = serializers.CharField(help_text="`closed`, `open` or `half_open`.")
    reachable = serializers.BooleanField(
        allow_null=True, help_text="Null until this process has called the catalog."
    )


BROKER = serializers.CharField(
    help_text=(
        "The task broker (Redis): `ok`, `unreachable`, or `in-process` when there is none "
        "and tasks run in the process that sends them."
    )
)


class ProbeView(APIView):
    authentication_classes = []
    permission_classes = [permissions.AllowAny]


class LiveView(ProbeView):
    @extend_schema(
        tags=["health"],
        summary="Liveness probe",
        responses=inline_serializer("Live", {"status": serializers.CharField()}),
        examples=[response_example("Alive", {"status": "ok"})],
    )
    def get(self, request):
        """The process is up."""
        return Response({"status": "ok"})


class ReadyView(ProbeView):
    # The catalog's state, as `catalog.products.catalog_status` reports it: the URLconf
    # passes it in (`as_view(catalog_status=...)`), so this module imports no app.
    catalog_status: Callable[[], Mapping[str, object]] | None = None

    @extend_schema(
        tags=["health"],
        summary="Readiness probe",
        examples=[
            response_example("Ready", READY_EXAMPLE),
            response_example(
                "Not ready",
                {**READY_EXAMPLE, "status": "unavailable", "database": "unreachable"},
                status=503,
            ),
        ],
        responses={
            (200, "application/json"): inline_serializer(
                "Ready",
                {
                    "status": serializers.CharField(),
                    "database": serializers.CharField(),
                    "catalog": CatalogStatusSerializer(),
                    "broker": BROKER,
                },
            ),
            (503, "application/json"): inline_serializer(
                "NotReady",
                {
                    "status": serializers.CharField(),
                    "database": serializers.CharField(),
                    "catalog": CatalogStatusSerializer(),
                    "broker": BROKER,
                },
            ),
        },
    )
    def get(self, request):
        """Ready for traffic: the database answers. The catalog's and the task broker's states
        are reported, not required: without the catalog the favorites lists still work, and
        without the broker events wait in the outbox for the sweeper."""
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT 1")
            database = "ok"
        except DatabaseError:
            logger.warning("Readiness: the database is unreachable", exc_info=True)
            database = "unreachable"
        ready = database == "ok"
        return Response(
            {
                "status": "ok" if ready else "unavailable",
                "database": database,
                "catalog": self._catalog_status(),
                "broker": broker_status(),
            },
            status=200 if ready else 503,
        )

    def _catalog_status(self) -> Mapping[str, object]:
        """What this process last saw of the catalog (no network call), never an error."""
        try:
            if self.catalog_status is None:
                raise LookupError("no catalog_status was given to the view")
            return self.catalog_status()
        except Exception:
            logger.warning("Readiness: the catalog's state is unknown", exc_info=True)
            return {"provider": "unknown", "breaker": "unknown", "reachable": None}
