"""Overview: the chosen ticker's price and volume with every activity, key figures and alerts."""
from __future__ import annotations

import plotly.graph_objects as go
import streamlit as st

# Speed of the first paint: the title and an empty chart frame go out before pandas, the store and
# the analytics are imported, so the browser loads and compiles plotly.js (~1 s) while the server works.
st.title("Overview")
header = st.container()
verdict_box = st.container()  # the verdict opens the page; filled once the answer is computed
top = st.container()
chart_slot = st.empty()
if not st.session_state.get("overview_drawn"):
    chart_slot.plotly_chart(go.Figure(layout={
        "height": 520, "xaxis": {"visible": False}, "yaxis": {"visible": False},
        "annotations": [{"text": "Loading prices...", "showarrow": False, "xref": "paper", "yref": "paper"}]}),
        config={"displayModeBar": False})

from app import ui  # noqa: E402 - after the first paint, see above
from app.views import common  # noqa: E402
from app.views import overview as views  # noqa: E402

db, info = ui.page_header(None, container=header)
if ui.no_workspace(db, info):
    chart_slot.empty()
    st.stop()
view = ui.sidebar_view(db)
simulated = bool(info.get("simulated"))
if view.ticker is None:
    chart_slot.empty()
    ui.empty_state("No ticker is loaded yet.", "Add one on the **Data** page (yfinance or a Yahoo CSV), "
                   "or build the demo workspace with `python -m ingest demo`.")
    st.stop()

prices = common.prices(db, view.ticker, view.start, view.end)
if prices.empty:
    chart_slot.empty()
    ui.empty_state(f"No prices of {view.ticker} in this period.", "Choose another period in the sidebar, "
                   "or load the ticker's history on the **Data** page.")
    st.stop()

metrics_row = top.container()  # filled once the chart is on screen: the chart is what users wait for
alerts_box = top.container()
show_bench = top.toggle("Benchmark rebased on the same axis", value=False, key="w_show_bench",
                       disabled=not view.benchmark)
benchmark = common.prices(db, view.benchmark, view.start, view.end) if show_bench and view.benchmark else None
benchmark = None if benchmark is None else benchmark[["date", "close"]]
title = f"{view.ticker}: price, volume and IR activities"
if not st.session_state.get("overview_drawn"):
    # A session's first view: draw a draft from the store alone (prices and activity markers) so the
    # browser loads plotly.js while the event study (hover CARs) and the option (strike) are computed.
    chart_slot.plotly_chart(views.price_chart(prices, common.activity_markers(db, view),
                                              benchmark=benchmark, title=title, simulated=simulated),
                            config={"displaylogo": False})

ans = common.answer(db, view)  # once per run: every figure below is read from it
snap = views.overview_snapshot(db, view)
cols = ui.metric_grid(metrics_row, len(snap["metrics"]) + 2)
for col, item in zip(cols, snap["metrics"]):
    ui.metric(col, *item)
for level, text in snap["alerts"]:
    getattr(alerts_box, level)(text)

fig = views.price_chart(prices, snap["markers"], benchmark=benchmark, strike=snap["strike"], title=title,
                        simulated=simulated)
with chart_slot.container():
    ui.chart(fig, "price-volume", view, key="overview", simulated=simulated)
st.session_state["overview_drawn"] = True
if snap["markers"].empty:
    ui.empty_state("No activities logged in this period yet.", "Log them on the **Activities** page.")
st.caption(snap["note"])

for col, item in zip(cols[len(snap["metrics"]):], views.program_metrics(db, view, ans)):
    ui.metric(col, *item)

if ans is not None:
    with verdict_box:
        st.subheader("Verdict")
        ui.sentences(ans.verdict or [ans.error or "No verdict yet."])
        with st.expander("Headline figures and method"):
            ui.sentences([f"{label}: {text}" for _, label, text in ans.headline])
            ui.text(ans.reproducibility, caption=True)
            ui.csv_download(ans.headline_frame(), "headline-figures", view, key="headline", simulated=simulated,
                            label="Download headline figures (CSV)")
