"""The favorites services called directly, with the catalog's HTTP mocked."""

import json

import pytest
from django.db import connection
from django.http import Http404
from django.test.utils import CaptureQueriesContext
from rest_framework_simplejwt.utils import get_md5_hash_password

from catalog.products import InvalidProductId, ProductNotFound, product_get
from catalog.testing import luizalabs_product, luizalabs_url
from customers.models import Customer
from customers.tokens import TokenCustomer, TokenRevoked
from events.models import Event, EventType
from favorites.models import Favorite
from favorites.services import (
    FavoriteAlreadyExists,
    FavoritesLimitReached,
    favorite_add,
    favorite_remove,
)
from favorites.testing import money
from favorites.tests.factories import FavoriteFactory

PRODUCT_ID = "2b505fab-d865-e164-345d-6c26ac6f5d52"


@pytest.mark.django_db(transaction=True)
def test_the_catalog_is_asked_with_no_transaction_open(customer, catalog_http):
    seen_in_transaction = []

    def product(request):
        seen_in_transaction.append(connection.in_atomic_block)
        return 200, {}, json.dumps(luizalabs_product(PRODUCT_ID))

    catalog_http.add_callback("GET", luizalabs_url(PRODUCT_ID), callback=product)

    favorite = favorite_add(customer=customer, product_id=PRODUCT_ID)

    assert seen_in_transaction == [False]
    assert Favorite.objects.get(pk=favorite.pk).product_id == PRODUCT_ID


def test_adding_snapshots_the_product_and_freezes_the_price_it_had(customer, catalog_http):
    catalog_http.get(
        luizalabs_url(PRODUCT_ID), json=luizalabs_product(PRODUCT_ID, price=149.9, reviewScore=3.5)
    )

    favorite = favorite_add(customer=customer, product_id=PRODUCT_ID)

    favorite.refresh_from_db()
    assert favorite.price == favorite.price_when_added == money("149.90")
    assert favorite.review_score == 3.5
    assert favorite.available is True
    assert favorite.refreshed_at >= favorite.created_at


@pytest.mark.parametrize("product_id", ["", "has space", "a/b", "x" * 65])
def test_a_malformed_id_is_refused_before_any_network_call(customer, catalog_http, product_id):
    with pytest.raises(InvalidProductId):
        favorite_add(customer=customer, product_id=product_id)

    assert len(catalog_http.calls) == 0
    assert not Favorite.objects.exists()


def test_a_duplicate_is_refused_without_asking_the_catalog(customer, catalog_http):
    FavoriteFactory(customer=customer, product_id=PRODUCT_ID)

    with pytest.raises(FavoriteAlreadyExists, match=PRODUCT_ID):
        favorite_add(customer=customer, product_id=PRODUCT_ID)

    assert len(catalog_http.calls) == 0


def test_a_product_the_catalog_does_not_have_is_not_added(customer, catalog_http):
    catalog_http.get(luizalabs_url(PRODUCT_ID), status=404)

    with pytest.raises(ProductNotFound):
        favorite_add(customer=customer, product_id=PRODUCT_ID)

    assert not Favorite.objects.exists()
    assert len(catalog_http.calls) == 1


@pytest.mark.parametrize(
    "where",
    [
        pytest.param("in the caller's transaction"),
        pytest.param("alone", marks=pytest.mark.django_db(transaction=True)),
    ],
)
def test_a_customer_deleted_while_the_catalog_answers_is_a_404_and_nothing_is_written(
    customer, catalog_http, where
):
    """Alone, the add's query is its own transaction; in a caller's, a savepoint's."""

    def product(request):
        Customer.objects.filter(pk=customer.pk).delete()  # another request erased it
        return 200, {}, json.dumps(luizalabs_product(PRODUCT_ID))

    catalog_http.add_callback("GET", luizalabs_url(PRODUCT_ID), callback=product)

    with pytest.raises(Http404):
        favorite_add(customer=customer, product_id=PRODUCT_ID)

    assert not Favorite.objects.exists()
    assert not Event.objects.filter(type=EventType.FAVORITE_ADDED).exists()


def test_removing_a_favorite_that_is_not_there_raises_404(customer):
    with pytest.raises(Http404):
        favorite_remove(customer=customer, product_id=PRODUCT_ID)


def _cached(catalog_http, customer) -> None:
    """PRODUCT_ID's catalog answer cached, as after any add of it: asked once, then removed."""
    catalog_http.get(luizalabs_url(PRODUCT_ID), json=luizalabs_product(PRODUCT_ID, price=149.9))
    favorite_add(customer=customer, product_id=PRODUCT_ID)
    favorite_remove(customer=customer, product_id=PRODUCT_ID)
    assert len(catalog_http.calls) == 1


def _ids_taken() -> int:
    """How far the favorites' id sequence has gone: an insert takes an id even when its
    transaction rolls back, so a refusal that tried one shows."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_get_serial_sequence('favorites_favorite', 'id')")
        (sequence,) = cursor.fetchone()
        cursor.execute(f"SELECT last_value FROM {sequence}")
        return cursor.fetchone()[0]


def test_with_the_answer_cached_a_duplicate_is_refused_by_the_transaction(
    customer, other_customer, catalog_http
):
    _cached(catalog_http, other_customer)
    FavoriteFactory(customer=customer, product_id=PRODUCT_ID)
    events, ids = Event.objects.count(), _ids_taken()

    with pytest.raises(FavoriteAlreadyExists, match=PRODUCT_ID):
        favorite_add(customer=customer, product_id=PRODUCT_ID)

    assert len(catalog_http.calls) == 1
    assert Favorite.objects.filter(customer=customer).count() == 1
    assert Event.objects.count() == events
    assert _ids_taken() == ids  # refused by its check, not by the unique constraint


def test_with_the_answer_cached_a_full_list_is_refused_and_nothing_is_written(
    customer, other_customer, catalog_http, settings
):
    settings.FAVORITES_MAX_PER_CUSTOMER = 2
    _cached(catalog_http, other_customer)
    FavoriteFactory.create_batch(2, customer=customer)
    events, ids = Event.objects.count(), _ids_taken()

    with pytest.raises(FavoritesLimitReached):
        favorite_add(customer=customer, product_id=PRODUCT_ID)

    assert Favorite.objects.filter(customer=customer).count() == 2
    assert Event.objects.count() == events
    assert _ids_taken() == ids  # never inserted, not inserted and rolled back


@pytest.mark.django_db(transaction=True)  # the add's own transaction, not a savepoint
def test_an_add_with_the_answer_cached_is_one_query_and_a_remove_one(
    customer, other_customer, catalog_http
):
    _cached(catalog_http, other_customer)

    with CaptureQueriesContext(connection) as added:
        favorite = favorite_add(customer=customer, product_id=PRODUCT_ID)
    with CaptureQueriesContext(connection) as removed:
        favorite_remove(customer=customer, product_id=PRODUCT_ID)

    # One round trip each, no BEGIN or COMMIT of their own: the customer's lock, then the
    # checks, the row and its event, sent together; then the row and its event. After
    # each, only the events' dispatch, run at once by the tests' eager Celery.
    lock, add = added.captured_queries[0]["sql"].split("; ")
    assert lock.startswith("SELECT 1 FROM")
    assert lock.endswith("FOR NO KEY UPDATE")
    assert add.startswith("WITH holder AS")
    assert [q["sql"].split()[0] for q in removed][:1] == ["WITH"]
    dispatch = [q["sql"] for q in added.captured_queries[1:] + removed.captured_queries[1:]]
    assert dispatch
    assert not any("favorites_favorite" in sql for sql in dispatch)
    assert not Favorite.objects.filter(pk=favorite.pk).exists()
    events = Event.objects.filter(customer_id=customer.pk).order_by("pk")
    assert [(e.type, e.data) for e in events] == [
        (
            EventType.FAVORITE_ADDED,
            {"product_id": PRODUCT_ID, "title": favorite.title, "price": "149.90"},
        ),
        (EventType.FAVORITE_REMOVED, {"product_id": PRODUCT_ID}),
    ]
    assert all(e.dispatched_at is not None for e in events)  # dispatched once committed


def test_the_added_favorite_is_the_row_as_stored(customer, catalog_http):
    catalog_http.get(luizalabs_url(PRODUCT_ID), json=luizalabs_product(PRODUCT_ID, price=149.9))

    favorite = favorite_add(customer=customer, product_id=PRODUCT_ID)
    stored = Favorite.objects.get(pk=favorite.pk)

    assert [getattr(favorite, f.attname) for f in Favorite._meta.concrete_fields] == [
        getattr(stored, f.attname) for f in Favorite._meta.concrete_fields
    ]
    # A saved instance: saving it again updates its row.
    favorite.title = "Renamed"
    favorite.save()
    assert Favorite.objects.get(pk=favorite.pk).title == "Renamed"


def caller_token(customer) -> TokenCustomer:
    """What the customer's token says of it now (`token_customer`)."""
    return TokenCustomer(id=customer.pk, password_digest=get_md5_hash_password(customer.password))


@pytest.fixture(params=["postgresql", "elsewhere"])
def vendor(request, monkeypatch):
    """Each write's PostgreSQL statements, and the ORM's path that other databases take
    (run here on PostgreSQL)."""
    if request.param == "elsewhere":
        monkeypatch.setattr(connection, "vendor", "another database")
    return request.param


@pytest.mark.django_db(transaction=True)  # the write's own transaction, not a savepoint
@pytest.mark.parametrize("revocation", ["password changed", "deactivated", "deleted"])
def test_a_write_whose_token_no_longer_holds_writes_nothing(
    customer, catalog_http, vendor, revocation
):
    catalog_http.get(luizalabs_url(PRODUCT_ID), json=luizalabs_product(PRODUCT_ID))
    product = product_get(PRODUCT_ID)
    FavoriteFactory(customer=customer, product_id="kept-favorite")
    token, pk = caller_token(customer), customer.pk
    if revocation == "password changed":
        customer.set_password("a-brand-new-passphrase")
        customer.save()
    elif revocation == "deactivated":
        Customer.objects.filter(pk=pk).update(is_active=False)  # past the ORM's signals too
    else:
        Customer.objects.filter(pk=pk).delete()
    events = Event.objects.count()

    with pytest.raises(TokenRevoked):
        favorite_add(customer=Customer(pk=pk), product_id=PRODUCT_ID, product=product, token=token)
    with pytest.raises(TokenRevoked):
        favorite_remove(customer=Customer(pk=pk), product_id="kept-favorite", token=token)

    assert list(Favorite.objects.filter(customer_id=pk).values_list("product_id", flat=True)) == (
        [] if revocation == "deleted" else ["kept-favorite"]
    )
    assert Event.objects.count() == events


def test_a_write_whose_token_holds_is_made_without_the_customers_row(
    customer, catalog_http, vendor
):
    catalog_http.get(luizalabs_url(PRODUCT_ID), json=luizalabs_product(PRODUCT_ID))
    product = product_get(PRODUCT_ID)
    caller = Customer(pk=customer.pk)  # as the lane has it: the id its token names

    favorite_add(
        customer=caller, product_id=PRODUCT_ID, product=product, token=caller_token(customer)
    )
    added = Favorite.objects.filter(customer=customer, product_id=PRODUCT_ID).exists()
    with pytest.raises(FavoriteAlreadyExists):
        favorite_add(
            customer=caller, product_id=PRODUCT_ID, product=product, token=caller_token(customer)
        )
    favorite_remove(customer=caller, product_id=PRODUCT_ID, token=caller_token(customer))
    with pytest.raises(Http404):
        favorite_remove(customer=caller, product_id=PRODUCT_ID, token=caller_token(customer))

    assert added
    assert not Favorite.objects.filter(customer=customer).exists()
    assert list(
        Event.objects.filter(customer_id=customer.pk).order_by("id").values_list("type", flat=True)
    ) == [EventType.FAVORITE_ADDED, EventType.FAVORITE_REMOVED]


def test_a_token_is_only_its_own_customers_and_comes_with_the_product(
    customer, other_customer, catalog_http
):
    with pytest.raises(ValueError, match="another customer"):
        favorite_remove(
            customer=customer, product_id=PRODUCT_ID, token=caller_token(other_customer)
        )
    with pytest.raises(ValueError, match="the product at hand"):
        favorite_add(customer=customer, product_id=PRODUCT_ID, token=caller_token(customer))
    assert len(catalog_http.calls) == 0
