from rest_framework import serializers

from catalog.products import (
    PRODUCT_ID_PATTERN,
    PRODUCT_ID_RULE,
)
from favorites.models import API_FIELDS, Favorite


class FavoriteSerializer(serializers.ModelSerializer):
    class Meta:
        model = Favorite
        fields = API_FIELDS
        read_only_fields = fields


class FavoriteCreateSerializer(serializers.Serializer):
    # The catalog's id rule as a RegexField: a bad id is a 400 naming the field, and the
    # schema shows the pattern.
    product_id = serializers.RegexField(
        rf"\A{PRODUCT_ID_PATTERN.pattern}\Z",
        max_length=64,
        error_messages={"invalid": PRODUCT_ID_RULE},
        help_text="The product's id in the catalog.",
    )


class FavoriteListQuerySerializer(serializers.Serializer):
    available = serializers.ChoiceField(
        choices=["true", "false"],
        required=False,
        help_text="Only favorites the catalog still has (`true`) or no longer has (`false`).",
    )

    def to_filter(self) -> bool | None:
        value = self.validated_data.get("available")
        return None if value is None else value == "true"
