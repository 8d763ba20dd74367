# Two commands for a fresh machine:
#   make run   - venv, install, fetch + verify models, index seeds/, start the web chat
#   make test  - the same setup, then the whole test suite (unit + real-model integration)
# Both are idempotent: finished steps are skipped.

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
export GRADIO_ANALYTICS_ENABLED := False
export ANONYMIZED_TELEMETRY := False

.PHONY: run test install models index lint clean browser

run: index
	$(PY) -m assistant serve

test: models browser
	$(PY) -m pytest -q

install: $(STAMP)

$(STAMP): pyproject.toml constraints.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -c constraints.txt -e '.[dev]'
	touch $(STAMP)

models: install
	$(PY) -m assistant models

# Debian's chromium for the browser tests (Playwright drives it; never `playwright install`).
browser:
	command -v chromium >/dev/null || { apt-get update -q && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium chromium-driver; }

index: models
	$(PY) -m assistant index --articles seeds

lint: install
	$(VENV)/bin/ruff check . && $(VENV)/bin/ruff format --check .

clean:
	rm -rf $(VENV) build *.egg-info
