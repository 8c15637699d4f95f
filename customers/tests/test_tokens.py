"""A token's customer without its row (`token_customer`), and the rule a write checks
against the row itself (customers/tokens.py), which must be SimpleJWT's."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test import RequestFactory
from rest_framework_simplejwt.tokens import AccessToken, RefreshToken
from rest_framework_simplejwt.utils import get_md5_hash_password

from customers.authentication import token_customer
from customers.models import Customer
from customers.tokens import HOLDS_SQL, TokenCustomer, holds


def request_with(authorization):
    if authorization is None:
        return RequestFactory().get("/")
    return RequestFactory().get("/", HTTP_AUTHORIZATION=authorization)


def test_a_valid_access_token_names_its_customer_and_password_digest(customer):
    token = RefreshToken.for_user(customer).access_token

    assert token_customer(request_with(f"Bearer {token}")) == TokenCustomer(
        id=customer.pk, password_digest=get_md5_hash_password(customer.password)
    )


def expired(customer) -> str:
    token = AccessToken.for_user(customer)
    token.set_exp(lifetime=timedelta(seconds=-1))
    return str(token)


def forged(customer) -> str:
    token = str(AccessToken.for_user(customer))
    return token[:-2] + ("AA" if not token.endswith("AA") else "BB")


def without_digest(customer) -> str:
    token = AccessToken.for_user(customer)
    del token["hash_password"]
    return str(token)


def with_user_id(value):
    def make(customer) -> str:
        token = AccessToken.for_user(customer)
        token["user_id"] = value
        return str(token)

    return make


@pytest.mark.parametrize(
    "authorization",
    [
        None,
        "Bearer",
        "Bearer a b",
        "Basic abc",
        "Bearer not-a-token",
        lambda c: f"Bearer {RefreshToken.for_user(c)}",  # a refresh token is no access token
        lambda c: f"Bearer {expired(c)}",
        lambda c: f"Bearer {forged(c)}",
        lambda c: f"Bearer {without_digest(c)}",
        lambda c: f"Bearer {with_user_id('1 OR 1=1')(c)}",
        lambda c: f"Bearer {with_user_id(None)(c)}",
    ],
    ids=[
        "no header",
        "no token",
        "two tokens",
        "another scheme",
        "not a token",
        "a refresh token",
        "expired",
        "another signature",
        "no password digest",
        "a user id that is no id",
        "no user id",
    ],
)
def test_no_customer_is_named_by_anything_but_a_valid_access_token(customer, authorization):
    if callable(authorization):
        authorization = authorization(customer)

    assert token_customer(request_with(authorization)) is None


def digest_holds_in_sql(customer_id: int, digest: str) -> bool:
    table = connection.ops.quote_name(Customer._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT {HOLDS_SQL} FROM {table} WHERE "id" = %s', [digest, customer_id])
        return cursor.fetchone()[0]


@pytest.mark.parametrize("change", [None, "password", "deactivated"])
def test_the_sql_rule_is_simplejwts_rule(customer, change):
    digest = get_md5_hash_password(customer.password)
    if change == "password":
        customer.set_password("a-brand-new-passphrase")
    elif change == "deactivated":
        customer.is_active = False
    customer.save()

    expected = change is None
    assert (
        holds(is_active=customer.is_active, password=customer.password, digest=digest) is expected
    )
    assert digest_holds_in_sql(customer.pk, digest) is expected
