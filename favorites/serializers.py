import functools
import re
from typing import Any, get_args

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from catalog.products import (
    PRODUCT_ID_PATTERN,
    PRODUCT_ID_RULE,
)
from favorites.batch import BatchStatus
from favorites.models import API_FIELDS, PRICE_CHANGE_FIELDS, Favorite
from favorites.selectors import ORDERINGS, SEARCH_MAX_LENGTH, FavoriteListQuery

LOOKUP_MAX_IDS = 200
BATCH_MAX_IDS = 100


class FavoriteSerializer(serializers.ModelSerializer):
    price_change = serializers.DecimalField(
        max_digits=13,
        decimal_places=2,
        read_only=True,
        help_text="`price` minus `price_when_added`: negative when the product got cheaper.",
    )
    price_change_percent = serializers.DecimalField(
        # Prices hold 10 digits before the point and may start at 0.01: a change of up to
        # 14 digits before the point, then the one decimal (DRF refuses more digits: a 500).
        max_digits=15,
        decimal_places=1,
        read_only=True,
        allow_null=True,
        help_text=(
            "`price_change` as a percentage of `price_when_added`, to one decimal "
            "(negative when cheaper); null when the price when added was 0."
        ),
    )

    class Meta:
        model = Favorite
        fields = (*API_FIELDS, *PRICE_CHANGE_FIELDS)
        read_only_fields = fields


@functools.cache
def _favorite_serializer() -> FavoriteSerializer:
    serializer = FavoriteSerializer()
    serializer.fields  # noqa: B018 (built here, once)
    return serializer


def favorite_data(favorite: Favorite) -> dict:
    """A favorite as the API shows it: FavoriteSerializer's representation, by one
    serializer built once per process. A ModelSerializer builds its fields for each
    instance, which cost more than the rest of an add's Python; representing an instance
    changes nothing in the serializer, so threads share it."""
    return _favorite_serializer().to_representation(favorite)


def _product_id_field(**kwargs) -> serializers.RegexField:
    # The catalog's id rule as a RegexField: a bad id is a 400 naming the field, and the
    # schema shows the pattern.
    return serializers.RegexField(
        rf"\A{PRODUCT_ID_PATTERN.pattern}\Z",
        max_length=64,
        error_messages={"invalid": PRODUCT_ID_RULE},
        **kwargs,
    )


class FavoriteCreateSerializer(serializers.Serializer):
    product_id = _product_id_field(help_text="The product's id in the catalog.")

    @classmethod
    def validated_product_id(cls, data) -> str:
        """The validated `product_id` of an add's body; the serializer's 400 otherwise.

        A plainly valid id (by the catalog's rule, which has no whitespace to trim) is taken
        as it is: a serializer built for each add cost a twentieth of its CPU.
        """
        return _validated(
            cls,
            data,
            "product_id",
            lambda value: type(value) is str and bool(PRODUCT_ID_PATTERN.fullmatch(value)),
        )


def _validated(serializer_class, data, name: str, plainly_valid) -> Any:
    """The body's field `name`, taken as it is when `plainly_valid(value)`; anything else
    (a body that is not an object included) is the serializer's to judge and answer."""
    if isinstance(data, dict):
        value = data.get(name)
        if plainly_valid(value):
            return value
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data[name]


# Product ids, one per line, each by the catalog's rule (which has no line break).
_PRODUCT_ID_LINES = re.compile(rf"{PRODUCT_ID_PATTERN.pattern}(?:\n{PRODUCT_ID_PATTERN.pattern})*")


def _product_ids_valid(items: list) -> bool:
    """Whether every item is a product id by the catalog's rule: by one match of their
    lines (a third of the CPU of a match each), as many lines as items (none has a line
    break of its own). False for no items."""
    if not items or not all(isinstance(item, str) for item in items):
        return False
    lines = "\n".join(items)
    return lines.count("\n") == len(items) - 1 and bool(_PRODUCT_ID_LINES.fullmatch(lines))


class ProductIdListField(serializers.ListField):
    """A list of product ids, each checked by the catalog's rule (errors name its index).

    Checked by hand rather than by a child field per item: a lookup of 200 ids is on a
    storefront's hot path, and DRF's per-item validation is most of its CPU.
    """

    def __init__(self, **kwargs):
        super().__init__(child=_product_id_field(), **kwargs)

    def to_internal_value(self, data):
        if isinstance(data, (str, dict)) or not hasattr(data, "__iter__"):
            self.fail("not_a_list", input_type=type(data).__name__)
        data = list(data)
        if not self.allow_empty and not data:
            self.fail("empty")
        if self.max_length is not None and len(data) > self.max_length:
            self.fail("max_length", max_length=self.max_length)
        if _product_ids_valid(data):
            return data
        errors = {
            index: [PRODUCT_ID_RULE]
            for index, item in enumerate(data)
            if not isinstance(item, str) or not PRODUCT_ID_PATTERN.fullmatch(item)
        }
        if errors:
            raise serializers.ValidationError(errors)
        return data


@extend_schema_field(
    {
        "type": "array",
        "items": {"type": "string", "pattern": rf"^{PRODUCT_ID_PATTERN.pattern}$", "maxLength": 64},
        "maxItems": BATCH_MAX_IDS,
        "uniqueItems": True,
    }
)
class UniqueProductIdListField(ProductIdListField):
    """Product ids, none twice."""

    def to_internal_value(self, data):
        ids = super().to_internal_value(data)
        if len(set(ids)) != len(ids):
            raise serializers.ValidationError("An id is named more than once.")
        return ids


class FavoriteLookupSerializer(serializers.Serializer):
    product_ids = ProductIdListField(
        min_length=1,
        max_length=LOOKUP_MAX_IDS,
        help_text=f"1 to {LOOKUP_MAX_IDS} product ids; duplicates are answered once.",
    )

    @classmethod
    def validated_product_ids(cls, data) -> list[str]:
        """The validated `product_ids` of a lookup's body; the serializer's 400 otherwise.

        Plainly valid ids (1 to LOOKUP_MAX_IDS strings by the catalog's rule) are taken as
        they are, which the serializer would do at twice the CPU (it copies its field for
        each request); anything else is the serializer's to judge and answer.
        """
        return _validated(
            cls,
            data,
            "product_ids",
            lambda ids: (
                type(ids) is list and len(ids) <= LOOKUP_MAX_IDS and _product_ids_valid(ids)
            ),
        )


class FavoriteLookupEntrySerializer(serializers.Serializer):
    created_at = serializers.DateTimeField()
    price_when_added = serializers.DecimalField(max_digits=12, decimal_places=2)
    price = serializers.DecimalField(max_digits=12, decimal_places=2)


class FavoriteLookupResultSerializer(serializers.Serializer):
    favorites = serializers.DictField(
        child=FavoriteLookupEntrySerializer(allow_null=True),
        help_text="Every asked id: its favorite, or null when it is not a favorite.",
    )


class FavoriteBatchSerializer(serializers.Serializer):
    add = UniqueProductIdListField(
        required=False,
        default=list,
        max_length=BATCH_MAX_IDS,
        help_text="Product ids to add, in this order.",
    )
    remove = UniqueProductIdListField(
        required=False,
        default=list,
        max_length=BATCH_MAX_IDS,
        help_text="Product ids to remove, in this order.",
    )

    def validate(self, attrs):
        add, remove = attrs["add"], attrs["remove"]
        if len(add) + len(remove) > BATCH_MAX_IDS:
            raise serializers.ValidationError(
                {"non_field_errors": [f"At most {BATCH_MAX_IDS} ids in add and remove together."]}
            )
        both = set(add) & set(remove)
        if both:
            raise serializers.ValidationError(
                {"remove": [f"Ids in both add and remove: {', '.join(sorted(both))}."]}
            )
        return attrs


class FavoriteBatchItemSerializer(serializers.Serializer):
    product_id = serializers.CharField()
    status = serializers.ChoiceField(choices=list(get_args(BatchStatus)))
    favorite = FavoriteSerializer(
        allow_null=True, help_text="The new favorite (`added`); null otherwise."
    )


class FavoriteBatchResultSerializer(serializers.Serializer):
    results = FavoriteBatchItemSerializer(
        many=True, help_text="One per id: the adds first, then the removes, each in the order sent."
    )


class FavoriteListQuerySerializer(serializers.Serializer):
    available = serializers.ChoiceField(
        choices=["true", "false"],
        required=False,
        help_text="Only favorites the catalog still has (`true`) or no longer has (`false`).",
    )
    ordering = serializers.ChoiceField(
        choices=list(ORDERINGS),
        required=False,
        help_text=(
            "`-created_at` (newest first, the default), `created_at`, `price`, `-price`, "
            "`price_change_percent` (the biggest price drop first) or `title`."
        ),
    )
    price_dropped = serializers.ChoiceField(
        choices=["true", "false"],
        required=False,
        help_text="`true`: only favorites whose price is now below the price when added.",
    )
    search = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=SEARCH_MAX_LENGTH,
        help_text="Only favorites whose title or brand contains this text, in any case.",
    )

    # The query parameters that make a list other than the plain one.
    NAMES = frozenset({"available", "ordering", "price_dropped", "search"})

    def to_query(self) -> FavoriteListQuery:
        data = self.validated_data
        available = data.get("available")
        return FavoriteListQuery(
            available=None if available is None else available == "true",
            ordering=data.get("ordering") or "-created_at",
            price_dropped=data.get("price_dropped") == "true",
            search=data.get("search", "").strip(),
        )
