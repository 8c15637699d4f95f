"""Fixtures of the fault tests: one live stack for the session, and the figures they record."""

import json
import os
from pathlib import Path

import pytest

from reliability.faults import FaultStack

FIGURES: dict[str, object] = {}


@pytest.fixture(scope="session")
def fault_stack(tmp_path_factory):
    """gunicorn on a private PostgreSQL, a private Redis and the mock catalog (see faults.py)."""
    stack = FaultStack(tmp_path_factory.mktemp("faults"))
    try:
        stack.start()
        yield stack
    finally:
        stack.close()


@pytest.fixture(scope="session")
def shopper(fault_stack):
    """A customer with tokens, signed up once: each test adds products of its own."""
    return fault_stack.sign_up("shopper")


@pytest.fixture
def stack(fault_stack):
    """The live stack with every part up and the catalog healthy, before and after the test."""
    fault_stack.catalog.clear_faults()
    yield fault_stack
    fault_stack.heal()


@pytest.fixture(scope="session")
def figures():
    """Timings the tests record, printed at the end (and written to FAULTS_FIGURES if set)."""
    return FIGURES


def pytest_terminal_summary(terminalreporter):
    if not FIGURES:
        return
    terminalreporter.section("fault figures")
    for name, value in FIGURES.items():
        terminalreporter.write_line(f"{name}: {value}")
    destination = os.environ.get("FAULTS_FIGURES")
    if destination:
        Path(destination).write_text(json.dumps(FIGURES, indent=2) + "\n")
