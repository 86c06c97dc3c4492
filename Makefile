# The two commands of the README: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Reinstall whenever pyproject.toml changes.
STAMP := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)

.PHONY: run test lint typecheck bench chromium

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit("Python 3.11+ is required") if sys.version_info < (3, 11) else None'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	rm -f $(VENV)/.installed-*
	touch $@

run: $(STAMP)
	$(BIN)/python -m dev.run

chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "installing Debian's chromium for the browser tests"; \
	  apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium; }

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy webapp

test: $(STAMP) chromium lint typecheck
	$(BIN)/pytest

# BENCH_BASELINE=DIR: another source tree (a git worktree of an earlier commit) that
# throughput.py measures first in the same run, and prints this tree's ratio to.
bench: $(STAMP)
	$(BIN)/python bench/build_archive.py
	$(BIN)/python bench/hostile_memory.py
	$(BIN)/python bench/attachments.py
	$(BIN)/python bench/throughput.py $(if $(BENCH_BASELINE),--baseline $(BENCH_BASELINE))
