from datetime import timedelta
from decimal import Decimal

import factory
from django.utils import timezone

from customers.tests.factories import CustomerFactory
from favorites.models import Favorite, IdempotencyRecord


class FavoriteFactory(factory.django.DjangoModelFactory[Favorite]):
    class Meta:
        model = Favorite

    customer = factory.SubFactory(CustomerFactory)
    product_id = factory.Faker("uuid4")
    title = factory.Faker("sentence", nb_words=4)
    image_url = factory.LazyAttribute(
        lambda favorite: f"http://img.example/{favorite.product_id}.jpg"
    )
    price = factory.Faker("pydecimal", left_digits=4, right_digits=2, positive=True)
    review_score = factory.Faker("pyfloat", min_value=0, max_value=5, right_digits=2)
    brand = factory.Faker("company")
    price_when_added = factory.LazyAttribute(lambda favorite: Decimal(favorite.price))
    available = True


# When a stale favorite was added and last refreshed.
LONG_AGO = timezone.now() - timedelta(days=2)


def stale_favorite(product_id: str | None = None, **fields: object) -> Favorite:
    """A favorite added and last refreshed `LONG_AGO` (any other field as given)."""
    if product_id is not None:
        fields["product_id"] = product_id
    return FavoriteFactory.create(refreshed_at=LONG_AGO, created_at=LONG_AGO, **fields)


def expired_and_live_idempotency_records(customer) -> None:
    """Two `Idempotency-Key` records of the customer's: "old" expired a second ago, "live"
    expires in an hour."""
    now = timezone.now()
    for key, expires_at in (
        ("old", now - timedelta(seconds=1)),
        ("live", now + timedelta(hours=1)),
    ):
        IdempotencyRecord.objects.create(
            customer=customer, key=key, fingerprint="f", status=200, expires_at=expires_at
        )
