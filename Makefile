# Nexloo — the two commands are `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
HOST ?= 127.0.0.1
PORT ?= 8000
# Tests always run against PostgreSQL and Redis (see DESIGN.md); override to keep checkouts apart.
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/nexloo
TEST_REDIS_URL ?= redis://127.0.0.1:6379/0
TEST_REDIS_KEY_PREFIX ?= nexloo-test
PYTEST_WORKERS ?= 2

.PHONY: run run-stack worker beat test lint messages compilemessages install migrate browser seed bench clean

$(VENV)/.installed: pyproject.toml requirements.lock
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet -c requirements.lock -e ".[dev]"
	touch $@

install: $(VENV)/.installed

compilemessages: install
	$(PY) manage.py compiletranslations

migrate: install compilemessages
	$(PY) manage.py migrate --noinput

## make run: the product on http://127.0.0.1:8000 (SQLite and in-process defaults unless
## DATABASE_URL/REDIS_URL are set; with REDIS_URL, start `make worker` and `make beat` too, or
## use `make run-stack`).
## SITE_URL (the address in e-mails) follows HOST and PORT unless it is given.
run: migrate
	SITE_URL="$${SITE_URL:-http://$(HOST):$(PORT)}" $(VENV)/bin/uvicorn nexloo.asgi:application --host $(HOST) --port $(PORT)

## make run-stack: uvicorn, a Celery worker and beat, against DATABASE_URL and REDIS_URL.
run-stack: migrate
	@test -n "$$DATABASE_URL" -a -n "$$REDIS_URL" || (echo "Set DATABASE_URL and REDIS_URL (see README)"; exit 2)
	bin/run-stack

worker: install
	$(VENV)/bin/celery -A nexloo worker -Q default,webhooks,outbound,realtime -l info

beat: install
	$(VENV)/bin/celery -A nexloo beat -l info

seed: migrate
	$(PY) manage.py seed_cenario4

## make test: lint, import contracts, translations, then the whole suite on PostgreSQL + Redis.
test: install compilemessages browser
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports
	DATABASE_URL=sqlite://:memory: $(PY) manage.py makemigrations --check --dry-run
	DATABASE_URL=$(TEST_DATABASE_URL) REDIS_URL=$(TEST_REDIS_URL) REDIS_KEY_PREFIX=$(TEST_REDIS_KEY_PREFIX) \
		$(VENV)/bin/pytest -n $(PYTEST_WORKERS) $(PYTEST_ARGS)

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports

## Debian's Chromium drives the browser tests (Playwright never downloads a browser here).
browser:
	@test -x /usr/bin/chromium || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null)

## Developers: refresh the catalogues after changing user-facing strings (needs GNU gettext).
messages: install
	bin/makemessages

## Benchmarks print figures (see bench/README.md); they are not part of `make test`.
bench: install compilemessages
	$(PY) bench/conversations.py $(BENCH_ARGS)
	$(PY) bench/automations.py

clean:
	rm -rf var/static var/mail
