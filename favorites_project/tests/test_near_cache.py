"""The near cache (favorites_project/near_cache.py) against the real Redis: what it keeps,
and every way an entry stops being answered."""

import os
import threading
import time

import pytest
import redis
from django.core.cache import cache

from favorites_project import near_cache
from favorites_project.caching import RedisCacheClient
from favorites_project.near_cache import NearCache
from favorites_project.testing import REDIS_URL, redis_cache

KEY = "customers:v1:customer:1"  # customers.cache.KEY's form
OTHER = "catalog:v1:product:1"


@pytest.fixture
def redis_client(settings):
    """The cache on the real Redis (a key prefix of the test's own) with the near cache on,
    and a client of Redis's own: another process, as far as the near cache knows."""
    settings.CACHE_NEAR_ENTRIES = 100
    settings.CACHE_NEAR_SECONDS = 60
    with redis_cache(settings):
        client = redis.Redis.from_url(REDIS_URL)
        connect()
        yield client
        client.close()
        near = near_cache.near_cache()
        if near is not None:
            near.close()


@pytest.fixture
def reads(redis_client, monkeypatch):
    """The keys of each read that went to Redis, as the callers name them."""
    asked = []
    real = RedisCacheClient.get_many_with_ttl

    def get_many_with_ttl(self, keys):
        asked.append(sorted(key.split(":", 2)[2] for key in keys))
        return real(self, keys)

    monkeypatch.setattr(RedisCacheClient, "get_many_with_ttl", get_many_with_ttl)
    return asked


@pytest.fixture
def clock(monkeypatch):
    """The near cache's clock, moved by hand."""
    now = [time.monotonic()]
    monkeypatch.setattr(near_cache, "monotonic", lambda: now[0])
    return now


def read(*keys):
    return near_cache.get_many(keys)


def connect():
    """A process's first read goes to Redis and starts making the connection: made."""
    read()
    assert near_cache.near_cache().wait_connected(5)


def test_a_kept_entry_is_answered_without_redis(redis_client, reads):
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
        pytest.param(lambda client, name: client.expire(name, 100), {KEY: 1}, id="expiry changed"),
    ],
)
def test_a_change_by_another_process_is_seen_by_the_next_read(redis_client, reads, change, after):
    cache.set(KEY, 1)
    assert read(KEY) == {KEY: 1}
    # Once Redis has answered the change, no read here is answered from before it. No
    # waiting: Redis wrote its message to this process before it answered.
    change(redis_client, cache.make_key(KEY))
    assert read(KEY) == after
    assert len(reads) == 2


def test_this_process_s_own_change_is_forgotten_at_once(redis_client, reads):
    cache.set(KEY, 1)
    read(KEY)
    near_cache.forget([KEY])
    read(KEY)
    assert len(reads) == 2


def test_an_entry_goes_when_redis_expires_its_key(redis_client, reads):
    cache.set(KEY, 1, timeout=1)
    assert read(KEY) == {KEY: 1}
    time.sleep(1.05)
    assert read(KEY) == {}


def test_an_entry_lives_no_longer_than_its_key_nor_cache_near_seconds(
    redis_client, reads, clock, settings
):
    settings.CACHE_NEAR_SECONDS = 5
    connect()  # again, with the new setting
    cache.set(KEY, 1, timeout=None)  # no expiry: kept CACHE_NEAR_SECONDS
    cache.set(OTHER, 2, timeout=3)  # Redis lets it go in 3 s; no message needed
    start = clock[0]
    read(KEY, OTHER)
    clock[0] = start + 2.9
    read(KEY, OTHER)
    assert len(reads) == 1
    clock[0] = start + 3.0
    read(KEY, OTHER)
    assert reads[1:] == [[OTHER]]
    clock[0] = start + 5.0  # a message lost on the way costs no more than this
    read(KEY)
    assert reads[2:] == [[KEY]]


def test_a_key_changed_while_it_was_read_is_not_kept(redis_client, monkeypatch):
    cache.set(KEY, 1)
    real = RedisCacheClient.get_many_with_ttl
    changed = []

    def get_many_with_ttl(self, keys):
        found = real(self, keys)  # the old value...
        if not changed:  # ...then a change, before this read is done
            changed.append(redis_client.set(cache.make_key(KEY), 2))
        return found

    monkeypatch.setattr(RedisCacheClient, "get_many_with_ttl", get_many_with_ttl)
    assert read(KEY) == {KEY: 1}
    assert read(KEY) == {KEY: 2}


def test_a_lost_connection_sends_the_reads_to_redis_until_it_is_made_again(redis_client, reads):
    cache.set(KEY, 1)
    assert read(KEY) == {KEY: 1}
    near = near_cache.near_cache()
    lost = near.listener_id
    redis_client.client_kill_filter(_id=lost)
    # Its messages may be lost from here: nothing kept is answered.
    redis_client.set(cache.make_key(KEY), 2)
    assert read(KEY) == {KEY: 2}  # from Redis; the connection is being made again
    assert near.wait_connected(5)
    assert near.listener_id not in (None, lost)
    assert read(KEY) == {KEY: 2}
    assert read(KEY) == {KEY: 2}
    assert len(reads) == 2  # the first read after the loss went past the near cache


@pytest.fixture
def redis_without_tracking(redis_client, settings):
    """A Redis user that may not use CLIENT (as a Redis before 6, or a strict ACL, refuses
    CLIENT TRACKING), the cache logged in as it."""
    user = f"near-test-{os.getpid()}"
    redis_client.acl_setuser(
        user,
        enabled=True,
        nopass=True,
        keys=["*"],
        channels=["*"],
        commands=["+@all", "-client"],
    )
    settings.CACHES = {
        **settings.CACHES,
        "default": {
            **settings.CACHES["default"],
            "LOCATION": REDIS_URL.replace("redis://", f"redis://{user}@"),
        },
    }
    yield
    redis_client.acl_deluser(user)


def test_a_redis_that_refuses_tracking_leaves_it_off_with_one_warning(
    redis_without_tracking, reads, caplog
):
    cache.set(KEY, 1)
    for _ in range(3):
        assert read(KEY) == {KEY: 1}
        assert not near_cache.near_cache().wait_connected(5)
    assert reads == []  # each read went to Redis as the cache reads, nothing kept
    warnings = [r for r in caplog.records if r.name == near_cache.__name__]
    assert [r.levelname for r in warnings] == ["WARNING"]
    assert "Near cache off until Redis answers" in warnings[0].getMessage()


def test_without_redis_reads_fail_as_the_cache_s_own_do(settings):
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


def test_it_holds_at_most_its_entries_the_oldest_going_first(redis_client, reads):
    near_cache.near_cache().max_entries = 2
    keys = [f"customers:v1:customer:{n}" for n in range(3)]
    cache.set_many(dict.fromkeys(keys, 1))
    for key in keys:
        read(key)
    assert read(keys[1], keys[2]) == {keys[1]: 1, keys[2]: 1}
    assert read(keys[0]) == {keys[0]: 1}
    assert reads == [[keys[0]], [keys[1]], [keys[2]], [keys[0]]]


def test_only_keys_redis_names_to_it_are_kept(redis_client):
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
        pytest.param(
            {
                "BACKEND": "favorites_project.caching.RedisCache",
                "LOCATION": REDIS_URL,
                "KEY_FUNCTION": lambda key, prefix, version: f"{version}:{key}:{prefix}",
            },
            id="a key function that does not keep prefixes",
        ),
    ],
)
def test_it_is_off_unless_redis_can_name_the_changed_keys(settings, caches):
    settings.CACHES = {"default": caches}
    settings.CACHE_NEAR_ENTRIES = 100
    assert near_cache.near_cache() is None


def test_it_is_off_with_no_entries(redis_client, settings):
    settings.CACHE_NEAR_ENTRIES = 0
    assert near_cache.near_cache() is None


def test_a_forked_process_starts_empty_on_a_connection_of_its_own(redis_client):
    cache.set(KEY, 1)
    read(KEY)
    parents = near_cache.near_cache().listener_id
    answer, child_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: a gunicorn worker, say
        try:
            found = read(KEY)
            near = near_cache.near_cache()
            near.wait_connected(5)
            os.write(child_end, f"{found == {KEY: 1}} {near.listener_id}".encode())
        finally:
            os._exit(0)
    os.close(child_end)
    os.waitpid(pid, 0)
    found, child_listener = os.read(answer, 100).decode().split()
    os.close(answer)
    assert found == "True"
    assert int(child_listener) != parents
    assert read(KEY) == {KEY: 1}  # the parent's own still works


def test_a_read_begun_after_a_change_was_answered_never_sees_an_older_value(redis_client):
    """Readers in threads, against another process's writes: each read that begins after
    a write was answered returns that write or a later one."""
    name = cache.make_key(KEY)
    cache.set(KEY, 0)
    answered = [0]
    stale = []
    stop = threading.Event()

    def reader():
        while not stop.is_set():
            floor = answered[0]
            value = read(KEY)[KEY]
            if value < floor:
                stale.append((value, floor))

    threads = [threading.Thread(target=reader) for _ in range(4)]
    for thread in threads:
        thread.start()
    try:
        for value in range(1, 300):
            redis_client.set(name, value)
            answered[0] = value
    finally:
        stop.set()
        for thread in threads:
            thread.join()
    assert stale == []
    assert read(KEY) == {KEY: 299}


def test_a_customer_s_requests_read_it_from_the_near_cache(
    redis_client, reads, customer, auth_client
):
    client = auth_client(customer)
    customer_key = KEY.replace(":1", f":{customer.pk}")
    for _ in range(4):
        assert client.get("/api/v1/customers/me/").status_code == 200
    # Not in Redis (read from PostgreSQL and put there), then read from Redis and kept,
    # then answered here.
    assert [customer_key in keys for keys in reads] == [True, True, False, False]


def test_a_flush_of_any_database_empties_it(redis_client, reads):
    cache.set(KEY, 1)
    read(KEY)
    # Tracking names keys, not databases: a flush anywhere may have been of ours.
    other = redis.Redis.from_url(REDIS_URL.rsplit("/", 1)[0] + "/7")
    other.flushdb()
    other.close()
    assert read(KEY) == {KEY: 1}
    assert len(reads) == 2


def test_a_key_read_across_a_lost_connection_is_not_kept(redis_client, monkeypatch):
    cache.set(KEY, 1)
    near = near_cache.near_cache()
    real = RedisCacheClient.get_many_with_ttl
    lost = []

    def get_many_with_ttl(self, keys):
        found = real(self, keys)  # the old value; then, before this read is done...
        if not lost:
            lost.append(near.listener_id)
            redis_client.client_kill_filter(_id=near.listener_id)  # ...the connection goes,
            redis_client.set(cache.make_key(KEY), 2)  # a change it never hears of,
            read()  # another read finds it gone,
            assert near.wait_connected(5)  # and it is made again
        return found

    monkeypatch.setattr(RedisCacheClient, "get_many_with_ttl", get_many_with_ttl)
    assert read(KEY) == {KEY: 1}
    assert near.listener_id != lost[0]
    assert read(KEY) == {KEY: 2}


@pytest.fixture
def deaf(monkeypatch):
    """Redis's messages never arrive (late, or lost on the way)."""
    monkeypatch.setattr(NearCache, "_apply", lambda self, message: None)


def test_this_process_s_own_change_of_a_customer_does_not_wait_for_redis_s_message(
    redis_client, deaf, customer, auth_client
):
    client = auth_client(customer)
    for _ in range(3):
        assert client.get("/api/v1/customers/me/").status_code == 200
    customer.is_active = False
    customer.save()  # customers.cache.customer_forget
    assert client.get("/api/v1/customers/me/").status_code == 401
    # The catalog's answers: catalog/tests/test_cache.py.


def test_no_read_waits_for_the_connection_to_be_made(redis_client, monkeypatch):
    near = near_cache.near_cache()
    near.close()
    made = threading.Event()
    real = NearCache._connect

    def slow_connect(self):
        made.wait(10)  # a hung Redis
        return real(self)

    monkeypatch.setattr(NearCache, "_connect", slow_connect)
    cache.set(KEY, 1)
    started = time.monotonic()
    assert read(KEY) == {KEY: 1}
    assert read(KEY) == {KEY: 1}
    assert time.monotonic() - started < 1
    made.set()
    assert near.wait_connected(5)


def test_a_connection_refused_is_tried_again_only_later(redis_without_tracking, monkeypatch):
    tries = []
    real = NearCache._connect

    def counted(self):
        tries.append(1)
        return real(self)

    monkeypatch.setattr(NearCache, "_connect", counted)
    for _ in range(5):
        read(KEY)
        near_cache.near_cache().wait_connected(5)
    assert len(tries) == 1


def test_a_connection_that_stops_answering_is_dropped(redis_client, deaf, clock):
    cache.set(KEY, 1)
    read(KEY)
    start = clock[0]
    clock[0] = start + 1.0
    assert read(KEY) == {KEY: 1}  # a PING sent, its answer due within the next second
    redis_client.set(cache.make_key(KEY), 2)  # and no message of it arrives either
    clock[0] = start + 2.0
    assert read(KEY) == {KEY: 2}  # no answer: the entries dropped, read from Redis
