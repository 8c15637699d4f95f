"""Benchmark: `GET /api/v1/customers/me/favorites/` under load, on PostgreSQL.

    .venv/bin/python bench/favorites_list.py [--customers 200] [--favorites 100]
        [--threads 8] [--duration 15] [--gunicorn-workers 2] [--page-size 20]
        [--database-url postgres://postgres@127.0.0.1:5432/fav_bench]

It recreates the benchmark database (its name must contain "bench"), migrates
it, seeds N customers with M favorites each, starts gunicorn on a free
loopback port, then has a bounded number of client threads request the list
as randomly chosen customers (each with its own JWT) for a bounded time, and
prints requests/s and latency percentiles. Everything stays on 127.0.0.1 and
it stops by itself; gunicorn is stopped on the way out, whatever happens.
"""

import argparse
import http.client
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlsplit

REPO_ROOT = Path(__file__).resolve().parent.parent
SECRET_KEY = "benchmark-only-secret-key-not-for-production-use"
BATCH = 5000


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--customers", type=int, default=200)
    parser.add_argument("--favorites", type=int, default=100, help="per customer")
    parser.add_argument("--threads", type=int, default=8, help="client threads")
    parser.add_argument("--duration", type=float, default=15.0, help="seconds of load")
    parser.add_argument("--warmup", type=float, default=2.0, help="seconds before measuring")
    parser.add_argument("--gunicorn-workers", type=int, default=2)
    parser.add_argument("--gunicorn-threads", type=int, default=4)
    parser.add_argument("--page-size", type=int, default=20)
    parser.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/fav_bench")
    args = parser.parse_args()
    if "bench" not in urlsplit(args.database_url).path:
        parser.error("the benchmark recreates its database: use one whose name contains 'bench'")
    if not 1 <= args.threads <= 256 or not 0 < args.duration <= 600:
        parser.error("--threads is 1..256 and --duration at most 600 seconds")
    return args


def server_env(database_url: str) -> dict:
    return {
        **os.environ,
        "DATABASE_URL": database_url,
        "SECRET_KEY": SECRET_KEY,
        "DEBUG": "false",
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "false",
        "CATALOG_URL": "",
        "LOG_LEVEL": "WARNING",
    }


def recreate_database(database_url: str) -> None:
    import psycopg

    parts = urlsplit(database_url)
    name = parts.path.lstrip("/")
    admin_url = parts._replace(path="/postgres").geturl()
    with psycopg.connect(admin_url, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')


def setup_django(database_url: str) -> None:
    os.environ.update(server_env(database_url))
    os.environ["DJANGO_SETTINGS_MODULE"] = "favorites_project.settings"
    sys.path.insert(0, str(REPO_ROOT))
    import django

    django.setup()


def seed(customers: int, favorites: int) -> list[str]:
    """N customers with M favorites each; an access token per customer."""
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone
    from rest_framework_simplejwt.tokens import AccessToken

    from customers.models import Customer
    from favorites.models import Favorite

    call_command("migrate", verbosity=0)
    people = Customer.objects.bulk_create(
        Customer(email=f"bench{n}@example.com", name=f"Bench {n}", password="!")
        for n in range(customers)
    )
    now = timezone.now()
    rows = []
    for person in people:
        for n in range(favorites):
            price = Decimal(random.randint(100, 999_999)) / 100
            rows.append(
                Favorite(
                    customer=person,
                    product_id=f"{person.pk:06d}-{n:05d}",
                    title=f"Produto de teste {n}",
                    image_url=f"https://images.catalog.example.com/products/{n}.jpg",
                    price=price,
                    price_when_added=price,
                    review_score=round(random.uniform(0, 5), 2),
                    brand="bench",
                    created_at=now - timedelta(minutes=n),
                    refreshed_at=now,
                )
            )
            if len(rows) >= BATCH:
                Favorite.objects.bulk_create(rows)
                rows.clear()
    Favorite.objects.bulk_create(rows)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    connection.close()
    return [str(AccessToken.for_user(person)) for person in people]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_gunicorn(args, port: int) -> subprocess.Popen:
    command = [
        sys.executable, "-m", "gunicorn", "favorites_project.wsgi",
        "--bind", f"127.0.0.1:{port}",
        "--workers", str(args.gunicorn_workers),
        "--worker-class", "gthread",
        "--threads", str(args.gunicorn_threads),
        "--log-level", "warning",
    ]  # fmt: skip
    process = subprocess.Popen(command, cwd=REPO_ROOT, env=server_env(args.database_url))
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit("gunicorn exited before it answered")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/health/live", timeout=1):
                return process
        except OSError:
            time.sleep(0.2)
    process.terminate()
    raise SystemExit("gunicorn did not answer /health/live within 30 s")


def hammer(port: int, tokens: list[str], args) -> tuple[list[float], int, float]:
    """Client threads for `duration` seconds after `warmup`: latencies (s), errors, elapsed."""
    path = f"/api/v1/customers/me/favorites/?page_size={args.page_size}"
    expected = min(args.page_size, args.favorites)
    start = time.monotonic()
    measure_from = start + args.warmup
    stop_at = measure_from + args.duration
    latencies: list[list[float]] = [[] for _ in range(args.threads)]
    errors = [0] * args.threads

    def client(index: int) -> None:
        rng = random.Random(index)
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        try:
            while (now := time.monotonic()) < stop_at:
                token = rng.choice(tokens)
                try:
                    connection.request("GET", path, headers={"Authorization": f"Bearer {token}"})
                    response = connection.getresponse()
                    body = response.read()
                    ok = response.status == 200 and len(json.loads(body)["results"]) == expected
                except (OSError, http.client.HTTPException, ValueError):
                    ok = False
                    connection.close()
                    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
                if now >= measure_from:
                    if ok:
                        latencies[index].append(time.monotonic() - now)
                    else:
                        errors[index] += 1
        finally:
            connection.close()

    threads = [threading.Thread(target=client, args=(n,)) for n in range(args.threads)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - measure_from
    return [value for values in latencies for value in values], sum(errors), elapsed


def percentile(sorted_values: list[float], share: float) -> float:
    index = min(len(sorted_values) - 1, round(share * (len(sorted_values) - 1)))
    return sorted_values[index]


def main() -> None:
    args = parse_args()
    recreate_database(args.database_url)
    setup_django(args.database_url)
    print(f"seeding {args.customers} customers x {args.favorites} favorites ...", flush=True)
    tokens = seed(args.customers, args.favorites)
    port = free_port()
    server = start_gunicorn(args, port)
    try:
        print(
            f"GET /api/v1/customers/me/favorites/?page_size={args.page_size}: "
            f"{args.threads} client threads, {args.duration:g} s after {args.warmup:g} s warm-up, "
            f"gunicorn {args.gunicorn_workers} workers x {args.gunicorn_threads} threads, "
            f"{os.cpu_count()} CPUs shared with the client",
            flush=True,
        )
        latencies, errors, elapsed = hammer(port, tokens, args)
    finally:
        server.terminate()
        try:
            server.wait(10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
    if not latencies:
        raise SystemExit(f"no successful request ({errors} errors)")
    latencies.sort()
    ms = [value * 1000 for value in latencies]
    print(
        f"requests {len(latencies)}  errors {errors}  {len(latencies) / elapsed:.0f} req/s  "
        f"p50 {percentile(ms, 0.50):.1f} ms  p95 {percentile(ms, 0.95):.1f} ms  "
        f"p99 {percentile(ms, 0.99):.1f} ms  max {ms[-1]:.1f} ms  "
        f"mean {statistics.fmean(ms):.1f} ms"
    )
    if errors:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
