from django.conf import settings
from django.core.validators import RegexValidator
from drf_spectacular.utils import OpenApiExample, extend_schema_serializer
from rest_framework import serializers

from events import webhooks
from events.models import EventType, WebhookEndpoint


# Strict like the customers' fields (events imports no app above it): JSON strings and
# booleans only, as the schema says, never a number taken for text.
class StrictCharField(serializers.CharField):
    def run_validation(self, data=serializers.empty):
        if not (isinstance(data, str) or data is serializers.empty or data is None):
            self.fail("invalid")
        if self.max_length is not None and isinstance(data, str) and len(data) > self.max_length:
            self.fail("max_length", max_length=self.max_length)
        return super().run_validation(data)


class StrictBooleanField(serializers.BooleanField):
    def to_internal_value(self, data):
        if data is True or data is False:
            return data
        self.fail("invalid", input=data)


class WebhookEndpointSerializer(serializers.ModelSerializer):
    event_types = serializers.ListField(
        child=serializers.ChoiceField(choices=EventType.choices),
        help_text="The event types it receives; empty for all of them.",
    )

    class Meta:
        model = WebhookEndpoint
        fields = [
            "id",
            "url",
            "description",
            "event_types",
            "active",
            "disabled_reason",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


@extend_schema_serializer(
    examples=[
        OpenApiExample(
            "Created",
            value={
                "id": 1,
                "url": "https://notifications.example.com/hooks/favorites",
                "description": "Price-drop e-mails",
                "event_types": ["favorite.back_in_stock", "favorite.price_dropped"],
                "active": True,
                "disabled_reason": "",
                "created_at": "2026-11-29T03:00:00Z",
                "updated_at": "2026-11-29T03:00:00Z",
                "secret": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw/G8hb3cNqPg=",
            },
            response_only=True,
        )
    ]
)
class WebhookEndpointWithSecretSerializer(WebhookEndpointSerializer):
    secret = serializers.CharField(
        read_only=True,
        help_text=(
            "The signing secret, shown in this answer only: keep it, the API never shows "
            "it again (rotate it for a new one)."
        ),
    )

    class Meta(WebhookEndpointSerializer.Meta):
        fields = [*WebhookEndpointSerializer.Meta.fields, "secret"]
        read_only_fields = fields


class WebhookURLField(StrictCharField):
    """A URL the service may call (webhooks.url_check): https, resolving to public addresses."""

    def __init__(self, **kwargs):
        super().__init__(max_length=2000, **kwargs)
        # What a schema can say (the scheme); the rest (public addresses) it cannot.
        if settings.WEBHOOK_ALLOW_HTTP:
            pattern, message = r"^https?://", "A webhook URL starts with https:// or http://."
        else:
            pattern, message = r"^https://", "A webhook URL starts with https://."
        self.validators.append(RegexValidator(pattern, message, "invalid"))

    def to_internal_value(self, data):
        url = super().to_internal_value(data)
        try:
            webhooks.url_check(url)
        except webhooks.UnsafeURL as exc:
            raise serializers.ValidationError(str(exc)) from None
        return url


class WebhookEndpointWriteSerializer(serializers.Serializer):
    url = WebhookURLField(
        help_text=(
            "An https URL whose host resolves to public addresses only; it receives a POST "
            "for each event."
        )
    )
    event_types = serializers.ListField(
        child=serializers.ChoiceField(choices=EventType.choices),
        required=False,
        default=list,
        max_length=len(EventType.choices),
        help_text="The event types it receives; empty (the default) for all of them.",
    )
    description = StrictCharField(max_length=255, required=False, allow_blank=True, default="")
    active = StrictBooleanField(required=False, default=True)


class EventSerializer(serializers.Serializer):
    """An event as webhooks deliver it and the replay API lists it."""

    id = serializers.UUIDField(help_text="Stable: consumers drop events they have seen.")
    type = serializers.ChoiceField(choices=EventType.choices)
    occurred_at = serializers.DateTimeField()
    customer_id = serializers.IntegerField(allow_null=True)
    # A declared field, not the `data` of a serializer's output (this one only documents).
    data = serializers.DictField(  # type: ignore[assignment]
        help_text="Depends on the type: see docs/events.md."
    )


@extend_schema_serializer(
    examples=[
        OpenApiExample(
            "A page",
            value={
                "results": [
                    {
                        "id": "5f0c1c4e-4c2b-4f53-9a57-0d1f0e1a6b7c",
                        "type": "favorite.price_dropped",
                        "occurred_at": "2026-11-29T03:00:00.123456Z",
                        "customer_id": 42,
                        "data": {
                            "product_id": "1bf0f365-fbdd-4e21-9786-da459d78dd1f",
                            "title": "Cadeira para Auto Iseos Bébé Confort Earth Brown",
                            "old_price": "1699.00",
                            "new_price": "1529.10",
                            "price_when_added": "1699.00",
                            "last_notified_price": "1699.00",
                            "drop_percent": "10.00",
                            "drop_percent_since_added": "10.00",
                        },
                    }
                ],
                "cursor": "1234",
                "next": "https://favorites.example.com/api/v1/events/?after=1234",
            },
            response_only=True,
        )
    ]
)
class EventPageSerializer(serializers.Serializer):
    results = EventSerializer(many=True)
    cursor = serializers.CharField(
        help_text=(
            "Pass as `after` for the events after this page (the `after` sent, when the page "
            "is empty)."
        ),
    )
    next = serializers.URLField(
        allow_null=True, help_text="The next page, or null when there is none yet."
    )


class EventQuerySerializer(serializers.Serializer):
    after = serializers.RegexField(
        r"^[0-9]{1,18}$",
        required=False,
        default="0",
        help_text="The `cursor` of the last page read; omit it to start from the oldest event.",
    )
    limit = serializers.IntegerField(
        min_value=1,
        max_value=1000,
        required=False,
        default=100,
        help_text="Events per page, from 1 to 1000.",
    )
    type = serializers.ChoiceField(
        choices=EventType.choices, required=False, help_text="Only events of this type."
    )
