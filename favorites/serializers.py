from rest_framework import serializers

from catalog.products import (
    PRODUCT_ID_PATTERN,
    PRODUCT_ID_RULE,
    InvalidProductId,
    product_id_validate,
)
from favorites.models import API_FIELDS, Favorite


class FavoriteSerializer(serializers.ModelSerializer):
    class Meta:
        model = Favorite
        fields = API_FIELDS
        read_only_fields = fields


class FavoriteCreateSerializer(serializers.Serializer):
    # A RegexField, so that the schema shows the catalog's pattern.
    product_id = serializers.RegexField(
        rf"\A{PRODUCT_ID_PATTERN.pattern}\Z",
        max_length=64,
        error_messages={"invalid": PRODUCT_ID_RULE},
        help_text="The product's id in the catalog.",
    )

    def validate_product_id(self, value: str) -> str:
        # The catalog module's rule, so a bad id is a 400 naming the field.
        try:
            return product_id_validate(value)
        except InvalidProductId as exc:
            raise serializers.ValidationError(str(exc)) from exc


class FavoriteListQuerySerializer(serializers.Serializer):
    available = serializers.ChoiceField(
        choices=["true", "false"],
        required=False,
        help_text="Only favorites the catalog still has (`true`) or no longer has (`false`).",
    )

    def to_filter(self) -> bool | None:
        value = self.validated_data.get("available")
        return None if value is None else value == "true"
