"""product_get against the mock catalog on loopback: uncached (HTTP) vs cached lookups.

    .venv/bin/python bench/catalog_lookup.py                      # local-memory cache
    .venv/bin/python bench/catalog_lookup.py --redis redis://127.0.0.1:6379/0
    .venv/bin/python bench/catalog_lookup.py --format fakestore -n 500

Starts its own mock catalog process on a free 127.0.0.1 port and stops it at
the end. Each of the `n` distinct products is looked up once uncached (an HTTP
call through the pooled session) and then `repeat` times cached. Bounded loops,
figures only: nothing here asserts a time.
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))


def _figures(name: str, samples: list[float]) -> str:
    ordered = sorted(samples)

    def percentile(share: float) -> float:
        return ordered[min(len(ordered) - 1, int(share * len(ordered)))] * 1000

    total = sum(samples)
    return (
        f"{name:<22} n={len(samples):<6} mean={statistics.fmean(samples) * 1000:8.3f} ms  "
        f"p50={percentile(0.50):8.3f}  p95={percentile(0.95):8.3f}  p99={percentile(0.99):8.3f}  "
        f"{len(samples) / total:10.0f} lookups/s"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", type=int, default=1000, help="distinct products (max 3000)")
    parser.add_argument("--repeat", type=int, default=5, help="cached lookups per product")
    parser.add_argument("--format", choices=["luizalabs", "fakestore"], default="luizalabs")
    parser.add_argument("--redis", help="a redis:// URL for the cache (default: local memory)")
    args = parser.parse_args()

    from catalog.testing import MockCatalogProcess

    server = MockCatalogProcess(args.format)
    try:
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "favorites_project.settings")
        os.environ.setdefault("SECRET_KEY", "benchmark-only-secret-key")
        os.environ["CATALOG_URL"] = server.base_url
        os.environ["CATALOG_FORMAT"] = args.format
        os.environ["LOG_LEVEL"] = "ERROR"
        if args.redis:
            os.environ["CACHE_URL"] = args.redis
        else:
            os.environ.pop("CACHE_URL", None)
            os.environ.pop("REDIS_URL", None)

        import django

        django.setup()
        from django.conf import settings

        if not args.redis:
            # Local memory keeps 300 entries by default; the benchmark's working set is larger.
            settings.CACHES = {
                "default": {
                    "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
                    "OPTIONS": {"MAX_ENTRIES": 10_000},
                }
            }

        from catalog.demo_data import load_records
        from catalog.products import product_get

        records = load_records()[: max(1, min(args.n, 3000))]
        if args.format == "luizalabs":
            ids = [record["id"] for record in records]
        else:
            ids = [str(number) for number in range(1, len(records) + 1)]

        served_before = server.requests_served
        uncached = []
        for product_id in ids:
            started = time.perf_counter()
            product_get(product_id)
            uncached.append(time.perf_counter() - started)
        http_calls = server.requests_served - served_before

        cached = []
        for _ in range(max(1, args.repeat)):
            for product_id in ids:
                started = time.perf_counter()
                product_get(product_id)
                cached.append(time.perf_counter() - started)
        http_calls_cached = server.requests_served - served_before - http_calls

        cache_name = settings.CACHES["default"]["BACKEND"].rsplit(".", 1)[-1]
        print(f"catalog: mock {args.format} at {server.base_url}; cache: {cache_name}")
        print(_figures("uncached (HTTP)", uncached))
        print(_figures("cached", cached))
        print(f"HTTP calls: {http_calls} uncached, {http_calls_cached} during the cached loops")
    finally:
        server.stop()


if __name__ == "__main__":
    main()
