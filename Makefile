# Two commands for a newcomer: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/favorites

.PHONY: run serve worker beat test coverage-html lint lint-imports typecheck format lock audit fuzz faults soak bench bench-smoke bench-scale bench-tools

# Only what the lock files name, each file checked against its hash (pip itself included:
# dev.lock pins it). requirements/README.md: how the locks are made and upgraded.
$(BIN)/.installed: requirements/base.lock requirements/dev.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	# No browser is ever downloaded: the browser test drives Debian's Chromium.
	PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 $(BIN)/pip install --quiet --require-hashes -r requirements/dev.lock
	touch $@

# The service on the embedded default (SQLite, bundled demo catalog) unless the
# environment says otherwise.
run: export DEBUG ?= true
run: $(BIN)/.installed
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py demo_staff
	$(BIN)/python manage.py runserver 127.0.0.1:$(PORT)

# Background work (docs/operations.md): Celery workers, as many as wanted on any hosts, and
# one beat per deployment, on the broker CELERY_BROKER_URL (default REDIS_URL), e.g.
#   REDIS_URL=redis://127.0.0.1:6379/0 DATABASE_URL=postgres://... make worker
WORKER_CONCURRENCY ?= 8
worker: $(BIN)/.installed
	$(BIN)/celery -A favorites_project --quiet worker --pool threads --concurrency $(WORKER_CONCURRENCY) \
		--loglevel INFO $(WORKER_ARGS)

beat: $(BIN)/.installed
	$(BIN)/celery -A favorites_project --quiet beat --loglevel INFO \
		--schedule $(or $(BEAT_SCHEDULE_FILE),/tmp/favorites-celerybeat-schedule) $(BEAT_ARGS)

# The production configuration on this machine: gunicorn with gunicorn.conf.py, DEBUG off,
# JSON logs, plain HTTP on loopback (no HTTPS redirect, no HSTS). A throwaway SECRET_KEY
# unless one is set; the database and cache are the environment's (SQLite and local memory
# by default: migrate first, e.g. with `make run` once, or DATABASE_URL=...).
SERVE_BIND ?= 127.0.0.1:$(PORT)
serve: export DEBUG := false
serve: export SECRET_KEY := $(or $(SECRET_KEY),serve-only-$(shell od -An -N24 -tx1 /dev/urandom | tr -d ' \n'))
serve: export SECURE_SSL_REDIRECT := false
serve: export SECURE_HSTS_SECONDS := 0
serve: export SESSION_COOKIE_SECURE := false
serve: export CSRF_COOKIE_SECURE := false
serve: $(BIN)/.installed
	$(BIN)/python manage.py migrate --noinput -v 0
	$(BIN)/python manage.py collectstatic --noinput -v 0
	exec $(BIN)/gunicorn favorites_project.wsgi:application --bind $(SERVE_BIND)

# The lock files (requirements/*.lock, with hashes) from the direct dependencies
# (requirements/*.in), keeping every version already locked unless asked:
# `make lock UPGRADE=django` moves one package (UPGRADE="django requests": several),
# `make lock UPGRADE_ALL=1` moves everything. The registry is pip's default, whatever a
# machine's pip configuration adds, so the hashes are the registry's own files.
UPGRADE ?=
UPGRADE_ALL ?=
LOCK_FLAGS = --quiet --generate-hashes --allow-unsafe --strip-extras --no-emit-index-url \
	--no-emit-find-links $(if $(UPGRADE_ALL),--upgrade) $(foreach p,$(UPGRADE),--upgrade-package $(p))
# Needs only pip-tools in the venv, not an installable dev.lock: after a merge that left
# the lock files inconsistent, `make lock` is what repairs them.
lock:
	@test -x $(BIN)/pip-compile || $(MAKE) $(BIN)/.installed
	cd requirements && for lock in base dev bench; do \
		env -u PIP_FIND_LINKS -u PIP_INDEX_URL -u PIP_EXTRA_INDEX_URL -u PIP_CONSTRAINT \
			PIP_CONFIG_FILE=/dev/null ../$(BIN)/pip-compile $(LOCK_FLAGS) \
			--output-file $$lock.lock $$lock.in || exit 1; \
	done
	{ printf '%s\n' "# base.lock's versions without their hashes, written by make lock: for an install" \
		"# that adds packages of its own beside the service's, which hash checking refuses." \
		"# Deployments install base.lock (pip install --require-hashes)."; \
		grep -v -e '^#' -e '^ *--hash=' requirements/base.lock | sed 's/ \\$$//'; } > requirements/base.txt
	$(BIN)/pip install --quiet --require-hashes -r requirements/dev.lock
	touch $(BIN)/.installed

# Known vulnerabilities in every locked package (pip-audit); accepted ones, each with a
# reason and an expiry, are in requirements/audit-allowlist.toml.
AUDIT_ARGS ?=
audit: $(BIN)/.installed
	$(BIN)/python requirements/audit.py $(AUDIT_ARGS)

# The whole suite on PostgreSQL, with branch coverage: the summary lists the files not
# fully covered (settings in pyproject.toml); `make coverage-html` then writes htmlcov/.
# The browser test (browser_tests/) runs where Debian's Chromium is installed (apt-get
# install chromium) and is skipped elsewhere, unless REQUIRE_BROWSER_TESTS is set (CI sets
# it); its screenshots go to artifacts/browser/.
test: export DATABASE_URL := $(or $(DATABASE_URL),$(TEST_DATABASE_URL))
test: export SECRET_KEY := $(or $(SECRET_KEY),test-only-secret-key-that-is-long-enough-for-hs256)
test: $(BIN)/.installed
	$(BIN)/pytest -n 2 --cov --cov-report=term $(PYTEST_ARGS)

# The last `make test`'s coverage as HTML pages: htmlcov/index.html.
coverage-html: $(BIN)/.installed
	@test -f .coverage || { echo "no coverage data: run make test first" >&2; exit 1; }
	$(BIN)/coverage html
	@echo "open htmlcov/index.html"

# Style, the import contracts (docs/architecture.md) and the types.
lint: $(BIN)/.installed lint-imports typecheck
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

lint-imports: $(BIN)/.installed
	$(BIN)/lint-imports

# django-stubs' plugin loads the test settings, which need a SECRET_KEY (never used).
typecheck: $(BIN)/.installed
	SECRET_KEY=$(or $(SECRET_KEY),type-checking-only-not-a-secret) $(BIN)/mypy

format: $(BIN)/.installed
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# The reliability suites (docs/reliability.md), each against a live gunicorn it starts
# on loopback with servers of its own: a fuzzer on the API's schema, faults in the
# catalog, Redis, PostgreSQL and a worker, and a soak of mixed traffic.
FUZZ_EXAMPLES ?= 25
FUZZ_MAX_TIME ?= 0
FUZZ_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/fav_suites_fuzz
SOAK_SECONDS ?= 180
SOAK_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/fav_suites_soak

fuzz: $(BIN)/.installed
	$(BIN)/python -m reliability.fuzz --max-examples $(FUZZ_EXAMPLES) --max-time $(FUZZ_MAX_TIME) \
		--database-url $(FUZZ_DATABASE_URL) $(FUZZ_ARGS)

# A private PostgreSQL cluster and Redis are started by the tests; pytest's own Django
# (which the tests do not use) gets a database that is never opened.
faults: $(BIN)/.installed
	env -u CACHE_URL -u REDIS_URL DATABASE_URL=sqlite://:memory: \
		SECRET_KEY=test-only-secret-key-that-is-long-enough-for-hs256 \
		$(BIN)/pytest reliability -m faults -p no:xdist -v $(PYTEST_ARGS)

soak: $(BIN)/.installed
	$(BIN)/python -m reliability.soak --seconds $(SOAK_SECONDS) \
		--database-url $(SOAK_DATABASE_URL) $(SOAK_ARGS)

# Benchmarks (docs/performance.md, docs/scaling.md): bounded loads on 127.0.0.1 against
# servers they start and stop, on PostgreSQL databases of their own that they recreate
# (BENCH_DATABASE_URL, BENCH_SCALE_DATABASE_URL: names containing "bench") and the Redis
# database BENCH_CACHE_URL (default redis://127.0.0.1:6379/8, flushed). `make bench` also
# installs the FastAPI reference's dependencies (requirements/bench.lock, dev-only).
BENCH_ARGS ?=
SIZES ?= 1e5,1e6,1e7

$(BIN)/.bench-installed: requirements/bench.lock $(BIN)/.installed
	$(BIN)/pip install --quiet --require-hashes -r requirements/bench.lock
	touch $@

# wrk from the distribution, installed as .ci/run installs its packages (root and apt-get).
bench-tools:
	@command -v wrk >/dev/null || { \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; \
		else \
			echo "missing: wrk; install it (apt-get install wrk) and run again" >&2; exit 1; \
		fi; }

bench: bench-tools $(BIN)/.installed $(BIN)/.bench-installed
	$(BIN)/python bench/run.py $(BENCH_ARGS)

# CI's check: a few seconds of each scenario on small data; fails only when the harness
# breaks or a request errors, never on timing.
bench-smoke: bench-tools $(BIN)/.installed
	$(BIN)/python bench/run.py --smoke $(BENCH_ARGS)

# Not in CI: 10^7 favorites take several minutes to load (SIZES=1e5,1e6 for a shorter run).
bench-scale: bench-tools $(BIN)/.installed
	$(BIN)/python bench/scale.py --sizes $(SIZES) $(BENCH_ARGS)
