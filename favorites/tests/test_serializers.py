"""Request bodies judged by a shortcut must be judged as the serializer judges them."""

import pytest
from rest_framework.exceptions import ValidationError

from favorites.serializers import FavoriteCreateSerializer, FavoriteLookupSerializer

BODIES = [
    {"product_id": "1bf0f365-fbdd-4e21-9786-da459d78dd1f"},
    {"product_id": "p_1", "other": "ignored"},
    {"product_id": "x" * 64},
    {"product_id": "x" * 65},
    {"product_id": ""},
    {"product_id": "  padded  "},
    {"product_id": "has space"},
    {"product_id": "a/b"},
    {"product_id": "nul\x00"},
    {"product_id": 42},
    {"product_id": True},
    {"product_id": None},
    {"product_id": ["p-1"]},
    {},
    [],
    "p-1",
]


def _judged(serializer_class, field: str, shortcut, body) -> tuple[tuple, tuple]:
    """(the shortcut's answer, the serializer's), each ("valid", value) or ("invalid", errors)."""
    try:
        said = ("valid", shortcut(body))
    except ValidationError as error:
        said = ("invalid", error.detail)
    serializer = serializer_class(data=body)
    if serializer.is_valid():
        return said, ("valid", serializer.validated_data[field])
    return said, ("invalid", serializer.errors)


@pytest.mark.parametrize("body", BODIES, ids=repr)
def test_an_adds_product_id_is_what_the_serializer_validates(body):
    said, expected = _judged(
        FavoriteCreateSerializer,
        "product_id",
        FavoriteCreateSerializer.validated_product_id,
        body,
    )

    assert said == expected


IDS = [f"p-{n}" for n in range(200)]
LOOKUP_BODIES = [
    {"product_ids": IDS},
    {"product_ids": ["p-1", "p-1"], "other": 1},
    {"product_ids": [*IDS, "p-200"]},
    {"product_ids": []},
    {"product_ids": ["ok", "two\nlines"]},
    {"product_ids": ["ok", "ok\n"]},
    {"product_ids": ["ok", ""]},
    {"product_ids": ["ok", 7]},
    {"product_ids": ["x" * 65]},
    {"product_ids": "p-1"},
    {"product_ids": {"p-1": 1}},
    {"product_ids": None},
    {},
    [],
]


@pytest.mark.parametrize("body", LOOKUP_BODIES, ids=lambda body: repr(body)[:40])
def test_a_lookups_ids_are_what_the_serializer_validates(body):
    said, expected = _judged(
        FavoriteLookupSerializer,
        "product_ids",
        FavoriteLookupSerializer.validated_product_ids,
        body,
    )

    assert said == expected
