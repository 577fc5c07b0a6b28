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
# otherwise) and on the embedded SQLite default (a test database file beside db.sqlite3); see `pytest` below.
TEST_DATABASE_URL ?= $(or $(DATABASE_URL),mysql://root@127.0.0.1:3306/test)
TEST_REDIS_URL ?= redis://127.0.0.1:6379/15
# The SQLite run leaves out the tests about MySQL itself (marked `mysql`, see conftest.py) and, to keep `make test`
# short, those about the client, the server process, Redis or the install rather than the test database: the
# browser test, the soak, the schema fuzzing, the SIGTERM drain, the Redis/process faults, the install and `make run`
# (which uses a SQLite file of its own) run once, in the first run.
SQLITE_PYTEST_ARGS ?= $(addprefix --deselect ,chatbackend/tests/test_demo_client.py messaging/tests/test_soak.py \
	chatbackend/tests/test_schemathesis.py messaging/tests/test_shutdown.py chatbackend/tests/test_faults.py \
	chatbackend/tests/test_install.py chatbackend/tests/test_make_run.py chatbackend/tests/test_admin_browser.py \
	chatbackend/tests/test_docs.py::test_the_docs_render_in_a_browser_with_nothing_fetched_from_another_host \
	chatbackend/tests/test_deployment_files.py::test_deploy_serve_serves_and_drains_within_the_stop_timeout)
# The server of `make run`, chosen by the benchmark (bench/README.md): uvicorn on uvloop and httptools, websocket
# deflate off (it costs 3-4x per message), no access log (it would print `?token=` JWTs), a listen backlog of 2048
# for reconnect bursts. `manage.py runserver` serves with daphne through Channels.
SERVE = $(BIN)/uvicorn chatbackend.asgi:application --host 0.0.0.0 --port $(PORT) --loop uvloop --http httptools \
	--ws websockets-sansio --ws-per-message-deflate false --no-access-log --log-level warning --backlog 2048

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

# One database's run, in the foreground; PYTEST_MARK, when set, selects by marker (`pytest -m`).
MARK_ARGS = $(if $(PYTEST_MARK),-m "$(PYTEST_MARK)")

pytest-mysql: install
	DATABASE_URL=$(TEST_DATABASE_URL) TEST_REDIS_URL=$(TEST_REDIS_URL) $(BIN)/pytest $(MARK_ARGS) $(PYTEST_ARGS)

pytest-sqlite: install
	env -u DATABASE_URL TEST_REDIS_URL=$(TEST_REDIS_URL) $(BIN)/pytest $(SQLITE_PYTEST_ARGS) $(MARK_ARGS) $(PYTEST_ARGS)

# Both runs, in two phases. Phase 1: the MySQL and the SQLite run side by side (each has its own test database,
# and every test on Redis its own prefix), without the tests marked `timing` (bound to the wall clock:
# TIMING_BOUND in conftest.py); each writes to test-artifacts/pytest-<database>.log, printed whole once it ends.
# Phase 2: the `timing` tests, on MySQL then on SQLite, with the machine to themselves. Every run goes to its end;
# the target fails if any of the four failed.
pytest: install
	@mkdir -p test-artifacts
	@echo "==> phase 1: MySQL and SQLite side by side, without the timing-bound tests"
	@trap 'kill 0' INT TERM; status=0; \
	$(MAKE) --no-print-directory pytest-mysql PYTEST_MARK="not timing" >test-artifacts/pytest-mysql.log 2>&1 & \
	mysql=$$!; \
	$(MAKE) --no-print-directory pytest-sqlite PYTEST_MARK="not timing" >test-artifacts/pytest-sqlite.log 2>&1 & \
	sqlite=$$!; \
	wait $$mysql || status=1; echo "==> phase 1, MySQL (test-artifacts/pytest-mysql.log)"; \
	cat test-artifacts/pytest-mysql.log; \
	wait $$sqlite || status=1; echo "==> phase 1, SQLite (test-artifacts/pytest-sqlite.log)"; \
	cat test-artifacts/pytest-sqlite.log; \
	echo "==> phase 2: the timing-bound tests, on MySQL then on SQLite"; \
	$(MAKE) --no-print-directory pytest-mysql PYTEST_MARK=timing || status=1; \
	$(MAKE) --no-print-directory pytest-sqlite PYTEST_MARK=timing || status=1; \
	exit $$status

test: lint typecheck pytest

# The benchmark's short run (about 11 minutes on a quiet machine): the original Node stack, bare python-socketio and
# this project side by side, then idle connections, history, rooms served by one process (the Channels layer on
# Redis against memory) and search; see bench/README.md. It needs MySQL and Redis like
# `make test`; BENCH_ARGS=--long runs the long version (longer windows, 10,000 idle connections, daphne too).
bench: install
	@scripts/pip-install.sh $(VENV) bench/requirements.txt
	$(BIN)/python -m bench.run $(BENCH_ARGS)

clean:
	rm -rf $(VENV) node_modules
