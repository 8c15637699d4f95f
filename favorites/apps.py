from django.apps import AppConfig


class FavoritesConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "favorites"

    def ready(self):
        # Registers the tasks with the Celery app in every process, senders included.
        from favorites import tasks  # noqa: F401
