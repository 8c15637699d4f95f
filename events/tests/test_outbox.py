"""Events are written in the transaction of the change they report, from every write path."""

import threading
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connections, transaction

from catalog.products import Product, product_page
from catalog.testing import luizalabs_product, luizalabs_url
from customers.services import customer_delete
from customers.tests.factories import PASSWORD, CustomerFactory, StaffFactory
from events.models import Event, EventType
from events.services import OUTBOX_COLUMNS, OUTBOX_VALUES, outbox_params
from favorites.models import Favorite
from favorites.services import (
    FavoriteAlreadyExists,
    favorite_add,
    favorite_remove,
    favorite_snapshots_refresh,
    price_drop,
)
from favorites.tests.factories import FavoriteFactory

pytestmark = pytest.mark.django_db

PRODUCT_ID = "1bf0f365-fbdd-4e21-9786-da459d78dd1f"


def events(type: str | None = None) -> list[Event]:
    rows = Event.objects.order_by("id")
    return list(rows if type is None else rows.filter(type=type))


def favorites_url(customer, product_id: str = "") -> str:
    return f"/api/v1/customers/{customer.pk}/favorites/" + (f"{product_id}/" if product_id else "")


def test_adding_a_favorite_through_the_api_writes_one_favorite_added_event(
    customer, auth_client, catalog_http
):
    catalog_http.get(luizalabs_url(), json=luizalabs_product(price=1699.0))

    response = auth_client(customer).post(favorites_url(customer), {"product_id": PRODUCT_ID})

    assert response.status_code == 201
    [event] = events()
    payload = event.payload()
    assert payload.keys() == {"id", "type", "occurred_at", "customer_id", "data"}
    assert payload["type"] == "favorite.added"
    assert payload["customer_id"] == customer.pk
    assert payload["occurred_at"].endswith("Z")
    assert payload["data"] == {
        "product_id": PRODUCT_ID,
        "title": luizalabs_product()["title"],
        "price": "1699.00",
    }


def test_a_refused_add_writes_no_event(customer, catalog_http):
    FavoriteFactory(customer=customer, product_id=PRODUCT_ID)

    with pytest.raises(FavoriteAlreadyExists):
        favorite_add(customer=customer, product_id=PRODUCT_ID)

    assert events() == []


def test_removing_a_favorite_through_the_api_writes_a_favorite_removed_event(customer, auth_client):
    FavoriteFactory(customer=customer, product_id=PRODUCT_ID)

    response = auth_client(customer).delete(favorites_url(customer, PRODUCT_ID))

    assert response.status_code == 204
    [event] = events()
    assert (event.type, event.customer_id, event.data) == (
        "favorite.removed",
        customer.pk,
        {"product_id": PRODUCT_ID},
    )


def test_removing_a_favorite_that_is_not_there_writes_no_event(customer, auth_client):
    response = auth_client(customer).delete(favorites_url(customer, PRODUCT_ID))

    assert response.status_code == 404
    assert events() == []


def test_the_admins_delete_writes_a_favorite_removed_event_for_each_favorite(client):
    client.force_login(StaffFactory(is_superuser=True))
    first, second = FavoriteFactory(), FavoriteFactory()

    response = client.post(
        "/admin/favorites/favorite/",
        {
            "action": "delete_selected",
            "_selected_action": [first.pk, second.pk],
            "post": "yes",
        },
    )

    assert response.status_code == 302
    assert not Favorite.objects.exists()
    assert sorted((e.customer_id, e.data["product_id"]) for e in events("favorite.removed")) == (
        sorted([(first.customer_id, first.product_id), (second.customer_id, second.product_id)])
    )


def test_deleting_a_customer_writes_customer_deleted_with_nothing_but_its_id(customer, auth_client):
    FavoriteFactory(customer=customer)
    customer_id = customer.pk

    response = auth_client(customer).delete(
        f"/api/v1/customers/{customer_id}/", {"current_password": PASSWORD}
    )

    assert response.status_code == 204
    [event] = events()
    payload = event.payload()
    assert (payload["type"], payload["customer_id"], payload["data"]) == (
        "customer.deleted",
        customer_id,
        {},
    )
    assert customer.email not in str(payload)
    assert customer.name not in str(payload)


def test_the_admin_deleting_customers_writes_customer_deleted_for_each(client):
    client.force_login(StaffFactory(is_superuser=True))
    doomed = [CustomerFactory(), CustomerFactory()]

    response = client.post(
        "/admin/customers/customer/",
        {"action": "delete_selected", "_selected_action": [c.pk for c in doomed], "post": "yes"},
    )

    assert response.status_code == 302
    assert sorted(e.customer_id for e in events("customer.deleted")) == sorted(c.pk for c in doomed)


# No change, no event: each write path inside a transaction that rolls back.


class RolledBack(Exception):
    pass


def rolled_back(change, check=lambda: None) -> None:
    """Make the change in a transaction, check what it sees, then roll it back."""
    with transaction.atomic():
        change()
        check()
        raise RolledBack


def test_no_event_is_left_when_the_transaction_of_an_add_rolls_back(customer, catalog_http):
    catalog_http.get(luizalabs_url(), json=luizalabs_product())

    def sees_its_event():
        assert len(events()) == 1

    with pytest.raises(RolledBack):
        rolled_back(lambda: favorite_add(customer=customer, product_id=PRODUCT_ID), sees_its_event)

    assert events() == []
    assert not Favorite.objects.exists()


def test_no_event_is_left_when_the_transaction_of_a_remove_rolls_back(customer):
    FavoriteFactory(customer=customer, product_id=PRODUCT_ID)

    with pytest.raises(RolledBack):
        rolled_back(lambda: favorite_remove(customer=customer, product_id=PRODUCT_ID))

    assert events() == []
    assert Favorite.objects.filter(customer=customer).exists()


def test_no_event_is_left_when_the_transaction_of_a_customer_deletion_rolls_back(customer):
    with pytest.raises(RolledBack):
        rolled_back(lambda: customer_delete(customer=customer))

    assert events() == []


def test_no_event_is_left_when_the_transaction_of_a_refresh_rolls_back():
    favorite = FavoriteFactory(product_id="p-1", price=Decimal("100.00"), available=False)

    def sees_its_events():
        assert {e.type for e in events()} == {"favorite.back_in_stock", "favorite.price_dropped"}

    with pytest.raises(RolledBack):
        rolled_back(
            lambda: favorite_snapshots_refresh(product_id="p-1", product=product("p-1", "50")),
            sees_its_events,
        )

    assert events() == []
    favorite.refresh_from_db()
    assert (favorite.price, favorite.price_announced) == (Decimal("100.00"), None)


# The price-drop rule, at the service.


def product(product_id: str, price: str) -> Product:
    return Product(
        id=product_id,
        title="Title",
        price=Decimal(price),
        image_url="",
        brand="",
        review_score=None,
    )


@pytest.mark.parametrize(
    ("announced", "new", "expected"),
    [
        ("100.00", "95.00", Decimal("5.00")),
        ("100.00", "95.01", None),
        ("100.00", "100.00", None),
        ("100.00", "120.00", None),
        ("0.00", "0.00", None),
        ("80.00", "20.00", Decimal("75.00")),
    ],
)
def test_a_drop_counts_from_the_min_percent_of_the_last_announced_price(announced, new, expected):
    assert price_drop(announced=Decimal(announced), new=Decimal(new)) == expected


def test_the_min_percent_is_a_setting(settings):
    settings.PRICE_DROP_MIN_PERCENT = 20

    assert price_drop(announced=Decimal("100"), new=Decimal("81")) is None
    assert price_drop(announced=Decimal("100"), new=Decimal("80")) == Decimal("20.00")


def test_a_wobbling_price_is_announced_only_when_it_falls_far_enough_from_the_last_announcement():
    favorite = FavoriteFactory(
        product_id="p-1", price=Decimal("100.00"), price_when_added=Decimal("100.00")
    )
    announced = []
    # 96 and 104 are within 5 % of 100; 94 is 6 % under it and is announced; 96, 93 are
    # within 5 % of 94; 89 is 5.3 % under 94.
    for price in ["96", "104", "94", "96", "93", "89"]:
        favorite_snapshots_refresh(product_id="p-1", product=product("p-1", price))
        announced = [e.data["new_price"] for e in events("favorite.price_dropped")]

    assert announced == ["94.00", "89.00"]
    [first, second] = events("favorite.price_dropped")
    assert first.data == {
        "product_id": "p-1",
        "title": "Title",
        "old_price": "104.00",
        "new_price": "94.00",
        "price_when_added": "100.00",
        "last_notified_price": "100.00",
        "drop_percent": "6.00",
        "drop_percent_since_added": "6.00",
    }
    assert (second.data["last_notified_price"], second.data["drop_percent"]) == ("94.00", "5.32")
    assert second.data["drop_percent_since_added"] == "11.00"
    assert second.customer_id == favorite.customer_id
    favorite.refresh_from_db()
    assert favorite.price_announced == Decimal("89.00")


def test_each_favorite_of_a_product_is_measured_from_its_own_last_announcement():
    early = FavoriteFactory(product_id="p-1", price=Decimal("90"), price_when_added=Decimal("120"))
    late = FavoriteFactory(product_id="p-1", price=Decimal("90"), price_when_added=Decimal("90"))

    favorite_snapshots_refresh(product_id="p-1", product=product("p-1", "88"))

    assert [e.customer_id for e in events("favorite.price_dropped")] == [early.customer_id]
    assert events("favorite.price_dropped")[0].data["drop_percent"] == "26.67"
    late.refresh_from_db()
    assert late.price_announced is None


# Every refresh path, against the real mock catalog server.


def refresh() -> str:
    out = StringIO()
    call_command("refresh_favorites", "--stale-after", "0", stdout=out)
    return out.getvalue().strip()


@pytest.fixture
def uncached_catalog(catalog, settings):
    """Each refresh reads the mock catalog, not a lookup cached by the one before."""
    settings.CATALOG_CACHE_TTL = 0
    settings.CATALOG_NOT_FOUND_TTL = 0
    return catalog


@pytest.mark.integration
def test_the_refresh_command_announces_price_drops_and_availability_flips(
    uncached_catalog, customer
):
    cheaper, gone = product_page(1).products[:2]
    favorite_add(customer=customer, product_id=cheaper.id)
    favorite_add(customer=customer, product_id=gone.id)
    uncached_catalog.product_change(cheaper.id, price=float(cheaper.price * Decimal("0.9")))
    uncached_catalog.product_remove(gone.id)

    assert refresh() == "checked 2, updated 1, unchanged 0, unavailable 1, failed 0"

    dropped, unavailable = events("favorite.price_dropped"), events("favorite.unavailable")
    assert [(e.customer_id, e.data["product_id"], e.data["drop_percent"]) for e in dropped] == [
        (customer.pk, cheaper.id, "10.00")
    ]
    assert [(e.customer_id, e.data) for e in unavailable] == [
        (customer.pk, {"product_id": gone.id, "title": gone.title})
    ]

    # Nothing changed since: nothing more to say.
    refresh()
    assert len(events("favorite.price_dropped")) == 1
    assert len(events("favorite.unavailable")) == 1

    uncached_catalog.products_reset()
    assert refresh() == "checked 2, updated 2, unchanged 0, unavailable 0, failed 0"
    [back] = events("favorite.back_in_stock")
    assert (back.customer_id, back.data["product_id"]) == (customer.pk, gone.id)
    assert len(events("favorite.price_dropped")) == 1  # back up to its price: no drop
    assert {e.type for e in events()} == {
        EventType.FAVORITE_ADDED,
        EventType.FAVORITE_PRICE_DROPPED,
        EventType.FAVORITE_UNAVAILABLE,
        EventType.FAVORITE_BACK_IN_STOCK,
    }


@pytest.mark.django_db(transaction=True)
def test_concurrent_refreshes_of_a_product_announce_its_drop_once():
    favorites = [FavoriteFactory(product_id="p-1", price=Decimal("100")) for _ in range(3)]
    start = threading.Barrier(2)

    def refresh_in_thread():
        start.wait()
        try:
            favorite_snapshots_refresh(product_id="p-1", product=product("p-1", "80"))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=refresh_in_thread) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    dropped = events("favorite.price_dropped")
    assert sorted(e.customer_id for e in dropped) == sorted(f.customer_id for f in favorites)


# The bulk change and the one-favorite refresh go through the same services.


@pytest.mark.integration
def test_a_batch_writes_one_event_per_favorite_it_adds_or_removes(customer, auth_client, catalog):
    first, second, third = (p.id for p in product_page(1).products[:3])
    FavoriteFactory(customer=customer, product_id=third)

    response = auth_client(customer).post(
        "/api/v1/customers/me/favorites/batch/",
        {"add": [first, second, "no-such-product"], "remove": [third, "never-a-favorite"]},
    )

    assert response.status_code == 200, response.content
    assert sorted((e.type, e.data["product_id"]) for e in events()) == sorted(
        [
            ("favorite.added", first),
            ("favorite.added", second),
            ("favorite.removed", third),
        ]
    )
    assert {e.customer_id for e in events()} == {customer.pk}


def test_refreshing_one_favorite_announces_its_drop_and_only_its_own(
    customer, auth_client, catalog_http
):
    mine = FavoriteFactory(customer=customer, product_id=PRODUCT_ID, price=Decimal("100.00"))
    FavoriteFactory(product_id=PRODUCT_ID, price=Decimal("100.00"))  # another customer's
    catalog_http.get(luizalabs_url(), json=luizalabs_product(price=80.0))

    response = auth_client(customer).post(f"/api/v1/customers/me/favorites/{PRODUCT_ID}/refresh/")

    assert response.status_code == 200, response.content
    [dropped] = events()
    assert (dropped.type, dropped.customer_id) == ("favorite.price_dropped", mine.customer_id)
    assert dropped.data["drop_percent"] == "20.00"


def test_the_one_statement_writes_fill_every_column_of_an_event_but_its_dispatch():
    """favorites/services.py writes an event beside its change by these columns: a field
    added to Event must be added to them (and to `outbox_params`) too."""
    written = {name.strip('"') for name in OUTBOX_COLUMNS.split(", ")}
    fields = {f.column for f in Event._meta.concrete_fields if not f.primary_key}

    assert written == fields - {"dispatched_at"}
    assert OUTBOX_VALUES.count("%s") == len(written)
    assert len(outbox_params(type=EventType.FAVORITE_ADDED, customer_id=1, data={})) == len(written)
