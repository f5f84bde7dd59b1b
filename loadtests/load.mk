# --- load tests: locust scenarios, dashboards, Flask-vs-BentoML comparisons -------------------
# Included by the main Makefile (which defines PY, VENV, `model`, and exports the CREDIT_*
# settings, BENTOML_HOME and PYTHONPATH). See the README, section "Load tests".
#
#   make load SCENARIO=capacity TARGET=bento RATE=50     one headless run -> reports/<run-id>/
#   make compare SCENARIO=spike REPEATS=5                 Flask vs BentoML -> reports/compare-*/
#   make compare-all                                      every scenario + an index report
#   make locust-flask | locust-bento | locust             web UI (8089 | 8090 | 8091)

SCENARIO       ?= steady
TARGET         ?= flask
REPEATS        ?= 3
RATE           ?=
USERS          ?=
DURATION       ?=
KNOBS          ?=
SERVER_WORKERS ?= 1
PROCESSES      ?= 0
URL            ?=
LOCUST_FLASK_PORT ?= 8089
LOCUST_BENTO_PORT ?= 8090
LOCUST_PORT       ?= 8091
MASTER_HOST    ?= 127.0.0.1
EXPECT_WORKERS ?= 1
LOCUST_TARGETS ?= flask,bento
START_SERVER   ?= 1
REPORT_DIR     ?=

LOAD_KNOBS := $(if $(RATE),--rate $(RATE)) $(if $(USERS),--users $(USERS)) \
              $(if $(DURATION),--duration $(DURATION)) $(foreach k,$(KNOBS),--set $(k)) \
              $(if $(filter-out 0,$(PROCESSES)),--processes $(PROCESSES))
DASH_ARGS  := --workers $(SERVER_WORKERS) $(if $(filter-out 0,$(PROCESSES)),--processes $(PROCESSES)) \
              $(if $(filter 0 no false,$(START_SERVER)),--no-server)

.PHONY: load compare compare-all locust locust-flask locust-bento locust-master locust-worker \
        load-report test-load

load: model ## one headless scenario run: SCENARIO=steady|capacity|spike|bad_input|batch TARGET=flask|bento [RATE= USERS= DURATION= KNOBS="k=v" SERVER_WORKERS=1 URL=]
	$(PY) -m loadtests.run --scenario $(SCENARIO) --target $(TARGET) --workers $(SERVER_WORKERS) \
	  $(if $(URL),--url $(URL)) $(LOAD_KNOBS)

compare: model ## Flask vs BentoML on SCENARIO, same CPU budget, REPEATS=3 -> reports/compare-<scenario>-<date>/report.md
	$(PY) -m loadtests.compare --scenario $(SCENARIO) --repeats $(REPEATS) $(LOAD_KNOBS)

compare-all: model ## every scenario compared (~30 min on 2 cores) + reports/compare-all-<date>/index.md
	$(PY) -m loadtests.compare --scenario all --repeats $(REPEATS) $(LOAD_KNOBS)

locust-flask: model ## locust web UI on :$(LOCUST_FLASK_PORT) against a Flask server it starts (START_SERVER=0: use `make flask`)
	$(PY) -m loadtests.dashboard --targets flask --port $(LOCUST_FLASK_PORT) $(DASH_ARGS)

locust-bento: model ## locust web UI on :$(LOCUST_BENTO_PORT) against a BentoML server it starts (START_SERVER=0: use `make bento`)
	$(PY) -m loadtests.dashboard --targets bento --port $(LOCUST_BENTO_PORT) $(DASH_ARGS)

locust: model ## locust web UI on :$(LOCUST_PORT) with both targets (request names keep them apart)
	$(PY) -m loadtests.dashboard --targets flask,bento --port $(LOCUST_PORT) $(DASH_ARGS)

locust-master: model ## distributed: web UI as a locust master waiting for EXPECT_WORKERS workers (LOCUST_TARGETS=flask,bento)
	$(PY) -m loadtests.dashboard --targets $(LOCUST_TARGETS) --port $(LOCUST_PORT) \
	  --master --expect-workers $(EXPECT_WORKERS) $(DASH_ARGS)

locust-worker: model ## distributed: a locust worker for the master at MASTER_HOST (same LOCUST_TARGETS and LOAD_*_URL as the master)
	$(PY) -m loadtests.dashboard --targets $(LOCUST_TARGETS) --worker \
	  --master-host $(MASTER_HOST) $(if $(filter-out 0,$(PROCESSES)),--processes $(PROCESSES))

load-report: $(STAMP) ## rebuild a comparison report: REPORT_DIR=reports/compare-<scenario>-<date>
	@test -n "$(REPORT_DIR)" || { echo "usage: make load-report REPORT_DIR=reports/compare-..."; exit 2; }
	$(PY) -m loadtests.report $(REPORT_DIR)

test-load: $(STAMP) ## only the load-test tests (scenario smoke runs against real servers, report builder)
	$(PY) -m pytest tests/test_load_*.py $(PYTEST_ARGS)
