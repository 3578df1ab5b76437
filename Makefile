# The two commands of the README: `make book` and `make test`. Each creates .venv when it is absent and
# installs what it needs, so they work on a fresh machine with nothing installed by hand.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# A stand-in for a Colab runtime: segcourse's dependencies and the notebook runner, but not segcourse, which
# each chapter's first cell installs (see the nbval target).
COLAB_VENV := .venv-colab
COLAB_BIN := $(COLAB_VENV)/bin
# Colab's package list and OS/Python versions: copies of googlecolab/backend-info's files (see its README).
COLAB_INFO := tests/colab/backend-info
# Debian's Chromium, for the browser tests (never a browser downloaded by a test tool). Another Chromium can be
# named: `make test CHROMIUM=/path/to/chromium` (GitHub's Ubuntu runners have one at /usr/bin/chromium too).
CHROMIUM ?= /usr/bin/chromium
export CHROMIUM
# Debian's bubblewrap, the sandbox `segcourse grade` runs submissions in (tests/test_grade.py needs it).
BWRAP := /usr/bin/bwrap
# apt-get needs root: CI runs as root, a developer may need sudo.
SUDO := $(shell [ "$$(id -u)" -eq 0 ] || echo sudo)
# TensorFlow's C++ log lines would otherwise reach notebook outputs (nbval compares stderr too).
export TF_CPP_MIN_LOG_LEVEL := 3
export PYTHONHASHSEED := 0

.PHONY: help book book-student test unit unit-colab nbval colab-venv colab-refresh clean-colab book-check browser chromium bwrap \
  notebooks sync lint clean bench dist dist-check release site

help:
	@echo "make book       build the HTML book into _build/html (Sphinx warnings are errors)"
	@echo "make book-student  build the book without solutions (student edition) into _build/student/html"
	@echo "make test       run every test: lint, unit tests, every chapter as a Colab user runs it (nbval),"
	@echo "                the book build, and the built book in headless Chromium"
	@echo "make notebooks  sync each chapter's .md into its .ipynb and re-execute it, storing outputs"
	@echo "make sync       only sync .md -> .ipynb and the Colab cells (no execution)"
	@echo "make unit-colab the package's tests under Colab's Python and package versions (.venv-colab)"
	@echo "make colab-refresh  copy Colab's package list from COLAB_INFO_FROM (default ../shared/colab)"
	@echo "make bench      measure the course's performance claims (tens of minutes) for the Performance appendix"
	@echo "make dist       build the sdist and the wheel into dist/ and check them (twine check)"
	@echo "make release VERSION=X.Y.Z  commit and tag release X.Y.Z, then start X.Y.(Z+1).dev0 (pushes nothing)"
	@echo "make site       build both editions and lay them out as the published site in _build/site"

# The venv is complete only once its stamp exists: an interrupted creation is started over.
$(VENV)/.created:
	rm -rf $(VENV)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	touch $@

# A stamp for the installed extras: re-install when pyproject.toml or the version (segcourse/__init__.py, read
# by setuptools for the installed metadata) changes.
$(VENV)/.installed: pyproject.toml segcourse/__init__.py | $(VENV)/.created
	$(BIN)/python -m pip install --quiet -e ".[book,test,dev]"
	touch $@

# The Colab stand-in, created from scratch when pyproject.toml or Colab's package list changes, and reused
# otherwise (the stamp). It runs the Python version Colab runs (found by tests/colab/colab_python.py, which
# warns loudly when it has to fall back to $(PYTHON)), and every package it installs that Colab ships gets
# Colab's version: pip constraints from Colab's own `pip freeze`, copied in $(COLAB_INFO) (refresh it with
# `make colab-refresh`). $(COLAB_VENV)/versions.txt lists what was installed beside Colab's versions, and the
# build fails if a package Colab ships has another version. colab_nbval.pth puts tests/colab (the
# google.colab stand-in, the pytest plugin) on the path and imports google.colab when the interpreter
# starts, so that `"google.colab" in sys.modules` holds in the kernel, as in Colab.
$(COLAB_VENV)/.created: pyproject.toml tests/colab/colab_requirements.py tests/colab/colab_python.py \
  $(COLAB_INFO)/pip-freeze.txt $(COLAB_INFO)/os-info.txt | $(VENV)/.installed
	rm -rf $(COLAB_VENV)
	py="$$($(PYTHON) tests/colab/colab_python.py $(PYTHON))" && echo "Colab stand-in: $$py" && \
	  "$$py" -m venv $(COLAB_VENV)
	$(BIN)/python tests/colab/colab_requirements.py requirements > $(COLAB_VENV)/requirements.txt
	$(BIN)/python tests/colab/colab_requirements.py constraints > $(COLAB_VENV)/constraints.txt
	$(COLAB_BIN)/python -m pip install --quiet --upgrade pip -c $(COLAB_VENV)/constraints.txt
	$(COLAB_BIN)/python -m pip install --quiet -r $(COLAB_VENV)/requirements.txt -c $(COLAB_VENV)/constraints.txt
	printf '%s\nimport google.colab\n' "$(CURDIR)/tests/colab" \
	  > "$$($(COLAB_BIN)/python -c 'import sysconfig; print(sysconfig.get_path("purelib"))')/colab_nbval.pth"
	$(COLAB_BIN)/python tests/colab/colab_requirements.py report > $(COLAB_VENV)/versions.txt
	$(COLAB_BIN)/python --version
	grep -E '^(tensorflow|keras|numpy|matplotlib|pillow|pandas|ipykernel) ' $(COLAB_VENV)/versions.txt
	touch $@

colab-venv: $(COLAB_VENV)/.created

# When Colab moves on: copy googlecolab/backend-info's pip-freeze.txt, pip-freeze.gpu.txt and os-info.txt
# (the repository's newest commit, or a folder that holds them: COLAB_INFO_FROM=path) into $(COLAB_INFO), then
# `make notebooks test`: the stand-in is rebuilt, the stored outputs come from the new versions, and a version
# change shows up as a diff.
COLAB_INFO_FROM ?= ../shared/colab
colab-refresh:
	cp $(COLAB_INFO_FROM)/pip-freeze.txt $(COLAB_INFO_FROM)/pip-freeze.gpu.txt $(COLAB_INFO_FROM)/os-info.txt $(COLAB_INFO)/
	chmod u+w $(COLAB_INFO)/*
	git -C $(COLAB_INFO) diff --stat -- . || true

clean-colab:
	rm -rf $(COLAB_VENV)

# Every chapter notebook, executed once, as a Colab user runs it, and compared with its stored outputs. In
# .venv-colab each notebook's first cell takes its Colab branch and pip-installs segcourse from this checkout
# (SEGCOURSE_SOURCE, the documented override of the repository URL). The colab_nbval plugin uninstalls
# segcourse before each notebook, fails if it is importable then, and checks that the first cell installed it.
# PYTHONPATH is dropped so that nothing but that install can make segcourse importable. pip builds the
# checkout in place, in build/: removed first, so that no stale module from an earlier build gets packaged.
# CHAPTERS="03_unpooling 05_segnet" runs only those.
NOTEBOOKS = $(if $(CHAPTERS),$(addprefix book/,$(addsuffix .ipynb,$(CHAPTERS))),book)
nbval: $(COLAB_VENV)/.created
	rm -rf build
	env -u PYTHONPATH SEGCOURSE_SOURCE="$(CURDIR)" $(COLAB_BIN)/pytest -p colab_nbval \
	  --nbval --nbval-current-env $(NOTEBOOKS) \
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

unit: $(VENV)/.installed $(BWRAP)
	$(BIN)/pytest --durations=15 tests --ignore=tests/test_book_build.py --ignore=tests/test_book_browser.py \
	  --ignore=tests/test_site.py --ignore=tests/test_dist.py

# The package's own tests again under Colab's Python and versions (segcourse from this checkout): what depends
# on the versions of TensorFlow, Keras, NumPy and Matplotlib. The tooling tests (book, student edition,
# grading, bench) need the .venv-only extras and run in `unit`.
COLAB_UNIT_TESTS := tests/test_colab_versions.py tests/test_layers.py tests/test_models.py tests/test_runtime.py \
  tests/test_reference.py tests/test_metrics.py tests/test_data.py $(wildcard tests/test_viz*.py) \
  $(wildcard tests/test_check*.py)
unit-colab: $(COLAB_VENV)/.created
	env PYTHONPATH="$(CURDIR)" $(COLAB_BIN)/pytest -p no:cacheprovider --durations=15 $(COLAB_UNIT_TESTS)

# Debian's packages, installed once per machine (CI runs as root with no standard input).
chromium: $(CHROMIUM)

$(CHROMIUM):
	$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get update -qq
	$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium

bwrap: $(BWRAP)

$(BWRAP):
	$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get update -qq
	$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq bubblewrap

# Builds the book and its student edition, then checks the HTML files, the pages in headless Chromium
# (screenshots of the chapters in _build/screenshots/) and that no solution reached the student edition.
book-check: book book-student $(CHROMIUM)
	$(BIN)/pytest tests/test_book_build.py tests/test_book_browser.py tests/test_site.py \
	  tests/test_student.py::test_built_student_book_has_no_solutions

# The browser tests alone, on the book already built (builds it when there is none).
browser: $(VENV)/.installed $(CHROMIUM)
	[ -f _build/html/index.html ] || $(MAKE) book
	$(BIN)/pytest tests/test_book_browser.py

# ruff, and the GitHub workflows (jactionlint, with shellcheck for their `run:` scripts, both from $(BIN)):
# a broken workflow fails here, not on GitHub.
lint: $(VENV)/.installed
	$(BIN)/ruff check segcourse tests
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/jactionlint --no-color --strict-exit

test: lint unit unit-colab nbval book-check dist-check

# The package as PyPI gets it: sdist, then the wheel built from the sdist, into dist/; twine checks their metadata
# and README as PyPI renders it. The release workflow publishes these files.
dist: $(VENV)/.installed
	rm -rf dist
	$(BIN)/python -m build --outdir dist .
	$(BIN)/twine check --strict dist/*

# What a maintainer and a Binder user install, in a fresh virtual environment (tests/test_dist.py, minutes:
# TensorFlow is installed afresh): the sdist and wheel build and pass twine; Binder's requirements
# (binder/requirements.txt, from the repository root, as repo2docker installs them) give an environment in
# which the introduction executes; the wheel installs there and `segcourse info` runs.
dist-check: $(VENV)/.installed
	$(BIN)/pytest tests/test_dist.py

# A release (README, "Cutting a release"): checks, then commits "Release X.Y.Z" (version and Colab cells) and
# tags it vX.Y.Z, then commits X.Y.(Z+1).dev0. Nothing is pushed: `git push origin main vX.Y.Z` publishes.
release: $(VENV)/.installed
	@[ -n "$(VERSION)" ] || { echo "usage: make release VERSION=X.Y.Z"; exit 2; }
	$(BIN)/python -m segcourse.release cut $(VERSION)

# The published site, as the publish workflow lays it out (it runs this for the newest release and for main
# into the same SITE): this checkout's book and student book under SITE, and its student notebooks under
# STUDENT_NOTEBOOKS/<ref>/book (the student-notebooks branch). See segcourse/release.py.
SITE ?= _build/site
STUDENT_NOTEBOOKS ?= _build/student-notebooks
site: book book-student
	$(BIN)/python -m segcourse.release site "$(SITE)" "$(STUDENT_NOTEBOOKS)"

sync: $(VENV)/.installed
	$(BIN)/python -m segcourse.book sync

# The stored outputs come from the Colab stand-in (Colab's Python and package versions), the versions nbval
# runs: the kernel is .venv-colab's python, each notebook's first cell installs segcourse from this checkout.
# CHAPTERS="03_unpooling 05_segnet" executes only those.
notebooks: sync $(COLAB_VENV)/.created
	rm -rf build
	env -u PYTHONPATH SEGCOURSE_SOURCE="$(CURDIR)" $(BIN)/python -m segcourse.book execute \
	  --python "$(CURDIR)/$(COLAB_BIN)/python" $(CHAPTERS)

# The figures of the Performance appendix (book/appendix_performance.md includes book/performance/): every
# measurement side by side in one run, every chapter executed. Tens of minutes on 2 cores: run it on an
# otherwise idle machine. `segcourse bench --quick` (run by tests/test_bench.py) checks the same code in seconds.
bench: $(VENV)/.installed
	$(BIN)/segcourse bench --json book/performance/bench.json --markdown book/performance/table.md \
	  --plot book/performance/bench.png

clean:
	rm -rf _build build .pytest_cache
