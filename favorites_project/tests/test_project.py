import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command
from django.urls import reverse

BASE_DIR = Path(__file__).resolve().parents[2]


def test_the_openapi_schema_validates_without_warnings(tmp_path):
    schema_file = tmp_path / "schema.yml"

    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(schema_file))

    assert "/api/v1/customers/{id}/" in schema_file.read_text()


@pytest.mark.django_db
def test_the_schema_documents_problem_responses(api_client):
    schema = api_client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()

    create = schema["paths"]["/api/v1/customers/"]["post"]["responses"]
    assert {"201", "400", "401", "403", "409"} <= create.keys()
    assert "application/problem+json" in create["409"]["content"]
    assert "Problem" in schema["components"]["schemas"]
    token = schema["paths"]["/api/v1/auth/token/"]["post"]["responses"]
    assert {"200", "401", "429"} <= token.keys()


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/api/docs/", "/api/redoc/"])
def test_the_docs_pages_load_their_assets_locally(api_client, path):
    response = api_client.get(path)

    assert response.status_code == 200
    page = response.content.decode()
    assert "/static/drf_spectacular_sidecar/" in page
    assert "cdn" not in page.lower()


def test_the_liveness_probe_answers_without_a_database(client):
    response = client.get("/health/live")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


@pytest.mark.django_db
def test_the_readiness_probe_checks_the_database(client):
    response = client.get(reverse("health-ready"))

    assert response.status_code == 200
    assert response.json()["database"] == "ok"


PROJECT_VARIABLES = {"SECRET_KEY", "DEBUG", "SECURE_SSL_REDIRECT", "ALLOWED_HOSTS"}


def run_django(env_overrides, *args):
    env = {k: v for k, v in os.environ.items() if k not in PROJECT_VARIABLES}
    env.update(env_overrides)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_starting_without_a_secret_key_in_production_stops_with_one_clear_line():
    result = run_django({"DEBUG": "false"}, "check")

    assert result.returncode != 0
    assert result.stderr.strip().splitlines() == [
        "SECRET_KEY is not set: set the SECRET_KEY environment variable "
        "(or DEBUG=true for local development)."
    ]


def test_the_deploy_checks_pass_with_production_settings():
    result = run_django(
        {
            "DEBUG": "false",
            "SECRET_KEY": "a" * 10 + "production-like-secret-key-of-fifty-or-more-characters",
            "ALLOWED_HOSTS": "favorites.example.com",
        },
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
    )

    assert result.returncode == 0, result.stderr


def test_the_readiness_probe_answers_503_when_the_database_is_down():
    probe = (
        "from django.test import Client; r = Client().get('/health/ready'); "
        "print(r.status_code, r.json()['database'])"
    )
    result = run_django(
        {
            "DEBUG": "false",
            "SECRET_KEY": "x" * 50,
            "ALLOWED_HOSTS": "testserver",
            "DATABASE_URL": "postgres://postgres@127.0.0.1:1/nowhere",
            "LOG_LEVEL": "CRITICAL",
        },
        "shell",
        "--verbosity=0",
        "-c",
        probe,
    )

    assert result.stdout.split() == ["503", "unreachable"], result.stderr
