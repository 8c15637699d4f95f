"""Who is calling: SimpleJWT's signed access tokens, checked against the cached customer."""

import re
import time
from functools import lru_cache

from django.core.signals import setting_changed
from django.dispatch import receiver
from django.utils.translation import gettext_lazy as _
from rest_framework.exceptions import APIException, AuthenticationFailed
from rest_framework_simplejwt import authentication
from rest_framework_simplejwt.exceptions import InvalidToken
from rest_framework_simplejwt.settings import api_settings
from rest_framework_simplejwt.tokens import Token
from rest_framework_simplejwt.utils import get_md5_hash_password

from customers.cache import customer_get_cached
from customers.models import Customer
from customers.tokens import TokenCustomer

CUSTOMER_ID = re.compile(r"[0-9]{1,18}")


@lru_cache(maxsize=4096)
def _verified_token(raw_token: bytes) -> Token:
    """SimpleJWT's check of the signature and the claims; a token that fails it raises
    and is not kept. Kept per process by the exact bytes, so a hit is the same token."""
    return authentication.JWTAuthentication().get_validated_token(raw_token)


@receiver(setting_changed)
def _forget_verified_tokens(setting, **kwargs):
    if setting in ("SIMPLE_JWT", "SECRET_KEY"):
        _verified_token.cache_clear()


class JWTAuthentication(authentication.JWTAuthentication):
    """SimpleJWT's checks (signature, expiry, type, active customer, password unchanged),
    with each token's signature checked once per process instead of on every request,
    and the customer read through the cache instead of a query per request."""

    def get_validated_token(self, raw_token: bytes) -> Token:
        token = _verified_token(raw_token)
        if token["exp"] <= time.time():
            # Expired since it was first checked: SimpleJWT's own check says so.
            return super().get_validated_token(raw_token)
        return token

    # SimpleJWT's answers any user model; this project's is Customer.
    def get_user(self, validated_token: Token) -> Customer:  # type: ignore[override]
        customer = customer_get_cached(customer_id=_customer_id(validated_token))
        if customer is None:
            raise AuthenticationFailed(_("User not found"), code="user_not_found")
        if not customer.is_active:
            raise AuthenticationFailed(_("User is inactive"), code="user_inactive")
        # Tokens carry a digest of the password hash: a new password revokes them all.
        if validated_token.get(api_settings.REVOKE_TOKEN_CLAIM) != get_md5_hash_password(
            customer.password
        ):
            raise AuthenticationFailed(
                _("The user's password has been changed."), code="password_changed"
            )
        return customer


def _customer_id(validated_token: Token) -> int:
    """The customer a validly signed token names, by its id (SimpleJWT writes it as a
    string); anything else is refused with a 401, not looked up."""
    customer_id = validated_token.get(api_settings.USER_ID_CLAIM)
    if type(customer_id) is int:
        customer_id = str(customer_id)
    if not isinstance(customer_id, str) or not CUSTOMER_ID.fullmatch(customer_id):
        raise InvalidToken(str(_("Token contained no recognizable user identification")))
    return int(customer_id)


def token_customer(request) -> TokenCustomer | None:
    """The customer the request's access token names, when the token itself holds (its
    signature, expiry, type, a customer id and a password digest), without reading the
    customer: for a write that checks the rest in its own statement (customers/tokens.py).
    None when there is no such token: `JWTAuthentication` then answers for it."""
    authentication = JWTAuthentication()
    header = authentication.get_header(request)
    try:
        raw_token = None if header is None else authentication.get_raw_token(header)
        if raw_token is None:
            return None
        token = authentication.get_validated_token(raw_token)
        customer_id = _customer_id(token)
    except APIException:
        return None
    digest = token.get(api_settings.REVOKE_TOKEN_CLAIM)
    if not isinstance(digest, str):
        return None
    return TokenCustomer(id=customer_id, password_digest=digest)
