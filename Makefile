# Two commands on a fresh machine: `make run` and `make test`. See README.md.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PORT ?= 3000
# `make test` runs against MySQL: the local server as root with no password unless DATABASE_URL says otherwise.
TEST_DATABASE_URL ?= $(or $(DATABASE_URL),mysql://root@127.0.0.1:3306/test)
TEST_REDIS_URL ?= redis://127.0.0.1:6379/15

.PHONY: run test install lint typecheck pytest nodetest migrate clean

$(BIN)/activate: requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $(BIN)/activate

install: $(BIN)/activate

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund --silent
	touch node_modules/.package-lock.json

migrate: install
	$(BIN)/python manage.py wait_for_db
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py collectstatic --noinput -v0

run: migrate
	$(BIN)/daphne -b 0.0.0.0 -p $(PORT) chatbackend.asgi:application

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: install
	$(BIN)/mypy .

pytest: install node_modules/.package-lock.json
	DATABASE_URL=$(TEST_DATABASE_URL) TEST_REDIS_URL=$(TEST_REDIS_URL) $(BIN)/pytest $(PYTEST_ARGS)

test: lint typecheck pytest

clean:
	rm -rf $(VENV) node_modules
