# Chapterhouse: `make run` to try it, `make test` to check it. See README.md.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
HOST ?= 127.0.0.1
PORT ?= 8000
# Every link in every email is built from SITE_URL: `make run` serves, and links to, HOST:PORT.
SITE_URL ?= http://$(HOST):$(PORT)
PYTEST_ARGS ?=

# The first Python 3.12 or newer: python3.12 (as .python-version asks), python3.13, pyenv's.
FIND_PYTHON = for candidate in python3.12 python3.13 $$HOME/.pyenv/versions/3.1[2-9]*/bin/python3 python3; do \
	if command -v $$candidate >/dev/null 2>&1 && \
	   $$candidate -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)' >/dev/null 2>&1; then \
		echo $$candidate; break; fi; done

.PHONY: help run test install system-deps lint bench clean

AXE := tests/a11y/node_modules/axe-core/axe.min.js
VNU := tests/vnu/node_modules/vnu-jar/build/dist/vnu.jar

help:
	@echo "make run    set up everything and start web + Celery worker + beat on http://$(HOST):$(PORT)"
	@echo "make test   set up everything and run the whole test suite"
	@echo "make lint   ruff"
	@echo "make bench  benchmarks on PostgreSQL (see README)"

$(PY):
	@python=$$($(FIND_PYTHON)); \
	if [ -z "$$python" ]; then \
		echo "Chapterhouse needs Python 3.12 or newer (python3.12, python3.13 or pyenv's); none was found." >&2; \
		echo "Install one, e.g.  pyenv install 3.12  or  apt-get install python3.12-venv" >&2; exit 1; fi; \
	echo "Creating $(VENV) with $$python ($$($$python --version))"; \
	$$python -m venv $(VENV)

$(STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP)

# Debian packages the tests use: Chromium for the browser tests, faketime to start a real
# Celery worker at the test's instant, Java for the HTML checker (vnu.jar). Installed when we
# can, otherwise we say how.
system-deps:
	@missing=""; \
	[ -x /usr/bin/chromium ] || missing="$$missing chromium"; \
	command -v faketime >/dev/null || missing="$$missing faketime"; \
	command -v java >/dev/null || missing="$$missing default-jre-headless"; \
	if [ -n "$$missing" ]; then \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
			echo "Installing$$missing for the tests"; \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
		else \
			echo "The tests need$$missing. Run:  sudo apt-get install -y$$missing" >&2; exit 1; \
		fi; \
	fi

# axe-core for the accessibility tests, from the npm registry (pinned by package-lock.json).
$(AXE): tests/a11y/package.json tests/a11y/package-lock.json
	@command -v npm >/dev/null || { echo "The accessibility tests need Node.js and npm: apt-get install -y npm" >&2; exit 1; }
	npm ci --prefix tests/a11y --no-audit --no-fund --silent
	@touch $(AXE)

# The W3C Nu Html Checker for the crawl test, from the npm registry (pinned by package-lock.json).
# --ignore-scripts: its install script would download a Java of its own; Debian's is used.
$(VNU): tests/vnu/package.json tests/vnu/package-lock.json
	@command -v npm >/dev/null || { echo "The HTML check needs Node.js and npm: apt-get install -y npm" >&2; exit 1; }
	npm ci --prefix tests/vnu --no-audit --no-fund --silent --ignore-scripts
	@touch $(VNU)

run: install
	$(PY) manage.py migrate --noinput
	$(PY) manage.py seed_demo
	@echo
	@echo "Chapterhouse on http://$(HOST):$(PORT)/  (mail goes to var/mail/; Ctrl-C stops all)"
	@trap 'kill $$(jobs -p) 2>/dev/null; wait' INT TERM EXIT; \
	SITE_URL=$(SITE_URL) $(VENV)/bin/celery -A config worker -B --pool solo --loglevel INFO \
		--schedule var/celerybeat-schedule & \
	SITE_URL=$(SITE_URL) $(PY) manage.py runserver $(HOST):$(PORT) & \
	wait

# Tests read DEBUG from the environment only for settings; pytest-django runs them with DEBUG off.
test: install system-deps $(AXE) $(VNU)
	DEBUG=$${DEBUG:-true} $(VENV)/bin/pytest $(PYTEST_ARGS)

lint: install
	$(VENV)/bin/ruff check .

bench: install
	$(PY) -m pip install --quiet -e '.[dev,bench]'
	DEBUG=$${DEBUG:-true} $(PY) -m tests.bench

clean:
	rm -rf $(VENV) var build *.egg-info
