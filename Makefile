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

NATIVE := $(VENV)/.native-llm
# Built wheels are kept per CPU (its feature flags), so a build is never used on a CPU
# that lacks an instruction it was compiled for.
# AMX tiles are left out: in a VM that does not grant them (an Intel Xeon here, 2026-12-02)
# a build using them crashed loading the model; without them it runs (AVX-512 kept).
NO_AMX := -mno-amx-tile -mno-amx-int8 -mno-amx-bf16
LLAMA_CMAKE_ARGS := -DLLAMA_LLGUIDANCE=OFF -DLLAMA_BUILD_BORINGSSL=OFF \
  -DCMAKE_C_FLAGS='$(NO_AMX)' -DCMAKE_CXX_FLAGS='$(NO_AMX)'
CPU_KEY := $(shell { grep -m1 '^flags' /proc/cpuinfo 2>/dev/null; echo "$(LLAMA_CMAKE_ARGS)"; } | md5sum | cut -c1-12)
WHEELS  := $(or $(XDG_CACHE_HOME),$(HOME)/.cache)/vn-news-assistant/wheels/$(CPU_KEY)

.PHONY: run test install models index lint clean browser fonts native-llm

run: index
	$(PY) -m assistant serve

test: models browser fonts
	$(PY) -m pytest -q

install: $(STAMP)

$(STAMP): pyproject.toml constraints.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -c constraints.txt -e '.[dev]'
	touch $(STAMP)

# llama.cpp compiled for this machine's CPU (the PyPI wheel is built for AVX2 only): on
# the 2-core AVX-512 machines here prompt reading goes from ~73 to ~95 tokens/s. About
# 10 minutes once per CPU kind. The build is kept only if it loads the model and writes
# with it (`assistant models --check-llm`); else the portable wheel stays, and the CPU kind
# is marked so that it is not built again.
native-llm: $(NATIVE)

$(NATIVE): $(STAMP)
	@ver=$$($(PY) -c 'import importlib.metadata as m; print(m.version("xllamacpp"))'); \
	if ! { ls $(WHEELS)/xllamacpp-$$ver-*.whl || ls $(WHEELS)/failed-$$ver; } >/dev/null 2>&1; then \
	  echo "building llama.cpp (xllamacpp $$ver) for this CPU: about 10 minutes, once"; \
	  CMAKE_ARGS="$(LLAMA_CMAKE_ARGS)" CMAKE_BUILD_PARALLEL_LEVEL=$$(nproc) \
	    $(PY) -m pip wheel --quiet --no-deps --no-binary xllamacpp --no-cache-dir \
	    -w $(WHEELS) xllamacpp==$$ver || rm -f $(WHEELS)/xllamacpp-*.whl; \
	fi; \
	if ls $(WHEELS)/xllamacpp-$$ver-*.whl >/dev/null 2>&1; then \
	  $(PY) -m pip install --quiet --no-deps --force-reinstall $(WHEELS)/xllamacpp-$$ver-*.whl; \
	  if ! $(PY) -m assistant models --check-llm; then \
	    echo "warning: llama.cpp built for this CPU does not run here; using the portable build"; \
	    mkdir -p $(WHEELS) && mv $(WHEELS)/xllamacpp-$$ver-*.whl $(WHEELS)/failed-$$ver; \
	    $(PY) -m pip install --quiet --no-deps --force-reinstall --only-binary xllamacpp \
	      -c constraints.txt xllamacpp==$$ver; \
	    $(PY) -m assistant models --check-llm; \
	  fi; \
	else echo "warning: no llama.cpp build for this CPU; keeping the portable build"; fi
	touch $@

models: install
	$(PY) -m assistant models
	@$(MAKE) --no-print-directory native-llm

# Debian's chromium for the browser tests (Playwright drives it; never `playwright install`).
browser:
	command -v chromium >/dev/null || { apt-get update -q && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium chromium-driver; }

# A font with Vietnamese glyphs for the PDFs the tests write (Debian's DejaVu).
fonts:
	test -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf || { apt-get update -q && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -q fonts-dejavu-core; }

index: models
	$(PY) -m assistant index --articles seeds

lint: install
	$(VENV)/bin/ruff check . && $(VENV)/bin/ruff format --check .

clean:
	rm -rf $(VENV) build *.egg-info
