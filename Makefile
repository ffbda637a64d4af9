# VoxBridge Memory — the two commands: `make serve` and `make test`.
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
STAMP := $(VENV)/.installed
BUF := npx -y @bufbuild/buf@1.75.0
# PyTorch's own index of CPU-only wheels; when it cannot be reached, torch comes from the default index.
TORCH_CPU_INDEX ?= https://download.pytorch.org/whl/cpu

.PHONY: install serve gateway browser test lint proto proto-check dashboard docs soak bench clean

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip

# The CPU build of torch goes first: a bare `torch` requirement would pull a CUDA build of several GB.
# It is tried from PyTorch's CPU index with a short timeout and no retries, so a network that reaches only
# PyPI (or a mirror) falls back to the default index within seconds instead of minutes.
$(STAMP): $(PY) pyproject.toml constraints.txt clients/python/pyproject.toml clients/gateway/pyproject.toml
	$(PIP) install --quiet --timeout 10 --retries 0 --index-url $(TORCH_CPU_INDEX) torch==2.13.0 \
		|| { echo "torch not installed from $(TORCH_CPU_INDEX) (unreachable?): trying the default index"; \
		     $(PIP) install --quiet torch==2.13.0; }
	$(PIP) install --quiet -c constraints.txt -e 'clients/python[pipecat]' -e clients/gateway -e '.[dev]'
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
	$(VENV)/bin/ruff check memory_service tests benchmarks scripts deploy clients/python/src clients/python/examples clients/gateway/src
	$(VENV)/bin/ruff format --check memory_service tests benchmarks scripts deploy clients/python/src clients/python/examples clients/gateway/src
	$(VENV)/bin/mypy
	$(BUF) lint

proto: install
	$(PY) scripts/generate_protos.py

# deploy/grafana/voxbridge-memory.json, generated from code (a test fails when it is stale).
dashboard: install
	$(PY) scripts/generate_dashboard.py

# docs/configuration.md, generated from the settings code (a test fails when it is stale).
docs: install
	$(PY) scripts/generate_config_docs.py

soak: install
	$(VENV)/bin/pytest -m soak tests

# The benchmark suite, one script after another; JSON and a Markdown table in bench-results/ (BENCH_FLAGS=--quick
# for a first look in minutes).
bench: install
	$(PIP) install --quiet -c constraints.txt -e '.[bench]'
	$(PY) benchmarks/report.py $(BENCH_FLAGS)

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
