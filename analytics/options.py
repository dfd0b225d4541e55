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
    CALENDAR_DAYS_PER_YEAR, DEFAULT_RISK_FREE_RATE, DEFAULT_VOL_WINDOW, MIN_VOL_OBS,
    TRADING_DAYS_PER_YEAR,
)

OPTION_SERIES_COLUMNS: tuple[str, ...] = (
    "grant_id", "date", "close", "close_adjusted", "split_factor", "strike", "shares",
    "moneyness", "intrinsic_per_share", "intrinsic_value", "volatility", "days_to_expiry",
    "time_to_expiry", "risk_free_rate", "fair_value_per_share", "fair_value", "time_value",
    "break_even", "break_even_at_grant_value", "in_the_money",
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
    sp = _splits_frame(splits)
    d = pd.to_datetime(pd.Index(np.atleast_1d(dates))).to_numpy()
    if sp.empty:
        return np.ones(len(d))
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
                        min_vol_obs: int | None = None) -> pd.DataFrame:
    """Daily account of one option grant from its grant date to its expiry (or the last price).

    Parameters
    ----------
    grant : dict or pandas.Series
        ``shares, strike, grant_date, expiry_date`` (+ ``grant_id`` carried through), with
        strike and shares on the grant date's share basis.
    prices : pandas.DataFrame or pandas.Series
        ``date, close`` split-adjusted to the latest basis. History before the grant date
        feeds the volatility estimate.
    splits : pandas.DataFrame, optional
        ``date, ratio`` (new shares per old share). ``None``: no splits.
    risk_free_rate : float
        Annual, continuously compounded (default ``DEFAULT_RISK_FREE_RATE`` = 5%, roughly the
        1999 three-month T-bill).
    vol_window : int
        Trailing daily log returns used for the volatility (``DEFAULT_VOL_WINDOW``).
    min_vol_obs : int, optional
        Fewest returns for a volatility (see :func:`trailing_volatility`).

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
        - ``volatility``: trailing annualised volatility; ``days_to_expiry`` (calendar) and
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
    close_adj = close_series(prices)
    vol = trailing_volatility(close_adj, vol_window, min_vol_obs)
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
                          min_vol_obs: int | None = None) -> float:
    """Black-Scholes value of the whole grant on its grant date (its cost to the company).

    Priced off the close of the grant date, or of the last trading day before it when the
    grant date is not a trading day, with the trailing volatility of that day and the full
    time to expiry in calendar days / 365. NaN when no price or volatility is available.
    Basis-free: ``shares x C(S, K)`` with S, K and shares on the grant date's basis.
    """
    g = _grant_fields(grant)
    close_adj = close_series(prices)
    vol = trailing_volatility(close_adj, vol_window, min_vol_obs)
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

    def as_dict(self) -> dict:
        return asdict(self)


def option_status_as_of(grant: Mapping[str, Any] | pd.Series,
                        prices: pd.DataFrame | pd.Series,
                        as_of=None,
                        splits: pd.DataFrame | None = None,
                        risk_free_rate: float = DEFAULT_RISK_FREE_RATE,
                        vol_window: int = DEFAULT_VOL_WINDOW,
                        min_vol_obs: int | None = None) -> OptionStatus:
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
    series = option_grant_series(g, prices, splits, risk_free_rate, vol_window, min_vol_obs)
    close_adj = close_series(prices)
    as_of = close_adj.index.max() if as_of is None else pd.Timestamp(as_of).normalize()
    fv_grant = grant_date_fair_value(g, prices, splits, risk_free_rate, vol_window, min_vol_obs)
    nan = float("nan")
    upto = series[series["date"] <= min(as_of, g["expiry_date"])] if len(series) else series
    if as_of < g["grant_date"] or len(upto) == 0:
        return OptionStatus(g.get("grant_id"), as_of, "not yet granted" if as_of < g["grant_date"]
                            else "no price since grant", None, nan, g["strike"], g["shares"], nan,
                            nan, nan, nan, nan, nan, days_to_expiry(as_of, g["expiry_date"]),
                            g["strike"], nan, fv_grant, nan, None)
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
        grant_date_fair_value=fv_grant, value_at_expiry=value_at_expiry, expired_in_the_money=itm)
