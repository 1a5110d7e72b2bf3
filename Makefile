# Two commands on a fresh machine: `make demo` runs the demo, `make test` runs the tests.
SHELL := /bin/bash
HOST ?= 127.0.0.1
PORT ?= 8000
DATA_DIR ?= ./var
# Test processes (pytest-xdist): most tests wait on servers and browsers they start; with two, measured,
# the two cores stayed half idle; with four the suite took 11.6 min where three took 13.8 (2 cores, 2026-12-06).
PYTEST_WORKERS ?= 4
VENV ?= .venv
# The first Python 3.11+ found, unless PYTHON is given.
PYTHON ?= $(shell for p in python3.13 python3.12 python3.11 python3; do \
	command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null \
	&& { echo $$p; break; }; done)

# The modules' rules (pure), whose every branch the tests must cover.
DOMAIN ?= queue_server.queue.domain queue_server.crm.domain queue_server.booking.domain queue_server.requests.domain \
	queue_server.phone.domain queue_server.kb.domain queue_server.surveys.domain

# What the tests need from Debian besides Python packages: chromium for the browser tests (Playwright
# drives this binary and never downloads a browser) and espeak-ng for the spoken announcements;
# dovecot-imapd for the requests' e-mail intake (the tests start a dovecot of their own on a free port).
# `make demo` needs neither: without espeak-ng the displays play their chime alone.
GUICHET_CHROMIUM ?= /usr/lib/chromium/chromium
export GUICHET_CHROMIUM
TEST_PACKAGES_MISSING = $(strip $(if $(wildcard $(GUICHET_CHROMIUM)),,chromium) \
	$(if $(shell command -v espeak-ng 2>/dev/null),,espeak-ng) \
	$(if $(wildcard /usr/sbin/dovecot),,dovecot-imapd))
# Debian splits venv's pip bootstrap (ensurepip) into its own package, python3.X-venv.
VENV_PACKAGE_MISSING = $(shell $(PYTHON) -c 'import ensurepip' 2>/dev/null \
	|| $(PYTHON) -c 'import sys; print("python%d.%d-venv" % sys.version_info[:2])')
ROOT_WITH_APT = $(and $(filter 0,$(shell id -u)),$(shell command -v apt-get 2>/dev/null))
# $(call debian,PACKAGES,FOR): nothing when PACKAGES is empty; as root with apt-get, a recipe line that installs
# them; otherwise make stops with one line naming the command to run. (No comma in FOR.)
debian = $(if $(1),$(if $(ROOT_WITH_APT),$(call apt_install,$(1),$(2)),$(call apt_missing,$(1),$(2))))
apt_install = @echo "Installing Debian packages for $(2): $(1)" && apt-get update -qq \
	&& DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(1) >/dev/null
apt_missing = $(error Missing Debian packages for $(2): $(1); run  sudo apt-get update && sudo apt-get install -y $(1)  then try again)

.PHONY: install demo serve test test-packages lint bench clean i18n docs

$(VENV)/.installed: pyproject.toml
	$(if $(PYTHON),,$(error Guichet needs Python 3.11 or later and found none on PATH (Debian 12: apt-get install python3 python3-venv)))
	$(call debian,$(VENV_PACKAGE_MISSING),Python's venv module)
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/python -m pip install --quiet --upgrade pip
	$(VENV)/bin/python -m pip install --quiet -e ".[test]"
	@touch $@

install: $(VENV)/.installed

demo: install
	$(VENV)/bin/queue-server demo --host $(HOST) --port $(PORT) --data-dir $(DATA_DIR)

serve: install
	$(VENV)/bin/queue-server serve --host $(HOST) --port $(PORT) --data-dir $(DATA_DIR)

# Checked first, so that a machine without them stops before the long install.
test-packages:
	$(call debian,$(TEST_PACKAGES_MISSING),the tests)

# The rules' own tests: the coverage gate reads these alone (coverage's tracing made the rest of the suite, its
# server processes included, a third slower), so each branch of the rules is proved by a test of the rules.
DOMAIN_TESTS ?= tests/domain $(wildcard tests/*/test_domain.py) tests/crm/test_rules.py tests/crm/test_visit_rules.py \
	tests/booking/test_codes.py tests/booking/test_slots.py tests/booking/test_arrival.py tests/booking/test_status.py

test: test-packages install
	$(VENV)/bin/lint-imports
	$(VENV)/bin/python -m pytest -q -n 2 $(addprefix --cov=,$(DOMAIN)) --cov-branch \
		--cov-report=term-missing:skip-covered --cov-fail-under=100 $(DOMAIN_TESTS)
	$(VENV)/bin/python -m pytest -n $(PYTEST_WORKERS) $(addprefix --ignore=,$(DOMAIN_TESTS)) --durations=25 $(PYTEST_ARGS)

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy

bench: install
	$(VENV)/bin/python bench/issue_and_call.py

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache

i18n: install
	$(VENV)/bin/pybabel extract -F babel.cfg -k _ -k gettext -k plural_forms:2,3 -o queue_server/locale/messages.pot --omit-header .
	$(VENV)/bin/pybabel update -i queue_server/locale/messages.pot -d queue_server/locale -D messages \
		--no-fuzzy-matching --width 100

# docs/api.md's list of every endpoint, rewritten between its two markers from the OpenAPI document that
# the server serves at /openapi.json (the rest of the page is written by hand).
define API_TABLE_PY
from queue_server.web.openapi import openapi_document
rows = ["| method and path | what it does | answers |", "| --- | --- | --- |"]
for path, operations in openapi_document()["paths"].items():
    for method, op in operations.items():
        summary = op["summary"].replace("|", "\\|")
        rows.append(f"| `{method.upper()} {path}` | {summary} | {' '.join(sorted(op['responses']))} |")
start, end = "<!-- endpoints: generated by make docs -->\n", "<!-- end of the generated endpoints -->"
head, rest = open("docs/api.md").read().split(start)
tail = rest.split(end)[1]
open("docs/api.md", "w").write(head + start + "\n".join(rows) + "\n" + end + tail)
endef

docs: export API_TABLE = $(API_TABLE_PY)
docs: install
	$(VENV)/bin/python -c "$$API_TABLE"
