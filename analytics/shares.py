"""Shares outstanding, restated to one share basis per day using the splits.

A shares-outstanding report counts shares on the basis of **its own date**. After a later
split the same company has ``ratio`` times as many shares (a 1-for-10 reverse split,
``ratio = 0.1``: a tenth as many). Using the old report unrestated after the split makes
the market capitalisation, the abnormal value, the ROI and the turnover off by the split
ratio, and the dilution by its inverse (issue 9: $24.0M shown for $2.4M).

Conventions (as :mod:`analytics.options`): splits are ``date, ratio`` with ``ratio`` = new
shares per old share, effective from the open of their date (a report or a close dated on
the split day is on the new basis); ``F(d) = prod(ratio of splits dated strictly after d)``
(:func:`analytics.options.split_factor_after`), so a number of shares on ``d``'s basis times
``F(d)`` is on the latest basis. A report of ``S_r`` shares dated ``r`` is therefore::

    S_r x F(r)            shares on the latest basis (Yahoo's split-adjusted volume basis)
    S_r x F(r) / F(d)     shares on day d's own basis (the quoted price's basis on d)

On each day the last report on or before it applies (a day before the first report takes
the first report, restated the same way: share counts move slowly and a NaN would hide the
dilution). A single number is taken on the **latest** basis, as the dashboard's inputs are.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from analytics.options import split_factor_after

__all__ = ["SHARE_BASES", "shares_reports", "shares_outstanding_daily"]

#: ``"day"``: each day's own basis (matches the quoted close, the retainer's payment-date
#: shares); ``"latest"``: the latest basis (matches split-adjusted prices and volume).
SHARE_BASES: tuple[str, ...] = ("day", "latest")


def shares_reports(shares_outstanding) -> pd.DataFrame:
    """The reports as a clean frame ``date, shares`` (sorted, one per date, last kept).

    Parameters
    ----------
    shares_outstanding : pandas.DataFrame or pandas.Series
        The store's frame (``date, shares``; other columns ignored) or a Series indexed by date.

    Raises
    ------
    ValueError
        When a report has a negative share count (say which date to correct).
    """
    if isinstance(shares_outstanding, pd.Series):
        df = pd.DataFrame({"date": pd.to_datetime(shares_outstanding.index),
                           "shares": shares_outstanding.to_numpy(dtype=float)})
    else:
        missing = {"date", "shares"} - set(shares_outstanding.columns)
        if missing:
            raise ValueError(f"shares outstanding need columns date and shares (missing {sorted(missing)})")
        df = pd.DataFrame({"date": pd.to_datetime(shares_outstanding["date"].to_numpy()),
                           "shares": pd.to_numeric(shares_outstanding["shares"], errors="coerce")
                           .to_numpy(dtype=float)})
    df = df.dropna().sort_values("date", kind="stable").drop_duplicates("date", keep="last")
    bad = df[df["shares"] < 0]
    if len(bad):
        raise ValueError(f"shares outstanding must not be negative: {bad['shares'].iloc[0]:,.0f} "
                         f"reported on {bad['date'].iloc[0].date()}; correct that report")
    return df.reset_index(drop=True)


def shares_outstanding_daily(shares_outstanding, dates, splits: pd.DataFrame | None = None,
                             basis: str = "day") -> pd.Series:
    """Shares outstanding on each date, restated from the applicable report to one basis.

    Parameters
    ----------
    shares_outstanding : float, pandas.DataFrame, pandas.Series or None
        A number (on the latest basis), the reports ``date, shares`` (each on its own date's
        basis), or None (NaN everywhere).
    dates : array_like of dates
        The trading days wanted (any order; returned in the same order).
    splits : pandas.DataFrame, optional
        ``date, ratio`` (new shares per old share). None: no splits.
    basis : {"day", "latest"}
        ``"day"``: each date's own basis, ``S_r F(r) / F(d)`` (for the quoted close: market
        cap, the retainer's dilution); ``"latest"``: ``S_r F(r)`` (for split-adjusted prices
        and volume: turnover).

    Returns
    -------
    pandas.Series
        Indexed by ``dates``, named ``shares_outstanding``.

    Examples
    --------
    A report of 24,000,000 shares before a 1-for-10 reverse split counts 2,400,000 shares on
    any day after it (``24e6 x 0.1``); at a quoted $1.00 the cap is $2.4M, not $24.0M.
    """
    if basis not in SHARE_BASES:
        raise ValueError(f"basis must be one of {SHARE_BASES}, not {basis!r}")
    idx = pd.DatetimeIndex(pd.to_datetime(pd.Index(np.atleast_1d(dates))))
    f_day = split_factor_after(idx, splits)
    if shares_outstanding is None:
        vals = np.full(len(idx), np.nan)
    elif np.isscalar(shares_outstanding):
        latest = np.full(len(idx), float(shares_outstanding))
        vals = latest if basis == "latest" else latest / f_day
    else:
        rep = shares_reports(shares_outstanding)
        if rep.empty:
            vals = np.full(len(idx), np.nan)
        else:
            latest_rep = rep["shares"].to_numpy() * split_factor_after(rep["date"], splits)
            pos = np.searchsorted(rep["date"].to_numpy(), idx.to_numpy(), side="right") - 1
            latest = latest_rep[np.clip(pos, 0, None)]
            vals = latest if basis == "latest" else latest / f_day
    return pd.Series(vals, index=idx, name="shares_outstanding")


def shares_for_study(shares_outstanding: pd.DataFrame | None, dates, splits: pd.DataFrame | None,
                     ticker: str) -> pd.DataFrame | None:
    """The event study's ``shares_outstanding`` input: one row per trading day on the latest basis.

    The engine takes, for each day, the last report on or before it; the volume it divides is
    split-adjusted to the latest basis, so each day's shares must be too (:func:`shares_outstanding_daily`
    with ``basis="latest"``). Without this a report dated before a 1-for-10 reverse split made the
    turnover before the split 10x too small. None when there are no reports.
    """
    if shares_outstanding is None or len(shares_outstanding) == 0:
        return None
    sp = None if splits is None or len(splits) == 0 else splits
    daily = shares_outstanding_daily(shares_outstanding[["date", "shares"]], dates, sp, basis="latest")
    out = pd.DataFrame({"ticker": ticker, "date": daily.index, "shares": daily.to_numpy(dtype=float)})
    return out[np.isfinite(out["shares"])].reset_index(drop=True)
