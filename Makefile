# The two commands of the README:  make demo  |  make test
PY := .venv/bin/python
DEMO_DB := data/demo.duckdb
PORT ?= 8501

.PHONY: demo test test-fast bench clean-demo help

help:  ## list targets
	@grep -E '^[a-z-]+:.*##' Makefile | sed 's/:.*##/ -/'

demo:  ## install, build the simulated demo workspace (offline), start the dashboard on it
	scripts/setup.sh runtime
	$(PY) -m ingest --db $(DEMO_DB) demo --if-missing
	IRDASH_DB=$(DEMO_DB) $(PY) -m streamlit run dashboard.py --server.port $(PORT) --server.headless true --browser.gatherUsageStats false

test:  ## install test dependencies (incl. Debian chromium) and run the whole suite
	scripts/setup.sh dev
	$(PY) -m pytest

test-fast:  ## the suite without the browser tests
	$(PY) -m pytest -m "not e2e"

bench:  ## run every benchmark and print its figures
	$(PY) -m bench.ingest
	$(PY) -m bench.event_study
	$(PY) -m bench.dashboard

clean-demo:  ## delete the demo workspace (it is rebuilt by make demo)
	rm -f $(DEMO_DB) $(DEMO_DB).wal
