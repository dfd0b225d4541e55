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
adding another ticker or event leaves them bit-for-bit unchanged.  From 50,000 events the
estimation-sum blocks and the p-values are shared by two threads (the blocks are disjoint,
so no number depends on it), and the engine asks numpy for regular memory pages
(:func:`analytics.event_panel.regular_pages`: fresh hugepages cost more than they save on
a busy machine).

The engine reads in pieces, one concern per module: :mod:`analytics.event_panel` (prices to
the ticker x day panel and its returns), :mod:`analytics.event_models` (the models' design,
estimation sums and inverses, event windows gathered from the panel),
:mod:`analytics.event_variance` (CAR and AR variances with estimation error),
:mod:`analytics.event_result` (:class:`EventStudyResult`: tables and paths),
:mod:`analytics.event_tests` (the tests across events, the headline test of
:mod:`analytics.event_headline`, the placebo); this module keeps :func:`event_study` and
re-exports the result, so ``from analytics.event_study import event_study, EventStudyResult``
works as before.

References
----------
MacKinlay, A. C. (1997). "Event Studies in Economics and Finance". Journal of Economic
    Literature 35(1), 13-39.
Maynes, E. and Rumsey, J. (1993). Journal of Banking and Finance 17(1), 145-157.
Dimson, E. (1979). Journal of Financial Economics 7(2), 197-226.
"""
from __future__ import annotations

import functools
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Sequence

import numpy as np
import pandas as pd
from scipy import special

from analytics.constants import (
    DEFAULT_ESTIMATION_WINDOW,
    DEFAULT_EVENT_WINDOWS,
    MIN_ESTIMATION_OBS,
    THIN_TRADING_AUTO_SHARE,
    THIN_TRADING_WARN_SHARE,
)
# The engine's pieces, one concern per module (names re-exported here as before the split)
from analytics.event_models import (  # noqa: F401
    _EVENT_BLOCK_CELLS,
    _INTERCEPT,
    _SINGULAR_RATIO,
    _batched_inverse,
    _design,
    _estimation_sums,
    _product,
    _row_prefix,
    _threads_for,
    _window_arrays,
    _window_sum,
)
from analytics.event_panel import (  # noqa: F401
    checked_windows,
    _BLOCK_CELLS,
    _PAD_DAY,
    _Panel,
    _build_panel,
    _day_numbers,
    _first_col_on_or_after,
    _take,
    regular_pages,
)
from analytics.event_result import ABNORMAL_COLUMNS, EventStudyResult  # noqa: F401
from analytics.event_tests import _RBAR_MAX_EVENTS, CrossEventTests  # noqa: F401
from analytics.event_variance import path_moments, window_car_moments  # noqa: F401

__all__ = ["event_study", "EventStudyResult", "MODELS", "THIN_TRADING_METHODS",
           "choose_thin_trading"]

MODELS: tuple[str, ...] = ("market", "market_adjusted", "constant_mean")
THIN_TRADING_METHODS: tuple[str | None, ...] = (None, "trade_to_trade", "dimson", "auto")
CARS_BASE_COLUMNS: tuple[str, ...] = (
    "event_id", "ticker", "event_date", "day0_date", "window_start", "window_end", "car",
    "car_var", "car_t", "p_value", "n_est", "dof", "sigma", "n_obs",
    "zero_volume_share_est", "zero_volume_share_event", "thin_warning",
)
SKIPPED_COLUMNS: tuple[str, ...] = (
    "event_id", "ticker", "event_date", "window_start", "window_end", "reason",
)


# --------------------------------------------------------------------------------------
# The engine
# --------------------------------------------------------------------------------------
def _validate_windows(estimation_window, event_windows, report_window):
    (e0, e1), wins = checked_windows(estimation_window, event_windows)
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


def _on_regular_pages(fn):
    """Run ``fn`` inside :func:`analytics.event_panel.regular_pages` (fresh memory is cheaper)."""
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        with regular_pages():
            return fn(*args, **kwargs)
    return wrapper


@_on_regular_pages
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
    if not ok.all():  # the common case keeps every event: no copy of the per-event arrays
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
    car, car_var, n_obs, zero_ev = window_car_moments(
        panel, (y, xs, valid), coef, inv, sigma2, r, c0, lens, rel, r0, wins_sorted, model, zero)
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
    keep_flat = keep.reshape(-1)              # row-major: event order, then window order
    if keep_flat.all():
        # every window of every event studied: the (event, window) arrays are the columns
        # as they are (views), and per-event values repeat once per window
        ev_k = np.repeat(np.arange(n_alive), n_win) if n_win > 1 else np.arange(n_alive)
        win_k = np.tile(np.arange(n_win), n_alive)
        car, car_var, n_obs, zero_ev = (m.reshape(-1) for m in (car, car_var, n_obs, zero_ev))
    else:
        pos = np.flatnonzero(keep_flat)
        ev_k, win_k = np.divmod(pos, n_win) if n_win > 1 else (pos, np.zeros(len(pos), dtype=np.int64))
        car, car_var, n_obs, zero_ev = (m.reshape(-1)[pos] for m in (car, car_var, n_obs, zero_ev))
        del pos
    with np.errstate(invalid="ignore", divide="ignore"):
        car_t = car / np.sqrt(car_var)
        zero_share_est = np.where(est_days > 0, zero_est / np.maximum(est_days, 1), np.nan)
    dof_k = dof[ev_k]
    e_idx = idx[ev_k]
    w_start = np.array([a for a, _ in wins_sorted], dtype=np.int64)
    w_end = np.array([b for _, b in wins_sorted], dtype=np.int64)
    # day 0 looked up once per event, then repeated per window
    day0 = panel.days.reshape(-1)[r * panel.width + c0][ev_k] * np.int64(86_400_000_000_000)
    d = {
        "event_id": _take(ev["event_id"], e_idx),
        "ticker": panel.tickers.array.take(r[ev_k]),
        "event_date": _take(ev["date"], e_idx),
        "day0_date": day0.view("datetime64[ns]"),
        "window_start": w_start[win_k], "window_end": w_end[win_k],
        "car": car, "car_var": car_var, "car_t": car_t,
        # two-sided Student t: the same function scipy.stats.t.sf calls, without its overhead
        "p_value": _two_sided_p(dof_k, car_t),
        "n_est": n_est[ev_k], "dof": dof_k,
        "sigma": np.sqrt(sigma2)[ev_k], "n_obs": n_obs,
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


def _two_sided_p(dof: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Two-sided Student-t p-values ``2 P(T_dof > |t|)`` (``scipy.special.stdtr``, in place).

    Halves on two threads for large inputs (the ufunc releases the GIL); every value is
    the same function of its own ``(dof, t)``.
    """
    out = np.abs(t)
    np.negative(out, out=out)

    def part(sl):
        special.stdtr(dof[sl], out[sl], out=out[sl])

    n_threads = _threads_for(len(out))
    if n_threads == 1:
        part(slice(None))
    else:
        cuts = np.linspace(0, len(out), n_threads + 1).astype(int)
        with ThreadPoolExecutor(n_threads) as pool:
            list(pool.map(part, [slice(a, b) for a, b in zip(cuts[:-1], cuts[1:])]))
    out *= 2.0
    return out


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
