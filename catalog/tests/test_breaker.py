"""The circuit breaker: fail fast while the catalog is down, then try once."""

import json
import threading
import time

import pytest
import requests
import responses
from django.core.cache import cache

from catalog.products import CatalogUnavailable, ProductNotFound, catalog_status, product_get
from catalog.testing import CATALOG_URL, PRODUCT_ID, luizalabs_product, luizalabs_url


@pytest.fixture
def breaker_settings(luizalabs, settings):
    settings.CATALOG_RETRIES = 0
    settings.CATALOG_BREAKER_THRESHOLD = 3
    settings.CATALOG_BREAKER_COOLDOWN = 30.0
    return settings


def _fail(times: int) -> None:
    for _ in range(times):
        with pytest.raises(CatalogUnavailable):
            product_get(PRODUCT_ID)


def test_the_breaker_opens_after_repeated_failures_and_fails_fast(luizalabs, breaker_settings):
    luizalabs.get(luizalabs_url(), body=requests.ConnectionError("connection refused"))
    _fail(3)
    assert len(luizalabs.calls) == 3

    with pytest.raises(CatalogUnavailable) as raised:
        product_get(PRODUCT_ID)

    assert len(luizalabs.calls) == 3  # no call went out
    assert 1 <= raised.value.retry_after <= 30
    assert catalog_status() == {"provider": "luizalabs", "breaker": "open", "reachable": False}


def test_fewer_failures_than_the_threshold_keep_the_breaker_closed(luizalabs, breaker_settings):
    luizalabs.get(luizalabs_url(), status=500)
    luizalabs.get(luizalabs_url(), status=500)
    luizalabs.get(luizalabs_url(), json=luizalabs_product())
    _fail(2)

    assert product_get(PRODUCT_ID).id == PRODUCT_ID
    assert len(luizalabs.calls) == 3
    assert catalog_status()["breaker"] == "closed"


def test_a_success_resets_the_count_of_failures(luizalabs, breaker_settings):
    luizalabs.get(luizalabs_url(), status=500)
    luizalabs.get(luizalabs_url(), status=500)
    luizalabs.get(luizalabs_url(), json=luizalabs_product())
    luizalabs.get(luizalabs_url(), status=500)
    _fail(2)
    product_get(PRODUCT_ID)
    cache.clear()
    _fail(2)

    assert catalog_status()["breaker"] == "closed"
    assert len(luizalabs.calls) == 5


def test_not_found_answers_do_not_count_as_failures(luizalabs, breaker_settings):
    luizalabs.get(luizalabs_url(), status=404)
    for _ in range(5):
        with pytest.raises(ProductNotFound):
            product_get(PRODUCT_ID)
        cache.clear()

    assert len(luizalabs.calls) == 5
    assert catalog_status()["breaker"] == "closed"


def test_invalid_answers_count_as_failures(luizalabs, breaker_settings):
    luizalabs.get(luizalabs_url(), body=b"{not json", content_type="application/json")
    _fail(4)

    assert len(luizalabs.calls) == 3


def test_after_the_cooldown_one_trial_call_goes_through_and_closes_the_breaker(
    luizalabs, breaker_settings
):
    breaker_settings.CATALOG_BREAKER_COOLDOWN = 0.05
    for _ in range(3):
        luizalabs.get(luizalabs_url(), status=500)
    luizalabs.get(luizalabs_url(), json=luizalabs_product())
    _fail(3)
    _fail(1)
    assert len(luizalabs.calls) == 3
    time.sleep(0.1)
    assert catalog_status()["breaker"] == "half_open"

    assert product_get(PRODUCT_ID).id == PRODUCT_ID

    assert len(luizalabs.calls) == 4
    assert catalog_status() == {"provider": "luizalabs", "breaker": "closed", "reachable": True}


def test_a_failed_trial_call_opens_the_breaker_again(luizalabs, breaker_settings):
    breaker_settings.CATALOG_BREAKER_COOLDOWN = 0.05
    luizalabs.get(luizalabs_url(), status=503)
    _fail(3)
    time.sleep(0.1)

    _fail(1)  # the trial
    assert len(luizalabs.calls) == 4
    _fail(1)  # fails fast again
    assert len(luizalabs.calls) == 4
    assert catalog_status()["breaker"] == "open"


def test_while_the_trial_call_is_out_other_callers_fail_fast(luizalabs, breaker_settings):
    breaker_settings.CATALOG_BREAKER_COOLDOWN = 0.05
    luizalabs.get(luizalabs_url(), status=503)
    _fail(3)
    time.sleep(0.1)
    trial_started, trial_release = threading.Event(), threading.Event()

    def slow_answer(request):
        trial_started.set()
        trial_release.wait(5)
        return 200, {}, json.dumps(luizalabs_product())

    luizalabs.replace(
        responses.CallbackResponse(
            "GET", luizalabs_url(), callback=slow_answer, content_type="application/json"
        )
    )
    trial_result = []
    trial = threading.Thread(target=lambda: trial_result.append(product_get(PRODUCT_ID)))
    trial.start()
    assert trial_started.wait(5)

    others = []
    for _ in range(5):
        try:
            product_get(PRODUCT_ID)
        except CatalogUnavailable as exc:
            others.append(exc)
    trial_release.set()
    trial.join(5)

    assert len(others) == 5
    assert [product.id for product in trial_result] == [PRODUCT_ID]
    assert len(luizalabs.calls) == 4
    assert catalog_status()["breaker"] == "closed"


def test_each_catalog_has_its_own_breaker(luizalabs, breaker_settings):
    other = "http://other-catalog.test"
    luizalabs.get(luizalabs_url(), body=requests.ConnectionError("connection refused"))
    luizalabs.get(f"{other}/api/product/{PRODUCT_ID}/", json=luizalabs_product())
    _fail(3)

    breaker_settings.CATALOG_URL = other
    assert product_get(PRODUCT_ID).id == PRODUCT_ID
    breaker_settings.CATALOG_URL = CATALOG_URL
    _fail(1)
    assert len(luizalabs.calls) == 4
