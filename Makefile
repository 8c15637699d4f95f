# Two commands for a newcomer: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/favorites

.PHONY: run test lint format migrate

$(BIN)/.installed: requirements/base.txt requirements/dev.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements/dev.txt
	touch $@

# The service on the embedded default (SQLite, bundled demo catalog) unless the
# environment says otherwise.
run: export DEBUG ?= true
run: $(BIN)/.installed
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py demo_staff
	$(BIN)/python manage.py runserver 127.0.0.1:$(PORT)

# The whole suite on PostgreSQL.
test: export DATABASE_URL := $(or $(DATABASE_URL),$(TEST_DATABASE_URL))
test: export SECRET_KEY := $(or $(SECRET_KEY),test-only-secret-key-that-is-long-enough-for-hs256)
test: $(BIN)/.installed
	$(BIN)/pytest -n 2 $(PYTEST_ARGS)

lint: $(BIN)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(BIN)/.installed
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .
