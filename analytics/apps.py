from django.apps import AppConfig


class AnalyticsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "analytics"
    verbose_name = "Demand analytics"

    def ready(self) -> None:
        # The OpenAPI examples of the views register themselves when imported.
        from analytics import openapi  # noqa: F401
