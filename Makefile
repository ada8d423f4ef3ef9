# The two commands a fresh machine needs: `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test test-reliability lint typecheck pytest migrate seed serve clean system-deps

SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
# Debian packages the product needs at run time: Tesseract for OCR of scans and images; pg_dump/pg_restore
# for `pmdi backup`/`pmdi restore` of a PostgreSQL database.
APT_PACKAGES := tesseract-ocr tesseract-ocr-eng tesseract-ocr-osd fonts-dejavu-core postgresql-client
# Test-only: the report tests render exported PDFs with pdftoppm, as a user's viewer would; the browser tests
# drive Debian's Chromium through Playwright (`playwright install` cannot download here); the load test and
# bench/api_throughput.py drive the server with wrk.
APT_PACKAGES_TEST := poppler-utils chromium wrk

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "pmdi needs Python >= 3.11")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed-run: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	@touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $@ $(VENV)/.installed-run

system-deps:
	@missing=$$(for p in $(APT_PACKAGES) $(EXTRA_APT); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  if command -v apt-get >/dev/null 2>&1; then \
	    echo "installing $$missing"; \
	    $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq $$missing >/dev/null; \
	  else echo "warning: please install $$missing (OCR needs Tesseract)"; fi; \
	fi

migrate: system-deps $(VENV)/.installed-run
	$(BIN)/pmdi migrate

seed: migrate
	$(BIN)/pmdi demo seed

run: seed
	$(BIN)/pmdi serve --host $(HOST) --port $(PORT)

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(VENV)/.installed-dev
	$(BIN)/mypy

pytest: $(VENV)/.installed-dev
	$(MAKE) --no-print-directory system-deps EXTRA_APT="$(APT_PACKAGES_TEST)"
	$(BIN)/pytest -q

test: lint typecheck pytest

# The reliability suite on its own, with the whole hostile corpus (make test runs a deterministic third of it).
RELIABILITY_TESTS := tests/test_hostile_corpus.py tests/test_schemathesis.py tests/test_crash_restart.py \
	tests/test_load.py tests/test_backup.py
test-reliability: $(VENV)/.installed-dev
	$(MAKE) --no-print-directory system-deps EXTRA_APT="$(APT_PACKAGES_TEST)"
	PMDI_HOSTILE_FULL=1 $(BIN)/pytest -q $(RELIABILITY_TESTS)

clean:
	rm -rf $(VENV) data .mypy_cache .ruff_cache .pytest_cache
