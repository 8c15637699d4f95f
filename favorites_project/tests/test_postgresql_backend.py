"""The PostgreSQL backend's health check: a dropped connection is found without a query."""

import time

import psycopg
import pytest
from django.db import connection

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _fresh_connection_afterwards():
    yield
    connection.close()  # a terminated connection is not the next test's


def _terminate(pid: int) -> None:
    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    with psycopg.connect(**{**params, "dbname": "postgres"}, autocommit=True) as other:
        other.execute("SELECT pg_terminate_backend(%s)", [pid])


def _wait_until_unusable(attempts: int = 50) -> bool:
    for _ in range(attempts):
        if not connection.is_usable():
            return True
        time.sleep(0.02)
    return False


def test_a_live_idle_connection_is_usable():
    connection.ensure_connection()

    assert connection.is_usable()


def test_a_connection_the_server_terminated_is_not_usable():
    connection.ensure_connection()
    pid = connection.connection.info.backend_pid

    _terminate(pid)

    assert _wait_until_unusable()


def test_a_request_after_the_server_dropped_the_connection_answers_normally(customer, auth_client):
    client = auth_client(customer)
    assert client.get("/api/v1/customers/me/favorites/").status_code == 200
    connection.ensure_connection()
    _terminate(connection.connection.info.backend_pid)
    assert _wait_until_unusable()

    # The next request's health check replaces the connection before its first query.
    connection.health_check_done = False
    response = client.get("/api/v1/customers/me/favorites/")

    assert response.status_code == 200


def _prepared_statements() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        return [row[0] for row in cursor.fetchall()]


def test_a_statement_run_often_on_a_prepared_cursor_is_prepared_once():
    statement = "SELECT %s::int + 1 AS prepared_probe"

    for n in range(6):  # psycopg prepares it on its fifth run on the connection
        with connection.prepared_cursor() as cursor:
            cursor.execute(statement, [n])
            assert cursor.fetchone() == (n + 1,)

    assert [s for s in _prepared_statements() if "prepared_probe" in s] == [
        "SELECT $1::int + 1 AS prepared_probe"
    ]


def test_django_cursors_prepare_nothing():
    for n in range(6):
        with connection.cursor() as cursor:
            cursor.execute("SELECT %s::int + 1 AS client_bound_probe", [n])

    assert not [s for s in _prepared_statements() if "client_bound_probe" in s]
