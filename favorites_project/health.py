"""Probes for the load balancer and the orchestrator: no authentication, no throttling."""

import logging

from django.db import DatabaseError, connection
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import permissions, serializers
from rest_framework.response import Response
from rest_framework.views import APIView

logger = logging.getLogger(__name__)


class ProbeView(APIView):
    authentication_classes = []
    permission_classes = [permissions.AllowAny]


class LiveView(ProbeView):
    @extend_schema(
        tags=["health"],
        responses=inline_serializer("Live", {"status": serializers.CharField()}),
    )
    def get(self, request):
        """The process is up."""
        return Response({"status": "ok"})


class ReadyView(ProbeView):
    @extend_schema(
        tags=["health"],
        responses={
            (200, "application/json"): inline_serializer(
                "Ready",
                {"status": serializers.CharField(), "database": serializers.CharField()},
            ),
            (503, "application/json"): inline_serializer(
                "NotReady",
                {"status": serializers.CharField(), "database": serializers.CharField()},
            ),
        },
    )
    def get(self, request):
        """Ready for traffic: the database answers."""
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT 1")
            database = "ok"
        except DatabaseError:
            logger.warning("Readiness: the database is unreachable", exc_info=True)
            database = "unreachable"
        ready = database == "ok"
        return Response(
            {"status": "ok" if ready else "unavailable", "database": database},
            status=200 if ready else 503,
        )
