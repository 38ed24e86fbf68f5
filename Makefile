# The two commands of the README: `make demo` runs the system, `make test` runs the tests.
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
PG_TEST_URL ?= postgresql://postgres@127.0.0.1:5432/test
# Tests run in parallel (pytest-xdist), one process per CPU by default; each worker builds its own template
# database (SQLite file or uniquely named PostgreSQL database). `make test PYTEST_WORKERS=0` runs in one process.
# --dist loadscope keeps a module's tests on one worker, so module fixtures (a served demo) are built once.
PYTEST_WORKERS ?= auto
XDIST := -n $(PYTEST_WORKERS) --dist loadscope

.PHONY: demo test install system-deps lint test-js test-sqlite test-postgres clean

$(VENV)/.installed: setup.cfg pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test,postgres]'
	touch $@

install: $(VENV)/.installed

system-deps:
	bash scripts/system-deps.sh

# axe-core for the browser tests' accessibility checks: installed from the npm registry into a
# test-only folder (never served by the app); tests/lims/test_browser_layout.py injects it.
AXE_VERSION ?= 4.10.3
build/test-node/node_modules/axe-core/axe.min.js:
	mkdir -p build/test-node
	test -f build/test-node/package.json || echo '{"private": true}' > build/test-node/package.json
	npm install --no-audit --no-fund --prefix build/test-node axe-core@$(AXE_VERSION)

test-js: build/test-node/node_modules/axe-core/axe.min.js

demo: system-deps install
	$(VENV)/bin/lims demo

# Linters first (ruff, then mypy; configuration in pyproject.toml); then the whole suite on SQLite (including the
# browser tests and a time-bounded schemathesis run against a live server); then the database-backed tests again
# on PostgreSQL when LIMS_TEST_DATABASE_URL is set (CI sets it). Without the server the PostgreSQL tests skip with
# the reason; with CI set they fail instead (tests/services.py). Every pytest run ends with its slowest tests.
test: system-deps install lint test-js test-sqlite test-postgres

# mypy: the four libraries and the application; settings in pyproject.toml
MYPY_TARGETS := uncertainty instruments certificates planning lims

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy $(MYPY_TARGETS)

test-sqlite:
	env -u LIMS_TEST_DATABASE_URL $(PY) -m pytest $(XDIST)

test-postgres:
	@if [ -n "$$LIMS_TEST_DATABASE_URL" ]; then \
		$(PY) -m pytest $(XDIST) -m "not browser and not fuzz" tests/lims; \
	elif [ -n "$$CI" ]; then echo "CI is set but LIMS_TEST_DATABASE_URL is not: the PostgreSQL run cannot be skipped"; exit 1; \
	else echo "LIMS_TEST_DATABASE_URL not set: PostgreSQL run skipped (set it to $(PG_TEST_URL))"; fi

clean:
	rm -rf $(VENV) *.egg-info .pytest_cache
