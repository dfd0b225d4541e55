"""The Overview's view: key figures, alerts, chart markers and the price chart, from the store and the answer."""
from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from app import charts, loaders
from app.views import common


def overview_snapshot(db: str, view, ans=None) -> dict:
    """Key figures and alerts (analytics.answer.market_snapshot) and the chart markers of the overview page
    (``ans``: the view's answer when the page has it already)."""
    from analytics.answer import market_snapshot

    px = common.prices(db, view.ticker, None, view.end)
    eng = common.client_engagement(db, view.client_id)
    snap = market_snapshot(px, loaders.shares_outstanding(db, view.ticker),
                           common.option_status(db, view, eng["grants"]),
                           last_stored=common.prices(db, view.ticker)["date"].iloc[-1],
                           simulated=bool(loaders.workspace_info(db).get("simulated")))
    metrics, alerts, strike, as_of = snap["metrics"], snap["alerts"], snap["strike"], snap["as_of"]
    markers = common.activity_markers(db, view)
    ans = ans if ans is not None else common.answer(db, view)
    if ans is not None and not markers.empty and len(ans.per_activity):
        markers = markers.merge(ans.per_activity[["activity_id", "car", "car_low", "car_high", "p_value"]],
                                on="activity_id", how="left")
    note = (f"As of {as_of:%Y-%m-%d}. Markers sit on the close of the first trading day on or after the "
            "activity; hover for its CAR over the first event window, with its 90% interval.")
    return {"metrics": metrics, "alerts": alerts, "markers": markers, "strike": strike, "note": note}


def program_metrics(db: str, view, ans=None) -> list[tuple]:
    """Programme cost and cost per month from the answer (the two values live in the verdict, with intervals)."""
    ans = ans if ans is not None else common.answer(db, view)
    if ans is None:
        return [("Programme cost", "n/a", None, "No engagement recorded"), ("Cost per month", "n/a", None, None)]
    return [("Programme cost", ans.figure("cost"), None,
             "Retainer shares at their value when issued + the option at its grant-date fair value + finder's "
             "fees + activity costs"),
            ("Cost per month", ans.figure("cost_per_month"), None, "Programme cost / months of the engagement")]


def price_chart(prices: pd.DataFrame, markers: pd.DataFrame | None, *, benchmark: pd.DataFrame | None = None,
                strike: float | None = None, title: str | None = None, simulated: bool = False) -> go.Figure:
    """:func:`app.charts.price_volume_chart` of these arguments, built once per arguments.

    The page draws it on every rerun (a widget change, the draft of a session's first view): the
    figure's dict is cached and the figure rebuilt from it without validating it again
    (:func:`app.charts.figure_from_dict`, ~3 ms instead of ~50-100 ms of CPU); the JSON sent is the same.
    The key is the arguments themselves (``st.cache_data`` hashes the frames, ~1 ms): keying on the
    view's data hash would read every input of the answer before the draft chart is sent, and the
    first paint waited for it (bench.dashboard: cold 1.21x -> 1.48x of the minimal app).
    """
    return charts.figure_from_dict(_price_chart_spec(prices, markers, benchmark, strike, title, simulated))


@st.cache_data(ttl=common.TTL_SECONDS, max_entries=32, show_spinner=False)
def _price_chart_spec(prices, markers, benchmark, strike, title, simulated) -> dict:
    return charts.price_volume_chart(prices, markers, benchmark=benchmark, strike=strike, title=title,
                                     simulated=simulated).to_dict()
