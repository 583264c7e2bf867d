# waybill-watch: the two set-up commands are `make demo` and `make test`.
# Every target installs what it needs, idempotently (stamps under .make/).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
DEB_PACKAGES := fonts-noto-cjk chromium poppler-utils libpango-1.0-0 libpangoft2-1.0-0
export WAYBILL_WATCH_WAREHOUSE_DIR ?= $(CURDIR)/warehouse
export DBT_PROFILES_DIR := $(CURDIR)

.PHONY: demo test lint bench docs system-deps venv clean

.make:
	@mkdir -p .make

# Debian packages for the report (CJK fonts, Chromium, pdftoppm). Quiet when present.
.make/system-deps: | .make
	@missing=""; for p in $(DEB_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:$$missing"; \
	  SUDO=""; [ "$$(id -u)" -ne 0 ] && SUDO=sudo; \
	  $$SUDO apt-get update -qq >/dev/null && \
	  DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	fi
	@touch $@

system-deps: .make/system-deps

# The venv is rebuilt when pyproject.toml changes.
$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

.make/venv: pyproject.toml $(BIN)/python | .make
	$(BIN)/pip install -q -e '.[dev]'
	@touch $@

venv: .make/venv

demo: .make/venv .make/system-deps
	$(BIN)/python -m waybill_watch.demo

# Each test file runs whole in one of TEST_WORKERS processes (its module fixtures are built once),
# the longest files first (tests/python/conftest.py, which also shares the session fixtures).
TEST_WORKERS ?= 2

test: .make/venv .make/system-deps
	$(BIN)/ruff check src tests/python bench
	$(BIN)/python -m pytest -q -n $(TEST_WORKERS) --dist loadfile --no-loadscope-reorder

lint: .make/venv
	$(BIN)/ruff check src tests/python bench
	$(BIN)/ruff format --check src tests/python bench

bench: .make/venv
	$(BIN)/python bench/run.py

docs: .make/venv
	$(BIN)/python -m waybill_watch.docs

clean:
	rm -rf .make target logs warehouse demo
