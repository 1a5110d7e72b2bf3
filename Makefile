# Two commands on a fresh machine: `make demo` runs the demo, `make test` runs the tests.
SHELL := /bin/bash
HOST ?= 127.0.0.1
PORT ?= 8000
DATA_DIR ?= ./var
# Test processes (pytest-xdist): most tests wait on servers and browsers they start; with two, measured,
# the two cores stayed half idle, so three.
PYTEST_WORKERS ?= 3
VENV ?= .venv
# The first Python 3.11+ found, unless PYTHON is given.
PYTHON ?= $(shell for p in python3.13 python3.12 python3.11 python3; do \
	command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null \
	&& { echo $$p; break; }; done)

.PHONY: install demo serve test lint bench clean i18n

$(VENV)/.installed: pyproject.toml
	@test -n "$(PYTHON)" || { echo "Guichet needs Python 3.11 or later (none found on PATH)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/python -m pip install --quiet --upgrade pip
	$(VENV)/bin/python -m pip install --quiet -e ".[test]"
	@touch $@

install: $(VENV)/.installed

demo: install
	$(VENV)/bin/queue-server demo --host $(HOST) --port $(PORT) --data-dir $(DATA_DIR)

serve: install
	$(VENV)/bin/queue-server serve --host $(HOST) --port $(PORT) --data-dir $(DATA_DIR)

test: install
	$(VENV)/bin/lint-imports
	$(VENV)/bin/python -m pytest -n $(PYTEST_WORKERS) --cov=queue_server.domain --cov-branch --cov-report=term-missing:skip-covered \
		--cov-fail-under=100 --durations=25 $(PYTEST_ARGS)

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy

bench: install
	$(VENV)/bin/python bench/issue_and_call.py

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache

i18n: install
	$(VENV)/bin/pybabel extract -F babel.cfg -k _ -k gettext -o queue_server/locale/messages.pot --omit-header .
	$(VENV)/bin/pybabel update -i queue_server/locale/messages.pot -d queue_server/locale -D messages \
		--no-fuzzy-matching --width 100
