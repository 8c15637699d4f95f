"""Request bodies judged by a shortcut must be judged as the serializer judges them."""

import pytest
from rest_framework.exceptions import ValidationError

from favorites.serializers import FavoriteCreateSerializer

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
