# The two commands of the README: `make book` and `make test`. Each creates .venv when it is absent and
# installs what it needs, so they work on a fresh machine with nothing installed by hand.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# A stand-in for a Colab runtime: segcourse's dependencies and the notebook runner, but not segcourse, which
# each chapter's first cell installs (see the nbval target).
COLAB_VENV := .venv-colab
COLAB_BIN := $(COLAB_VENV)/bin
# Debian's Chromium, for the browser tests (never a browser downloaded by a test tool).
CHROMIUM := /usr/bin/chromium
# apt-get needs root: CI runs as root, a developer may need sudo.
SUDO := $(shell [ "$$(id -u)" -eq 0 ] || echo sudo)
# TensorFlow's C++ log lines would otherwise reach notebook outputs (nbval compares stderr too).
export TF_CPP_MIN_LOG_LEVEL := 3
export PYTHONHASHSEED := 0

.PHONY: help book book-student test unit nbval colab-venv book-check browser chromium notebooks sync lint clean bench

help:
	@echo "make book       build the HTML book into _build/html (Sphinx warnings are errors)"
	@echo "make book-student  build the book without solutions (student edition) into _build/student/html"
	@echo "make test       run every test: lint, unit tests, every chapter as a Colab user runs it (nbval),"
	@echo "                the book build, and the built book in headless Chromium"
	@echo "make notebooks  sync each chapter's .md into its .ipynb and re-execute it, storing outputs"
	@echo "make sync       only sync .md -> .ipynb and the Colab cells (no execution)"
	@echo "make bench      measure the course's performance claims (tens of minutes) for the Performance appendix"

# The venv is complete only once its stamp exists: an interrupted creation is started over.
$(VENV)/.created:
	rm -rf $(VENV)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	touch $@

# A stamp for the installed extras: re-install when pyproject.toml changes.
$(VENV)/.installed: pyproject.toml | $(VENV)/.created
	$(BIN)/python -m pip install --quiet -e ".[book,test,dev]"
	touch $@

# The Colab stand-in, created from scratch when pyproject.toml changes and reused otherwise (the stamp).
# Versions come from pyproject.toml's dependency list, resolved by pip as for .venv. colab_nbval.pth puts
# tests/colab (the google.colab stand-in, the pytest plugin) on the path and imports google.colab when the
# interpreter starts, so that `"google.colab" in sys.modules` holds in the kernel, as in Colab.
$(COLAB_VENV)/.created: pyproject.toml tests/colab/colab_requirements.py | $(VENV)/.installed
	rm -rf $(COLAB_VENV)
	$(PYTHON) -m venv $(COLAB_VENV)
	$(COLAB_BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python tests/colab/colab_requirements.py > $(COLAB_VENV)/requirements.txt
	$(COLAB_BIN)/python -m pip install --quiet -r $(COLAB_VENV)/requirements.txt
	printf '%s\nimport google.colab\n' "$(CURDIR)/tests/colab" \
	  > "$$($(COLAB_BIN)/python -c 'import sysconfig; print(sysconfig.get_path("purelib"))')/colab_nbval.pth"
	touch $@

colab-venv: $(COLAB_VENV)/.created

# Every chapter notebook, executed once, as a Colab user runs it, and compared with its stored outputs. In
# .venv-colab each notebook's first cell takes its Colab branch and pip-installs segcourse from this checkout
# (SEGCOURSE_SOURCE, the documented override of the repository URL). The colab_nbval plugin uninstalls
# segcourse before each notebook, fails if it is importable then, and checks that the first cell installed it.
# PYTHONPATH is dropped so that nothing but that install can make segcourse importable. pip builds the
# checkout in place, in build/: removed first, so that no stale module from an earlier build gets packaged.
nbval: $(COLAB_VENV)/.created
	rm -rf build
	env -u PYTHONPATH SEGCOURSE_SOURCE="$(CURDIR)" $(COLAB_BIN)/pytest -p colab_nbval \
	  --nbval --nbval-current-env book \
	  --nbval-sanitize-with tests/nbval_sanitize.cfg --nbval-cell-timeout 600

book: $(VENV)/.installed
	rm -rf _build/html _build/.doctrees
	$(BIN)/jupyter-book build . --warningiserror --nitpick --keep-going --builder html

# The book without solutions, for a class: a copy of the book's sources whose chapters are their student
# editions (`segcourse student --book`), built with the same configuration and the same strictness.
book-student: $(VENV)/.installed
	rm -rf _build/student
	$(BIN)/segcourse student --book _build/student/source
	$(BIN)/jupyter-book build _build/student/source --warningiserror --nitpick --keep-going --builder html
	mv _build/student/source/_build/html _build/student/html

unit: $(VENV)/.installed
	$(BIN)/pytest tests --ignore=tests/test_book_build.py --ignore=tests/test_book_browser.py

# Debian's packages, installed once per machine (CI runs as root with no standard input).
chromium: $(CHROMIUM)

$(CHROMIUM):
	$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get update -qq
	$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium

# Builds the book and its student edition, then checks the HTML files, the pages in headless Chromium
# (screenshots of the chapters in _build/screenshots/) and that no solution reached the student edition.
book-check: book book-student $(CHROMIUM)
	$(BIN)/pytest tests/test_book_build.py tests/test_book_browser.py \
	  tests/test_student.py::test_built_student_book_has_no_solutions

# The browser tests alone, on the book already built (builds it when there is none).
browser: $(VENV)/.installed $(CHROMIUM)
	[ -f _build/html/index.html ] || $(MAKE) book
	$(BIN)/pytest tests/test_book_browser.py

lint: $(VENV)/.installed
	$(BIN)/ruff check segcourse tests

test: lint unit nbval book-check

sync: $(VENV)/.installed
	$(BIN)/python -m segcourse.book sync

notebooks: sync
	$(BIN)/python -m segcourse.book execute

# The figures of the Performance appendix (book/appendix_performance.md includes book/performance/): every
# measurement side by side in one run, every chapter executed. Tens of minutes on 2 cores: run it on an
# otherwise idle machine. `segcourse bench --quick` (run by tests/test_bench.py) checks the same code in seconds.
bench: $(VENV)/.installed
	$(BIN)/segcourse bench --json book/performance/bench.json --markdown book/performance/table.md \
	  --plot book/performance/bench.png

clean:
	rm -rf _build build .pytest_cache
