"""Every staff read and write of another customer's data leaves an entry; a customer's own
reads and writes, and staff's own data, leave none."""

import pytest

from audit.models import StaffAccess
from catalog.testing import PRODUCT_ID, luizalabs_product, luizalabs_url
from customers.testing import customer_change_form_data
from customers.tests.factories import CustomerFactory, StaffFactory
from favorites.tests.factories import FavoriteFactory

API = "/api/v1"


@pytest.fixture
def ana(db):
    return CustomerFactory(email="ana@example.com", name="Ana Souza")


@pytest.fixture
def staff_member(db):
    return StaffFactory(is_superuser=True)


def only_entry() -> StaffAccess:
    entries = list(StaffAccess.objects.all())
    assert len(entries) == 1, entries
    return entries[0]


@pytest.mark.parametrize(
    ("method", "path", "action"),
    [
        ("get", "/customers/{id}/", "read"),
        ("patch", "/customers/{id}/", "write"),
        ("put", "/customers/{id}/", "write"),
        ("get", "/customers/{id}/favorites/", "read"),
        ("get", "/customers/{id}/favorites/{product}/", "read"),
        ("delete", "/customers/{id}/favorites/{product}/", "write"),
    ],
)
def test_staff_reading_or_changing_a_customer_through_the_api_leaves_one_entry(
    auth_client, staff_member, ana, method, path, action
):
    favorite = FavoriteFactory(customer=ana)
    url = API + path.format(id=ana.pk, product=favorite.product_id)
    body = {"name": "Ana S.", "email": "ana@example.com"} if method in ("put", "patch") else None

    response = getattr(auth_client(staff_member), method)(url, body, REMOTE_ADDR="203.0.113.9")

    assert response.status_code in (200, 204), response.content
    entry = only_entry()
    assert (entry.actor_id, entry.subject_id) == (staff_member.pk, ana.pk)
    assert (entry.action, entry.channel) == (action, "api")
    assert entry.what == f"{method.upper()} {url}"
    assert entry.address == "203.0.113.9"


def test_staff_adding_a_favorite_for_a_customer_leaves_a_write_entry(
    auth_client, staff_member, ana, catalog_http
):
    catalog_http.get(luizalabs_url(), json=luizalabs_product())

    response = auth_client(staff_member).post(
        f"{API}/customers/{ana.pk}/favorites/", {"product_id": PRODUCT_ID}
    )

    assert response.status_code == 201
    entry = only_entry()
    assert (entry.subject_id, entry.action) == (ana.pk, "write")


def test_staff_deleting_a_customer_leaves_a_pseudonymised_write_entry(
    auth_client, staff_member, ana
):
    response = auth_client(staff_member).delete(f"{API}/customers/{ana.pk}/")

    assert response.status_code == 204
    entry = only_entry()
    assert entry.action == "write"
    assert entry.subject_id is None
    assert entry.subject_pseudonym.startswith("erased-")
    assert str(ana.pk) not in entry.what


def test_staff_listing_customers_leaves_one_read_entry_per_customer_shown_but_not_itself(
    auth_client, staff_member, ana
):
    bruno = CustomerFactory()

    response = auth_client(staff_member).get(f"{API}/customers/", {"search": "ana@example.com"})

    assert response.status_code == 200
    entry = only_entry()
    assert entry.subject_id == ana.pk
    assert entry.what == f"GET {API}/customers/"  # never the query: searches hold emails
    auth_client(staff_member).get(f"{API}/customers/")
    assert set(StaffAccess.objects.values_list("subject_id", flat=True)) == {ana.pk, bruno.pk}


def test_staff_creating_a_customer_leaves_a_write_entry(auth_client, staff_member):
    response = auth_client(staff_member).post(
        f"{API}/customers/", {"name": "Carla", "email": "carla@example.com"}
    )

    assert response.status_code == 201
    entry = only_entry()
    assert (entry.subject_id, entry.action) == (response.json()["id"], "write")


@pytest.mark.parametrize(
    "path", ["/customers/me/", "/customers/me/favorites/", "/customers/{id}/favorites/"]
)
def test_a_customer_reading_its_own_data_leaves_no_entry(auth_client, ana, path):
    FavoriteFactory(customer=ana)

    response = auth_client(ana).get(API + path.format(id=ana.pk))

    assert response.status_code == 200
    assert not StaffAccess.objects.exists()


def test_staff_reading_their_own_favorites_leave_no_entry(auth_client, staff_member):
    response = auth_client(staff_member).get(f"{API}/customers/me/favorites/")

    assert response.status_code == 200
    assert not StaffAccess.objects.exists()


def test_a_customer_refused_another_customers_data_leaves_no_entry(auth_client, ana):
    other = CustomerFactory()

    response = auth_client(ana).get(f"{API}/customers/{other.pk}/favorites/")

    assert response.status_code == 404
    assert not StaffAccess.objects.exists()


def test_the_address_is_the_client_behind_the_trusted_proxies(
    auth_client, staff_member, ana, settings
):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}

    auth_client(staff_member).get(
        f"{API}/customers/{ana.pk}/",
        REMOTE_ADDR="10.0.0.2",
        HTTP_X_FORWARDED_FOR="198.51.100.7",
    )

    assert only_entry().address == "198.51.100.7"


def test_an_address_that_is_not_an_ip_is_stored_as_none(auth_client, staff_member, ana, settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}

    response = auth_client(staff_member).get(
        f"{API}/customers/{ana.pk}/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="not-an-ip"
    )

    assert response.status_code == 200
    assert only_entry().address is None


# The admin.


@pytest.fixture
def admin_client(client, staff_member):
    client.force_login(staff_member)
    return client


def test_staff_opening_a_customer_in_the_admin_leaves_a_read_entry(admin_client, ana):
    response = admin_client.get(f"/admin/customers/customer/{ana.pk}/change/")

    assert response.status_code == 200
    entry = only_entry()
    assert (entry.subject_id, entry.action, entry.channel) == (ana.pk, "read", "admin")
    assert entry.what == f"GET /admin/customers/customer/{ana.pk}/change/"


def test_staff_saving_a_customer_in_the_admin_leaves_a_write_entry(admin_client, ana):
    page = admin_client.get(f"/admin/customers/customer/{ana.pk}/change/")
    data = customer_change_form_data(page, name="Ana Renamed")
    StaffAccess.objects.all().delete()

    response = admin_client.post(f"/admin/customers/customer/{ana.pk}/change/", data)

    assert response.status_code == 302
    entry = only_entry()
    assert (entry.subject_id, entry.action) == (ana.pk, "write")


def test_staff_listing_favorites_in_the_admin_leaves_a_read_entry_per_customer_shown(
    admin_client, ana, staff_member
):
    bruno = CustomerFactory()
    FavoriteFactory.create_batch(2, customer=ana)
    FavoriteFactory(customer=bruno)
    FavoriteFactory(customer=staff_member)

    assert admin_client.get("/admin/favorites/favorite/").status_code == 200

    entries = StaffAccess.objects.all()
    assert sorted(entry.subject_id for entry in entries) == sorted([ana.pk, bruno.pk])
    assert {entry.action for entry in entries} == {"read"}


def test_staff_opening_and_deleting_a_favorite_in_the_admin_leave_entries(admin_client, ana):
    favorite = FavoriteFactory(customer=ana)

    admin_client.get(f"/admin/favorites/favorite/{favorite.pk}/change/")
    admin_client.post(f"/admin/favorites/favorite/{favorite.pk}/delete/", {"post": "yes"})

    assert list(StaffAccess.objects.order_by("id").values_list("subject_id", "action")) == [
        (ana.pk, "read"),
        (ana.pk, "write"),
    ]


def test_the_refresh_action_leaves_a_write_entry_for_each_customer_affected(
    admin_client, ana, catalog_http
):
    bruno = CustomerFactory()
    selected = FavoriteFactory(customer=ana, product_id=PRODUCT_ID)
    FavoriteFactory(customer=bruno, product_id=PRODUCT_ID)
    catalog_http.get(luizalabs_url(), json=luizalabs_product())

    admin_client.post(
        "/admin/favorites/favorite/",
        {"action": "refresh_now", "_selected_action": [selected.pk]},
    )

    writes = StaffAccess.objects.filter(action="write")
    assert sorted(writes.values_list("subject_id", flat=True)) == sorted([ana.pk, bruno.pk])


def test_the_staff_access_admin_is_read_only(admin_client, auth_client, staff_member, ana):
    auth_client(staff_member).get(f"{API}/customers/{ana.pk}/")
    entry = only_entry()

    listing = admin_client.get("/admin/audit/staffaccess/")
    page = admin_client.get(f"/admin/audit/staffaccess/{entry.pk}/change/")

    assert listing.status_code == 200
    assert ana.email in listing.content.decode()
    assert page.status_code == 200
    assert 'name="_save"' not in page.content.decode()
    assert admin_client.get("/admin/audit/staffaccess/add/").status_code == 403
    assert admin_client.post(f"/admin/audit/staffaccess/{entry.pk}/delete/").status_code == 403
    assert (
        admin_client.post(f"/admin/audit/staffaccess/{entry.pk}/change/", {"what": "x"}).status_code
        == 403
    )
    assert StaffAccess.objects.get().what == entry.what
