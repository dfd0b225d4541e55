"""Overlapping event windows: detect them, report them, merge activities into campaigns.

One company's IR activities cluster (a press release, the mailing that repeats it, the
conference the week after), so their event windows overlap and their CARs share days.
Overlap makes the CARs dependent (the Kolari-Pynnonen test corrects the cross-event test
for it) and double counts the shared days.  This module finds the overlaps on the stock's
own trading days, with the same day-0 convention as :mod:`analytics.event_study` (first
trading day on or after the date; ``after_close`` moves to the next trading day), and
offers to merge chains of overlapping activities into one campaign window.

Merged campaigns are studied on *widened* windows (:func:`campaign_event_windows`: the event
study takes one set of windows, so each is stretched by the longest campaign's span ``S``),
and a widened window can reach the next campaign.  :func:`merge_campaigns` therefore merges
again on the widened windows, recomputing ``S``, until no two campaigns' widened windows share
a trading day.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from analytics.constants import DEFAULT_EVENT_WINDOWS

__all__ = ["day0_positions", "find_overlaps", "overlap_groups", "merge_campaigns", "overlap_chains",
           "campaign_event_windows", "campaigns_for_study", "MIXED_TYPES"]

MIXED_TYPES = "mixed"  # the ``type`` of a campaign whose activities are of several types


def day0_positions(events: pd.DataFrame, prices: pd.DataFrame) -> pd.DataFrame:
    """Day 0 of each event on its stock's trading days.

    Parameters
    ----------
    events : DataFrame
        ``event_id, ticker, date`` (+ optional boolean ``after_close``).
    prices : DataFrame
        ``ticker, date`` (the stock's trading days; other columns ignored).

    Returns
    -------
    DataFrame
        ``events`` plus ``day0_date`` and ``day0_pos`` (index of day 0 among the ticker's
        trading days), NaT / -1 when the date is after the last trading day or the ticker
        has no prices.
    """
    cal = prices[["ticker", "date"]].drop_duplicates().sort_values(["ticker", "date"])
    cal = cal.assign(day0_pos=cal.groupby("ticker").cumcount().to_numpy(),
                     day0_date=cal["date"].to_numpy())
    ev = events.copy()
    target = pd.to_datetime(ev["date"]).dt.normalize()
    if "after_close" in ev.columns:
        target = target + pd.to_timedelta(ev["after_close"].fillna(False).astype(bool).astype(int), unit="D")
    ev["_target"] = target.astype("datetime64[ns]")
    ev["_order"] = np.arange(len(ev))
    cal["date"] = cal["date"].astype("datetime64[ns]")
    left = ev.dropna(subset=["_target"]).sort_values("_target")
    merged = pd.merge_asof(left, cal.rename(columns={"date": "_target"}).sort_values("_target"),
                           on="_target", by="ticker", direction="forward")
    out = ev.merge(merged[["_order", "day0_pos", "day0_date"]], on="_order", how="left")
    out["day0_pos"] = out["day0_pos"].fillna(-1).astype(np.int64)
    return out.drop(columns=["_target", "_order"])


def find_overlaps(events: pd.DataFrame, prices: pd.DataFrame,
                  window: tuple[int, int] = DEFAULT_EVENT_WINDOWS[-1]) -> pd.DataFrame:
    """Pairs of events of the same ticker whose event windows share a trading day.

    Two windows ``[d_i + w0, d_i + w1]`` and ``[d_j + w0, d_j + w1]`` (trading days)
    intersect exactly when ``|d_i - d_j| <= w1 - w0``.

    Returns
    -------
    DataFrame
        ``ticker, event_id, other_event_id, day0_date, other_day0_date, gap`` (trading days
        between the two day 0s) and ``shared_days`` (``w1 - w0 + 1 - gap``); one row per
        pair, the earlier event first.  Vectorised: pairs come from a sorted sweep.
    """
    w0, w1 = window
    length = w1 - w0
    pos = day0_positions(events, prices)
    pos = pos[pos["day0_pos"] >= 0].sort_values(["ticker", "day0_pos"], kind="stable")
    tick = pos["ticker"].to_numpy()
    p = pos["day0_pos"].to_numpy()
    codes = pd.factorize(tick)[0].astype(np.int64)
    key = codes * (int(p.max()) + length + 2 if len(p) else 1) + p
    end = np.searchsorted(key, key + length, side="right")
    counts = end - np.arange(len(key)) - 1
    i = np.repeat(np.arange(len(key)), counts)
    j = i + 1 + (np.arange(len(i)) - np.repeat(np.cumsum(counts) - counts, counts))
    ids = pos["event_id"].to_numpy()
    d0 = pos["day0_date"].to_numpy()
    gap = p[j] - p[i]
    return pd.DataFrame({
        "ticker": tick[i], "event_id": ids[i], "other_event_id": ids[j],
        "day0_date": d0[i], "other_day0_date": d0[j], "gap": gap,
        "shared_days": length + 1 - gap,
    })


def overlap_groups(events: pd.DataFrame, prices: pd.DataFrame,
                   window: tuple[int, int] = DEFAULT_EVENT_WINDOWS[-1]) -> pd.DataFrame:
    """Label chains of overlapping events (connected by overlapping windows) per ticker.

    Returns
    -------
    DataFrame
        ``events`` plus ``day0_date, day0_pos``, ``overlap_group`` (an integer shared by a
        chain; -1 when the event has no day 0) and ``n_in_group``.
    """
    w0, w1 = window
    pos = day0_positions(events, prices)
    pos["_order"] = np.arange(len(pos))
    ok = pos[pos["day0_pos"] >= 0].sort_values(["ticker", "day0_pos"], kind="stable")
    p = ok["day0_pos"].to_numpy()
    t = pd.factorize(ok["ticker"].to_numpy())[0]
    new = np.ones(len(ok), dtype=bool)
    if len(ok) > 1:
        new[1:] = (t[1:] != t[:-1]) | (p[1:] - p[:-1] > w1 - w0)
    grp = np.cumsum(new) - 1
    pos["overlap_group"] = -1
    pos.loc[ok.index, "overlap_group"] = grp
    sizes = pos.loc[pos["overlap_group"] >= 0, "overlap_group"].value_counts()
    pos["n_in_group"] = pos["overlap_group"].map(sizes).fillna(0).astype(np.int64)
    return pos.sort_values("_order").drop(columns="_order").reset_index(drop=True)


def _widened_campaigns(t: np.ndarray, p: np.ndarray, new: np.ndarray, lo: int, hi: int) -> np.ndarray:
    """Merge campaigns until their widened windows are disjoint; returns the new start flags.

    ``t, p``: ticker codes and day-0 positions sorted by (ticker, position); ``new`` marks the
    first activity of each campaign.  A campaign starting at ``f`` with the longest span ``S``
    (over all campaigns, as :func:`campaign_event_windows` stretches every window) covers
    ``[f + lo, f + hi + S]``; the next campaign of the same ticker, starting at ``f'``, touches
    it when ``f' - f <= hi + S - lo``.  Each pass merges every touching pair; merging can only
    lengthen ``S``, so passes repeat until none touches (at most one pass per campaign).
    """
    new = new.copy()
    while True:
        starts = np.flatnonzero(new)
        if len(starts) < 2:
            return new
        ends = np.r_[starts[1:], len(p)] - 1
        first = p[starts]
        span = int((p[ends] - first).max())
        touch = (t[starts[1:]] == t[starts[:-1]]) & (np.diff(first) <= hi + span - lo)
        if not touch.any():
            return new
        new[starts[1:][touch]] = False


def merge_campaigns(events: pd.DataFrame, prices: pd.DataFrame,
                    window: tuple[int, int] = DEFAULT_EVENT_WINDOWS[-1], *,
                    windows=None, widen: bool = True) -> pd.DataFrame:
    """Merge each chain of overlapping activities into one campaign event.

    Chains are formed on ``window`` (consecutive day 0s at most ``w1 - w0`` trading days
    apart).  With ``widen`` (the default) campaigns are then merged on their widened windows
    until no two overlap: with ``S`` the longest campaign's span, the study stretches each
    window to ``(w0, w1 + S)`` from the campaign's first day 0, so campaigns starting ``f``
    and ``f'`` (same ticker) are merged while ``f' - f <= w1 + S - w0``, with ``S``
    recomputed after every pass.  ``windows`` (default ``(window,)``) are all the windows
    the study will use: the check runs on their hull ``(min w0, max w1)``.

    Returns
    -------
    DataFrame
        One row per campaign: ``event_id`` (``"campaign-<first event_id>"``), ``ticker``,
        ``date`` (day 0 of the first activity), ``end_date`` (day 0 of the last one),
        ``span_days`` (trading days from first to last day 0), ``n_activities``,
        ``activity_ids`` (list) and ``types`` (comma-joined, when ``events`` has ``type``).
        Feed it to :func:`analytics.event_study.event_study` with an event window that
        reaches ``span_days + w1`` to cover the whole campaign.  Events without a day 0
        are left out (the event study lists them in ``skipped``).
    """
    g = overlap_groups(events, prices, window)
    g = g[g["overlap_group"] >= 0].sort_values(["overlap_group", "day0_pos"], kind="stable")
    if widen and len(g):
        wins = tuple(windows) if windows is not None else (tuple(window),)
        lo = min(int(a) for a, _ in wins)
        hi = max(int(b) for _, b in wins)
        t = pd.factorize(g["ticker"].to_numpy())[0]
        grp = g["overlap_group"].to_numpy()
        new = np.r_[True, grp[1:] != grp[:-1]]
        new = _widened_campaigns(t, g["day0_pos"].to_numpy(), new, lo, hi)
        g = g.assign(overlap_group=np.cumsum(new) - 1)
    agg = g.groupby("overlap_group", sort=True)
    out = pd.DataFrame({
        "event_id": "campaign-" + agg["event_id"].first().astype(str),
        "ticker": agg["ticker"].first(),
        "date": agg["day0_date"].min(),
        "end_date": agg["day0_date"].max(),
        "span_days": agg["day0_pos"].max() - agg["day0_pos"].min(),
        "n_activities": agg.size(),
        "activity_ids": agg["event_id"].agg(list),
    })
    if "type" in g.columns:
        out["types"] = agg["type"].agg(lambda s: ",".join(dict.fromkeys(map(str, s))))
    return out.reset_index(drop=True)


def overlap_chains(events: pd.DataFrame, prices: pd.DataFrame,
                   window: tuple[int, int] = DEFAULT_EVENT_WINDOWS[-1]) -> pd.DataFrame:
    """Chains of two or more activities whose event windows overlap, one row per chain.

    A chain of ``k`` activities with day 0s ``p_1 <= ... <= p_k`` and consecutive gaps
    ``<= w1 - w0`` covers the contiguous trading days ``[p_1 + w0, p_k + w1]``, that is
    ``union_days = p_k - p_1 + L`` with ``L = w1 - w0 + 1``.  Its ``k`` CARs sum
    ``k * L`` daily abnormal returns, so ``repeated_days = k * L - union_days`` day-counts
    are shared days counted again in another CAR of the chain.

    Returns
    -------
    DataFrame
        ``chain`` (``"campaign-<first event_id>"``, as :func:`merge_campaigns` names it),
        ``ticker, first_day0, last_day0, span_days, n_activities, activity_ids`` (list),
        ``types`` (when ``events`` has ``type``), ``window_start, window_end, union_days,
        repeated_days``; empty (same columns) when no windows overlap.
    """
    w0, w1 = window
    camp = merge_campaigns(events, prices, window, widen=False)  # chains on the window itself
    chains = camp[camp["n_activities"] >= 2].rename(
        columns={"event_id": "chain", "date": "first_day0", "end_date": "last_day0"}).reset_index(drop=True)
    length = w1 - w0 + 1
    chains["window_start"] = w0
    chains["window_end"] = w1
    chains["union_days"] = chains["span_days"] + length
    chains["repeated_days"] = chains["n_activities"] * length - chains["union_days"]
    return chains


def campaign_event_windows(campaigns: pd.DataFrame,
                           windows=DEFAULT_EVENT_WINDOWS) -> tuple[tuple[int, int], ...]:
    """Event windows that cover every campaign: ``(w0, w1 + S)``, ``S`` the longest ``span_days``.

    The event study takes one set of windows for all events, while campaigns last from
    0 (one activity) to ``S`` trading days between first and last day 0.  Relative to the
    campaign's day 0 (its first activity), ``w1 + S`` reaches ``w1`` days past the last
    activity of the longest campaign; shorter campaigns get the extra days after theirs.
    """
    span = int(campaigns["span_days"].max()) if len(campaigns) else 0
    return tuple((int(w0), int(w1) + span) for w0, w1 in windows)


def campaigns_for_study(events: pd.DataFrame, prices: pd.DataFrame,
                        window: tuple[int, int] = DEFAULT_EVENT_WINDOWS[-1], *,
                        windows=None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Campaigns as :func:`analytics.event_study.event_study` events, and the activities left out.

    The campaigns are :func:`merge_campaigns` on ``window``, merged again on their widened
    windows until no two overlap (pass every window of the study as ``windows`` so that the
    check covers all of them once :func:`campaign_event_windows` has stretched them).

    Returns
    -------
    (DataFrame, DataFrame)
        The :func:`merge_campaigns` rows with ``activity_ids`` as text (``"3, 4, 7"``) and a
        ``type`` column (the activities' type when they share one, else ``MIXED_TYPES``);
        and the ``events`` rows with no day 0 (after the last trading day or no prices),
        which belong in no campaign and should be reported as skipped.
    """
    camp = merge_campaigns(events, prices, window, windows=windows)
    camp["activity_ids"] = camp["activity_ids"].map(lambda ids: ", ".join(map(str, ids)))
    if "types" in camp.columns:
        camp["type"] = camp["types"].where(~camp["types"].str.contains(",", regex=False), MIXED_TYPES)
    pos = day0_positions(events, prices)
    return camp, events[(pos["day0_pos"] < 0).to_numpy()]
