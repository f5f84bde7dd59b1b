# Credit-risk model served two ways: Flask+gunicorn (baseline) and BentoML 1.4.
# `make help` lists the targets. Every knob below can be overridden: `make flask FLASK_WORKERS=1`.

SHELL := /bin/bash
.DEFAULT_GOAL := help

# --- knobs (exported to the code as CREDIT_* settings, see shared/settings.py) -------------
PYTHON        ?= python3.11
HOST          ?= 0.0.0.0
FLASK_PORT    ?= 9696
FLASK_WORKERS ?= 2
BENTO_PORT    ?= 3000
BENTO_WORKERS ?= 2
MODEL_VERSION ?=
TRAIN_ARGS    ?=
BENTOML_HOME  ?= $(CURDIR)/.bentoml
PYTEST_ARGS   ?=

export CREDIT_HOST          := $(HOST)
export CREDIT_FLASK_PORT    := $(FLASK_PORT)
export CREDIT_FLASK_WORKERS := $(FLASK_WORKERS)
export CREDIT_BENTO_PORT    := $(BENTO_PORT)
export CREDIT_BENTO_WORKERS := $(BENTO_WORKERS)
export CREDIT_MODEL_VERSION := $(MODEL_VERSION)
export BENTOML_HOME
export BENTOML_DO_NOT_TRACK := true
export PYTHONPATH := $(CURDIR)

VENV  := .venv
PY    := $(VENV)/bin/python
# uv is pinned (with hashes) in requirements-dev.lock like every other tool: never a global one.
UV    := $(VENV)/bin/uv
STAMP := $(VENV)/.installed-$(shell cat requirements-dev.lock 2>/dev/null | cksum | cut -d' ' -f1)
# `$(LOCKED) FILE CMD...` runs CMD holding an exclusive lock on FILE (a portable flock(1)), so
# targets started together on a fresh clone (make flask & make bento) set up once, in turn.
LOCKED := $(PYTHON) -c 'import fcntl, subprocess, sys; f = open(sys.argv[1], "a"); \
  fcntl.flock(f, fcntl.LOCK_EX); sys.exit(subprocess.call(sys.argv[2:]))'

.PHONY: help setup setup-locked model train models promote flask bento bento-import bento-build test lint format \
        lock bench-predictor drift-demo clean

help: ## list the targets
	@grep -hE '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | \
	  awk 'BEGIN {FS = ":.*## "} {printf "  \033[36m%-18s\033[0m %s\n", $$1, $$2}'

# --- set-up ---------------------------------------------------------------------------------
# The venv, from the hash-pinned lock: a plain venv, uv installed into it by pip from the lock's
# own uv entry (hash-checked), then `uv pip sync` of the whole lock (which keeps uv, drops pip).
# Idempotent, and safe to start twice at once: the second waits for the lock, then finds the
# stamp and does nothing.
$(STAMP): requirements-dev.lock
	@$(LOCKED) .setup.lock $(MAKE) --no-print-directory setup-locked

setup-locked:
	@if [ -f $(STAMP) ]; then exit 0; fi; set -e; \
	test -x $(PY) || { echo "creating $(VENV) with $(PYTHON)"; $(PYTHON) -m venv $(VENV); }; \
	if ! $(UV) --version >/dev/null 2>&1; then \
	  $(PY) -m pip --version >/dev/null 2>&1 || $(PY) -m ensurepip --default-pip >/dev/null; \
	  $(PYTHON) deploy/lock_subset.py requirements-dev.lock uv > $(VENV)/uv-requirement.txt; \
	  $(PY) -m pip install --quiet --disable-pip-version-check --require-hashes --no-deps \
	    -r $(VENV)/uv-requirement.txt; \
	fi; \
	$(UV) pip sync --python $(PY) --require-hashes requirements-dev.lock; \
	rm -f $(VENV)/.installed-* && touch $(STAMP)

setup: $(STAMP) ## create .venv from the hash-pinned lock (done by every target that needs it)

model: $(STAMP) ## get the data and train the course model, only if no model was trained yet
	$(PY) -m shared.training.train --if-missing

# --- model ----------------------------------------------------------------------------------
train: $(STAMP) ## (re)train; prints validation/test AUC and the new version (TRAIN_ARGS=--rounds 100 ...)
	$(PY) -m shared.training.train $(TRAIN_ARGS)

models: $(STAMP) ## list the model versions on disk with their metadata
	$(PY) -m shared.tools.versions

promote: $(STAMP) ## make VERSION=<v> the CURRENT model (and put it in the BentoML store)
	@test -n "$(VERSION)" || { echo "usage: make promote VERSION=<version> (see make models)"; exit 2; }
	$(PY) -m shared.tools.versions promote $(VERSION)
	$(PY) -m bento_app.import_model

# --- servers --------------------------------------------------------------------------------
flask: model ## serve the model with Flask + gunicorn on :$(FLASK_PORT)
	exec $(VENV)/bin/gunicorn -c flask_app/gunicorn_conf.py 'flask_app:create_app()'

bento-import: model ## import every artifact version into the BentoML model store (idempotent)
	$(PY) -m bento_app.import_model --all

bento: model ## serve the model with BentoML on :$(BENTO_PORT) (imports it first)
	exec $(PY) -m bento_app.serve

bento-build: model ## build a bento (pinned packages, model included; no Docker needed)
	$(PY) -m bento_app.build

# --- quality --------------------------------------------------------------------------------
test: $(STAMP) ## run the whole test suite (CI runs exactly this)
	$(PY) -m pytest $(PYTEST_ARGS)

lint: $(STAMP) ## ruff lint + format check
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: $(STAMP) ## apply ruff fixes and formatting
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

lock: $(STAMP) ## recompile the hash-pinned lock files from pyproject.toml
	$(UV) pip compile pyproject.toml --generate-hashes --python-version 3.11 --no-header \
	  --upgrade -o requirements.lock
	$(UV) pip compile pyproject.toml --extra dev --generate-hashes --python-version 3.11 \
	  --no-header -c requirements.lock -o requirements-dev.lock

drift-demo: model ## load the same pickle under other scikit-learn/xgboost versions; writes reports/drift/
	$(PY) -m shared.tools.drift_demo

bench-predictor: model ## micro-benchmark: Predictor per-call/per-row cost vs xgboost's floor
	$(PY) -m shared.tools.bench_predictor

clean: ## remove the venv, trained models, the BentoML store and reports (keeps data/)
	rm -rf $(VENV) .setup.lock .cache models .bentoml reports .pytest_cache .ruff_cache

# --- load tests (targets in loadtests/load.mk) ----------------------------------------------
-include loadtests/load.mk

# --- containers, compose, kubernetes (targets in deploy/compose.mk) -------------------------
-include deploy/compose.mk
