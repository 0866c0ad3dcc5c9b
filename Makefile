# Two commands do everything on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
SHARED ?= ../shared
export HF_HUB_OFFLINE := 1
export TOKENIZERS_PARALLELISM := false

.PHONY: install run test eval bench browser screenshots clean

# Set-up: a virtualenv, torch pinned to the CPU build on disk (a bare `torch`
# would pull a multi-GB CUDA build), then the project with its dev extras.
$(VENV)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --upgrade pip
	$(BIN)/pip install torch==2.13.0
	$(BIN)/pip install -e '.[dev]'
	touch $@

install: $(VENV)/.installed

# Debian's Chromium for the browser tests (never a downloaded browser).
browser:
	@command -v chromium >/dev/null 2>&1 || (apt-get update && apt-get install -y chromium chromium-driver)

run: install
	$(BIN)/python app.py

test: install browser
	$(BIN)/pytest -q

# Answer quality on the three dev sets of ../shared/eval over temporary indexes, out of fold
# (each question answered by a model fitted without its document); fails below eval/floors.json.
eval: install
	$(BIN)/assistant tune --shared $(SHARED) --check eval/floors.json
	$(BIN)/python eval/targets_eval.py $(SHARED)/policy-notes

bench: install
	$(BIN)/python benchmarks/ingest.py
	$(BIN)/python benchmarks/latency.py

# The README's screenshots, from the shipped corpus in a real browser (benchmarks/screenshots.py).
screenshots: install browser
	$(BIN)/python benchmarks/screenshots.py

clean:
	rm -rf data .pytest_cache
