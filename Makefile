# The two commands of the README:  make demo  |  make test
PY := .venv/bin/python
DEMO_DB := data/demo.duckdb
PORT ?= 8501
ADDRESS ?= 127.0.0.1
DB ?= data/irdash.duckdb
SECRETS ?= .streamlit/secrets.toml

.PHONY: demo serve test test-fast bench clean-demo help

help:  ## list targets
	@grep -E '^[a-z-]+:.*##' Makefile | sed 's/:.*##/ -/'

demo:  ## install, build the simulated demo workspace (offline), start the dashboard on it
	scripts/setup.sh runtime
	$(PY) -m ingest --db $(DEMO_DB) demo --if-missing
	@echo "demo: local demo, no sign-in, only this machine can open it: http://127.0.0.1:$(PORT)"
	IRDASH_MODE=demo IRDASH_DB=$(DEMO_DB) $(PY) -m streamlit run dashboard.py --server.address 127.0.0.1 --server.port $(PORT) --server.headless true --browser.gatherUsageStats false

serve:  ## deployment: sign-in required ([auth] in SECRETS), users from the workspace; ADDRESS=0.0.0.0 DB=... SECRETS=...
	scripts/setup.sh runtime
	IRDASH_MODE=deploy IRDASH_DB=$(DB) $(PY) -m app.auth serve --address $(ADDRESS) --port $(PORT) --secrets $(SECRETS)

test:  ## install test dependencies (incl. Debian chromium) and run the whole suite
	scripts/setup.sh dev
	$(PY) -m pytest -m "not e2e" -n 2
	$(PY) -m pytest -m e2e

test-fast:  ## the suite without the browser tests
	$(PY) -m pytest -m "not e2e"

bench:  ## run every benchmark and print its figures
	$(PY) -m bench.ingest
	$(PY) -m bench.event_study
	$(PY) -m bench.dashboard
	$(PY) -m bench.campaign
	$(PY) -m bench.calibration
	$(PY) -m bench.load

clean-demo:  ## delete the demo workspace (it is rebuilt by make demo)
	rm -f $(DEMO_DB) $(DEMO_DB).wal
