"""The Peers page's reads (cached, scoped loaders), its shaping and its figure (no layout here)."""
from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from analytics import peers as ap
from app import charts, loaders, memo
from app.views import common

CLIENT_COLOUR = charts.PRICE_COLOUR
PEER_COLOUR = "#E69F00"
SHADE = "rgba(0, 158, 115, 0.12)"


@dataclass(frozen=True)
class PeerData:
    """What the page lays out for one client: its peers, which have bars, the daily measures and the DiD."""

    client_ticker: str | None
    peers: list[str]
    without_bars: list[str]
    names: dict[str, str]
    daily: pd.DataFrame
    engagement: tuple | None
    periods: tuple | None = None          # (pre, post) of the DiD
    did: pd.DataFrame | None = None
    problem: str | None = None            # why there is no DiD (said on the page)
    notes: list[str] = field(default_factory=list)


def peer_group(db: str, client_id: str) -> pd.DataFrame:
    """The client's peers with their first and last bar (scoped: a peer outside the user's scope is not listed)."""
    return loaders.read_table(db, "store.peers:peer_coverage", client_id)


def _engagement(db: str, client_id: str):
    eng = loaders.engagements(db, client_id)
    if eng.empty or eng["start_date"].isna().all():
        return None
    end = eng["end_date"].max() if eng["end_date"].notna().any() else None
    return pd.Timestamp(eng["start_date"].min()), (None if end is None else pd.Timestamp(end))


def _for(frame: pd.DataFrame, tickers) -> pd.DataFrame | None:
    if frame is None or frame.empty or "ticker" not in frame:
        return None
    part = frame[frame["ticker"].astype(str).str.upper().isin(tickers)]
    return part if len(part) else None


@common.page_view(16, spinner="Comparing with the peers...")
def peer_data(db: str, client_id: str, client_ticker: str | None) -> PeerData:
    """Read the client's and its peers' bars (whole history), compute the daily measures and the DiD (~0.5 s for
    five measures with their placebos; memoised per client and user scope, reused while the reads are unchanged)."""
    group = peer_group(db, client_id)
    peers = [str(t) for t in group["ticker"]] if not group.empty else []
    with_bars = [str(t) for t in group.loc[group["first_date"].notna(), "ticker"]] if not group.empty else []
    names = {str(r.ticker): str(r.name) for r in group.itertuples(index=False)
             if isinstance(r.name, str) and r.name} if not group.empty else {}
    engagement = _engagement(db, client_id)
    empty = ap.peer_daily(pd.DataFrame(columns=["ticker", "date", "high", "low", "close", "volume"]))
    if not client_ticker:
        return PeerData(None, peers, [p for p in peers if p not in with_bars], names, empty, engagement,
                        problem="This client has no ticker: record it with the engagement terms.")
    tickers = (client_ticker.upper(), *with_bars)
    bars = loaders.bars(db, tickers)
    loaded = set(bars["ticker"]) if not bars.empty else set()
    without = [p for p in peers if p not in loaded]
    if client_ticker.upper() not in loaded:
        return PeerData(client_ticker, peers, without, names, empty, engagement,
                        problem=f"No bars of {client_ticker} yet: load them on the Data page or with "
                                f"`python -m ingest load-yahoo {client_ticker}`.")
    wanted = set(tickers)
    daily = ap.peer_daily(bars, _for(loaders.shares_outstanding(db), wanted), _for(loaders.splits(db), wanted))
    data = dict(client_ticker=client_ticker.upper(), peers=peers, without_bars=without, names=names, daily=daily,
                engagement=engagement)
    if not (loaded - {client_ticker.upper()}):
        return PeerData(**data, problem="None of the peers has bars yet, so there is nothing to compare with.")
    if engagement is None:
        return PeerData(**data, problem="No engagement is recorded for this client, so there is no period to "
                                        "compare before and during: record the terms on the Engagement page.")
    try:
        pre, post = ap.matched_periods(daily.loc[daily["ticker"] == client_ticker.upper(), "date"], *engagement)
        did = ap.peer_did(daily, client_ticker.upper(), pre, post)
    except ValueError as exc:
        return PeerData(**data, problem=str(exc))
    turnover_missing = sorted(set(daily["ticker"]) - set(daily.loc[daily["turnover"].notna(), "ticker"]))
    notes = ([f"No shares outstanding recorded for {', '.join(turnover_missing)}: turnover cannot be compared, "
              "and abnormal volume uses log(1 + volume) for every ticker."] if turnover_missing else [])
    return PeerData(**data, periods=(pre, post), did=did, notes=notes)


@memo.derived()
def comparison(data: PeerData, measure: str, start=None, end=None) -> pd.DataFrame:
    """The chart's frame (:func:`analytics.peers.peer_comparison`) over the chosen period."""
    return ap.peer_comparison(data.daily, data.client_ticker, measure, start, end)


@memo.derived()
def comparison_figure(comp: pd.DataFrame, client: str, measure: str, engagement=None, *,
                      simulated: bool = False) -> go.Figure:
    """Client against the leave-one-out peer median (top) and their ratio (bottom), the engagement shaded."""
    label = ap.CHART_MEASURES[measure]
    trailing = "" if measure == "close" else f", trailing {ap.PEER_TRAILING_DAYS}-day mean"
    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, row_heights=[0.68, 0.32], vertical_spacing=0.06)
    fig.add_trace(go.Scatter(x=comp["date"], y=comp["client"], name=client, mode="lines",
                             line=dict(color=CLIENT_COLOUR, width=2)), row=1, col=1)
    fig.add_trace(go.Scatter(x=comp["date"], y=comp["peer_median"], name="Peer median (client left out)",
                             mode="lines", line=dict(color=PEER_COLOUR, width=2, dash="dash"),
                             customdata=comp["n_peers"], hovertemplate="%{y:.4g} (%{customdata} peers)"),
                  row=1, col=1)
    fig.add_trace(go.Scatter(x=comp["date"], y=comp["ratio"], name=f"{client} / peer median", mode="lines",
                             line=dict(color="#555555", width=1.5)), row=2, col=1)
    fig.add_hline(y=1.0, line=dict(color="#999999", width=1, dash="dot"), row=2, col=1)
    if engagement is not None and len(comp):
        lo = max(pd.Timestamp(engagement[0]), pd.Timestamp(comp["date"].min()))
        hi = pd.Timestamp(engagement[1]) if engagement[1] is not None else pd.Timestamp(comp["date"].max())
        hi = min(hi, pd.Timestamp(comp["date"].max()))
        if lo <= hi:
            fig.add_vrect(x0=lo, x1=hi, fillcolor=SHADE, line_width=0, layer="below", row="all", col=1,
                          annotation_text="engagement", annotation_position="top left")
    fig.update_yaxes(title_text=label.split(" (")[0], row=1, col=1)
    fig.update_yaxes(title_text="ratio", row=2, col=1)
    title = f"{client} against its peers: {label.lower()}{trailing}" + (" (simulated)" if simulated else "")
    return charts._finish(fig, title, simulated, height=520)


@memo.derived()
def did_frame(did: pd.DataFrame) -> pd.DataFrame:
    """The DiD table as shown and exported: one row per measure, the figures in the measure's own unit."""
    rows = []
    f = ap.format_measure
    for r in did.to_dict("records"):
        m = r["measure"]
        rows.append({
            "measure": r["label"],
            "client before": f(m, r["client_pre"]),
            "client during": f(m, r["client_post"]),
            "client change": f(m, r["client_change"], True),
            "peers' change": f(m, r["peers_change"], True),
            "difference in differences": f(m, r["did"], True),
            f"{r['level']:.0%} interval": f"{f(m, r['low'], True)} to {f(m, r['high'], True)}",
            "p (split dates)": r["p_value"],
            "p (peer placebo)": r["peer_rank_p"],
            "days (before / during)": f"{r['n_pre']} / {r['n_post']}",
            "reading": r["reading"],
        })
    return pd.DataFrame(rows)


@common.page_view(16)
def amec_rows(db: str, client_id: str, client_ticker: str | None, *, simulated: bool = False) -> list:
    """The ROI report's peer outcome rows (``analytics.peers.peer_amec_rows``) for a client; [] without peers
    with bars or without an engagement (the report then says none were recorded)."""
    data = peer_data(db, client_id, client_ticker)
    if data.did is None:
        return []
    compared = sorted(set(data.daily["ticker"]) - {data.client_ticker})
    return ap.peer_amec_rows(data.did, data.client_ticker, compared, *data.periods, simulated=simulated)
