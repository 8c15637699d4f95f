"""The lock files and the audit: hashes for everything, and pip-audit's verdict enforced.

The audit runs pip-audit itself against a local stand-in of the OSV vulnerability API
(`--osv-url`), which reports one known vulnerability in the locked `requests`.
"""

import importlib.util
import json
import re
import socket
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parents[2]
REQUIREMENTS = BASE_DIR / "requirements"
AUDIT = REQUIREMENTS / "audit.py"
VULN_ID = "GHSA-test-0000-0001"
ALIAS = "CVE-2026-99999"
PIN = re.compile(r"^([A-Za-z0-9._-]+)==(\S+)", re.MULTILINE)


def locked(lock: str) -> dict[str, str]:
    text = (REQUIREMENTS / lock).read_text()
    return {name.lower(): version for name, version in PIN.findall(text)}


def direct_dependencies(in_file: Path) -> set[str]:
    names = set()
    for line in in_file.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        if line.startswith("-r "):
            names |= direct_dependencies(in_file.parent / line[3:].strip())
        elif not line.startswith("-"):
            names.add(re.split(r"[\[<>=~! ;]", line, maxsplit=1)[0].lower())
    return names


@pytest.mark.parametrize("lock", ["base", "dev", "bench"])
def test_every_locked_package_is_pinned_with_hashes(lock):
    text = (REQUIREMENTS / f"{lock}.lock").read_text()
    entries = re.split(r"\n(?=[A-Za-z0-9])", text)
    requirements = [entry for entry in entries if PIN.match(entry)]

    assert len(requirements) > 20
    for entry in requirements:
        assert "--hash=sha256:" in entry, entry.splitlines()[0]


@pytest.mark.parametrize("lock", ["base", "dev", "bench"])
def test_every_direct_dependency_is_in_its_lock_file(lock):
    """An .in file changed without `make lock` fails here, not at the next install."""
    missing = direct_dependencies(REQUIREMENTS / f"{lock}.in") - locked(f"{lock}.lock").keys()

    assert not missing, f"run `make lock`: {sorted(missing)} not in requirements/{lock}.lock"


def test_the_dev_and_bench_locks_hold_the_base_versions():
    base = locked("base.lock")

    for lock in ("dev.lock", "bench.lock"):
        other = locked(lock)
        assert {name: other.get(name) for name in base} == base, lock


def test_base_txt_pins_exactly_the_base_lock_without_hashes():
    """For an install that adds packages of its own (hash checking would refuse them)."""
    text = (REQUIREMENTS / "base.txt").read_text()

    assert "--hash" not in text
    assert locked("base.txt") == locked("base.lock")


class FakeOsv(BaseHTTPRequestHandler):
    """OSV's /v1/query: one vulnerability in `requests`, nothing for anything else."""

    def do_POST(self):
        query = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        body = {}
        if query["package"]["name"] == "requests":
            body = {
                "vulns": [
                    {
                        "id": VULN_ID,
                        "aliases": [ALIAS],
                        "summary": "A made-up flaw for the audit's test",
                        "affected": [
                            {
                                "package": {"name": "requests", "ecosystem": "PyPI"},
                                "ranges": [
                                    {
                                        "type": "ECOSYSTEM",
                                        "events": [{"introduced": "0"}, {"fixed": "99.0"}],
                                    }
                                ],
                            }
                        ],
                    }
                ]
            }
        payload = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def osv_url():
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeOsv)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/v1/query"
    server.shutdown()


def audit(osv_url: str, allowlist: Path) -> subprocess.CompletedProcess:
    command = [sys.executable, str(AUDIT), "--lock", str(REQUIREMENTS / "base.lock")]
    command += ["--allowlist", str(allowlist)]
    command += ["--vulnerability-service", "osv", "--osv-url", osv_url]
    return subprocess.run(command, capture_output=True, text=True, timeout=120)


def test_the_audit_fails_on_a_known_vulnerability(osv_url, tmp_path):
    allowlist = tmp_path / "allowlist.toml"
    allowlist.write_text("")

    result = audit(osv_url, allowlist)

    assert result.returncode == 1, result.stdout + result.stderr
    version = locked("base.lock")["requests"]
    failure = f"FAIL: known vulnerability: requests {version}: {ALIAS}, {VULN_ID} (fixed in 99.0)"
    assert failure in result.stdout
    assert "packages audited" in result.stdout


def test_an_accepted_vulnerability_passes_until_its_entry_expires(osv_url, tmp_path):
    allowlist = tmp_path / "allowlist.toml"
    entry = (
        f'id = "{ALIAS}"\npackage = "requests"\nreason = "Only the catalog client, no proxies."\n'
    )
    allowlist.write_text(f"[[accepted]]\n{entry}expires = 2999-01-01\n")

    accepted = audit(osv_url, allowlist)
    allowlist.write_text(f"[[accepted]]\n{entry}expires = 2020-01-01\n")
    expired = audit(osv_url, allowlist)

    assert accepted.returncode == 0, accepted.stdout + accepted.stderr
    assert "accepted until 2999-01-01: Only the catalog client, no proxies." in accepted.stdout
    assert expired.returncode == 1
    assert f"allowlist entry {ALIAS} (requests) expired on 2020-01-01" in expired.stdout


def test_an_allowlist_entry_without_a_reason_fails_the_audit(osv_url, tmp_path):
    allowlist = tmp_path / "allowlist.toml"
    allowlist.write_text(
        f'[[accepted]]\nid = "{VULN_ID}"\npackage = "requests"\nexpires = 2999-01-01\n'
    )

    result = audit(osv_url, allowlist)

    assert result.returncode == 1
    assert "FAIL: allowlist entry 1: missing reason" in result.stdout


def test_an_unreachable_vulnerability_service_fails_the_audit(tmp_path):
    with socket.socket() as sock:  # a port nothing listens on once it is closed
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    allowlist = tmp_path / "allowlist.toml"
    allowlist.write_text("")

    result = audit(f"http://127.0.0.1:{port}/v1/query", allowlist)

    assert result.returncode == 1
    assert "pip-audit failed (exit 1) without a report" in result.stderr
    assert "Connection refused" in result.stderr


def load_audit_module():
    spec = importlib.util.spec_from_file_location("requirements_audit", AUDIT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_an_audit_in_which_no_package_could_be_looked_up_says_that_nothing_was_audited(
    monkeypatch, capsys, tmp_path
):
    """What a network without the vulnerability service gets: every package skipped
    (pip-audit's PyPI service answers 'not found' for each). Listed and warned, not failed."""
    audit_module = load_audit_module()
    report = {
        "dependencies": [
            {"name": "Django", "version": "5.2", "skip_reason": "Dependency not found on PyPI"},
            {"name": "requests", "version": "2.0", "skip_reason": "Dependency not found on PyPI"},
        ]
    }
    monkeypatch.setattr(audit_module, "run_pip_audit", lambda lock_files, extra_args: report)
    allowlist = tmp_path / "allowlist.toml"
    allowlist.write_text("")

    exit_code = audit_module.main(["--allowlist", str(allowlist)])

    out = capsys.readouterr().out.splitlines()
    assert "not audited: django: Dependency not found on PyPI" in out
    assert any(line.startswith("WARNING: ") and "nothing was audited" in line for line in out)
    assert out[-1] == "audit: 0 packages audited, 2 not audited, 0 accepted, 0 failures"
    assert exit_code == 0
