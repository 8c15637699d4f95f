"""Product ids are checked before anything leaves the process."""

import pytest

from catalog.products import InvalidProductId, product_get, product_id_validate
from catalog.testing import CATALOG_URL, called_urls, luizalabs_product

INJECTED_IDS = [
    "../admin",
    "a/b",
    "?x=1",
    "%2e%2e",
    "",
    "a" * 65,
    "a b",
    "id\n",
    "produto-é",
    "a#b",
    "a.b",
    None,
    42,
]


@pytest.mark.parametrize("product_id", INJECTED_IDS, ids=repr)
def test_an_injected_id_never_reaches_the_luizalabs_catalog(luizalabs, product_id):
    with pytest.raises(InvalidProductId):
        product_get(product_id)
    assert len(luizalabs.calls) == 0


@pytest.mark.parametrize("product_id", INJECTED_IDS, ids=repr)
def test_an_injected_id_never_reaches_the_fakestore_catalog(fakestore, product_id):
    with pytest.raises(InvalidProductId):
        product_get(product_id)
    assert len(fakestore.calls) == 0


@pytest.mark.parametrize("product_id", INJECTED_IDS, ids=repr)
def test_an_injected_id_is_refused_by_the_demo_catalog_too(demo, product_id):
    with pytest.raises(InvalidProductId):
        product_get(product_id)


@pytest.mark.parametrize("product_id", ["a" * 64, "A-z_09", "1", "-", "_"])
def test_ids_of_letters_digits_dash_and_underscore_up_to_64_go_out_as_they_are(
    luizalabs, product_id
):
    url = f"{CATALOG_URL}/api/product/{product_id}/"
    luizalabs.get(url, json=luizalabs_product(product_id))

    assert product_id_validate(product_id) == product_id
    assert product_get(product_id).id == product_id
    assert called_urls(luizalabs) == [url]
