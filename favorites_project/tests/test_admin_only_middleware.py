"""Sessions, the session user and messages serve the admin only; the API keeps no session."""

from django.test import Client


def test_an_api_request_opens_no_session_and_leaves_no_messages(customer, auth_client):
    response = auth_client(customer).get("/api/v1/customers/me/")

    assert response.status_code == 200
    assert not hasattr(response.wsgi_request, "session")
    assert not hasattr(response.wsgi_request, "_messages")
    assert "sessionid" not in response.cookies


def test_the_admin_still_logs_staff_in_with_a_session(staff, db):
    staff.set_password("a-long-staff-passphrase")
    staff.save()
    client = Client()

    response = client.post(
        "/admin/login/?next=/admin/",
        {"username": staff.email, "password": "a-long-staff-passphrase"},
    )

    assert response.status_code == 302, response.content[:300]
    assert "sessionid" in response.cookies
    assert client.get("/admin/").status_code == 200
