# Quick start: `make run` serves the app on the local engine; `make test` runs the whole suite.
SHELL := /bin/sh
VENV := .venv
PY := $(VENV)/bin/python
DYNAMODB_PORT ?= 8765
PORT ?= 8000
CHROMIUM ?= $(shell command -v chromium || command -v chromium-browser || command -v google-chrome || echo /usr/bin/chromium)

.PHONY: run test deps run-deps browser bench bench-journal bench-messages bench-booking load faults cost check clean rebuild-local-data

# Two stamps: serving needs requirements.txt only (`make run`); tests, checks and benchmarks add
# requirements-dev.txt (browser, type-check, lint and load tools), which a first `make run` need not wait for.
$(VENV)/.run-installed: requirements.txt
	@python=$$(scripts/find-python) && echo "Using $$python" && \
	  { [ -x $(PY) ] || { $$python -m venv $(VENV) && \
	    $(PY) -m pip install --quiet --disable-pip-version-check --upgrade pip; }; }
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	@touch $@

$(VENV)/.installed: $(VENV)/.run-installed requirements-dev.txt
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	@touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

# run-deps: what serving needs (the app's packages and the local engine); deps: everything else too.
run-deps: $(VENV)/.run-installed node_modules/.installed

deps: $(VENV)/.installed node_modules/.installed

# Browser tests drive Debian's Chromium; install it if it is missing and we may.
browser:
	@if [ -x "$(CHROMIUM)" ]; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  echo "Installing Chromium from apt for the browser tests"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	else echo "Chromium is needed for the browser tests: install it (apt-get install chromium) or set CHROMIUM=/path"; exit 1; fi

run: run-deps
	$(PY) -m devtools.run_local --port $(PORT) --dynamodb-port $(DYNAMODB_PORT)

# Local data made by an earlier version: copy the tables whose shape changed into the new shape.
rebuild-local-data: run-deps
	$(PY) -m devtools.rebuild_local --dynamodb-port $(DYNAMODB_PORT)

test: deps browser
	CHROMIUM=$(CHROMIUM) $(PY) -m pytest

# Benchmarks and load/fault runs: bounded in time, 127.0.0.1 only, not part of `make test` (bench/README.md).
bench: deps
	$(PY) -m bench.pages

bench-journal: deps
	$(PY) -m bench.journal_page

bench-messages: deps
	$(PY) -m bench.messages

.PHONY: bench-booking
bench-booking: deps
	$(PY) -m bench.booking

load: deps
	$(PY) -m bench.load

faults: deps
	$(PY) -m bench.faults

# DynamoDB's bill for a scripted month of one client and their therapist (in process, on moto).
cost: deps
	$(PY) -m bench.cost

check: deps
	$(PY) -m ruff check portal therapy_site devtools bench tests gunicorn.conf.py
	$(PY) -m mypy portal therapy_site devtools bench
	DJANGO_DEBUG=true $(PY) manage.py deploy_templates --check
	$(VENV)/bin/cfn-lint deploy/dynamodb.template.json
	DJANGO_DEBUG=true $(PY) manage.py check
	DJANGO_SECRET_KEY=check-only-$$(date +%s)-a-long-enough-random-looking-secret-value DJANGO_ALLOWED_HOSTS=portal.example \
	  DATA_ENCRYPTION_KEYS=check:$$($(PY) -c 'import base64, os; print(base64.b64encode(os.urandom(32)).decode())') \
	  $(PY) manage.py check --deploy --fail-level WARNING

clean:
	rm -rf $(VENV) node_modules var/staticfiles
