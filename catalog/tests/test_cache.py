"""Lookups through Django's cache on the real Redis (127.0.0.1:6379)."""

import pytest
import requests

from catalog import caching
from catalog.products import CatalogUnavailable, ProductNotFound, product_get
from catalog.testing import (
    CATALOG_URL,
    PRODUCT_ID,
    called_urls,
    fakestore_product,
    fakestore_url,
    luizalabs_product,
    luizalabs_url,
)
from favorites_project.near_cache import NearCache


def _ttls(client, prefix: str) -> dict[str, int]:
    return {
        key.decode().split(":", 2)[2]: client.ttl(key) for key in client.scan_iter(f"{prefix}:*")
    }


def test_a_second_lookup_comes_from_redis_without_an_http_call(luizalabs, redis_cache):
    client, prefix = redis_cache
    luizalabs.get(luizalabs_url(), json=luizalabs_product(reviewScore=4.5))

    first = product_get(PRODUCT_ID)
    second = product_get(PRODUCT_ID)

    assert second == first
    assert called_urls(luizalabs) == [luizalabs_url()]
    [(key, ttl)] = _ttls(client, prefix).items()
    assert key.startswith("catalog:v1:luizalabs:")
    assert key.endswith(f":product:{PRODUCT_ID}")
    assert 290 < ttl <= 300


def test_not_found_is_cached_for_a_shorter_time(luizalabs, redis_cache, settings):
    client, prefix = redis_cache
    settings.CATALOG_NOT_FOUND_TTL = 20
    luizalabs.get(luizalabs_url(), status=404)

    for _ in range(3):
        with pytest.raises(ProductNotFound):
            product_get(PRODUCT_ID)

    assert called_urls(luizalabs) == [luizalabs_url()]
    [ttl] = _ttls(client, prefix).values()
    assert 10 < ttl <= 20


def test_the_cache_ttl_is_read_at_call_time(luizalabs, redis_cache, settings):
    client, prefix = redis_cache
    settings.CATALOG_CACHE_TTL = 7
    luizalabs.get(luizalabs_url(), json=luizalabs_product())

    product_get(PRODUCT_ID)

    [ttl] = _ttls(client, prefix).values()
    assert 0 < ttl <= 7


def test_failures_are_not_cached(luizalabs, redis_cache):
    client, prefix = redis_cache
    luizalabs.get(luizalabs_url(), status=500)
    luizalabs.get(luizalabs_url(), json=luizalabs_product())

    with pytest.raises(CatalogUnavailable):
        product_get(PRODUCT_ID)
    assert _ttls(client, prefix) == {}
    product_get(PRODUCT_ID)

    assert called_urls(luizalabs) == [luizalabs_url()] * 2
    assert len(_ttls(client, prefix)) == 1


def test_the_cache_key_carries_the_base_url(luizalabs, redis_cache, settings):
    other = "http://other-catalog.test"
    luizalabs.get(luizalabs_url(), json=luizalabs_product())
    luizalabs.get(f"{other}/api/product/{PRODUCT_ID}/", json=luizalabs_product(title="Other"))

    first = product_get(PRODUCT_ID)
    settings.CATALOG_URL = other
    second = product_get(PRODUCT_ID)

    assert (first.title, second.title) == (
        "Cadeira para Auto Iseos Bébé Confort Earth Brown",
        "Other",
    )
    assert len(luizalabs.calls) == 2


def test_the_cache_key_carries_the_provider(fakestore, redis_cache, settings):
    client, prefix = redis_cache
    fakestore.get(fakestore_url("7"), json=fakestore_product(7))
    fakestore.get(f"{CATALOG_URL}/api/product/7/", json=luizalabs_product("7"))

    product_get("7")
    settings.CATALOG_FORMAT = "luizalabs"
    product_get("7")

    assert called_urls(fakestore) == [fakestore_url("7"), f"{CATALOG_URL}/api/product/7/"]
    providers = sorted(key.split(":")[2] for key in _ttls(client, prefix))
    assert providers == ["fakestore", "luizalabs"]


def test_with_redis_down_lookups_go_straight_to_the_catalog(luizalabs, dead_redis_cache, caplog):
    luizalabs.get(luizalabs_url(), json=luizalabs_product())

    first = product_get(PRODUCT_ID)
    second = product_get(PRODUCT_ID)

    assert first == second
    assert first.id == PRODUCT_ID
    assert called_urls(luizalabs) == [luizalabs_url()] * 2
    assert "Catalog cache read failed" in caplog.text
    assert "Catalog cache write failed" in caplog.text


def test_with_redis_down_not_found_is_still_not_found(luizalabs, dead_redis_cache):
    luizalabs.get(luizalabs_url(), status=404)

    with pytest.raises(ProductNotFound):
        product_get(PRODUCT_ID)
    assert len(luizalabs.calls) == 1


def test_with_redis_down_a_dead_catalog_is_still_unavailable(luizalabs, dead_redis_cache):
    luizalabs.get(luizalabs_url(), body=requests.ConnectionError("refused"))

    with pytest.raises(CatalogUnavailable):
        product_get(PRODUCT_ID)
    assert len(luizalabs.calls) == 3


def test_this_process_forgets_its_own_write_without_waiting_for_redis(redis_cache, monkeypatch):
    """The near cache (favorites_project/near_cache.py), told nothing by Redis: a write of
    this process's is read back at once."""
    monkeypatch.setattr(NearCache, "_apply", lambda self, message: None)
    key = "catalog:v1:luizalabs:x:product:1"
    caching.write(key, {"found": False}, 60)
    assert caching.read(key) == {"found": False}
    assert caching.read(key) == {"found": False}  # kept
    caching.write(key, {"found": True}, 60)
    assert caching.read(key) == {"found": True}
