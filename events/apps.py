from django.apps import AppConfig


class EventsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "events"
    verbose_name = "events and webhooks"

    def ready(self):
        # Registers the tasks with the Celery app in every process, senders included
        # (Django's idiom for signal handlers).
        from events import openapi, tasks  # noqa: F401
        from events.metrics import BacklogCollector
        from favorites_project.metrics import scrape_collector_register

        scrape_collector_register(BacklogCollector())
