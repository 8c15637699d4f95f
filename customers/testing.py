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


def customer_change_form_data(page, **changes) -> dict:
    """What the admin's customer change page would post back, its inline rows included,
    with `changes` applied (the password and date fields left as the page leaves them)."""
    form = page.context["adminform"].form
    data = {
        name: value
        for name, value in form.initial.items()
        if name in form.fields and value is not None and name not in ("groups", "user_permissions")
    }
    data.update(date_joined_0="", password="", **changes)
    for formset in page.context["inline_admin_formsets"]:
        management = formset.formset.management_form
        data.update({f"{management.prefix}-{k}": v for k, v in management.initial.items()})
        for inline in formset.formset.forms:
            data[f"{inline.prefix}-id"] = inline.instance.pk
            data[f"{inline.prefix}-customer"] = inline.instance.customer_id
    return data
