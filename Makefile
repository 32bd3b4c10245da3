# The two set-up commands are `make lab` and `make test`; everything they need is installed from here.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)
STAMPS := .make
FRONTEND_SOURCES := $(shell find src schema style buildmeta -type f 2>/dev/null) package.json tsconfig.json
BUILD_TOOLS := 'editables>=0.5' 'hatchling>=1.5' 'hatch-jupyter-builder>=0.9' 'jupyter-builder>=1.2,<2' 'hatch-nodejs-version>=0.3.2'

.PHONY: lab test lint bench env build chromium clean wheel

env: $(STAMPS)/env

$(STAMPS)/env: pyproject.toml world/pyproject.toml package.json
	@mkdir -p $(STAMPS)
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet $(BUILD_TOOLS)
	jlpm install
	$(MAKE) --no-print-directory build
	$(PY) -m pip install --quiet --no-build-isolation -e '.[test]' -e ./world
	jupyter labextension develop --overwrite . >/dev/null
	touch $@

build: studio_collab/labextension/package.json

studio_collab/labextension/package.json: $(FRONTEND_SOURCES)
	jlpm build:prod
	@touch $@

chromium:
	@command -v chromium >/dev/null || { apt-get update -qq && apt-get install -y -qq chromium >/dev/null; }

lab: env build
	$(PY) -m studio_collab.cli demo --scenario demo

# The linters the extension template ships (ESLint + Prettier) and ruff; read-only: `jlpm lint`, `ruff format`
# and `ruff check --fix` apply the fixes.
lint: env
	ruff format --check .
	ruff check .
	jlpm lint:check

test: env build chromium lint
	$(PY) -m pytest tests

bench: env build
	$(PY) -m benchmarks

wheel: env build
	$(PY) -m pip wheel --no-deps --no-build-isolation -w dist .

clean:
	rm -rf $(STAMPS) lib studio_collab/labextension dist tsconfig.tsbuildinfo
