from datetime import timedelta

import jwt
import pytest
from django.conf import settings
from django.test import override_settings
from django.urls import reverse
from rest_framework_simplejwt.tokens import AccessToken, RefreshToken
from rest_framework_simplejwt.utils import get_md5_hash_password

from customers.models import Customer
from customers.tests.factories import PASSWORD, CustomerFactory

pytestmark = pytest.mark.django_db

REGISTER = reverse("auth-register")
TOKEN = reverse("auth-token")
REFRESH = reverse("auth-token-refresh")
BLACKLIST = reverse("auth-token-blacklist")
ME = reverse("customer-detail", args=["me"])


def login(client, email, password=PASSWORD):
    return client.post(TOKEN, {"email": email, "password": password})


def test_register_creates_a_customer_with_a_lowercased_email(api_client):
    response = api_client.post(
        REGISTER, {"name": "  Ana Souza ", "email": "Ana@Example.com", "password": PASSWORD}
    )

    assert response.status_code == 201
    body = response.json()
    assert body["email"] == "ana@example.com"
    assert body["name"] == "Ana Souza"
    assert body["is_staff"] is False
    assert "password" not in body
    assert Customer.objects.get(email="ana@example.com").check_password(PASSWORD)


def test_register_rejects_a_weak_password_without_creating_anyone(api_client):
    response = api_client.post(
        REGISTER, {"name": "Ana", "email": "ana@example.com", "password": "123"}
    )

    assert response.status_code == 400
    assert response.json()["code"] == "validation_error"
    assert "password" in response.json()["errors"]
    assert not Customer.objects.exists()


def test_register_rejects_a_blank_name(api_client):
    response = api_client.post(
        REGISTER, {"name": "   ", "email": "ana@example.com", "password": PASSWORD}
    )

    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["name"]


def test_register_with_an_email_taken_in_another_case_is_409(api_client, customer):
    response = api_client.post(
        REGISTER, {"name": "Ana", "email": customer.email.upper(), "password": PASSWORD}
    )

    assert response.status_code == 409
    assert response.json()["code"] == "email_taken"
    assert Customer.objects.count() == 1


@override_settings(REGISTRATION_OPEN=False)
def test_register_is_refused_when_registration_is_closed(api_client):
    response = api_client.post(
        REGISTER, {"name": "Ana", "email": "ana@example.com", "password": PASSWORD}
    )

    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"
    assert not Customer.objects.exists()


def test_login_is_case_insensitive_on_the_email(api_client, customer):
    response = login(api_client, customer.email.upper())

    assert response.status_code == 200
    tokens = response.json()
    assert AccessToken(tokens["access"])["user_id"] == str(customer.pk)
    assert RefreshToken(tokens["refresh"])


def test_login_with_a_wrong_password_is_401(api_client, customer):
    response = login(api_client, customer.email, "wrong-password")

    assert response.status_code == 401
    assert response.json()["code"] == "authentication_failed"


def test_an_inactive_customer_cannot_log_in(api_client):
    customer = CustomerFactory(is_active=False)

    assert login(api_client, customer.email).status_code == 401


def test_a_customer_created_without_password_cannot_log_in(api_client, staff, auth_client):
    auth_client(staff).post(reverse("customer-list"), {"name": "Bia", "email": "bia@example.com"})

    assert not Customer.objects.get(email="bia@example.com").has_usable_password()
    assert login(api_client, "bia@example.com", "").status_code == 400
    assert login(api_client, "bia@example.com", "anything-at-all").status_code == 401


def test_refresh_rotates_and_the_rotated_out_token_cannot_be_reused(api_client, customer):
    first = login(api_client, customer.email).json()

    refreshed = api_client.post(REFRESH, {"refresh": first["refresh"]})
    assert refreshed.status_code == 200
    assert refreshed.json()["refresh"] != first["refresh"]
    assert AccessToken(refreshed.json()["access"])["user_id"] == str(customer.pk)

    reused = api_client.post(REFRESH, {"refresh": first["refresh"]})
    assert reused.status_code == 401
    assert reused.json()["code"] == "authentication_failed"


def test_logout_blacklists_the_refresh_token(api_client, customer):
    tokens = login(api_client, customer.email).json()

    response = api_client.post(BLACKLIST, {"refresh": tokens["refresh"]})

    assert response.status_code == 200
    assert api_client.post(REFRESH, {"refresh": tokens["refresh"]}).status_code == 401


def test_a_password_change_revokes_existing_refresh_tokens(api_client, customer, auth_client):
    tokens = login(api_client, customer.email).json()

    changed = auth_client(customer).patch(
        ME, {"password": "a-brand-new-passphrase", "current_password": PASSWORD}
    )

    assert changed.status_code == 200
    assert api_client.post(REFRESH, {"refresh": tokens["refresh"]}).status_code == 401
    assert login(api_client, customer.email, "a-brand-new-passphrase").status_code == 200


def test_the_token_of_a_deleted_customer_is_401(customer, auth_client):
    client = auth_client(customer)
    customer.delete()

    response = client.get(ME)

    assert response.status_code == 401
    assert response.json()["code"] == "authentication_failed"


def test_the_refresh_token_of_a_deleted_customer_is_401(api_client, customer):
    tokens = login(api_client, customer.email).json()
    customer.delete()

    response = api_client.post(REFRESH, {"refresh": tokens["refresh"]})

    assert response.status_code == 401
    assert response.json()["code"] == "authentication_failed"


def test_the_token_of_a_deactivated_customer_is_401(customer, auth_client):
    client = auth_client(customer)
    Customer.objects.filter(pk=customer.pk).update(is_active=False)

    assert client.get(ME).status_code == 401


def test_the_refresh_token_of_a_deactivated_customer_is_401(api_client, customer):
    tokens = login(api_client, customer.email).json()
    Customer.objects.filter(pk=customer.pk).update(is_active=False)

    assert api_client.post(REFRESH, {"refresh": tokens["refresh"]}).status_code == 401


def test_an_expired_token_is_401(api_client, customer):
    token = AccessToken.for_user(customer)
    token.set_exp(lifetime=-timedelta(seconds=1))
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")

    response = api_client.get(ME)

    assert response.status_code == 401
    assert response.json()["code"] == "authentication_failed"


def valid_claims(customer) -> dict:
    """Every claim a real access token has, the password digest included: only the
    signature can make these tokens fail."""
    return {
        "token_type": "access",
        "user_id": str(customer.pk),
        "exp": 4102444800,
        "jti": "x",
        "hash_password": get_md5_hash_password(customer.password),
    }


def test_a_token_signed_with_another_key_is_401(api_client, customer):
    forged = jwt.encode(
        valid_claims(customer),
        "not-the-signing-key-but-long-enough-for-hs256",
        algorithm="HS256",
    )
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {forged}")

    assert api_client.get(ME).status_code == 401


def test_an_unsigned_alg_none_token_is_401(api_client, customer):
    unsigned = jwt.encode(
        valid_claims(customer),
        None,
        algorithm="none",
    )
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {unsigned}")

    assert api_client.get(ME).status_code == 401


def test_a_refresh_token_is_not_accepted_as_an_access_token(api_client, customer):
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {RefreshToken.for_user(customer)}")

    assert api_client.get(ME).status_code == 401


def throttle_rates(settings, **rates):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}


def test_login_is_throttled_per_client_address_with_retry_after(api_client, customer, settings):
    throttle_rates(settings, login="3/min", register="5/min")

    statuses = [login(api_client, customer.email, "wrong").status_code for _ in range(3)]
    throttled = login(api_client, customer.email)
    # A forged X-Forwarded-For does not make a new client.
    forged = api_client.post(
        TOKEN, {"email": customer.email, "password": PASSWORD}, HTTP_X_FORWARDED_FOR="203.0.113.9"
    )
    other_address = api_client.post(
        TOKEN, {"email": customer.email, "password": PASSWORD}, REMOTE_ADDR="198.51.100.7"
    )

    assert statuses == [401, 401, 401]
    assert throttled.status_code == 429
    assert throttled.json()["code"] == "throttled"
    assert int(throttled["Retry-After"]) > 0
    assert forged.status_code == 429
    assert other_address.status_code == 200


def test_registration_is_throttled(api_client, settings):
    throttle_rates(settings, login="10/min", register="2/min")

    statuses = [
        api_client.post(
            REGISTER, {"name": "N", "email": f"n{i}@example.com", "password": PASSWORD}
        ).status_code
        for i in range(3)
    ]

    assert statuses == [201, 201, 429]
    assert Customer.objects.count() == 2


def test_login_still_works_when_the_throttle_store_is_down(api_client, customer, settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
        }
    }

    response = login(api_client, customer.email)

    assert response.status_code == 200
    assert AccessToken(response.json()["access"])["user_id"] == str(customer.pk)


@pytest.mark.parametrize("current_password", [None, "not-the-password"])
def test_changing_ones_own_password_needs_the_current_one(
    api_client, customer, auth_client, current_password
):
    data = {"password": "a-brand-new-passphrase"}
    if current_password is not None:
        data["current_password"] = current_password

    response = auth_client(customer).patch(ME, data)

    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["current_password"]
    customer.refresh_from_db()
    assert customer.check_password(PASSWORD)


def test_staff_set_another_customers_password_without_knowing_it(
    api_client, staff, customer, auth_client
):
    response = auth_client(staff).patch(
        reverse("customer-detail", args=[customer.pk]), {"password": "a-brand-new-passphrase"}
    )

    assert response.status_code == 200
    assert login(api_client, customer.email, "a-brand-new-passphrase").status_code == 200


def test_guesses_of_the_current_password_are_throttled_like_logins(customer, auth_client, settings):
    throttle_rates(settings, login="2/min", register="5/min")
    client = auth_client(customer)
    guess = {"password": "a-brand-new-passphrase", "current_password": "a-guess"}

    statuses = [client.patch(ME, guess).status_code for _ in range(3)]
    renamed = client.patch(ME, {"name": "Still Allowed"})

    assert statuses == [400, 400, 429]
    assert renamed.status_code == 200
    customer.refresh_from_db()
    assert customer.check_password(PASSWORD)


def test_a_token_with_the_right_key_and_claims_is_accepted(api_client, customer):
    # The control for the two forgeries above: the same claims, signed properly.
    signed = jwt.encode(valid_claims(customer), settings.SIMPLE_JWT["SIGNING_KEY"], "HS256")
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {signed}")

    assert api_client.get(ME).status_code == 200
