"""Option grants to the IR consultant: moneyness, intrinsic value, Black-Scholes fair value.

Pure functions on pandas objects. The grant follows the ``option_grants`` contract of
``docs/architecture.md`` (``grant_id, engagement_id, holder, shares, strike, grant_date,
expiry_date``); prices are a frame ``date, close`` (extra columns such as ``ticker`` are
ignored) split-adjusted to the latest share basis (Yahoo convention); splits are a frame
``date, ratio`` with ``ratio`` = new shares per old share (0.1 = 1-for-10 reverse split).

Share bases, and how they are reconciled
----------------------------------------
The contract fixes ``strike`` and ``shares`` on the grant date's share basis; a split on a
date ``s`` after the grant multiplies the shares by ``ratio`` and divides the strike by it
(a 1-for-10 reverse split: strike x 10, shares / 10).  The price series instead is on the
*latest* basis.  The daily series reports every quantity on the basis **in force on that
day**: the quoted price on day ``d`` is ``close_adjusted(d) x F(d)`` where
``F(d) = prod(ratio for splits dated after d)`` (undoing the later adjustments), and the
contract terms on ``d`` are ``strike / G(d)`` and ``shares x G(d)`` with
``G(d) = prod(ratio for splits dated after the grant and on or before d)``.  Totals
(intrinsic value, fair value) do not depend on the basis, since Black-Scholes is
homogeneous of degree one in (S, K); per-share figures do, and jump at a split exactly as
the quoted price does.  A split dated ``s`` is effective from the open of ``s`` (the close
of ``s`` is already on the new basis), which is how Yahoo dates splits.

No prices are rounded anywhere: penny stocks quote in fractions of a cent.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Mapping

import numpy as np
import pandas as pd
from scipy.stats import norm

from analytics.constants import (
    CALENDAR_DAYS_PER_YEAR, DEFAULT_RISK_FREE_RATE, DEFAULT_VOL_WINDOW, DEFAULT_VOLATILITY_METHOD,
    MIN_VOL_OBS, TRADING_DAYS_PER_YEAR, WEEKLY_RETURN_DAYS,
)

OPTION_SERIES_COLUMNS: tuple[str, ...] = (
    "grant_id", "date", "close", "close_adjusted", "split_factor", "strike", "shares",
    "moneyness", "intrinsic_per_share", "intrinsic_value", "volatility", "days_to_expiry",
    "time_to_expiry", "risk_free_rate", "fair_value_per_share", "fair_value", "time_value",
    "break_even", "break_even_at_grant_value", "in_the_money", "volatility_method",
)


# --------------------------------------------------------------------------------------
# Black-Scholes
# --------------------------------------------------------------------------------------
def _d1_d2(spot, strike, t_years, rate, vol):
    spot, strike, t_years, rate, vol = np.broadcast_arrays(
        *(np.asarray(x, dtype=float) for x in (spot, strike, t_years, rate, vol)))
    with np.errstate(divide="ignore", invalid="ignore"):
        sig_rt = vol * np.sqrt(t_years)
        d1 = (np.log(spot / strike) + (rate + 0.5 * vol ** 2) * t_years) / sig_rt
    return spot, strike, t_years, rate, vol, d1, d1 - sig_rt


def _scalar_or_array(x: np.ndarray):
    return float(x) if np.ndim(x) == 0 else x


def black_scholes_call(spot, strike, t_years, rate=DEFAULT_RISK_FREE_RATE, vol=np.nan):
    """European call value per share (Black and Scholes 1973).

    Parameters
    ----------
    spot, strike : float or array
        Share price and strike, same currency and share basis (not rounded).
    t_years : float or array
        Time to expiry in years (here ACT/365 calendar days).
    rate : float or array
        Risk-free rate, annual, continuously compounded.
    vol : float or array
        Volatility of the log price, annualised.

    Returns
    -------
    float or numpy.ndarray
        ``C = S N(d1) - K exp(-rT) N(d2)``, ``d1 = (ln(S/K) + (r + sigma^2/2) T) / (sigma sqrt T)``,
        ``d2 = d1 - sigma sqrt T`` (Hull, *Options, Futures and Other Derivatives*, ch. 15).
        At expiry (``T <= 0``) the value is the intrinsic ``max(S - K, 0)``; with
        ``sigma = 0`` and ``T > 0`` it is the forward intrinsic ``max(S - K exp(-rT), 0)``.
        NaN where the volatility is unknown.

    Examples
    --------
    Hull's example 15.6: S = 42, K = 40, r = 10%, sigma = 20%, T = 0.5 gives 4.76.
    """
    s, k, t, r, v, d1, d2 = _d1_d2(spot, strike, t_years, rate, vol)
    with np.errstate(invalid="ignore", over="ignore"):
        value = s * norm.cdf(d1) - k * np.exp(-r * t) * norm.cdf(d2)
        degenerate = np.maximum(s - k * np.exp(-r * np.maximum(t, 0.0)), 0.0)
    value = np.where((t <= 0) | (v == 0), degenerate, value)
    value = np.where(np.isnan(v) & (t > 0), np.nan, value)
    return _scalar_or_array(value)


def black_scholes_put(spot, strike, t_years, rate=DEFAULT_RISK_FREE_RATE, vol=np.nan):
    """European put value per share (Black and Scholes 1973).

    Parameters
    ----------
    spot, strike, t_years, rate, vol
        As in :func:`black_scholes_call`.

    Returns
    -------
    float or numpy.ndarray
        ``P = K exp(-rT) N(-d2) - S N(-d1)`` (Hull ch. 15), which satisfies put-call parity
        ``C - P = S - K exp(-rT)``. At expiry ``max(K - S, 0)``. Hull's example: 0.81.
    """
    s, k, t, r, v, d1, d2 = _d1_d2(spot, strike, t_years, rate, vol)
    with np.errstate(invalid="ignore", over="ignore"):
        value = k * np.exp(-r * t) * norm.cdf(-d2) - s * norm.cdf(-d1)
        degenerate = np.maximum(k * np.exp(-r * np.maximum(t, 0.0)) - s, 0.0)
    value = np.where((t <= 0) | (v == 0), degenerate, value)
    value = np.where(np.isnan(v) & (t > 0), np.nan, value)
    return _scalar_or_array(value)


# --------------------------------------------------------------------------------------
# Elementary measures
# --------------------------------------------------------------------------------------
def moneyness(price, strike):
    """Moneyness ``S / K`` (above 1: in the money for a call). Works on scalars and Series."""
    return price / strike


def intrinsic_value(price, strike, shares=1.0):
    """Intrinsic value of a call on ``shares`` shares: ``shares x max(S - K, 0)``.

    With the default ``shares=1`` it is the value per share. Not rounded.
    """
    return shares * np.maximum(price - strike, 0.0)


def days_to_expiry(as_of, expiry_date) -> int | pd.Series:
    """Calendar days from ``as_of`` to ``expiry_date`` (negative once expired)."""
    expiry = pd.Timestamp(expiry_date).normalize()
    if isinstance(as_of, (pd.Series, pd.Index, np.ndarray, list)):
        return (expiry - pd.to_datetime(pd.Series(as_of)).dt.normalize()).dt.days
    return int((expiry - pd.Timestamp(as_of).normalize()).days)


def trailing_volatility(close: pd.Series, window: int = DEFAULT_VOL_WINDOW,
                        min_obs: int | None = None,
                        periods_per_year: int = TRADING_DAYS_PER_YEAR) -> pd.Series:
    """Annualised volatility from a trailing window of daily log returns.

    Parameters
    ----------
    close : pandas.Series
        Closes indexed by trading date, split-adjusted (so a split is no return).
    window : int
        Number of trailing daily log returns, ending with the return into day ``t``.
    min_obs : int, optional
        Fewest returns required (default ``min(MIN_VOL_OBS, window)``), else NaN.
    periods_per_year : int
        Annualisation factor (``TRADING_DAYS_PER_YEAR``).

    Returns
    -------
    pandas.Series
        ``sigma_t = sd(ln(P_s / P_{s-1}), s = t-window+1..t) x sqrt(252)`` (sample standard
        deviation, ``ddof=1``; Hull ch. 15.4 "Estimating volatility from historical data").
        Non-positive closes give NaN returns, which are skipped.
    """
    min_obs = min(MIN_VOL_OBS, window) if min_obs is None else min_obs
    close = close.astype(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        logret = np.log(close.where(close > 0)).diff()
    return logret.rolling(window, min_periods=min_obs).std(ddof=1) * np.sqrt(periods_per_year)


#: The option's volatility estimators, in words (the page shows ``volatility_method``).
VOLATILITY_METHODS: dict[str, str] = {
    "trade_to_trade_zhou": ("trade-to-trade log returns scaled by their span, with the first-order "
                            "autocovariance correction for tick noise (Zhou 1996)"),
    "weekly": f"non-overlapping {WEEKLY_RETURN_DAYS}-trading-day log returns",
    "historical": ("daily log returns, sample standard deviation (inflated by tick rounding on a "
                   "penny stock)"),
}
_ZHOU_FALLBACK = ("trade-to-trade log returns scaled by their span, uncorrected (the "
                  "autocovariance correction came out negative in this window)")


def noise_robust_volatility(close: pd.Series, volume: pd.Series | None = None,
                            window: int = DEFAULT_VOL_WINDOW, min_obs: int | None = None,
                            periods_per_year: int = TRADING_DAYS_PER_YEAR) -> pd.DataFrame:
    """Annualised volatility robust to tick rounding and days without trades (Zhou 1996).

    In each trailing window of ``window`` trading days ending on day ``t`` (closes
    ``t - window .. t``, as :func:`trailing_volatility`), take the days with a trade
    (``volume > 0``; every day when ``volume`` is None), their log closes ``l_k`` on trading
    day positions ``P_k``, the trade-to-trade returns ``r_k = l_k - l_{k-1}`` over spans
    ``n_k = P_k - P_{k-1}`` (both ends inside the window), and::

        sigma^2_day = (sum_k r_k^2 + 2 sum_k r_k r_{k-1}) / sum_k n_k,
        sigma_t     = sqrt(sigma^2_day x 252).

    With an efficient log price plus iid rounding noise ``e`` (variance ``eta^2``), ``r_k =
    true_k + e_k - e_{k-1}``: ``E[r_k^2] = sigma^2 n_k + 2 eta^2`` and ``E[r_k r_{k-1}] =
    -eta^2``, so the first-order autocovariance term removes the noise (Zhou 1996, the
    estimator with one autocovariance; French and Roll 1986 for the variance per unit time
    of returns over spans). A $1/256 tick on a 4-cent stock is ~10% of the price: the plain
    daily estimate is then 1.2x too high. When the corrected variance is not positive (small
    windows), the uncorrected ``sum r^2 / sum n`` is used and said in ``volatility_method``.

    Parameters
    ----------
    close : pandas.Series
        Closes by trading date, split-adjusted.
    volume : pandas.Series, optional
        Shares traded on the same dates (0 = no trade). None: every day traded.
    window : int
        Trailing trading days (``DEFAULT_VOL_WINDOW``).
    min_obs : int, optional
        Fewest trading days spanned by the window's returns (default
        ``min(MIN_VOL_OBS, window)``), and at least 2 returns; else NaN.
    periods_per_year : int

    Returns
    -------
    pandas.DataFrame
        Indexed like ``close``: ``volatility``, ``n_returns`` (trade-to-trade returns used),
        ``volatility_method`` (words, per day).

    References
    ----------
    Zhou, B. (1996). High-frequency data and volatility in foreign-exchange rates. Journal of
    Business and Economic Statistics 14(1), 45-52.
    """
    min_obs = min(MIN_VOL_OBS, window) if min_obs is None else min_obs
    c = close.astype(float)
    n_days = len(c)
    with np.errstate(divide="ignore", invalid="ignore"):
        logp = np.log(c.where(c > 0).to_numpy())
    traded = np.isfinite(logp)
    if volume is not None:
        v = volume.reindex(c.index).to_numpy(dtype=float)
        traded &= np.nan_to_num(v, nan=0.0) > 0
    pos = np.flatnonzero(traded)
    lp = logp[pos]
    r = np.diff(lp)                       # r[k-1] = return into trade k (k >= 1)
    span = np.diff(pos).astype(float)
    start, end = pos[:-1], pos[1:]
    cross = np.r_[0.0, r[1:] * r[:-1]]    # cross[j] = r[j] r[j-1]
    cs_r2 = np.r_[0.0, np.cumsum(r ** 2)]
    cs_n = np.r_[0.0, np.cumsum(span)]
    cs_x = np.r_[0.0, np.cumsum(cross)]
    t = np.arange(n_days)
    lo = np.searchsorted(start, t - window, side="left")   # first return starting in the window
    hi = np.searchsorted(end, t, side="right")             # one past the last ending by t
    cnt = np.maximum(hi - lo, 0)
    sum_r2 = np.where(cnt > 0, cs_r2[np.maximum(hi, lo)] - cs_r2[lo], 0.0)
    sum_n = np.where(cnt > 0, cs_n[np.maximum(hi, lo)] - cs_n[lo], 0.0)
    # cross products of consecutive returns both in the window: j = lo+1 .. hi-1
    sum_x = np.where(cnt > 1, cs_x[np.maximum(hi, lo + 1)] - cs_x[np.minimum(lo + 1, hi)], 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        corrected = (sum_r2 + 2.0 * sum_x) / sum_n
        plain = sum_r2 / sum_n
    ok = (cnt >= 2) & (sum_n >= min_obs)
    use_plain = ok & ~(corrected > 0)
    var = np.where(use_plain, plain, corrected)
    vol = np.where(ok, np.sqrt(np.maximum(var, 0.0) * periods_per_year), np.nan)
    method = np.where(use_plain, _ZHOU_FALLBACK, VOLATILITY_METHODS["trade_to_trade_zhou"])
    if volume is None:
        method = np.char.add(method.astype(str), " (no volume given: every day counted as traded)")
    return pd.DataFrame({"volatility": vol, "n_returns": cnt,
                         "volatility_method": np.where(ok, method, "")}, index=c.index)


def weekly_volatility(close: pd.Series, window: int = DEFAULT_VOL_WINDOW,
                      min_obs: int | None = None, days: int = WEEKLY_RETURN_DAYS,
                      periods_per_year: int = TRADING_DAYS_PER_YEAR) -> pd.Series:
    """Annualised volatility from non-overlapping ``days``-day log returns in a trailing window.

    The window's closes ``t - window .. t`` give ``floor(window / days)`` returns
    ``l_t - l_{t-days}, l_{t-days} - l_{t-2 days}, ...`` (ending on ``t``);
    ``sigma_t = sd(returns, ddof=1) x sqrt(252 / days)``. Rounding noise adds ``2 eta^2`` to
    a return's variance whatever its length, so longer returns dilute it (``days`` x less than
    daily returns). NaN with fewer than ``max(2, min_obs / days)`` returns.
    """
    min_obs = min(MIN_VOL_OBS, window) if min_obs is None else min_obs
    c = close.astype(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        logp = np.log(c.where(c > 0).to_numpy())
    m = window // days
    need = max(2, int(np.ceil(min_obs / days)))
    out = np.full(len(c), np.nan)
    if m >= 2:
        for t in range(m * days, len(c)):
            pts = logp[t - np.arange(m + 1) * days]
            rets = -np.diff(pts)
            rets = rets[np.isfinite(rets)]
            if rets.size >= need:
                out[t] = np.std(rets, ddof=1) * np.sqrt(periods_per_year / days)
    return pd.Series(out, index=c.index, name="volatility")


def option_volatility(close: pd.Series, volume: pd.Series | None = None,
                      method: str = DEFAULT_VOLATILITY_METHOD, window: int = DEFAULT_VOL_WINDOW,
                      min_obs: int | None = None) -> pd.DataFrame:
    """The option's volatility by the named method: ``volatility, volatility_method`` per day.

    ``method`` is a key of ``VOLATILITY_METHODS``: ``"trade_to_trade_zhou"`` (default,
    :func:`noise_robust_volatility`), ``"weekly"`` (:func:`weekly_volatility`) or
    ``"historical"`` (:func:`trailing_volatility`, the plain daily estimate).
    """
    if method not in VOLATILITY_METHODS:
        raise ValueError(f"volatility method must be one of {sorted(VOLATILITY_METHODS)}, not {method!r}")
    if method == "trade_to_trade_zhou":
        return noise_robust_volatility(close, volume, window, min_obs)[["volatility", "volatility_method"]]
    vol = (weekly_volatility(close, window, min_obs) if method == "weekly"
           else trailing_volatility(close, window, min_obs))
    return pd.DataFrame({"volatility": vol.to_numpy(),
                         "volatility_method": np.where(vol.notna(), VOLATILITY_METHODS[method], "")},
                        index=close.index)


def volume_series(prices: pd.DataFrame | pd.Series) -> pd.Series | None:
    """Shares traded by date from a prices frame with a ``volume`` column, else None."""
    if isinstance(prices, pd.Series) or "volume" not in prices.columns:
        return None
    v = pd.Series(prices["volume"].to_numpy(dtype=float), index=pd.to_datetime(prices["date"].to_numpy()))
    v = v[~v.index.duplicated(keep="last")].sort_index()
    return v


# --------------------------------------------------------------------------------------
# Inputs
# --------------------------------------------------------------------------------------
def close_series(prices: pd.DataFrame | pd.Series) -> pd.Series:
    """The close as a float Series indexed by sorted, unique, tz-naive trading date."""
    if isinstance(prices, pd.Series):
        s = prices.copy()
        s.index = pd.to_datetime(s.index)
    else:
        s = pd.Series(prices["close"].to_numpy(dtype=float),
                      index=pd.to_datetime(prices["date"].to_numpy()))
    s = s.astype(float)
    s = s[~s.index.duplicated(keep="last")].sort_index()
    s.index.name = "date"
    s.name = "close"
    return s


def _splits_frame(splits: pd.DataFrame | None) -> pd.DataFrame:
    if splits is None or len(splits) == 0:
        return pd.DataFrame({"date": pd.to_datetime([]), "ratio": np.array([], dtype=float)})
    out = pd.DataFrame({"date": pd.to_datetime(splits["date"].to_numpy()),
                        "ratio": splits["ratio"].to_numpy(dtype=float)})
    if (out["ratio"] <= 0).any() or out["ratio"].isna().any():
        raise ValueError("split ratios must be positive (new shares per old share)")
    return out.sort_values("date", kind="stable").reset_index(drop=True)


def split_factor_after(dates, splits: pd.DataFrame | None) -> np.ndarray:
    """``F(d) = prod(ratio of splits dated strictly after d)`` for each date ``d``.

    Multiply a latest-basis (Yahoo split-adjusted) price by ``F(d)`` to get the price as
    quoted on ``d``; multiply a number of shares on ``d``'s basis by ``F(d)`` to express it
    on the latest basis.
    """
    if splits is None or len(splits) == 0:  # no splits: F = 1 (without building the frames below)
        return np.ones(len(np.atleast_1d(dates)))
    sp = _splits_frame(splits)
    d = pd.to_datetime(pd.Index(np.atleast_1d(dates))).to_numpy()
    # reverse cumulative product: suffix[i] = prod(ratio[i:]), suffix[n] = 1
    ratios = sp["ratio"].to_numpy()
    suffix = np.append(np.cumprod(ratios[::-1])[::-1], 1.0)
    idx = np.searchsorted(sp["date"].to_numpy(), d, side="right")
    return suffix[idx]


def split_factor_between(start, dates, splits: pd.DataFrame | None) -> np.ndarray:
    """``G(d) = prod(ratio of splits dated after start and on or before d)`` for each date.

    The contract's share count on ``d`` is ``shares x G(d)`` and its strike ``strike / G(d)``.
    """
    return split_factor_after([start], splits)[0] / split_factor_after(dates, splits)


def _grant_fields(grant: Mapping[str, Any] | pd.Series) -> dict:
    g = dict(grant)
    missing = [c for c in ("shares", "strike", "grant_date", "expiry_date") if c not in g]
    if missing:
        raise ValueError(f"option grant lacks {missing}")
    g["grant_date"] = pd.Timestamp(g["grant_date"]).normalize()
    g["expiry_date"] = pd.Timestamp(g["expiry_date"]).normalize()
    g["shares"] = float(g["shares"])
    g["strike"] = float(g["strike"])
    if g["strike"] <= 0 or g["shares"] < 0:
        raise ValueError("option strike must be positive and shares non-negative")
    if g["expiry_date"] < g["grant_date"]:
        raise ValueError("option expiry_date is before grant_date")
    return g


# --------------------------------------------------------------------------------------
# The grant, day by day
# --------------------------------------------------------------------------------------
def option_grant_series(grant: Mapping[str, Any] | pd.Series,
                        prices: pd.DataFrame | pd.Series,
                        splits: pd.DataFrame | None = None,
                        risk_free_rate: float = DEFAULT_RISK_FREE_RATE,
                        vol_window: int = DEFAULT_VOL_WINDOW,
                        min_vol_obs: int | None = None,
                        volatility_method: str = DEFAULT_VOLATILITY_METHOD) -> pd.DataFrame:
    """Daily account of one option grant from its grant date to its expiry (or the last price).

    Parameters
    ----------
    grant : dict or pandas.Series
        ``shares, strike, grant_date, expiry_date`` (+ ``grant_id`` carried through), with
        strike and shares on the grant date's share basis.
    prices : pandas.DataFrame or pandas.Series
        ``date, close`` split-adjusted to the latest basis, with ``volume`` when known (the
        trade-to-trade volatility uses the days with a trade). History before the grant date
        feeds the volatility estimate.
    splits : pandas.DataFrame, optional
        ``date, ratio`` (new shares per old share). ``None``: no splits.
    risk_free_rate : float
        Annual, continuously compounded (default ``DEFAULT_RISK_FREE_RATE`` = 5%, roughly the
        1999 three-month T-bill).
    vol_window : int
        Trailing daily log returns used for the volatility (``DEFAULT_VOL_WINDOW``).
    min_vol_obs : int, optional
        Fewest returns (days spanned, for the trade-to-trade method) for a volatility.
    volatility_method : str
        A key of ``VOLATILITY_METHODS`` (default ``DEFAULT_VOLATILITY_METHOD``, the
        trade-to-trade estimator with the Zhou (1996) correction, robust to the $1/256 tick
        and to days without trades: :func:`noise_robust_volatility`); named in words per row
        in ``volatility_method``, which the page shows.

    Returns
    -------
    pandas.DataFrame
        One row per trading day ``grant_date <= date <= expiry_date`` with
        ``OPTION_SERIES_COLUMNS``, each on the share basis in force on ``date`` (see the
        module docstring):

        - ``close`` quoted price (``close_adjusted x split_factor``), ``split_factor`` = F(d);
        - ``strike``, ``shares``: contract terms after splits since the grant;
        - ``moneyness = close / strike``; ``intrinsic_per_share = max(close - strike, 0)``;
          ``intrinsic_value = shares x intrinsic_per_share``;
        - ``volatility``: trailing annualised volatility (``volatility_method`` in words);
          ``days_to_expiry`` (calendar) and
          ``time_to_expiry = days / 365``;
        - ``fair_value_per_share``: Black-Scholes call; ``fair_value`` = x shares;
          ``time_value = fair_value - intrinsic_value``;
        - ``break_even``: the price at which exercising breaks even. The consultant paid no
          premium for the grant, so it is the strike itself; ``break_even_at_grant_value`` =
          strike + fair value per share at grant (on today's basis), the price at which the
          holder's exercise gain equals what the company gave away at grant;
        - ``in_the_money``: ``close > strike``.

        Empty (with the columns) when no price falls in the grant's life.

    Notes
    -----
    A call on a non-dividend-paying share is valued as European (early exercise is never
    optimal; Hull ch. 11). Volatility from historical log returns, Hull ch. 15.4.
    """
    g = _grant_fields(grant)
    return _grant_series(g, *_close_and_volatility(prices, volatility_method, vol_window, min_vol_obs), splits,
                         risk_free_rate)


def _close_and_volatility(prices, volatility_method, vol_window, min_vol_obs):
    """The split-adjusted close series and its volatility frame (computed once for the series and the grant value)."""
    close_adj = close_series(prices)
    vol_df = option_volatility(close_adj, volume_series(prices), volatility_method, vol_window,
                               min_vol_obs)
    return close_adj, vol_df


def _grant_series(g: dict, close_adj: pd.Series, vol_df: pd.DataFrame, splits, risk_free_rate) -> pd.DataFrame:
    """:func:`option_grant_series` from the checked grant, the close and its volatility frame."""
    vol = vol_df["volatility"]
    life = (close_adj.index >= g["grant_date"]) & (close_adj.index <= g["expiry_date"])
    dates = close_adj.index[life]
    if len(dates) == 0:
        return pd.DataFrame({c: pd.Series(dtype=float) for c in OPTION_SERIES_COLUMNS})
    f_after = split_factor_after(dates, splits)
    g_since = split_factor_between(g["grant_date"], dates, splits)
    close = close_adj[life].to_numpy() * f_after
    strike = g["strike"] / g_since
    shares = g["shares"] * g_since
    dte = (g["expiry_date"] - dates).days.to_numpy()
    t_years = dte / CALENDAR_DAYS_PER_YEAR
    sigma = vol[life].to_numpy()
    fv_ps = np.asarray(black_scholes_call(close, strike, t_years, risk_free_rate, sigma), dtype=float)
    intr_ps = np.maximum(close - strike, 0.0)
    # break-even at grant value: the grant-date fair value per share, carried to today's basis
    fv_grant_ps = fv_ps[0] if dates[0] == g["grant_date"] else np.nan
    if np.isnan(fv_grant_ps):
        fv_grant_ps = _fair_value_on(close_adj, vol, g, splits, risk_free_rate) / g["shares"] \
            if g["shares"] > 0 else np.nan
    out = pd.DataFrame({
        "grant_id": g.get("grant_id"),
        "date": dates,
        "close": close,
        "close_adjusted": close_adj[life].to_numpy(),
        "split_factor": f_after,
        "strike": strike,
        "shares": shares,
        "moneyness": close / strike,
        "intrinsic_per_share": intr_ps,
        "intrinsic_value": shares * intr_ps,
        "volatility": sigma,
        "days_to_expiry": dte.astype(int),
        "time_to_expiry": t_years,
        "risk_free_rate": float(risk_free_rate),
        "fair_value_per_share": fv_ps,
        "fair_value": shares * fv_ps,
        "time_value": shares * (fv_ps - intr_ps),
        "break_even": strike,
        "break_even_at_grant_value": strike + fv_grant_ps / g_since,
        "in_the_money": close > strike,
        "volatility_method": vol_df["volatility_method"].to_numpy()[life],
    })
    return out.reset_index(drop=True)


def _fair_value_on(close_adj: pd.Series, vol: pd.Series, g: dict, splits, rate) -> float:
    """Total fair value at the grant date, priced off the last close on or before it."""
    before = close_adj.index <= g["grant_date"]
    if not before.any():
        return np.nan
    d = close_adj.index[before][-1]
    s = close_adj.loc[d] * split_factor_after([g["grant_date"]], splits)[0]
    t = (g["expiry_date"] - g["grant_date"]).days / CALENDAR_DAYS_PER_YEAR
    return g["shares"] * float(black_scholes_call(s, g["strike"], t, rate, vol.loc[d]))


def grant_date_fair_value(grant: Mapping[str, Any] | pd.Series,
                          prices: pd.DataFrame | pd.Series,
                          splits: pd.DataFrame | None = None,
                          risk_free_rate: float = DEFAULT_RISK_FREE_RATE,
                          vol_window: int = DEFAULT_VOL_WINDOW,
                          min_vol_obs: int | None = None,
                          volatility_method: str = DEFAULT_VOLATILITY_METHOD) -> float:
    """Black-Scholes value of the whole grant on its grant date (its cost to the company).

    Priced off the close of the grant date, or of the last trading day before it when the
    grant date is not a trading day, with the trailing volatility of that day (by
    ``volatility_method``, see :func:`option_grant_series`) and the full time to expiry in
    calendar days / 365. NaN when no price or volatility is available.
    Basis-free: ``shares x C(S, K)`` with S, K and shares on the grant date's basis.
    """
    g = _grant_fields(grant)
    close_adj = close_series(prices)
    vol = option_volatility(close_adj, volume_series(prices), volatility_method, vol_window,
                            min_vol_obs)["volatility"]
    return float(_fair_value_on(close_adj, vol, g, splits, risk_free_rate))


@dataclass(frozen=True)
class OptionStatus:
    """One grant as of a date. Per-share figures are on the share basis of ``date``."""

    grant_id: Any
    as_of: pd.Timestamp
    status: str                     # "not yet granted" | "live" | "expired in the money" | ...
    date: pd.Timestamp | None       # trading day the figures are taken from
    close: float
    strike: float
    shares: float
    moneyness: float
    intrinsic_per_share: float
    intrinsic_value: float
    fair_value_per_share: float
    fair_value: float
    volatility: float
    days_to_expiry: int
    break_even: float
    break_even_at_grant_value: float
    grant_date_fair_value: float
    value_at_expiry: float          # NaN until expired (or when prices stop before expiry)
    expired_in_the_money: bool | None
    volatility_method: str = ""     # the estimator in words (VOLATILITY_METHODS), for the page

    def as_dict(self) -> dict:
        return asdict(self)


def option_status_as_of(grant: Mapping[str, Any] | pd.Series,
                        prices: pd.DataFrame | pd.Series,
                        as_of=None,
                        splits: pd.DataFrame | None = None,
                        risk_free_rate: float = DEFAULT_RISK_FREE_RATE,
                        vol_window: int = DEFAULT_VOL_WINDOW,
                        min_vol_obs: int | None = None,
                        volatility_method: str = DEFAULT_VOLATILITY_METHOD) -> OptionStatus:
    """The grant's state on ``as_of`` (default: the last price date).

    Figures come from the last trading day on or before ``min(as_of, expiry_date)``. Once
    ``as_of`` is on or after the expiry date, ``value_at_expiry`` is the intrinsic value on
    the last trading day on or before expiry (``shares x max(S - K, 0)``) and
    ``expired_in_the_money`` says whether that close was above the strike; the status
    then reads "expired in the money" or "expired out of the money" (if prices stop before
    expiry the outcome is unknown: "expired (no price at expiry)"). Before the grant date
    the status is "not yet granted" and the figures are NaN.
    """
    g = _grant_fields(grant)
    # the close and its volatility once, for the series and the grant-date value (each computed them again)
    close_adj, vol_df = _close_and_volatility(prices, volatility_method, vol_window, min_vol_obs)
    series = _grant_series(g, close_adj, vol_df, splits, risk_free_rate)
    as_of = close_adj.index.max() if as_of is None else pd.Timestamp(as_of).normalize()
    fv_grant = float(_fair_value_on(close_adj, vol_df["volatility"], g, splits, risk_free_rate))
    nan = float("nan")
    upto = series[series["date"] <= min(as_of, g["expiry_date"])] if len(series) else series
    if as_of < g["grant_date"] or len(upto) == 0:
        return OptionStatus(g.get("grant_id"), as_of, "not yet granted" if as_of < g["grant_date"]
                            else "no price since grant", None, nan, g["strike"], g["shares"], nan,
                            nan, nan, nan, nan, nan, days_to_expiry(as_of, g["expiry_date"]),
                            g["strike"], nan, fv_grant, nan, None,
                            VOLATILITY_METHODS[volatility_method])
    row = upto.iloc[-1]
    expired = as_of >= g["expiry_date"]
    value_at_expiry, itm = nan, None
    if expired:
        # prices reaching the expiry date: the last row of the series is the expiry close
        if close_adj.index.max() >= g["expiry_date"]:
            value_at_expiry = float(row["intrinsic_value"])
            itm = bool(row["in_the_money"])
            status = "expired in the money" if itm else "expired out of the money"
        else:
            status = "expired (no price at expiry)"
    else:
        status = "live"
    return OptionStatus(
        grant_id=g.get("grant_id"), as_of=as_of, status=status, date=pd.Timestamp(row["date"]),
        close=float(row["close"]), strike=float(row["strike"]), shares=float(row["shares"]),
        moneyness=float(row["moneyness"]), intrinsic_per_share=float(row["intrinsic_per_share"]),
        intrinsic_value=float(row["intrinsic_value"]),
        fair_value_per_share=float(row["fair_value_per_share"]), fair_value=float(row["fair_value"]),
        volatility=float(row["volatility"]), days_to_expiry=days_to_expiry(as_of, g["expiry_date"]),
        break_even=float(row["break_even"]),
        break_even_at_grant_value=float(row["break_even_at_grant_value"]),
        grant_date_fair_value=fv_grant, value_at_expiry=value_at_expiry, expired_in_the_money=itm,
        volatility_method=str(row["volatility_method"]) or VOLATILITY_METHODS[volatility_method])
