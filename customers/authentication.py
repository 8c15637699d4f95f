"""Who is calling: SimpleJWT's signed access tokens, checked against the cached customer."""

import re

from django.utils.translation import gettext_lazy as _
from rest_framework.exceptions import AuthenticationFailed
from rest_framework_simplejwt import authentication
from rest_framework_simplejwt.exceptions import InvalidToken
from rest_framework_simplejwt.settings import api_settings
from rest_framework_simplejwt.tokens import Token
from rest_framework_simplejwt.utils import get_md5_hash_password

from customers.cache import customer_get_cached
from customers.models import Customer

CUSTOMER_ID = re.compile(r"[0-9]{1,18}")


class JWTAuthentication(authentication.JWTAuthentication):
    """SimpleJWT's checks (signature, expiry, type, active customer, password unchanged),
    with the customer read through the cache instead of a query per request."""

    def get_user(self, validated_token: Token) -> Customer:
        customer_id = validated_token.get(api_settings.USER_ID_CLAIM)
        # A validly signed token names a customer by its id (SimpleJWT writes it as a
        # string); anything else is refused with a 401, not looked up.
        if type(customer_id) is int:
            customer_id = str(customer_id)
        if not isinstance(customer_id, str) or not CUSTOMER_ID.fullmatch(customer_id):
            raise InvalidToken(_("Token contained no recognizable user identification"))
        customer = customer_get_cached(customer_id=int(customer_id))
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
