"""The Integrity page's data: scoped cached reads (``app.loaders.read_table``), the one integrity account of
``analytics.integrity``, the scored objectives, display tables, the price/volume/holdings figure, and the
editor glue for trades, objectives and disclosure flags. No maths here: it is all in ``analytics``."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from app import loaders, memo
from app.views import common

TRADE_EDITABLE = ["date", "holder", "role", "shares", "price", "notes"]
OBJECTIVE_EDITABLE = ["measure", "target", "direction", "set_date", "due_date", "notes"]
DISCLOSED_CHOICES = {"disclosed": True, "not disclosed": False, "not recorded": None}
PROMOTION_FILL = "rgba(230, 159, 0, 0.14)"
BLACKOUT_FILL = "rgba(120, 120, 120, 0.16)"
SALE_COLOUR = "#C0392B"
BUY_COLOUR = "#009E73"
HOLDER_COLOURS = ("#CC79A7", "#0072B2", "#E69F00", "#56B4E9", "#882255")


SERVICE_LOGS = ("coverage_counts", "inquiries", "mailings")  # issue 13's records, read through store.services


def _table(db: str, name: str, *args) -> pd.DataFrame:
    """A ``store.integrity`` (or, for the service logs, ``store.services``) reader through the scoped cache; its
    empty canonical frame when a workspace older than schema v4 (opened read-only) has no such table yet."""
    from store import integrity as si
    from store import services as ss
    from store.store import canonical

    module = "store.services" if name in SERVICE_LOGS else "store.integrity"
    frame = loaders.read_table(db, f"{module}:{name}", *args)
    if frame is None or (frame.empty and len(frame.columns) == 0):
        cols = {"compensation": si.COMPENSATION_COLS, "trades": si.TRADE_COLS, "sale_rules": si.SALE_RULE_COLS,
                "objectives": si.OBJECTIVE_COLS, "coverage_counts": ss.COVERAGE_COUNT_COLS,
                "inquiries": ss.INQUIRY_COLS, "mailings": ss.MAILING_COLS}[name]
        return canonical(pd.DataFrame(), cols)
    return frame


@dataclass
class IntegrityView:
    """Everything the page and the report section lay out, for one client and period."""

    account: object
    objectives: pd.DataFrame
    scored: pd.DataFrame
    bars: pd.DataFrame
    engagement: dict
    first_activity: pd.Timestamp | None
    stored_trades: pd.DataFrame
    activities: pd.DataFrame
    notes: list = field(default_factory=list)


def _in_period(frame: pd.DataFrame, col: str, start, end) -> pd.DataFrame:
    if frame is None or frame.empty or col not in frame:
        return frame
    d = pd.to_datetime(frame[col])
    keep = pd.Series(True, index=frame.index)
    if start is not None:
        keep &= d >= pd.Timestamp(start)
    if end is not None:
        keep &= d <= pd.Timestamp(end)
    return frame[keep.to_numpy()].reset_index(drop=True)


def _peer_bars(db: str, client_id: str, ticker: str | None) -> pd.DataFrame:
    """The bars of the client's peers (its own ticker left out), for the objectives measured against them."""
    group = loaders.read_table(db, "store.peers:read_peers", client_id)
    tickers = tuple(sorted({str(t).upper() for t in group.get("ticker", [])} - {str(ticker or "").upper()}))
    return loaders.bars(db, tickers) if tickers else pd.DataFrame(columns=["ticker", "date", "close", "volume"])


def integrity_view(db: str, view, *, simulated: bool = False) -> IntegrityView | None:
    """The integrity account of the view's client and period (None without a client and ticker).

    Memoised per view and user scope, reused while its reads are unchanged (``app.memo``); the page, the
    report and its section lay out this one object."""
    if not view.client_id or not view.ticker:
        return None
    return _integrity_view(db, view, bool(simulated))


@common.page_view(16, spinner="Building the integrity record...")
def _integrity_view(db: str, view, simulated: bool) -> IntegrityView:
    from analytics import integrity as ig
    from analytics import objectives as ob
    from app.views import common as analysis

    eng = analysis.client_engagement(db, view.client_id)
    engagement = eng["engagements"].sort_values("start_date").iloc[0].to_dict() if len(eng["engagements"]) else {}
    bars = analysis.prices(db, view.ticker)
    px = bars.rename(columns={"close": "quoted_close"}).rename(columns={"adj_close": "close"}) \
        if "adj_close" in bars else bars
    px = px[[c for c in ("date", "close", "volume") if c in px]]
    acts_all = loaders.activities(db, view.client_id)
    first = pd.Timestamp(acts_all["date"].min()) if len(acts_all) else None
    acts = _in_period(acts_all, "date", view.start, view.end)
    trades_all = _table(db, "trades", view.client_id)
    trades = _in_period(trades_all, "date", view.start, view.end)
    rules = _table(db, "sale_rules", int(engagement["engagement_id"])) if engagement else pd.DataFrame()
    events = loaders.read_table(db, "store.corporate_events:read_corporate_events", view.ticker)
    # announcements just outside the period can still black out its first and last days
    margin = pd.Timedelta(days=31)
    events = _in_period(events, "date", None if view.start is None else pd.Timestamp(view.start) - margin,
                        None if view.end is None else pd.Timestamp(view.end) + margin)
    shares = loaders.shares_outstanding(db, view.ticker)
    objectives = _table(db, "objectives", view.client_id)
    scored = pd.DataFrame(columns=list(ob.OBJECTIVE_COLUMNS))
    rows: tuple = ()
    notes = []
    if engagement and len(objectives):
        so = ig._latest_shares(shares, view.end or (px["date"].max() if len(px) else pd.Timestamp.today()))
        data = ob.MeasureData(bars=px, shares_outstanding=so, coverage=_table(db, "coverage_counts", view.client_id),
                              inquiries=_table(db, "inquiries", view.client_id),
                              mailings=_table(db, "mailings", view.client_id),
                              peer_bars=_peer_bars(db, view.client_id, view.ticker))
        end = engagement.get("end_date")
        end = px["date"].max() if end is None or pd.isna(end) else end
        scored = ob.score_objectives(objectives, data, engagement["start_date"], end, first_activity=first)
        rows = tuple(ob.objective_rows(scored, first, simulated=simulated))
    elif not engagement:
        notes.append("No engagement is recorded for this client: the register has only manual rows and the "
                     "objectives cannot be scored (import the terms on the Engagement page).")
    ans = analysis.answer(db, view)
    pers = ans.account.impact.get("persistence") if ans is not None and ans.account is not None else None
    account = ig.integrity_account(
        client_name=view.client_name or view.client_id, ticker=view.ticker, engagement=engagement, bars=px,
        activities=acts, grants=eng["grants"], financings=eng["financings"],
        compensation=_table(db, "compensation", view.client_id), trades=trades,
        rules=rules.iloc[0].to_dict() if len(rules) else None, events=events, shares_outstanding=shares,
        splits=loaders.splits(db, view.ticker), persistence=pers, abnormal=ans.abnormal if ans is not None else None,
        objective_rows=rows, objectives_scored=scored, simulated=simulated, as_of=view.end)
    return IntegrityView(account, objectives, scored, px, engagement, first, trades, acts, notes)


# --- display tables ---------------------------------------------------------------------------------------

def _day(v) -> str:
    return "" if v is None or pd.isna(v) else f"{pd.Timestamp(v):%Y-%m-%d}"


@memo.derived()
def register_table(acc) -> pd.DataFrame:
    r = acc.register
    return pd.DataFrame({"date": r["date"].dt.date, "payer": r["payer"], "recipient": r["recipient"],
                         "kind": r["kind"], "amount_usd": r["amount"].round(2), "shares": r["shares"].round(0),
                         "strike": r["strike"], "expiry": r["expiry_date"].dt.date, "description": r["description"],
                         "source": r["source"]})


@memo.derived()
def disclosure_table(acc) -> pd.DataFrame:
    d = acc.disclosures
    return pd.DataFrame({"activity_id": d["activity_id"], "date": pd.to_datetime(d["date"]).dt.date,
                         "type": d["type_label"], "title": d["title"], "disclosure": d["status"],
                         "flagged": np.where(d["flagged"], "flagged", "")})


@memo.derived()
def disclosure_text(acc, engagement: dict, day) -> str:
    from analytics.integrity import disclosure_text as text

    out = text(acc.register, day, security=acc.security, consultant=acc.consultant, engagement=engagement)
    return ("[Simulated demo data: not a real disclosure.] " + out) if acc.simulated else out


@memo.derived()
def trades_table(acc) -> pd.DataFrame:
    t = acc.trades
    if t.empty:
        return pd.DataFrame(columns=["trade_id", "date", "holder", "role", "shares", "price", "sale_after_activity_of",
                                     "in_promotion_window",
                                     "in_blackout_of", "notes"])
    after: dict[int, list[str]] = {}
    for w in acc.sales_windows.itertuples(index=False):
        for tid in str(w.trade_ids).split(","):
            if tid:
                after.setdefault(int(tid), []).append(f"{w.activity_date:%Y-%m-%d}")
    return pd.DataFrame({"trade_id": t["trade_id"], "date": pd.to_datetime(t["date"]).dt.date, "holder": t["holder"],
                         "role": t["role"], "shares": t["shares"], "price": t["price"],
                         "sale_after_activity_of": [", ".join(after.get(int(i), [])) for i in t["trade_id"]],
                         "in_promotion_window": t["promotion_window"], "in_blackout_of": t["blackout_of"],
                         "notes": t["notes"]})


@memo.derived()
def sales_table(acc) -> pd.DataFrame:
    s = acc.sales_windows
    return pd.DataFrame({"activity_date": s["activity_date"].dt.date, "activity": s["title"],
                         "window": [f"{a:%Y-%m-%d} to {b:%Y-%m-%d}" for a, b in zip(s["window_start"], s["window_end"])],
                         "holder": s["holder"], "shares_sold": s["shares_sold"],
                         "window_volume": s["window_volume"], "share_of_volume": s["share_of_volume"].round(4),
                         "sale_value_usd": s["sale_value"].round(2),
                         "uncertainty": "a count from the trades log and the bars, no sampling interval"})


@memo.derived()
def runup_table(acc) -> pd.DataFrame:
    r = acc.runups
    return pd.DataFrame({"activity_id": r["event_id"], "run_up": [f"{a:%Y-%m-%d} to {b:%Y-%m-%d}" for a, b in
                                                                  zip(r["window_start_date"], r["window_end_date"])],
                         "car": r["car"].round(4), "dollar_volume_usd": r["dollar_volume"].round(0),
                         "recorded_sales_usd": r["recorded_sales_value"].round(0),
                         "public_bought_usd": r["public_bought"].round(0),
                         "uncertainty": "an estimate from volume x close; it counts every buyer who was not a "
                                        "recorded seller, no sampling interval"})


@memo.derived()
def objectives_table(scored: pd.DataFrame) -> pd.DataFrame:
    from analytics.objectives import format_value

    if scored.empty:
        return pd.DataFrame(columns=["measure", "target", "set", "set_before_first_activity", "baseline", "outcome",
                                     "uncertainty", "verdict"])
    return pd.DataFrame({
        "measure": scored["label"],
        "target": [("at least " if d == "at_least" else "at most ") + format_value(m, t)
                   for m, t, d in zip(scored["measure"], scored["target"], scored["direction"])],
        "set": [_day(d) for d in scored["set_date"]],
        "set_before_first_activity": scored["set_before_first_activity"].map({True: "yes", False: "no"}).fillna(
            "no activity recorded"),
        "baseline": [format_value(m, v) for m, v in zip(scored["measure"], scored["baseline"])],
        "outcome": [format_value(m, v) for m, v in zip(scored["measure"], scored["outcome"])],
        "uncertainty": scored["uncertainty"], "verdict": scored["verdict"]})


# --- the figure -------------------------------------------------------------------------------------------

@memo.derived()
def integrity_figure(data: IntegrityView, *, simulated: bool = False, start=None, end=None) -> go.Figure:
    """:func:`integrity_chart` of a view's record (memoised on the view's object: no frame to fingerprint)."""
    return integrity_chart(data.bars, data.account, simulated=simulated, start=start, end=end)


def integrity_chart(bars: pd.DataFrame, acc, *, simulated: bool = False, start=None, end=None) -> go.Figure:
    """Price with the recorded trades, volume, and each holder's shares, against the promotion (orange) and
    black-out (grey) windows."""
    from app.charts import PRICE_COLOUR, VOLUME_COLOUR, _finish

    b = _in_period(bars, "date", start, end)
    fig = make_subplots(rows=3, cols=1, shared_xaxes=True, vertical_spacing=0.04, row_heights=[0.5, 0.22, 0.28])
    fig.add_trace(go.Scatter(x=b["date"], y=b["close"], name="close", line=dict(color=PRICE_COLOUR, width=1.5),
                             hovertemplate="%{x|%Y-%m-%d} close $%{y:.4f}<extra></extra>"), row=1, col=1)
    fig.add_trace(go.Bar(x=b["date"], y=b["volume"], name="volume", marker_color=VOLUME_COLOUR,
                         hovertemplate="%{x|%Y-%m-%d} %{y:,.0f} shares<extra></extra>"), row=2, col=1)
    t = acc.trades
    if len(t):
        close = b.set_index("date")["close"] if len(b) else pd.Series(dtype=float)
        for sign, name, colour, symbol in ((-1, "sales", SALE_COLOUR, "triangle-down"),
                                           (1, "purchases", BUY_COLOUR, "triangle-up")):
            g = t[np.sign(t["shares"]) == sign]
            if len(g):
                y = g["price"].astype(float).fillna(pd.to_datetime(g["date"]).map(close).astype(float))
                fig.add_trace(go.Scatter(
                    x=g["date"], y=y, mode="markers", name=f"recorded {name}",
                    marker=dict(color=colour, symbol=symbol, size=11, line=dict(width=1, color="white")),
                    text=[f"{h}: {s:+,.0f} shares" + (" (promotion window)" if p else "") + (" (black-out)" if k else "")
                          for h, s, p, k in zip(g["holder"], g["shares"], g["in_promotion"], g["in_blackout"])],
                    hovertemplate="%{x|%Y-%m-%d} %{text}<extra></extra>"), row=1, col=1)
    h = acc.holdings
    for i, (holder, g) in enumerate(h.groupby("holder", sort=True)):
        fig.add_trace(go.Scatter(x=g["date"], y=g["holding"], name=f"holding: {holder}", line_shape="hv",
                                 mode="lines+markers", line=dict(color=HOLDER_COLOURS[i % len(HOLDER_COLOURS)]),
                                 hovertemplate="%{x|%Y-%m-%d} %{y:,.0f} shares<extra>" + str(holder)[:40]
                                               + "</extra>"), row=3, col=1)
    lo, hi = (b["date"].min(), b["date"].max()) if len(b) else (None, None)

    def shown(frame, a, z):  # only the windows that overlap the plotted days
        if lo is None or frame.empty:
            return frame.iloc[0:0]
        return frame[(pd.to_datetime(frame[z]) >= lo) & (pd.to_datetime(frame[a]) <= hi)]

    # one shapes list: add_vrect per window re-validates every shape already there (25 windows took 28 s,
    # one list 0.07 s, bench.load on the 10-year workspace); the shaded windows span the three rows
    shapes = []
    for frame, fill in ((acc.promotion, PROMOTION_FILL), (acc.blackout, BLACKOUT_FILL)):
        for w in shown(frame, "start", "end").itertuples(index=False):
            shapes.append(dict(type="rect", xref="x", yref="paper", x0=max(w.start, lo), x1=min(w.end, hi),
                               y0=0, y1=1, fillcolor=fill, line_width=0, layer="below"))
    sales = shown(acc.sales_windows, "window_start", "window_end")
    for w in sales.drop_duplicates(["window_start", "window_end"]).itertuples(index=False):
        shapes.append(dict(type="rect", xref="x", yref="y domain", x0=w.window_start, x1=w.window_end, y0=0, y1=1,
                           line=dict(color=SALE_COLOUR, width=1, dash="dot"), fillcolor="rgba(0,0,0,0)",
                           layer="above"))
    fig.update_layout(shapes=shapes)
    if lo is not None:
        fig.update_xaxes(range=[lo, hi])
    fig.update_yaxes(automargin=True)
    fig.update_yaxes(title_text="close ($)", row=1, col=1)
    fig.update_yaxes(title_text="volume", row=2, col=1)
    fig.update_yaxes(title_text="shares held", row=3, col=1)
    title = ("Price, volume and recorded holdings; promotion windows orange, black-out grey, "
             "activity windows with sales dotted red")
    return _finish(fig, title + (" (simulated)" if simulated else ""), simulated, height=640)


# --- editing -----------------------------------------------------------------------------------------------

@dataclass
class Changes:
    """Validated edits of one table: rows to add, {id: fields} to update, ids to delete, problems in words."""

    added: list = field(default_factory=list)
    updated: dict = field(default_factory=dict)
    deleted: list = field(default_factory=list)
    errors: list = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.added or self.updated or self.deleted)


def pending_changes(edits: dict | None, shown: pd.DataFrame, id_col: str, validate) -> Changes:
    """The editor's ``{"edited_rows", "added_rows", "deleted_rows"}`` against ``shown``, each row checked by
    ``validate(row) -> (clean, problems)`` (``ingest.integrity.validate_trade`` / ``validate_objective``)."""
    edits = edits or {}
    out = Changes()
    ids = shown[id_col].tolist() if id_col in shown else []
    for pos, change in (edits.get("edited_rows") or {}).items():
        pos = int(pos)
        row = {**shown.iloc[pos].to_dict(), **change}
        clean, errs = validate(row)
        out.errors += [f"row {pos + 1}: {e}." for e in errs]
        if not errs:
            out.updated[int(ids[pos])] = {k: clean[k] for k in clean if k in change}
    for i, row in enumerate(edits.get("added_rows") or []):
        clean, errs = validate(row)
        out.errors += [f"new row {i + 1}: {e}." for e in errs]
        if not errs:
            out.added.append(clean)
    out.deleted = [int(ids[int(p)]) for p in (edits.get("deleted_rows") or [])]
    return out


def apply_changes(db: str, table: str, client_id: str, changes: Changes) -> str:
    """Write validated changes of ``trades`` or ``objectives`` for ``client_id`` (refused for a read-only role or
    another client's rows); returns a one-line summary."""
    from app import auth
    from store import integrity as si

    auth.require_write(db, client_id, f"edit {table}")
    store = loaders.open_store(db)
    touched = list(changes.updated) + list(changes.deleted)
    if len(si.rows_of_client(store, table, client_id, touched)) < len(set(touched)):
        raise auth.AccessDenied("Those rows belong to another client.")
    with store.transaction():
        written = (si.merge_trades if table == "trades" else si.merge_objectives)(
            store, pd.DataFrame([{**r, "client_id": client_id} for r in changes.added])) if changes.added else None
        for row_id, fields in changes.updated.items():
            (si.update_trade if table == "trades" else si.update_objective)(store, row_id, **fields)
        n_del = si.delete_rows(store, table, changes.deleted)
    auth.audit(db, "edit", client_id, f"{table}: {written.added if written else 0} added, {len(changes.updated)} "
                                      f"updated, {n_del} deleted")
    return (f"Saved {table}: {written.added if written else 0} added, {len(changes.updated)} updated, "
            f"{n_del} deleted.")


def apply_disclosures(db: str, client_id: str, shown: pd.DataFrame, edits: dict | None) -> str:
    """Write the disclosure flags changed in the editor (``disclosed`` / ``not disclosed`` / ``not recorded``)."""
    from app import auth

    auth.require_write(db, client_id, "record disclosures")
    store = loaders.open_store(db)  # a ScopedStore checks the activity's client and audits the edit
    n = 0
    for pos, change in ((edits or {}).get("edited_rows") or {}).items():
        if "disclosure" not in change:
            continue
        value = DISCLOSED_CHOICES.get(str(change["disclosure"]))
        store.update_activity(int(shown.iloc[int(pos)]["activity_id"]), disclosed=value)
        n += 1
    return f"Saved {n} disclosure record{'s' if n != 1 else ''}."


def report_section_html(db: str, view, *, simulated: bool = False) -> str:
    """The ROI report's "Objectives and outcomes (AMEC)" and "Promotion integrity" HTML for the view ("" without a
    client and ticker): the same account the Integrity page shows (``app.report_amec.integrity_section_html``)."""
    from app.report_amec import integrity_section_html

    data = integrity_view(db, view, simulated=simulated)
    return "" if data is None else integrity_section_html(data.account)


def import_csv(db: str, table: str, client_id: str, file_name: str, data: bytes) -> tuple[bool, str]:
    """An uploaded trades or objectives CSV, validated like ``python -m ingest import-trades`` / ``import-objectives``
    and merged idempotently; (ok, message in words)."""
    import io

    from app import auth
    from ingest import integrity as ing
    from ingest.providers.errors import CsvFormatError
    from store import integrity as si

    auth.require_write(db, client_id, f"import {table}")
    buffer = io.BytesIO(data)
    buffer.name = file_name
    try:
        frame = (ing.parse_trades_csv if table == "trades" else ing.parse_objectives_csv)(buffer, client_id)
    except CsvFormatError as exc:
        return False, str(exc)
    written = (si.merge_trades if table == "trades" else si.merge_objectives)(loaders.open_store(db), frame)
    auth.audit(db, "edit", client_id, f"{table} import: {written.added} added, {written.updated} updated")
    return True, (f"Imported {table}: {written.added} added, {written.updated} updated, {written.unchanged} "
                  "unchanged.")
