from django.apps import AppConfig


class FavoritesConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "favorites"

    def ready(self) -> None:
        # The tasks register with the Celery app in every process, senders included; the
        # OpenAPI examples of the views register themselves when imported.
        from favorites import openapi, tasks  # noqa: F401
