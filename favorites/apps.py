from django.apps import AppConfig


class FavoritesConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "favorites"

    def ready(self) -> None:
        # The OpenAPI examples of the views register themselves when imported.
        from favorites import openapi  # noqa: F401
