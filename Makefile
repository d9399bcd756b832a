# The documented entry points. `make run` and `make test` work on a fresh clone
# with nothing but Python 3.11 and make.
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
MANAGE := $(PY) manage.py
HOST ?= 127.0.0.1
PORT ?= 8000
# Links in e-mails and calendar feeds point at the server: `make run PORT=8001` moves them with it.
SITE_URL ?= http://$(HOST):$(PORT)

.PHONY: run test test-quick lint format migrate seed translations tools screenshots serve bench backup restore chaos help

help:
	@echo "make run    - install, migrate, load demo data, serve on http://$(HOST):$(PORT)/"
	@echo "make test   - install dev tools, lint, check migrations, run the test suite"
	@echo "make test-quick - the suite without the property-based and browser tests"
	@echo "make serve  - production server: gunicorn + whitenoise + the mail worker, DEBUG off (README, Production)"
	@echo "make bench  - seed a separate database at scale, serve it, load it, write BENCHMARKS.md"
	@echo "make backup - a pg_dump archive of the database in .data/backups/ (make restore FILE=... into an empty one)"
	@echo "make chaos  - serve a scratch database, inject faults (mail, database, workers, bad input), write RELIABILITY.md"

$(VENV)/.installed-runtime: requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed-runtime requirements-dev.txt
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@

translations: $(VENV)/.installed-runtime
	$(MANAGE) compiletranslations

migrate: $(VENV)/.installed-runtime
	$(MANAGE) migrate --no-input

# Backups (README, "Backups and restore"): pg_dump's custom format, restored only into an empty database.
backup: $(VENV)/.installed-runtime
	$(MANAGE) backup

restore: $(VENV)/.installed-runtime
	@test -n "$(FILE)" || (echo "Usage: make restore FILE=.data/backups/<name>.dump" && false)
	$(MANAGE) restore "$(FILE)"

seed: migrate
	$(MANAGE) seed_demo --if-empty

run: seed translations
	@echo "The portal: http://$(HOST):$(PORT)/  (log in as admin, facility, reviewer, qa, pi, researcher or outsider; password demo-pass-2026)"
	SITE_URL=$(SITE_URL) $(MANAGE) runserver $(HOST):$(PORT)

lint: $(VENV)/.installed-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: $(VENV)/.installed-dev
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

# The Nu Html Checker for the HTML validity test; skipped where npm is missing.
VNU_VERSION := 26.9.27
tools:
	@if command -v npm >/dev/null; then \
		test -f .tools/node_modules/vnu-jar/package.json && grep -q '"version": "$(VNU_VERSION)"' .tools/node_modules/vnu-jar/package.json \
		|| npm install --no-save --silent --prefix .tools vnu-jar@$(VNU_VERSION); \
	else echo "npm not found: the HTML validity test will be skipped"; fi

test: lint translations tools
	$(MANAGE) makemigrations --check --dry-run
	$(VENV)/bin/pytest $(PYTEST_ARGS)

# While developing: everything but the property-based and browser tests, which `make test` and CI run.
test-quick: $(VENV)/.installed-dev translations
	$(VENV)/bin/pytest -m "not slow" $(PYTEST_ARGS)

# Screenshots for the README, made by the browser tests.
screenshots: $(VENV)/.installed-dev translations
	UPDATE_SCREENSHOTS=1 $(VENV)/bin/pytest -q tests/browser/test_screenshots.py

# Production serving. Every value comes from the environment (README, "Production"); the defaults
# make it work on a development machine too: without SECRET_KEY a random one is kept in .data/,
# and plain HTTP on 127.0.0.1 (TLS and its redirect belong to the load balancer in front).
SERVE_ENV = DEBUG=$${DEBUG:-0} \
	SECRET_KEY=$${SECRET_KEY:-$$(cat .data/secret-key)} \
	ALLOWED_HOSTS=$${ALLOWED_HOSTS:-127.0.0.1,localhost} \
	SECURE_SSL_REDIRECT=$${SECURE_SSL_REDIRECT:-0} \
	CONN_MAX_AGE=$${CONN_MAX_AGE:-600} \
	TASKS_IN_PROCESS=$${TASKS_IN_PROCESS:-0} \
	LOG_FORMAT=$${LOG_FORMAT:-json} \
	HOST=$(HOST) PORT=$(PORT) SITE_URL=$(SITE_URL)

.data/secret-key:
	mkdir -p .data
	$(PYTHON) -c "import secrets; print(secrets.token_urlsafe(50))" > $@

serve: migrate translations .data/secret-key
	$(SERVE_ENV) $(MANAGE) collectstatic --no-input --verbosity 0
	$(SERVE_ENV) exec $(VENV)/bin/gunicorn --config gunicorn.conf.py atmp_portal.wsgi

# Load test at scale (BENCH_SCALE=100, BENCH_SECONDS=6 per page): separate databases, make serve,
# a race for booking slots on one and two instances; writes BENCHMARKS.md. Under 12 minutes on 2 cores.
bench: $(VENV)/.installed-runtime translations
	$(PY) bench/run.py

# Fault injection on a scratch database (README, "make chaos"): mail black hole, database stopped and started,
# a worker killed, concurrent bookings on two instances, bad input; writes RELIABILITY.md. Under 10 minutes.
chaos: $(VENV)/.installed-runtime translations
	$(PY) bench/chaos.py
