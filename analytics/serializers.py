from rest_framework import serializers

from analytics.models import FIGURES, ProductDemand
from analytics.selectors import DEFAULT_ORDERING, ORDERINGS


class ProductDemandSerializer(serializers.ModelSerializer):
    class Meta:
        model = ProductDemand
        fields = list(FIGURES)
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
