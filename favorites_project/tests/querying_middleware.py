"""A middleware that reads the database before the view, as session and auth middleware do."""

from django.db import connection


class QueryingMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return self.get_response(request)
