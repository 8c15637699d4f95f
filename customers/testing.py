"""Helpers for the customers tests (and any other suite that logs in)."""

from django.urls import reverse_lazy

# Every factory-built customer's password (`customers.tests.factories`).
PASSWORD = "correct-horse-battery-staple"

TOKEN_URL = reverse_lazy("auth-token")
ADMIN_LOGIN_URL = reverse_lazy("admin:login")


def set_throttle_rates(settings, **rates: str) -> None:
    """Override some of DRF's throttle rates (`login`, `register`), keeping the others."""
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {
            **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
            **rates,
        },
    }


def api_login(client, email: str, password: str = PASSWORD, *, address: str = "127.0.0.1"):
    """`POST auth/token/` from the given client address."""
    return client.post(TOKEN_URL, {"email": email, "password": password}, REMOTE_ADDR=address)


def admin_login(client, email: str, password: str = PASSWORD, *, address: str = "127.0.0.1"):
    """The admin's login form posted from the given client address."""
    return client.post(
        ADMIN_LOGIN_URL,
        {"username": email, "password": password, "next": "/admin/"},
        REMOTE_ADDR=address,
    )
