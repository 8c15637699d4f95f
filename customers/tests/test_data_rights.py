"""Customers' data rights: the export of everything held about them, and erasure that leaves
nothing personal in any model (walked over every installed model, so models other apps add
are held to it too)."""

import json

import pytest
from django.apps import apps
from django.contrib.admin.models import LogEntry
from django.contrib.sessions.models import Session
from django.db import models
from django.db.models.functions import Cast
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken
from rest_framework_simplejwt.tokens import RefreshToken

from audit.models import StaffAccess
from catalog.testing import PRODUCT_ID, luizalabs_product, luizalabs_url
from customers.cache import customer_get_cached
from customers.models import Customer
from customers.tests.factories import PASSWORD, CustomerFactory, StaffFactory
from events.models import Delivery, Event, EventType
from favorites.models import Favorite
from favorites.tests.factories import FavoriteFactory
from favorites_project.testing import assert_problem

API = "/api/v1"
EMAIL = "ana.unicorn@example.com"
NAME = "Ana Unicornia Souza"


@pytest.fixture
def ana(db):
    return CustomerFactory(email=EMAIL, name=NAME)


@pytest.fixture
def staff_member(db):
    return StaffFactory(is_superuser=True)


def login(api_client, email: str = EMAIL) -> dict:
    response = api_client.post(f"{API}/auth/token/", {"email": email, "password": PASSWORD})
    assert response.status_code == 200, response.content
    return response.json()


def bearer(api_client, access: str):
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")
    return api_client


def personal_traces(customer_id: int, *, email: str, name: str) -> list[str]:
    """Every row of every installed model that still names the customer: by a foreign key,
    an id column, an id in a JSON payload, or its email or name in any text or JSON field.

    One exception, by design: the erasure's own `customer.deleted` event (and its webhook
    deliveries), which carries the id and nothing else, so consumers erase their copies.
    """
    found = []
    for model in apps.get_models():
        manager: models.QuerySet = model._default_manager.all()
        if model is Event:
            manager = Event.objects.exclude(type=EventType.CUSTOMER_DELETED, data={})
        elif model is Delivery:
            manager = Delivery.objects.exclude(
                event__type=EventType.CUSTOMER_DELETED, event__data={}
            )
        for field in model._meta.concrete_fields:
            where = f"{model._meta.label}.{field.name}"
            foreign_key = field.is_relation and field.related_model is Customer
            id_column = field.name in ("customer_id", "user_id") and isinstance(
                field, models.IntegerField
            )
            if foreign_key or id_column:
                if manager.filter(**{field.name: customer_id}).exists():
                    found.append(where)
            elif isinstance(field, models.JSONField):
                text = manager.annotate(_text=Cast(field.name, models.TextField()))
                for value in (email, name):
                    if text.filter(_text__icontains=value).exists():
                        found.append(f"{where} holds {value}")
                for key in ("customer_id", "user_id"):
                    for named in (customer_id, str(customer_id)):
                        if manager.filter(**{f"{field.name}__{key}": named}).exists():
                            found.append(f"{where}.{key}")
            elif isinstance(field, (models.CharField, models.TextField)):
                for value in (email, name):
                    if manager.filter(**{f"{field.name}__icontains": value}).exists():
                        found.append(f"{where} holds {value}")
    return found


def test_the_trace_finder_sees_a_customer_that_is_still_there(ana):
    FavoriteFactory(customer=ana)

    traces = personal_traces(ana.pk, email=EMAIL, name=NAME)

    assert "favorites.Favorite.customer" in traces
    assert f"customers.Customer.email holds {EMAIL}" in traces


def test_erasing_oneself_leaves_nothing_personal_in_any_model(
    api_client, ana, staff_member, auth_client, catalog_http, client
):
    catalog_http.get(luizalabs_url(), json=luizalabs_product())
    tokens = login(api_client)
    revoked = login(api_client)
    assert (
        api_client.post(f"{API}/auth/token/blacklist/", {"refresh": revoked["refresh"]}).status_code
        == 200
    )
    me = bearer(api_client, tokens["access"])
    # With an Idempotency-Key: the service keeps a record of the request and its answer.
    added = me.post(
        f"{API}/customers/me/favorites/",
        {"product_id": PRODUCT_ID},
        HTTP_IDEMPOTENCY_KEY="erasure-test-key",
    )
    assert added.status_code == 201
    FavoriteFactory(customer=ana, title="Another")
    # Staff read and change Ana through the API and the admin (the admin writes its history).
    auth_client(staff_member).get(f"{API}/customers/{ana.pk}/favorites/")
    client.force_login(staff_member)
    client.get(f"/admin/customers/customer/{ana.pk}/change/")
    LogEntry.objects.log_actions(
        staff_member.pk, [ana], action_flag=2, change_message="Changed name."
    )
    assert StaffAccess.objects.filter(subject=ana).count() == 2
    traces = personal_traces(ana.pk, email=EMAIL, name=NAME)
    assert "favorites.IdempotencyRecord.customer" in traces
    ana_id = ana.pk

    response = me.delete(f"{API}/customers/me/", {"current_password": PASSWORD})

    assert response.status_code == 204
    assert personal_traces(ana_id, email=EMAIL, name=NAME) == []
    assert not Customer.objects.filter(pk=ana_id).exists()
    # What remains is the one announcement of the erasure, with the id and nothing else.
    [notice] = Event.objects.filter(customer_id=ana_id)
    assert (notice.type, notice.data) == (EventType.CUSTOMER_DELETED, {})
    assert customer_get_cached(customer_id=ana_id) is None
    # The tokens' rows go, not only their link to her (SimpleJWT keeps them, link emptied).
    assert not OutstandingToken.objects.filter(user__isnull=True).exists()
    assert not BlacklistedToken.objects.exists()
    # Staff access entries stay for accountability, pseudonymised.
    kept = list(StaffAccess.objects.filter(actor=staff_member))
    assert len(kept) == 2
    assert all(entry.subject_id is None for entry in kept)
    assert len({entry.subject_pseudonym for entry in kept}) == 1
    assert all(f"/{ana_id}/" not in entry.what for entry in kept)
    # Her tokens answer 401 at once.
    assert me.get(f"{API}/customers/me/").status_code == 401
    refreshed = api_client.post(f"{API}/auth/token/refresh/", {"refresh": tokens["refresh"]})
    assert refreshed.status_code == 401


def test_deleting_oneself_needs_the_current_password_and_changes_nothing_without_it(
    auth_client, ana
):
    FavoriteFactory(customer=ana)
    client = auth_client(ana)

    missing = client.delete(f"{API}/customers/me/")
    wrong = client.delete(f"{API}/customers/me/", {"current_password": "not-the-password"})

    assert "current_password" in assert_problem(missing, 400, "validation_error")["errors"]
    assert "current_password" in assert_problem(wrong, 400, "validation_error")["errors"]
    assert Customer.objects.filter(pk=ana.pk).exists()
    assert Favorite.objects.filter(customer=ana).count() == 1


@pytest.mark.parametrize("body", ["false", "null", "0", '""', "[]", '["x"]'])
def test_a_delete_whose_body_is_not_an_object_is_refused_and_erases_nothing(
    auth_client, staff_member, ana, body
):
    """Staff need no password, so only the body's shape stands between it and the erasure."""
    response = auth_client(staff_member).delete(
        f"{API}/customers/{ana.pk}/", body, content_type="application/json"
    )

    assert_problem(response, 400, "validation_error")
    assert Customer.objects.filter(pk=ana.pk).exists()


def test_staff_erase_a_customer_without_its_password(auth_client, staff_member, ana):
    FavoriteFactory(customer=ana)
    RefreshToken.for_user(ana)

    response = auth_client(staff_member).delete(f"{API}/customers/{ana.pk}/")

    assert response.status_code == 204
    assert personal_traces(ana.pk, email=EMAIL, name=NAME) == []


def test_erasing_a_staff_member_ends_its_admin_sessions_and_pseudonymises_what_it_did(
    client, auth_client, ana
):
    erased_staff = StaffFactory(
        email="staff.unicorn@example.com", name="Staff Unicornio", is_superuser=True
    )
    client.force_login(erased_staff)
    client.get(f"/admin/customers/customer/{ana.pk}/change/")
    other_session = Session.objects.count()
    assert other_session == 1

    response = auth_client(StaffFactory(is_superuser=True)).delete(
        f"{API}/customers/{erased_staff.pk}/"
    )

    assert response.status_code == 204
    assert not Session.objects.exists()
    entry = StaffAccess.objects.get(subject=ana)
    assert entry.actor_id is None
    assert entry.actor_pseudonym.startswith("erased-")
    assert (
        personal_traces(erased_staff.pk, email="staff.unicorn@example.com", name="Staff Unicornio")
        == []
    )


def test_a_customer_exports_everything_held_about_it_as_a_file(
    api_client, auth_client, ana, staff_member
):
    favorite = FavoriteFactory(customer=ana, title="Cadeira Earth Brown")
    FavoriteFactory(title="Someone else's")
    tokens = login(api_client)
    auth_client(staff_member).get(f"{API}/customers/{ana.pk}/")

    response = bearer(api_client, tokens["access"]).get(f"{API}/customers/me/export/")

    assert response.status_code == 200
    assert response["Content-Disposition"] == (
        f'attachment; filename="favorites-customer-{ana.pk}-data.json"'
    )
    assert response["Cache-Control"] == "no-store"
    document = response.json()
    assert document["customer"]["email"] == EMAIL
    assert document["customer"]["name"] == NAME
    records = document["records"]
    assert [row["title"] for row in records["favorites.favorite"]] == ["Cadeira Earth Brown"]
    assert records["favorites.favorite"][0]["price_when_added"] == str(favorite.price_when_added)
    [access] = records["audit.staffaccess"]
    assert (access["action"], access["what"]) == ("read", f"GET {API}/customers/{ana.pk}/")
    assert [row["jti"] for row in records["token_blacklist.outstandingtoken"]] == [
        RefreshToken(tokens["refresh"])["jti"]
    ]
    text = json.dumps(document)
    assert "password" not in text
    assert tokens["refresh"] not in text
    assert "Someone else's" not in text


def test_staff_export_a_customer_and_leave_an_entry(auth_client, staff_member, ana):
    response = auth_client(staff_member).get(f"{API}/customers/{ana.pk}/export/")

    assert response.status_code == 200
    assert response.json()["customer"]["id"] == ana.pk
    entry = StaffAccess.objects.get()
    assert (entry.subject_id, entry.action) == (ana.pk, "read")


def test_a_customer_cannot_export_another_customer(auth_client, ana):
    other = CustomerFactory()

    response = auth_client(ana).get(f"{API}/customers/{other.pk}/export/")

    assert_problem(response, 404, "not_found")


def test_an_anonymous_client_cannot_export(api_client, ana):
    assert_problem(api_client.get(f"{API}/customers/{ana.pk}/export/"), 401, "not_authenticated")


def test_deleting_a_customer_in_the_admin_erases_it(client, staff_member, ana):
    FavoriteFactory(customer=ana)
    RefreshToken.for_user(ana)
    client.force_login(staff_member)

    response = client.post(f"/admin/customers/customer/{ana.pk}/delete/", {"post": "yes"})

    assert response.status_code == 302
    assert personal_traces(ana.pk, email=EMAIL, name=NAME) == []
    assert StaffAccess.objects.filter(subject_pseudonym__startswith="erased-").count() == 1
