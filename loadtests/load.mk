# --- load tests: scenarios, dashboards, comparisons (python -m loadtests) --------------------
# Included by the main Makefile (which defines PY, VENV, `model`, and exports the CREDIT_*
# settings, BENTOML_HOME and PYTHONPATH). See docs/loadtests.md; `make load-list` shows every
# scenario, profile and knob.
#
#   make load SCENARIO=capacity PROFILE=bento RATE=50    one headless run -> reports/<run-id>/
#   make compare SCENARIO=spike PROFILES=flask,bento      side by side -> reports/compare-*/
#   make compare-all                                      every scenario, 3 profiles + an index report
#   make locust-flask | locust-bento | locust             web UI (8089 | 8090 | 8091)

SCENARIO       ?= steady
PROFILE        ?= $(or $(TARGET),flask)
PROFILES       ?= flask,bento
ALL_PROFILES   ?= flask,bento,bento-notrace
REPEATS        ?= 3
RATE           ?=
USERS          ?=
DURATION       ?=
KNOBS          ?=
SERVER_SET     ?=
SERVER_WORKERS ?= 1
PROCESSES      ?= 0
URL            ?=
LOCUST_FLASK_PORT ?= 8089
LOCUST_BENTO_PORT ?= 8090
LOCUST_PORT       ?= 8091
MASTER_HOST    ?= 127.0.0.1
EXPECT_WORKERS ?= 1
START_SERVER   ?= 1
REPORT_DIR     ?=
LADDER         ?= flask,flask-2w,flask-tuned,flask-features,bento-docs,bento-async,bento,bento-uvloop,bento-timerfix,bento-tuned,bento-notrace,bento-nometrics,bento-tuned-2w
SOAK_MINUTES   ?= 10
CAPACITY       ?= 300
COSTS          ?= 0,0.5,1,2,4,8
ROLLOUT_RATE     ?= 50
ROLLOUT_DURATION ?= 60
ROLLOUT_WORKERS  ?= 1

LOADTESTS  := $(PY) -m loadtests
LOAD_KNOBS := $(if $(RATE),--rate $(RATE)) $(if $(USERS),--users $(USERS)) \
              $(if $(DURATION),--duration $(DURATION)) $(foreach k,$(KNOBS),--set $(k)) \
              $(if $(filter-out 0,$(PROCESSES)),--processes $(PROCESSES)) \
              $(foreach s,$(SERVER_SET),--server-set $(s))
DASH_ARGS  := --workers $(SERVER_WORKERS) $(if $(filter-out 0,$(PROCESSES)),--processes $(PROCESSES)) \
              $(if $(filter 0 no false,$(START_SERVER)),--no-server)

.PHONY: load compare compare-all locust locust-flask locust-bento locust-master locust-worker \
        load-report load-list test-load rollout rollout-compare profile ladder crash soak overload crossover hung fuzz scorecard compose-crash

load: model ## one headless run: SCENARIO= PROFILE=flask|bento|... [RATE= USERS= DURATION= KNOBS="k=v" SERVER_WORKERS=1 URL=]
	$(LOADTESTS) run --scenario $(SCENARIO) --profile $(PROFILE) --workers $(SERVER_WORKERS) \
	  $(if $(URL),--url $(URL)) $(LOAD_KNOBS)

compare: model ## PROFILES side by side on SCENARIO, same CPU budget, REPEATS=3 -> reports/compare-<scenario>-<date>/report.md
	$(LOADTESTS) compare --scenario $(SCENARIO) --profiles $(PROFILES) --repeats $(REPEATS) $(LOAD_KNOBS)

compare-all: model ## every scenario: Flask, BentoML as landed and as `make bento` serves it (ALL_PROFILES, or PROFILES=); ~40 min -> reports/compare-all-<date>/index.md
	$(LOADTESTS) compare --scenario all --repeats $(REPEATS) $(LOAD_KNOBS) \
	  --profiles $(if $(filter command line environment,$(origin PROFILES)),$(PROFILES),$(ALL_PROFILES))

ladder: model ## the tuning ladder: a profile per step (LADDER=...), capacity at SLO, p99 and CPU per request at one rate -> reports/compare-tuning-*/
	$(LOADTESTS) compare --scenario tuning --profiles $(LADDER) --repeats $(REPEATS) $(LOAD_KNOBS)

crossover: model ## where batching pays: capacity of Flask/BentoML, single/batched, vs model cost (COSTS=0,0.5,1,2,4,8)
	$(LOADTESTS) crossover --costs $(COSTS) --repeats $(or $(CROSSOVER_REPEATS),1) $(LOAD_KNOBS)

overload: model ## 1.5x and 3x CAPACITY req/s (the measured capacity, same for all PROFILES): goodput, refusals, recovery
	$(LOADTESTS) compare --scenario overload --profiles $(PROFILES) --repeats $(REPEATS) \
	  --set capacity_rps=$(CAPACITY) $(LOAD_KNOBS)

hung: model ## one request slower than the timeout under a steady load (debug-only delay): what it and its neighbours get
	$(LOADTESTS) compare --scenario hung --profiles $(PROFILES) --repeats $(or $(HUNG_REPEATS),1) $(LOAD_KNOBS)

scorecard: $(STAMP) ## the six properties x both stacks from docs/results/*/summary.json -> docs/results/scorecard.md + README table
	$(LOADTESTS) scorecard

fuzz: model ## schemathesis cases from BentoML's own /docs.json (valid and invalid) to both servers -> reports/fuzz-*/report.md
	$(LOADTESTS) fuzz --examples $(or $(FUZZ_EXAMPLES),200)

crash: model ## SIGKILL a server worker under half load, at 1 and 2 workers: lost requests, stall, recovery (PROFILES=, RATE=)
	$(LOADTESTS) compare --scenario crash --profiles $(PROFILES) --repeats $(REPEATS) $(LOAD_KNOBS)

compose-crash: compose-up ## SIGKILL each server container's main process under load; compose's restart policy heals it (REPEATS=, RATE=)
	$(LOADTESTS) compose-crash --repeats $(REPEATS) $(LOAD_KNOBS)

soak: model ## a long steady load (SOAK_MINUTES=10, RATE=300): memory per worker, p99 drift, errors
	$(LOADTESTS) compare --scenario soak --profiles $(PROFILES) --repeats 1 \
	  --set soak_minutes=$(SOAK_MINUTES) $(LOAD_KNOBS)

profile: model ## diagnosis: py-spy flame graphs, CPU per request by kind of code, GC pauses (PROFILES=, RATE=250 DURATION=30)
	$(LOADTESTS) compare --scenario profile --profiles $(PROFILES) --repeats 1 $(LOAD_KNOBS)

rollout: model ## roll v1 -> v2 -> v1 under steady load: PROFILE=flask|bento (ROLLOUT_RATE= ROLLOUT_DURATION= ROLLOUT_WORKERS=)
	$(LOADTESTS) run --scenario rollout --profile $(PROFILE) --workers $(ROLLOUT_WORKERS) \
	  --rate $(ROLLOUT_RATE) --duration $(ROLLOUT_DURATION) $(LOAD_KNOBS)

rollout-compare: model ## the rollout on every profile of PROFILES, one report with the charts side by side
	$(LOADTESTS) compare --scenario rollout --profiles $(PROFILES) --repeats 1 \
	  --rate $(ROLLOUT_RATE) --duration $(ROLLOUT_DURATION) $(LOAD_KNOBS)

locust-flask: model ## locust web UI on :$(LOCUST_FLASK_PORT) against a Flask server it starts (START_SERVER=0: use `make flask`)
	$(LOADTESTS) dashboard --profiles flask --port $(LOCUST_FLASK_PORT) $(DASH_ARGS)

locust-bento: model ## locust web UI on :$(LOCUST_BENTO_PORT) against a BentoML server it starts (START_SERVER=0: use `make bento`)
	$(LOADTESTS) dashboard --profiles bento --port $(LOCUST_BENTO_PORT) $(DASH_ARGS)

locust: model ## locust web UI on :$(LOCUST_PORT) against every profile of PROFILES (request names keep them apart)
	$(LOADTESTS) dashboard --profiles $(PROFILES) --port $(LOCUST_PORT) $(DASH_ARGS)

locust-master: model ## distributed: web UI as a locust master waiting for EXPECT_WORKERS workers (LOAD_TARGETS=name=url,...)
	$(LOADTESTS) dashboard --profiles $(PROFILES) --port $(LOCUST_PORT) \
	  --master --expect-workers $(EXPECT_WORKERS) $(DASH_ARGS)

locust-worker: model ## distributed: a locust worker for the master at MASTER_HOST (same LOAD_TARGETS as the master)
	$(LOADTESTS) dashboard --worker --master-host $(MASTER_HOST) \
	  $(if $(filter-out 0,$(PROCESSES)),--processes $(PROCESSES))

load-report: $(STAMP) ## rebuild a comparison report: REPORT_DIR=reports/compare-<scenario>-<date>
	@test -n "$(REPORT_DIR)" || { echo "usage: make load-report REPORT_DIR=reports/compare-..."; exit 2; }
	$(LOADTESTS) report $(REPORT_DIR)

load-list: $(STAMP) ## every scenario, server profile and knob
	$(LOADTESTS) list

test-load: $(STAMP) ## only the load-test tests (units, reports on fixtures, smoke runs against real servers)
	$(PY) -m pytest tests/loadtests $(PYTEST_ARGS)
