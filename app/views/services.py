"""The Services page's reads (cached, scoped loaders), its shaping, figures and editor glue (no layout here).

Reads go through ``app.loaders.read_table("store.services:<log>", client_id)`` (scoped to the signed-in user);
the maths is ``analytics.services``; writes go through the store handed out by ``loaders.open_store`` after
``auth.require_write``, with the rows checked by ``ingest.services.validate_rows`` (the import's rules).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from analytics import services as sv
from analytics.constants import ROI_INTERVAL_LEVEL, activity_label
from app import charts, loaders, memo
from app.views import common
from app.views.common import prices

INQUIRY_TYPES = ("press_release", "broker_dealer_mailing", "fax_mail_blast")  # what brings inquiries
EDIT_COLUMNS = {  # the editable columns of each log, in the grid's order
    "inquiries": ["received_at", "channel", "topic", "answered_at", "answered_by"],
    "mailings": ["date", "kind", "list_name", "recipients", "calls", "meetings", "inquiries", "cost", "activity_id"],
    "coverage_counts": ["date", "market_makers", "analysts", "source"],
}
ID_COLUMN = {"inquiries": "inquiry_id", "mailings": "mailing_id", "coverage_counts": "date"}
LEVEL = ROI_INTERVAL_LEVEL
MAX_OPEN_DAYS = 365
MAX_WINDOW_DAYS = 60


@dataclass(frozen=True)
class ServicesData:
    """One client's logs (all dates), its activities and its stock's bars."""

    inquiries: pd.DataFrame
    mailings: pd.DataFrame
    coverage: pd.DataFrame
    activities: pd.DataFrame
    bars: pd.DataFrame


@common.page_view(16)
def services_data(db: str, client_id: str, ticker: str | None) -> ServicesData:
    """Read the client's three logs, activities and bars through the scoped loaders (memoised: the page and
    the report shape this one object, and the shapings below are memoised on it)."""
    def log(name: str) -> pd.DataFrame:
        frame = loaders.read_table(db, f"store.services:{name}", client_id)
        cols = list(dict.fromkeys(["client_id", ID_COLUMN[name], *EDIT_COLUMNS[name]]))
        return frame if not frame.empty else pd.DataFrame(columns=cols)
    acts = loaders.activities(db, client_id)
    return ServicesData(log("inquiries"), log("mailings"), log("coverage_counts"), acts, prices(db, ticker))


@memo.derived()
def period(view, data: ServicesData) -> tuple[pd.Timestamp, pd.Timestamp] | None:
    """The view's period, or (when open) the span of the logs; None when there is nothing at all."""
    days = pd.concat([pd.to_datetime(data.inquiries["received_at"]).dt.normalize(),
                      pd.to_datetime(data.mailings["date"]), pd.to_datetime(data.coverage["date"])]).dropna()
    start = pd.Timestamp(view.start) if view.start is not None else (days.min() if len(days) else None)
    end = pd.Timestamp(view.end) if view.end is not None else (days.max() if len(days) else None)
    return (start, end) if start is not None and end is not None else None


def url_int(raw: str | None, default: int, low: int, high: int, name: str) -> tuple[int, str | None]:
    """A whole number from the URL within [low, high]; (default, why it was refused) otherwise."""
    if raw is None or raw == "":
        return default, None
    try:
        value = int(str(raw).strip())
    except ValueError:
        return default, f"{name}={raw[:20]!r} is not a whole number: {default} is used."
    if not low <= value <= high:
        return default, f"{name}={value} is outside {low}..{high}: {default} is used."
    return value, None


def _cut(frame: pd.DataFrame, col: str, start, end) -> pd.DataFrame:
    t = pd.to_datetime(frame[col])
    return frame[(t >= start) & (t < end + pd.Timedelta(days=1))]


# --- inquiries -----------------------------------------------------------------------------------------

def days_words(x) -> str:
    """0.25 -> '6.0 hours', 2 -> '2.0 days', NaN -> 'n/a'."""
    if x is None or not np.isfinite(x):
        return "n/a"
    return f"{x * 24:.1f} hours" if x < 1 else f"{x:.1f} days"


def quantile_words(qi: sv.QuantileInterval) -> str:
    """The interval of a response-time quantile in words, open ends said."""
    if qi.n == 0:
        return "no answered inquiry"
    lo = days_words(qi.low) if np.isfinite(qi.low) else "open"
    hi = days_words(qi.high) if np.isfinite(qi.high) else "open (too few answers)"
    return f"{100 * qi.coverage:.0f}% interval {lo} to {hi}, n={qi.n}"


@memo.derived()
def inquiry_view(data: ServicesData, start, end, open_days: int, window_days: int) -> dict:
    """Everything the inquiry section shows for the period: counts, response times, open ones, around activities."""
    q = _cut(data.inquiries, "received_at", start, end)
    # the rate ratio's days: the period, but only where the log was kept (its first to its last inquiry), so
    # days before the log started do not count as days without inquiries
    got = pd.to_datetime(data.inquiries["received_at"]).dt.normalize()
    lo, hi = (max(start, got.min()), min(end, got.max())) if len(got) else (start, end)
    acts = data.activities
    if len(acts):
        acts = acts[acts["type"].isin(INQUIRY_TYPES)]
        acts = acts[(pd.to_datetime(acts["date"]) >= lo) & (pd.to_datetime(acts["date"]) <= hi)]
    if lo <= hi:
        per, pooled = sv.activity_inquiries(q, acts, window_days=window_days, start=lo, end=hi, level=LEVEL)
    else:
        per, pooled = sv.activity_inquiries(q.iloc[0:0], acts.iloc[0:0], window_days=window_days, level=LEVEL)
    opened = sv.open_inquiries(data.inquiries, end, open_days)  # also those received before the period
    return {"received": len(q), "weeks": sv.inquiries_by_week(q, start, end),
            "times": sv.response_time_summary(q, LEVEL), "open": opened, "around": per, "pooled": pooled}


@memo.derived()
def weekly_figure(weeks: pd.DataFrame, *, simulated: bool = False) -> go.Figure:
    """Inquiries received per week, answered and still open stacked."""
    if weeks.empty:
        return charts.empty_figure("No inquiries in this period.")
    fig = go.Figure([
        go.Bar(x=weeks["week"], y=weeks["answered"], name="answered", marker_color="#0072B2",
               hovertemplate="week of %{x|%Y-%m-%d}<br>%{y} answered<extra></extra>"),
        go.Bar(x=weeks["week"], y=weeks["still_open"], name="still open", marker_color="#E69F00",
               hovertemplate="week of %{x|%Y-%m-%d}<br>%{y} still open<extra></extra>")])
    fig.update_layout(barmode="stack", yaxis_title="inquiries received")
    return charts._finish(fig, "Shareholder inquiries by week" + (" (simulated)" if simulated else ""), simulated,
                          height=360)


@memo.derived()
def open_frame(opened: pd.DataFrame, open_days: int) -> pd.DataFrame:
    """Open inquiries as shown and exported."""
    if opened.empty:
        return pd.DataFrame(columns=["inquiry_id", "received_at", "channel", "topic", "age_days",
                                     f"older_than_{open_days}_days"])
    out = opened[["inquiry_id", "received_at", "channel", "topic", "age_days", "flagged"]].copy()
    out["age_days"] = out["age_days"].round(1)
    out["received_at"] = pd.to_datetime(out["received_at"]).dt.strftime("%Y-%m-%d %H:%M")
    return out.rename(columns={"flagged": f"older_than_{open_days}_days"})


@memo.derived()
def around_frame(per: pd.DataFrame) -> pd.DataFrame:
    """Inquiries after each activity against the baseline, as shown and exported."""
    if per.empty:
        return pd.DataFrame(columns=["date", "type", "inquiries", "expected", "rate_ratio", "interval", "p_value",
                                     "median_lag_days", "title"])
    out = per.copy()
    out["type"] = out["type"].map(activity_label)
    out["expected"] = out["expected"].round(2)
    out["rate_ratio"] = out["rate_ratio"].round(2)
    out["interval"] = [f"{lo:.2f} to {'no limit' if not np.isfinite(hi) else f'{hi:.2f}'}"
                       for lo, hi in zip(out["low"], out["high"])]
    out["p_value"] = out["p_value"].round(4)
    out["median_lag_days"] = out["median_lag_days"].round(2)
    out["date"] = pd.to_datetime(out["date"]).dt.date
    return out[["date", "type", "inquiries", "expected", "rate_ratio", "interval", "p_value", "median_lag_days",
                "title"]]


def pooled_sentence(pooled: dict, window_days: int) -> str:
    """The pooled rate ratio and lag in one sentence."""
    if not pooled["window_days"] or not pooled["baseline_days"]:
        return "No release or mailing in the period with days outside its window: no rate ratio."
    hi = "no upper limit" if not np.isfinite(pooled["high"]) else f"{pooled['high']:.2f}"
    lag = pooled["lag"]
    if lag.n:
        bounds = [f"{x:.1f}" if np.isfinite(x) else "open" for x in (lag.low, lag.high)]
        lag_text = (f"the median lag from the day of the latest activity before an inquiry to its receipt is "
                    f"{lag.estimate:.1f} days ({100 * lag.coverage:.0f}% interval {bounds[0]} to {bounds[1]}, "
                    f"n={lag.n})")
    else:
        lag_text = "no inquiry arrived in any window, so there is no lag"
    return (f"In the {window_days} days from each press release or mailing ({pooled['window_days']} days in all) "
            f"{pooled['inquiries']} inquiries arrived, {pooled['ratio']:.2f} times the baseline of "
            f"{pooled['baseline_rate']:.2f} a day on the other {pooled['baseline_days']} days "
            f"({100 * LEVEL:.0f}% exact interval {pooled['low']:.2f} to {hi}, p = {pooled['p_value']:.3g}); "
            f"{lag_text}.")


# --- mailings ------------------------------------------------------------------------------------------

def _pct_interval(lo, hi) -> str:
    return f"{100 * lo:.2f}% to {100 * hi:.2f}%" if np.isfinite(lo) and np.isfinite(hi) else "n/a"


def _money_interval(lo, hi) -> str:
    if not np.isfinite(lo):
        return "n/a"
    return f"${lo:,.2f} to " + ("no limit" if not np.isfinite(hi) else f"${hi:,.2f}")


@memo.derived()
def mailing_frames(data: ServicesData, start, end) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """(per mailing, by kind, list sizes) as shown and exported, each rate and cost with its interval."""
    m = _cut(data.mailings, "date", start, end)
    per, kinds = sv.mailing_responses(m, LEVEL)
    shaped = []
    figures = ["recipients", "responses", "response_rate", "rate_interval", "cost", "cost_per_response", "cpr_interval",
               "calls", "meetings", "inquiries"]
    for frame, first, last in ((per, ["date", "kind"], ["list_name", "activity_id"]), (kinds, ["kind", "mailings"], [])):
        out = frame.copy()
        if out.empty:
            shaped.append(pd.DataFrame(columns=[*first, *figures, *last]))
            continue
        if "date" in out:
            out["date"] = pd.to_datetime(out["date"]).dt.date
        out["kind"] = out["kind"].map(activity_label)
        out["rate_interval"] = [_pct_interval(lo, hi) for lo, hi in zip(out["rate_low"], out["rate_high"])]
        out["cpr_interval"] = [_money_interval(lo, hi) for lo, hi in zip(out["cpr_low"], out["cpr_high"])]
        out["response_rate"] = out["response_rate"].round(5)
        out["cost_per_response"] = out["cost_per_response"].round(2)
        shaped.append(out[[*first, *figures, *last]])
    return shaped[0], shaped[1], sv.list_sizes(m)


@memo.derived()
def list_figure(sizes: pd.DataFrame, *, simulated: bool = False) -> go.Figure:
    """Each mailing list's size at each mailing."""
    if sizes.empty:
        return charts.empty_figure("No mailings in this period.")
    fig = go.Figure()
    for i, (name, part) in enumerate(sizes.groupby("list_name", sort=True)):
        fig.add_trace(go.Scatter(x=part["date"], y=part["recipients"], name=str(name), mode="lines+markers",
                                 line_shape="hv", marker_color=charts._PALETTE[i % len(charts._PALETTE)],
                                 hovertemplate="%{x|%Y-%m-%d}<br>%{y:,} recipients<extra>" + str(name) + "</extra>"))
    fig.update_layout(yaxis_title="recipients")
    return charts._finish(fig, "Mailing list sizes" + (" (simulated)" if simulated else ""), simulated, height=360)


# --- market makers and analysts --------------------------------------------------------------------------

@memo.derived()
def coverage_view(data: ServicesData, end, *, simulated: bool = False) -> go.Figure:
    """The market-maker and analyst chart for the page: the counts' steps to ``end`` with the introductions."""
    steps = sv.coverage_steps(data.coverage, end=end)
    acts = data.activities[data.activities["type"].isin(sv.INTRODUCTION_TYPES)] if len(data.activities) else None
    return coverage_figure(steps, acts, simulated=simulated)


def coverage_figure(steps: pd.DataFrame, introductions: pd.DataFrame | None = None, *,
                    simulated: bool = False) -> go.Figure:
    """Market makers and analysts over time as steps (a count holds until the next), introductions marked."""
    if steps.empty:
        return charts.empty_figure("No market-maker or analyst counts recorded.")
    fig = go.Figure()
    for col, name, colour in (("market_makers", "market makers", "#0072B2"), ("analysts", "analysts", "#D55E00")):
        fig.add_trace(go.Scatter(x=steps["date"], y=steps[col].astype(float), name=name, mode="lines",
                                 line_shape="hv", line_color=colour,
                                 hovertemplate="%{x|%Y-%m-%d}<br>%{y:.0f} " + name + "<extra></extra>"))
    if introductions is not None and len(introductions):
        top = float(np.nanmax(steps[["market_makers", "analysts"]].astype(float).to_numpy(), initial=0.0)) + 0.4
        for code in ("market_maker_intro", "analyst_intro"):
            part = introductions[introductions["type"] == code]
            if len(part):  # above the steps, where no line hides them
                fig.add_trace(go.Scatter(
                    x=part["date"], y=[top] * len(part), mode="markers", name=activity_label(code),
                    marker=dict(symbol=charts.TYPE_SYMBOLS[code], color=charts.type_colour(code), size=10),
                    text=part["title"], hovertemplate="%{x|%Y-%m-%d}<br>%{text}<extra></extra>"))
    fig.update_layout(yaxis_title="count")
    fig.update_yaxes(rangemode="tozero", dtick=1)
    return charts._finish(fig, "Market makers and analysts" + (" (simulated)" if simulated else ""), simulated,
                          height=360)


@memo.derived()
def introduction_spreads(data: ServicesData) -> pd.DataFrame:
    """The spread before and after every introduction of the client (whole history: the placebo's reference)."""
    if data.bars.empty or data.activities.empty:
        return sv.introduction_spreads(pd.DataFrame(), pd.DataFrame())
    acts = data.activities[["activity_id", "date", "type", "title"]]
    return sv.introduction_spreads(data.bars[["date", "high", "low", "close", "volume"]], acts, level=LEVEL)


@memo.derived()
def spread_frame(spreads: pd.DataFrame) -> pd.DataFrame:
    """The spread table as shown and exported (percentages of the price)."""
    if spreads.empty:
        return pd.DataFrame(columns=["date", "type", "change_pp", "interval_pp", "p_value", "spread_before_pct",
                                     "spread_after_pct", "title", "test", "note"])
    out = spreads.copy()
    out["type"] = out["type"].map(activity_label)
    for a, b in (("spread_before", "spread_before_pct"), ("spread_after", "spread_after_pct"), ("change", "change_pp")):
        out[b] = (100 * out[a]).round(3)
    out["interval_pp"] = [f"{100 * lo:+.3f} to {100 * hi:+.3f}" if np.isfinite(lo) and np.isfinite(hi) else "n/a"
                          for lo, hi in zip(out["low"], out["high"])]
    out["p_value"] = out["p_value"].round(4)
    out["date"] = pd.to_datetime(out["date"]).dt.date
    return out[["date", "type", "change_pp", "interval_pp", "p_value", "spread_before_pct", "spread_after_pct",
                "title", "test", "note"]]


def amec_sentences(amec: pd.DataFrame) -> list[str]:
    """One sentence per AMEC row, by stage: "Outputs. Mailings sent: 7 mailings (...); uncertainty: ..."."""
    return [f"{r.stage.capitalize()}. {r.measure}: {r.value} ({r.change}); {r.uncertainty}."
            for r in amec.itertuples(index=False)]


@memo.derived()
def amec_frame(data: ServicesData, spreads: pd.DataFrame, start, end, simulated: bool) -> pd.DataFrame:
    """The ROI report's rows for the services (analytics.services.services_amec_rows) as a table."""
    rows = sv.services_amec_rows(data.inquiries, data.mailings, data.coverage, spreads, start=start, end=end,
                                 simulated=simulated, level=LEVEL)
    return pd.DataFrame([{"stage": r.stage, "measure": r.measure, "value": r.value, "change": r.change,
                          "uncertainty": r.uncertainty, "source": r.source} for r in rows])


# --- editing ---------------------------------------------------------------------------------------------

@memo.derived()
def editor_frame(data: ServicesData, table: str) -> pd.DataFrame:
    """The log's rows in the editor's columns (id first), oldest first."""
    frame = {"inquiries": data.inquiries, "mailings": data.mailings, "coverage_counts": data.coverage}[table]
    cols = [ID_COLUMN[table], *[c for c in EDIT_COLUMNS[table] if c != ID_COLUMN[table]]]
    out = frame.reindex(columns=cols).reset_index(drop=True)
    for c in out.columns:
        if str(out[c].dtype) == "str" or out[c].dtype == object:
            out[c] = out[c].astype(object).where(out[c].notna(), None)
    return out


def _clean(v):
    if v is None or v is pd.NA or (isinstance(v, float) and np.isnan(v)) or (isinstance(v, str) and not v.strip()):
        return None
    return v


def pending_edits(table: str, edits: dict | None, shown: pd.DataFrame, activity_ids=None) -> dict:
    """The editor's state as validated writes: ``{"added", "updated", "deleted", "errors"}``.

    ``edits`` is ``st.data_editor``'s ``{"edited_rows", "added_rows", "deleted_rows"}`` against ``shown``.
    Each changed or added row is checked whole with ``ingest.services.validate_rows``.
    """
    from ingest.services import mailing_kind, validate_rows

    edits = edits or {}
    id_col = ID_COLUMN[table]
    ids = shown[id_col].tolist() if id_col in shown else []
    cols = EDIT_COLUMNS[table]
    checks, labels, updated, added = [], [], {}, []

    def normal(row: dict) -> dict:
        row = {c: _clean(row.get(c)) for c in cols}
        for c in ("received_at", "answered_at", "date"):
            if c in row and row[c] is not None:
                row[c] = pd.to_datetime(row[c], errors="coerce")
                row[c] = None if pd.isna(row[c]) else row[c]
        if table == "mailings" and row.get("kind") is not None:
            row["kind"] = mailing_kind(str(row["kind"])) or row["kind"]
        return row

    for pos, change in (edits.get("edited_rows") or {}).items():
        pos = int(pos)
        if pos >= len(ids):
            continue
        fields = {k: v for k, v in change.items() if k in cols}
        if not fields:
            continue
        full = normal({**shown.iloc[pos].to_dict(), **fields})
        checks.append(full)
        labels.append(f"Row {pos + 1}")
        updated[ids[pos]] = {k: full[k] for k in fields}
    for n, row in enumerate(edits.get("added_rows") or [], start=1):
        row = normal(row)
        if not any(v is not None for v in row.values()):
            continue
        checks.append(row)
        labels.append(f"New row {n}")
        added.append(row)
    errors = [f"{labels[i]}: {message}." for i, message in validate_rows(table, pd.DataFrame(checks, columns=cols))] \
        if checks else []
    if table == "mailings" and activity_ids is not None:  # a mailing links to one of this client's activities
        known = {int(a) for a in activity_ids}
        for label, row in zip(labels, checks):
            a = row.get("activity_id")
            if a is not None and not pd.isna(a) and float(a) == int(float(a)) and int(float(a)) not in known:
                errors.append(f"{label}: activity_id {int(float(a))} is not an activity of this client (see the "
                              "Activities page for the ids, or leave it empty).")
    deleted = [ids[int(p)] for p in (edits.get("deleted_rows") or []) if int(p) < len(ids)]
    errors += _key_clashes(table, shown, checks, labels, edits, deleted)
    return {"added": pd.DataFrame(added, columns=cols), "updated": updated, "deleted": deleted, "errors": errors}


def _key_clashes(table: str, shown: pd.DataFrame, checks: list[dict], labels: list[str], edits: dict,
                 deleted: list) -> list[str]:
    """Rows that would share a natural key with another row (an import could not tell them apart; for the
    coverage counts the date is the table's key and the write would fail)."""
    from store.services import TABLES, _key

    key_cols = TABLES[table][1][1:]  # the client is the same for every row of the editor
    edited = {int(p) for p in (edits.get("edited_rows") or {})}
    gone = set(deleted)
    id_col = ID_COLUMN[table]
    seen: dict[tuple, str] = {}
    for pos, row in enumerate(shown.to_dict("records")):
        if pos not in edited and row.get(id_col) not in gone:
            seen[_key(table, {"client_id": None, **row})[1:]] = f"stored row {pos + 1}"
    out = []
    for label, row in zip(labels, checks):
        key = _key(table, {"client_id": None, **row})[1:]
        if key in seen:
            what = ", ".join(key_cols)
            out.append(f"{label}: same {what} as {seen[key]}; edit that row instead, or tell them apart.")
        else:
            seen[key] = label
    return out


def save_edits(db: str, client_id: str, table: str, pending: dict) -> str:
    """Write validated edits for a consultant (``auth.require_write`` first); a one-line summary."""
    from app import auth
    from store import services as store_services

    auth.require_write(db, client_id, "edit the services logs")
    counts = store_services.apply_edits(loaders.open_store(db), table, client_id, pending["added"],
                                        pending["updated"], pending["deleted"])
    return f"Saved: {counts['added']} added, {counts['updated']} updated, {counts['deleted']} deleted."


JOB_OF_TABLE = {"inquiries": "import-inquiries", "mailings": "import-mailings", "coverage_counts": "import-coverage"}


def import_csv(db: str, table: str, client_id: str, file_name: str, data: bytes) -> tuple[bool, str]:
    """An uploaded log CSV, imported exactly as ``python -m ingest import-...`` does (validated whole, merged by
    natural key, written to the ingest log); (ok, the job's summary line or its error in words)."""
    import tempfile
    from pathlib import Path

    from app import auth
    from ingest import services as ingest_services
    from ingest.csvread import shown

    auth.require_write(db, client_id, f"import the {table.replace('_', ' ')}")
    name = Path(str(file_name or "upload.csv")).name or "upload.csv"
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / name[:200]
        path.write_bytes(data)
        try:
            summary = ingest_services.import_services(loaders.open_store(db), JOB_OF_TABLE[table], path, client_id)
        except Exception as exc:  # the job's named errors are written for people (and logged)
            return False, shown(str(exc), 4000)
    auth.audit(db, "edit", client_id, f"{table} import: {summary.added} added, {summary.updated} updated")
    return True, summary.line()
