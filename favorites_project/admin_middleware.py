"""Django middleware that only the admin needs, doing nothing on the API's paths.

Sessions, the logged-in user and messages serve the admin's forms; the API
authenticates every request with a bearer token and keeps no session, so on its
paths they were per-request work with no effect (docs/performance.md). Each is
a subclass of Django's own class, so the admin's system checks still see it.
"""

from django.contrib.auth import middleware as auth
from django.contrib.messages import middleware as messages
from django.contrib.sessions import middleware as sessions

ADMIN_PREFIX = "/admin/"


class AdminOnly:
    """Mixed into a Django middleware class: it runs on the admin's paths only."""

    @staticmethod
    def applies(request) -> bool:
        return request.path_info.startswith(ADMIN_PREFIX)

    def __call__(self, request):
        if not self.applies(request):
            return self.get_response(request)
        return super().__call__(request)


class SessionMiddleware(AdminOnly, sessions.SessionMiddleware):
    pass


class AuthenticationMiddleware(AdminOnly, auth.AuthenticationMiddleware):
    pass


class MessageMiddleware(AdminOnly, messages.MessageMiddleware):
    pass
