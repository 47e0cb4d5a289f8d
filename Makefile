# Lüyue — the two commands: `make run` and `make test`. Both do all set-up on a fresh machine.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 5000
export FLASK_APP := app:create_app

.PHONY: run test venv test-deps bench clean

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

## run: migrate, deploy the shipped models, load demo data on first start, then the scheduler process
## (timers, escalations, outbox) beside the web server on http://$(HOST):$(PORT); Ctrl-C stops both
run: $(VENV)/.installed
	$(BIN)/flask lvyue bootstrap
	@$(BIN)/flask lvyue scheduler & sched=$$!; \
	trap 'kill $$sched 2>/dev/null; wait $$sched 2>/dev/null' EXIT INT TERM; \
	$(BIN)/flask run --host $(HOST) --port $(PORT)

## test: the whole suite on SQLite, then on PostgreSQL when LVYUE_TEST_POSTGRES_URL is set
test: $(VENV)/.installed-test
	LVYUE_TEST_DATABASE=sqlite $(BIN)/python -m pytest $(PYTEST_ARGS)
	@if [ -n "$$LVYUE_TEST_POSTGRES_URL" ]; then \
		echo "== PostgreSQL: $$LVYUE_TEST_POSTGRES_URL"; \
		LVYUE_TEST_DATABASE=postgres $(BIN)/python -m pytest $(PYTEST_ARGS); \
	else echo "LVYUE_TEST_POSTGRES_URL not set: PostgreSQL run skipped"; fi

bench: $(VENV)/.installed-test
	$(BIN)/python bench/run_all.py

clean:
	rm -rf $(VENV) instance .pytest_cache
