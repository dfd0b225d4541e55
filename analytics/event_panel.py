"""The ticker x trading-day panel of an event study: prices in, returns out.

:func:`build_panel` turns a long price frame (``ticker, date, close, volume``, any row order)
and a benchmark (``date, close``) into one row per ticker and one column per trading day of
that ticker (left aligned, padded), with the stock's simple returns of the adjusted close, the
benchmark's return over the same span (benchmark closes aligned to the stock's dates with the
last close on or before) and, with ``thin_trading="trade_to_trade"``, returns between traded
days only and their span (Maynes and Rumsey 1993; :mod:`analytics.thin_trading`).

Rows of ``prices`` without a positive finite close are not trading days (dropped, counted in
``n_dropped_rows``); a volume of 0 is kept and marks a day without trades.  Each row depends on
its ticker's prices only.  The conventions are those of :mod:`analytics.event_study`.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from analytics.thin_trading import trade_to_trade_panel

__all__ = ["build_panel"]

#: Panel cells per block of rows in the prefix-sum pass (keeps temporaries ~8 MB each).
_BLOCK_CELLS = 1 << 20


# --------------------------------------------------------------------------------------
# The ticker x trading-day panel
# --------------------------------------------------------------------------------------
@dataclass
class _Panel:
    """Prices as one row per ticker, one column per trading day of that ticker."""

    tickers: pd.Index          # row labels
    lengths: np.ndarray        # trading days per row
    days: np.ndarray           # int64 day numbers (days since 1970-01-01), padded with _PAD_DAY
    volume: np.ndarray         # float, NaN padded
    ret: np.ndarray            # the model's dependent variable source: stock return
    market_ret: np.ndarray     # benchmark return over the same span
    span: np.ndarray | None    # trade-to-trade span n (None: every span is 1)
    calendar: np.ndarray       # the benchmark's day numbers (sorted), to locate dates fast
    n_dropped_rows: int = 0

    @property
    def width(self) -> int:
        return self.days.shape[1]


_PAD_DAY = np.int64(2**40)  # after any real date, so each row's days stay sorted


def _day_numbers(values) -> np.ndarray:
    """Day numbers (int64 days since 1970-01-01) of date-like values; NaT -> min int64."""
    arr = values.to_numpy() if isinstance(values, pd.Series) else np.asarray(values)
    if arr.dtype.kind != "M":
        arr = pd.to_datetime(pd.Series(arr)).to_numpy()
    # one conversion (a view, not a second copy): NaT stays the smallest int64
    return arr.astype("datetime64[D]").view(np.int64)


def _first_col_on_or_after(panel: _Panel, r: np.ndarray, target: np.ndarray) -> np.ndarray:
    """Column of the first day >= ``target`` in each row ``r`` (``lengths[r]`` if none).

    First guess from the benchmark calendar (exact when the stock has a row for every
    benchmark day since its first), checked, and a vectorised binary search on the row for
    the guesses that fail.
    """
    width = panel.width
    flat = panel.days.reshape(-1)
    base = r * width
    lens = panel.lengths[r]
    cal = panel.calendar
    c = np.searchsorted(cal, target, side="left") - np.searchsorted(cal, flat[base], side="left")
    inside = (c >= 0) & (c < lens)
    cc = np.clip(c, 0, width - 1)
    ok = inside & (flat[base + cc] >= target)
    ok &= (cc == 0) | (flat[base + np.maximum(cc - 1, 0)] < target)
    bad = np.flatnonzero(~ok)
    if len(bad):
        b_base, b_target = base[bad], target[bad]
        lo = np.zeros(len(bad), dtype=np.int64)
        hi = lens[bad].astype(np.int64)
        for _ in range(int(np.ceil(np.log2(width + 1))) + 1):
            mid = (lo + hi) >> 1
            right = (mid < hi) & (flat[b_base + np.minimum(mid, width - 1)] < b_target)
            lo = np.where(right, mid + 1, lo)
            hi = np.where(right, hi, mid)
        c = c.copy()
        c[bad] = lo
    return c


def check_study_frames(prices: pd.DataFrame, market: pd.DataFrame) -> None:
    """The columns an event study needs (prices: ticker, date, close, volume; market: date, close)."""
    for col in ("ticker", "date", "close", "volume"):
        if col not in prices.columns:
            raise ValueError(f"prices needs a {col!r} column (ticker, date, close, volume)")
    for col in ("date", "close"):
        if col not in market.columns:
            raise ValueError(f"market needs a {col!r} column (date, close)")


def checked_windows(estimation_window, event_windows) -> tuple[tuple[int, int], tuple[tuple[int, int], ...]]:
    """The estimation window and the event windows as int pairs, each checked ``start <= end``."""
    e0, e1 = (int(v) for v in estimation_window)
    if e0 > e1:
        raise ValueError(f"estimation_window {estimation_window} must be (start, end), start <= end")
    wins = tuple((int(a), int(b)) for a, b in event_windows)
    if not wins:
        raise ValueError("event_windows is empty: give at least one (start, end) window")
    for a, b in wins:
        if a > b:
            raise ValueError(f"event window {(a, b)} must be (start, end), start <= end")
    return (e0, e1), wins


def _build_panel(prices: pd.DataFrame, market: pd.DataFrame, thin_trading: str | None) -> _Panel:
    check_study_frames(prices, market)

    tick = prices["ticker"]
    if isinstance(tick.dtype, pd.CategoricalDtype):
        # a categorical is numbered already: no hashing of millions of strings
        codes = tick.cat.codes.to_numpy()
        uniques = tick.cat.categories
        present = np.bincount(codes[codes >= 0].astype(np.int64), minlength=len(uniques)) > 0
        if not present.all():
            remap = np.full(len(uniques), -1, dtype=np.int64)
            remap[present] = np.arange(int(present.sum()))
            codes = np.where(codes >= 0, remap[np.maximum(codes, 0)], -1)
            uniques = uniques[present]
    else:
        codes, uniques = pd.factorize(tick, sort=False)
    days = _day_numbers(prices["date"])
    close = prices["close"].to_numpy(dtype=float, na_value=np.nan)
    volume = prices["volume"].to_numpy(dtype=float, na_value=np.nan)
    keep = (codes >= 0) & (days != np.iinfo(np.int64).min) & np.isfinite(close) & (close > 0)
    n_dropped = int(len(keep) - keep.sum())
    if n_dropped:
        codes, days, close, volume = codes[keep], days[keep], close[keep], volume[keep]
        used = np.unique(codes)
        remap = np.full(len(uniques), -1, dtype=np.int64)
        remap[used] = np.arange(len(used))
        codes = remap[codes]
        uniques = uniques[used]
    tickers = pd.Index(uniques)

    # Grouped by ticker and ascending in date?  Checked in slices to keep temporaries small;
    # the codes keep their own (often int8/int16 categorical) width until a sort needs int64.
    ordered = True
    step = 1 << 22
    change = []
    for a in range(0, max(len(codes) - 1, 0), step):
        cs = codes[a:a + step + 1]
        ds = days[a:a + step + 1]
        dc = cs[1:] != cs[:-1]
        if not ((ds[1:] > ds[:-1]) | dc).all():
            ordered = False
            break
        change.append(np.flatnonzero(dc) + (a + 1))
    n_rows = len(tickers)
    if ordered and len(codes):
        # each ticker in one contiguous block, blocks in code order: lengths from the blocks
        block_start = np.concatenate([np.zeros(1, dtype=np.int64)] + change)
        ordered = (len(block_start) == n_rows
                   and bool((np.diff(codes[block_start].astype(np.int64)) > 0).all()))
        if ordered:
            lengths = np.diff(np.r_[block_start, len(codes)]).astype(np.int64)
    if not ordered:
        codes = codes.astype(np.int64, copy=False)
        order = np.lexsort((days, codes))
        codes, days, close, volume = codes[order], days[order], close[order], volume[order]
        dup = (np.diff(codes) == 0) & (np.diff(days) == 0)
        if dup.any():
            i = int(np.flatnonzero(dup)[0])
            raise ValueError(f"duplicate (ticker, date) rows in prices, e.g. "
                             f"{tickers[codes[i]]} {np.datetime64(int(days[i]), 'D')}")
        # the codes of a sorted frame are ascending but not necessarily first-appearance
        lengths = np.bincount(codes, minlength=n_rows).astype(np.int64)
    elif not len(codes):
        lengths = np.zeros(n_rows, dtype=np.int64)
    width = int(lengths.max()) if n_rows else 0
    starts = np.zeros(n_rows, dtype=np.int64)
    if n_rows:
        starts[1:] = np.cumsum(lengths)[:-1]

    # Benchmark close on or before each stock day (lookup table over the day range).
    mdays = _day_numbers(market["date"])
    mclose = market["close"].to_numpy(dtype=float, na_value=np.nan)
    mkeep = (mdays != np.iinfo(np.int64).min) & np.isfinite(mclose) & (mclose > 0)
    mdays, mclose = mdays[mkeep], mclose[mkeep]
    morder = np.argsort(mdays, kind="stable")
    mdays, mclose = mdays[morder], mclose[morder]
    if len(mdays) > 1 and (np.diff(mdays) == 0).any():
        raise ValueError("duplicate dates in market")
    uniform = n_rows > 0 and bool((lengths == width).all())
    if len(days):
        dmin, dmax = int(days.min()), int(days.max())
        table_idx = np.searchsorted(mdays, np.arange(dmin, dmax + 1), side="right") - 1
        mtable = np.where(table_idx >= 0, mclose[np.maximum(table_idx, 0)] if len(mclose) else np.nan,
                          np.nan)
    else:
        dmin, mtable = 0, np.full(1, np.nan)

    if uniform:
        shape = (n_rows, width)
        days2 = days.reshape(shape)
        close2 = close.reshape(shape)
        vol2 = volume.reshape(shape)
    else:
        flat = codes.astype(np.int64) * width + (np.arange(len(codes), dtype=np.int64)
                                                 - starts[codes])
        days2 = np.full(n_rows * width, _PAD_DAY, dtype=np.int64)
        days2[flat] = days
        close2 = np.full(n_rows * width, np.nan)
        close2[flat] = close
        vol2 = np.full(n_rows * width, np.nan)
        vol2[flat] = volume
        del flat
        days2, close2, vol2 = (a.reshape(n_rows, width) for a in (days2, close2, vol2))

    def market_close(rows: slice) -> np.ndarray:
        """Benchmark close on or before each day of a block of rows (NaN on padding)."""
        d = days2[rows]
        pad = d == _PAD_DAY
        out = mtable[np.clip(d - dmin, 0, len(mtable) - 1)]
        out[pad] = np.nan
        return out

    if thin_trading == "trade_to_trade":
        ret, mret, span = trade_to_trade_panel(close2, vol2, market_close(slice(None)))
    else:
        # returns in blocks of rows: no full-size temporaries (benchmark closes, quotients)
        ret = np.empty(close2.shape)
        mret = np.empty(close2.shape)
        step = max(1, _BLOCK_CELLS // max(width, 1))
        with np.errstate(invalid="ignore", divide="ignore"):
            for a in range(0, n_rows, step):
                rows = slice(a, a + step)
                ret[rows, 0] = np.nan
                mret[rows, 0] = np.nan
                np.divide(close2[rows, 1:], close2[rows, :-1], out=ret[rows, 1:])
                ret[rows, 1:] -= 1.0
                mc = market_close(rows)
                np.divide(mc[:, 1:], mc[:, :-1], out=mret[rows, 1:])
                mret[rows, 1:] -= 1.0
        span = None
    return _Panel(tickers=tickers, lengths=lengths, days=days2, volume=vol2, ret=ret,
                  market_ret=mret, span=span, calendar=mdays, n_dropped_rows=n_dropped)


def _take(values: pd.Series, positions: np.ndarray):
    """``values`` at integer ``positions``, keeping the dtype (no object round trip)."""
    arr = values.array
    if isinstance(arr, pd.arrays.NumpyExtensionArray):
        return arr.to_numpy()[positions]
    return arr.take(positions)


build_panel = _build_panel
