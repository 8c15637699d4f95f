from rest_framework import serializers


class ProductSerializer(serializers.Serializer):
    """A product as the catalog describes it now."""

    id = serializers.CharField(read_only=True)
    title = serializers.CharField(read_only=True)
    price = serializers.DecimalField(max_digits=10, decimal_places=2, read_only=True)
    image_url = serializers.CharField(read_only=True)
    brand = serializers.CharField(read_only=True, help_text="The brand, or fakestore's category.")
    review_score = serializers.FloatField(
        read_only=True, allow_null=True, help_text="Null when the product has no review."
    )


class ProductPageSerializer(serializers.Serializer):
    count = serializers.IntegerField(
        help_text="Products in the catalog; a lower bound when the catalog does not say."
    )
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = ProductSerializer(many=True)
