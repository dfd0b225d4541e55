"""The Overview's view: key figures, alerts, chart markers and the price chart, from the store and the answer."""
from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from app import charts, loaders
from app.views import common


@common.page_view()
def overview_snapshot(db: str, view) -> dict:
    """Key figures and alerts (analytics.answer.market_snapshot) and the chart markers of the overview page,
    memoised per view and user scope (the markers carry the view's memoised answer's CARs)."""
    from analytics.answer import market_snapshot

    px = common.prices(db, view.ticker, None, view.end)
    eng = common.client_engagement(db, view.client_id)
    snap = market_snapshot(px, loaders.shares_outstanding(db, view.ticker),
                           common.option_status(db, view, eng["grants"]),
                           last_stored=common.prices(db, view.ticker)["date"].iloc[-1],
                           simulated=bool(loaders.workspace_info(db).get("simulated")))
    metrics, alerts, strike, as_of = snap["metrics"], snap["alerts"], snap["strike"], snap["as_of"]
    markers = common.activity_markers(db, view)
    ans = common.answer(db, view)
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
    """:func:`app.charts.price_volume_chart` of these arguments, built once per arguments (``app.memo.derived``:
    the frames are keyed by their content, ~0.2 ms, not the view's data hash, so the page's first paint does
    not wait for the answer's inputs to be read)."""
    return charts.price_volume_chart(prices, markers, benchmark=benchmark, strike=strike, title=title,
                                     simulated=simulated)
