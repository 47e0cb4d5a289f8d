# Lüyue — the two commands: `make run` and `make test`. Both do all set-up on a fresh machine.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 5000
export FLASK_APP := app:create_app
# root installs system packages directly; anyone else through sudo
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
DIST := app/web/static/dist
ASSETS := $(wildcard assets/*)

.PHONY: run test venv test-deps bench clean assets browser

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@ $(VENV)/.installed

venv: $(VENV)/.installed

## front-end packages (bpmn-js …) from the npm registry, pinned by package-lock.json, bundled into $(DIST)
node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

$(DIST)/.built: node_modules/.installed $(ASSETS)
	npm run --silent build
	touch $@

assets: $(DIST)/.built

## Debian's Chromium (browser tests; never a downloaded browser) and CJK fonts for readable screenshots
browser:
	@if [ ! -x /usr/bin/chromium ] || ! fc-list 2>/dev/null | grep -qi "Noto Sans CJK"; then \
		$(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium fonts-noto-cjk >/dev/null; \
	fi

## run: migrate, deploy the shipped models, load demo data on first start, then the scheduler process
## (timers, escalations, outbox) beside the web server on http://$(HOST):$(PORT); Ctrl-C stops both
run: $(VENV)/.installed assets
	$(BIN)/flask lvyue bootstrap
	@$(BIN)/flask lvyue scheduler & sched=$$!; \
	trap 'kill $$sched 2>/dev/null; wait $$sched 2>/dev/null' EXIT INT TERM; \
	$(BIN)/flask run --host $(HOST) --port $(PORT)

## test: the whole suite on SQLite, then on PostgreSQL when LVYUE_TEST_POSTGRES_URL is set
test: $(VENV)/.installed-test assets browser
	LVYUE_TEST_DATABASE=sqlite $(BIN)/python -m pytest $(PYTEST_ARGS)
	@if [ -n "$$LVYUE_TEST_POSTGRES_URL" ]; then \
		echo "== PostgreSQL: $$LVYUE_TEST_POSTGRES_URL"; \
		LVYUE_TEST_DATABASE=postgres $(BIN)/python -m pytest $(PYTEST_ARGS); \
	else echo "LVYUE_TEST_POSTGRES_URL not set: PostgreSQL run skipped"; fi

bench: $(VENV)/.installed-test assets
	$(BIN)/python bench/run_all.py

clean:
	rm -rf $(VENV) instance .pytest_cache node_modules $(DIST)
