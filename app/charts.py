"""Plot helpers: each takes tidy DataFrames and returns a go.Figure. They only draw.

Pages compose them and the exports reuse the very same figures, so what is downloaded is
what is on screen. Every helper accepts ``simulated=True`` to stamp the figure itself with a
"SIMULATED DATA" mark, which therefore survives in PNG/SVG/HTML exports and in the report.
"""
from __future__ import annotations

import copy
import functools

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from analytics.constants import ACTIVITY_TYPE_CODES, activity_label
from app import memo

# Eleven activity types: no qualitative palette of eleven colours stays apart for every kind of colour
# blindness, so each type gets a colour AND a marker shape of its own. Colours: Okabe and Ito (2008)'s
# eight colour-blind-safe colours (black swapped for a mid grey that reads on both themes) and three of
# Paul Tol's "muted" scheme (wine, olive, indigo) that differ from them in lightness.
_PALETTE = (  # in ACTIVITY_TYPE_CODES order; the pale yellow (weak on white) goes to "other"
    "#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#882255",
    "#D55E00", "#999933", "#332288", "#8C8C8C", "#F0E442",
)
_SYMBOLS = ("circle", "square", "diamond", "triangle-up", "triangle-down", "cross", "x", "star", "pentagon",
            "hexagon", "hourglass")
TYPE_COLOURS: dict[str, str] = {
    code: _PALETTE[i % len(_PALETTE)] for i, code in enumerate(ACTIVITY_TYPE_CODES)
}
TYPE_SYMBOLS: dict[str, str] = {code: _SYMBOLS[i % len(_SYMBOLS)] for i, code in enumerate(ACTIVITY_TYPE_CODES)}
PRICE_COLOUR = "#2F7BC4"  # mid blue: readable on the light and the dark background
BENCH_COLOUR = "#7f7f7f"
VOLUME_COLOUR = "rgba(47, 123, 196, 0.45)"
STRIKE_COLOUR = "#C0392B"
SIMULATED_MARK = "SIMULATED DATA"

_HEIGHT = 460


def type_colour(code: str) -> str:
    """Colour of an activity type (grey for an unknown code)."""
    return TYPE_COLOURS.get(code, "#999999")


def _finish(fig: go.Figure, title: str | None, simulated: bool, height: int = _HEIGHT) -> go.Figure:
    fig.update_layout(
        title=dict(text=title or "", x=0.01, xanchor="left"),
        height=height,
        margin=dict(l=10, r=10, t=50 if title else (34 if simulated else 20), b=10),
        # below the plot (above it, a long legend ran into the title at laptop width), clear of an x-axis title
        legend=dict(orientation="h", yanchor="top", y=-0.22 if fig.layout.xaxis.title.text else -0.12,
                    xanchor="left", x=0.0),
        hovermode="closest",
    )
    if simulated:
        # above the plotting area, top right: it never covers data or the strike's label (issue 10 point 7)
        fig.add_annotation(
            text=SIMULATED_MARK, xref="paper", yref="paper", x=1.0, y=1.0,
            xanchor="right", yanchor="bottom", showarrow=False,
            font=dict(size=12, color="rgba(192, 57, 43, 0.9)"),
            bordercolor="rgba(192, 57, 43, 0.75)", borderwidth=1, borderpad=2,
        )
    return fig


def empty_figure(message: str, title: str | None = None) -> go.Figure:
    """A blank figure that says why there is nothing to draw."""
    fig = go.Figure()
    fig.add_annotation(text=message, xref="paper", yref="paper", x=0.5, y=0.5, showarrow=False)
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    return _finish(fig, title, False, height=260)


@functools.lru_cache(maxsize=1)
def _price_volume_axes() -> dict:
    """The axes of the price-over-volume grid, as ``make_subplots`` lays them out (computed once: ~50 ms)."""
    layout = make_subplots(rows=2, cols=1, shared_xaxes=True, row_heights=[0.72, 0.28],
                           vertical_spacing=0.03).layout.to_plotly_json()
    return {k: layout[k] for k in ("xaxis", "yaxis", "xaxis2", "yaxis2")}


@memo.derived(32)
def price_volume_chart(
    prices: pd.DataFrame,
    activities: pd.DataFrame | None = None,
    *,
    benchmark: pd.DataFrame | None = None,
    strike: float | None = None,
    title: str | None = None,
    simulated: bool = False,
) -> go.Figure:
    """Close price over volume, activities as markers coloured by type, optional benchmark and strike.

    prices: ``date, close, volume``. activities: ``date, type, title`` and optionally ``car``,
    ``car_p`` (each marker sits on the close of the first trading day on or after its date).
    benchmark: ``date, close``, drawn rebased to the stock's first close on the same axis.

    Built in one pass (the traces added with one ``add_traces``, the strike line and its label in
    the layout): the figure ``make_subplots`` + ``add_trace`` per type + ``add_hline`` drew, for a
    third of the CPU (each call re-validated the figure).
    """
    if prices.empty:
        return empty_figure("No prices in this period.", title)
    prices = prices.sort_values("date")
    traces = [
        go.Scatter(x=prices["date"], y=prices["close"], name="Close", mode="lines",
                   line=dict(color=PRICE_COLOUR, width=1.6),
                   hovertemplate="%{x|%Y-%m-%d}<br>close %{y:.4f}<extra></extra>", xaxis="x", yaxis="y"),
        go.Bar(x=prices["date"], y=prices["volume"], name="Volume", marker_color=VOLUME_COLOUR,
               hovertemplate="%{x|%Y-%m-%d}<br>volume %{y:,.0f}<extra></extra>", showlegend=False,
               xaxis="x2", yaxis="y2"),
    ]
    if benchmark is not None and not benchmark.empty:
        bench = benchmark.sort_values("date")
        bench = bench[(bench["date"] >= prices["date"].iloc[0]) & (bench["date"] <= prices["date"].iloc[-1])]
        if not bench.empty and bench["close"].iloc[0]:
            rebased = bench["close"] / bench["close"].iloc[0] * prices["close"].iloc[0]
            traces.append(go.Scatter(
                x=bench["date"], y=rebased, name="Benchmark (rebased)", mode="lines",
                line=dict(color=BENCH_COLOUR, width=1.2, dash="dot"),
                hovertemplate="%{x|%Y-%m-%d}<br>benchmark rebased %{y:.4f}<extra></extra>", xaxis="x", yaxis="y"))
    shapes, annotations = [], []
    if strike is not None:  # what add_hline(row=1, col=1, annotation_position="top left") wrote
        shapes.append(dict(type="line", line=dict(color=STRIKE_COLOUR, width=1, dash="dash"),
                           x0=0, x1=1, xref="x domain", y0=strike, y1=strike, yref="y"))
        annotations.append(dict(text=f"strike {strike:g}", showarrow=False, x=0, xanchor="left", xref="x domain",
                                y=strike, yanchor="bottom", yref="y"))
    if activities is not None and not activities.empty:
        marks = pd.merge_asof(
            activities.assign(date=pd.to_datetime(activities["date"]).astype("datetime64[ns]")).sort_values("date"),
            prices[["date", "close"]].rename(columns={"date": "bar_date"}).astype({"bar_date": "datetime64[ns]"}),
            left_on="date", right_on="bar_date", direction="forward",
        )
        marks["close"] = marks["close"].fillna(prices["close"].iloc[-1])
        if "car" not in marks:
            marks["car"] = float("nan")
        marks["car_text"] = marks["car"].map(lambda v: "n/a" if pd.isna(v) else f"{v:+.1%}")
        if {"car_low", "car_high"} <= set(marks.columns):  # a CAR is shown with its interval
            marks["car_text"] = [t if pd.isna(lo) or pd.isna(hi) else f"{t} (90% interval {lo:+.1%} to {hi:+.1%})"
                                 for t, lo, hi in zip(marks["car_text"], marks["car_low"], marks["car_high"])]
        marks["label"] = marks["type"].map(activity_label)
        for code, group in marks.groupby("type", sort=False):
            traces.append(go.Scatter(
                x=group["date"], y=group["close"], mode="markers", name=activity_label(code),
                marker=dict(color=type_colour(code), size=10, symbol=TYPE_SYMBOLS.get(code, "diamond"),
                            line=dict(width=1, color="white")),
                customdata=group[["label", "title", "car_text"]].to_numpy(),
                hovertemplate=("%{x|%Y-%m-%d}<br>%{customdata[0]}<br>%{customdata[1]}"
                               "<br>CAR %{customdata[2]}<extra></extra>"),
                xaxis="x", yaxis="y"))
    axes = copy.deepcopy(_price_volume_axes())
    axes["yaxis"]["title"] = {"text": "Price (USD)"}
    axes["yaxis2"]["title"] = {"text": "Volume (shares)"}
    fig = go.Figure(layout=axes)
    fig.add_traces(traces)
    if shapes:
        fig.update_layout(shapes=shapes, annotations=annotations)
    return _finish(fig, title, simulated, height=520)


def figure_from_dict(spec: dict) -> go.Figure:
    """A figure rebuilt from ``fig.to_dict()`` of a figure already validated, without validating it again.

    For the views that cache a figure's dict: ``go.Figure(spec)`` would re-validate every trace
    (the price chart: ~100 ms); the JSON sent to the browser is the same.
    """
    return go.Figure(copy.deepcopy(spec), skip_invalid=True, _validate=False)


@memo.derived(32)
def caar_chart(
    curves: pd.DataFrame, *, title: str | None = None, simulated: bool = False,
) -> go.Figure:
    """Average cumulative abnormal return by relative day, one line per group with its band.

    curves: ``group, rel_day, caar`` and optionally ``lo, hi`` (the confidence band).
    """
    if curves.empty:
        return empty_figure("No events to average.", title)
    fig = go.Figure()
    many = curves["group"].nunique() > 2  # a dozen overlapping bands hide every line: band the pooled one only
    for group, c in curves.sort_values("rel_day").groupby("group", sort=False):
        colour = type_colour(str(group)) if group in TYPE_COLOURS else PRICE_COLOUR
        name = "All types (pooled)" if group == "all" else activity_label(str(group))
        if {"lo", "hi"} <= set(c.columns) and c["lo"].notna().any() and (not many or group == "all"):
            fig.add_trace(go.Scatter(
                x=pd.concat([c["rel_day"], c["rel_day"][::-1]]),
                y=pd.concat([c["hi"], c["lo"][::-1]]),
                fill="toself", fillcolor=colour, opacity=0.15, line=dict(width=0),
                hoverinfo="skip", showlegend=False, name=f"{name} band",
            ))
        fig.add_trace(go.Scatter(
            x=c["rel_day"], y=c["caar"], mode="lines+markers", name=name,
            line=dict(color=colour, width=3 if group == "all" else 1.5), marker=dict(size=4),
            hovertemplate="day %{x}<br>CAAR %{y:+.2%}<extra>" + name + "</extra>",
        ))
    fig.add_hline(y=0, line=dict(color="#888", width=1))
    fig.add_vline(x=0, line=dict(color="#888", width=1, dash="dot"))
    fig.update_xaxes(title_text="Trading days relative to the activity (day 0)")
    fig.update_yaxes(title_text="CAAR", tickformat="+.1%")
    return _finish(fig, title, simulated)


@memo.derived(32)
def placebo_histogram(
    draws, actual: float, *, p_value: float | None = None, title: str | None = None,
    simulated: bool = False,
) -> go.Figure:
    """Distribution of placebo CAARs (random non-event dates) with the actual CAAR marked."""
    draws = pd.Series(draws, dtype="float64").dropna()
    if draws.empty:
        return empty_figure("No placebo draws.", title)
    fig = go.Figure(go.Histogram(x=draws, nbinsx=40, name="Placebo CAARs",
                                 marker_color="rgba(127,127,127,0.6)"))
    label = f"actual {actual:+.2%}" + (f" (p = {p_value:.3f})" if p_value is not None else "")
    fig.add_vline(x=actual, line=dict(color=STRIKE_COLOUR, width=2),
                  annotation_text=label, annotation_position="top right")
    fig.update_xaxes(title_text="CAAR of random non-event dates", tickformat="+.1%")
    fig.update_yaxes(title_text="Draws")
    return _finish(fig, title, simulated, height=360)


@memo.derived(32)
def option_value_chart(
    series: pd.DataFrame, *, strike: float | None = None, title: str | None = None,
    simulated: bool = False,
) -> go.Figure:
    """Option intrinsic and fair value (USD, left axis) and moneyness (right axis) over time.

    series: ``date`` plus any of ``intrinsic_total, fair_value_total, moneyness``.
    """
    if series.empty:
        return empty_figure("No option to value in this period.", title)
    fig = make_subplots(specs=[[{"secondary_y": True}]])
    for col, name, colour in (("intrinsic_total", "Intrinsic value", "#009E73"),
                              ("fair_value_total", "Fair value (Black-Scholes)", "#0072B2")):
        if col in series:
            fig.add_trace(go.Scatter(x=series["date"], y=series[col], name=name, mode="lines",
                                     line=dict(color=colour, width=1.8),
                                     hovertemplate="%{x|%Y-%m-%d}<br>$%{y:,.0f}<extra>" + name + "</extra>"),
                          secondary_y=False)
    if "moneyness" in series:
        fig.add_trace(go.Scatter(x=series["date"], y=series["moneyness"], name="Moneyness (price / strike)",
                                 mode="lines", line=dict(color="#E69F00", width=1.2, dash="dot"),
                                 hovertemplate="%{x|%Y-%m-%d}<br>%{y:.2f}x<extra>moneyness</extra>"),
                      secondary_y=True)
        fig.add_hline(y=1.0, line=dict(color=STRIKE_COLOUR, width=1, dash="dash"), secondary_y=True,
                      annotation_text="at the money" if strike is None else f"strike {strike:g}")
    fig.update_yaxes(title_text="USD", tickprefix="$", secondary_y=False)
    fig.update_yaxes(title_text="Moneyness (price / strike)", tickformat=".2f", secondary_y=True)
    return _finish(fig, title, simulated)


@memo.derived(32)
def retainer_chart(
    schedule: pd.DataFrame, *, title: str | None = None, simulated: bool = False,
) -> go.Figure:
    """Shares issued per retainer payment (bars) and cumulative dilution (line, right axis).

    schedule: ``date, shares`` and optionally ``price, dilution`` (share of shares outstanding).
    """
    if schedule.empty:
        return empty_figure("No retainer payments in this period.", title)
    fig = make_subplots(specs=[[{"secondary_y": True}]])
    custom = schedule["price"] if "price" in schedule else pd.Series(float("nan"), index=schedule.index)
    fig.add_trace(go.Bar(x=schedule["date"], y=schedule["shares"], name="Shares issued",
                         marker_color="#0072B2", customdata=custom,
                         hovertemplate="%{x|%Y-%m-%d}<br>%{y:,.0f} shares at $%{customdata:.4f}<extra></extra>"),
                  secondary_y=False)
    if "dilution" in schedule:
        fig.add_trace(go.Scatter(x=schedule["date"], y=schedule["dilution"], name="Cumulative dilution",
                                 mode="lines+markers", line=dict(color="#D55E00"),
                                 hovertemplate="%{x|%Y-%m-%d}<br>%{y:.2%}<extra>dilution</extra>"),
                      secondary_y=True)
    fig.update_yaxes(title_text="Shares", secondary_y=False)
    fig.update_yaxes(title_text="Cumulative dilution", tickformat=".2%", secondary_y=True)
    return _finish(fig, title, simulated, height=380)


@memo.derived(32)
def bar_chart(
    frame: pd.DataFrame, x: str, y: str, *, title: str | None = None, simulated: bool = False,
    colour_by_type: bool = False, yformat: str = "$,.0f",
) -> go.Figure:
    """A plain bar chart (costs by kind, abnormal value by activity type, ...)."""
    if frame.empty:
        return empty_figure("Nothing to show.", title)
    colours = [type_colour(v) for v in frame[x]] if colour_by_type else "#0072B2"
    labels = [activity_label(v) for v in frame[x]] if colour_by_type else frame[x]
    fig = go.Figure(go.Bar(x=labels, y=frame[y], marker_color=colours,
                           hovertemplate="%{x}<br>%{y:" + yformat + "}<extra></extra>"))
    fig.update_yaxes(tickformat=yformat.lstrip("$"), tickprefix="$" if yformat.startswith("$") else "")
    return _finish(fig, title, simulated, height=360)


@memo.derived(32)
def stake_chart(
    frame: pd.DataFrame, columns: dict[str, str], *, company: str, title: str | None = None,
    simulated: bool = False,
) -> go.Figure:
    """The company's series (top panel) over the consultant's (bottom panel), each on its own scale.

    ``columns`` maps column -> legend name; ``company`` names the company's column. Two panels on one
    date axis instead of one shared dollar axis: the company's abnormal value runs to millions where the
    consultant's stake is in thousands, and on one axis the stake drew as a flat line at zero.
    """
    present = {c: n for c, n in columns.items() if c in frame}
    if frame.empty or not present:
        return empty_figure("Nothing to show.", title)
    consultant = [c for c in present if c != company]
    rows = (company in present) + bool(consultant)
    fig = make_subplots(rows=rows, cols=1, shared_xaxes=True, vertical_spacing=0.08)
    row = 1
    if company in present and {"company_low", "company_high"} <= set(frame.columns):
        # the 90% band first, so the line draws over it: no value without its interval
        fig.add_trace(go.Scatter(x=frame["date"], y=frame["company_high"], mode="lines", line=dict(width=0),
                                 showlegend=False, hoverinfo="skip"), row=1, col=1)
        fig.add_trace(go.Scatter(x=frame["date"], y=frame["company_low"], mode="lines", line=dict(width=0),
                                 fill="tonexty", fillcolor="rgba(0, 158, 115, 0.18)", name="90% band",
                                 hovertemplate="%{x|%Y-%m-%d}<br>lower $%{y:,.0f}<extra></extra>"), row=1, col=1)
    if company in present:
        fig.add_trace(go.Scatter(x=frame["date"], y=frame[company], name=present[company], mode="lines",
                                 line=dict(color=_PALETTE[2], width=1.8),
                                 hovertemplate="%{x|%Y-%m-%d}<br>$%{y:,.0f}<extra></extra>"), row=1, col=1)
        fig.update_yaxes(title_text="Company", row=1, col=1)
        row = 2
    for i, col in enumerate(consultant):
        fig.add_trace(go.Scatter(x=frame["date"], y=frame[col], name=present[col], mode="lines",
                                 line=dict(color=_PALETTE[i % len(_PALETTE)], width=1.8),
                                 hovertemplate="%{x|%Y-%m-%d}<br>$%{y:,.0f}<extra></extra>"), row=row, col=1)
    if consultant:
        fig.update_yaxes(title_text="Consultant", row=row, col=1)
    fig.update_yaxes(tickprefix="$")
    return _finish(fig, title, simulated, height=420)

