"""The near cache (favorites_project/near_cache.py) against the real Redis: what it keeps,
and every way an entry stops being answered."""

import threading
import time
import uuid

import pytest
import redis
from django.core.cache import cache

from favorites_project import near_cache

REDIS_URL = "redis://127.0.0.1:6379/0"
KEY = "customers:v1:customer:1"
OTHER = "catalog:v1:product:1"


@pytest.fixture
def redis_cache(settings):
    """Django's cache on the real Redis under a key prefix of its own, the near cache on,
    and `reads`: the keys each of its reads asked Redis for."""
    prefix = f"test-near-{uuid.uuid4().hex}"
    settings.CACHES = {
        "default": {
            "BACKEND": "favorites_project.caching.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": prefix,
        }
    }
    settings.CACHE_NEAR_ENTRIES = 100
    client = redis.Redis.from_url(REDIS_URL)
    yield client, prefix
    near = near_cache._near_cache()
    if near is not None:
        near.close()
    for key in client.scan_iter(f"{prefix}:*"):
        client.delete(key)
    client.close()


@pytest.fixture
def reads(redis_cache, monkeypatch):
    """The keys of each read that went to Redis, as the callers name them."""
    asked = []
    real = type(cache._cache).get_many

    def get_many(self, keys):
        asked.append(sorted(key.split(":", 2)[2] for key in keys))
        return real(self, keys)

    monkeypatch.setattr(type(cache._cache), "get_many", get_many)
    return asked


def read(*keys, max_age=60):
    return near_cache.get_many(keys, max_age=max_age)


def test_a_kept_entry_is_answered_without_redis(redis_cache, reads):
    cache.set(KEY, ("a", 1))
    assert read(KEY, OTHER) == {KEY: ("a", 1)}
    assert read(KEY) == {KEY: ("a", 1)}
    assert read(KEY, OTHER) == {KEY: ("a", 1)}
    # The absent key is asked each time; the present one once.
    assert reads == [sorted([KEY, OTHER]), [OTHER]]


@pytest.mark.parametrize(
    ("change", "after"),
    [
        pytest.param(lambda client, name: client.set(name, 2), {KEY: 2}, id="set"),
        pytest.param(lambda client, name: client.delete(name), {}, id="deleted"),
        pytest.param(lambda client, name: client.pexpire(name, 1), {}, id="expired"),
        pytest.param(lambda client, name: client.flushdb(), {}, id="flushdb"),
    ],
)
def test_a_change_by_anyone_is_seen_by_the_next_read(redis_cache, reads, change, after):
    client, _ = redis_cache
    cache.set(KEY, 1)
    assert read(KEY) == {KEY: 1}
    # Another client (another worker, the admin's process): once its change is answered,
    # no read here is answered from before it. No waiting.
    change(client, cache.make_key(KEY))
    if after == {}:
        time.sleep(0.01)  # the expiry itself
    assert read(KEY) == after
    assert len(reads) == 2


def test_an_entry_goes_when_redis_expires_its_key(redis_cache, reads):
    cache.set(KEY, 1, timeout=1)
    assert read(KEY, max_age=60) == {KEY: 1}
    deadline = time.monotonic() + 5
    while read(KEY, max_age=60) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert read(KEY, max_age=60) == {}


def test_an_entry_lasts_no_longer_than_its_max_age(redis_cache, reads, monkeypatch):
    cache.set(KEY, 1)
    now = time.monotonic()
    monkeypatch.setattr(near_cache.time, "monotonic", lambda: now)
    assert read(KEY, max_age=5) == {KEY: 1}
    monkeypatch.setattr(near_cache.time, "monotonic", lambda: now + 4.9)
    assert read(KEY, max_age=5) == {KEY: 1}
    assert len(reads) == 1
    monkeypatch.setattr(near_cache.time, "monotonic", lambda: now + 5)
    assert read(KEY, max_age=5) == {KEY: 1}
    assert len(reads) == 2


def test_a_key_changed_while_it_was_read_is_not_kept(redis_cache, monkeypatch):
    client, _ = redis_cache
    cache.set(KEY, 1)
    real = type(cache._cache).get_many
    changed = []

    def get_many(self, keys):
        found = real(self, keys)  # the old value...
        if not changed:  # ...then a change, before this read is done
            changed.append(client.set(cache.make_key(KEY), b"2"))
        return found

    monkeypatch.setattr(type(cache._cache), "get_many", get_many)
    assert read(KEY) == {KEY: 1}
    assert read(KEY) == {KEY: 2}


def test_a_lost_connection_empties_it_and_sends_reads_to_redis_until_made_again(redis_cache, reads):
    client, _ = redis_cache
    cache.set(KEY, 1)
    assert read(KEY) == {KEY: 1}
    near = near_cache._near_cache()
    client.client_kill_filter(_id=near.listener_id)
    # Its messages may be lost from here on: nothing kept is answered, nothing is kept.
    client.set(cache.make_key(KEY), 2)
    assert read(KEY) == {KEY: 2}
    assert read(KEY) == {KEY: 2}
    assert len(reads) == 3
    near._retry_at = 0  # a second later: the connection is made again
    assert read(KEY) == {KEY: 2}
    assert read(KEY) == {KEY: 2}
    assert len(reads) == 4


def test_without_redis_reads_fail_as_the_cache_does(settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "favorites_project.caching.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
            "OPTIONS": {"socket_connect_timeout": 0.2},
        }
    }
    settings.CACHE_NEAR_ENTRIES = 100
    with pytest.raises(redis.ConnectionError):
        read(KEY)


def test_it_holds_at_most_its_entries_the_oldest_going_first(redis_cache, reads, settings):
    settings.CACHE_NEAR_ENTRIES = 2
    keys = [f"customers:v1:customer:{n}" for n in range(3)]
    cache.set_many(dict.fromkeys(keys, 1))
    for key in keys:
        read(key)
    assert read(keys[1], keys[2]) == {keys[1]: 1, keys[2]: 1}
    assert read(keys[0]) == {keys[0]: 1}
    assert reads == [[keys[0]], [keys[1]], [keys[2]], [keys[0]]]


def test_only_keys_redis_names_to_it_are_kept(redis_cache):
    with pytest.raises(ValueError, match="Only keys under"):
        read("throttle:login:1")


@pytest.mark.parametrize(
    "caches",
    [
        pytest.param({"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}, id="locmem"),
        pytest.param(
            {
                "BACKEND": "favorites_project.caching.RedisCache",
                "LOCATION": [REDIS_URL, "redis://127.0.0.1:6379/1"],
            },
            id="a primary and a replica",
        ),
    ],
)
def test_it_is_off_unless_the_cache_is_one_redis(settings, caches):
    settings.CACHES = {"default": caches}
    settings.CACHE_NEAR_ENTRIES = 100
    assert near_cache._near_cache() is None


def test_it_is_off_with_no_entries(redis_cache, settings):
    settings.CACHE_NEAR_ENTRIES = 0
    assert near_cache._near_cache() is None


def test_a_forked_process_starts_empty_on_a_connection_of_its_own(redis_cache, reads, monkeypatch):
    cache.set(KEY, 1)
    read(KEY)
    near = near_cache._near_cache()
    parents = near.listener_id
    monkeypatch.setattr(near_cache.os, "getpid", lambda: -1)
    assert read(KEY) == {KEY: 1}
    assert len(reads) == 2
    assert near.listener_id != parents


def test_concurrent_reads_and_changes_end_on_the_last_value(redis_cache):
    client, _ = redis_cache
    name = cache.make_key(KEY)
    cache.set(KEY, 0)
    stop = threading.Event()

    def reader():
        while not stop.is_set():
            read(KEY)

    threads = [threading.Thread(target=reader) for _ in range(4)]
    for thread in threads:
        thread.start()
    try:
        for value in range(1, 300):
            client.set(name, value)
    finally:
        stop.set()
        for thread in threads:
            thread.join()
    assert read(KEY) == {KEY: 299}
