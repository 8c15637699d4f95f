"""The list's ordering and filters (?ordering=, ?price_dropped=, ?search=), checked against
hand-computed expectations, and the indexes that serve them."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.utils import timezone

from favorites.selectors import FavoriteListQuery, _query_statement_for
from favorites.tests.etags import redis_etags
from favorites.tests.factories import FavoriteFactory
from favorites_project.testing import assert_problem

LIST_URL = "/api/v1/customers/me/favorites/"


@pytest.fixture
def client(customer, auth_client):
    return auth_client(customer)


@pytest.fixture
def favorites(customer):
    """Five favorites, a (oldest) to e (newest):

    id  title          brand     price  when added  change   percent
    a   "Zebra lamp"   Acme      50.00  100.00      -50.00   -50.0
    b   "apple juice"  Fresco    30.00   20.00      +10.00   +50.0
    c   "Mango 100%"   acme co   75.00  100.00      -25.00   -25.0
    d   "banana_split" Dolce     10.00   10.00        0.00     0.0
    e   "Cherry pie"   Bakery    99.00  110.00      -11.00   -10.0 (unavailable)
    """
    now = timezone.now()
    rows = [
        ("a", "Zebra lamp", "Acme", "50.00", "100.00", True),
        ("b", "apple juice", "Fresco", "30.00", "20.00", True),
        ("c", "Mango 100%", "acme co", "75.00", "100.00", True),
        ("d", "banana_split", "Dolce", "10.00", "10.00", True),
        ("e", "Cherry pie", "Bakery", "99.00", "110.00", False),
    ]
    for age, (product_id, title, brand, price, added, available) in enumerate(reversed(rows)):
        FavoriteFactory(
            customer=customer,
            product_id=product_id,
            title=title,
            brand=brand,
            price=Decimal(price),
            price_when_added=Decimal(added),
            available=available,
            created_at=now - timedelta(minutes=age),
        )
    FavoriteFactory(product_id="x", title="Zebra of another customer", price=1)


def product_ids(client, **params) -> list[str]:
    response = client.get(LIST_URL, params)
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["count"] == len(body["results"])
    return [favorite["product_id"] for favorite in body["results"]]


@pytest.mark.usefixtures("favorites")
@pytest.mark.parametrize(
    ("ordering", "expected"),
    [
        ("-created_at", ["e", "d", "c", "b", "a"]),
        ("created_at", ["a", "b", "c", "d", "e"]),
        ("price", ["d", "b", "a", "c", "e"]),
        ("-price", ["e", "c", "a", "b", "d"]),
        ("price_change_percent", ["a", "c", "e", "d", "b"]),
        ("title", ["Cherry pie", "Mango 100%", "Zebra lamp", "apple juice", "banana_split"]),
    ],
)
def test_each_ordering_gives_the_hand_computed_order(client, ordering, expected):
    if ordering == "title":
        response = client.get(LIST_URL, {"ordering": "title"})
        titles = [favorite["title"] for favorite in response.json()["results"]]
        # The database's collation decides where case goes; the order is its sort of titles.
        assert sorted(titles, key=_collation_key) == titles
        assert set(titles) == set(expected)
        return
    assert product_ids(client, ordering=ordering) == expected


def _collation_key(title: str):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT t FROM unnest(%s::text[]) AS t ORDER BY t",
            [["Cherry pie", "Mango 100%", "Zebra lamp", "apple juice", "banana_split"]],
        )
        order = [row[0] for row in cursor.fetchall()]
    return order.index(title)


@pytest.mark.usefixtures("favorites")
def test_every_favorite_shows_its_price_change(client):
    results = {f["product_id"]: f for f in client.get(LIST_URL).json()["results"]}

    assert {pid: (f["price_change"], f["price_change_percent"]) for pid, f in results.items()} == {
        "a": ("-50.00", "-50.0"),
        "b": ("10.00", "50.0"),
        "c": ("-25.00", "-25.0"),
        "d": ("0.00", "0.0"),
        "e": ("-11.00", "-10.0"),
    }


def test_the_percent_rounds_to_one_decimal_and_is_null_when_the_price_was_zero(client, customer):
    FavoriteFactory(
        customer=customer,
        product_id="third",
        price=Decimal("2.00"),
        price_when_added=Decimal("3.00"),
    )
    FavoriteFactory(
        customer=customer,
        product_id="free",
        price=Decimal("5.00"),
        price_when_added=Decimal("0.00"),
    )

    results = {f["product_id"]: f for f in client.get(LIST_URL).json()["results"]}

    assert results["third"]["price_change_percent"] == "-33.3"
    assert results["free"]["price_change"] == "5.00"
    assert results["free"]["price_change_percent"] is None
    assert product_ids(client, ordering="price_change_percent") == ["third", "free"]


def test_the_largest_price_change_a_favorite_can_hold_is_shown_everywhere(client, customer):
    """From the smallest price to the largest the columns hold: 14 digits before the point."""
    FavoriteFactory(
        customer=customer,
        product_id="from-a-cent",
        price=Decimal("9999999999.99"),
        price_when_added=Decimal("0.01"),
    )
    expected = ("9999999999.98", "99999999999800.0")

    listed = client.get(LIST_URL).json()["results"][0]
    one = client.get(f"{LIST_URL}from-a-cent/")

    assert (listed["price_change"], listed["price_change_percent"]) == expected
    assert one.status_code == 200, one.content
    assert (one.json()["price_change"], one.json()["price_change_percent"]) == expected


@pytest.mark.usefixtures("favorites")
def test_price_dropped_keeps_only_favorites_now_cheaper(client):
    assert product_ids(client, price_dropped="true") == ["e", "c", "a"]
    assert product_ids(client, price_dropped="false") == ["e", "d", "c", "b", "a"]


@pytest.mark.usefixtures("favorites")
@pytest.mark.parametrize(
    ("search", "expected"),
    [
        ("acme", ["c", "a"]),  # brand, any case
        ("ZEBRA", ["a"]),  # title, any case; never another customer's
        ("100%", ["c"]),  # % is a character, not a wildcard
        ("_", ["d"]),  # and so is _
        ("  pie ", ["e"]),  # trimmed
        ("nothing like it", []),
    ],
)
def test_search_matches_title_or_brand_case_insensitively(client, search, expected):
    assert product_ids(client, search=search) == expected


@pytest.mark.usefixtures("favorites")
def test_filters_and_ordering_combine(client):
    assert product_ids(client, price_dropped="true", ordering="price") == ["a", "c", "e"]
    assert product_ids(client, price_dropped="true", available="true") == ["c", "a"]
    assert product_ids(client, search="a", ordering="-price", available="true") == [
        "c",
        "a",
        "b",
        "d",
    ]


@pytest.mark.usefixtures("favorites")
def test_pages_of_an_ordered_list_count_every_match(client):
    first = client.get(LIST_URL, {"ordering": "price", "page_size": 2}).json()
    last = client.get(LIST_URL, {"ordering": "price", "page_size": 2, "page": "last"}).json()

    assert first["count"] == 5
    assert [f["product_id"] for f in first["results"]] == ["d", "b"]
    assert [f["product_id"] for f in last["results"]] == ["e"]


@pytest.mark.parametrize(
    "params",
    [
        {"ordering": "popularity"},
        {"ordering": ""},
        {"price_dropped": "yes"},
        {"available": "1"},
        {"search": "x" * 101},
    ],
)
def test_an_unknown_ordering_or_filter_value_is_400(client, params):
    body = assert_problem(client.get(LIST_URL, params), 400, "validation_error")
    assert list(body["errors"]) == list(params)


@pytest.mark.usefixtures("favorites")
@pytest.mark.parametrize(
    "params", [{"ordering": "price"}, {"price_dropped": "true"}, {"search": "acme"}]
)
def test_an_ordered_or_filtered_page_is_one_query_after_the_customer(
    client, django_assert_num_queries, params
):
    # The authenticated-user lookup, the page (not full: no count).
    with django_assert_num_queries(2):
        response = client.get(LIST_URL, params)

    assert response.status_code == 200


@pytest.mark.usefixtures("favorites")
def test_each_ordering_and_filter_has_its_own_etag(client, settings):
    with redis_etags(settings):
        plain = client.get(LIST_URL)["ETag"]
        by_price = client.get(LIST_URL, {"ordering": "price"})
        dropped = client.get(LIST_URL, {"price_dropped": "true"})["ETag"]

        assert len({plain, by_price["ETag"], dropped}) == 3
        again = client.get(LIST_URL, {"ordering": "price"}, HTTP_IF_NONE_MATCH=by_price["ETag"])
        assert again.status_code == 304
        other = client.get(LIST_URL, {"ordering": "-price"}, HTTP_IF_NONE_MATCH=by_price["ETag"])
        assert other.status_code == 200


def _plan(query: FavoriteListQuery, customer) -> str:
    page, _ = _query_statement_for(query)
    params = [customer.pk]
    if query.available is not None:
        params.append(query.available)
    if query.search:
        params += ["%x%", "%x%"]
    with connection.cursor() as cursor:
        # Tiny test tables make a scan and a sort cheapest; rule those out to see whether
        # an index alone can deliver the rows in the list's order.
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_bitmapscan = off")
        cursor.execute("SET LOCAL enable_sort = off")
        cursor.execute(f"EXPLAIN {page}", [*params, 20, 0])
        return "\n".join(row[0] for row in cursor.fetchall())


@pytest.mark.parametrize(
    ("query", "index"),
    [
        (FavoriteListQuery(ordering="created_at"), "favorite_customer_recent"),
        (FavoriteListQuery(ordering="price"), "favorite_customer_price"),
        (FavoriteListQuery(ordering="-price"), "favorite_customer_price"),
        (FavoriteListQuery(ordering="price_change_percent"), "favorite_customer_price_change"),
        (FavoriteListQuery(ordering="title"), "favorite_customer_title"),
        (FavoriteListQuery(price_dropped=True), "favorite_customer_dropped"),
        (FavoriteListQuery(search="x"), "favorite_customer_recent"),
        (
            FavoriteListQuery(search="x", ordering="price", available=True),
            "favorite_customer_price",
        ),
        (
            FavoriteListQuery(price_dropped=True, ordering="price_change_percent"),
            "favorite_customer_price_change",
        ),
    ],
    ids=lambda value: value if isinstance(value, str) else None,
)
def test_every_ordering_reads_an_index_in_order_without_a_sort(customer, query, index):
    FavoriteFactory.create_batch(30, customer=customer)

    plan = _plan(query, customer)

    assert f"Index Scan using {index} " in plan or f"Index Scan Backward using {index} " in plan, (
        plan
    )
    assert "Sort" not in plan, plan
