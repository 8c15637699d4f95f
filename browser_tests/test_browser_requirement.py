"""The browser test is skipped where no Chromium is installed, and fails instead where it is
required (CI), so that it is never skipped silently there."""

from pathlib import Path

import pytest

from browser_tests import test_staff_and_docs as browser_test


def test_a_missing_chromium_skips_the_browser_test_on_a_developers_machine(monkeypatch):
    monkeypatch.setattr(browser_test, "CHROMIUM", Path("/nonexistent/chromium"))
    monkeypatch.delenv("REQUIRE_BROWSER_TESTS", raising=False)

    with pytest.raises(pytest.skip.Exception, match="Chromium"):
        browser_test._sync_playwright()


def test_a_missing_chromium_fails_the_browser_test_where_it_is_required(monkeypatch):
    monkeypatch.setattr(browser_test, "CHROMIUM", Path("/nonexistent/chromium"))
    monkeypatch.setenv("REQUIRE_BROWSER_TESTS", "1")

    with pytest.raises(pytest.fail.Exception, match="required"):
        browser_test._sync_playwright()
