"""The staff API for webhook endpoints, and the URL checks at save (no SSRF)."""

import pytest

from events.models import Event, EventType, WebhookEndpoint
from events.webhooks import signature
from favorites_project.testing import assert_problem

pytestmark = pytest.mark.django_db

URL = "/api/v1/webhooks/"
# A public address: a literal, so that no test depends on DNS.
PUBLIC_URL = "https://93.184.215.14/hooks"


def test_staff_create_an_endpoint_and_see_its_secret_once(staff, auth_client):
    client = auth_client(staff)

    created = client.post(
        URL,
        {"url": PUBLIC_URL, "event_types": ["favorite.price_dropped"], "description": "e-mails"},
    )

    assert created.status_code == 201, created.content
    body = created.json()
    assert body["secret"].startswith("whsec_")
    assert WebhookEndpoint.objects.get(pk=body["id"]).secret == body["secret"]
    assert (body["url"], body["event_types"], body["active"]) == (
        PUBLIC_URL,
        ["favorite.price_dropped"],
        True,
    )
    shown = client.get(f"{URL}{body['id']}/").json()
    listed = client.get(URL).json()["results"]
    assert "secret" not in shown
    assert [row["id"] for row in listed] == [body["id"]]
    assert "secret" not in listed[0]


def test_staff_change_rotate_and_delete_an_endpoint(staff, auth_client):
    client = auth_client(staff)
    created = client.post(URL, {"url": PUBLIC_URL}).json()
    detail = f"{URL}{created['id']}/"

    changed = client.patch(detail, {"active": False, "event_types": ["customer.deleted"]})
    rotated = client.post(f"{detail}rotate-secret/")
    deleted = client.delete(detail)

    assert changed.status_code == 200
    assert (changed.json()["active"], changed.json()["event_types"]) == (
        False,
        ["customer.deleted"],
    )
    assert rotated.status_code == 200
    assert rotated.json()["secret"].startswith("whsec_")
    assert rotated.json()["secret"] != created["secret"]
    assert deleted.status_code == 204
    assert not WebhookEndpoint.objects.exists()


def test_customers_may_not_see_or_manage_endpoints(customer, auth_client, api_client):
    assert_problem(auth_client(customer).get(URL), 403, "permission_denied")
    assert_problem(auth_client(customer).post(URL, {"url": PUBLIC_URL}), 403, "permission_denied")
    assert_problem(auth_client(customer).get("/api/v1/events/"), 403, "permission_denied")
    assert_problem(api_client.get(URL), 401, "not_authenticated")
    assert not WebhookEndpoint.objects.exists()


def test_an_unknown_event_type_is_refused(staff, auth_client):
    response = auth_client(staff).post(URL, {"url": PUBLIC_URL, "event_types": ["nope"]})

    body = assert_problem(response, 400, "validation_error")
    assert body["errors"] == {"event_types.0": ['"nope" is not a valid choice.']}


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://93.184.215.14/hooks", "https://"),
        ("ftp://93.184.215.14/hooks", "https://"),
        ("https://10.0.0.7/hooks", "not public"),
        ("https://192.168.1.1/hooks", "not public"),
        ("https://127.0.0.1:8000/hooks", "not public"),
        ("https://localhost/hooks", "not public"),
        ("https://169.254.169.254/latest/meta-data/", "not public"),
        ("https://100.64.0.1/hooks", "not public"),
        ("https://0.0.0.0/hooks", "not public"),
        ("https://[::1]/hooks", "not public"),
        ("https://[fe80::1]/hooks", "not public"),
        ("https://[::ffff:127.0.0.1]/hooks", "not public"),
        # IPv4 addresses inside IPv6 ones: NAT64 (a DNS64 network's gateway reaches
        # 10.0.0.5), 6to4, IPv4-compatible; NAT64's local-use prefix and site-local.
        ("https://[64:ff9b::a00:5]/hooks", "not public"),
        ("https://[64:ff9b::a9fe:a9fe]/hooks", "not public"),
        ("https://[2002:7f00:1::1]/hooks", "not public"),
        ("https://[::7f00:1]/hooks", "not public"),
        ("https://[64:ff9b:1::808:808]/hooks", "not public"),
        ("https://[fec0::1]/hooks", "not public"),
        ("https://224.0.0.1/hooks", "not public"),
        ("https://user:password@93.184.215.14/hooks", "no user name"),
        ("https://no-such-host.invalid/hooks", "does not resolve"),
        ("https:///hooks", "names a host"),
        ("https://93.184.215.14:99999/hooks", "Not a valid URL"),
        ("https://a..b/hooks", "Not a valid URL"),
    ],
)
def test_a_url_that_is_not_https_or_not_public_is_refused_at_save(staff, auth_client, url, reason):
    response = auth_client(staff).post(URL, {"url": url})

    body = assert_problem(response, 400, "validation_error")
    assert reason in body["errors"]["url"][0]
    assert not WebhookEndpoint.objects.exists()


@pytest.mark.parametrize(
    "url", ["https://[64:ff9b::808:808]/hooks", "https://[2002:808:808::1]/hooks"]
)
def test_a_public_ipv4_address_reached_through_nat64_or_6to4_is_allowed(staff, auth_client, url):
    response = auth_client(staff).post(URL, {"url": url})

    assert response.status_code == 201, response.content


def test_a_change_to_an_unsafe_url_is_refused_and_changes_nothing(staff, auth_client):
    client = auth_client(staff)
    created = client.post(URL, {"url": PUBLIC_URL}).json()

    response = client.patch(f"{URL}{created['id']}/", {"url": "https://127.0.0.1/hooks"})

    assert_problem(response, 400, "validation_error")
    assert WebhookEndpoint.objects.get().url == PUBLIC_URL


def test_http_and_private_addresses_are_allowed_only_when_the_settings_say_so(
    staff, auth_client, settings
):
    settings.WEBHOOK_ALLOW_HTTP = True
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = True

    response = auth_client(staff).post(URL, {"url": "http://127.0.0.1:9/hooks"})

    assert response.status_code == 201


def test_the_admin_refuses_an_unsafe_url_and_shows_a_new_secret_once(client, staff):
    staff.is_superuser = True
    staff.save()
    client.force_login(staff)

    refused = client.post(
        "/admin/events/webhookendpoint/add/", {"url": "https://10.1.2.3/x", "active": "on"}
    )
    added = client.post(
        "/admin/events/webhookendpoint/add/",
        {"url": PUBLIC_URL, "event_types": ["favorite.added"], "active": "on"},
        follow=True,
    )

    assert refused.status_code == 200
    assert "not public" in refused.content.decode()
    endpoint = WebhookEndpoint.objects.get()
    assert endpoint.event_types == ["favorite.added"]
    assert endpoint.secret in added.content.decode()
    # Shown from the server-side session, never carried in a (signed, readable) cookie.
    assert "messages" not in client.cookies
    page = client.get(f"/admin/events/webhookendpoint/{endpoint.pk}/change/")
    assert endpoint.secret not in page.content.decode()


def test_signatures_follow_the_standard_webhooks_test_vector():
    # The example in the Standard Webhooks specification.
    assert (
        signature(
            secret="whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
            message_id="msg_p5jXN8AQM9LWM0D4loKWxJek",
            timestamp=1614265330,
            body=b'{"test": 2432232314}',
        )
        == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
    )


@pytest.mark.parametrize(
    "body",
    [{"url": 123}, {"url": PUBLIC_URL, "active": "yes"}, {"url": PUBLIC_URL, "description": 5}],
)
def test_fields_take_their_json_type_only(staff, auth_client, body):
    response = auth_client(staff).post(URL, body)

    assert_problem(response, 400, "validation_error")
    assert not WebhookEndpoint.objects.exists()


def test_staff_find_the_events_of_one_request_by_its_id_in_the_admin(client, staff):
    staff.is_superuser = True
    staff.save()
    client.force_login(staff)
    wanted = Event.objects.create(
        type=EventType.FAVORITE_ADDED, customer_id=7, data={}, request_id="req-wanted-0001"
    )
    Event.objects.create(
        type=EventType.FAVORITE_ADDED, customer_id=8, data={}, request_id="req-other-0002"
    )

    found = client.get("/admin/events/event/", {"q": "req-wanted-0001"})
    page = client.get(f"/admin/events/event/{wanted.pk}/change/")

    assert found.status_code == 200
    assert list(found.context["cl"].result_list) == [wanted]
    assert "req-wanted-0001" in page.content.decode()
