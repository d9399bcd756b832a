# The documented entry points. `make run` and `make test` work on a fresh clone
# with nothing but Python 3.11 and make.
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
MANAGE := $(PY) manage.py
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test lint format migrate seed translations tools screenshots help

help:
	@echo "make run    - install, migrate, load demo data, serve on http://$(HOST):$(PORT)/"
	@echo "make test   - install dev tools, lint, check migrations, run the test suite"

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

seed: migrate
	$(MANAGE) seed_demo --if-empty

run: seed translations
	@echo "The portal: http://$(HOST):$(PORT)/  (log in as admin, facility, reviewer, pi, researcher or outsider; password demo-pass-2026)"
	$(MANAGE) runserver $(HOST):$(PORT)

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

# Screenshots for the README, made by the browser tests.
screenshots: $(VENV)/.installed-dev translations
	UPDATE_SCREENSHOTS=1 $(VENV)/bin/pytest -q tests/browser/test_screenshots.py
