# Set-up is part of every target: a fresh machine needs only `make run` or `make test`.
VENV ?= .venv
TORCH_PIP_ARGS ?=
BIN := $(VENV)/bin
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1

.PHONY: install run test test-slow lint bench

$(BIN)/.installed: pyproject.toml
	python3 -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	# TORCH_PIP_ARGS picks the build, e.g. --index-url https://download.pytorch.org/whl/cpu
	# (a plain install on Linux pulls several GB of CUDA packages); see the README
	$(BIN)/pip install -q torch==2.13.0 $(TORCH_PIP_ARGS)
	$(BIN)/pip install -q -e '.[dev]'
	# simonw's `llm` CLI, a client the tests drive against the service; it needs openai>=3,
	# which our respx-mocked tests cannot use, so it lives in a venv of its own
	python3 -m venv $(VENV)/llm-cli
	$(VENV)/llm-cli/bin/pip install -q "llm==0.36"
	touch $@

install: $(BIN)/.installed

run: install  ## the HTTP service on 127.0.0.1:8000 (ingests the bundled corpus on first start)
	$(BIN)/rag serve --host $(or $(HOST),127.0.0.1) --port $(or $(PORT),8000)

test: install  ## fast tests on fakes (about two minutes); CI also runs test-slow
	$(BIN)/python -m pytest -q -m "not slow and not browser"

test-slow: install  ## end-to-end: the real model, `rag serve`, the wheel, the page in Chromium
	$(BIN)/python -m pytest -q -m "slow or browser"

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

bench: install
	$(BIN)/python bench/ingest_search.py
	$(BIN)/python bench/api.py
