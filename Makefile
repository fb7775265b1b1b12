# `make book` and `make test` create or refresh .venv from requirements.txt by themselves.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
TORCH_STAMP := $(VENV)/.installed-torch
# Extra pip arguments for PyTorch, e.g. TORCH_PIP_ARGS="--index-url https://download.pytorch.org/whl/cpu"
# for the CPU build (about 750 MB) where the package index would serve the CUDA one.
TORCH_PIP_ARGS ?=
NOTEBOOKS = $(shell $(BIN)/python .ci/toc_notebooks.py)
# Stored notebook outputs are written under one OpenBLAS kernel and compared under another, so
# that nbval proves they do not depend on how a machine rounds its matrix products (x86-64; on
# other CPUs OpenBLAS ignores the names). See README, "Portable notebook outputs".
# Two notebooks run at once on this project's 2 cores, so each gets one BLAS thread: two
# processes of two spinning OpenBLAS threads each made nbval four times slower (measured).
WRITE_BLAS ?= Haswell
CHECK_BLAS ?= $(shell grep -qs avx512f /proc/cpuinfo && echo SkylakeX || echo Nehalem)

.PHONY: book test lint unit nbval book-tests jupyterlab notebooks lab bench clean

book: $(STAMP)  ## build the HTML book (warnings are errors) from the committed notebooks
	rm -rf _build/html _build/screenshots
	$(BIN)/jupyter-book build . -W --keep-going --all
	@echo "Book built: file://$(CURDIR)/_build/html/index.html"

test: lint unit book nbval book-tests jupyterlab  ## everything CI checks

lint: $(STAMP)
	$(BIN)/ruff check . && $(BIN)/ruff format --check .

unit: $(TORCH_STAMP)
	$(BIN)/python -m pytest tests --ignore=tests/book

nbval: $(TORCH_STAMP)  ## run every chapter and compare its outputs, under another BLAS kernel than wrote them
	OPENBLAS_CORETYPE=$(CHECK_BLAS) OPENBLAS_NUM_THREADS=1 $(BIN)/python -m pytest -n 2 --dist loadfile --nbval --nbval-current-env --nbval-sanitize-with nbval_sanitize.cfg $(NOTEBOOKS)

book-tests: $(STAMP)  ## checks of the built book: offline, rendered, accessible (needs make book)
	$(BIN)/python -m pytest tests/book -m "not jupyterlab"

jupyterlab: $(TORCH_STAMP)  ## run every chapter in a real JupyterLab in headless Chromium
	$(BIN)/python -m pytest tests/book/test_jupyterlab.py

notebooks: $(TORCH_STAMP)  ## re-execute every notebook in place (refreshes outputs and widget state)
	printf '%s\n' $(NOTEBOOKS) | OPENBLAS_CORETYPE=$(WRITE_BLAS) OPENBLAS_NUM_THREADS=1 xargs -P 2 -n 1 $(BIN)/python .ci/execute_notebooks.py

lab: $(TORCH_STAMP)  ## open the chapters in JupyterLab, in the project's environment
	$(BIN)/jupyter lab book

$(STAMP): requirements.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	touch $(STAMP)

$(TORCH_STAMP): $(STAMP) requirements-torch.txt
	$(BIN)/python -m pip install --quiet -r requirements-torch.txt $(TORCH_PIP_ARGS)
	touch $(TORCH_STAMP)

bench: $(TORCH_STAMP)  ## speed benchmarks (not part of test), side by side with PyTorch
	$(BIN)/python -m benchmarks

clean:
	rm -rf _build .pytest_cache .ruff_cache .hypothesis
