"""Event study of IR activities: abnormal returns, CARs and their tests (MacKinlay 1997).

Did a press release, a conference or a mailing move the price beyond what the market alone
explains?  :func:`event_study` answers it for any number of events on any number of
tickers at once, in the textbook layout: estimation window -> model -> abnormal returns in
the event window -> cumulative abnormal return (CAR) with its variance -> tests.

Conventions
-----------
* **Returns** are simple returns of the adjusted close, ``R(t) = P(t) / P(t-1) - 1``;
  the benchmark return of a stock's day is the benchmark's return over the same span
  (benchmark closes are aligned to the stock's dates with the last close on or before).
* **Relative days** count the stock's *own* trading days (the rows of ``prices`` for that
  ticker), not calendar days and not the benchmark's days.
* **Day 0** is the first trading day of the stock on or after the event date; an event
  flagged ``after_close`` (announced after that day's close) moves to the first trading
  day strictly after its date.
* **Windows** are inclusive offsets in trading days relative to day 0: ``(-1, 1)`` is three
  days.  The estimation window (default ``(-120, -11)``) must end before every event window
  starts; it is clipped at the start of the stock's history, and the event is studied only
  with at least ``min_estimation_obs`` (default 30) usable returns in it.  An event window
  must lie wholly inside the history (day ``w0 >= `` the second row, day ``w1 <=`` the last).
* Rows of ``prices`` without a positive finite close are not trading days (dropped before
  anything else); a volume of 0 is kept and marks a day without trades.
* **Nothing is dropped silently**: an event (or one of its windows) that cannot be studied
  is listed in ``EventStudyResult.skipped`` with its reason.

Models (MacKinlay 1997, section 4)
----------------------------------
With ``L1`` usable estimation returns and ``p`` parameters:

* ``"market"``: ``R = alpha + beta Rm + e`` by OLS; ``sigma^2 = SSR / (L1 - 2)``.
* ``"constant_mean"``: ``R = mu + e``; ``sigma^2 = SSR / (L1 - 1)``.
* ``"market_adjusted"``: ``AR = R - Rm`` (alpha = 0, beta = 1 imposed, no estimation);
  ``sigma^2 = sum(AR^2) / L1`` over the estimation window.

For an event window of ``L2`` days with regressor rows ``X*`` the CAR variance includes the
estimation error of the parameters (MacKinlay eq. 9-11 generalised to any model):
``car_var = gamma' V gamma`` with ``V = sigma^2 (I + X* (X'X)^-1 X*')`` and ``gamma`` the
indicator of the window's days, i.e. ``sigma^2 (L2 + s' (X'X)^-1 s)`` with ``s = X*' gamma``.
``car_t = car / sqrt(car_var)`` and ``p_value`` is two-sided from Student's t with
``L1 - p`` degrees of freedom (``L1 - 2`` for the market model).

Thin trading (see :mod:`analytics.thin_trading` for when to choose which):
``"trade_to_trade"`` uses returns between days with volume only, the market compounded
over the same span ``n`` and the variance scaled by ``n`` (weighted least squares with
weights ``1 / n``; ``V = sigma^2 (diag(n) + X* (X'WX)^-1 X*')``); ``"dimson"`` adds
``dimson_lags`` lags and leads of the market return to the market model (the reported beta
is their sum, Dimson 1979; ``p = 2 + 2 lags``).  Every CAR row carries the share of
zero-volume days in its estimation and event windows and a ``thin_warning`` flag when
either exceeds ``THIN_TRADING_WARN_SHARE``.

Implementation: the prices become a ticker x trading-day panel; every sum over an
estimation window is a difference of per-ticker prefix sums, and event windows are
gathered with index arrays, so there is no Python loop over events or tickers.  Each
ticker's numbers depend on that ticker's rows only (prefix sums restart on every row), so
adding another ticker or event leaves them bit-for-bit unchanged.

References
----------
MacKinlay, A. C. (1997). "Event Studies in Economics and Finance". Journal of Economic
    Literature 35(1), 13-39.
Maynes, E. and Rumsey, J. (1993). Journal of Banking and Finance 17(1), 145-157.
Dimson, E. (1979). Journal of Financial Economics 7(2), 197-226.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Sequence

import numpy as np
import pandas as pd
from scipy import special, stats

from analytics.constants import (
    DEFAULT_ESTIMATION_WINDOW,
    DEFAULT_EVENT_WINDOWS,
    DEFAULT_PLACEBO_DRAWS,
    DEFAULT_SEED,
    HEADLINE_P_ADJUSTMENT,
    MDE_ALPHA,
    MDE_POWER,
    MIN_ESTIMATION_OBS,
    THIN_TRADING_AUTO_SHARE,
    THIN_TRADING_HEADLINE_SHARE,
    THIN_TRADING_WARN_SHARE,
)
from analytics.thin_trading import lagged_panel, trade_to_trade_panel

__all__ = ["event_study", "EventStudyResult", "MODELS", "THIN_TRADING_METHODS",
           "choose_thin_trading"]

MODELS: tuple[str, ...] = ("market", "market_adjusted", "constant_mean")
THIN_TRADING_METHODS: tuple[str | None, ...] = (None, "trade_to_trade", "dimson", "auto")
#: Largest number of events whose pairwise residual correlations estimate rbar (O(N^2)).
_RBAR_MAX_EVENTS = 2000
#: Hadamard ratio det(X'X) / prod(diag(X'X)) below which the estimation design is singular
#: (e.g. a benchmark that did not move during the estimation window).
_SINGULAR_RATIO = 1e-10
_INTERCEPT = None  # marker of the intercept regressor (1 per day, n per trade-to-trade span)

CARS_BASE_COLUMNS: tuple[str, ...] = (
    "event_id", "ticker", "event_date", "day0_date", "window_start", "window_end", "car",
    "car_var", "car_t", "p_value", "n_est", "dof", "sigma", "n_obs",
    "zero_volume_share_est", "zero_volume_share_event", "thin_warning",
)
ABNORMAL_COLUMNS: tuple[str, ...] = (
    "event_id", "ticker", "rel_day", "date", "ret", "market_ret", "expected", "ar",
    "span", "volume", "ar_var", "cum_ar", "cum_ar_var",
)
SKIPPED_COLUMNS: tuple[str, ...] = (
    "event_id", "ticker", "event_date", "window_start", "window_end", "reason",
)


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


def _build_panel(prices: pd.DataFrame, market: pd.DataFrame, thin_trading: str | None) -> _Panel:
    for col in ("ticker", "date", "close", "volume"):
        if col not in prices.columns:
            raise ValueError(f"prices needs a {col!r} column (ticker, date, close, volume)")
    for col in ("date", "close"):
        if col not in market.columns:
            raise ValueError(f"market needs a {col!r} column (date, close)")

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


# --------------------------------------------------------------------------------------
# Models as (dependent variable, regressors) on the panel
# --------------------------------------------------------------------------------------
def _design(panel: _Panel, model: str, thin_trading: str | None, dimson_lags: int):
    """The dependent variable and regressor list of a model (``_INTERCEPT`` = 1 or span n)."""
    y = panel.ret
    if model == "market":
        if thin_trading == "dimson":
            xs = [_INTERCEPT] + [lagged_panel(panel.market_ret, lag)
                                 for lag in range(dimson_lags, -dimson_lags - 1, -1)]
        else:
            xs = [_INTERCEPT, panel.market_ret]
    elif model == "constant_mean":
        xs = [_INTERCEPT]
    elif model == "market_adjusted":
        y = panel.ret - panel.market_ret
        xs = []
    else:  # pragma: no cover - validated by the caller
        raise ValueError(model)
    valid = np.isfinite(y)
    for x in xs:
        if x is not _INTERCEPT:
            valid &= np.isfinite(x)
    return y, xs, valid


def _row_prefix(values: np.ndarray, valid: np.ndarray) -> np.ndarray:
    """Inclusive prefix sums along each row of ``values`` where ``valid`` (0 elsewhere).

    Prefix sums restart on every row, so one ticker's window sums never depend on another
    ticker's numbers (or on how many tickers there are).
    """
    out = np.where(valid, values, 0.0)
    np.cumsum(out, axis=1, out=out)
    return out


def _window_sum(prefix: np.ndarray, row: np.ndarray, lo: np.ndarray, hi: np.ndarray,
                empty: np.ndarray) -> np.ndarray:
    """Sum over inclusive columns ``lo..hi`` of each event's row (0 where ``empty``)."""
    width = prefix.shape[1]
    flat = prefix.reshape(-1)
    base = row * width
    hi_c = np.clip(hi, 0, width - 1)
    upper = flat[base + hi_c]
    lower = np.where(lo > 0, flat[base + np.clip(lo - 1, 0, width - 1)], 0.0)
    return np.where(empty, 0.0, upper - lower)


def _product(a, b, span):
    """Per-day cross product ``a b / n`` of two regressors (``_INTERCEPT`` = n)."""
    if a is _INTERCEPT and b is _INTERCEPT:
        return span  # n n / n ; None means 1
    if a is _INTERCEPT:
        return b
    if b is _INTERCEPT:
        return a
    if span is None:
        return a * b
    return a * b / span


#: Panel cells per block of rows in the prefix-sum pass (keeps temporaries ~8 MB each).
_BLOCK_CELLS = 1 << 20
#: Event x day cells per block of events in the event-window pass (temporaries ~2 MB each,
#: below numpy's huge-page and glibc's mmap thresholds, so they are reused between blocks).
_EVENT_BLOCK_CELLS = 1 << 18


def _estimation_sums(y, xs, valid, span, r, lo, hi, zero=None):
    """Weighted cross-product sums over each event's estimation columns ``lo..hi``.

    Returns ``n_est`` (usable returns), ``sxx = sum x x' / n``, ``sxy = sum x y / n``,
    ``syy = sum y^2 / n`` (``n`` the trade-to-trade span, 1 for daily returns) and, with a
    ``zero`` mask, the number of zero-volume days in the window.  The panel is walked in
    blocks of rows (a loop over blocks of tickers, not over events) so the temporaries stay
    small; prefix sums restart on every row, so blocks do not change any number.
    """
    n, p = len(r), len(xs)
    n_est = np.zeros(n, dtype=np.int64)
    sxx = np.zeros((n, p, p))
    sxy = np.zeros((n, p))
    syy = np.zeros(n)
    zeros = np.zeros(n)
    rows_total, width = valid.shape
    step = max(1, _BLOCK_CELLS // max(width, 1))
    order = np.argsort(r, kind="stable")
    starts = np.arange(0, rows_total, step)
    bounds = np.searchsorted(r[order], np.r_[starts, rows_total])
    for ci, a in enumerate(starts):
        if bounds[ci] == bounds[ci + 1]:
            continue
        sel = order[bounds[ci]:bounds[ci + 1]]
        b = min(a + step, rows_total)
        rr, ll, hh = r[sel] - a, lo[sel], hi[sel]
        emp = hh < ll
        v = valid[a:b]
        sp = span[a:b] if span is not None else None
        bx = [x if x is _INTERCEPT else x[a:b] for x in xs]
        by = y[a:b]

        def wsum(values, mask=v):
            return _window_sum(_row_prefix(values, mask), rr, ll, hh, emp)

        def count(mask):
            # integer prefix of a mask: no float copy of the block (counts < 2**31)
            return _window_sum(np.cumsum(mask, axis=1, dtype=np.int32), rr, ll, hh, emp)

        ne = count(v).round().astype(np.int64)
        n_est[sel] = ne
        for j in range(p):
            for k in range(j, p):
                if bx[j] is _INTERCEPT and bx[k] is _INTERCEPT and sp is None:
                    col = ne
                else:
                    col = wsum(_product(bx[j], bx[k], sp))
                sxx[sel, j, k] = col
                sxx[sel, k, j] = col
            sxy[sel, j] = wsum(_product(bx[j], by, sp))
        syy[sel] = wsum(by * by / sp if sp is not None else by * by)
        if zero is not None:
            zeros[sel] = count(zero[a:b])
    return n_est, sxx, sxy, syy, zeros


def _batched_inverse(sxx: np.ndarray):
    """Inverse of each (p, p) matrix and a flag for the singular ones."""
    n, p, _ = sxx.shape
    inv = np.full_like(sxx, np.nan)
    if p == 0:
        return inv, np.zeros(n, dtype=bool)
    diag = np.einsum("nii->ni", sxx)
    with np.errstate(invalid="ignore", divide="ignore"):
        det = np.linalg.det(sxx) if p > 2 else (
            sxx[:, 0, 0] if p == 1 else sxx[:, 0, 0] * sxx[:, 1, 1] - sxx[:, 0, 1] * sxx[:, 1, 0])
        ratio = det / np.prod(diag, axis=1)
    singular = ~(np.isfinite(ratio) & (ratio > _SINGULAR_RATIO))
    ok = ~singular
    if p == 1:
        inv[ok, 0, 0] = 1.0 / sxx[ok, 0, 0]
    elif p == 2:
        d = det[ok]
        inv[ok, 0, 0] = sxx[ok, 1, 1] / d
        inv[ok, 1, 1] = sxx[ok, 0, 0] / d
        inv[ok, 0, 1] = -sxx[ok, 0, 1] / d
        inv[ok, 1, 0] = -sxx[ok, 1, 0] / d
    elif ok.any():
        inv[ok] = np.linalg.inv(sxx[ok])
    return inv, singular


# --------------------------------------------------------------------------------------
# The result
# --------------------------------------------------------------------------------------
@dataclass
class EventStudyResult:
    """Output of :func:`event_study`.

    Attributes
    ----------
    cars : DataFrame
        One row per studied event and window: ``event_id, ticker, event_date`` (as given),
        ``day0_date`` (the trading day that is day 0), ``window_start, window_end``, ``car``,
        ``car_var`` (with estimation error), ``car_t``, ``p_value`` (two-sided Student t,
        ``dof`` degrees of freedom), ``n_est`` (usable estimation returns), ``dof``
        (``n_est`` minus the model's parameters), ``sigma`` (residual standard deviation per
        day), ``n_obs`` (days of the window with a return), the zero-volume shares of the
        estimation and event windows and ``thin_warning``; ``alpha, beta`` for the market
        model (``beta`` = Dimson sum with ``thin_trading="dimson"``), ``mu`` for the
        constant-mean model; then every extra column of ``events``.
    skipped : DataFrame
        ``event_id, ticker, event_date, window_start, window_end, reason``; the window
        columns are empty when the whole event could not be studied.
    abnormal : DataFrame
        One row per studied event and relative day of the report range:
        ``event_id, ticker, rel_day, date, ret, market_ret, expected, ar`` plus ``span``
        (trading days covered by the return), ``volume``, ``ar_var`` (variance of the day's
        AR with estimation error), ``cum_ar`` and ``cum_ar_var`` (cumulated from the first
        day of the report range).  ``ret``/``ar`` are NaN on days without a return.
    """

    model: str
    estimation_window: tuple[int, int]
    event_windows: tuple[tuple[int, int], ...]
    report_window: tuple[int, int]
    thin_trading: str | None
    dimson_lags: int
    events: pd.DataFrame
    cars: pd.DataFrame
    skipped: pd.DataFrame
    _state: dict[str, Any] = field(repr=False, default_factory=dict)
    #: the thin-trading method used (``thin_trading`` as given, or what ``"auto"`` chose)
    thin_trading_chosen: str | None = None
    #: why: "as asked", or the zero-volume share against ``THIN_TRADING_AUTO_SHARE``
    thin_trading_reason: str = ""

    # ---- abnormal returns by relative day --------------------------------------------
    def _window(self) -> dict[str, Any]:
        """The report range of every studied event, gathered again from the panel.

        Not kept from :func:`event_study` (it is several arrays of events x days): only
        ``abnormal`` (which builds its table and lets them go) and the placebo need it.
        """
        s = self._state
        return _window_arrays(s["panel"], s["design"], s["coef"], s["row"], s["col0"],
                              s["lens"], s["rel"], self.model)

    def _event_window_ar(self) -> np.ndarray:
        """Abnormal returns of the report range, 0 where no return (kept for the placebo)."""
        s = self._state
        if "ar_obs" not in s:
            s["ar_obs"] = self._window()["ar_obs"]
        return s["ar_obs"]

    @cached_property
    def abnormal(self) -> pd.DataFrame:
        s = self._state
        if not s or s["n"] == 0:
            return pd.DataFrame({c: pd.Series(dtype=float) for c in ABNORMAL_COLUMNS})
        win = self._window()
        inrange = win["inrange"]
        panel: _Panel = s["panel"]
        rel = s["rel"]
        rows = s["row"]
        if inrange.all():
            # every day of every event inside its history: flat views, no fancy-index copies
            ev_i = np.repeat(np.arange(inrange.shape[0]), inrange.shape[1])
            day_i = None

            def pick(a):
                return np.ascontiguousarray(a).reshape(-1)
        else:
            ev_i, day_i = np.nonzero(inrange)

            def pick(a):
                return a[ev_i, day_i]
        flat = pick(win.pop("flat"))
        obs = win["obs"]
        ar = np.where(obs, win.pop("ar"), np.nan)
        ret = np.where(obs, win.pop("ret_w"), np.nan)
        span = win["span_w"] if win["span_w"] is not None else 1.0
        frame = {
            "event_id": _take(self.events["event_id"], s["event_index"][ev_i]),
            "ticker": panel.tickers.array.take(rows[ev_i]),
            "rel_day": np.tile(rel, inrange.shape[0]) if day_i is None else rel[day_i],
            "date": (panel.days.reshape(-1)[flat] * np.int64(86_400_000_000_000)).view("datetime64[ns]"),
            "ret": pick(ret),
            "market_ret": pick(win.pop("mret_w")),
            "expected": pick(ret - ar),
            "ar": pick(ar),
            "span": pick(np.where(obs, span, np.nan)),
            "volume": panel.volume.reshape(-1)[flat],
        }
        del ar, ret, flat
        for key in ("cols", "yw", "span_w"):
            win.pop(key)
        ar_var, cum_ar, cum_var = self._path_moments(win)
        del win
        frame["ar_var"] = pick(ar_var)
        frame["cum_ar"] = pick(cum_ar)
        frame["cum_ar_var"] = pick(cum_var)
        # copy=False: the columns are fresh arrays; consolidating them would copy them all
        return pd.DataFrame(frame, copy=False)

    def _path_moments(self, win: dict[str, Any]):
        """Per event and relative day: AR variance, cumulative AR and its variance."""
        s = self._state
        obs = win["obs"]
        sigma2 = s["sigma2"][:, None]
        inv = s["inv"]
        xw = win["xw_obs"]  # list of (n, w) regressors (intercept resolved), 0 where not obs
        nw = win["nw_obs"] if win["nw_obs"] is not None else obs.astype(float)
        p = len(xw)
        quad = np.zeros(obs.shape)
        cquad = np.zeros(obs.shape)
        if p:
            # x' inv x per day and for the running sums, as sums over (i, j) of (n, w) arrays
            cx = [np.cumsum(xi, axis=1) for xi in xw]
            for i in range(p):
                for j in range(p):
                    c = inv[:, i, j][:, None]
                    quad += c * xw[i] * xw[j]
                    cquad += c * cx[i] * cx[j]
            del cx
        ar_var = np.where(obs, sigma2 * (nw + quad), np.nan)
        del quad
        cum_ar = np.cumsum(win["ar_obs"], axis=1)
        cum_var = sigma2 * (np.cumsum(nw, axis=1) + cquad)
        return ar_var, cum_ar, cum_var

    # ---- average path for charts ------------------------------------------------------
    def caar_path(self, by: str | None = None, level: float = 0.95) -> pd.DataFrame:
        """Average abnormal return and cumulative average abnormal return by relative day.

        Parameters
        ----------
        by : str, optional
            A column of ``events`` to group by (e.g. ``"type"``); one path per group.
        level : float
            Confidence level of the band.

        Returns
        -------
        DataFrame
            ``[by,] rel_day, n, aar, caar, caar_se, lower, upper``.  ``aar`` is the mean AR
            of the events with a return that day; ``caar`` the mean of the events' ARs
            cumulated from the first day of the report range; ``caar_se`` is
            ``sqrt(sum(cum_ar_var)) / N`` (MacKinlay 1997 eq. 15, events independent, with
            estimation error) and the band ``caar +- z_{(1+level)/2} caar_se``.
        """
        ab = self.abnormal
        keys = ["rel_day"]
        if by is not None:
            groups = self.events.set_index("event_id")[by]
            ab = ab.assign(**{by: ab["event_id"].map(groups).to_numpy()})
            keys = [by, "rel_day"]
        g = ab.groupby(keys, sort=True, dropna=False)
        out = pd.DataFrame({
            "n": g["cum_ar"].count(),
            "aar": g["ar"].mean(),
            "caar": g["cum_ar"].mean(),
            "_var_sum": g["cum_ar_var"].sum(),
        })
        out["caar_se"] = np.sqrt(out.pop("_var_sum")) / out["n"]
        z = stats.norm.ppf(0.5 + level / 2)
        out["lower"] = out["caar"] - z * out["caar_se"]
        out["upper"] = out["caar"] + z * out["caar_se"]
        return out.reset_index()

    # ---- tests across events ----------------------------------------------------------
    def summary(self, by: str | None = None, *, placebo_draws: int = 0,
                seed: int = DEFAULT_SEED) -> pd.DataFrame:
        """CAAR and the tests across events, per group and event window, with the headline.

        Parameters
        ----------
        by : str, optional
            A column of ``events`` (e.g. ``"type"``, ``"ticker"``); one row per group and
            window.  ``None``: all studied events together.
        placebo_draws : int
            When positive, add the placebo test (:meth:`placebo`) with this many draws.
        seed : int
            Seed of the placebo draws and of the event sample used for ``rbar``.

        Returns
        -------
        DataFrame
            ``[by,] window_start, window_end, n, caar, median_car, share_positive,
            mean_car_t, n_thin_warning, zero_volume_share_est, zero_volume_share_event``
            (means over the group), then for each test ``<name>_stat`` and ``<name>_p``:
            ``csect_t`` (cross-sectional t), ``patell`` (Patell 1976), ``bmp`` (Boehmer,
            Musumeci and Poulsen 1991), ``kolari_pynnonen`` (Kolari and Pynnonen 2010, with
            ``rbar`` the mean estimation-residual correlation of the group's events *of
            different stocks*; NaN for one stock), ``corrado_rank`` (Corrado 1989 /
            Campbell and Wasley 1993), ``generalized_sign`` (Cowan 1992), ``wilcoxon``
            (Wilcoxon 1945; NaN p-value where N is too small to ever reject at 5%),
            ``grank`` (Kolari and Pynnonen 2011) and ``bmp_overlap`` (BMP with the
            covariance of one stock's overlapping windows); ``rbar``; ``placebo_p`` when
            asked; then the verdict's columns:

            - ``headline_test``: the test the pages and the report read, chosen by
              :func:`analytics.event_headline.choose_headline_test` (one event: ``car_t``;
              one stock with clustered activities: ``campaign_t`` or ``bmp_overlap``;
              several stocks on common dates: ``kolari_pynnonen`` or ``grank``; thinly
              traded: ``grank``; otherwise ``bmp``), ``headline_stat``, ``headline_p``;
            - ``headline_p_adjusted``: Holm (1979) across every row of this table (the types
              and windows shown), named in ``headline_p_adjustment``;
            - ``mde_car``: the minimum detectable CAR (mean over the group's events) at 80%
              power, two-sided 5%: ``(t_{0.975,df} + t_{0.80,df}) SE`` (Bloom 1995) with SE
              the standard error of the headline's mean CAR (from each event's ``car_var``,
              so the stock's volatility, tick size and trading frequency enter through it),
              ``mde_df`` its degrees of freedom;
            - ``headline_note``: why this test, and what it needs said (its note).

            ``notes`` holds the tests' notes, and a warning when thinly traded events are in
            the group.  The tests live in :mod:`analytics.significance`.
        """
        from analytics import significance as sig
        from analytics.event_headline import (
            choose_headline_test,
            common_calendar_dates,
            same_stock_clustered,
        )
        from analytics.multiple_testing import METHODS, adjust_p_values
        from analytics.power import minimum_detectable_effect

        cars = self.cars
        keys = [by] if by is not None else []
        cols = keys + ["window_start", "window_end"]
        if cars.empty:
            return pd.DataFrame(columns=cols + ["n", "caar"])
        s = self._state
        panel: _Panel = s["panel"]
        state_pos = pd.Index(self.events["event_id"].to_numpy()[s["event_index"]])
        rows = []
        group_iter = cars.groupby(cols, sort=True, dropna=False)
        e0, e1 = self.estimation_window
        est_rel = np.arange(e0, e1 + 1)
        rbar_cache: dict[Any, float] = {}
        campaign_cache: dict[int, Any] = {}
        for key, g in group_iter:
            key = key if isinstance(key, tuple) else (key,)
            a, b = int(key[-2]), int(key[-1])
            idx = state_pos.get_indexer(g["event_id"])
            car = g["car"].to_numpy(dtype=float)
            scar = g["car_t"].to_numpy(dtype=float)
            dof = g["dof"].to_numpy(dtype=float)
            car_var = g["car_var"].to_numpy(dtype=float)
            win_rel = np.arange(a, b + 1)
            panel_ar, dates = self._residuals_at(idx, np.r_[est_rel, win_rel], standardize=True)
            ar_est = panel_ar[:, : len(est_rel)]
            event_cols = np.arange(len(est_rel), len(est_rel) + len(win_rel))
            gkey = key[:-2]
            if gkey not in rbar_cache:
                rbar_cache[gkey] = self._rbar(idx, seed)
            rbar = rbar_cache[gkey]
            stock = s["row"][idx]
            c0 = s["col0"][idx]
            overlap = sig.overlap_correlation(c0 + a, c0 + b, groups=stock)
            sar_est = ar_est / np.sqrt(s["sigma2"][idx])[:, None]
            kp = sig.kolari_pynnonen_test(scar, rbar)
            if len(np.unique(stock)) == 1 and len(idx) > 1:
                kp = sig.TestResult(kp.name, float("nan"), float("nan"), kp.n, kp.reference,
                                    "one stock: Kolari-Pynnonen applies to different stocks on "
                                    "common dates (its rbar from one stock's own residuals is "
                                    "~1 and the test never rejects); see bmp_overlap")
            tests = [
                sig.cross_sectional_t_test(car),
                sig.patell_test(scar, dof),
                sig.bmp_test(scar),
                kp,
                sig.corrado_rank_test(panel_ar, event_cols),
                sig.generalized_sign_test(car, ar_est),
                sig.wilcoxon_signed_rank_test(car),
                sig.grank_test(sar_est, scar),
                sig.bmp_overlap_test(scar, overlap),
            ]
            names = ["csect_t", "patell", "bmp", "kolari_pynnonen", "corrado_rank",
                     "generalized_sign", "wilcoxon", "grank", "bmp_overlap"]
            row = dict(zip(cols, key))
            n_thin = int(g["thin_warning"].sum())
            row.update({
                "n": len(g), "caar": float(np.mean(car)), "median_car": float(np.median(car)),
                "share_positive": float(np.mean(car > 0)), "mean_car_t": float(np.nanmean(scar)),
                "n_thin_warning": n_thin,
                "zero_volume_share_est": float(g["zero_volume_share_est"].mean()),
                "zero_volume_share_event": float(g["zero_volume_share_event"].mean()),
            })
            notes = []
            by_name = dict(zip(names, tests))
            for name, t in by_name.items():
                row[f"{name}_stat"] = t.statistic
                row[f"{name}_p"] = t.p_value
                if t.note:
                    notes.append(f"{name}: {t.note}")
            row["rbar"] = rbar
            if placebo_draws:
                pl = self._placebo_group(idx, (a, b), int(placebo_draws), seed)
                row["placebo_p"] = pl["p_value"]
            if n_thin:
                notes.insert(0, f"WARNING: {n_thin} of {len(g)} events have more than "
                                f"{THIN_TRADING_WARN_SHARE:.0%} zero-volume days in their "
                                f"estimation or event window; their results are not reliable"
                                + ("" if self.thin_trading else
                                   " (consider thin_trading='trade_to_trade')"))
            row["notes"] = "; ".join(notes)

            # ---- the headline: one test chosen by the situation ------------------------
            first = panel.days[stock, np.clip(c0 + a, 0, panel.width - 1)]
            last = panel.days[stock, np.clip(c0 + b, 0, panel.width - 1)]
            n_stocks = len(np.unique(stock))
            clustered = same_stock_clustered(stock, c0, (a, b), self.estimation_window)
            camp, camp_why = None, ""
            if clustered and n_stocks == 1 and len(idx) > 1:
                camp, camp_why = self._campaign_pooled(int(stock[0]), g["event_id"].to_numpy(),
                                                       (a, b), campaign_cache)
            name, reason = choose_headline_test(
                len(idx), n_stocks, clustered=clustered,
                common_dates=common_calendar_dates(stock, first, last),
                thin=row["zero_volume_share_est"] > THIN_TRADING_HEADLINE_SHARE,
                campaign_available=camp is not None)
            if camp_why:
                reason += f" ({camp_why})"
            n = len(idx)
            if name == "car_t":
                stat, p = float(g["car_t"].iloc[0]), float(g["p_value"].iloc[0])
                se, df, note = float(np.sqrt(car_var[0])), float(dof[0]), ""
            elif name == "campaign_t":
                stat, p = camp["campaign_t_stat"], camp["campaign_t_p"]
                se, df = float(np.sqrt(camp["mean_car_var"])), float(camp["dof"])
                note = (f"campaign model of {camp['n']} activities over {camp['union_days']} "
                        f"union days, {camp['dof']} df")
            else:
                t = by_name[name]
                stat, p, note = t.statistic, t.p_value, t.note
                sd = np.sqrt(np.where(np.isfinite(car_var), car_var, np.nan))
                if name == "bmp_overlap":
                    var = float(np.nansum(overlap * np.outer(sd, sd)))
                elif name == "kolari_pynnonen" and np.isfinite(rbar):
                    var = float(np.nansum(car_var)) * max(1.0 + (n - 1) * rbar, 0.0)
                else:
                    var = float(np.nansum(car_var))
                se, df = np.sqrt(var) / n, float(n - 1)
            row.update({
                "headline_test": name, "headline_stat": float(stat), "headline_p": float(p),
                "mde_car": float(minimum_detectable_effect(se, df, alpha=MDE_ALPHA,
                                                           power=MDE_POWER)),
                "mde_df": df,
                "headline_note": reason + (f" ({note})" if note else ""),
            })
            rows.append(row)
        out = pd.DataFrame(rows)
        out["headline_p_adjusted"] = adjust_p_values(out["headline_p"].to_numpy(dtype=float),
                                                     HEADLINE_P_ADJUSTMENT)
        m = int(np.isfinite(out["headline_p"].to_numpy(dtype=float)).sum())
        out["headline_p_adjustment"] = (f"{METHODS[HEADLINE_P_ADJUSTMENT]}, across the {m} "
                                        f"rows of this table with a p-value")
        return out

    def _campaign_pooled(self, row: int, event_ids: np.ndarray, window: tuple[int, int],
                         cache: dict[int, Any]) -> tuple[dict | None, str]:
        """The campaign model's pooled ``campaign_t`` of some events of one stock, or why not.

        :func:`analytics.campaign.campaign_study` is fitted once per stock (cached in
        ``cache``) on *all* that stock's studied events, so every activity's report range gets
        its dummies and none sits in the estimation days; the group's events are then pooled
        (``CampaignResult.pooled`` with a mapping of their ids).  Returns ``(None, reason)``
        when the campaign model cannot be used: Dimson betas (not offered there), the prices
        not kept, or a fit that fails (its message is the reason).
        """
        from analytics.campaign import CAMPAIGN_MODELS, CAMPAIGN_THIN_TRADING, campaign_study

        s = self._state
        if self.thin_trading not in CAMPAIGN_THIN_TRADING or self.model not in CAMPAIGN_MODELS:
            return None, f"the campaign model does not offer thin_trading={self.thin_trading!r}"
        if "inputs" not in s:
            return None, "the prices were not kept"
        if row not in cache:
            prices, market = s["inputs"]
            ticker = s["panel"].tickers[row]
            mine = s["row"] == row
            ids = self.events["event_id"].to_numpy()[s["event_index"][mine]]
            ev = self.events[self.events["event_id"].isin(ids)]
            try:
                cache[row] = campaign_study(
                    prices[prices["ticker"] == ticker], ev, market, model=self.model,
                    thin_trading=self.thin_trading, estimation_window=self.estimation_window,
                    event_windows=self.event_windows, min_estimation_obs=s["min_obs"],
                    report_window=self.report_window)
            except ValueError as exc:
                cache[row] = str(exc)
        cs = cache[row]
        if isinstance(cs, str):
            return None, f"campaign model not fitted: {cs}"
        pooled = cs.pooled(groups={eid: "group" for eid in event_ids}, window=window)
        pooled = pooled[pooled.iloc[:, 0] == "group"]
        if pooled.empty:
            return None, "the campaign model could not study these activities"
        rec = pooled.iloc[0].to_dict()
        if not np.isfinite(rec["campaign_t_p"]):
            return None, "the campaign model gave no p-value"
        return rec, ""

    def _rbar(self, idx: np.ndarray, seed: int) -> float:
        """Mean correlation of estimation residuals of different stocks (Kolari and Pynnonen 2010).

        Dates are the stocks' calendar dates.  Only pairs of events on *different* stocks
        enter: two activities of one stock share nearly the same estimation window, and their
        residual "correlation" (~1) is not the cross-stock correlation KP corrects for (with
        it the test could never reject).  Cross-stock pairs with fewer than
        ``DEFAULT_MIN_OVERLAP`` common dates count as uncorrelated (r = 0) in the average.
        NaN when every event is on one stock.  Above ``_RBAR_MAX_EVENTS`` events a seeded
        random sample of that many events estimates it (the function is O(N^2)).
        """
        from analytics.significance import DEFAULT_MIN_OVERLAP, mean_residual_correlation

        if len(idx) < 2:
            return 0.0
        stocks = self._state["row"][idx]
        if len(np.unique(stocks)) < 2:
            return float("nan")
        if len(idx) > _RBAR_MAX_EVENTS:
            idx = np.sort(np.random.default_rng(seed).choice(idx, _RBAR_MAX_EVENTS, replace=False))
            stocks = self._state["row"][idx]
        e0, e1 = self.estimation_window
        resid, dates = self._residuals_at(idx, np.arange(e0, e1 + 1), standardize=True)
        ok = np.isfinite(resid)
        if not ok.any():
            return 0.0
        uniq, inv = np.unique(dates[ok], return_inverse=True)
        mat = np.full((len(uniq), len(idx)), np.nan)
        ev_i = np.nonzero(ok)[0]
        mat[inv, ev_i] = resid[ok]
        frame = pd.DataFrame(mat, index=pd.DatetimeIndex(uniq.astype("datetime64[ns]")),
                             columns=np.arange(len(idx)))
        rbar = float(mean_residual_correlation(frame, min_overlap=DEFAULT_MIN_OVERLAP,
                                               groups=stocks))
        if not np.isfinite(rbar):
            return 0.0  # sampled events all on one stock: no cross-stock pair measured
        # Pairs without a common estimation period (events far apart in time) have no
        # measurable correlation; they count as uncorrelated instead of being left out, so a
        # few chance correlations of barely-overlapping pairs cannot blow up the KP factor.
        m = np.isfinite(mat).astype(float)
        common = m.T @ m
        iu = np.triu_indices(len(idx), k=1)
        cross = stocks[iu[0]] != stocks[iu[1]]
        share = float((common[iu][cross] >= DEFAULT_MIN_OVERLAP).mean()) if cross.any() else 0.0
        return rbar * share

    # ---- placebo ------------------------------------------------------------------------
    def placebo(self, by: str | None = None, window: tuple[int, int] | None = None, *,
                draws: int = DEFAULT_PLACEBO_DRAWS, seed: int = DEFAULT_SEED,
                return_draws: bool = True) -> pd.DataFrame:
        """Placebo test: the group's CAAR against CAARs of random non-event days.

        For each draw, every event of the group is replaced by a day 0 drawn uniformly from
        the same stock's trading days whose window does not touch any studied event's
        report range and whose estimation window has enough data; the same model is
        re-estimated for each pseudo event and the pseudo events' CARs averaged.  The
        p-value is two-sided, ``min(1, 2 min(1 + #{caar_d <= caar}, 1 + #{caar_d >= caar})
        / (1 + draws))`` (seeded; Brown and Warner 1985 style simulation on the firm's own
        history).

        Parameters
        ----------
        by : str, optional
            Column of ``events`` to group by.
        window : (int, int), optional
            Event window (default: the first of ``event_windows``).
        draws : int
            Number of placebo samples.
        seed : int
            Seed of the draws.
        return_draws : bool
            Add the ``caar_draws`` column (for a histogram of the placebo distribution).

        Returns
        -------
        DataFrame
            ``[by,] window_start, window_end, n, caar, placebo_mean, placebo_sd,
            percentile`` (share of placebo CAARs <= the CAAR), ``p_value, draws`` and, with
            ``return_draws``, ``caar_draws``: per row a float ndarray of the ``draws``
            placebo CAARs in draw order (empty when the placebo could not be drawn).
        """
        a, b = window if window is not None else self.event_windows[0]
        cars = self.cars[(self.cars["window_start"] == a) & (self.cars["window_end"] == b)]
        s = self._state
        state_pos = pd.Index(self.events["event_id"].to_numpy()[s["event_index"]])
        keys = [by] if by is not None else []
        groups = cars.groupby(keys, sort=True, dropna=False) if keys else [((), cars)]
        rows = []
        for key, g in groups:
            key = key if isinstance(key, tuple) else (key,)
            idx = state_pos.get_indexer(g["event_id"])
            out = self._placebo_group(idx, (a, b), draws, seed)
            row = dict(zip(keys, key))
            row.update({"window_start": a, "window_end": b, "n": len(g),
                        "caar": float(g["car"].mean())})
            caar_draws = out.pop("caar_draws")
            row.update(out)
            if return_draws:
                row["caar_draws"] = caar_draws
            rows.append(row)
        return pd.DataFrame(rows)

    def _placebo_group(self, idx: np.ndarray, window: tuple[int, int], draws: int,
                       seed: int) -> dict[str, Any]:
        s = self._state
        panel: _Panel = s["panel"]
        y, xs, valid = s["design"]
        a, b = window
        e0, e1 = self.estimation_window
        r0, r1 = self.report_window
        rows_g = s["row"][idx]
        sub_rows, r_local = np.unique(rows_g, return_inverse=True)
        # every studied event of these tickers blocks the days its report range touches
        all_rows = s["row"]
        in_sub = np.isin(all_rows, sub_rows)
        blk_r = np.searchsorted(sub_rows, all_rows[in_sub])
        blk_c = s["col0"][in_sub]
        width = panel.width
        diff = np.zeros((len(sub_rows), width + 1))
        span_len = r1 - r0
        np.add.at(diff, (blk_r, np.clip(blk_c - span_len, 0, width)), 1)
        np.add.at(diff, (blk_r, np.clip(blk_c + span_len + 1, 0, width)), -1)
        blocked = np.cumsum(diff, axis=1)[:, :width] > 0
        lens = panel.lengths[sub_rows]
        c = np.arange(width)[None, :]
        vsub = valid[sub_rows]
        pre = np.cumsum(vsub, axis=1)
        lo = np.clip(c + e0, 0, width - 1)
        hi = np.clip(c + e1, -1, width - 1)
        n_est = np.where(hi >= 0, np.take_along_axis(pre, np.broadcast_to(np.maximum(hi, 0), pre.shape), 1), 0)
        n_est = n_est - np.where(lo > 0, np.take_along_axis(pre, np.broadcast_to(np.maximum(lo - 1, 0), pre.shape), 1), 0)
        n_est = np.where(c + e1 >= 0, n_est, 0)
        wobs = np.cumsum(vsub, axis=1)
        w_hi = np.clip(c + b, 0, width - 1)
        w_lo = np.clip(c + a - 1, 0, width - 1)
        n_win = (np.take_along_axis(wobs, np.broadcast_to(w_hi, wobs.shape), 1)
                 - np.where(c + a - 1 >= 0, np.take_along_axis(wobs, np.broadcast_to(w_lo, wobs.shape), 1), 0))
        elig = (~blocked & (c + a >= 1) & (c + b <= lens[:, None] - 1)
                & (n_est >= s["min_obs"]) & (n_win > 0))
        counts = elig.sum(axis=1)
        if (counts[r_local] == 0).any() or len(idx) == 0:
            return {"placebo_mean": np.nan, "placebo_sd": np.nan, "percentile": np.nan,
                    "p_value": np.nan, "draws": 0, "caar_draws": np.empty(0)}
        elig_flat = np.flatnonzero(elig.reshape(-1))
        offsets = np.r_[0, np.cumsum(counts)[:-1]]
        rng = np.random.default_rng(seed)
        u = rng.integers(0, counts[r_local], size=(draws, len(idx)))
        pick = elig_flat[offsets[r_local][None, :] + u]
        c0 = (pick % width).reshape(-1)
        rr = sub_rows[(pick // width).reshape(-1)]
        lo_e = np.maximum(c0 + e0, 0)
        hi_e = c0 + e1
        n_e, sxx, sxy, _, _ = _estimation_sums(y, xs, valid, panel.span, rr, lo_e, hi_e)
        inv, _sing = _batched_inverse(sxx)
        coef = np.einsum("nij,nj->ni", inv, sxy) if xs else np.empty((len(rr), 0))
        rel = np.arange(a, b + 1)
        flat = rr[:, None] * width + c0[:, None] + rel[None, :]
        obs = valid.reshape(-1)[flat]
        ar = y.reshape(-1)[flat].copy()
        for j, x in enumerate(xs):
            if x is _INTERCEPT:
                xv = panel.span.reshape(-1)[flat] if panel.span is not None else 1.0
            else:
                xv = x.reshape(-1)[flat]
            ar -= coef[:, j][:, None] * xv
        car = np.where(obs, ar, 0.0).sum(axis=1).reshape(draws, len(idx))
        caar_d = np.nanmean(car, axis=1)
        actual = float(np.mean(self._window_cars(idx, window)))
        le = int((caar_d <= actual).sum())
        ge = int((caar_d >= actual).sum())
        p = min(1.0, 2.0 * min(1 + le, 1 + ge) / (1 + draws))
        return {"placebo_mean": float(np.mean(caar_d)), "placebo_sd": float(np.std(caar_d, ddof=1)),
                "percentile": le / draws,
                "p_value": p, "draws": draws, "caar_draws": caar_d}

    def _window_cars(self, idx: np.ndarray, window: tuple[int, int]) -> np.ndarray:
        s = self._state
        rel = s["rel"]
        sl = slice(max(window[0] - rel[0], 0), max(min(window[1] - rel[0] + 1, len(rel)), 0))
        return self._event_window_ar()[idx, sl].sum(axis=1)

    # ---- abnormal volume ---------------------------------------------------------------
    @cached_property
    def abnormal_volume(self) -> pd.DataFrame:
        """Abnormal log turnover (log volume without shares outstanding) per event and window.

        Campbell and Wasley (1996), computed by :func:`analytics.volume.abnormal_log_volume`
        over the same estimation window (the stock's trading days, as for returns).  Columns:
        ``event_id, ticker, window_start, window_end, measure`` (``log_turnover`` or
        ``log_volume``), ``n_est, mean_est, sigma, n_event, cav, cav_var, cav_t, dof,
        p_value, note``.
        """
        from analytics.volume import abnormal_log_volume

        s = self._state
        if not s or s["n"] == 0:
            return pd.DataFrame(columns=["event_id", "ticker", "window_start", "window_end",
                                         "measure", "cav", "cav_t", "p_value"])
        panel: _Panel = s["panel"]
        e0, e1 = self.estimation_window
        r0, r1 = self.report_window
        rel = np.r_[np.arange(e0, e1 + 1), np.arange(r0, r1 + 1)]
        rows = s["row"]
        cols = s["col0"][:, None] + rel[None, :]
        inside = (cols >= 0) & (cols < panel.lengths[rows][:, None])
        flat = rows[:, None] * panel.width + np.clip(cols, 0, panel.width - 1)
        vol = np.where(inside, panel.volume.reshape(-1)[flat], np.nan)
        shares = self._shares_panel(flat, inside)
        est_cols = np.arange(e1 - e0 + 1)
        ids = self.events["event_id"].to_numpy()[s["event_index"]]
        tick = panel.tickers.to_numpy()[rows]
        parts = []
        for a, b in self.event_windows:
            ev_cols = len(est_cols) + np.arange(a - r0, b - r0 + 1)
            res = abnormal_log_volume(vol, est_cols, ev_cols, shares,
                                      min_estimation_obs=s["min_obs"])
            t = res.table.copy()
            t.insert(0, "window_end", b)
            t.insert(0, "window_start", a)
            t.insert(0, "ticker", tick)
            t.insert(0, "event_id", ids)
            parts.append(t)
        return pd.concat(parts, ignore_index=True).sort_values(
            ["event_id", "window_start"], kind="stable").reset_index(drop=True)

    def _shares_panel(self, flat: np.ndarray, inside: np.ndarray):
        so = self._state.get("shares_outstanding")
        if so is None or len(so) == 0:
            return None
        panel: _Panel = self._state["panel"]
        so = so[["ticker", "date", "shares"]].dropna(subset=["ticker", "date"])
        row = panel.tickers.get_indexer(pd.Index(so["ticker"]))
        so = so[row >= 0]
        row = row[row >= 0]
        day = _day_numbers(so["date"])
        # last shares figure on or before each panel day: searchsorted on (row, day) keys
        offset = np.int64(_PAD_DAY + 1)
        keys = row.astype(np.int64) * offset + day
        order = np.argsort(keys, kind="stable")
        keys, shares = keys[order], so["shares"].to_numpy(dtype=float)[order]
        prow = flat // panel.width
        pkeys = prow * offset + panel.days.reshape(-1)[flat]
        pos = np.searchsorted(keys, pkeys, side="right") - 1
        ok = inside & (pos >= 0)
        ok &= np.where(pos >= 0, keys[np.maximum(pos, 0)] // offset == prow, False)
        return np.where(ok, shares[np.maximum(pos, 0)], np.nan)

    # ---- estimation-window residuals (for the cross-event tests) ---------------------
    def estimation_residuals(self, event_ids=None, standardize: bool = True):
        """Residuals of the estimation window of each studied event.

        Parameters
        ----------
        event_ids : sequence, optional
            Events to return (default: all studied events).
        standardize : bool
            Divide trade-to-trade residuals by ``sqrt(span)`` (their variance is
            ``span sigma^2``); no effect for daily returns.

        Returns
        -------
        residuals, dates : ndarray, shape (events, L)
            ``L`` = length of the estimation window; NaN (resp. NaT) where a day has no
            usable return or falls before the history.  Rows follow ``event_ids``.
        """
        idx = self._state_index(event_ids)
        e0, e1 = self.estimation_window
        rel = np.arange(e0, e1 + 1)
        return self._residuals_at(idx, rel, standardize)

    def _state_index(self, event_ids) -> np.ndarray:
        s = self._state
        if event_ids is None:
            return np.arange(s["n"])
        lookup = pd.Index(self.events["event_id"].to_numpy()[s["event_index"]])
        idx = lookup.get_indexer(pd.Index(event_ids))
        if (idx < 0).any():
            raise KeyError("some event_ids were not studied (see .skipped)")
        return idx

    def _residuals_at(self, idx: np.ndarray, rel: np.ndarray, standardize: bool):
        s = self._state
        panel: _Panel = s["panel"]
        rows = s["row"][idx]
        cols = s["col0"][idx][:, None] + rel[None, :]
        inside = (cols >= 0) & (cols < panel.lengths[rows][:, None])
        flat = rows[:, None] * panel.width + np.clip(cols, 0, panel.width - 1)
        y_full, xs_full, valid_full = s["design"]
        ok = inside & valid_full.reshape(-1)[flat]
        resid = y_full.reshape(-1)[flat].copy()
        coef = s["coef"][idx]
        for j, x in enumerate(xs_full):
            if x is _INTERCEPT:
                xv = panel.span.reshape(-1)[flat] if panel.span is not None else 1.0
            else:
                xv = x.reshape(-1)[flat]
            resid = resid - coef[:, j][:, None] * xv
        if standardize and panel.span is not None:
            resid = resid / np.sqrt(panel.span.reshape(-1)[flat])
        resid = np.where(ok, resid, np.nan)
        dates = np.where(ok, panel.days.reshape(-1)[flat], np.iinfo(np.int64).min)
        dates = dates.astype("datetime64[D]")
        return resid, dates


# --------------------------------------------------------------------------------------
# Event windows gathered from the panel
# --------------------------------------------------------------------------------------
def _take(values: pd.Series, positions: np.ndarray):
    """``values`` at integer ``positions``, keeping the dtype (no object round trip)."""
    arr = values.array
    if isinstance(arr, pd.arrays.NumpyExtensionArray):
        return arr.to_numpy()[positions]
    return arr.take(positions)


def _window_arrays(panel: _Panel, design, coef: np.ndarray, r: np.ndarray, c0: np.ndarray,
                   lens: np.ndarray, rel: np.ndarray, model: str) -> dict[str, Any]:
    """Each event's relative days ``rel``: returns, regressors and abnormal returns.

    Arrays of shape (events, len(rel)): ``cols`` (panel column), ``inrange`` (inside the
    stock's history), ``flat`` (index into the flattened panel), ``obs`` (a usable return),
    ``yw`` (dependent variable), ``ret_w`` and ``mret_w`` (stock and benchmark return),
    ``ar`` (abnormal return), ``ar_obs`` (``ar`` with 0 where not ``obs``), ``xw_obs`` (the
    regressors with the intercept resolved to 1 or the span n, 0 where not ``obs``),
    ``span_w`` and ``nw_obs`` (the trade-to-trade span, None for daily returns).
    """
    y, xs, valid = design
    width = panel.width
    cols = c0[:, None] + rel[None, :]
    inrange = (cols >= 0) & (cols < lens[:, None])
    flat = r[:, None] * width + np.clip(cols, 0, width - 1)
    obs = inrange & valid.reshape(-1)[flat]
    yw = y.reshape(-1)[flat]
    span_w = panel.span.reshape(-1)[flat] if panel.span is not None else None
    mret_w = panel.market_ret.reshape(-1)[flat]
    not_obs = ~obs
    xw_obs = []
    fitted = None
    for j, x in enumerate(xs):
        c = coef[:, j][:, None]
        if x is _INTERCEPT and span_w is None:
            xv, xo, term = None, obs.astype(float), c  # the intercept is 1 on every day
        else:
            if x is _INTERCEPT:
                xv = span_w
            elif x is panel.market_ret:
                xv = mret_w
            else:
                xv = x.reshape(-1)[flat]
            xo, term = np.where(not_obs, 0.0, xv), c * xv
        xw_obs.append(xo)
        fitted = term if fitted is None else fitted + term
    ar = yw - fitted if fitted is not None else yw.copy()
    del fitted
    ret_w = yw + mret_w if model == "market_adjusted" else yw
    ar_obs = np.where(not_obs, 0.0, ar)
    nw_obs = np.where(not_obs, 0.0, span_w) if span_w is not None else None
    return {"cols": cols, "inrange": inrange, "flat": flat, "obs": obs, "yw": yw,
            "ret_w": ret_w, "mret_w": mret_w, "ar": ar, "ar_obs": ar_obs,
            "xw_obs": xw_obs, "span_w": span_w, "nw_obs": nw_obs}


# --------------------------------------------------------------------------------------
# The engine
# --------------------------------------------------------------------------------------
def _validate_windows(estimation_window, event_windows, report_window):
    e0, e1 = (int(v) for v in estimation_window)
    if e0 > e1:
        raise ValueError(f"estimation_window {estimation_window} must be (start, end), start <= end")
    wins = tuple((int(a), int(b)) for a, b in event_windows)
    if not wins:
        raise ValueError("event_windows is empty")
    for a, b in wins:
        if a > b:
            raise ValueError(f"event window {(a, b)} must be (start, end), start <= end")
    wmin = min(a for a, _ in wins)
    wmax = max(b for _, b in wins)
    if e1 >= wmin:
        raise ValueError(f"estimation_window {estimation_window} must end before the first "
                         f"event window starts (day {wmin})")
    if report_window is None:
        report = (wmin, wmax)
    else:
        report = (int(report_window[0]), int(report_window[1]))
        if report[0] > report[1]:
            raise ValueError(f"report_window {report_window} must be (start, end), start <= end")
    return (e0, e1), wins, report


def _normalize_events(events: pd.DataFrame) -> pd.DataFrame:
    for col in ("event_id", "ticker", "date"):
        if col not in events.columns:
            raise ValueError(f"events needs a {col!r} column (event_id, ticker, date)")
    ev = events.reset_index(drop=True)  # copy-on-write: no data copied
    if not ev["event_id"].is_unique:
        dup = ev.loc[ev["event_id"].duplicated(), "event_id"].iloc[0]
        raise ValueError(f"duplicate event_id in events: {dup!r}")
    return ev


def event_study(
    prices: pd.DataFrame,
    events: pd.DataFrame,
    market: pd.DataFrame,
    *,
    model: str = "market",
    estimation_window: tuple[int, int] = DEFAULT_ESTIMATION_WINDOW,
    event_windows: Sequence[tuple[int, int]] = DEFAULT_EVENT_WINDOWS,
    thin_trading: str | None = None,
    dimson_lags: int = 1,
    min_estimation_obs: int = MIN_ESTIMATION_OBS,
    shares_outstanding: pd.DataFrame | None = None,
    report_window: tuple[int, int] | None = None,
) -> EventStudyResult:
    """Abnormal returns and CARs of many events on many tickers (MacKinlay 1997).

    Parameters
    ----------
    prices : DataFrame
        Long frame ``ticker, date, close, volume``; ``close`` adjusted for splits and
        dividends, ``volume`` in shares (0 = no trade that day).  Any row order.
    events : DataFrame
        ``event_id`` (unique), ``ticker``, ``date``; an optional boolean ``after_close``
        (announced after the close: day 0 is the next trading day); every other column
        (``type``, ``title`` ...) is carried into ``cars`` and usable in ``summary(by=)``.
    market : DataFrame
        The benchmark, ``date, close``.
    model : {"market", "market_adjusted", "constant_mean"}
        Normal-return model (MacKinlay 1997 section 4).
    estimation_window : (int, int)
        Inclusive offsets of the estimation window (default ``(-120, -11)``).
    event_windows : sequence of (int, int)
        Inclusive offsets of each event window (default ``((-1, 1), (0, 5))``).
    thin_trading : {None, "trade_to_trade", "dimson", "auto"}
        Thin-trading remedy (see the module docstring and :mod:`analytics.thin_trading`).
        ``"dimson"`` needs ``model="market"``.  ``"auto"`` follows the data
        (:func:`choose_thin_trading`): ``"trade_to_trade"`` when more than
        ``THIN_TRADING_AUTO_SHARE`` (10%) of the studied stocks' trading days have no
        volume, else daily returns (None).  The result's ``thin_trading`` is the method
        used; ``thin_trading_chosen`` and ``thin_trading_reason`` say which and why.
    dimson_lags : int
        Lags (and leads) of the market return with ``thin_trading="dimson"``.
    min_estimation_obs : int
        Fewest usable estimation-window returns for an event to be studied (default 30).
    shares_outstanding : DataFrame, optional
        ``ticker, date, shares``; used by the abnormal-volume table (turnover instead of
        volume, Campbell and Wasley 1996).
    report_window : (int, int), optional
        Relative days kept in ``abnormal`` (default: from the first event-window start to
        the last event-window end; it is widened to cover every event window).

    Returns
    -------
    EventStudyResult
        ``cars``, ``abnormal``, ``skipped``, ``summary(by=)``, ``caar_path(by=)``,
        ``placebo(...)`` and ``abnormal_volume``.
    """
    if model not in MODELS:
        raise ValueError(f"model must be one of {MODELS}, not {model!r}")
    if thin_trading not in THIN_TRADING_METHODS:
        raise ValueError(f"thin_trading must be one of {THIN_TRADING_METHODS}, not {thin_trading!r}")
    if thin_trading == "auto":
        thin_trading, thin_reason = choose_thin_trading(prices, events)
    else:
        thin_reason = "as asked"
    if thin_trading == "dimson" and model != "market":
        raise ValueError("thin_trading='dimson' applies to the market model only")
    if int(dimson_lags) < 1:
        raise ValueError("dimson_lags must be at least 1")
    (e0, e1), wins, report = _validate_windows(estimation_window, event_windows, report_window)
    r0 = min(report[0], min(a for a, _ in wins))
    r1 = max(report[1], max(b for _, b in wins))
    ev = _normalize_events(events)
    panel = _build_panel(prices, market, thin_trading)
    y, xs, valid = _design(panel, model, thin_trading, int(dimson_lags))
    p = len(xs)
    min_obs = max(int(min_estimation_obs), p + 1)

    n_ev = len(ev)
    skip_idx: list[np.ndarray] = []
    skip_reason: list[np.ndarray] = []
    skip_window: list[tuple[np.ndarray, Any]] = []

    def _skip(mask_idx, reason, window=None):
        if len(mask_idx):
            skip_idx.append(np.asarray(mask_idx))
            skip_reason.append(np.broadcast_to(np.asarray(reason, dtype=object), (len(mask_idx),)))
            skip_window.append(window)

    # ---- map events to (row, day-0 column) ----------------------------------------------
    ev_codes, ev_tickers = pd.factorize(ev["ticker"])  # hash the distinct tickers only
    row = np.full(n_ev, -1, dtype=np.int64)
    has = ev_codes >= 0
    row[has] = panel.tickers.get_indexer(pd.Index(ev_tickers))[ev_codes[has]]
    ev_days = _day_numbers(ev["date"])
    after = (ev["after_close"].fillna(False).astype(bool).to_numpy()
             if "after_close" in ev.columns else np.zeros(n_ev, dtype=bool))
    nat = ev_days == np.iinfo(np.int64).min
    alive = np.ones(n_ev, dtype=bool)
    bad = np.flatnonzero(nat)
    _skip(bad, "missing event date")
    alive[bad] = False
    bad = np.flatnonzero(alive & (row < 0))
    _skip(bad, "ticker not in prices")
    alive[bad] = False

    col0 = np.full(n_ev, -1, dtype=np.int64)
    idx = np.flatnonzero(alive)
    if len(idx):
        r = row[idx].astype(np.int64)
        target = ev_days[idx] + after[idx]
        first = panel.days[r, 0]
        last = panel.days[r, panel.lengths[r] - 1]
        before = target < first
        c = _first_col_on_or_after(panel, r, target)
        after_end = (target > last) | (c >= panel.lengths[r])
        _skip(idx[before], "event date before the first price date of the ticker")
        _skip(idx[after_end & ~before], "event date after the last price date of the ticker")
        good = ~before & ~after_end
        col0[idx[good]] = c[good]
        alive[idx[~good]] = False

    # ---- estimation sums from per-row prefix sums -------------------------------------
    idx = np.flatnonzero(alive)
    r = row[idx].astype(np.int64)
    c0 = col0[idx]
    lens = panel.lengths[r]
    lo = np.maximum(c0 + e0, 0)
    hi = np.minimum(c0 + e1, lens - 1)
    empty = hi < lo
    span = panel.span

    zero = panel.volume == 0
    n_est, sxx, sxy, syy, zero_est = _estimation_sums(y, xs, valid, span, r, lo, hi, zero)
    est_days = np.where(empty, 0, hi - lo + 1)

    few = n_est < min_obs
    _skip(idx[few], [f"not enough estimation data: {k} usable returns in "
                     f"{estimation_window}, {min_obs} needed" for k in n_est[few]])
    inv, singular = _batched_inverse(sxx)
    sing = singular & ~few
    _skip(idx[sing], "singular estimation design (the benchmark did not move)")
    ok = ~few & ~sing
    idx, r, c0, lens = idx[ok], r[ok], c0[ok], lens[ok]
    n_est, zero_est, est_days = n_est[ok], zero_est[ok], est_days[ok]
    sxx, sxy, syy, inv = sxx[ok], sxy[ok], syy[ok], inv[ok]
    alive[:] = False
    alive[idx] = True

    coef = np.einsum("nij,nj->ni", inv, sxy) if p else np.empty((len(idx), 0))
    ssr = np.maximum(syy - np.einsum("ni,ni->n", coef, sxy), 0.0)
    dof = n_est - p
    sigma2 = ssr / dof

    # ---- event windows: gather the report range, in blocks of events -------------------
    # Blocks keep every temporary small enough to be reused from the heap instead of being
    # fresh (page-faulted) memory on every call; each event's numbers do not depend on them.
    rel = np.arange(r0, r1 + 1)
    # windows in (start, end) order, so the cars rows come out sorted without a sort
    w_order = sorted(range(len(wins)), key=lambda i: wins[i])
    wins_sorted = [wins[i] for i in w_order]
    n_alive, n_win = len(idx), len(wins_sorted)
    shape = (n_alive, n_win)
    car, car_var, n_obs, zero_ev = (np.empty(shape) for _ in range(4))
    step = max(1, _EVENT_BLOCK_CELLS // len(rel))
    for e_a in range(0, n_alive, step):
        blk = slice(e_a, e_a + step)
        win = _window_arrays(panel, (y, xs, valid), coef[blk], r[blk], c0[blk], lens[blk],
                             rel, model)
        obs, ar_obs, xw_obs, nw_obs = win["obs"], win["ar_obs"], win["xw_obs"], win["nw_obs"]
        zero_w = win["inrange"] & zero.reshape(-1)[win["flat"]]
        del win
        for j, (a, b) in enumerate(wins_sorted):
            sl = slice(a - r0, b - r0 + 1)
            n_obs_j = obs[:, sl].sum(axis=1)
            car[blk, j] = ar_obs[:, sl].sum(axis=1)
            n_obs[blk, j] = n_obs_j
            if p:
                s_vec = np.stack([xv[:, sl].sum(axis=1) for xv in xw_obs], axis=1)
                quad = np.einsum("ni,nij,nj->n", s_vec, inv[blk], s_vec)
            else:
                quad = 0.0
            n_w = nw_obs[:, sl].sum(axis=1) if nw_obs is not None else n_obs_j
            car_var[blk, j] = sigma2[blk] * (n_w + quad)
            zero_ev[blk, j] = zero_w[:, sl].sum(axis=1) / (b - a + 1)
        del obs, ar_obs, xw_obs, nw_obs, zero_w
    del zero
    keep = np.zeros(shape, dtype=bool)
    for i in range(n_win):  # skips in the caller's window order
        j = w_order.index(i)
        a, b = wins_sorted[j]
        complete = (c0 + a >= 1) & (c0 + b <= lens - 1)
        no_obs = complete & (n_obs[:, j] == 0)
        _skip(idx[~complete], "event window extends beyond the price history", (a, b))
        _skip(idx[no_obs], "no return observed in the event window", (a, b))
        keep[:, j] = complete & ~no_obs

    # ---- assemble cars: one row per (event, window) in event order, built once ----------
    pos = np.flatnonzero(keep)                # row-major: event order, then window order
    ev_k, win_k = np.divmod(pos, n_win) if n_win > 1 else (pos, np.zeros(len(pos), dtype=np.int64))
    car, car_var, n_obs, zero_ev = (m.reshape(-1)[pos] for m in (car, car_var, n_obs, zero_ev))
    with np.errstate(invalid="ignore", divide="ignore"):
        car_t = car / np.sqrt(car_var)
        zero_share_est = np.where(est_days > 0, zero_est / np.maximum(est_days, 1), np.nan)
    dof_k = dof[ev_k]
    e_idx = idx[ev_k]
    w_start = np.array([a for a, _ in wins_sorted], dtype=np.int64)
    w_end = np.array([b for _, b in wins_sorted], dtype=np.int64)
    day0 = panel.days[r[ev_k], c0[ev_k]] * np.int64(86_400_000_000_000)
    d = {
        "event_id": _take(ev["event_id"], e_idx),
        "ticker": panel.tickers.array.take(r[ev_k]),
        "event_date": _take(ev["date"], e_idx),
        "day0_date": day0.view("datetime64[ns]"),
        "window_start": w_start[win_k], "window_end": w_end[win_k],
        "car": car, "car_var": car_var, "car_t": car_t,
        # two-sided Student t: the same function scipy.stats.t.sf calls, without its overhead
        "p_value": 2.0 * special.stdtr(dof_k, -np.abs(car_t)),
        "n_est": n_est[ev_k], "dof": dof_k,
        "sigma": np.sqrt(sigma2)[ev_k], "n_obs": n_obs.astype(np.int64),
        "zero_volume_share_est": zero_share_est[ev_k],
        "zero_volume_share_event": zero_ev,
    }
    d["thin_warning"] = ((d["zero_volume_share_est"] > THIN_TRADING_WARN_SHARE)
                         | (d["zero_volume_share_event"] > THIN_TRADING_WARN_SHARE))
    if model == "market":
        d["alpha"] = coef[:, 0][ev_k]
        d["beta"] = coef[:, 1:].sum(axis=1)[ev_k]
    elif model == "constant_mean":
        d["mu"] = coef[:, 0][ev_k]
    if len(ev_k):
        for c in ev.columns:
            if c not in ("event_id", "ticker", "date"):
                d[c] = _take(ev[c], e_idx)
    # copy=False: the arrays are ours, so no consolidation copy of every column
    cars = pd.DataFrame(d, copy=False)

    skipped = _skipped_frame(ev, skip_idx, skip_reason, skip_window)

    state = {
        "n": len(idx), "panel": panel, "design": (y, xs, valid), "row": r, "col0": c0,
        "lens": lens, "event_index": idx, "coef": coef, "inv": inv, "sigma2": sigma2,
        "dof": dof, "n_est": n_est, "rel": rel,
        "shares_outstanding": shares_outstanding, "min_obs": min_obs,
        "inputs": (prices, market),  # references (no copy): the campaign model refits from them
    }
    return EventStudyResult(
        model=model, estimation_window=(e0, e1), event_windows=wins, report_window=(r0, r1),
        thin_trading=thin_trading, dimson_lags=int(dimson_lags), events=ev, cars=cars,
        skipped=skipped, _state=state, thin_trading_chosen=thin_trading,
        thin_trading_reason=thin_reason,
    )


def choose_thin_trading(prices: pd.DataFrame, events: pd.DataFrame) -> tuple[str | None, str]:
    """The thin-trading method the data call for, and the reason in words.

    Parameters
    ----------
    prices : DataFrame
        ``ticker, date, close, volume`` (as :func:`event_study` takes them).
    events : DataFrame
        ``ticker`` of each event: only the rows of stocks with an event count.

    Returns
    -------
    (str or None, str)
        ``("trade_to_trade", reason)`` when the share of zero-volume days among the studied
        stocks' trading days (rows with a positive close and a known volume) exceeds
        ``THIN_TRADING_AUTO_SHARE``, else ``(None, reason)``.  Maynes and Rumsey (1993): on
        such stocks OLS on daily returns is biased by stale closes and their catch-up jumps;
        trade-to-trade returns measure real trades only.
    """
    for col in ("ticker", "close", "volume"):
        if col not in prices.columns:
            raise ValueError(f"prices needs a {col!r} column (ticker, date, close, volume)")
    if "ticker" not in events.columns:
        raise ValueError("events needs a 'ticker' column (event_id, ticker, date)")
    studied = prices["ticker"].isin(pd.unique(events["ticker"].dropna()))
    close = prices["close"].to_numpy(dtype=float, na_value=np.nan)
    vol = prices["volume"].to_numpy(dtype=float, na_value=np.nan)
    ok = studied.to_numpy() & np.isfinite(close) & (close > 0) & np.isfinite(vol)
    n = int(ok.sum())
    if n == 0:
        return None, "no trading day of a studied stock: daily returns"
    share = float((vol[ok] == 0).mean())
    limit = THIN_TRADING_AUTO_SHARE
    if share > limit:
        return "trade_to_trade", (f"{share:.0%} of the studied stocks' trading days have no "
                                  f"volume (above {limit:.0%}): trade-to-trade returns, so stale "
                                  f"closes do not enter the model")
    return None, (f"{share:.0%} of the studied stocks' trading days have no volume (at most "
                  f"{limit:.0%}): daily returns")


def _skipped_frame(ev, skip_idx, skip_reason, skip_window) -> pd.DataFrame:
    if not skip_idx:
        # the common case: a copy of one empty table per event_id dtype
        key = str(ev["event_id"].dtype)
        if key not in _EMPTY_SKIPPED:
            _EMPTY_SKIPPED[key] = pd.DataFrame({
                "event_id": ev["event_id"].array[:0],
                "ticker": np.empty(0, dtype=object),
                "event_date": np.empty(0, "datetime64[ns]"),
                "window_start": pd.arrays.IntegerArray(np.empty(0, np.int64), np.empty(0, bool)),
                "window_end": pd.arrays.IntegerArray(np.empty(0, np.int64), np.empty(0, bool)),
                "reason": np.empty(0, dtype=object)}, copy=False)
        return _EMPTY_SKIPPED[key].copy(deep=False)  # copy-on-write protects the template
    ii = np.concatenate(skip_idx)
    reasons = np.concatenate(skip_reason)
    no_win = -(2**62)  # sorts first, like the missing window of a whole-event skip
    ws = np.concatenate([np.full(len(i), w[0] if w else no_win) for i, w in zip(skip_idx, skip_window)])
    we = np.concatenate([np.full(len(i), w[1] if w else no_win) for i, w in zip(skip_idx, skip_window)])
    order = np.lexsort((ws, ii))  # by event, then window start (stable)
    ii, reasons, ws, we = ii[order], reasons[order], ws[order], we[order]
    na = ws == no_win
    return pd.DataFrame({
        "event_id": _take(ev["event_id"], ii),
        "ticker": ev["ticker"].iloc[ii].to_numpy(),
        "event_date": _take(ev["date"], ii),
        "window_start": pd.arrays.IntegerArray(np.where(na, 0, ws), na),
        "window_end": pd.arrays.IntegerArray(np.where(na, 0, we), na.copy()),
        "reason": reasons,
    }, copy=False)


_EMPTY_SKIPPED: dict[str, pd.DataFrame] = {}  # empty skipped tables by event_id dtype
