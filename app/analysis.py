"""Cached analytics for the pages: read through ``app.loaders``, call ``analytics``, return frames.

Only glue: choosing columns, calling the library, packing results into picklable dicts of
DataFrames so ``st.cache_data`` can keep them. Any maths lives in ``analytics/``. Functions
return ``None`` when the view lacks what they need (no client, ticker, grant or prices), and the
pages show an empty state for it.
"""
from __future__ import annotations

import importlib

import numpy as np
import pandas as pd
import streamlit as st

from app import loaders

TTL_SECONDS = loaders.TTL_SECONDS


def module(name: str):
    """``analytics.<name>``, imported on first use (pages that never need it do not pay its import)."""
    return importlib.import_module(f"analytics.{name}")


def _ts(v):
    return None if v is None else pd.Timestamp(v)


@st.cache_data(ttl=TTL_SECONDS, max_entries=32, show_spinner=False)
def prices(db: str, ticker: str | None, start=None, end=None) -> pd.DataFrame:
    """``date, open, high, low, close, adj_close, volume, zero_volume, stale_close`` of one ticker."""
    if not ticker:
        return pd.DataFrame(columns=["date", "close", "adj_close", "volume"])
    frame = loaders.bars(db, (ticker,), _ts(start), _ts(end))
    if frame.empty:
        return pd.DataFrame(columns=["date", "close", "adj_close", "volume"])
    return frame.sort_values("date").reset_index(drop=True)


def study_prices(frame: pd.DataFrame) -> pd.DataFrame:
    """The event-study input: ``ticker, date, close (= adj_close), volume``."""
    return frame[["ticker", "date", "adj_close", "volume"]].rename(columns={"adj_close": "close"})


# --- the one answer (analytics.answer): every headline figure comes from it ------------------------

def view_settings(view):
    """The view's method settings (the sidebar read them from the URL through analytics.settings)."""
    from analytics.settings import DEFAULTS

    return getattr(view, "settings", None) or DEFAULTS


def answer(db: str, view, settings=None):
    """The programme's answer for the view and settings (:func:`analytics.answer.programme_answer`), or None."""
    if not view.client_id or not view.ticker:
        return None
    s = settings or view_settings(view)
    simulated = bool(loaders.workspace_info(db).get("simulated"))
    # "all history" has no bounds of its own: activities dated before or after the prices are listed, not cut
    start, end = (None, None) if view.period == "all" else (_ts(view.start), _ts(view.end))
    return _answer(db, view.client_id, view.client_name, view.ticker, view.benchmark, start, end,
                   tuple(sorted(s.query(all_keys=True).items())), simulated)


@st.cache_data(ttl=TTL_SECONDS, max_entries=16, show_spinner="Computing the programme's answer...")
def _answer(db, client_id, client_name, ticker, benchmark, start, end, settings_items, simulated):
    from analytics.answer import AnswerInputs, programme_answer
    from analytics.settings import parse_settings

    settings = parse_settings(dict(settings_items)).settings
    eng = client_engagement(db, client_id)
    market = prices(db, benchmark) if benchmark else pd.DataFrame()
    inputs = AnswerInputs(client_id=client_id, client_name=client_name, ticker=ticker, benchmark=benchmark,
                          prices=prices(db, ticker), market=market, activities=loaders.activities(db, client_id),
                          engagements=eng["engagements"], grants=eng["grants"], financings=eng["financings"],
                          shares_outstanding=loaders.shares_outstanding(db, ticker), splits=loaders.splits(db, ticker),
                          confounding=loaders.confounding_events(db, ticker) if ticker else None,
                          start=start, end=end, simulated=simulated)
    from dataclasses import replace

    answer = programme_answer(inputs, settings)
    return replace(answer, version=f"{answer.version}, {software_commit()}")


@st.cache_resource(show_spinner=False)
def software_commit() -> str:
    """``commit abc1234`` of the running code (git), or ``commit not recorded`` outside a git checkout."""
    import subprocess
    from pathlib import Path

    try:
        out = subprocess.run(["git", "-C", str(Path(__file__).resolve().parents[1]), "rev-parse", "--short", "HEAD"],
                             capture_output=True, text=True, timeout=5)
    except (OSError, subprocess.SubprocessError):
        return "commit not recorded"
    sha = out.stdout.strip()
    return f"commit {sha}" if out.returncode == 0 and sha else "commit not recorded"


# --- overview ------------------------------------------------------------------------------------

def _money(v) -> str:
    """Dollars as the whole app and the report write them (:func:`app.report.money`): $23k, $6.3M, -$6.2M."""
    from app.report import money

    return money(v)


def _count(v) -> str:
    """Share counts short enough for a metric card: 5.0M, 350k."""
    return f"{v / 1e6:,.1f}M" if abs(v) >= 1e6 else f"{v / 1e3:,.0f}k" if abs(v) >= 1e4 else f"{v:,.0f}"


def price_text(v) -> str:
    """Penny-stock aware price: never rounded to cents."""
    if v is None or pd.isna(v):
        return "n/a"
    return f"${v:,.4f}" if abs(v) < 1 else f"${v:,.2f}"


def client_engagement(db: str, client_id: str | None) -> dict:
    """The client's engagements, option grants and financings (frames, possibly empty)."""
    empty = pd.DataFrame()
    if not client_id:
        return {"engagements": empty, "grants": empty, "financings": empty}
    eng = loaders.engagements(db, client_id)
    if eng.empty:
        return {"engagements": eng, "grants": empty, "financings": empty}
    grants = pd.concat([loaders.option_grants(db, e) for e in eng["engagement_id"]], ignore_index=True)
    fins = pd.concat([loaders.financings(db, e) for e in eng["engagement_id"]], ignore_index=True)
    return {"engagements": eng, "grants": grants, "financings": fins}


def activities_in(db: str, client_id: str | None, start=None, end=None) -> pd.DataFrame:
    """The client's activities dated inside [start, end]."""
    if not client_id:
        return pd.DataFrame(columns=["activity_id", "date", "type", "title"])
    acts = loaders.activities(db, client_id)
    if acts.empty:
        return acts
    dates = pd.to_datetime(acts["date"])
    keep = pd.Series(True, index=acts.index)
    if start is not None:
        keep &= dates >= pd.Timestamp(start)
    if end is not None:
        keep &= dates <= pd.Timestamp(end)
    return acts[keep].sort_values("date").reset_index(drop=True)


def activity_markers(db: str, view) -> pd.DataFrame:
    """``activity_id, date, type, title`` of the view's activities (chart markers, from the store alone)."""
    acts = activities_in(db, view.client_id, view.start, view.end)
    cols = ["activity_id", "date", "type", "title"]
    return acts[cols].copy() if not acts.empty else pd.DataFrame(columns=cols)


def option_status(db: str, view, grants: pd.DataFrame):
    """Status of the first grant still relevant at the view's end (analytics.options), or None."""
    options = module("options")
    if grants.empty or not view.ticker:
        return None
    full = prices(db, view.ticker, None, view.end)
    if full.empty:
        return None
    splits = loaders.splits(db, view.ticker)
    grant = grants.sort_values("expiry_date").iloc[0]
    return options.option_status_as_of(grant, full[["date", "close"]], as_of=full["date"].iloc[-1],
                                       splits=splits if not splits.empty else None)


def overview_snapshot(db: str, view) -> dict:
    """Key figures and alerts (analytics.answer.market_snapshot) and the chart markers of the overview page."""
    from analytics.answer import market_snapshot

    px = prices(db, view.ticker, None, view.end)
    eng = client_engagement(db, view.client_id)
    snap = market_snapshot(px, loaders.shares_outstanding(db, view.ticker), option_status(db, view, eng["grants"]),
                           last_stored=prices(db, view.ticker)["date"].iloc[-1],
                           simulated=bool(loaders.workspace_info(db).get("simulated")))
    metrics, alerts, strike, as_of = snap["metrics"], snap["alerts"], snap["strike"], snap["as_of"]
    markers = activity_markers(db, view)
    ans = answer(db, view)
    if ans is not None and not markers.empty and len(ans.per_activity):
        markers = markers.merge(ans.per_activity[["activity_id", "car", "car_low", "car_high", "p_value"]],
                                on="activity_id", how="left")
    note = (f"As of {as_of:%Y-%m-%d}. Markers sit on the close of the first trading day on or after the "
            "activity; hover for its CAR over the first event window, with its 90% interval.")
    return {"metrics": metrics, "alerts": alerts, "markers": markers, "strike": strike, "note": note}


def program_metrics(db: str, view) -> list[tuple]:
    """Programme cost and cost per month from the answer (the two values live in the verdict, with intervals)."""
    ans = answer(db, view)
    if ans is None:
        return [("Programme cost", "n/a", None, "No engagement recorded"), ("Cost per month", "n/a", None, None)]
    return [("Programme cost", ans.figure("cost"), None,
             "Retainer shares at their value when issued + the option at its grant-date fair value + finder's "
             "fees + activity costs"),
            ("Cost per month", ans.figure("cost_per_month"), None, "Programme cost / months of the engagement")]


# --- event study for the other pages ---------------------------------------------------

def event_cars(db: str, view):
    """Per-activity CARs of the client's activities in the view (the answer's event study), or None."""
    ans = answer(db, view)
    return None if ans is None or ans.cars is None else ans.cars


def engagement_account(db: str, view):
    """The engagement's account (:func:`analytics.roi.engagement_account`) inside the answer, or None."""
    ans = answer(db, view)
    return None if ans is None else ans.account


def cost_table(acc) -> pd.DataFrame:
    """``kind, amount`` of the program cost by kind (without the total row), for the bar chart."""
    by_kind = acc.inputs["costs_by_kind"]
    return (by_kind[by_kind["kind"] != "total"][["label", "cost"]]
            .rename(columns={"label": "kind", "cost": "amount"}).reset_index(drop=True))


# --- activities ----------------------------------------------------------------------------------

ACTIVITY_COLUMNS = ["activity_id", "date", "end_date", "type", "title", "channel", "reach", "cost",
                    "after_close", "notes", "link"]


def price_span(db: str, ticker: str | None):
    """First and last stored bar date of ``ticker`` (None, None when nothing is stored)."""
    px = prices(db, ticker)
    if px.empty:
        return None, None
    return pd.Timestamp(px["date"].iloc[0]), pd.Timestamp(px["date"].iloc[-1])


def activity_table(db: str, view, types: tuple[str, ...] = ()) -> pd.DataFrame:
    """The client's activities in the view's period (optionally of some types) with their reaction."""
    bounds = (None, None) if view.period == "all" else (view.start, view.end)  # "all": every logged activity
    acts = activities_in(db, view.client_id, *bounds)
    if acts.empty:
        return pd.DataFrame(columns=ACTIVITY_COLUMNS + ["car", "p_value", "abnormal_volume"])
    if types:
        acts = acts[acts["type"].isin(types)]
    acts = acts[[c for c in ACTIVITY_COLUMNS if c in acts.columns]].copy()
    for col in ("date", "end_date"):
        acts[col] = pd.to_datetime(acts[col]).dt.date
    reaction = activity_reactions(db, view)
    if reaction is not None and not reaction.empty:
        acts = acts.merge(reaction, on="activity_id", how="left")
    for col in ("car", "p_value", "abnormal_volume"):
        if col not in acts:
            acts[col] = float("nan")
    return acts.reset_index(drop=True)


def activity_reactions(db: str, view):
    """``activity_id, car, p_value, abnormal_volume`` over the first event window, or None."""
    cars = event_cars(db, view)
    if cars is None or cars.empty:
        return None
    first = cars.sort_values(["event_id", "window_start"]).drop_duplicates("event_id")
    out = first[["event_id", "car", "p_value"]].rename(columns={"event_id": "activity_id"})
    vol = abnormal_volume(db, view)
    if vol is not None and not vol.empty:
        out = out.merge(vol, on="activity_id", how="left")
    return out


def abnormal_volume(db: str, view):
    """``activity_id, abnormal_volume, abnormal_volume_t`` over the first event window, or None."""
    ans = answer(db, view)
    return None if ans is None else ans.abnormal_volume


def reaction_note(db: str, view) -> str:
    """What the reaction columns are, under the view's settings (or why they are empty)."""
    from analytics.settings import MODELS, format_window

    ans = answer(db, view)
    if ans is None or ans.cars is None:
        return "No reactions yet: " + (ans.error if ans is not None and ans.error else "no activity was studied.")
    s = ans.settings
    w = s.windows[0]
    return (f"CAR: cumulative abnormal return over days {w[0]} to {w[1]} ({MODELS[s.model].lower()}, estimation "
            f"window {format_window(s.est)}); p: two-sided p-value. Abnormal volume: mean abnormal log turnover "
            "over the same window.")


# --- event study ---------------------------------------------------------------------------------

from analytics.settings import MODELS, THIN_METHODS  # noqa: E402 - declared once, with the other settings


def activity_types_present(db: str, view) -> set[str]:
    acts = activities_in(db, view.client_id, view.start, view.end)
    return set() if acts.empty else set(acts["type"])


def group_options(present: set[str]) -> list[str]:
    """``all``, then the activity types in their usual order, then mixed campaigns."""
    from analytics.constants import ACTIVITY_TYPE_CODES

    return ["all"] + [t for t in [*ACTIVITY_TYPE_CODES, module("overlap").MIXED_TYPES] if t in present]


def group_label(group: str) -> str:
    """Label of a summary group: a type, all types pooled, or campaigns of several types."""
    from analytics.constants import activity_label

    if group == "all":
        return "All types (pooled)"
    if group == module("overlap").MIXED_TYPES:
        return "Campaigns of several types"
    return activity_label(group)


def event_study_view(db: str, view, *, model: str, thin: str, est, wins, with_tests: bool = False,
                     merge: bool = False):
    """Curves, per-event table, skipped events (+ tests and placebo) for the view, or None.

    ``merge`` studies campaigns (chains of activities overlapping in the first window) instead.
    """
    if not view.client_id or not view.ticker:
        return None
    return _event_study(db, view.client_id, view.ticker, view.benchmark, _ts(view.start), _ts(view.end),
                        model, thin, tuple(est), tuple(tuple(w) for w in wins), with_tests, merge)


OVERLAP_NOTE = ("Overlapping windows share trading days: each shared day's abnormal return is counted in the CAR of "
                "every activity whose window contains it, so these CARs are not independent and the pooled CAAR "
                "weighs those days more than once. The Kolari-Pynnonen test accounts for the cross-correlation "
                "this creates; merging a chain into one campaign window counts each day once.")


def overlap_view(db: str, view, window) -> pd.DataFrame | None:
    """Chains of the view's activities whose ``window`` overlaps (analytics.overlap), for display; None without a ticker."""
    if not view.ticker:
        return None
    ov = module("overlap")
    acts = activities_in(db, view.client_id, view.start, view.end)
    px = prices(db, view.ticker)
    if acts.empty or px.empty:
        return pd.DataFrame()
    events = acts.rename(columns={"activity_id": "event_id"}).assign(ticker=view.ticker)
    events = events[[c for c in ("event_id", "ticker", "date", "after_close", "type") if c in events]]
    chains = ov.overlap_chains(events, study_prices(px), tuple(window))
    chains["activity_ids"] = chains["activity_ids"].map(lambda ids: ", ".join(map(str, ids)))
    if "types" in chains:
        from analytics.constants import activity_label

        chains["types"] = chains["types"].map(lambda codes: ", ".join(map(activity_label, codes.split(","))))
    keep = ["chain", "first_day0", "last_day0", "span_days", "n_activities", "activity_ids", "types",
            "union_days", "repeated_days"]
    return chains[[c for c in keep if c in chains]]


def campaign_note(result: dict, wins) -> str:
    """How the campaign windows were set, in words (empty when the study did not merge)."""
    used = result.get("windows")
    if not result.get("merged") or used is None or "max_span" not in result:
        return ""
    span = result.get("max_span", 0)
    from app.state import format_window, format_windows

    return (f"Activities whose {format_window(wins[0])} windows overlap were merged into campaigns (day 0: the "
            f"first activity's day 0). Campaigns last up to {span} trading days from first to last activity, so "
            f"each event window was stretched by {span} days at its end: {format_windows(wins)} became "
            f"{format_windows(used)}. Every campaign's window covers all of its activities; shorter campaigns "
            "also include the days after their last activity.")


@st.cache_data(ttl=TTL_SECONDS, max_entries=32, show_spinner="Running the event study...")
def _event_study(db, client_id, ticker, benchmark, start, end, model, thin, est, wins,
                 with_tests: bool = False, merge: bool = False) -> dict:
    """The study for the view; ``with_tests`` adds the cross-event tests and the placebo (slower)."""
    es = module("event_study")
    out = {"error": None, "warnings": [], "cars": pd.DataFrame(), "curves": pd.DataFrame(),
           "tests": pd.DataFrame(), "events": pd.DataFrame(), "skipped": pd.DataFrame(), "placebo": None,
           "merged": merge, "windows": wins}
    acts = activities_in(db, client_id, start, end)
    if acts.empty:
        out["error"] = "No activities logged in this period yet: log them on the Activities page."
        return out
    px = prices(db, ticker)
    if px.empty:
        out["error"] = f"No prices of {ticker} are stored: load its history on the Data page."
        return out
    px = px.assign(ticker=ticker) if "ticker" not in px else px
    if not benchmark:
        if model != "constant_mean":
            out["error"] = "This client has no benchmark: choose the constant-mean model or set a benchmark."
            return out
        market = px[["date", "adj_close"]].rename(columns={"adj_close": "close"})
    else:
        market = prices(db, benchmark)[["date", "adj_close"]].rename(columns={"adj_close": "close"})
        if market.empty:
            out["error"] = f"The benchmark {benchmark} is not loaded: load it on the Data page."
            return out
    events = acts.rename(columns={"activity_id": "event_id"}).assign(ticker=ticker)
    events = events[[c for c in ("event_id", "ticker", "date", "after_close", "type", "title") if c in events]]
    left_out = events.iloc[:0]
    if merge:
        ov = module("overlap")
        events, left_out = ov.campaigns_for_study(events, study_prices(px), wins[0], windows=wins)
        out["max_span"] = int(events["span_days"].max()) if len(events) else 0
        wins = ov.campaign_event_windows(events, wins)
        out["windows"] = wins
    shares = loaders.shares_outstanding(db, ticker)
    try:
        sp = study_prices(px)
        res = es.event_study(sp, events, market, model=model,
                             thin_trading=None if thin == "none" else thin, estimation_window=est,
                             event_windows=wins,
                             shares_outstanding=module("shares").shares_for_study(
                                 shares, sp["date"], loaders.splits(db, ticker), ticker))
    except ValueError as exc:
        out["error"] = str(exc)
        return out
    out["cars"] = res.cars
    used = getattr(res, "thin_trading_chosen", None) or "none"
    out["thin_note"] = (f"Thin trading: {THIN_METHODS.get(used, used).lower()}, "
                        + ("chosen automatically" if thin == "auto" else "as selected")
                        + f" ({getattr(res, 'thin_trading_reason', '')}).")
    out["abnormal"] = res.abnormal
    out["study_events"] = events
    out["skipped"] = res.skipped
    if not left_out.empty:  # no trading day on or after them: in no campaign, but never dropped silently
        out["skipped"] = pd.concat([res.skipped.astype({"event_id": object}), pd.DataFrame({
            "event_id": left_out["event_id"].astype(object), "ticker": ticker,
            "event_date": pd.to_datetime(left_out["date"]),
            "reason": "no trading day on or after the activity date: in no campaign"})], ignore_index=True)
    if res.cars.empty:
        out["error"] = ("No activity could be studied: not enough history before them for the estimation window "
                        f"{est[0]}..{est[1]}.")
        return out
    pooled = res.caar_path().assign(type="all")
    curves = pd.concat([pooled, res.caar_path(by="type")], ignore_index=True)
    out["curves"] = curves.rename(columns={"type": "group", "lower": "lo", "upper": "hi"})
    keep = ["event_id", "type", "title", "n_activities", "activity_ids", "event_date", "day0_date", "end_date",
            "span_days", "window_start", "window_end", "car", "car_t", "p_value", "n_est", "thin_warning"]
    out["events"] = res.cars[[c for c in keep if c in res.cars]]
    if "thin_warning" in res.cars and res.cars["thin_warning"].any():
        n = int(res.cars.loc[res.cars["thin_warning"], "event_id"].nunique())
        out["warnings"].append(f"{n} {'campaigns' if merge else 'activities'} have mostly zero-volume days in their "
                               "windows: their CARs are not "
                               "reliable. " + (
                                   "Trade-to-trade returns are already selected: the windows simply hold too few "
                                   "trades to measure a reaction." if (getattr(res, "thin_trading_chosen", None)
                                                                       or thin) == "trade_to_trade" else
                                   "Choose the trade-to-trade thin-trading method above, which uses only the days "
                                   "with a trade."))
    if not out["skipped"].empty:
        what = "campaigns or activities" if merge else "activities"
        out["warnings"].append(f"{out['skipped']['event_id'].nunique()} {what} could not be studied (see the list "
                               "below the event table).")
    if with_tests and hasattr(res, "summary"):
        tests = pd.concat([res.summary().assign(type="all"), res.summary(by="type")], ignore_index=True)
        if "headline_p" in tests:  # one Holm family: every row the page shows (all activities and each type)
            from analytics.constants import HEADLINE_P_ADJUSTMENT
            from analytics.multiple_testing import METHODS, adjust_p_values

            tests["headline_p_adjusted"] = adjust_p_values(tests["headline_p"].to_numpy(dtype=float),
                                                           HEADLINE_P_ADJUSTMENT)
            m = int(np.isfinite(tests["headline_p"].to_numpy(dtype=float)).sum())
            tests["headline_p_adjustment"] = f"{METHODS[HEADLINE_P_ADJUSTMENT]}, across the {m} rows shown"
        out["tests"] = tests.rename(columns={"type": "group"})
    if with_tests and hasattr(res, "placebo"):
        from analytics.constants import DEFAULT_PLACEBO_DRAWS

        out["placebo"] = pd.concat([res.placebo(draws=DEFAULT_PLACEBO_DRAWS).assign(type="all"),
                                    res.placebo(by="type", draws=DEFAULT_PLACEBO_DRAWS)],
                                   ignore_index=True).rename(columns={"type": "group"})
    if hasattr(res, "abnormal_volume"):
        av = res.abnormal_volume
        av = av() if callable(av) else av
        w0 = wins[0]
        av = av[(av["window_start"] == w0[0]) & (av["window_end"] == w0[1])]
        out["abnormal_volume"] = av[["event_id", "cav", "cav_t"]].rename(
            columns={"event_id": "activity_id", "cav": "abnormal_volume", "cav_t": "abnormal_volume_t"})
    return out


def placebo_view(db: str, view, *, model: str, thin: str, est, wins, group=None, merge: bool = False):
    """``{"table", "draws" (None unless the engine returns them), "actual", "p_value"}``, or None."""
    res = event_study_view(db, view, model=model, thin=thin, est=est, wins=wins, with_tests=True, merge=merge)
    if res is None or res["error"] or res["placebo"] is None or res["placebo"].empty:
        return None
    table = res["placebo"]
    row = table[table["group"] == (group or "all")]
    if row.empty or pd.isna(row["p_value"].iloc[0]):
        return None
    r = row.iloc[0]
    draws = r["caar_draws"] if "caar_draws" in row else None  # engine versions before the draws: table only
    if draws is not None and len(draws) == 0:
        draws = None
    return {"table": row.drop(columns=[c for c in ("caar_draws",) if c in row]), "draws": draws,
            "actual": float(r["caar"]), "p_value": float(r["p_value"])}


# --- engagement ----------------------------------------------------------------------------------

def first_engagement(engagements: pd.DataFrame) -> pd.Series:
    """The engagement the pages show: the client's earliest by start date."""
    return engagements.sort_values("start_date").iloc[0]


def _price_rule_words(e) -> str:
    """How each retainer payment's price is chosen, in words."""
    if e.get("retainer_price_rule") == "avg_close_prior_n" and pd.notna(e.get("retainer_price_days")):
        return f"the average close of the {int(e['retainer_price_days'])} trading days before it"
    return "the close on the payment date"


def contract_terms(eng: dict) -> dict:
    """Headline terms of the client's (first) engagement as metric tuples."""
    e = first_engagement(eng["engagements"])
    metrics = [
        ("Signed", f"{pd.Timestamp(e['signed_date']):%Y-%m-%d}" if pd.notna(e.get("signed_date")) else "n/a", None),
        ("Retainer", f"{_money(e.get('retainer_amount'))} a month",
         f"Paid in stock, each payment priced at {_price_rule_words(e)}"),
        ("Minimum", f"{int(e['minimum_months'])} months" if pd.notna(e.get("minimum_months")) else "n/a", None),
    ]
    g = eng["grants"]
    if not g.empty:
        first = g.sort_values("grant_date").iloc[0]
        metrics.append(("Option", f"{_count(first['shares'])} @ {price_text(first['strike'])}",
                        f"{first['shares']:,.0f} shares at a strike of {price_text(first['strike'])}, expiring "
                        f"{pd.Timestamp(first['expiry_date']):%Y-%m-%d}"))
    f = eng["financings"]
    if not f.empty:
        fees = float((f["amount"] * f["fee_rate"]).sum())
        metrics.append(("Finder's fees", _money(fees), f"{len(f)} financing(s), amount x fee rate"))
    return {"metrics": metrics, "notes": _plain(e.get("notes")), "consultant": _plain(e.get("consultant")) or "n/a"}


def _plain(v) -> str:
    """Stored text or "" (an empty cell reads as nothing, never "nan" or "None")."""
    return "" if v is None or (not isinstance(v, str) and pd.isna(v)) else str(v)


@st.cache_data(ttl=TTL_SECONDS, max_entries=16, show_spinner=False)
def _option_series(db: str, ticker: str, grant: dict):
    options = module("options")
    full = prices(db, ticker)
    splits = loaders.splits(db, ticker)
    series = options.option_grant_series(grant, full[["date", "close"]], splits=splits if not splits.empty else None)
    status = options.option_status_as_of(grant, full[["date", "close"]], splits=splits if not splits.empty else None)
    return series, status


def option_view(db: str, view, grants: pd.DataFrame):
    """Daily option series of the first grant (renamed for the chart) and a one-line summary, or None."""
    if grants.empty or not view.ticker or prices(db, view.ticker).empty:
        return None
    grant = grants.sort_values("grant_date").iloc[0].to_dict()
    series, status = _option_series(db, view.ticker, grant)
    if series.empty:
        return None
    chart = series.rename(columns={"intrinsic_value": "intrinsic_total", "fair_value": "fair_value_total"})
    from analytics.answer import option_value_words

    summary = f"{status.status.capitalize()}. " + option_value_words(status)
    return {"series": chart, "strike": float(grant["strike"]), "summary": summary}


@st.cache_data(ttl=TTL_SECONDS, max_entries=16, show_spinner=False)
def _retainer(db: str, ticker: str, engagement: dict) -> pd.DataFrame:
    retainer = module("retainer")
    full = prices(db, ticker)
    shares = loaders.shares_outstanding(db, ticker)
    splits = loaders.splits(db, ticker)
    return retainer.retainer_schedule(engagement, full[["date", "close"]],
                                      shares_outstanding=None if shares.empty else shares[["date", "shares"]],
                                      splits=None if splits.empty else splits)


def retainer_view(db: str, view, engagements: pd.DataFrame):
    """Retainer schedule table and chart frame (analytics.retainer), or None."""
    if engagements.empty or not view.ticker or prices(db, view.ticker).empty:
        return None
    engagement = first_engagement(engagements).to_dict()
    schedule = _retainer(db, view.ticker, engagement)
    if schedule.empty:
        return None
    chart = pd.DataFrame({"date": schedule["payment_date"], "shares": schedule["shares_issued"],
                          "price": schedule["price"], "dilution": schedule["cumulative_dilution"]})
    keep = ["payment_no", "payment_date", "status", "amount", "price", "shares_issued", "cumulative_shares",
            "dilution", "cumulative_dilution", "value_at_issue", "value_marked", "gain_since_issue"]
    return {"chart": chart, "table": schedule[[c for c in keep if c in schedule]]}


# --- report --------------------------------------------------------------------------------------

def report_content(db: str, view, *, simulated: bool, settings=None):
    """The ROI report for the view: the answer's words and tables, laid out with its charts."""
    from analytics.answer import STAKE_COLUMNS
    from app import charts
    from app import report as rp
    from app.report import ReportContent

    ans = answer(db, view, settings)
    content = ReportContent(
        title=f"IR programme ROI: {view.client_name or view.ticker} ({view.ticker})",
        subtitle=f"Period {view.start:%Y-%m-%d} to {view.end:%Y-%m-%d}" if view.start is not None and
        view.end is not None else "All dates",
        simulated=simulated,
    )
    if ans is None:
        content.sections["Impact"] = ["No client with a ticker in this view."]
        return content
    content.verdict = list(ans.verdict)
    content.renewal = list(ans.renewal)
    content.headline = [(label, text) for _, label, text in ans.headline]
    content.method = ans.settings.describe() + (f". {ans.thin_trading_words}" if ans.thin_trading_words else "")
    content.reproducibility = ans.reproducibility
    content.sections = {k: list(v) for k, v in ans.sections.items()}
    content.notes.extend(ans.notes)
    content.methodology = rp.methodology(ans.settings, ans.thin_trading_used)
    if len(ans.per_type):
        content.tables.append(("Results by activity type (" + rp.window_text(ans.settings.windows[0]) + ")",
                               rp.per_type_table(ans.per_type)))
    acc = ans.account
    px = prices(db, view.ticker, view.start, view.end)
    eng = client_engagement(db, view.client_id)
    opt = option_view(db, view, eng["grants"])
    if not px.empty:
        acts = activities_in(db, view.client_id, view.start, view.end)
        markers = acts[["date", "type", "title"]] if not acts.empty else None
        strike = opt["strike"] if opt is not None else None
        content.figures.append(("Price and volume with the IR activities (markers by type).",
                                charts.price_volume_chart(px, markers, strike=strike, simulated=simulated,
                                                          title=f"{view.ticker}: price, volume and activities")))
    if len(ans.stake):
        content.figures.append((f"{ans.whole.name if ans.whole else 'Value over the whole engagement'}, "
                                "cumulative, with its 90% band, beside the consultant's stake.",
                                charts.stake_chart(ans.stake, STAKE_COLUMNS, company="company_cum_abnormal_value",
                                                   title="Consultant's stake vs company's value",
                                                   simulated=simulated)))
    if opt is not None:
        content.figures.append(("The consultant's option: moneyness, intrinsic and fair value.",
                                charts.option_value_chart(opt["series"], strike=opt["strike"], simulated=simulated)))
    if acc is not None:
        content.tables.append(("Programme cost by kind", rp.cost_items_table(acc.inputs["costs_by_kind"])))
        liq = rp.liquidity_table(acc.outcomes)
        if liq is not None:
            content.tables.append(("Liquidity before and during the engagement", liq))
        sched = acc.inputs.get("retainer")
        if sched is not None and len(sched):
            content.tables.append(("Retainer payments", rp.retainer_table(sched)))
    if "confounded" in ans.per_activity and ans.per_activity["confounded"].any():
        conf = ans.per_activity[ans.per_activity["confounded"]]
        content.tables.append(("Activities with other news in their event window (shown apart)", pd.DataFrame({
            "Date": pd.to_datetime(conf["date"]).dt.strftime("%Y-%m-%d"), "Activity type": conf["label"],
            "CAR": conf["car"].map(lambda v: rp.percent(v, 1, signed=True)),
            # the long texts together in the last column: the report wraps only the last column of a table
            "Activity and the other news": conf["title"].astype(str) + ": " + conf["confounders"],
        }).reset_index(drop=True)))
    if len(ans.skipped):
        content.tables.append(("Activities that could not be studied", rp.skipped_table(ans.skipped)))
    return content


# --- data ----------------------------------------------------------------------------------------

def coverage_table(cov: pd.DataFrame) -> pd.DataFrame:
    """Coverage with the age of the last bar, for the Data page."""
    out = cov.copy()
    if "last_date" in out:
        out["days_since_last_bar"] = (pd.Timestamp.today().normalize() - pd.to_datetime(out["last_date"])).dt.days
    return out


def quality_flags(db: str, cov: pd.DataFrame) -> pd.DataFrame:
    """One row per ticker with something to look at: zero-volume and flagged bars, gaps, splits."""
    splits = loaders.splits(db)
    n_splits = splits.groupby("ticker").size() if not splits.empty else pd.Series(dtype="int64")
    gaps = bar_gaps(db, tuple(cov["ticker"]))
    frame = cov[["ticker"]].copy()
    frame["zero_volume_days"] = cov.get("zero_volume_days", 0)
    frame["flagged_bars"] = cov.get("stale_close_days", 0)
    frame["gaps_over_5_days"] = frame["ticker"].map(gaps).fillna(0).astype(int)
    frame["splits"] = frame["ticker"].map(n_splits).fillna(0).astype(int)
    keep = frame[["zero_volume_days", "flagged_bars", "gaps_over_5_days", "splits"]].sum(axis=1) > 0
    return frame[keep].reset_index(drop=True)


@st.cache_data(ttl=TTL_SECONDS, max_entries=8, show_spinner=False)
def bar_gaps(db: str, tickers: tuple[str, ...]) -> dict:
    """Number of calendar gaps longer than STALE_DATA_DAYS between consecutive bars, per ticker."""
    from analytics.constants import STALE_DATA_DAYS

    if not tickers:
        return {}
    gaps = loaders.open_store(db).query(
        "SELECT ticker, count(*) AS n FROM (SELECT ticker, date - lag(date) OVER (PARTITION BY ticker ORDER BY date)"
        " AS gap FROM bars) WHERE gap > ? GROUP BY ticker", [STALE_DATA_DAYS])
    return dict(zip(gaps["ticker"], gaps["n"]))
