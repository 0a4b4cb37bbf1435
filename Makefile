# ChannelHub task runner. `make run` serves the demo; `make test` proves it works.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
BOOT := $(VENV)/.bootstrapped
PORT ?= 8000
export DJANGO_SETTINGS_MODULE := channelhub.settings

.PHONY: run test test-sqlite test-postgres lint bench migrate demo clean-db serve

$(BOOT): requirements.lock requirements-dev.lock package.json package-lock.json pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.lock -r requirements-dev.lock
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps -e .
	npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
	@touch $(BOOT)

bootstrap: $(BOOT)

migrate: $(BOOT)
	$(VENV)/bin/channelhub migrate --no-input

demo: migrate
	$(VENV)/bin/channelhub demo --if-empty

## Set everything up and serve the demo (web + worker + scheduler) on http://127.0.0.1:$(PORT)
run: demo
	@echo ""
	@echo "ChannelHub: http://127.0.0.1:$(PORT)/   API docs: http://127.0.0.1:$(PORT)/api/v1/docs"
	@echo "Demo logins (password demo-pass-2026): group_admin, brand_a_admin, brand_b_admin, region_js_manager, distributor_a1"
	@echo "Ctrl-C stops everything."
	PORT=$(PORT) $(VENV)/bin/honcho -f Procfile start

## Run the whole suite on SQLite, and on PostgreSQL when DATABASE_URL is set
test: $(BOOT)
	$(VENV)/bin/ruff check channelhub bench scripts
	$(VENV)/bin/ruff format --check channelhub bench scripts
	env -u DATABASE_URL $(VENV)/bin/channelhub makemigrations --check --dry-run
	$(PY) scripts/test.py

lint: $(BOOT)
	$(VENV)/bin/ruff check channelhub bench scripts
	$(VENV)/bin/ruff format --check channelhub bench scripts

## Benchmarks: one JSON object per line, also saved to var/bench/latest.jsonl
bench: $(BOOT)
	$(PY) -m bench

clean-db:
	rm -f var/channelhub.sqlite3 var/channelhub.sqlite3-wal var/channelhub.sqlite3-shm
