# The two commands of the README: `make book` and `make test`. Each creates .venv when it is absent and
# installs what it needs, so they work on a fresh machine with nothing installed by hand.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# TensorFlow's C++ log lines would otherwise reach notebook outputs (nbval compares stderr too).
export TF_CPP_MIN_LOG_LEVEL := 3
export PYTHONHASHSEED := 0

.PHONY: help book test unit nbval book-check notebooks sync lint clean

help:
	@echo "make book       build the HTML book into _build/html (Sphinx warnings are errors)"
	@echo "make test       run every test: lint, unit tests, nbval over every chapter, the book build"
	@echo "make notebooks  sync each chapter's .md into its .ipynb and re-execute it, storing outputs"
	@echo "make sync       only sync .md -> .ipynb and the Colab cells (no execution)"

# A stamp per extras set: re-install when pyproject.toml changes.
$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[book,test,dev]"
	touch $@

book: $(VENV)/.installed
	rm -rf _build/html _build/.doctrees
	$(BIN)/jupyter-book build . --warningiserror --nitpick --keep-going --builder html

unit: $(VENV)/.installed
	$(BIN)/pytest tests --ignore=tests/test_book_build.py

nbval: $(VENV)/.installed
	$(BIN)/pytest --nbval book --nbval-sanitize-with tests/nbval_sanitize.cfg --nbval-cell-timeout 600

book-check: book
	$(BIN)/pytest tests/test_book_build.py

lint: $(VENV)/.installed
	$(BIN)/ruff check segcourse tests

test: lint unit nbval book-check

sync: $(VENV)/.installed
	$(BIN)/python -m segcourse.book sync

notebooks: sync
	$(BIN)/python -m segcourse.book execute

clean:
	rm -rf _build .pytest_cache
