"""The operations guide states the request limits that gunicorn really applies."""

import runpy

from django.conf import settings

OPERATIONS = settings.BASE_DIR / "docs" / "operations.md"
GUNICORN_CONF = settings.BASE_DIR / "gunicorn.conf.py"


def test_the_operations_guide_states_gunicorns_request_limits():
    limits = runpy.run_path(str(GUNICORN_CONF))
    guide = OPERATIONS.read_text()

    for name, status in [
        ("limit_request_line", "414"),
        ("limit_request_fields", "431"),
        ("limit_request_field_size", "431"),
    ]:
        row = next(line for line in guide.splitlines() if f"`{name}`" in line)
        assert f" {limits[name]} " in row, name
        assert status in row, name
