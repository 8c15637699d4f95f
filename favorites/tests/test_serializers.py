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


def _serializer_says(body):
    serializer = FavoriteCreateSerializer(data=body)
    if serializer.is_valid():
        return ("valid", serializer.validated_data["product_id"])
    return ("invalid", serializer.errors)


@pytest.mark.parametrize("body", BODIES, ids=repr)
def test_an_adds_product_id_is_what_the_serializer_validates(body):
    try:
        said = ("valid", FavoriteCreateSerializer.validated_product_id(body))
    except ValidationError as error:
        said = ("invalid", error.detail)

    assert said == _serializer_says(body)


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


def _lookup_serializer_says(body):
    serializer = FavoriteLookupSerializer(data=body)
    if serializer.is_valid():
        return ("valid", serializer.validated_data["product_ids"])
    return ("invalid", serializer.errors)


@pytest.mark.parametrize("body", LOOKUP_BODIES, ids=lambda body: repr(body)[:40])
def test_a_lookups_ids_are_what_the_serializer_validates(body):
    try:
        said = ("valid", FavoriteLookupSerializer.validated_product_ids(body))
    except ValidationError as error:
        said = ("invalid", error.detail)

    assert said == _lookup_serializer_says(body)
