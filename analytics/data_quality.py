"""The Data page's coverage and quality tables (pure: frames in, frames out).

What is stored per ticker and what deserves a look: the age of the last bar, days without a
trade, closes that moved without volume, calendar gaps between bars, splits.
"""
from __future__ import annotations

import pandas as pd

QUALITY_COLUMNS = ["ticker", "zero_volume_days", "flagged_bars", "gaps_over_5_days", "splits"]


def coverage_table(coverage: pd.DataFrame, today=None) -> pd.DataFrame:
    """Coverage with ``days_since_last_bar`` = ``today - last_date`` in calendar days.

    Parameters
    ----------
    coverage : pandas.DataFrame
        ``Store.coverage()``: one row per ticker with ``last_date``.
    today : date-like, optional
        Default: today (normalised to midnight).
    """
    out = coverage.copy()
    if "last_date" in out:
        now = pd.Timestamp(today if today is not None else pd.Timestamp.today()).normalize()
        out["days_since_last_bar"] = (now - pd.to_datetime(out["last_date"])).dt.days
    return out


def quality_flags(coverage: pd.DataFrame, splits: pd.DataFrame | None, gaps: dict) -> pd.DataFrame:
    """One row per ticker with something to look at, and only those.

    Parameters
    ----------
    coverage : pandas.DataFrame
        ``ticker`` and the counts ``zero_volume_days``, ``stale_close_days`` (0 when absent).
    splits : pandas.DataFrame, optional
        ``ticker, date, ratio``: counted per ticker.
    gaps : dict
        ticker -> number of calendar gaps longer than ``STALE_DATA_DAYS`` between consecutive bars.

    Returns
    -------
    pandas.DataFrame
        ``ticker, zero_volume_days, flagged_bars, gaps_over_5_days, splits`` for the tickers where
        any of the four counts is positive.
    """
    n_splits = (splits.groupby("ticker").size() if splits is not None and not splits.empty
                else pd.Series(dtype="int64"))
    frame = coverage[["ticker"]].copy()
    frame["zero_volume_days"] = coverage.get("zero_volume_days", 0)
    frame["flagged_bars"] = coverage.get("stale_close_days", 0)
    frame["gaps_over_5_days"] = frame["ticker"].map(gaps).fillna(0).astype(int)
    frame["splits"] = frame["ticker"].map(n_splits).fillna(0).astype(int)
    keep = frame[QUALITY_COLUMNS[1:]].sum(axis=1) > 0
    return frame[keep].reset_index(drop=True)
