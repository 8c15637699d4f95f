"""The replay API (staff): every event, oldest first, keyset-paginated; and the probe."""

from datetime import timedelta

import pytest
from django.utils import timezone

from events.models import Event
from events.testing import BROKER_DOWN_URL, TEST_BROKER_URL, broker_at
from favorites_project.testing import assert_problem

pytestmark = pytest.mark.django_db

URL = "/api/v1/events/"


def settled_events(count: int, **fields) -> list[Event]:
    occurred = timezone.now() - timedelta(minutes=1)
    return [
        Event.objects.create(
            type=fields.get("type", "favorite.removed"),
            customer_id=number,
            data={"product_id": f"p-{number}"},
            occurred_at=occurred,
        )
        for number in range(count)
    ]


def test_staff_page_through_every_event_oldest_first_with_the_cursor(staff, auth_client):
    events = settled_events(5)
    client = auth_client(staff)

    first = client.get(URL, {"limit": 2}).json()
    second = client.get(first["next"]).json()
    third = client.get(second["next"]).json()
    caught_up = client.get(URL, {"after": third["cursor"], "limit": 2}).json()

    pages = [first, second, third]
    assert [[e["id"] for e in page["results"]] for page in pages] == [
        [str(e.event_id) for e in events[0:2]],
        [str(e.event_id) for e in events[2:4]],
        [str(events[4].event_id)],
    ]
    assert first["results"][0] == events[0].payload()
    assert third["next"] is None
    assert (caught_up["results"], caught_up["cursor"], caught_up["next"]) == (
        [],
        third["cursor"],
        None,
    )


def test_events_written_after_a_cursor_are_found_from_it(staff, auth_client):
    settled_events(2)
    client = auth_client(staff)
    cursor = client.get(URL).json()["cursor"]
    [later] = settled_events(1)

    page = client.get(URL, {"after": cursor}).json()

    assert [e["id"] for e in page["results"]] == [str(later.event_id)]


def test_replay_filters_by_type(staff, auth_client):
    settled_events(2)
    [deleted] = settled_events(1, type="customer.deleted")

    page = auth_client(staff).get(URL, {"type": "customer.deleted"}).json()

    assert [e["id"] for e in page["results"]] == [str(deleted.event_id)]


def test_events_show_once_settled(staff, auth_client, settings):
    settings.EVENTS_REPLAY_SETTLE = 5
    Event.objects.create(type="favorite.removed", customer_id=1)

    assert auth_client(staff).get(URL).json()["results"] == []

    settings.EVENTS_REPLAY_SETTLE = 0
    assert len(auth_client(staff).get(URL).json()["results"]) == 1


@pytest.mark.parametrize(
    "query",
    [{"after": "-1"}, {"after": "abc"}, {"limit": "0"}, {"limit": "1001"}, {"type": "x"}],
)
def test_a_bad_cursor_limit_or_type_is_a_400(staff, auth_client, query):
    assert_problem(auth_client(staff).get(URL, query), 400, "validation_error")


def test_the_replay_reads_one_page_in_one_query(staff, auth_client, django_assert_num_queries):
    settled_events(30)
    client = auth_client(staff)
    client.get(URL)  # the staff member is cached now

    with django_assert_num_queries(1):
        assert client.get(URL, {"limit": 25}).status_code == 200


# The readiness probe reports the broker without failing on it.


def test_readiness_reports_tasks_run_in_process_without_a_broker(api_client):
    response = api_client.get("/health/ready")

    assert response.status_code == 200
    assert response.json()["broker"] == "in-process"


def test_readiness_reports_the_broker_and_stays_ready_while_it_is_down(api_client):
    with broker_at(TEST_BROKER_URL):
        up = api_client.get("/health/ready")
    with broker_at(BROKER_DOWN_URL):
        down = api_client.get("/health/ready")

    assert (up.status_code, up.json()["broker"]) == (200, "ok")
    assert (down.status_code, down.json()["broker"], down.json()["status"]) == (
        200,
        "unreachable",
        "ok",
    )
