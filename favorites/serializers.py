from django.core.validators import RegexValidator
from rest_framework import serializers

from favorites.models import Favorite

# The catalog module's rule for product ids (see DESIGN.md), checked here too so
# a bad id is a 400 with the field named before anything else happens.
PRODUCT_ID_PATTERN = r"[A-Za-z0-9_-]{1,64}"


class FavoriteSerializer(serializers.ModelSerializer):
    class Meta:
        model = Favorite
        fields = [
            "product_id",
            "title",
            "image_url",
            "price",
            "review_score",
            "brand",
            "price_when_added",
            "available",
            "created_at",
            "refreshed_at",
        ]
        read_only_fields = fields


class FavoriteCreateSerializer(serializers.Serializer):
    product_id = serializers.CharField(
        max_length=64,
        validators=[
            RegexValidator(
                rf"\A{PRODUCT_ID_PATTERN}\Z",
                "A product id is 1 to 64 letters, digits, '-' or '_'.",
            )
        ],
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
