"""Plot helpers: what each draws, on tiny named frames."""
from __future__ import annotations

import pandas as pd
import pytest

from app import charts

STAKE = pd.DataFrame({
    "date": pd.to_datetime(["1999-01-04", "1999-01-05", "1999-01-06"]),
    "retainer_value": [3_500.0, 3_600.0, 7_200.0],
    "option_fair_value": [26_000.0, 30_000.0, 31_000.0],
    "company_cum_abnormal_value": [200_000.0, 1_800_000.0, 7_700_000.0],
})
NAMES = {"retainer_value": "retainer", "option_fair_value": "option", "company_cum_abnormal_value": "company"}


@pytest.mark.parametrize("columns, axes", [
    (NAMES, {"company": "y", "retainer": "y2", "option": "y2"}),
    ({"retainer_value": "retainer"}, {"retainer": "y"}),
    ({"company_cum_abnormal_value": "company"}, {"company": "y"}),
], ids=["company-over-consultant", "consultant-only", "company-only"])
def test_stake_chart_puts_company_and_consultant_on_their_own_scales(columns, axes):
    fig = charts.stake_chart(STAKE, columns, company="company_cum_abnormal_value", simulated=True)
    assert {t.name: t.yaxis for t in fig.data} == axes
    by_name = {t.name: list(t.y) for t in fig.data}
    for col, name in columns.items():
        assert by_name[name] == STAKE[col].tolist()
    assert any("SIMULATED" in a.text.upper() for a in fig.layout.annotations)


def test_stake_chart_without_data_says_so():
    fig = charts.stake_chart(STAKE.iloc[:0], NAMES, company="company_cum_abnormal_value")
    assert not fig.data and fig.layout.annotations[0].text == "Nothing to show."


# --- the price chart built in one pass draws the figure the step-by-step build drew -------------------------------

def _reference_price_volume_chart(prices, activities=None, *, benchmark=None, strike=None, title=None,
                                  simulated=False):
    """The former build, kept as the reference: make_subplots, one add_trace per trace, add_hline for the strike."""
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, row_heights=[0.72, 0.28], vertical_spacing=0.03)
    if prices.empty:
        return charts.empty_figure("No prices in this period.", title)
    prices = prices.sort_values("date")
    fig.add_trace(go.Scatter(x=prices["date"], y=prices["close"], name="Close", mode="lines",
                             line=dict(color=charts.PRICE_COLOUR, width=1.6),
                             hovertemplate="%{x|%Y-%m-%d}<br>close %{y:.4f}<extra></extra>"), row=1, col=1)
    fig.add_trace(go.Bar(x=prices["date"], y=prices["volume"], name="Volume", marker_color=charts.VOLUME_COLOUR,
                         hovertemplate="%{x|%Y-%m-%d}<br>volume %{y:,.0f}<extra></extra>", showlegend=False),
                  row=2, col=1)
    if benchmark is not None and not benchmark.empty:
        bench = benchmark.sort_values("date")
        bench = bench[(bench["date"] >= prices["date"].iloc[0]) & (bench["date"] <= prices["date"].iloc[-1])]
        if not bench.empty and bench["close"].iloc[0]:
            rebased = bench["close"] / bench["close"].iloc[0] * prices["close"].iloc[0]
            fig.add_trace(go.Scatter(x=bench["date"], y=rebased, name="Benchmark (rebased)", mode="lines",
                                     line=dict(color=charts.BENCH_COLOUR, width=1.2, dash="dot"),
                                     hovertemplate="%{x|%Y-%m-%d}<br>benchmark rebased %{y:.4f}<extra></extra>"),
                          row=1, col=1)
    if strike is not None:
        fig.add_hline(y=strike, line=dict(color=charts.STRIKE_COLOUR, width=1, dash="dash"),
                      annotation_text=f"strike {strike:g}", annotation_position="top left", row=1, col=1)
    if activities is not None and not activities.empty:
        marks = pd.merge_asof(
            activities.assign(date=pd.to_datetime(activities["date"]).astype("datetime64[ns]")).sort_values("date"),
            prices[["date", "close"]].rename(columns={"date": "bar_date"}).astype({"bar_date": "datetime64[ns]"}),
            left_on="date", right_on="bar_date", direction="forward")
        marks["close"] = marks["close"].fillna(prices["close"].iloc[-1])
        if "car" not in marks:
            marks["car"] = float("nan")
        marks["car_text"] = marks["car"].map(lambda v: "n/a" if pd.isna(v) else f"{v:+.1%}")
        if {"car_low", "car_high"} <= set(marks.columns):
            marks["car_text"] = [t if pd.isna(lo) or pd.isna(hi) else f"{t} (90% interval {lo:+.1%} to {hi:+.1%})"
                                 for t, lo, hi in zip(marks["car_text"], marks["car_low"], marks["car_high"])]
        marks["label"] = marks["type"].map(charts.activity_label)
        for code, group in marks.groupby("type", sort=False):
            fig.add_trace(go.Scatter(
                x=group["date"], y=group["close"], mode="markers", name=charts.activity_label(code),
                marker=dict(color=charts.type_colour(code), size=10, symbol=charts.TYPE_SYMBOLS.get(code, "diamond"),
                            line=dict(width=1, color="white")),
                customdata=group[["label", "title", "car_text"]].to_numpy(),
                hovertemplate=("%{x|%Y-%m-%d}<br>%{customdata[0]}<br>%{customdata[1]}"
                               "<br>CAR %{customdata[2]}<extra></extra>")), row=1, col=1)
    fig.update_yaxes(title_text="Price (USD)", row=1, col=1)
    fig.update_yaxes(title_text="Volume (shares)", row=2, col=1)
    return charts._finish(fig, title, simulated, height=520)


def _sent(fig) -> dict:
    """The figure as Streamlit sends it to the browser (plotly.io.to_json), parsed."""
    import json

    import plotly.io as pio

    return json.loads(pio.to_json(fig, validate=False))


@pytest.fixture(scope="module")
def demo_frames(demo_db):
    """The demo's AXGI bars, its benchmark's, and its activities with CARs and intervals (simulated)."""
    from analytics.__main__ import answer_inputs
    from analytics.settings import DEFAULTS
    from store import Store

    inputs = answer_inputs(Store(demo_db), "auxer", DEFAULTS)
    acts = inputs.activities[["activity_id", "date", "type", "title"]].copy()
    acts["car"] = [(-1) ** i * 0.001 * i for i in range(len(acts))]
    acts.loc[acts.index[::3], "car"] = float("nan")  # some without a CAR ("n/a")
    acts["car_low"], acts["car_high"] = acts["car"] - 0.02, acts["car"] + 0.02
    return inputs.prices, inputs.market[["date", "close"]], acts


@pytest.mark.parametrize("name, kwargs", [
    ("prices only", {}),
    ("markers with CARs", {"activities": True}),
    ("markers without CARs", {"activities": "plain"}),
    ("everything: benchmark, strike, title, simulated", {"activities": True, "benchmark": True, "strike": 0.04,
                                                         "title": "AXGI: price, volume and IR activities",
                                                         "simulated": True}),
    ("strike without markers", {"strike": 0.0390625}),
    ("no prices", {"empty": True}),
])
def test_price_volume_chart_sends_the_figure_the_former_build_sent(demo_frames, name, kwargs):
    prices, market, acts = demo_frames
    kw = dict(kwargs)
    px = prices.iloc[:0] if kw.pop("empty", False) else prices
    which = kw.pop("activities", None)
    kw["activities"] = (acts if which is True else acts[["activity_id", "date", "type", "title"]] if which else None)
    kw["benchmark"] = market if kw.pop("benchmark", False) else None
    new, old = charts.price_volume_chart(px, **kw), _reference_price_volume_chart(px, **kw)
    assert _sent(new) == _sent(old), name
    if which:
        assert len(new.data) == 2 + (kw["benchmark"] is not None) + acts["type"].nunique()


def test_a_figure_rebuilt_from_its_cached_dict_is_sent_unchanged(demo_frames):
    prices, market, acts = demo_frames
    fig = charts.price_volume_chart(prices, acts, benchmark=market, strike=0.04, title="t", simulated=True)
    rebuilt = charts.figure_from_dict(fig.to_dict())
    assert _sent(rebuilt) == _sent(fig)
    # the cached dict is not shared with the figure: changing one leaves the other
    spec = fig.to_dict()
    charts.figure_from_dict(spec).update_layout(title_text="changed")
    assert spec["layout"]["title"]["text"] == "t"
