"""The Django admin's site: Django's own, with the login limited like the API's.

The admin login shares the API login's counts: the per-address limit
(`LOGIN_THROTTLE_RATE`) and the per-account limit on failed logins
(`LOGIN_ACCOUNT_THROTTLE_RATE`), so neither door adds guesses to the other.
"""

import math
from types import SimpleNamespace

from django.contrib import admin
from django.contrib.auth.decorators import login_not_required
from django.http import HttpResponseRedirect
from django.utils.decorators import method_decorator
from django.views.decorators.cache import never_cache

from customers.throttling import LoginAccountThrottle, LoginAddressThrottle
from favorites_project.exceptions import problem_response

# What the throttles read from a view, for the admin's login form.
ADMIN_LOGIN = SimpleNamespace(throttle_scope="login", login_email_field="username")


class AdminSite(admin.AdminSite):
    site_header = "Favorites administration"
    site_title = "Favorites admin"
    # "View site" leads to the API's documentation: the service has no site of its own.
    site_url = "/api/docs/"
    # The room goes to the lists (favorites rows stay on one line at 1,400 px); the
    # breadcrumbs and the index lead everywhere the sidebar did.
    enable_nav_sidebar = False

    @method_decorator(never_cache)
    @login_not_required
    def login(self, request, extra_context=None):
        if request.method != "POST":
            return super().login(request, extra_context)
        throttles = [LoginAddressThrottle(), LoginAccountThrottle()]
        refused = [
            throttle for throttle in throttles if not throttle.allow_request(request, ADMIN_LOGIN)
        ]
        if refused:
            return _throttled(max((throttle.wait() or 1) for throttle in refused))
        response = super().login(request, extra_context)
        password_checked = request.POST.get("username") and request.POST.get("password")
        if password_checked and not isinstance(response, HttpResponseRedirect):
            LoginAccountThrottle().record_failure(request, ADMIN_LOGIN)
        return response


def _throttled(wait: float):
    seconds = math.ceil(wait)
    response = problem_response(
        429, "throttled", f"Too many login attempts. Try again in {seconds} seconds."
    )
    response["Retry-After"] = str(seconds)
    return response
