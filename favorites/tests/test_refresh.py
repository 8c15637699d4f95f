"""`manage.py refresh_favorites`, with the catalog's HTTP mocked by `responses`."""

from datetime import timedelta
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from catalog.testing import luizalabs_product, luizalabs_url
from favorites.models import Favorite
from favorites.testing import money, refresh
from favorites.tests.factories import LONG_AGO, FavoriteFactory, stale_favorite

pytestmark = pytest.mark.django_db


def test_refresh_updates_changed_snapshots_but_never_the_price_when_added(catalog_http):
    favorite = stale_favorite(
        product_id="p-1", title="Old title", price=Decimal("100.00"), price_when_added="100.00"
    )
    catalog_http.get(
        luizalabs_url("p-1"),
        json=luizalabs_product("p-1", title="New title", price=89.9, reviewScore=4.8, brand="acme"),
    )

    output = refresh()

    favorite.refresh_from_db()
    assert favorite.title == "New title"
    assert favorite.price == money("89.90")
    assert favorite.price_when_added == money("100.00")
    assert favorite.review_score == 4.8
    assert favorite.brand == "acme"
    assert favorite.image_url == "http://challenge-api.luizalabs.com/images/p-1.jpg"
    assert favorite.refreshed_at > LONG_AGO
    assert output.strip() == "checked 1, updated 1, unchanged 0, unavailable 0, failed 0"


def test_refresh_reads_each_product_once_however_many_customers_favor_it(catalog_http):
    favorites = [stale_favorite(product_id="p-1", price=Decimal(n)) for n in (1, 2, 3)]
    catalog_http.get(luizalabs_url("p-1"), json=luizalabs_product("p-1", price=10))

    output = refresh()

    assert [call.request.url for call in catalog_http.calls] == [luizalabs_url("p-1")]
    for favorite in favorites:
        favorite.refresh_from_db()
        assert favorite.price == money("10.00")
        assert favorite.price_when_added == Decimal(favorite.price_when_added)
    assert "checked 1, updated 1" in output


def test_a_product_that_did_not_change_counts_as_unchanged(catalog_http):
    product = luizalabs_product("p-1", reviewScore=4.35)
    favorite = stale_favorite(
        product_id="p-1",
        title=product["title"],
        image_url=product["image"],
        price=money(product["price"]),
        review_score=product["reviewScore"],
        brand=product["brand"],
    )
    catalog_http.get(luizalabs_url("p-1"), json=product)

    output = refresh()

    favorite.refresh_from_db()
    assert favorite.refreshed_at > LONG_AGO
    assert output.strip() == "checked 1, updated 0, unchanged 1, unavailable 0, failed 0"


def test_a_product_the_catalog_no_longer_has_is_marked_unavailable_never_deleted(catalog_http):
    favorite = stale_favorite(product_id="gone", title="Kept title", price=Decimal("5.00"))
    catalog_http.get(luizalabs_url("gone"), status=404)

    output = refresh()

    favorite.refresh_from_db()
    assert favorite.available is False
    assert (favorite.title, favorite.price) == ("Kept title", money("5.00"))
    assert output.strip() == "checked 1, updated 0, unchanged 0, unavailable 1, failed 0"


def test_a_product_that_comes_back_is_available_again(catalog_http):
    favorite = stale_favorite(product_id="back", available=False)
    catalog_http.get(luizalabs_url("back"), json=luizalabs_product("back"))

    output = refresh()

    favorite.refresh_from_db()
    assert favorite.available is True
    assert "updated 1" in output


def test_a_failed_lookup_leaves_its_snapshots_alone_and_the_command_fails(catalog_http):
    failing = stale_favorite(product_id="broken", title="As it was", price=Decimal("7.00"))
    fine = stale_favorite(product_id="fine", price=Decimal("1.00"))
    catalog_http.get(luizalabs_url("broken"), status=500)
    catalog_http.get(luizalabs_url("fine"), json=luizalabs_product("fine", price=2))
    out = StringIO()

    with pytest.raises(CommandError, match="1 product lookup"):
        call_command("refresh_favorites", stdout=out)

    failing.refresh_from_db()
    fine.refresh_from_db()
    assert (failing.title, failing.price, failing.available) == ("As it was", money("7.00"), True)
    assert failing.refreshed_at == LONG_AGO
    assert fine.price == money("2.00")
    assert out.getvalue().strip() == "checked 2, updated 1, unchanged 0, unavailable 0, failed 1"


def test_only_products_checked_longer_ago_than_stale_after_are_read(catalog_http):
    stale_favorite(product_id="old")
    FavoriteFactory(product_id="fresh", refreshed_at=timezone.now() - timedelta(hours=1))
    catalog_http.get(luizalabs_url("old"), json=luizalabs_product("old"))
    catalog_http.get(luizalabs_url("fresh"), json=luizalabs_product("fresh"))

    refresh("--stale-after", "24h")
    first = [call.request.url for call in catalog_http.calls]
    refresh("--stale-after", "30m")

    assert first == [luizalabs_url("old")]
    assert [call.request.url for call in catalog_http.calls][1:] == [luizalabs_url("fresh")]


def test_running_twice_reads_nothing_the_second_time(catalog_http):
    stale_favorite(product_id="p-1")
    catalog_http.get(luizalabs_url("p-1"), json=luizalabs_product("p-1"))

    refresh()
    output = refresh()

    assert len(catalog_http.calls) == 1
    assert output.strip() == "checked 0, updated 0, unchanged 0, unavailable 0, failed 0"


def test_the_product_option_reads_only_those_products_however_fresh(catalog_http):
    FavoriteFactory(product_id="a")
    FavoriteFactory(product_id="b")
    stale_favorite(product_id="c")
    for product_id in "abc":
        catalog_http.get(luizalabs_url(product_id), json=luizalabs_product(product_id))

    refresh("--product", "a", "b")

    assert sorted(call.request.url for call in catalog_http.calls) == [
        luizalabs_url("a"),
        luizalabs_url("b"),
    ]


@pytest.mark.parametrize("workers", ["1", "3"])
def test_many_products_are_all_refreshed_whatever_the_number_of_workers(catalog_http, workers):
    product_ids = [f"p-{n}" for n in range(12)]
    for product_id in product_ids:
        stale_favorite(product_id=product_id, price=Decimal("1.00"))
        catalog_http.get(luizalabs_url(product_id), json=luizalabs_product(product_id, price=3))

    output = refresh("--workers", workers)

    assert set(Favorite.objects.values_list("price", flat=True)) == {money("3.00")}
    assert "checked 12, updated 12" in output
    assert len(catalog_http.calls) == 12


@pytest.mark.parametrize(
    "args", [["--stale-after", "yesterday"], ["--stale-after", "-1h"], ["--workers", "0"]]
)
def test_bad_options_are_refused(args):
    with pytest.raises(CommandError):
        call_command("refresh_favorites", *args, stdout=StringIO())
