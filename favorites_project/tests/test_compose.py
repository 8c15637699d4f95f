"""docker-compose.yml: one image built once, health checks that mean it, and the first staff
account in one command."""

import os

import yaml
from django.conf import settings
from django.core.management import call_command

from customers.models import Customer

COMPOSE = settings.BASE_DIR / "docker-compose.yml"


def services() -> dict:
    return yaml.safe_load(COMPOSE.read_text())["services"]


def test_one_service_builds_the_image_and_the_others_only_run_it():
    code_services = {
        name: service
        for name, service in services().items()
        if service.get("image", "").startswith("favorites-service")
    }

    builders = [name for name, service in code_services.items() if "build" in service]
    assert builders == ["migrate"]
    assert {"catalog", "migrate", "web"} <= set(code_services)
    assert {service["image"] for service in code_services.values()} == {"favorites-service:local"}
    assert all(
        service["pull_policy"] == "never"
        for name, service in code_services.items()
        if name != "migrate"
    )


def test_the_database_is_healthy_only_once_it_accepts_tcp_connections():
    test = services()["db"]["healthcheck"]["test"]

    assert test[:2] == ["CMD", "pg_isready"]
    assert test[test.index("-h") + 1] == "127.0.0.1"
    assert test[test.index("-p") + 1] == "5432"


def test_everything_that_uses_the_database_waits_for_it():
    every = services()

    assert every["migrate"]["depends_on"]["db"]["condition"] == "service_healthy"
    # Workers and beat start once the migration (which waited for the database) is done.
    for name in ("worker", "beat"):
        if name in every:
            assert every[name]["depends_on"]["migrate"]["condition"] == (
                "service_completed_successfully"
            )
    assert every["web"]["depends_on"]["db"]["condition"] == "service_healthy"
    assert every["web"]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"


def test_the_documented_first_staff_command_is_in_the_readme_and_the_compose_file():
    command = "docker compose run --rm web python manage.py createsuperuser"

    assert command in COMPOSE.read_text()
    assert command in (settings.BASE_DIR / "README.md").read_text()


def test_createsuperuser_without_prompts_makes_a_staff_account_with_a_name(db, monkeypatch):
    monkeypatch.setitem(os.environ, "DJANGO_SUPERUSER_EMAIL", "Ops@Example.com")
    monkeypatch.setitem(os.environ, "DJANGO_SUPERUSER_NAME", "Ops")
    monkeypatch.setitem(os.environ, "DJANGO_SUPERUSER_PASSWORD", "a-long-passphrase-for-ops")

    call_command("createsuperuser", interactive=False, verbosity=0)

    staff = Customer.objects.get(email="ops@example.com")
    assert (staff.is_staff, staff.is_superuser, staff.name) == (True, True, "Ops")
    assert staff.check_password("a-long-passphrase-for-ops")
