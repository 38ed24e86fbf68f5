# The two commands of the README: `make demo` runs the system, `make test` runs the tests.
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
PG_TEST_URL ?= postgresql://postgres@127.0.0.1:5432/test

.PHONY: demo test install system-deps test-sqlite test-postgres clean

$(VENV)/.installed: setup.cfg pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test,postgres]'
	touch $@

install: $(VENV)/.installed

system-deps:
	bash scripts/system-deps.sh

demo: system-deps install
	$(VENV)/bin/lims demo

# The whole suite on SQLite; then the database-backed tests again on PostgreSQL when
# LIMS_TEST_DATABASE_URL is set (CI sets it), or skipped with the reason when the server is absent.
test: system-deps install test-sqlite test-postgres

test-sqlite:
	env -u LIMS_TEST_DATABASE_URL $(PY) -m pytest

test-postgres:
	@if [ -n "$$LIMS_TEST_DATABASE_URL" ]; then \
		$(PY) -m pytest -m "not browser" tests/lims; \
	else echo "LIMS_TEST_DATABASE_URL not set: PostgreSQL run skipped (set it to $(PG_TEST_URL))"; fi

clean:
	rm -rf $(VENV) *.egg-info .pytest_cache
