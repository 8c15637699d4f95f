"""The WSGI module loads the way gunicorn loads it: first thing, before Django is set up."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_wsgi_application_loads_in_a_fresh_process_without_a_settings_module():
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    env.update(DEBUG="false", SECRET_KEY="wsgi-load-test-secret-key-0123456789abcdef")

    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import favorites_project.wsgi as w; print(callable(w.application))",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "True"
