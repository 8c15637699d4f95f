import pytest
from django.db import IntegrityError

from customers.services import customer_delete
from favorites.models import Favorite
from favorites.tests.factories import FavoriteFactory


def test_deleting_a_customer_deletes_its_favorites_and_only_its(customer, other_customer):
    FavoriteFactory.create_batch(3, customer=customer)
    kept = FavoriteFactory(customer=other_customer)

    customer_delete(customer=customer)

    assert list(Favorite.objects.all()) == [kept]


def test_staff_deleting_a_customer_through_the_api_removes_its_favorites(
    auth_client, staff, customer
):
    FavoriteFactory.create_batch(2, customer=customer)

    response = auth_client(staff).delete(f"/api/v1/customers/{customer.pk}/")

    assert response.status_code == 204
    assert not Favorite.objects.exists()


def test_the_database_refuses_a_second_row_for_the_same_customer_and_product(customer):
    favorite = FavoriteFactory(customer=customer)

    with pytest.raises(IntegrityError):
        FavoriteFactory(customer=customer, product_id=favorite.product_id)


def test_a_favorite_reads_as_its_product(customer):
    favorite = FavoriteFactory(customer=customer, product_id="p-1", title="Cadeira")

    assert str(favorite) == "p-1 (Cadeira)"
