# Two commands on a fresh machine: `make demo` and `make test`. Every target is idempotent.
SHELL := /bin/bash
PYTHON ?= python3
UV_VERSION := 0.13.9
TOOLS := .tools
UV := $(TOOLS)/bin/uv
VENV := .venv
STAMP := $(VENV)/.installed
export UV_PYTHON_DOWNLOADS := never
export UV_PROJECT_ENVIRONMENT := $(VENV)

.PHONY: install demo test system-deps lint typecheck clean

install: $(STAMP)

# uv lives in its own small venv so `uv sync` (which removes what the lock does not list)
# never uninstalls itself; the project environment is built from uv.lock, frozen.
$(UV):
	$(PYTHON) -m venv $(TOOLS) || { apt-get install -y -qq python3-venv && $(PYTHON) -m venv $(TOOLS); }
	$(TOOLS)/bin/pip install --quiet --disable-pip-version-check "uv==$(UV_VERSION)"

$(STAMP): $(UV) pyproject.toml uv.lock
	$(UV) sync --frozen --python $(PYTHON)
	@touch $(STAMP)

demo: install
	$(VENV)/bin/launchready demo

# PostgreSQL server binaries, Chromium and Dovecot for the tests (installed only when missing).
system-deps:
	bash scripts/install-system-deps.sh

test: install system-deps
	$(VENV)/bin/pytest

lint: install
	$(VENV)/bin/ruff format --check src tests bench
	$(VENV)/bin/ruff check src tests bench

typecheck: install
	$(VENV)/bin/mypy

clean:
	rm -rf $(VENV) $(TOOLS) .pytest_cache .mypy_cache .ruff_cache
