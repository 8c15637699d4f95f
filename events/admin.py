from django import forms
from django.contrib import admin, messages

from events import webhooks
from events.models import Delivery, Event, EventType, WebhookEndpoint
from events.services import (
    deliveries_redeliver,
    webhook_endpoint_create,
    webhook_endpoint_rotate_secret,
    webhook_endpoint_update,
)
from favorites_project.admin import ReadOnlyModelAdmin, ViewOnlyModelAdmin

EDITABLE = ("url", "description", "event_types", "active")


class WebhookEndpointForm(forms.ModelForm):
    url = forms.URLField(max_length=2000, assume_scheme="https")
    event_types = forms.MultipleChoiceField(
        choices=EventType.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="None ticked: every type.",
    )

    class Meta:
        model = WebhookEndpoint
        fields = list(EDITABLE)

    def clean_url(self):
        url = self.cleaned_data["url"]
        try:
            webhooks.url_check(url)
        except webhooks.UnsafeURL as exc:
            raise forms.ValidationError(str(exc)) from None
        return url


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(admin.ModelAdmin):
    """Endpoints are written through the services: the URL checked, the secret made and
    shown once (in the message after saving), never on a page."""

    form = WebhookEndpointForm
    list_display = ["url", "description", "active", "disabled_reason", "created_at"]
    list_filter = ["active"]
    search_fields = ["url", "description"]
    readonly_fields = ["disabled_reason", "created_at", "updated_at"]
    actions = ["rotate_secret"]

    def save_model(self, request, endpoint, form, change):
        fields = {name: form.cleaned_data[name] for name in EDITABLE}
        if change:
            webhook_endpoint_update(endpoint=endpoint, **fields)
            return
        created = webhook_endpoint_create(**fields)
        endpoint.pk = created.pk
        self._show_secret(request, created)

    @admin.action(description="Rotate the signing secret of the selected endpoints")
    def rotate_secret(self, request, queryset):
        for endpoint in queryset:
            self._show_secret(request, webhook_endpoint_rotate_secret(endpoint=endpoint))

    @staticmethod
    def _show_secret(request, endpoint: WebhookEndpoint) -> None:
        messages.warning(
            request,
            f"The signing secret of {endpoint.url} is {endpoint.secret} — copy it now: "
            "it is not shown again.",
        )


@admin.register(Event)
class EventAdmin(ViewOnlyModelAdmin):
    list_display = ["id", "type", "customer_id", "occurred_at", "dispatched_at"]
    list_filter = ["type", "occurred_at"]
    search_fields = ["=event_id", "=customer_id", "=request_id"]
    ordering = ["-id"]
    fields = readonly_fields = (
        "event_id",
        "type",
        "customer_id",
        "data",
        "occurred_at",
        "dispatched_at",
        "request_id",
    )
    show_full_result_count = False


@admin.register(Delivery)
class DeliveryAdmin(ReadOnlyModelAdmin):
    list_display = [
        "id",
        "event_type",
        "endpoint",
        "status",
        "attempts",
        "last_status_code",
        "last_error",
        "last_attempt_at",
        "next_attempt_at",
    ]
    list_filter = ["status", "endpoint"]
    list_select_related = ["event", "endpoint"]
    search_fields = ["=event__event_id", "=customer_id"]
    ordering = ["-id"]
    fields = readonly_fields = (
        "event",
        "endpoint",
        "customer_id",
        "status",
        "attempts",
        "created_at",
        "next_attempt_at",
        "retry_until",
        "last_attempt_at",
        "last_status_code",
        "last_error",
        "last_duration_ms",
        "finished_at",
    )
    actions = ["redeliver"]
    show_full_result_count = False

    @admin.display(description="event", ordering="event__type")
    def event_type(self, delivery: Delivery) -> str:
        return delivery.event.type

    @admin.action(description="Redeliver the selected deliveries now")
    def redeliver(self, request, queryset):
        count = deliveries_redeliver(deliveries=queryset)
        messages.success(request, f"{count} deliveries queued again.")
