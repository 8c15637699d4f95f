from drf_spectacular.utils import extend_schema
from rest_framework import permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.generics import get_object_or_404
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param
from rest_framework.views import APIView

from events.models import WebhookEndpoint
from events.selectors import event_page
from events.serializers import (
    EventPageSerializer,
    EventQuerySerializer,
    WebhookEndpointSerializer,
    WebhookEndpointWithSecretSerializer,
    WebhookEndpointWriteSerializer,
)
from events.services import (
    webhook_endpoint_create,
    webhook_endpoint_delete,
    webhook_endpoint_rotate_secret,
    webhook_endpoint_update,
)
from favorites_project.schema import problem

STAFF_ONLY = problem("The caller is not staff (`permission_denied`).")


@extend_schema(tags=["webhooks"], responses={403: STAFF_ONLY})
class WebhookEndpointViewSet(viewsets.GenericViewSet):
    """Webhook endpoints (staff only): where events are delivered, signed."""

    permission_classes = [permissions.IsAdminUser]
    serializer_class = WebhookEndpointSerializer
    lookup_value_regex = "[0-9]{1,18}"
    queryset = WebhookEndpoint.objects.order_by("id")

    def get_object(self) -> WebhookEndpoint:
        return get_object_or_404(WebhookEndpoint, pk=self.kwargs["pk"])

    @extend_schema(responses={200: WebhookEndpointSerializer(many=True), 403: STAFF_ONLY})
    def list(self, request):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(WebhookEndpointSerializer(page, many=True).data)

    @extend_schema(
        request=WebhookEndpointWriteSerializer,
        responses={201: WebhookEndpointWithSecretSerializer, 403: STAFF_ONLY},
        description=(
            "A new endpoint. The answer carries its signing `secret`, the only time the API "
            "shows it. The URL must be https and resolve to public addresses only."
        ),
    )
    def create(self, request):
        serializer = WebhookEndpointWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        endpoint = webhook_endpoint_create(**serializer.validated_data)
        return Response(
            WebhookEndpointWithSecretSerializer(endpoint).data, status=status.HTTP_201_CREATED
        )

    @extend_schema(responses={200: WebhookEndpointSerializer, 403: STAFF_ONLY})
    def retrieve(self, request, pk):
        return Response(WebhookEndpointSerializer(self.get_object()).data)

    @extend_schema(
        request=WebhookEndpointWriteSerializer,
        responses={200: WebhookEndpointSerializer, 403: STAFF_ONLY},
        description="Change the endpoint; `active: true` turns on one a 410 turned off.",
    )
    def update(self, request, pk, partial=False):
        endpoint = self.get_object()
        serializer = WebhookEndpointWriteSerializer(data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        endpoint = webhook_endpoint_update(endpoint=endpoint, **serializer.validated_data)
        return Response(WebhookEndpointSerializer(endpoint).data)

    @extend_schema(
        request=WebhookEndpointWriteSerializer,
        responses={200: WebhookEndpointSerializer, 403: STAFF_ONLY},
    )
    def partial_update(self, request, pk):
        return self.update(request, pk, partial=True)

    @extend_schema(responses={204: None, 403: STAFF_ONLY})
    def destroy(self, request, pk):
        webhook_endpoint_delete(endpoint=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        request=None,
        responses={200: WebhookEndpointWithSecretSerializer, 403: STAFF_ONLY},
        description="A new signing secret, shown in this answer only; the old one stops at once.",
    )
    @action(detail=True, methods=["post"], url_path="rotate-secret")
    def rotate_secret(self, request, pk):
        endpoint = webhook_endpoint_rotate_secret(endpoint=self.get_object())
        return Response(WebhookEndpointWithSecretSerializer(endpoint).data)


class EventListView(APIView):
    permission_classes = [permissions.IsAdminUser]

    @extend_schema(
        tags=["webhooks"],
        operation_id="events_list",
        parameters=[EventQuerySerializer],
        responses={
            200: EventPageSerializer,
            400: problem("`after`, `limit` or `type` is not valid (`validation_error`)."),
            403: STAFF_ONLY,
        },
        description=(
            "Every event, oldest first, for consumers that missed deliveries (staff only). "
            "Keyset-paginated: pass the page's `cursor` as `after` for the next one, now or "
            "later; an empty page keeps the cursor you sent. Events show once they are "
            "a few seconds old (`EVENTS_REPLAY_SETTLE`)."
        ),
    )
    def get(self, request):
        query = EventQuerySerializer(data=request.query_params.dict())
        query.is_valid(raise_exception=True)
        after, size = int(query.validated_data["after"]), query.validated_data["limit"]
        events = event_page(after=after, limit=size, type=query.validated_data.get("type"))
        cursor = str(events[-1].pk) if events else query.validated_data["after"]
        next_url = None
        if len(events) == size:
            next_url = replace_query_param(request.build_absolute_uri(), "after", cursor)
        return Response(
            {
                "results": [event.payload() for event in events],
                "cursor": cursor,
                "next": next_url,
            }
        )
