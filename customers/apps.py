from django.apps import AppConfig


class CustomersConfig(AppConfig):
    name = "customers"
    verbose_name = "Customers"

    def ready(self):
        # The handlers that drop a changed customer from the cache, and the
        # authentication's OpenAPI scheme and the operations' examples, register
        # themselves when imported.
        from customers import cache, openapi, schema  # noqa: F401
