"""`make fuzz`: Schemathesis against a live gunicorn and its own schema, as a customer and as staff.

    .venv/bin/python -m reliability.fuzz [--max-examples 25] [--max-time 300]
        [--roles customer,staff] [--seed N]
        [--database-url postgres://postgres@127.0.0.1:5432/fav_suites_fuzz]

It recreates the database (its name starts `fav_suites`), starts a private
Redis, the mock catalog and gunicorn (the repository's gunicorn.conf.py, DEBUG
off) on free loopback ports, then runs `st run <server>/api/schema/` with every
check and every phase (examples, coverage, fuzzing, stateful with inferred
links) once per role, with reliability/fuzz_hooks.py giving each call a valid
token of an acting account that is kept alive. It fails on any check failure
(a 5xx, a response the schema does not describe, ...), on any 5xx the server
counted, and on any traceback in the server's log. The reports (JUnit, the
server's log) are kept in the report folder.
"""

import argparse
import json
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from reliability import stack

CONFIG = Path(__file__).with_name("schemathesis.toml")
ROLES = ("customer", "staff")
# Figures read from schemathesis's own summary.
SUMMARY_LINES = {
    "operations": re.compile(r"^\s*Tested: (\d+)"),
    "cases": re.compile(r"^\s*(\d+) generated"),
}
THROTTLE_RATE = "100000/min"


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--max-examples", type=int, default=25, help="per operation and phase")
    parser.add_argument(
        "--max-time", type=int, default=0, help="seconds per role, 0 for no time bound"
    )
    parser.add_argument("--roles", default=",".join(ROLES))
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--workers", type=int, default=1, help="schemathesis workers")
    parser.add_argument(
        "--database-url", default="postgres://postgres@127.0.0.1:5432/fav_suites_fuzz"
    )
    parser.add_argument("--report-dir", type=Path, default=None)
    args = parser.parse_args()
    args.roles = [role.strip() for role in args.roles.split(",") if role.strip()]
    if not set(args.roles) <= set(ROLES) or not args.roles:
        parser.error(f"--roles is a comma-separated subset of {ROLES}")
    if not 1 <= args.max_examples <= 100_000 or not 0 <= args.max_time <= 24 * 3600:
        parser.error("--max-examples is 1..100000 and --max-time at most a day")
    return args


# Label values are quoted and may hold braces (route patterns such as `{1,64}`).
METRIC = re.compile(
    r'^favorites_http_requests_total\{((?:[^"}]|"(?:[^"\\]|\\.)*")*)\} ([0-9.e+]+)$',
    re.MULTILINE,
)
LABEL = re.compile(r'(\w+)="((?:[^"\\]|\\.)*)"')


def server_totals(url: str) -> tuple[dict[str, int], dict[str, int]]:
    """What the server answered, from its /metrics (summed over every worker): requests
    by status class, and 2xx answers by method and route."""
    with urllib.request.urlopen(f"{url}/metrics", timeout=10) as response:
        text = response.read().decode()
    by_class: dict[str, int] = {}
    successes: dict[str, int] = {}
    for labels_text, value in METRIC.findall(text):
        labels = dict(LABEL.findall(labels_text))
        count = int(float(value))
        status_class = f"{labels.get('status', '?')[:1]}xx"
        by_class[status_class] = by_class.get(status_class, 0) + count
        if status_class == "2xx":
            route = f"{labels.get('method')} {labels.get('route')}"
            successes[route] = successes.get(route, 0) + count
    return by_class, successes


def run_schemathesis(role: str, args, server: stack.Gunicorn, env: dict, report_dir: Path) -> dict:
    junit = report_dir / f"{role}.junit.xml"
    command = [
        str(Path(sys.executable).parent / "st"),
        "--config-file", str(CONFIG),
        "run", f"{server.url}/api/schema/",
        "--checks", "all",
        "--max-examples", str(args.max_examples),
        "--workers", str(args.workers),
        "--report", "junit", "--report-junit-path", str(junit),
        "--generation-database", "none",
        "--no-color",
    ]  # fmt: skip
    if args.max_time:
        command += ["--max-time", str(args.max_time)]
    if args.seed is not None:
        command += ["--seed", str(args.seed)]
    role_env = {
        **env,
        "FUZZ_ROLE": role,
        "SCHEMATHESIS_HOOKS": "reliability.fuzz_hooks",
        "FUZZ_REPORT_DIR": str(report_dir),
        "PYTHONPATH": str(stack.REPO_ROOT),
    }
    print(f"\n== fuzzing as {role}: {' '.join(command[1:])}", flush=True)
    started = time.monotonic()
    summary = {}
    with subprocess.Popen(
        command,
        cwd=stack.REPO_ROOT,
        env=role_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        errors="replace",
    ) as process:
        for line in process.stdout:
            print(line, end="", flush=True)
            for name, pattern in SUMMARY_LINES.items():
                match = pattern.search(line)
                if match:
                    summary[name] = match[1]
    return {
        "role": role,
        "exit": process.returncode,
        "seconds": time.monotonic() - started,
        "junit": junit,
        "operations": summary.get("operations", "?"),
        "cases": summary.get("cases", "?"),
    }


def main() -> None:
    args = parse_args()
    report_dir = args.report_dir or Path(tempfile.mkdtemp(prefix="suites-fuzz-"))
    report_dir.mkdir(parents=True, exist_ok=True)
    metrics_dir = Path(tempfile.mkdtemp(prefix="suites-fuzz-metrics-"))
    stack.recreate_database(args.database_url)
    redis_server = stack.RedisServer()
    catalog = stack.MockCatalog()
    server = None
    results = []
    try:
        redis_server.start()
        catalog.start()
        env = stack.server_env(
            database_url=args.database_url,
            cache_url=redis_server.url,
            catalog_url=catalog.base_url,
            PROMETHEUS_MULTIPROC_DIR=str(metrics_dir),
            # The logic behind the throttles is fuzzed too, not only their 429
            # (tested in the normal suite).
            LOGIN_THROTTLE_RATE=THROTTLE_RATE,
            REGISTER_THROTTLE_RATE=THROTTLE_RATE,
            # The fuzzer makes webhook endpoints at a public address: no worker runs, and
            # tasks wait in each process's memory instead of running in the request, so no
            # webhook ever leaves the machine (for the run's minute, the queue is small).
            CELERY_BROKER_URL="memory://localhost/",
            CELERY_TASK_ALWAYS_EAGER="false",
        )
        stack.migrate(env)
        server = stack.Gunicorn(env, log_path=report_dir / "gunicorn.log")
        server.start()
        for role in args.roles:
            results.append(run_schemathesis(role, args, server, env, report_dir))
        totals, successes = server_totals(server.url)
    finally:
        for process in (server, catalog, redis_server):
            if process is not None:
                process.close()
        shutil.rmtree(metrics_dir, ignore_errors=True)
    log = server.log_text() if server else ""
    tracebacks = log.count("Traceback (most recent call last)")
    print("\n== fuzz summary")
    for result in results:
        print(
            f"{result['role']}: {result['operations']} operations, {result['cases']} test cases, "
            f"schemathesis exit {result['exit']} in {result['seconds']:.0f} s "
            f"(JUnit: {result['junit']})"
        )
    print(f"server: responses by class {json.dumps(totals, sort_keys=True)}")
    print("server: 2xx answers by route (the success paths the fuzzer reached):")
    for route, count in sorted(successes.items()):
        print(f"  {count:6d}  {route}")
    print(f"server log: {tracebacks} tracebacks ({report_dir / 'gunicorn.log'})")
    failed = [result["role"] for result in results if result["exit"] != 0]
    if failed or totals.get("5xx", 0) or tracebacks:
        raise SystemExit(
            f"fuzz FAILED: schemathesis failed as {failed or 'nobody'}, "
            f"{totals.get('5xx', 0)} server 5xx, {tracebacks} tracebacks"
        )
    print("fuzz: OK")


if __name__ == "__main__":
    main()
