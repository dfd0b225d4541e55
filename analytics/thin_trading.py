"""Returns for thinly traded stocks: trade-to-trade returns and Dimson betas.

OTC penny stocks do not trade every day.  On a day without volume the quoted close is a
stale carry-over of the last trade (or a bid/ask midpoint), so the daily return series is
full of zeros followed by a catch-up jump.  Ordinary least squares on such a series
understates beta and overstates the residual variance of the catch-up days.  Two remedies
are offered by :func:`analytics.event_study.event_study`:

``thin_trading="trade_to_trade"`` (Maynes and Rumsey 1993)
    A return is measured only between two days with volume: ``R(t) = P(t) / P(t') - 1``
    where ``t'`` is the previous trading day *with volume*; the market return is compounded
    over the same span, ``Rm(t) = M(t) / M(t') - 1``, and the span ``n(t) = t - t'`` (in
    the stock's own trading days) scales the model: ``R = alpha n + beta Rm + e`` with
    ``Var(e) = n sigma^2``, fitted by weighted least squares with weights ``1 / n``.
    Choose it when many days have no volume (a share of zero-volume days above a few
    percent, certainly above ``THIN_TRADING_WARN_SHARE``): it uses only prices that are
    real trades, so an event on a no-trade day is measured at the next real trade.

``thin_trading="dimson"`` (Dimson 1979)
    Keeps every daily return and regresses it on lagged, contemporaneous and leading market
    returns, ``R(t) = alpha + sum_{j=-k..k} b_j Rm(t+j) + e``; the Dimson beta is
    ``sum_j b_j``.  Choose it when the stock trades most days but with a lag to the market
    (non-synchronous trading), when the prices on no-volume days are still informative
    quotes, or to compare with published Dimson betas.  It does not remove stale prices.

The panel helpers (``*_panel``) work on 2-D arrays, one row per ticker and one column per
trading day of that ticker (left aligned, NaN padded); the event-study engine calls them.
The Series functions are for notebooks and tests.

References
----------
Maynes, E. and Rumsey, J. (1993). "Conducting event studies with thinly traded stocks".
    Journal of Banking and Finance 17(1), 145-157.
Dimson, E. (1979). "Risk measurement when shares are subject to infrequent trading".
    Journal of Financial Economics 7(2), 197-226.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = [
    "trade_to_trade_returns",
    "dimson_beta",
    "traded_mask_panel",
    "trade_to_trade_panel",
    "lagged_panel",
]


def traded_mask_panel(close: np.ndarray, volume: np.ndarray) -> np.ndarray:
    """Days that carry a real trade: a positive finite close and volume that is not zero.

    Unknown volume (NaN) counts as traded: only a recorded zero marks a stale price.
    """
    return np.isfinite(close) & ~(volume == 0)


def trade_to_trade_panel(close: np.ndarray, volume: np.ndarray, market_close: np.ndarray):
    """Trade-to-trade returns on a ticker x day panel (Maynes and Rumsey 1993).

    Parameters
    ----------
    close, volume, market_close : ndarray, shape (tickers, days)
        The stock's adjusted close, its volume and the benchmark close aligned to the
        stock's trading days (NaN padding after each ticker's last day).

    Returns
    -------
    ret, market_ret, span : ndarray, shape (tickers, days)
        ``ret[t] = close[t] / close[t'] - 1`` on days with volume whose previous day with
        volume ``t'`` exists, NaN otherwise; ``market_ret`` the benchmark over the same
        span; ``span = t - t'`` in the stock's trading days (NaN where there is no return).
    """
    rows, width = close.shape
    traded = traded_mask_panel(close, volume)
    col = np.arange(width, dtype=np.int64)
    last = np.where(traded, col[None, :], -1)
    np.maximum.accumulate(last, axis=1, out=last)
    prev = np.empty_like(last)
    prev[:, 0] = -1
    prev[:, 1:] = last[:, :-1]
    ok = traded & (prev >= 0)
    del last, traded
    safe_prev = np.where(ok, prev, 0)
    row_idx = np.arange(rows, dtype=np.int64)[:, None]
    with np.errstate(invalid="ignore", divide="ignore"):
        ret = np.where(ok, close / close[row_idx, safe_prev] - 1.0, np.nan)
        mret = np.where(ok, market_close / market_close[row_idx, safe_prev] - 1.0, np.nan)
    span = np.where(ok, (col[None, :] - prev).astype(float), np.nan)
    return ret, mret, span


def lagged_panel(values: np.ndarray, lag: int) -> np.ndarray:
    """``out[:, t] = values[:, t - lag]`` along each row (NaN where it falls off the row).

    A positive ``lag`` gives lagged values, a negative one leading values.
    """
    out = np.full_like(values, np.nan, dtype=float)
    if lag == 0:
        out[:] = values
    elif lag > 0:
        out[:, lag:] = values[:, :-lag]
    else:
        out[:, :lag] = values[:, -lag:]
    return out


def trade_to_trade_returns(close: pd.Series, volume: pd.Series,
                           market_close: pd.Series | None = None) -> pd.DataFrame:
    """Trade-to-trade returns of one stock (Maynes and Rumsey 1993).

    Parameters
    ----------
    close : Series
        Adjusted close indexed by the stock's trading dates (ascending).
    volume : Series
        Shares traded, same index; 0 marks a day without trades (its close is stale).
    market_close : Series, optional
        Benchmark close; aligned to the stock's dates with the last close on or before
        each date.

    Returns
    -------
    DataFrame
        Indexed like ``close``, columns ``ret`` (``P(t)/P(t') - 1`` with ``t'`` the previous
        day with volume), ``span`` (``t - t'`` in the stock's trading days) and, with a
        market, ``market_ret`` (``M(t)/M(t') - 1``).  Rows without a return hold NaN.
    """
    c = close.to_numpy(dtype=float)[None, :]
    v = volume.reindex(close.index).to_numpy(dtype=float)[None, :]
    if market_close is not None:
        m = market_close.sort_index().reindex(close.index, method="ffill").to_numpy(dtype=float)
    else:
        m = np.ones(c.shape[1])
    ret, mret, span = trade_to_trade_panel(c, v, m[None, :])
    out = pd.DataFrame({"ret": ret[0], "span": span[0]}, index=close.index)
    if market_close is not None:
        out["market_ret"] = mret[0]
    return out


def dimson_beta(ret: pd.Series, market_ret: pd.Series, lags: int = 1) -> dict[str, float]:
    """Dimson (1979) aggregated-coefficients beta.

    OLS of ``ret(t)`` on a constant and ``market_ret(t+j)`` for ``j = -lags..lags``; the
    Dimson beta is the sum of the ``2 lags + 1`` slopes.

    Parameters
    ----------
    ret, market_ret : Series
        Daily returns on the same index (the stock's trading days, ascending).
    lags : int
        Number of lags and of leads.

    Returns
    -------
    dict
        ``alpha``, ``beta`` (the sum), ``slopes`` (array, lag -lags .. +lags, i.e. the
        coefficient on ``market_ret(t-lags)`` first) and ``n`` (observations used).
    """
    m = market_ret.reindex(ret.index).to_numpy(dtype=float)
    y = ret.to_numpy(dtype=float)
    cols = [lagged_panel(m[None, :], lag)[0] for lag in range(lags, -lags - 1, -1)]
    x = np.column_stack([np.ones_like(y)] + cols)
    ok = np.isfinite(y) & np.isfinite(x).all(axis=1)
    coef, *_ = np.linalg.lstsq(x[ok], y[ok], rcond=None)
    return {"alpha": float(coef[0]), "beta": float(coef[1:].sum()), "slopes": coef[1:],
            "n": int(ok.sum())}
