# litfeed — two commands do everything on a fresh machine: `make demo` and `make test`.
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
LITFEED := $(VENV)/bin/litfeed
PYTHON ?= python3
DEMO_DIR ?= .demo-data
STAMP := $(VENV)/.installed

.PHONY: install demo test lint bench browser-deps bench-deps postgres clean

install: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip setuptools wheel
	$(PIP) install -q -e '.[dev]'
	touch $(STAMP)

# Debian's chromium for the Playwright browser tests (Playwright's own browser download is not used).
browser-deps:
	@if [ ! -x /usr/bin/chromium ]; then \
	  echo "installing Debian chromium for browser tests"; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
	  || echo "warning: could not install chromium; browser tests will be skipped"; \
	fi

# wrk, the load generator bench/web.py drives (Debian package).
bench-deps:
	@command -v wrk >/dev/null || \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null) || \
	  echo "warning: could not install wrk; bench/web.py needs it"

# The local PostgreSQL server the suite creates its throwaway databases on.
postgres:
	@pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null || \
	  (command -v pg_ctlcluster >/dev/null && pg_ctlcluster --skip-systemctl-redirect $$(ls /etc/postgresql | head -1) main start) || \
	  echo "warning: PostgreSQL is not running; PostgreSQL tests will be skipped"

test: install browser-deps postgres
	$(PY) -m pytest -q -p no:cacheprovider

lint: install
	$(VENV)/bin/ruff check src tests bench
	$(VENV)/bin/mypy

# Every benchmark at its default size; each prints its own table (see the issue notes).
# pubmed_parser is the ingest benchmark's reference and is installed for benchmarks only.
bench: install postgres bench-deps
	$(PIP) install -q pubmed-parser==0.5.1
	$(PY) bench/ingest.py
	$(PY) bench/web.py
	$(PY) bench/search.py
	$(PY) bench/embed.py
	$(PY) bench/related.py
	$(PY) bench/feed.py
	$(PY) bench/library_io.py
	$(PY) bench/formats_export.py
	$(PY) bench/load.py

demo: install
	$(LITFEED) demo --data-dir $(DEMO_DIR)

clean:
	rm -rf $(VENV) build $(DEMO_DIR) .bench-data
