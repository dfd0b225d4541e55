"""The reference app of ``bench.dashboard``: the least a Streamlit + plotly page needs to draw a client's prices.

    IRDASH_DB=data/demo.duckdb python -m streamlit run bench/minimal_app.py

It reads the same workspace file as the dashboard (through ``store``, which opens DuckDB read-only
for one query) and draws the first client's stock over its engagement (the Overview's default
period: "The engagement"): close line above, volume bars below, in one plotly figure. No
sign-in, no analytics, no caching beyond Streamlit's default: what any dashboard of these prices
costs on this machine, so the dashboard's time to its overview chart is read as a ratio to it.
A "Period" select box redraws the chart (the reference for the time from a widget change to the
updated chart). A simulated workspace is said to be simulated, on the page and on the chart.
"""
from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd  # before plotly: see dashboard.py (concurrent first sessions on a cold server)
import plotly.graph_objects as go
import streamlit as st
from plotly.subplots import make_subplots

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # `streamlit run bench/minimal_app.py` puts bench/ first, not the project
    sys.path.insert(0, str(ROOT))

from store import Store  # noqa: E402

PERIODS = ("The engagement", "All history", "Last 3 months of it")

st.set_page_config(page_title="Reference: prices only", layout="wide")
st.title("Reference app: prices only")
store = Store()  # IRDASH_DB, as the dashboard
info = store.workspace_info()
clients = store.clients()
if clients.empty:
    st.info("No client in this workspace: build the demo with `python -m ingest demo`.")
    st.stop()
client = clients.iloc[0]
period = st.selectbox("Period", PERIODS, key="period")
eng = store.engagements(client["client_id"])
start = end = None
if period != "All history" and not eng.empty:
    start, end = pd.Timestamp(eng["start_date"].min()), pd.Timestamp(eng["end_date"].max())
bars = store.bars(client["ticker"], start, end)
if period == "Last 3 months of it" and not bars.empty:
    bars = bars[bars["date"] >= bars["date"].max() - pd.DateOffset(months=3)]
simulated = bool(info.get("simulated"))
if simulated:
    st.warning("Simulated data: every price and volume shown is generated, not market history.")

fig = make_subplots(rows=2, cols=1, shared_xaxes=True, row_heights=[0.7, 0.3], vertical_spacing=0.03)
fig.add_trace(go.Scatter(x=bars["date"], y=bars["close"], name="close", mode="lines"), row=1, col=1)
fig.add_trace(go.Bar(x=bars["date"], y=bars["volume"], name="volume"), row=2, col=1)
title = f"{client['ticker']}: price and volume" + (" (SIMULATED DATA)" if simulated else "")
fig.update_layout(height=520, title=title)
st.plotly_chart(fig, key="prices")
