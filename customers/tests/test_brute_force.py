"""Password guessing: per client address and per account, through the API and the admin."""

import time

import pytest
from django.test import Client

from customers.testing import admin_login, api_login, set_throttle_rates
from customers.tests.factories import CustomerFactory, StaffFactory
from customers.throttling import LoginAccountThrottle
from favorites_project.testing import assert_problem

pytestmark = pytest.mark.django_db

ADDRESSES = [f"198.51.100.{n}" for n in range(1, 11)]


@pytest.fixture
def clock(monkeypatch):
    """The per-account throttle's clock, moved by hand instead of sleeping."""

    class Clock:
        now = time.time()

        def advance(self, seconds: float) -> None:
            self.now += seconds

    clock = Clock()
    monkeypatch.setattr(LoginAccountThrottle, "timer", staticmethod(lambda: clock.now))
    return clock


def test_ten_addresses_guessing_one_account_are_stopped_by_the_per_account_limit(
    api_client, customer, settings
):
    set_throttle_rates(settings, login="10/min")
    settings.LOGIN_ACCOUNT_THROTTLE_RATE = "20/hour"

    statuses = [
        api_login(api_client, customer.email, f"guess-{n}", address=address).status_code
        for address in ADDRESSES
        for n in range(3)
    ]
    right_password = api_login(api_client, customer.email, address="203.0.113.50")

    # Every address stayed under its own limit (10/min); the account's 20 failures did not.
    assert statuses == [401] * 20 + [429] * 10
    assert right_password.status_code == 429
    assert right_password.json()["code"] == "throttled"
    assert 0 < int(right_password["Retry-After"]) <= 3600


def test_the_per_account_limit_counts_the_email_whatever_its_case(api_client, customer, settings):
    settings.LOGIN_ACCOUNT_THROTTLE_RATE = "3/hour"

    variants = [customer.email.upper(), f"  {customer.email} ", customer.email.title()]
    statuses = [
        api_login(api_client, email, "wrong", address=address).status_code
        for email, address in zip(variants, ADDRESSES, strict=False)
    ]

    assert statuses == [401, 401, 401]
    assert api_login(api_client, customer.email, address=ADDRESSES[5]).status_code == 429


def test_the_per_account_lock_lifts_when_the_period_has_passed(
    api_client, customer, settings, clock
):
    settings.LOGIN_ACCOUNT_THROTTLE_RATE = "5/hour"
    for address in ADDRESSES[:5]:
        api_login(api_client, customer.email, "wrong", address=address)

    locked = api_login(api_client, customer.email, address=ADDRESSES[5])
    clock.advance(3599)
    still_locked = api_login(api_client, customer.email, address=ADDRESSES[6])
    clock.advance(2)
    unlocked = api_login(api_client, customer.email, address=ADDRESSES[7])

    assert (locked.status_code, still_locked.status_code) == (429, 429)
    assert unlocked.status_code == 200


def test_refused_attempts_do_not_extend_the_per_account_lock(api_client, customer, settings, clock):
    settings.LOGIN_ACCOUNT_THROTTLE_RATE = "2/hour"
    api_login(api_client, customer.email, "wrong", address=ADDRESSES[0])
    api_login(api_client, customer.email, "wrong", address=ADDRESSES[1])

    hammering = []
    for address in ADDRESSES[2:]:
        clock.advance(400)
        hammering.append(api_login(api_client, customer.email, "wrong", address=address))
    clock.advance(3600 - 400 * len(hammering) + 1)
    after_the_period = api_login(api_client, customer.email, address="203.0.113.50")

    assert {response.status_code for response in hammering} == {429}
    assert after_the_period.status_code == 200


def test_the_owners_successful_logins_never_lock_the_account(api_client, customer, settings):
    settings.LOGIN_ACCOUNT_THROTTLE_RATE = "3/hour"

    statuses = [
        api_login(api_client, customer.email, address=address).status_code for address in ADDRESSES
    ]

    assert statuses == [200] * 10


def test_one_accounts_lock_leaves_other_accounts_alone(api_client, customer, settings):
    settings.LOGIN_ACCOUNT_THROTTLE_RATE = "3/hour"
    other = CustomerFactory()
    for address in ADDRESSES[:3]:
        api_login(api_client, customer.email, "wrong", address=address)

    assert api_login(api_client, customer.email, address=ADDRESSES[3]).status_code == 429
    assert api_login(api_client, other.email, address=ADDRESSES[3]).status_code == 200


def test_guesses_on_an_unknown_email_are_limited_the_same_way(api_client, settings):
    settings.LOGIN_ACCOUNT_THROTTLE_RATE = "3/hour"

    statuses = [
        api_login(api_client, "nobody@example.com", "wrong", address=address).status_code
        for address in ADDRESSES[:4]
    ]

    assert statuses == [401, 401, 401, 429]


def test_thirty_api_guesses_from_one_address_then_the_right_password_is_refused(
    api_client, customer, settings
):
    set_throttle_rates(settings, login="10/min")

    statuses = [api_login(api_client, customer.email, "wrong").status_code for _ in range(30)]
    right_password = api_login(api_client, customer.email)
    forged = api_client.post(
        "/api/v1/auth/token/",
        {"email": customer.email, "password": "correct-horse-battery-staple"},
        HTTP_X_FORWARDED_FOR="203.0.113.9",
    )

    assert statuses == [401] * 10 + [429] * 20
    assert right_password.status_code == 429
    assert forged.status_code == 429


# The admin's login form: the same limits, and the same counts, as the API's.


@pytest.fixture
def browser():
    return Client()


def is_logged_into_the_admin(client) -> bool:
    return client.get("/admin/").status_code == 200


def test_the_right_password_logs_into_the_admin(browser, staff):
    response = admin_login(browser, staff.email)

    assert response.status_code == 302
    assert is_logged_into_the_admin(browser)


def test_thirty_admin_guesses_from_one_address_then_the_right_password_is_refused(
    browser, staff, settings
):
    set_throttle_rates(settings, login="10/min")

    statuses = [admin_login(browser, staff.email, "wrong").status_code for _ in range(30)]
    right_password = admin_login(browser, staff.email)

    assert statuses == [200] * 10 + [429] * 20
    assert_problem(right_password, 429, "throttled")
    assert 0 < int(right_password["Retry-After"]) <= 60
    assert not is_logged_into_the_admin(browser)


def test_a_forged_x_forwarded_for_does_not_get_past_the_admin_limit(browser, staff, settings):
    set_throttle_rates(settings, login="3/min")
    for _ in range(3):
        admin_login(browser, staff.email, "wrong")

    forged = browser.post(
        "/admin/login/",
        {"username": staff.email, "password": "correct-horse-battery-staple"},
        HTTP_X_FORWARDED_FOR="203.0.113.9",
    )

    assert forged.status_code == 429
    assert not is_logged_into_the_admin(browser)


def test_behind_a_trusted_proxy_the_forwarded_address_is_the_admin_client(browser, staff, settings):
    set_throttle_rates(settings, login="3/min")
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}

    def through_proxy(client_address, password):
        return browser.post(
            "/admin/login/",
            {"username": staff.email, "password": password},
            REMOTE_ADDR="10.0.0.2",
            HTTP_X_FORWARDED_FOR=f"203.0.113.9, {client_address}",
        )

    statuses = [through_proxy("198.51.100.1", "wrong").status_code for _ in range(4)]
    another_client = through_proxy("198.51.100.2", "correct-horse-battery-staple")

    assert statuses == [200, 200, 200, 429]
    assert another_client.status_code == 302


def test_admin_guesses_from_many_addresses_are_stopped_by_the_per_account_limit(
    browser, staff, settings
):
    settings.LOGIN_ACCOUNT_THROTTLE_RATE = "20/hour"

    statuses = [
        admin_login(browser, staff.email, f"guess-{n}", address=address).status_code
        for address in ADDRESSES
        for n in range(3)
    ]
    right_password = admin_login(browser, staff.email, address="203.0.113.50")

    assert statuses == [200] * 20 + [429] * 10
    assert right_password.status_code == 429
    assert not is_logged_into_the_admin(browser)


def test_the_admin_lock_lifts_when_the_period_has_passed(browser, staff, settings, clock):
    settings.LOGIN_ACCOUNT_THROTTLE_RATE = "3/hour"
    for address in ADDRESSES[:3]:
        admin_login(browser, staff.email, "wrong", address=address)

    locked = admin_login(browser, staff.email, address=ADDRESSES[3])
    clock.advance(3601)
    unlocked = admin_login(browser, staff.email, address=ADDRESSES[4])

    assert locked.status_code == 429
    assert unlocked.status_code == 302


def test_the_api_and_the_admin_share_the_per_address_count(api_client, browser, staff, settings):
    set_throttle_rates(settings, login="4/min")
    for _ in range(2):
        api_login(api_client, staff.email, "wrong")
    for _ in range(2):
        admin_login(browser, staff.email, "wrong")

    assert admin_login(browser, staff.email).status_code == 429
    assert api_login(api_client, staff.email).status_code == 429


def test_failed_admin_logins_lock_the_account_on_the_api_too(api_client, browser, settings):
    settings.LOGIN_ACCOUNT_THROTTLE_RATE = "3/hour"
    staff = StaffFactory()
    for address in ADDRESSES[:3]:
        admin_login(browser, staff.email.upper(), "wrong", address=address)

    assert api_login(api_client, staff.email, address=ADDRESSES[3]).status_code == 429


def test_opening_the_admin_login_page_counts_for_nothing(browser, staff, settings):
    set_throttle_rates(settings, login="2/min")

    pages = [browser.get("/admin/login/").status_code for _ in range(5)]

    assert pages == [200] * 5
    assert admin_login(browser, staff.email).status_code == 302
