"""`make audit`: pip-audit over every lock file, failing on a known vulnerability.

A vulnerability is accepted only by an entry in audit-allowlist.toml that names it (by
its id or an alias) and its package, gives a reason and has not expired. Exits 1 on any
other vulnerability and on an expired or incomplete entry. Arguments after the options
go to pip-audit (e.g. `--vulnerability-service osv`).

Packages the service could not look up (a registry that does not answer for one
version, a network without the vulnerability service) are listed, not failed: pip-audit
reports them as skipped, and so does this, with their count on the last line.
"""

import argparse
import datetime
import json
import subprocess
import sys
import tempfile
import tomllib
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
LOCK_FILES = ("base.lock", "dev.lock", "bench.lock")
REQUIRED_FIELDS = ("id", "package", "reason", "expires")


@dataclass(frozen=True)
class Accepted:
    id: str
    package: str
    reason: str
    expires: datetime.date


@dataclass
class Verdict:
    failures: list[str]
    accepted: list[str]
    skipped: list[str]
    audited: int

    @property
    def ok(self) -> bool:
        return not self.failures


def load_allowlist(path: Path) -> tuple[list[Accepted], list[str]]:
    """The entries, and what is wrong with the file's entries (each one a failure)."""
    data = tomllib.loads(path.read_text()) if path.exists() else {}
    entries, problems = [], []
    for index, raw in enumerate(data.get("accepted", []), start=1):
        missing = [field for field in REQUIRED_FIELDS if not raw.get(field)]
        if missing:
            problems.append(f"allowlist entry {index}: missing {', '.join(missing)}")
            continue
        if not isinstance(raw["expires"], datetime.date):
            problems.append(f"allowlist entry {index} ({raw['id']}): expires is not a date")
            continue
        entries.append(
            Accepted(
                id=str(raw["id"]).upper(),
                package=_canonical(str(raw["package"])),
                reason=str(raw["reason"]),
                expires=raw["expires"],
            )
        )
    return entries, problems


def judge(report: dict, allowlist: list[Accepted], *, today: datetime.date) -> Verdict:
    """What pip-audit's JSON report means, given what is accepted, on `today`."""
    verdict = Verdict(failures=[], accepted=[], skipped=[], audited=0)
    for entry in allowlist:
        if entry.expires < today:
            verdict.failures.append(
                f"allowlist entry {entry.id} ({entry.package}) expired on {entry.expires}: "
                "upgrade, or decide again and set a new date"
            )
    for dependency in report.get("dependencies", []):
        name = _canonical(dependency["name"])
        if "skip_reason" in dependency:
            verdict.skipped.append(f"{name}: {dependency['skip_reason']}")
            continue
        verdict.audited += 1
        for vuln in dependency.get("vulns", []):
            ids = {vuln["id"].upper(), *(alias.upper() for alias in vuln.get("aliases", []))}
            named = ", ".join([vuln["id"], *vuln.get("aliases", [])])
            described = (
                f"{name} {dependency.get('version', '?')}: {named}"
                f" (fixed in {', '.join(vuln.get('fix_versions', [])) or 'no release yet'})"
            )
            entry = next(
                (e for e in allowlist if e.package == name and e.id in ids),
                None,
            )
            if entry is None:
                verdict.failures.append(f"known vulnerability: {described}")
            elif entry.expires >= today:
                verdict.accepted.append(
                    f"{described}: accepted until {entry.expires}: {entry.reason}"
                )
    return verdict


def _canonical(name: str) -> str:
    return name.lower().replace("_", "-").replace(".", "-")


def run_pip_audit(lock_files: list[Path], extra_args: list[str]) -> dict:
    with tempfile.TemporaryDirectory() as workdir:
        output = Path(workdir) / "report.json"
        command = [
            str(Path(sys.executable).parent / "pip-audit"),
            # Every lock file is fully pinned and hashed: nothing to resolve, nothing to install.
            "--disable-pip",
            "--progress-spinner", "off",
            "--format", "json",
            "--output", str(output),
            *(arg for lock in lock_files for arg in ("-r", str(lock))),
            *extra_args,
        ]  # fmt: skip
        # pip-audit exits 1 when it finds anything: the verdict is ours, from its report.
        finished = subprocess.run(command, capture_output=True, text=True)
        if not output.exists():
            sys.stderr.write(finished.stdout + finished.stderr)
            raise SystemExit(f"pip-audit failed (exit {finished.returncode}) without a report")
        return json.loads(output.read_text())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--allowlist", type=Path, default=HERE / "audit-allowlist.toml")
    parser.add_argument("--lock", type=Path, action="append", help="a lock file (repeatable)")
    args, pip_audit_args = parser.parse_known_args(argv)
    lock_files = args.lock or [HERE / name for name in LOCK_FILES]

    allowlist, problems = load_allowlist(args.allowlist)
    verdict = judge(
        run_pip_audit(lock_files, pip_audit_args), allowlist, today=datetime.date.today()
    )
    verdict.failures[:0] = problems

    for line in verdict.accepted:
        print(f"accepted: {line}")
    for line in verdict.skipped:
        print(f"not audited: {line}")
    for line in verdict.failures:
        print(f"FAIL: {line}")
    if verdict.skipped and not verdict.audited:
        print(
            "WARNING: the vulnerability service answered for no package: nothing was audited "
            "(is it reachable from here? AUDIT_ARGS='--vulnerability-service osv' tries another)"
        )
    print(
        f"audit: {verdict.audited} packages audited, {len(verdict.skipped)} not audited, "
        f"{len(verdict.accepted)} accepted, {len(verdict.failures)} failures"
    )
    return 0 if verdict.ok else 1


if __name__ == "__main__":
    sys.exit(main())
