"""gunicorn.conf.py: the request limits the operations guide states, and the workers' GIL."""

import runpy
import sys

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


def test_a_worker_hands_the_gil_over_every_millisecond():
    conf = runpy.run_path(str(GUNICORN_CONF))
    before = sys.getswitchinterval()
    try:
        conf["post_fork"](None, None)

        assert sys.getswitchinterval() == conf["SWITCH_INTERVAL"] == 0.001
    finally:
        sys.setswitchinterval(before)
