# OCOP Seller Academy — the two set-up commands are `make run` and `make test`.
VENV   ?= .venv
PYTHON ?= python3
PY      = $(VENV)/bin/python
FLASK   = $(VENV)/bin/flask --app wsgi
HOST   ?= 127.0.0.1
PORT   ?= 5000
PYTEST_ARGS ?=

.PHONY: install run test test-fast test-browser check-content messages bench clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -e '.[dev]'
	touch $@

# catalogs are compiled at install time; .mo files are never committed
install: $(VENV)/.installed
	$(VENV)/bin/pybabel compile -d lms/translations >/dev/null

run: export LMS_PUBLIC_URL ?= http://$(HOST):$(PORT)
run: install
	$(FLASK) lms init
	-$(FLASK) lms import-content  # a course refused (e.g. edited in the browser since) must not stop the demo
	$(FLASK) lms demo
	$(FLASK) run --host $(HOST) --port $(PORT)

test: install
	$(PY) -m pytest $(PYTEST_ARGS)

test-fast: install
	$(PY) -m pytest -m "not browser and not slow" $(PYTEST_ARGS)

test-browser: install
	$(PY) -m pytest -m browser $(PYTEST_ARGS)

check-content: install
	$(FLASK) lms check-content

# extract marked strings and merge them into both catalogs (then translate the new vi entries)
messages: install
	$(VENV)/bin/pybabel extract -F babel.cfg -k _l -k lazy_gettext --no-location --sort-output -o lms/translations/messages.pot .
	$(VENV)/bin/pybabel update --no-fuzzy-matching -i lms/translations/messages.pot -d lms/translations

# B1-B6 of the performance issue against bench/bare_app.py (wrk from Debian's packages; PostgreSQL when reachable)
BENCH_ARGS ?=
bench: install
	@command -v wrk >/dev/null 2>&1 || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; }
	$(PY) bench/run.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis
