# DQ Hub developer workflow. `make run` and `make test` are all a new machine needs.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
OIDC := tests/e2e/oidc
OIDC_STAMP := $(OIDC)/node_modules/.installed

.PHONY: setup system test-setup run test bench lint demo services worker clean

setup: $(STAMP)  ## create .venv and install pinned requirements (no-op when up to date)

$(STAMP): requirements.txt requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $(STAMP)

demo: setup  ## seed the demo warehouse if empty, score its last day, check bills, scan last month
	$(PY) -m jobs demo --if-empty
	$(PY) -m jobs run dq --date latest
	$(PY) -m jobs run bills -q
	$(PY) -m jobs run overshoot -q

run: demo  ## set up, seed, score, and open the app on http://127.0.0.1:8501
	$(PY) -m streamlit run Home.py

system:  ## install the system packages the tests need when missing (as root; else prints the command)
	@scripts/system-packages.sh

$(OIDC_STAMP): $(OIDC)/package.json $(OIDC)/package-lock.json
	npm ci --prefix $(OIDC) --no-audit --no-fund --loglevel=error
	touch $(OIDC_STAMP)

test-setup: setup system $(OIDC_STAMP)  ## everything the tests need: venv, system packages, test IdP

services:  ## start what the tests need (PostgreSQL on 127.0.0.1:5432 when installed)
	@scripts/start-services.sh

TEST_WORKERS ?= auto

test: test-setup services lint  ## lint, then the whole test suite, as CI does (a missing service fails)
	DQ_TEST_REQUIRE_SERVICES=1 $(PY) -m pytest -n $(TEST_WORKERS) --dist loadgroup --durations=15

worker: setup  ## run the job worker (schedules + Admin run-now requests) until Ctrl-C
	$(PY) -m jobs serve

bench: setup  ## run the benchmarks (prints numbers; not tests)
	$(PY) -m bench

LINTED := core jobs bench tests app_pages docker Home.py

lint: setup  ## ruff: lint rules and formatting (`$(PY) -m ruff format $(LINTED)` fixes the latter)
	$(PY) -m ruff check $(LINTED)
	$(PY) -m ruff format --check $(LINTED)

clean:  ## remove the venv, the test IdP's packages and the embedded warehouse
	rm -rf $(VENV) $(OIDC)/node_modules data/dqhub.duckdb data/dqhub.duckdb.wal
