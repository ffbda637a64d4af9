# VoxBridge Memory — the two commands: `make serve` and `make test`.
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
STAMP := $(VENV)/.installed
BUF := npx -y @bufbuild/buf@1.75.0

.PHONY: install serve gateway browser test lint proto proto-check soak bench clean

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip

# The CPU build of torch goes first: a bare `torch` requirement would pull a CUDA build of several GB.
$(STAMP): $(PY) pyproject.toml constraints.txt clients/python/pyproject.toml clients/gateway/pyproject.toml
	$(PIP) install --quiet torch==2.13.0
	$(PIP) install --quiet -c constraints.txt -e clients/python -e clients/gateway -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

serve: install
	$(VENV)/bin/memory-service serve

gateway: install
	$(VENV)/bin/memory-gateway

# Debian's chromium for the browser tests of the web UI (installed when missing).
browser:
	scripts/ensure_chromium.sh

test: install browser lint
	$(VENV)/bin/pytest -m "not soak" tests

lint: install
	$(VENV)/bin/ruff check memory_service tests benchmarks scripts deploy clients/python/src clients/gateway/src
	$(VENV)/bin/ruff format --check memory_service tests benchmarks scripts deploy clients/python/src clients/gateway/src
	$(VENV)/bin/mypy
	$(BUF) lint

proto: install
	$(PY) scripts/generate_protos.py

soak: install
	$(VENV)/bin/pytest -m soak tests

bench: install
	$(PIP) install --quiet -c constraints.txt -e '.[bench]'
	$(PY) benchmarks/mem0_comparison.py
	$(PY) benchmarks/footprint.py
	$(PY) benchmarks/get_context_latency.py
	$(PY) benchmarks/extraction.py
	$(PY) benchmarks/search_index.py
	$(PY) benchmarks/embedding_backends.py
	$(PY) benchmarks/retrieval/evaluate.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
