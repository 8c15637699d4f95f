"""The bundled demo catalog: its data, and serving it in-process."""

import re
import uuid
from decimal import Decimal

import pytest

from catalog.demo_data import DATA_PATH, generate, load_records, render
from catalog.products import ProductNotFound, catalog_status, product_get, product_page


def test_the_bundled_file_is_exactly_what_the_committed_generator_writes():
    assert DATA_PATH.read_text(encoding="utf-8") == render(generate())


def test_the_bundled_catalog_is_large_and_varied():
    records = load_records()
    ids = [record["id"] for record in records]
    without_review = [record for record in records if "reviewScore" not in record]
    with_cents = [record for record in records if round(record["price"] % 1, 2) != 0]

    assert len(records) >= 2000
    assert len(set(ids)) == len(ids)
    assert all(str(uuid.UUID(product_id)) == product_id for product_id in ids)
    assert 0.28 < len(without_review) / len(records) < 0.40
    assert len(with_cents) > len(records) / 2
    assert len({record["brand"] for record in records}) >= 40
    assert len({record["title"] for record in records}) == len(records)
    assert any(re.search(r"\b(Geladeira|Fogão|Cadeira)\b", r["title"]) for r in records)
    assert any(re.search(r"\b(Wireless|Laptop|Unlocked)\b", r["title"]) for r in records)
    assert DATA_PATH.stat().st_size < 2 * 1024 * 1024


def test_the_documented_example_is_in_the_demo_catalog(demo):
    product = product_get("1bf0f365-fbdd-4e21-9786-da459d78dd1f")

    assert product.title == "Cadeira para Auto Iseos Bébé Confort Earth Brown"
    assert product.price == Decimal("1699.00")
    assert product.brand == "bébé confort"
    assert product.review_score is None
    assert len(demo.calls) == 0


def test_an_unknown_id_is_not_found_in_the_demo_catalog(demo):
    with pytest.raises(ProductNotFound):
        product_get(str(uuid.UUID(int=1)))
    assert len(demo.calls) == 0


def test_paging_the_demo_catalog_reaches_every_product_once(demo):
    seen, page = [], product_page(1)
    while True:
        assert page.count == len(load_records())
        assert len(page.products) == 20 or not page.has_next
        seen.extend(product.id for product in page.products)
        if not page.has_next:
            break
        page = product_page(page.page + 1)

    assert seen == [record["id"] for record in load_records()]
    assert product_page(page.page + 1).products == []
    assert len(demo.calls) == 0


def test_the_demo_catalog_reports_itself_as_reachable(demo):
    assert catalog_status() == {"provider": "demo", "breaker": "closed", "reachable": True}
