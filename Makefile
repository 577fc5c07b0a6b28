# Two commands on a fresh machine: `make run` and `make test`. See README.md.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PORT ?= 3000
# `make test` runs against MySQL: the local server as root with no password unless DATABASE_URL says otherwise.
TEST_DATABASE_URL ?= $(or $(DATABASE_URL),mysql://root@127.0.0.1:3306/test)
TEST_REDIS_URL ?= redis://127.0.0.1:6379/15
# `make run` is for trying the project out: without JWT_SECRET it signs with a key generated once into .jwt_secret
# (git-ignored), also on MySQL. Production sets JWT_SECRET; the server refuses to start without it there.
LOCAL_SECRET = JWT_SECRET="$${JWT_SECRET:-$$(cat .jwt_secret)}"

.PHONY: run test install lint typecheck pytest nodetest migrate clean bench

$(BIN)/activate: requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $(BIN)/activate

install: $(BIN)/activate

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund --silent
	touch node_modules/.package-lock.json

.jwt_secret:
	umask 077 && $(PYTHON) -c "import secrets; print(secrets.token_urlsafe(48))" > .jwt_secret

migrate: install .jwt_secret
	$(LOCAL_SECRET) $(BIN)/python manage.py wait_for_db
	$(LOCAL_SECRET) $(BIN)/python manage.py migrate --noinput
	$(LOCAL_SECRET) $(BIN)/python manage.py collectstatic --noinput -v0

# The server of `make run`, chosen by the benchmark (bench/README.md): uvicorn on uvloop and httptools, websocket
# deflate off (it costs 3-4x per message), no access log (it would print `?token=` JWTs), a listen backlog of 2048
# for reconnect bursts. `manage.py runserver` serves with daphne through Channels.
RUN_SERVER = $(BIN)/uvicorn chatbackend.asgi:application --host 0.0.0.0 --port $(PORT) --loop uvloop --http httptools \
	--ws websockets --ws-per-message-deflate false --no-access-log --backlog 2048
run: migrate
	$(LOCAL_SECRET) $(RUN_SERVER)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: install
	$(BIN)/mypy .

pytest: install node_modules/.package-lock.json
	DATABASE_URL=$(TEST_DATABASE_URL) TEST_REDIS_URL=$(TEST_REDIS_URL) $(BIN)/pytest $(PYTEST_ARGS)

test: lint typecheck pytest

# The benchmark's short run (about 6 minutes): the original Node stack, bare python-socketio and this project side
# by side, then idle connections and history; see bench/README.md. It needs MySQL and Redis like `make test`;
# BENCH_ARGS=--long runs the long version (longer windows, 10,000 idle connections, daphne and uvicorn).
bench: install node_modules/.package-lock.json
	$(BIN)/pip install --quiet -r bench/requirements.txt
	$(BIN)/python -m bench.run $(BENCH_ARGS)

clean:
	rm -rf $(VENV) node_modules
