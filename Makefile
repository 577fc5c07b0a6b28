# Two commands on a fresh machine: `make run` and `make test`. See README.md.
SHELL := /bin/bash
PYTHON ?= python3
export PYTHON
VENV ?= .venv
BIN := $(VENV)/bin
PORT ?= 3000
# The database `make run` serves from: DATABASE_URL, else the one in .env, else (empty) the embedded SQLite file.
RUN_DATABASE_URL := $(or $(DATABASE_URL),$(shell sed -n 's/^DATABASE_URL=//p' .env 2>/dev/null | tail -n 1))
# `make test` runs the suite twice: on MySQL (the local server as root with no password unless DATABASE_URL says
# otherwise), then on the embedded SQLite default (a test database file beside db.sqlite3).
TEST_DATABASE_URL ?= $(or $(DATABASE_URL),mysql://root@127.0.0.1:3306/test)
TEST_REDIS_URL ?= redis://127.0.0.1:6379/15
# The SQLite run leaves out the tests about MySQL itself (marked `mysql`, see conftest.py) and, to keep `make test`
# short, those about the client, the server process or Redis rather than the database: the browser test, the soak,
# the schema fuzzing, the SIGTERM drain and the Redis/process faults run once, on MySQL.
SQLITE_PYTEST_ARGS ?= $(addprefix --deselect ,chatbackend/tests/test_demo_client.py messaging/tests/test_soak.py \
	chatbackend/tests/test_schemathesis.py messaging/tests/test_shutdown.py chatbackend/tests/test_faults.py)
# The server of `make run`. A listen backlog of 2048 (daphne's default is 50, which drops connections in a
# reconnect burst).
SERVE = $(BIN)/daphne -v 0 -e tcp:port=$(PORT):interface=0.0.0.0:backlog=2048 chatbackend.asgi:application

# Each stamp is written only once its install succeeded: a failed install is retried by the next make.
STAMP_RUN := $(VENV)/.installed-run
STAMP_MYSQL := $(VENV)/.installed-mysql
STAMP_DEV := $(VENV)/.installed-dev
STAMP_NODE := node_modules/.installed
RUN_STAMPS := $(STAMP_RUN) $(if $(filter mysql%,$(RUN_DATABASE_URL)),$(STAMP_MYSQL))

.PHONY: run test install install-run lint typecheck pytest pytest-mysql pytest-sqlite migrate clean bench

$(STAMP_RUN): requirements.txt
	@scripts/system-packages.sh run
	@scripts/pip-install.sh $(VENV) requirements.txt
	@touch $@

$(STAMP_MYSQL): requirements-mysql.txt $(STAMP_RUN)
	@scripts/system-packages.sh mysql
	@scripts/pip-install.sh $(VENV) requirements-mysql.txt
	@touch $@

$(STAMP_DEV): requirements-dev.txt $(STAMP_MYSQL)
	@scripts/system-packages.sh test
	@scripts/pip-install.sh $(VENV) requirements-dev.txt
	@touch $@

$(STAMP_NODE): package.json package-lock.json
	@scripts/system-packages.sh test
	@echo "==> installing the Node test dependencies (npm ci)"
	@npm ci --no-audit --no-fund --silent
	@touch $@

install-run: $(RUN_STAMPS)

install: $(STAMP_DEV) $(STAMP_NODE)

# make run signs tokens with JWT_SECRET, or with a key generated once into .jwt_secret (git-ignored), also on MySQL;
# manage.py commands find the same key there. A production server needs JWT_SECRET of its own.
.jwt_secret:
	@umask 077 && $(PYTHON) -c "import secrets; print(secrets.token_urlsafe(48))" > $@

migrate: install-run .jwt_secret
	$(if $(RUN_DATABASE_URL),@$(BIN)/python manage.py wait_for_db)
	@echo "==> applying database migrations"
	@$(BIN)/python manage.py migrate --noinput -v0

run: migrate
	@echo "==> starting the server on port $(PORT)"
	@$(PYTHON) scripts/announce.py $(PORT) $$$$ & exec $(SERVE)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: install
	$(BIN)/mypy .

pytest-mysql: install
	DATABASE_URL=$(TEST_DATABASE_URL) TEST_REDIS_URL=$(TEST_REDIS_URL) $(BIN)/pytest $(PYTEST_ARGS)

pytest-sqlite: install
	env -u DATABASE_URL TEST_REDIS_URL=$(TEST_REDIS_URL) $(BIN)/pytest $(SQLITE_PYTEST_ARGS) $(PYTEST_ARGS)

pytest: pytest-mysql pytest-sqlite

test: lint typecheck pytest

# The benchmark's short run (under 5 minutes): prints the results table, see bench/README.md. It needs MySQL and
# Redis like `make test`; BENCH_ARGS=--long runs the long version (10,000 idle connections, uvicorn too).
bench: install
	@scripts/pip-install.sh $(VENV) bench/requirements.txt
	$(BIN)/python -m bench.run $(BENCH_ARGS)

clean:
	rm -rf $(VENV) node_modules
