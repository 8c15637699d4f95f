from django.apps import AppConfig


class CatalogConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "catalog"

    def ready(self) -> None:
        # The OpenAPI examples of the views register themselves when imported.
        from catalog import openapi  # noqa: F401
