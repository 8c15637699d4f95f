from decimal import Decimal

import factory

from customers.tests.factories import CustomerFactory
from favorites.models import Favorite


class FavoriteFactory(factory.django.DjangoModelFactory):
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
