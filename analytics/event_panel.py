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

import threading
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
import pandas as pd

from analytics.thin_trading import trade_to_trade_panel

__all__ = ["build_panel", "regular_pages"]

#: Panel cells per block of rows in the prefix-sum pass (keeps temporaries ~8 MB each).
_BLOCK_CELLS = 1 << 20


# --------------------------------------------------------------------------------------
# Memory pages of the engine's arrays
# --------------------------------------------------------------------------------------
#: Ask numpy for regular (4 KB) pages, not transparent huge pages, while the engine runs.
#: On Linux numpy marks every array of 4 MB or more MADV_HUGEPAGE; with the kernel's THP
#: ``defrag`` set to ``madvise`` (the default) a fault on such an array compacts memory
#: before it can be served, which on a busy or fragmented machine costs far more than
#: the hugepages save.  Measured with ``python -m bench.event_study --pages both`` (the
#: README's Benchmarks); the numbers do not depend on it.  False leaves numpy's setting.
REGULAR_PAGES = True

try:  # numpy >= 2 (the runtime form of NUMPY_MADVISE_HUGEPAGE; see numpy's "Global state")
    from numpy._core.multiarray import _set_madvise_hugepage
except ImportError:  # pragma: no cover - numpy 1.x, or a build without it
    try:
        from numpy.core.multiarray import _set_madvise_hugepage
    except ImportError:
        _set_madvise_hugepage = None

_pages_lock = threading.Lock()
_pages_depth = 0
_pages_before: bool | None = None


@contextmanager
def regular_pages():
    """Run the block with numpy's hugepage advice off (see ``REGULAR_PAGES``), then restore it.

    Nested and concurrent uses share one switch: the first to enter turns the advice off,
    the last to leave restores what numpy had.  Only where memory comes from changes.
    """
    global _pages_depth, _pages_before
    if not REGULAR_PAGES or _set_madvise_hugepage is None:
        yield
        return
    with _pages_lock:
        if _pages_depth == 0:
            _pages_before = bool(_set_madvise_hugepage(False))
        _pages_depth += 1
    try:
        yield
    finally:
        with _pages_lock:
            _pages_depth -= 1
            if _pages_depth == 0:
                _set_madvise_hugepage(_pages_before)


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
        # a categorical is numbered already: no hashing of millions of strings (categories
        # without a row are left out below, from the blocks or the counts)
        codes = tick.cat.codes.to_numpy()
        uniques = tick.cat.categories
    else:
        codes, uniques = pd.factorize(tick, sort=False)
    days = _day_numbers(prices["date"])
    close = prices["close"].to_numpy(dtype=float, na_value=np.nan)
    volume = prices["volume"].to_numpy(dtype=float, na_value=np.nan)
    # a positive finite close (NaN fails both comparisons), a date and a ticker; in place,
    # so one mask of temporaries instead of one per test
    keep = close > 0
    keep &= close < np.inf
    keep &= days != np.iinfo(np.int64).min
    keep &= codes >= 0
    n_dropped = int(len(keep) - np.count_nonzero(keep))
    if n_dropped:
        codes, days, close, volume = codes[keep], days[keep], close[keep], volume[keep]
    del keep

    # Grouped by ticker and ascending in date?  Checked in slices to keep temporaries small;
    # the codes keep their own (often int8/int16 categorical) width until a sort needs int64.
    ordered = True
    step = 1 << 22
    change = []
    for a in range(0, max(len(codes) - 1, 0), step):
        cs = codes[a:a + step + 1]
        ds = days[a:a + step + 1]
        dc = cs[1:] != cs[:-1]
        up = ds[1:] > ds[:-1]
        up |= dc
        if not up.all():
            ordered = False
            break
        change.append(np.flatnonzero(dc) + (a + 1))
    if ordered and len(codes):
        # each ticker in one contiguous block, blocks in ascending code order: the rows are
        # the blocks (categories or codes without a row drop out), lengths from the blocks
        block_start = np.concatenate([np.zeros(1, dtype=np.int64)] + change)
        block_code = codes[block_start].astype(np.int64)
        ordered = bool((np.diff(block_code) > 0).all())
        if ordered:
            lengths = np.diff(np.r_[block_start, len(codes)]).astype(np.int64)
            uniques = uniques[block_code]
    if not ordered:
        codes = codes.astype(np.int64, copy=False)
        order = np.lexsort((days, codes))
        codes, days, close, volume = codes[order], days[order], close[order], volume[order]
        del order
        dup = (np.diff(codes) == 0) & (np.diff(days) == 0)
        if dup.any():
            i = int(np.flatnonzero(dup)[0])
            raise ValueError(f"duplicate (ticker, date) rows in prices, e.g. "
                             f"{uniques[codes[i]]} {np.datetime64(int(days[i]), 'D')}")
        del dup
        # sorted by code: the rows are the codes with a row, in code order
        counts = np.bincount(codes, minlength=len(uniques))
        present = counts > 0
        lengths = counts[present].astype(np.int64)
        uniques = uniques[present]
    elif not len(codes):
        uniques = uniques[:0]
        lengths = np.zeros(0, dtype=np.int64)
    del codes
    tickers = pd.Index(uniques)
    n_rows = len(tickers)
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
    # padding days look up a NaN close, so no mask is needed per block
    mtable = np.append(mtable, np.nan)

    if uniform:
        shape = (n_rows, width)
        days2 = days.reshape(shape)
        close2 = close.reshape(shape)
        vol2 = volume.reshape(shape)
    else:
        # the rows are contiguous runs of the sorted frame: cell = row * width + position in run
        flat = np.arange(len(days), dtype=np.int64)
        flat += np.repeat(np.arange(n_rows, dtype=np.int64) * width - starts, lengths)
        days2 = np.full(n_rows * width, _PAD_DAY, dtype=np.int64)
        days2[flat] = days
        close2 = np.full(n_rows * width, np.nan)
        close2[flat] = close
        vol2 = np.full(n_rows * width, np.nan)
        vol2[flat] = volume
        del flat
        days2, close2, vol2 = (a.reshape(n_rows, width) for a in (days2, close2, vol2))
    del days, close, volume

    n_table = len(mtable)

    def market_close(rows: slice, out=None, tmp=None) -> np.ndarray:
        """Benchmark close on or before each day of a block of rows (NaN on padding)."""
        d = days2[rows]
        tmp = np.subtract(d, dmin, out=None if tmp is None else tmp[:d.shape[0]])
        # padding (_PAD_DAY) and anything past the table read the NaN appended at its end
        np.clip(tmp, 0, n_table - 1, out=tmp)
        return np.take(mtable, tmp, out=None if out is None else out[:d.shape[0]])

    if thin_trading == "trade_to_trade":
        ret, mret, span = trade_to_trade_panel(close2, vol2, market_close(slice(None)))
    else:
        # returns in blocks of rows into preallocated outputs, with two block buffers reused
        # for the benchmark closes: no full-size temporaries, no fresh memory per block
        ret = np.empty(close2.shape)
        mret = np.empty(close2.shape)
        step = max(1, _BLOCK_CELLS // max(width, 1))
        n_buf = min(step, n_rows)
        mc_buf = np.empty((n_buf, width))
        idx_buf = np.empty((n_buf, width), dtype=np.int64)
        with np.errstate(invalid="ignore", divide="ignore"):
            for a in range(0, n_rows, step):
                rows = slice(a, a + step)
                ret[rows, 0] = np.nan
                mret[rows, 0] = np.nan
                np.divide(close2[rows, 1:], close2[rows, :-1], out=ret[rows, 1:])
                ret[rows, 1:] -= 1.0
                mc = market_close(rows, mc_buf, idx_buf)
                np.divide(mc[:, 1:], mc[:, :-1], out=mret[rows, 1:])
                mret[rows, 1:] -= 1.0
        del mc_buf, idx_buf
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
