from rest_framework import serializers

from analytics.models import ProductDemand
from analytics.selectors import DEFAULT_ORDERING, ORDERINGS


class ProductDemandSerializer(serializers.ModelSerializer):
    class Meta:
        model = ProductDemand
        fields = [
            "product_id",
            "title",
            "brand",
            "customers",
            "last_7_days",
            "last_30_days",
            "unavailable",
            "cheaper_than_added",
            "computed_at",
        ]
        read_only_fields = fields


class ProductDemandQuerySerializer(serializers.Serializer):
    ordering = serializers.ChoiceField(
        choices=[*ORDERINGS, *(f"-{name}" for name in ORDERINGS)],
        default=DEFAULT_ORDERING,
        help_text=(
            "A figure to sort by, descending with a leading `-` (default `-customers`); "
            "ties are sorted by product id."
        ),
    )
