from rest_framework import serializers
from rest_framework.exceptions import AuthenticationFailed
from rest_framework_simplejwt import serializers as jwt_serializers

from customers.models import Customer


class CustomerSerializer(serializers.ModelSerializer):
    class Meta:
        model = Customer
        fields = ["id", "name", "email", "is_staff", "is_active", "date_joined"]
        read_only_fields = fields


class CustomerListQuerySerializer(serializers.Serializer):
    search = serializers.CharField(
        required=False, allow_blank=True, max_length=254, help_text="Part of a name or an email."
    )


class RegisterSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=255)
    email = serializers.EmailField(max_length=254)
    password = serializers.CharField(
        write_only=True, max_length=128, style={"input_type": "password"}
    )


class CustomerCreateSerializer(serializers.Serializer):
    """Staff creating a customer; without a password the account cannot log in yet."""

    name = serializers.CharField(max_length=255)
    email = serializers.EmailField(max_length=254)
    password = serializers.CharField(write_only=True, max_length=128, required=False)
    is_staff = serializers.BooleanField(default=False)
    is_active = serializers.BooleanField(default=True)


class CustomerUpdateSerializer(serializers.Serializer):
    """What a customer may change about itself; anything else sent is ignored."""

    name = serializers.CharField(max_length=255)
    email = serializers.EmailField(max_length=254)
    password = serializers.CharField(write_only=True, max_length=128, required=False)
    current_password = serializers.CharField(
        write_only=True,
        max_length=128,
        required=False,
        help_text="Needed with `password` when changing one's own password.",
    )


class StaffCustomerUpdateSerializer(CustomerUpdateSerializer):
    is_staff = serializers.BooleanField(required=False)
    is_active = serializers.BooleanField(required=False)


class TokenPairSerializer(serializers.Serializer):
    """What the token endpoints answer (for the docs)."""

    access = serializers.CharField()
    refresh = serializers.CharField()


class TokenRefreshSerializer(jwt_serializers.TokenRefreshSerializer):
    """SimpleJWT's, with a deleted customer's refresh token answering 401, not 500."""

    def validate(self, attrs):
        try:
            return super().validate(attrs)
        except Customer.DoesNotExist:
            raise AuthenticationFailed(
                self.error_messages["no_active_account"], "no_active_account"
            ) from None
