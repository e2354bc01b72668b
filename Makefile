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

.PHONY: run run-stack web worker beat demo test lint messages compilemessages install migrate browser seed bench fuzz clean

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
	@echo ""
	@echo "  Nexloo on http://$(HOST):$(PORT)/ - sign in at http://$(HOST):$(PORT)/accounts/login/"
	@echo "  or create a company at http://$(HOST):$(PORT)/accounts/signup/"
	@echo "  The Cenario 4 demo company: make seed (prints the five e-mails and the password);"
	@echo "  customers writing on WhatsApp: make demo (start this server with"
	@echo "  WHATSAPP_GRAPH_URL=http://127.0.0.1:8765 so that replies reach its Graph API stand-in)."
	@echo "  E-mails (invitations): http://$(HOST):$(PORT)/dev/mail/"
	@echo ""
	SITE_URL="$${SITE_URL:-http://$(HOST):$(PORT)}" $(VENV)/bin/uvicorn nexloo.asgi:application --host $(HOST) --port $(PORT)

## make run-stack: the web server (WEB_CONCURRENCY processes, default one per core), a Celery
## worker and beat, against DATABASE_URL and REDIS_URL; Ctrl-C stops all three.
run-stack: migrate
	@test -n "$$DATABASE_URL" -a -n "$$REDIS_URL" || (echo "Set DATABASE_URL and REDIS_URL (see README)"; exit 2)
	bin/run-stack

## The three processes of the stack, alone (docker-compose.yml runs the same scripts).
web: migrate
	bin/web

worker: install
	bin/worker

beat: install
	bin/beat

## make seed: the Cenario 4 company (idempotent). make demo: seeds it, then runs the Graph API
## stand-in on 127.0.0.1:8765 and plays customers writing on WhatsApp to the server at SITE_URL.
seed: migrate
	$(PY) manage.py seed_cenario4

demo: seed
	$(PY) manage.py demo --url $${SITE_URL:-http://$(HOST):$(PORT)}

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

## make fuzz: schemathesis against our own OpenAPI schema on a live server with a token; prints
## the requests made and the 5xx answered, fails on any 5xx. Bounded by FUZZ_EXAMPLES (per
## operation) and FUZZ_SECONDS; FUZZ_DATABASE_URL is dropped and recreated. Not part of make test.
fuzz: install compilemessages
	$(PY) bin/fuzz

clean:
	rm -rf var/static var/mail
