import re

from django.core.validators import RegexValidator
from rest_framework import serializers
from rest_framework.exceptions import AuthenticationFailed
from rest_framework_simplejwt import serializers as jwt_serializers
from rest_framework_simplejwt.settings import api_settings as jwt_settings
from rest_framework_simplejwt.tokens import RefreshToken

from customers.models import Customer
from customers.services import refresh_token_revoke, refresh_token_rotate

# A customer id as the tokens carry it (SimpleJWT writes it as a string).
CUSTOMER_ID = re.compile(r"[0-9]{1,18}")
# What a trimmed text field that may not be blank needs: one character that str.strip()
# keeps. Spelled out, not `\S`: the schema's patterns are ECMA 262, whose whitespace is
# not Python's: ECMA's `\S` matches U+001E, which strip() removes, and not U+FEFF, which it keeps.
NOT_ONLY_WHITESPACE = (
    r"[^\u0009-\u000d\u001c-\u0020\u0085\u00a0\u1680\u2000-\u200a"
    r"\u2028\u2029\u202f\u205f\u3000]"
)


class StrictTextMixin:
    """A text field that takes only JSON strings, and checks its length on what was sent.

    DRF's CharField turns numbers into strings (`41835610218461390.5` as a password),
    where the schema says `string`. Lengths are checked before trimming, as the
    schema's `maxLength` counts them.
    """

    def run_validation(self, data=serializers.empty):
        if not (isinstance(data, str) or data is serializers.empty or data is None):
            self.fail("invalid")
        if self.max_length is not None and isinstance(data, str) and len(data) > self.max_length:
            self.fail("max_length", max_length=self.max_length)
        return super().run_validation(data)


class StrictCharField(StrictTextMixin, serializers.CharField):
    """A trimmed field that refuses blanks says so in its schema (`pattern`): a value of
    whitespace only is blank once trimmed."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        if self.trim_whitespace and not self.allow_blank:
            self.validators.append(
                RegexValidator(NOT_ONLY_WHITESPACE, "This field may not be blank.", "blank")
            )


class StrictEmailField(StrictTextMixin, serializers.EmailField):
    """No `pattern` here: `format: email` already rules out whitespace, and a pattern
    beside it would only make clients (and fuzzers) build addresses from the pattern."""


class StrictBooleanField(serializers.BooleanField):
    """`true` or `false` only: DRF's BooleanField also takes `1`, `"yes"`, `"off"`..."""

    def to_internal_value(self, data):
        if data is True or data is False:
            return data
        self.fail("invalid", input=data)


class PasswordField(StrictCharField):
    """A password as typed: never trimmed (spaces are characters of a passphrase);
    Django's password validators judge it where one is set."""

    def __init__(self, **kwargs):
        kwargs.setdefault("style", {"input_type": "password"})
        super().__init__(write_only=True, trim_whitespace=False, **kwargs)


class CustomerSerializer(serializers.ModelSerializer):
    class Meta:
        model = Customer
        fields = ["id", "name", "email", "is_staff", "is_active", "date_joined"]
        read_only_fields = fields


class CustomerListQuerySerializer(serializers.Serializer):
    search = StrictCharField(
        required=False, allow_blank=True, max_length=254, help_text="Part of a name or an email."
    )


class RegisterSerializer(serializers.Serializer):
    name = StrictCharField(max_length=255)
    email = StrictEmailField(max_length=254)
    password = PasswordField(max_length=128)


class CustomerCreateSerializer(serializers.Serializer):
    """Staff creating a customer; without a password the account cannot log in yet."""

    name = StrictCharField(max_length=255)
    email = StrictEmailField(max_length=254)
    password = PasswordField(max_length=128, required=False)
    is_staff = StrictBooleanField(default=False)
    is_active = StrictBooleanField(default=True)


class StaffCustomerUpdateSerializer(serializers.Serializer):
    """A customer's fields; `is_staff` and `is_active` apply only when staff send them,
    and anything else sent is ignored."""

    name = StrictCharField(max_length=255)
    email = StrictEmailField(max_length=254)
    password = PasswordField(max_length=128, required=False)
    current_password = PasswordField(
        max_length=128,
        required=False,
        help_text="Needed to change one's own `password` or `email`.",
    )
    is_staff = StrictBooleanField(required=False)
    is_active = StrictBooleanField(required=False)


class CustomerUpdateSerializer(StaffCustomerUpdateSerializer):
    """What a customer may change about itself: the same body, checked as the schema
    says, with the staff's fields left out of what it changes."""

    def validate(self, attrs):
        attrs.pop("is_staff", None)
        attrs.pop("is_active", None)
        return attrs


class CustomerDeleteSerializer(serializers.Serializer):
    """The body of a delete: only deleting oneself needs it."""

    current_password = PasswordField(
        max_length=128, required=False, help_text="Needed to delete oneself."
    )


class TokenPairSerializer(serializers.Serializer):
    """What the token endpoints answer (for the docs)."""

    access = serializers.CharField()
    refresh = serializers.CharField()


def _token_customer(refresh: RefreshToken) -> Customer:
    """The active customer a refresh token names; otherwise 401, whatever the claim holds."""
    customer_id = refresh.payload.get(jwt_settings.USER_ID_CLAIM)
    if type(customer_id) is int:  # as older SimpleJWT versions wrote it
        customer_id = str(customer_id)
    customer = None
    if isinstance(customer_id, str) and CUSTOMER_ID.fullmatch(customer_id):
        customer = Customer.objects.filter(pk=int(customer_id)).first()
    if customer is None or not jwt_settings.USER_AUTHENTICATION_RULE(customer):
        raise AuthenticationFailed(
            "No active account found for the given token.", "no_active_account"
        )
    return customer


class TokenObtainPairSerializer(jwt_serializers.TokenObtainPairSerializer):
    """An email and a password (strings; the password is taken as typed, never trimmed)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields[self.username_field] = StrictCharField(write_only=True)
        self.fields["password"] = PasswordField()


class TokenRefreshSerializer(jwt_serializers.TokenRefreshSerializer):
    """SimpleJWT's rotation, with the database deciding which use of a token wins.

    Of concurrent refreshes of one token exactly one gets new tokens; the others,
    like any later use of it, are 401. A deleted or inactive customer's token is 401.
    """

    refresh = StrictCharField()

    def validate(self, attrs):
        refresh = self.token_class(attrs["refresh"])
        customer = _token_customer(refresh)
        successor = refresh_token_rotate(refresh=refresh, customer=customer)
        return {"access": str(successor.access_token), "refresh": str(successor)}


class TokenBlacklistSerializer(jwt_serializers.TokenBlacklistSerializer):
    """Log out: revokes the refresh token, once; a token already revoked or rotated is 401."""

    refresh = StrictCharField(write_only=True)

    def validate(self, attrs):
        refresh = self.token_class(attrs["refresh"])
        refresh_token_revoke(refresh=refresh)
        return {}
