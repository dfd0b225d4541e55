"""Overview: the chosen ticker's price and volume with every activity, key figures and alerts."""
from __future__ import annotations

import streamlit as st

from app import analysis, charts, ui

db, info = ui.page_header("Overview")
if ui.no_workspace(db, info):
    st.stop()
view = ui.sidebar_view(db)
simulated = bool(info.get("simulated"))
if view.ticker is None:
    ui.empty_state("No ticker is loaded yet.", "Add one on the **Data** page (yfinance or a Yahoo CSV), "
                   "or build the demo workspace with `python -m ingest demo`.")
    st.stop()

prices = analysis.prices(db, view.ticker, view.start, view.end)
if prices.empty:
    ui.empty_state(f"No prices of {view.ticker} in this period.", "Choose another period in the sidebar, "
                   "or load the ticker's history on the **Data** page.")
    st.stop()

snap = analysis.overview_snapshot(db, view)
cols = st.columns(6)
for col, (label, value, delta, help_text) in zip(cols, snap["metrics"]):
    col.metric(label, value, delta, help=help_text, border=True)
program = cols[len(snap["metrics"]):]  # filled after the chart, which is what users wait for

for level, text in snap["alerts"]:
    getattr(st, level)(text)

show_bench = st.toggle("Benchmark rebased on the same axis", value=False, key="w_show_bench",
                       disabled=not view.benchmark)
benchmark = analysis.prices(db, view.benchmark, view.start, view.end) if show_bench and view.benchmark else None
fig = charts.price_volume_chart(
    prices, snap["markers"], benchmark=None if benchmark is None else benchmark[["date", "close"]],
    strike=snap["strike"], title=f"{view.ticker}: price, volume and IR activities", simulated=simulated,
)
ui.chart(fig, "price-volume", view, key="overview", simulated=simulated)
if snap["markers"].empty:
    ui.empty_state("No activities logged in this period yet.", "Log them on the **Activities** page.")
st.caption(snap["note"])

for col, (label, value, delta, help_text) in zip(program, analysis.program_metrics(db, view)):
    col.metric(label, value, delta, help=help_text, border=True)
