"""What Event impact lays out, from the answer's own event study (pure: frames in, frames out).

Event impact shows the event study of :func:`analytics.answer.programme_answer` for the URL's
settings: the same :class:`~analytics.event_result.EventStudyResult` and the same tests table
(:func:`analytics.answer.event_tests`) the report and the CSV read, so a figure cannot differ
between them. This module only shapes that object for the page (curves, per-event table,
warnings) and adds what only the page shows:

* the **campaign placebo** and its **CAAR band** (:mod:`analytics.campaign`, issue 9 point 2):
  the whole campaign moved to random start dates of the stock's own history, its spacing kept,
  the joint model refitted at each placement; the two-sided p-value is
  ``min(1, 2 min(1 + #{d <= actual}, 1 + #{d >= actual}) / (1 + draws))`` and the band holds the
  central ``level`` of the placebo CAAR paths. This is the placebo that keeps its level on one
  stock with clustered activities;
* the per-event **stock placebo** (``EventStudyResult.placebo``: each activity's date drawn
  independently), which over-rejects there (16-33% at 5%, ``python -m bench.calibration``) and
  is kept for reference behind a toggle;
* the study of **merged campaigns** (chains of overlapping activities as one event,
  :mod:`analytics.overlap`), a different computation the page offers as an option.

No Streamlit and no I/O here.
"""
from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from analytics.campaign import FEW_INDEPENDENT_PLACEMENTS
from analytics.constants import ACTIVITY_TYPE_CODES, DEFAULT_PLACEBO_DRAWS, DEFAULT_SEED, activity_label
from analytics.settings import THIN_METHODS, MethodSettings, format_window, format_windows

#: Said beside the table of overlapping activities.
OVERLAP_NOTE = ("Overlapping windows share trading days: each shared day's abnormal return is counted in the CAR of "
                "every activity whose window contains it, so these CARs are not independent and the pooled CAAR "
                "weighs those days more than once. The Kolari-Pynnonen test accounts for the cross-correlation "
                "this creates; merging a chain into one campaign window counts each day once.")

#: Level of the campaign placebo's CAAR band (the central share of the placebo paths).
BAND_LEVEL = 0.95

EVENT_COLUMNS = ["event_id", "type", "title", "n_activities", "activity_ids", "event_date", "day0_date", "end_date",
                 "span_days", "window_start", "window_end", "car", "car_t", "p_value", "n_est", "thin_warning"]


#: The headline tests (:data:`analytics.event_headline.HEADLINE_TESTS`) under the names the page shows.
TEST_NAMES = {
    "car_t": "CAR t test (one event)",
    "campaign_t": "Campaign model t (Karafiath 1988)",
    "bmp_overlap": "BMP with the shared days (Boehmer et al. 1991)",
    "kolari_pynnonen": "Kolari-Pynnonen (2010)",
    "grank": "Generalized rank, GRANK (Kolari and Pynnonen 2011)",
    "bmp": "BMP (Boehmer, Musumeci and Poulsen 1991)",
}


def test_name(code) -> str:
    """A headline test's name in words (the code itself when unknown; empty when missing)."""
    if code is None or (not isinstance(code, str) and pd.isna(code)):
        return ""
    return TEST_NAMES.get(str(code), str(code))


def mixed_types() -> str:
    """The ``type`` code of a merged campaign whose activities are of several types."""
    from analytics.overlap import MIXED_TYPES

    return MIXED_TYPES


def group_options(present) -> list[str]:
    """``all``, then the activity types present in their usual order, then mixed campaigns."""
    return ["all"] + [t for t in [*ACTIVITY_TYPE_CODES, mixed_types()] if t in set(present)]


def group_label(group: str) -> str:
    """Label of a summary group: a type, all types pooled, or campaigns of several types."""
    if group == "all":
        return "All types (pooled)"
    if group == mixed_types():
        return "Campaigns of several types"
    return activity_label(group)


def study_frames(prices: pd.DataFrame, market: pd.DataFrame | None, ticker: str):
    """The event-study inputs ``(prices: ticker, date, close, volume; market: date, close)`` from stored bars.

    ``close`` is the adjusted close (``adj_close``); without a benchmark (constant mean) the stock's
    own closes stand in for the market series, which that model does not use.
    """
    px = prices[["date", "adj_close", "volume"]].rename(columns={"adj_close": "close"}).assign(ticker=ticker)
    px = px.assign(date=pd.to_datetime(px["date"]))[["ticker", "date", "close", "volume"]]
    if market is None or len(market) == 0:
        return px, px[["date", "close"]]
    mkt = market[["date", "adj_close"]].rename(columns={"adj_close": "close"})
    return px, mkt.assign(date=pd.to_datetime(mkt["date"]))


def overlap_table(activities: pd.DataFrame, prices: pd.DataFrame, ticker: str, window) -> pd.DataFrame:
    """Chains of activities whose ``window`` overlaps (:func:`analytics.overlap.overlap_chains`), labelled.

    ``activity_ids`` and ``types`` are written out (ids comma-separated, type labels not codes).
    """
    from analytics.overlap import overlap_chains

    if activities is None or activities.empty or prices is None or prices.empty:
        return pd.DataFrame()
    events = activities.rename(columns={"activity_id": "event_id"}).assign(ticker=ticker)
    events = events[[c for c in ("event_id", "ticker", "date", "after_close", "type") if c in events]]
    chains = overlap_chains(events, study_frames(prices, None, ticker)[0], tuple(window))
    chains["activity_ids"] = chains["activity_ids"].map(lambda ids: ", ".join(map(str, ids)))
    if "types" in chains:
        chains["types"] = chains["types"].map(lambda codes: ", ".join(map(activity_label, codes.split(","))))
    keep = ["chain", "first_day0", "last_day0", "span_days", "n_activities", "activity_ids", "types",
            "union_days", "repeated_days"]
    return chains[[c for c in keep if c in chains]]


def study_tables(res, tests: pd.DataFrame, skipped: pd.DataFrame, *, merged: bool = False) -> dict:
    """The page's frames of one study: ``curves, events, tests, skipped, warnings``.

    ``curves`` is ``group, rel_day, caar, lo, hi`` (``EventStudyResult.caar_path``, pooled and by
    type, the band ``caar +- 1.96 caar_se`` of independent events); ``events`` the per-event CARs;
    ``tests`` the given tests table unchanged (the same object the answer holds).
    """
    pooled = res.caar_path().assign(type="all")
    curves = pd.concat([pooled, res.caar_path(by="type")], ignore_index=True)
    curves = curves.rename(columns={"type": "group", "lower": "lo", "upper": "hi"})
    events = res.cars[[c for c in EVENT_COLUMNS if c in res.cars]]
    warnings = []
    if "thin_warning" in res.cars and res.cars["thin_warning"].any():
        n = int(res.cars.loc[res.cars["thin_warning"], "event_id"].nunique())
        warnings.append(f"{n} {'campaigns' if merged else 'activities'} have mostly zero-volume days in their "
                        "windows: their CARs are not reliable. " + (
                            "Trade-to-trade returns are already selected: the windows simply hold too few trades "
                            "to measure a reaction." if res.thin_trading == "trade_to_trade" else
                            "Choose the trade-to-trade thin-trading method above, which uses only the days with a "
                            "trade."))
    if skipped is not None and len(skipped):
        what = "campaigns or activities" if merged else "activities"
        warnings.append(f"{skipped['event_id'].nunique()} {what} could not be studied (see the list below the "
                        "event table).")
    return {"curves": curves, "events": events, "tests": tests, "skipped": skipped, "warnings": warnings}


def thin_words(res, asked: str) -> str:
    """Which thin-trading method the study used and why (the answer's ``thin_trading_words``, for a study)."""
    used = res.thin_trading or "none"
    how = "chosen automatically" if asked == "auto" else "as selected"
    return f"Thin trading: {THIN_METHODS.get(used, used).lower()}, {how} ({res.thin_trading_reason})."


def merged_study(prices: pd.DataFrame, market: pd.DataFrame | None, activities: pd.DataFrame, ticker: str,
                 settings: MethodSettings, shares_outstanding: pd.DataFrame | None = None,
                 splits: pd.DataFrame | None = None) -> dict:
    """The event study of merged campaigns: chains of overlapping activities studied as one event each.

    Campaigns are formed on the first event window and merged again on their widened windows until
    none overlap (:func:`analytics.overlap.campaigns_for_study`); every event window is stretched by
    the longest campaign's span (:func:`analytics.overlap.campaign_event_windows`). The study and its
    tests are those of the answer (:func:`analytics.event_study.event_study`,
    :func:`analytics.answer.event_tests`) on the campaign events.

    Returns
    -------
    dict
        ``error`` (None or words), ``res``, ``tests``, ``skipped`` (with the activities in no
        campaign), ``windows`` (the stretched windows), ``max_span``, ``thin_note``.
    """
    from analytics import event_study as es
    from analytics.answer import event_tests
    from analytics.overlap import campaign_event_windows, campaigns_for_study
    from analytics.shares import shares_for_study

    s = settings
    out: dict[str, Any] = {"error": None, "res": None, "tests": pd.DataFrame(), "skipped": pd.DataFrame(),
                           "windows": s.windows, "max_span": 0, "thin_note": ""}
    if activities is None or activities.empty:
        out["error"] = "No activities logged in this period: log them on the Activities page."
        return out
    sp, mkt = study_frames(prices, market, ticker)
    events = activities.rename(columns={"activity_id": "event_id"}).assign(ticker=ticker)
    events = events[[c for c in ("event_id", "ticker", "date", "after_close", "type", "title") if c in events]]
    events, left_out = campaigns_for_study(events, sp, s.windows[0], windows=s.windows)
    out["max_span"] = int(events["span_days"].max()) if len(events) else 0
    wins = campaign_event_windows(events, s.windows)
    out["windows"] = wins
    try:
        res = es.event_study(sp, events, mkt, model=s.model, thin_trading=s.thin_trading,
                             estimation_window=s.est, event_windows=wins,
                             shares_outstanding=shares_for_study(
                                 shares_outstanding if shares_outstanding is not None else pd.DataFrame(),
                                 sp["date"], splits if splits is not None else pd.DataFrame(), ticker))
    except ValueError as exc:
        out["error"] = f"The event study could not run with these settings: {exc}."
        return out
    skipped = res.skipped
    if not left_out.empty:  # no trading day on or after them: in no campaign, but never dropped silently
        skipped = pd.concat([skipped.astype({"event_id": object}), pd.DataFrame({
            "event_id": left_out["event_id"].astype(object), "ticker": ticker,
            "event_date": pd.to_datetime(left_out["date"]),
            "reason": "no trading day on or after the activity date: in no campaign"})], ignore_index=True)
    out["skipped"] = skipped
    out["thin_note"] = thin_words(res, s.thin)
    if res.cars.empty:
        out["error"] = ("No campaign could be studied: not enough trading history before them for the estimation "
                        f"window (days {format_window(s.est)}).")
        return out
    out["res"] = res
    out["tests"] = event_tests(res)
    return out


def campaign_note(windows_asked, windows_used, max_span: int) -> str:
    """How the campaign windows were set, in words."""
    return (f"Activities whose {format_window(windows_asked[0])} windows overlap were merged into campaigns (day 0: "
            f"the first activity's day 0). Campaigns last up to {max_span} trading days from first to last activity, "
            f"so each event window was stretched by {max_span} days at its end: {format_windows(windows_asked)} "
            f"became {format_windows(windows_used)}. Every campaign's window covers all of its activities; shorter "
            "campaigns also include the days after their last activity.")


def stock_placebo(res, group: str | None = None, *, draws: int = DEFAULT_PLACEBO_DRAWS) -> dict | None:
    """The per-event stock placebo of ``group`` (``EventStudyResult.placebo``, first window), or None.

    Returns ``{"table", "draws", "actual", "p_value"}``: the placebo row (without its draws), the
    placebo CAARs, the actual CAAR and the two-sided p-value; None when it could not be drawn.
    """
    by = None if group in (None, "all") else "type"
    table = res.placebo(by=by, draws=draws).assign(**({} if by else {"type": "all"}))
    table = table.rename(columns={"type": "group"})
    row = table[table["group"] == (group or "all")]
    if row.empty or pd.isna(row["p_value"].iloc[0]):
        return None
    r = row.iloc[0]
    d = r["caar_draws"] if "caar_draws" in row else None
    d = None if d is None or len(d) == 0 else np.asarray(d, dtype=float)
    return {"table": row.drop(columns=[c for c in ("caar_draws",) if c in row]).reset_index(drop=True),
            "draws": d, "actual": float(r["caar"]), "p_value": float(r["p_value"])}


def campaign_placebo(res, prices: pd.DataFrame, market: pd.DataFrame, groups=("all",), *,
                     draws: int | None = None, seed: int = DEFAULT_SEED, level: float = BAND_LEVEL) -> dict:
    """The campaign placebo of the study's activities and the CAAR band built the same way.

    Fits :func:`analytics.campaign.campaign_study` (the joint dummy model, Karafiath 1988) on the
    study's own events, prices, model, thin-trading method and windows, then
    ``CampaignResult.placebo`` (first event window) and ``CampaignResult.caar_band`` for each of
    ``groups`` (``"all"`` or type codes).

    Parameters
    ----------
    res : analytics.event_result.EventStudyResult
        The study (one stock); its ``events``, ``model``, ``thin_trading``, windows are used.
    prices, market : pandas.DataFrame
        The study's inputs (:func:`study_frames`).
    groups : sequence of str
        The groups to place: ``"all"`` (every activity pooled) and/or type codes.

    Returns
    -------
    dict
        ``error`` (None, or why the campaign model cannot be used: Dimson betas, several stocks, a
        fit that fails), ``table`` (one row per group: ``group, window_start, window_end, n,
        mean_car, placebo_mean, placebo_sd, percentile, placebo_p, placebo_t_p, draws, placements,
        independent_placements, note``), ``draws`` (group -> placebo mean CARs), ``band``
        (``group, rel_day, caar, lo, hi, placebo_mean``: the campaign model's CAAR path and the
        ``level`` quantiles of the placebo paths), ``independent_placements``, ``few`` (fewer than
        ``FEW_INDEPENDENT_PLACEMENTS``), ``variance_note``.
    """
    from analytics.campaign import CAMPAIGN_MODELS, CAMPAIGN_PLACEBO_DRAWS, CAMPAIGN_THIN_TRADING, campaign_study

    out: dict[str, Any] = {"error": None, "table": pd.DataFrame(), "draws": {}, "band": pd.DataFrame(),
                           "independent_placements": 0, "few": True, "variance_note": ""}
    draws = CAMPAIGN_PLACEBO_DRAWS if draws is None else int(draws)
    if res.model not in CAMPAIGN_MODELS or res.thin_trading not in CAMPAIGN_THIN_TRADING:
        out["error"] = (f"the campaign model does not offer {THIN_METHODS.get(res.thin_trading, res.thin_trading)}"
                        " (choose trade-to-trade or close-to-close returns for it)")
        return out
    events = res.events
    if "ticker" in events and events["ticker"].nunique() > 1:
        out["error"] = "the campaign placebo studies one stock's activities"
        return out
    try:
        cs = campaign_study(prices, events, market, model=res.model, thin_trading=res.thin_trading,
                            estimation_window=res.estimation_window, event_windows=res.event_windows,
                            report_window=res.report_window)
    except ValueError as exc:
        out["error"] = f"the campaign model could not be fitted ({exc})"
        return out
    out["variance_note"] = cs.variance_note
    tables, bands = [], []
    for g in groups:
        by = None if g == "all" else "type"
        if by and "type" not in cs.events:
            continue
        t = cs.placebo(groups=by, draws=draws, seed=seed, return_draws=True)
        t = t.rename(columns={t.columns[0]: "group"})
        t = t[t["group"] == g]
        if t.empty:
            continue
        out["draws"][g] = np.asarray(t["mean_car_draws"].iloc[0], dtype=float)
        tables.append(t.drop(columns="mean_car_draws"))
        b = cs.caar_band(groups=by, draws=draws, seed=seed, level=level)
        b = b.rename(columns={b.columns[0]: "group", "lower": "lo", "upper": "hi"})
        bands.append(b[b["group"] == g])
    if tables:
        out["table"] = pd.concat(tables, ignore_index=True)
        out["independent_placements"] = int(out["table"]["independent_placements"].iloc[0])
        out["few"] = out["independent_placements"] < FEW_INDEPENDENT_PLACEMENTS
    if bands:
        out["band"] = pd.concat(bands, ignore_index=True)[["group", "rel_day", "n", "caar", "placebo_mean", "lo",
                                                          "hi", "draws"]]
    return out


def size_warning_lines(tests: pd.DataFrame) -> list[str]:
    """One line per row of the tests table whose tests carry a size warning (``<test>_size_warning``,
    :func:`analytics.event_headline.size_warnings`): which tests over-reject in that row's situation, and how much."""
    out = []
    if tests is None or tests.empty or "size_warning_tests" not in tests:
        return out
    for row in tests.to_dict("records"):
        names = [t.strip() for t in str(row.get("size_warning_tests") or "").split(",") if t.strip()]
        if not names:
            continue
        said = "; ".join(f"{t}: {row.get(f'{t}_size_warning')}" for t in names if row.get(f"{t}_size_warning"))
        window = f"({int(row['window_start'])}, {int(row['window_end'])})" if "window_start" in row else ""
        out.append(f"{row.get('group', '')} {window}: {said}")
    return out
