import threading

import pytest
import requests
from django.db import IntegrityError, transaction
from django.urls import reverse

from customers.models import Customer
from customers.services import EmailTaken, customer_create
from customers.tests.factories import PASSWORD, CustomerFactory
from favorites_project.testing import assert_problem

pytestmark = pytest.mark.django_db

LIST = reverse("customer-list")


def detail(ref):
    return reverse("customer-detail", args=[str(ref)])


# Anonymous


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", LIST),
        ("post", LIST),
        ("get", "/api/v1/customers/me/"),
        ("get", "/api/v1/customers/1/"),
        ("put", "/api/v1/customers/1/"),
        ("patch", "/api/v1/customers/1/"),
        ("delete", "/api/v1/customers/1/"),
    ],
)
def test_anonymous_callers_get_401_on_every_customers_endpoint(api_client, customer, method, path):
    response = getattr(api_client, method)(path, {})

    assert_problem(response, 401, "not_authenticated")
    assert response["WWW-Authenticate"].startswith("Bearer")


# A customer


def test_a_customer_lists_only_itself(customer, other_customer, auth_client):
    response = auth_client(customer).get(LIST)

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 1
    assert [c["id"] for c in body["results"]] == [customer.pk]


def test_a_customer_reads_itself_by_id_and_by_me(customer, auth_client):
    client = auth_client(customer)

    assert client.get(detail(customer.pk)).json()["email"] == customer.email
    assert client.get(detail("me")).json()["id"] == customer.pk


@pytest.mark.parametrize("method", ["get", "put", "patch", "delete"])
def test_a_customer_gets_404_for_another_customer(customer, other_customer, auth_client, method):
    response = getattr(auth_client(customer), method)(
        detail(other_customer.pk), {"name": "Hacked", "email": "hacked@example.com"}
    )

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    other_customer.refresh_from_db()
    assert other_customer.name != "Hacked"


def test_a_customer_gets_the_same_404_for_a_missing_id(customer, auth_client):
    response = auth_client(customer).get(detail(999999))

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_a_customer_cannot_create_customers(customer, auth_client):
    response = auth_client(customer).post(LIST, {"name": "New", "email": "new@example.com"})

    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"
    assert not Customer.objects.filter(email="new@example.com").exists()


def test_a_customer_updates_its_name_and_email(customer, auth_client):
    response = auth_client(customer).put(
        detail("me"),
        {"name": " New Name ", "email": "NEW@example.com", "current_password": PASSWORD},
    )

    assert response.status_code == 200
    customer.refresh_from_db()
    assert (customer.name, customer.email) == ("New Name", "new@example.com")


def test_a_customer_cannot_make_itself_staff_or_change_its_id(customer, auth_client):
    response = auth_client(customer).patch(
        detail("me"), {"is_staff": True, "is_superuser": True, "is_active": False, "id": 4242}
    )

    assert response.status_code == 200
    customer.refresh_from_db()
    assert customer.pk != 4242
    assert (customer.is_staff, customer.is_superuser, customer.is_active) == (False, False, True)
    assert response.json()["is_staff"] is False


def test_a_customer_deletes_itself(customer, auth_client):
    response = auth_client(customer).delete(detail("me"), {"current_password": PASSWORD})

    assert response.status_code == 204
    assert not Customer.objects.filter(pk=customer.pk).exists()


def test_put_needs_every_field_and_patch_does_not(customer, auth_client):
    client = auth_client(customer)

    put = client.put(detail("me"), {"name": "Only Name"})
    patch = client.patch(detail("me"), {"name": "Only Name"})

    assert put.status_code == 400
    assert list(put.json()["errors"]) == ["email"]
    assert patch.status_code == 200


# Staff


def test_staff_list_every_customer_ordered_by_id(staff, auth_client):
    customers = CustomerFactory.create_batch(3)

    body = auth_client(staff).get(LIST).json()

    assert body["count"] == 4
    assert [c["id"] for c in body["results"]] == sorted([staff.pk] + [c.pk for c in customers])


def test_staff_search_customers_by_name_and_email(staff, auth_client):
    CustomerFactory(name="Zélia Duncan", email="zd@example.com")
    CustomerFactory(name="Other", email="zelia.fan@example.com")
    CustomerFactory(name="Nobody", email="nobody@example.com")
    client = auth_client(staff)

    by_name = client.get(LIST, {"search": "zélia"}).json()
    by_email = client.get(LIST, {"search": "ZELIA.FAN"}).json()

    assert [c["email"] for c in by_name["results"]] == ["zd@example.com"]
    assert [c["email"] for c in by_email["results"]] == ["zelia.fan@example.com"]


def test_the_customer_list_is_paginated(staff, auth_client):
    CustomerFactory.create_batch(4)

    body = auth_client(staff).get(LIST, {"page_size": 2, "page": 2}).json()

    assert body["count"] == 5
    assert len(body["results"]) == 2
    assert "page=3" in body["next"]
    assert body["previous"]


def test_the_page_size_is_capped_at_100(staff, auth_client):
    CustomerFactory.create_batch(101)

    body = auth_client(staff).get(LIST, {"page_size": 500}).json()

    assert len(body["results"]) == 100


def test_a_page_past_the_end_is_404(staff, auth_client):
    response = auth_client(staff).get(LIST, {"page": 99})

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_staff_create_a_customer_without_a_password(staff, auth_client):
    response = auth_client(staff).post(LIST, {"name": "Bia", "email": "Bia@Example.com"})

    assert response.status_code == 201
    created = Customer.objects.get(pk=response.json()["id"])
    assert created.email == "bia@example.com"
    assert not created.has_usable_password()


def test_staff_create_a_customer_with_a_password_that_can_log_in(api_client, staff, auth_client):
    auth_client(staff).post(LIST, {"name": "Bia", "email": "bia@example.com", "password": PASSWORD})

    response = api_client.post(
        reverse("auth-token"), {"email": "bia@example.com", "password": PASSWORD}
    )

    assert response.status_code == 200


def test_staff_read_update_and_delete_any_customer(staff, customer, auth_client):
    client = auth_client(staff)

    assert client.get(detail(customer.pk)).json()["email"] == customer.email
    updated = client.patch(detail(customer.pk), {"is_staff": True, "is_active": False})
    assert updated.status_code == 200
    customer.refresh_from_db()
    assert (customer.is_staff, customer.is_active) == (True, False)
    assert client.delete(detail(customer.pk)).status_code == 204
    assert not Customer.objects.filter(pk=customer.pk).exists()


def test_staff_get_404_for_a_missing_customer(staff, auth_client):
    assert auth_client(staff).get(detail(999999)).status_code == 404


# Email uniqueness


def test_staff_creating_a_duplicate_email_in_another_case_is_409(staff, customer, auth_client):
    response = auth_client(staff).post(LIST, {"name": "Dup", "email": customer.email.upper()})

    assert response.status_code == 409
    assert response.json()["code"] == "email_taken"
    assert Customer.objects.filter(email=customer.email).count() == 1


def test_changing_the_email_to_a_taken_one_is_409_and_changes_nothing(
    customer, other_customer, auth_client
):
    response = auth_client(customer).patch(
        detail("me"),
        {"name": "Changed", "email": other_customer.email.title(), "current_password": PASSWORD},
    )

    assert response.status_code == 409
    assert response.json()["code"] == "email_taken"
    customer.refresh_from_db()
    assert customer.name != "Changed"


def test_the_database_refuses_two_emails_that_differ_only_in_case(db):
    CustomerFactory(email="case@example.com")
    duplicate = CustomerFactory.build(email="CASE@example.com")

    with pytest.raises(EmailTaken):
        customer_create(email=duplicate.email, name="Dup")
    # Even when the application's lower-casing is bypassed, the index holds.
    with pytest.raises(IntegrityError), transaction.atomic():
        Customer.objects.bulk_create([duplicate])


@pytest.mark.django_db(transaction=True)
def test_ten_concurrent_registrations_of_one_email_make_one_customer(live_server, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"login": "100/min", "register": "100/min"},
    }

    url = live_server.url + reverse("auth-register")
    barrier = threading.Barrier(10)
    statuses = []

    def register(i):
        barrier.wait()
        email = "Race@Example.com" if i % 2 else "race@example.com"
        response = requests.post(
            url, json={"name": f"Racer {i}", "email": email, "password": PASSWORD}, timeout=10
        )
        statuses.append((response.status_code, response.json().get("code")))

    threads = [threading.Thread(target=register, args=(i,)) for i in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(s for s, _ in statuses) == [201] + [409] * 9
    assert {code for s, code in statuses if s == 409} == {"email_taken"}
    assert Customer.objects.filter(email="race@example.com").count() == 1


@pytest.mark.parametrize("method", ["put", "patch", "delete"])
def test_staff_cannot_change_or_delete_a_superuser(staff, auth_client, method):
    superuser = CustomerFactory(is_staff=True, is_superuser=True)

    response = getattr(auth_client(staff), method)(
        detail(superuser.pk), {"name": "Taken", "email": "taken@example.com", "password": "x" * 20}
    )

    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"
    superuser.refresh_from_db()
    assert superuser.name != "Taken"
    assert superuser.check_password(PASSWORD)


def test_a_superuser_changes_another_superuser(auth_client):
    superuser, other = CustomerFactory.create_batch(2, is_staff=True, is_superuser=True)

    response = auth_client(superuser).patch(detail(other.pk), {"name": "Renamed"})

    assert response.status_code == 200
    other.refresh_from_db()
    assert other.name == "Renamed"


def test_a_search_with_a_nul_character_is_400(staff, auth_client):
    response = auth_client(staff).get(LIST, {"search": "a\x00b"})

    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["search"]


def test_a_non_ascii_digit_is_not_a_customer_id(staff, customer, auth_client):
    response = auth_client(staff).get(f"/api/v1/customers/{chr(0x661)}/")

    assert response.status_code == 404
