"""Data: what is stored (coverage, sources, quality flags), refresh or add a ticker, upload a CSV, the log."""
from __future__ import annotations

import datetime as dt

import streamlit as st

from app import actions, analysis, loaders, ui

db, info = ui.page_header("Data", "Tracked tickers and benchmarks, coverage and quality. Loading runs the "
                          "ingest job here; pages never call Yahoo while they render.")

cov = loaders.coverage(db) if not info.get("missing") else None
if cov is None or cov.empty:
    ui.empty_state(f"No ticker is stored in `{db}` yet.", "Add one below (yfinance or a Yahoo-format CSV), or "
                   "build the simulated demo with `python -m ingest demo`.")
else:
    st.subheader("Coverage")
    ui.table(analysis.coverage_table(cov), "coverage", None, key="coverage", simulated=bool(info.get("simulated")))
    flags = analysis.quality_flags(db, cov)
    st.subheader("Quality flags")
    if flags.empty:
        st.success("No zero-volume days, gaps, flagged bars or splits.")
    else:
        ui.table(flags, "quality-flags", None, key="flags")

st.subheader("Add a ticker or refresh")
c1, c2, c3 = st.columns([2, 1, 1])
new_ticker = c1.text_input("Ticker (as Yahoo spells it)", key="w_new_ticker", placeholder="e.g. AAPL or ^RUT")
start = c2.date_input("From", value=dt.date.today() - dt.timedelta(days=365 * 5), key="w_new_start")
if c3.button("Load from yfinance", key="load_ticker", disabled=not new_ticker.strip()):
    with st.status(f"Loading {new_ticker.strip().upper()} from yfinance...", expanded=True) as box:
        ok, message = actions.run_ingest(db, "load", box.write, ticker=new_ticker.strip().upper(), start=start)
        box.update(label=message, state="complete" if ok else "error")
    loaders.clear()
if st.button("Refresh every tracked ticker", key="refresh_all", disabled=cov is None or cov.empty):
    with st.status("Refreshing tracked tickers...", expanded=True) as box:
        ok, message = actions.run_ingest(db, "refresh", box.write)
        box.update(label=message, state="complete" if ok else "error")
    loaders.clear()

st.subheader("Add or update a client")
with st.form("client_form", border=True):
    f1, f2, f3, f4 = st.columns(4)
    client_id = f1.text_input("Client id", placeholder="e.g. acme", help="Lower-case letters, digits, - or _")
    client_name = f2.text_input("Name", placeholder="Acme Mining Corp.")
    client_ticker = f3.text_input("Ticker", placeholder="e.g. ACME", help="Load its prices above")
    client_bench = f4.text_input("Benchmark", placeholder="e.g. ^RUT", help="Index for the market model")
    if st.form_submit_button("Save client"):
        ok, message = actions.save_client(db, client_id, client_name, client_ticker, client_bench)
        (st.success if ok else st.error)(message)
        if ok:
            loaders.clear()
st.caption("The engagement's terms (retainer, option grants, financings, shares outstanding) are recorded on the "
           "**Engagement** page under *Edit the terms*, or from a TOML file with `python -m ingest import-terms`.")

st.subheader("Upload a Yahoo-format CSV")
up_ticker = st.text_input("Ticker of the file", key="w_csv_ticker")
upload = st.file_uploader("Date,Open,High,Low,Close,Adj Close,Volume", type=["csv"], key="w_csv_file")
if upload is not None and st.button("Load CSV", key="load_csv", disabled=not up_ticker.strip()):
    with st.status(f"Loading {upload.name}...", expanded=True) as box:
        ok, message = actions.run_ingest(db, "csv", box.write, ticker=up_ticker.strip().upper(),
                                         file_name=upload.name, data=upload.getvalue())
        box.update(label=message, state="complete" if ok else "error")
    (st.success if ok else st.error)(message)
    loaders.clear()

st.subheader("Ingest log")
log = loaders.ingest_log(db, 50) if not info.get("missing") else None
if log is None or log.empty:
    ui.empty_state("No ingest job has run on this workspace yet.")
else:
    st.dataframe(log, hide_index=True, key="ingest_log")
