"""`favorite_data`: FavoriteSerializer's representation, by one serializer shared by threads."""

from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

from favorites.serializers import FavoriteSerializer, favorite_data
from favorites.tests.factories import FavoriteFactory


def test_a_favorite_is_shown_as_its_serializer_shows_it(db):
    favorite = FavoriteFactory(price=Decimal("89.9"), price_when_added=Decimal("99.90"))

    shown = favorite_data(favorite)

    assert shown == FavoriteSerializer(favorite).data
    assert shown["price"] == "89.90"
    assert shown["price_change"] == "-10.00"


def test_threads_sharing_the_serializer_each_get_their_own_favorite(db):
    favorites = FavoriteFactory.create_batch(40)
    expected = [FavoriteSerializer(favorite).data for favorite in favorites]

    with ThreadPoolExecutor(8) as pool:
        shown = list(pool.map(favorite_data, favorites * 5))

    assert shown == expected * 5
