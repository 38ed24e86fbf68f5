# The two commands of the README: `make demo` runs the system, `make test` runs the tests.
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
PG_TEST_URL ?= postgresql://postgres@127.0.0.1:5432/test

.PHONY: demo test install system-deps test-js test-sqlite test-postgres clean

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

# The whole suite on SQLite; then the database-backed tests again on PostgreSQL when
# LIMS_TEST_DATABASE_URL is set (CI sets it), or skipped with the reason when the server is absent.
test: system-deps install test-js test-sqlite test-postgres

test-sqlite:
	env -u LIMS_TEST_DATABASE_URL $(PY) -m pytest

test-postgres:
	@if [ -n "$$LIMS_TEST_DATABASE_URL" ]; then \
		$(PY) -m pytest -m "not browser" tests/lims; \
	else echo "LIMS_TEST_DATABASE_URL not set: PostgreSQL run skipped (set it to $(PG_TEST_URL))"; fi

clean:
	rm -rf $(VENV) *.egg-info .pytest_cache
