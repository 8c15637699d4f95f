# Two commands for a newcomer: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/favorites

.PHONY: run test coverage-html lint lint-imports typecheck format migrate fuzz faults soak bench bench-smoke bench-scale bench-tools

$(BIN)/.installed: requirements/base.txt requirements/dev.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 $(BIN)/pip install --quiet -r requirements/dev.txt
	touch $@

# The service on the embedded default (SQLite, bundled demo catalog) unless the
# environment says otherwise.
run: export DEBUG ?= true
run: $(BIN)/.installed
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py demo_staff
	$(BIN)/python manage.py runserver 127.0.0.1:$(PORT)

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
# installs the FastAPI reference's dependencies (requirements/bench.txt, dev-only).
BENCH_ARGS ?=
SIZES ?= 1e5,1e6,1e7

$(BIN)/.bench-installed: requirements/bench.txt $(BIN)/.installed
	$(BIN)/pip install --quiet -r requirements/bench.txt
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
