"""Value created by the IR program, its ROI with an interval, persistence, and the full account.

Inputs are the event-study engine's frames (``analytics.event_study``, issue 3):

- ``abnormal``: ``event_id, ticker, rel_day, date, ret, market_ret, expected, ar``;
- ``cars``: ``event_id, ticker, event_date, window_start, window_end, car, car_var, car_t,
  p_value, n_est, sigma`` (+ ``alpha, beta`` for the market model);

plus a market capitalisation series (:func:`market_cap_series`).

Abnormal value (dollars)
------------------------
For an activity with event window ``[a, b]`` (trading days relative to day 0)::

    AV = sum_{t=a..b} AR_t x MC_{t-1}

where ``MC_{t-1}`` is the market capitalisation (shares outstanding x price) on the stock's
previous trading day: the dollar gain of the shareholders beyond what the market model
predicts (the "dollar abnormal return" of e.g. Malatesta and Thompson 1985; McConnell and
Muscarella 1985). Its variance scales MacKinlay's (1997) ``Var(CAR)`` (which includes the
estimation error of the model) by the squared caps::

    Var(AV) ~= Var(CAR) x sum_t MC_{t-1}^2 / L2

exact when the cap is constant or the estimation error is ignored (then ``sigma^2 sum MC^2``).

Totals over several activities do not double count: activities of one company cluster,
windows overlap, and a day inside two windows is one day of shareholder value. A total
takes each distinct date once, with the mean AR (and mean per-day variance) of the events
that cover it (they differ only by their estimation windows), and treats days as
independent. ``sum_of_events`` is reported beside it.

ROI and its interval
--------------------
``ROI = (AV - C) / C`` with ``C`` the program's cost (known, not estimated). The interval is
either ``normal`` (delta method: ``AV +/- z se(AV)``, ``se`` from the CAR variances, so
``ROI +/- z se(AV) / C``) or ``bootstrap`` (seeded resampling of the estimation residuals of
the market model, for the engagement-period value: see
:func:`engagement_period_abnormal_value`). The method is named in every result, and
:func:`roi_verdict` phrases it in words: an interval that covers zero is reported as "not
distinguishable from zero".
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping

import numpy as np
import pandas as pd
from scipy.stats import norm

from analytics.constants import (
    ACTIVITY_TYPE_CODES, DEFAULT_ESTIMATION_WINDOW, DEFAULT_EVENT_WINDOWS, DEFAULT_SEED,
    MIN_ESTIMATION_OBS, PERSISTENCE_HORIZONS, ROI_INTERVAL_LEVEL, activity_label,
)
from analytics.options import close_series, split_factor_after
from analytics.retainer import shares_outstanding_on

#: Share of the event-window CAR still present at a horizon above which the move "persisted";
#: between 0 and this it "partly reversed"; at or below 0 it "reversed".
PERSISTED_SHARE = 0.5
DEFAULT_BOOTSTRAP_DRAWS = 2000

DAILY_VALUE_COLUMNS = ("event_id", "ticker", "rel_day", "date", "ar", "cap_prev", "value",
                       "var_day")


# --------------------------------------------------------------------------------------
# Market capitalisation
# --------------------------------------------------------------------------------------
def market_cap_series(prices: pd.DataFrame | pd.Series, shares_outstanding,
                      splits: pd.DataFrame | None = None) -> pd.Series:
    """Market capitalisation per trading day: shares outstanding x price.

    Parameters
    ----------
    prices : pandas.DataFrame or pandas.Series
        ``date, close`` split-adjusted to the latest basis.
    shares_outstanding : float or pandas.DataFrame
        A number (taken on the latest basis), or ``date, shares`` as reported (each report
        on its own date's basis; the last report on or before each day applies, the first
        report before it).
    splits : pandas.DataFrame, optional
        ``date, ratio``: restates the latest-basis close to the quoted close of each day
        (``close x F(d)``, see :mod:`analytics.options`) so it matches reported share counts.

    Returns
    -------
    pandas.Series
        ``MC_t`` indexed by trading date.
    """
    close = close_series(prices)
    if shares_outstanding is None:
        return pd.Series(np.nan, index=close.index, name="market_cap")
    if np.isscalar(shares_outstanding):
        return (close * float(shares_outstanding)).rename("market_cap")
    quoted = close.to_numpy() * split_factor_after(close.index, splits)
    so = shares_outstanding_on(shares_outstanding, close.index)
    return pd.Series(quoted * so, index=close.index, name="market_cap")


def _prev_cap(market_cap: pd.Series, dates) -> np.ndarray:
    """Cap on the last trading day strictly before each date (NaN if none)."""
    cap = market_cap.sort_index()
    idx = np.searchsorted(cap.index.to_numpy(), pd.to_datetime(pd.Index(dates)).to_numpy(),
                          side="left") - 1
    vals = cap.to_numpy(dtype=float)
    return np.where(idx >= 0, vals[np.clip(idx, 0, None)], np.nan)


# --------------------------------------------------------------------------------------
# Abnormal value per activity, and totals
# --------------------------------------------------------------------------------------
def _pick_window(cars: pd.DataFrame, window) -> tuple[int, int]:
    have = set(zip(cars["window_start"].astype(int), cars["window_end"].astype(int)))
    if window is not None:
        window = (int(window[0]), int(window[1]))
        if have and window not in have:
            raise ValueError(f"window {window} is not among the cars windows {sorted(have)}")
        return window
    for w in DEFAULT_EVENT_WINDOWS:
        if tuple(w) in have:
            return tuple(w)
    if not have:
        return tuple(DEFAULT_EVENT_WINDOWS[0])
    return sorted(have)[0]


def abnormal_value_daily(abnormal: pd.DataFrame, cars: pd.DataFrame, market_cap: pd.Series,
                         window: tuple[int, int] | None = None) -> pd.DataFrame:
    """Each event-window day's dollar abnormal return ``AR_t x MC_{t-1}``.

    Parameters
    ----------
    abnormal, cars : pandas.DataFrame
        The engine's frames (see the module docstring).
    market_cap : pandas.Series
        Market cap by trading date (:func:`market_cap_series`).
    window : (int, int), optional
        Event window; default the first of ``DEFAULT_EVENT_WINDOWS`` present in ``cars``.

    Returns
    -------
    pandas.DataFrame
        ``DAILY_VALUE_COLUMNS``: ``cap_prev`` = cap on the previous trading day,
        ``value = ar x cap_prev``, ``var_day = cap_prev^2 x car_var / L2`` (this event's
        share of ``Var(AV)``, see the module docstring).
    """
    a, b = _pick_window(cars, window)
    c = cars[(cars["window_start"] == a) & (cars["window_end"] == b)]
    d = abnormal[(abnormal["rel_day"] >= a) & (abnormal["rel_day"] <= b)]
    d = d.merge(c[["event_id", "car_var"]], on="event_id", how="inner")
    d = d[["event_id", "ticker", "rel_day", "date", "ar", "car_var"]].copy()
    d["date"] = pd.to_datetime(d["date"])
    d["cap_prev"] = _prev_cap(market_cap, d["date"])
    d["value"] = d["ar"].astype(float) * d["cap_prev"]
    d["var_day"] = d["cap_prev"] ** 2 * d["car_var"].astype(float) / (b - a + 1)
    return d[list(DAILY_VALUE_COLUMNS)].sort_values(["event_id", "rel_day"]).reset_index(drop=True)


def abnormal_value_by_event(abnormal: pd.DataFrame, cars: pd.DataFrame, market_cap: pd.Series,
                            window: tuple[int, int] | None = None,
                            events: pd.DataFrame | None = None) -> pd.DataFrame:
    """Abnormal value (dollars) of each activity over its event window, with its standard error.

    Parameters
    ----------
    abnormal, cars, market_cap, window
        See :func:`abnormal_value_daily`.
    events : pandas.DataFrame, optional
        ``event_id`` + columns to carry (``type``, ``title``, ``cost``, ``activity_id``...).

    Returns
    -------
    pandas.DataFrame
        Per event: ``event_id, ticker, event_date, window_start, window_end, car, car_var,
        car_t, p_value, n_days, mean_cap_prev, abnormal_value, abnormal_value_se`` (+ carried
        columns). ``AV = sum AR_t MC_{t-1}``; ``se = sqrt(car_var sum MC_{t-1}^2 / L2)``.
        An event with a missing day or cap gets NaN (never a partial sum).
    """
    a, b = _pick_window(cars, window)
    daily = abnormal_value_daily(abnormal, cars, market_cap, (a, b))
    g = daily.groupby("event_id", sort=False)
    agg = pd.DataFrame({
        "n_days": g.size(),
        "mean_cap_prev": g["cap_prev"].mean(),
        "abnormal_value": g["value"].sum(min_count=1),
        "var_av": g["var_day"].sum(min_count=1),
        "complete": g["value"].apply(lambda v: v.notna().all()),
    }).reset_index()
    agg.loc[~agg["complete"] | (agg["n_days"] < b - a + 1), ["abnormal_value", "var_av"]] = np.nan
    c = cars[(cars["window_start"] == a) & (cars["window_end"] == b)]
    keep = [k for k in ("event_id", "ticker", "event_date", "window_start", "window_end", "car",
                        "car_var", "car_t", "p_value") if k in c.columns]
    out = c[keep].merge(agg, on="event_id", how="left")
    out["abnormal_value_se"] = np.sqrt(out.pop("var_av"))
    out = out.drop(columns="complete")
    if events is not None:
        extra = [k for k in events.columns if k not in out.columns or k == "event_id"]
        out = out.merge(events[extra], on="event_id", how="left")
    return out.reset_index(drop=True)


def abnormal_value_totals(daily: pd.DataFrame, events: pd.DataFrame | None = None,
                          by: str | None = "type") -> pd.DataFrame:
    """Abnormal value by group (activity type) and overall, each distinct day counted once.

    Parameters
    ----------
    daily : pandas.DataFrame
        :func:`abnormal_value_daily`.
    events : pandas.DataFrame, optional
        ``event_id`` and the ``by`` column. Without it (or ``by=None``) one ``all`` group.
    by : str or None

    Returns
    -------
    pandas.DataFrame
        ``group, label, n_events, n_days, overlap_days, abnormal_value, abnormal_value_se,
        sum_of_events``: ``abnormal_value = sum over distinct dates d of mean_i(AR_i,d) x
        MC_{d-1}``, ``se = sqrt(sum_d mean_i(var_day_i,d))`` (days independent),
        ``overlap_days`` = dates inside more than one window of the group,
        ``sum_of_events`` = the naive sum of the events' values (double counts overlaps).
    """
    d = daily.copy()
    if by is not None and events is not None and by in events.columns:
        d = d.merge(events[["event_id", by]], on="event_id", how="left")
        d["group"] = d[by].astype(object).where(d[by].notna(), "unknown")
    else:
        d["group"] = "all"
    rows = []
    for grp, part in d.groupby("group", sort=True):
        per_day = part.groupby("date").agg(ar=("ar", "mean"), cap_prev=("cap_prev", "first"),
                                           var_day=("var_day", "mean"), n=("event_id", "nunique"))
        value = (per_day["ar"] * per_day["cap_prev"]).sum(min_count=1)
        rows.append((grp, activity_label(grp) if grp in ACTIVITY_TYPE_CODES else str(grp),
                     int(part["event_id"].nunique()), int(len(per_day)),
                     int((per_day["n"] > 1).sum()), float(value),
                     float(np.sqrt(per_day["var_day"].sum(min_count=1))),
                     float(part.groupby("event_id")["value"].sum(min_count=1).sum())))
    return pd.DataFrame(rows, columns=["group", "label", "n_events", "n_days", "overlap_days",
                                       "abnormal_value", "abnormal_value_se", "sum_of_events"])


# --------------------------------------------------------------------------------------
# The engagement period against the pre-engagement market model
# --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class PeriodAbnormalValue:
    """Abnormal value of the whole engagement period (see
    :func:`engagement_period_abnormal_value`)."""

    start: pd.Timestamp
    end: pd.Timestamp
    alpha: float
    beta: float
    sigma: float
    n_est: int
    estimation_start: pd.Timestamp | None
    estimation_end: pd.Timestamp | None
    n_days: int
    car: float
    car_var: float
    abnormal_value: float
    abnormal_value_se: float
    interval_low: float
    interval_high: float
    level: float
    method: str
    daily: pd.DataFrame = field(repr=False)


def _stock_and_market_returns(prices, market) -> pd.DataFrame:
    close = close_series(prices)
    mkt = close_series(market)
    # the market's close on each stock trading day (last on or before): the market return
    # then spans the same calendar interval as the stock's return
    m_on = mkt.reindex(mkt.index.union(close.index)).ffill().reindex(close.index)
    return pd.DataFrame({"ret": close.pct_change(), "market_ret": m_on.pct_change(),
                         "close": close}, index=close.index)


def engagement_period_abnormal_value(prices: pd.DataFrame | pd.Series,
                                     market: pd.DataFrame | pd.Series,
                                     start_date, end_date,
                                     market_cap: pd.Series,
                                     estimation_window: tuple[int, int] = DEFAULT_ESTIMATION_WINDOW,
                                     min_obs: int = MIN_ESTIMATION_OBS,
                                     method: str = "normal",
                                     level: float = ROI_INTERVAL_LEVEL,
                                     n_boot: int = DEFAULT_BOOTSTRAP_DRAWS,
                                     seed: int = DEFAULT_SEED) -> PeriodAbnormalValue:
    """Abnormal value of the whole engagement period against the pre-engagement market model.

    Day 0 is the first stock trading day on or after ``start_date``; the market model
    ``R_t = alpha + beta Rm_t + e_t`` is fitted by OLS on relative days ``estimation_window``
    (MacKinlay 1997, section 4), with ``sigma^2 = SSR / (L1 - 2)``. Over the stock's trading
    days from day 0 to ``end_date`` (``L2`` days)::

        AR_t = R_t - alpha - beta Rm_t,   AV = w' AR,  w_t = MC_{t-1}
        Var(AV) = w' V w,   V = sigma^2 (I + X* (X'X)^-1 X*')      (MacKinlay eq. 4.14)

    Parameters
    ----------
    prices, market : pandas.DataFrame or pandas.Series
        ``date, close`` (stock adjusted close; benchmark close).
    start_date, end_date : date-like
        The engagement (``end_date`` None: through the last price).
    market_cap : pandas.Series
        :func:`market_cap_series`.
    estimation_window : (int, int)
        Inclusive relative days (default ``DEFAULT_ESTIMATION_WINDOW``).
    min_obs : int
        Fewest estimation returns (``MIN_ESTIMATION_OBS``), else ValueError.
    method : {"normal", "bootstrap"}
        Interval for AV: normal with ``Var(AV)`` above, or a seeded residual bootstrap:
        each draw resamples the estimation residuals (rescaled by ``sqrt(L1/(L1-2))``),
        refits the model on ``X theta_hat + e*`` and draws ``L2`` event-day residuals, giving
        the estimation error ``w'(e*_event - X*(theta* - theta_hat))``; the interval is
        ``AV`` minus its upper and lower quantiles (basic bootstrap; Efron and Tibshirani 1993,
        ch. 9 on regression residual resampling).
    level : float
        Two-sided level (``ROI_INTERVAL_LEVEL``).
    n_boot, seed : int

    Returns
    -------
    PeriodAbnormalValue
        With ``daily``: ``date, ret, market_ret, expected, ar, cap_prev, value, cum_value``.
    """
    if method not in ("normal", "bootstrap"):
        raise ValueError("method must be 'normal' or 'bootstrap'")
    df = _stock_and_market_returns(prices, market)
    start = pd.Timestamp(start_date).normalize()
    end = df.index.max() if end_date is None or pd.isna(end_date) else pd.Timestamp(end_date).normalize()
    pos0 = int(np.searchsorted(df.index.to_numpy(), start.to_datetime64(), side="left"))
    lo, hi = pos0 + estimation_window[0], pos0 + estimation_window[1]
    est = df.iloc[max(lo, 0):max(hi + 1, 0)].dropna(subset=["ret", "market_ret"])
    if len(est) < min_obs:
        raise ValueError(f"only {len(est)} estimation returns before {start.date()} "
                         f"(need {min_obs})")
    X = np.column_stack([np.ones(len(est)), est["market_ret"].to_numpy()])
    y = est["ret"].to_numpy()
    xtx_inv = np.linalg.inv(X.T @ X)
    theta = xtx_inv @ X.T @ y
    resid = y - X @ theta
    l1 = len(est)
    sigma2 = float(resid @ resid / (l1 - 2))
    ev = df[(df.index >= start) & (df.index <= end)].copy()
    ev["expected"] = theta[0] + theta[1] * ev["market_ret"]
    ev["ar"] = ev["ret"] - ev["expected"]
    ev["cap_prev"] = _prev_cap(market_cap, ev.index)
    ev["value"] = ev["ar"] * ev["cap_prev"]
    ev["cum_value"] = ev["value"].cumsum()
    ok = ev[["ar", "cap_prev"]].notna().all(axis=1).to_numpy()
    xs = np.column_stack([np.ones(ok.sum()), ev["market_ret"].to_numpy()[ok]])
    w = ev["cap_prev"].to_numpy()[ok]
    V = sigma2 * (np.eye(len(xs)) + xs @ xtx_inv @ xs.T)
    car = float(ev["ar"].to_numpy()[ok].sum())
    car_var = float(np.ones(len(xs)) @ V @ np.ones(len(xs)))
    av = float(ev["value"].to_numpy()[ok].sum())
    av_var = float(w @ V @ w)
    z = norm.ppf(0.5 + level / 2)
    if method == "normal":
        low, high = av - z * np.sqrt(av_var), av + z * np.sqrt(av_var)
    else:
        rng = np.random.default_rng(seed)
        scaled = resid * np.sqrt(l1 / (l1 - 2))
        e_est = rng.choice(scaled, size=(n_boot, l1), replace=True)
        theta_star = (xtx_inv @ X.T @ (X @ theta + e_est).T).T          # n_boot x 2
        e_ev = rng.choice(scaled, size=(n_boot, len(xs)), replace=True)
        err = e_ev @ w - (theta_star - theta) @ (xs.T @ w)
        q_lo, q_hi = np.quantile(err, [0.5 - level / 2, 0.5 + level / 2])
        low, high = av - q_hi, av - q_lo
    daily = ev.reset_index()[["date", "ret", "market_ret", "expected", "ar", "cap_prev", "value",
                              "cum_value"]]
    return PeriodAbnormalValue(
        start=start, end=end, alpha=float(theta[0]), beta=float(theta[1]),
        sigma=float(np.sqrt(sigma2)), n_est=l1, estimation_start=est.index.min(),
        estimation_end=est.index.max(), n_days=int(ok.sum()), car=car, car_var=car_var,
        abnormal_value=av, abnormal_value_se=float(np.sqrt(av_var)), interval_low=float(low),
        interval_high=float(high), level=level,
        method=("normal (delta method, MacKinlay variance incl. estimation error)"
                if method == "normal" else f"bootstrap of estimation residuals ({n_boot} draws, "
                f"seed {seed})"),
        daily=daily)


# --------------------------------------------------------------------------------------
# ROI
# --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class RoiResult:
    """ROI of a program with its interval and a plain-English verdict."""

    abnormal_value: float
    abnormal_value_se: float
    cost: float
    roi: float
    roi_low: float
    roi_high: float
    value_low: float
    value_high: float
    level: float
    method: str
    verdict: str
    distinguishable_from_zero: bool | None


def _pct(x: float) -> str:
    return f"{x:+.0%}" if np.isfinite(x) else "n/a"


def roi_verdict(roi: float, low: float, high: float, level: float = ROI_INTERVAL_LEVEL,
                method: str = "") -> str:
    """The ROI in plain English. An interval covering zero says "not distinguishable from zero".

    Examples
    --------
    >>> roi_verdict(0.35, -0.20, 0.90)
    'ROI +35% (90% interval -20% to +90%): not distinguishable from zero; the value created cannot be told apart from the cost of the program.'
    """
    how = f", {method}" if method else ""
    if not all(np.isfinite([roi, low, high])):
        return "ROI not available: the cost or the abnormal value is unknown."
    head = f"ROI {_pct(roi)} ({level:.0%} interval {_pct(low)} to {_pct(high)}{how})"
    if low <= 0 <= high:
        return (f"{head}: not distinguishable from zero; the value created cannot be told apart "
                f"from the cost of the program.")
    if low > 0:
        return f"{head}: positive; the value created exceeded the cost of the program."
    return f"{head}: negative; the value created fell short of the cost of the program."


def roi(abnormal_value: float, cost: float, abnormal_value_se: float | None = None,
        level: float = ROI_INTERVAL_LEVEL, value_interval: tuple[float, float] | None = None,
        method: str | None = None) -> RoiResult:
    """``ROI = (AV - C) / C`` with an interval.

    Parameters
    ----------
    abnormal_value : float
        AV in dollars.
    cost : float
        C in dollars (treated as known).
    abnormal_value_se : float, optional
        For the normal (delta-method) interval: ``ROI +/- z se / C``, ``z`` the
        ``(1 + level) / 2`` normal quantile.
    level : float
        ``ROI_INTERVAL_LEVEL`` (90%).
    value_interval : (float, float), optional
        An interval for AV from elsewhere (e.g. the bootstrap of
        :func:`engagement_period_abnormal_value`); mapped through ``(v - C) / C``.
    method : str, optional
        Named in the result (default from which of the two was given).

    Returns
    -------
    RoiResult
    """
    nan = float("nan")
    if value_interval is not None:
        v_lo, v_hi = map(float, value_interval)
        method = method or "interval supplied"
    elif abnormal_value_se is not None and np.isfinite(abnormal_value_se):
        z = norm.ppf(0.5 + level / 2)
        v_lo, v_hi = abnormal_value - z * abnormal_value_se, abnormal_value + z * abnormal_value_se
        method = method or "normal (delta method) from the CAR variances"
    else:
        v_lo = v_hi = nan
        method = method or "no interval (no variance)"
    if cost is None or not np.isfinite(cost) or cost <= 0:
        r = lo = hi = nan
    else:
        r, lo, hi = ((abnormal_value - cost) / cost, (v_lo - cost) / cost, (v_hi - cost) / cost)
    verdict = roi_verdict(r, lo, hi, level, method)
    dist = None if not np.all(np.isfinite([lo, hi])) else not (lo <= 0 <= hi)
    return RoiResult(float(abnormal_value), nan if abnormal_value_se is None else float(abnormal_value_se),
                     float(cost) if cost is not None else nan, r, lo, hi, v_lo, v_hi, level, method,
                     verdict, dist)


def value_verdict(value: float, low: float, high: float, level: float = ROI_INTERVAL_LEVEL) -> str:
    """Abnormal value in words (dollars), "not distinguishable from zero" when the interval covers 0."""
    if not all(np.isfinite([value, low, high])):
        return "Abnormal value not available."
    head = f"Abnormal value ${value:,.0f} ({level:.0%} interval ${low:,.0f} to ${high:,.0f})"
    if low <= 0 <= high:
        return f"{head}: not distinguishable from zero."
    return f"{head}: {'positive' if low > 0 else 'negative'} beyond what the market explains."


# --------------------------------------------------------------------------------------
# Persistence
# --------------------------------------------------------------------------------------
def persistence_status(share_retained: float) -> str:
    """``persisted`` (>= PERSISTED_SHARE kept), ``partly reversed`` (0..PERSISTED_SHARE),
    ``reversed`` (the cumulative move turned around: share <= 0), ``n/a`` when unknown."""
    if share_retained is None or not np.isfinite(share_retained):
        return "n/a"
    if share_retained <= 0:
        return "reversed"
    if share_retained < PERSISTED_SHARE:
        return "partly reversed"
    return "persisted"


def persistence(abnormal: pd.DataFrame, cars: pd.DataFrame,
                prices: pd.DataFrame | pd.Series | None = None,
                market: pd.DataFrame | pd.Series | None = None,
                horizons: Iterable[int] = PERSISTENCE_HORIZONS,
                window: tuple[int, int] | None = None) -> pd.DataFrame:
    """How much of each activity's event-window CAR is still there ``h`` trading days later.

    ``CAR(a, h) = sum_{t=a..h} AR_t`` from the start of the event window to day ``h``
    (stock trading days). Where ``abnormal`` does not reach day ``h``, the ARs are
    extended with the event's own market model (``alpha, beta`` from ``cars``) on
    ``prices`` and ``market``. ``share_retained_h = CAR(a, h) / CAR(a, b)``: a run-up that
    the market gives back shows a share near or below zero ("reversed"), which separates
    promotion from value.

    Returns
    -------
    pandas.DataFrame
        Per event: ``event_id, ticker, window_start, window_end, car, car_t`` and for each
        horizon ``h``: ``car_h``, ``share_retained_h``, ``status_h``
        (:func:`persistence_status`; ``n/a`` when the data stop before day ``h``).
    """
    a, b = _pick_window(cars, window)
    c = cars[(cars["window_start"] == a) & (cars["window_end"] == b)].reset_index(drop=True)
    horizons = [int(h) for h in horizons]
    rets = _stock_and_market_returns(prices, market) if prices is not None and market is not None \
        else None
    out = c[[k for k in ("event_id", "ticker", "window_start", "window_end", "car", "car_t")
             if k in c.columns]].copy()
    for h in horizons:
        out[f"car_{h}"] = np.nan
    for i, ev in c.iterrows():
        ab = abnormal[abnormal["event_id"] == ev["event_id"]].set_index("rel_day")["ar"]
        ar = ab.copy()
        need = max(horizons) if horizons else b
        if (ar.index.max() if len(ar) else -10**9) < need and rets is not None \
                and "alpha" in c.columns and "beta" in c.columns:
            r = rets
            day0 = abnormal.loc[(abnormal["event_id"] == ev["event_id"]) & (abnormal["rel_day"] == 0), "date"]
            d0 = pd.Timestamp(day0.iloc[0]) if len(day0) else pd.Timestamp(ev["event_date"])
            p0 = int(np.searchsorted(r.index.to_numpy(), d0.to_datetime64(), side="left"))
            rel = np.arange(len(r)) - p0
            ext = pd.Series((r["ret"] - ev["alpha"] - ev["beta"] * r["market_ret"]).to_numpy(),
                            index=rel)
            ext = ext[(ext.index >= a) & (ext.index <= need)]
            ar = ar.combine_first(ext)
        for h in horizons:
            span = ar[(ar.index >= a) & (ar.index <= h)]
            if len(span) == h - a + 1 and span.notna().all():
                out.loc[i, f"car_{h}"] = float(span.sum())
    for h in horizons:
        with np.errstate(divide="ignore", invalid="ignore"):
            out[f"share_retained_{h}"] = out[f"car_{h}"] / out["car"]
        out[f"status_{h}"] = out[f"share_retained_{h}"].map(persistence_status)
    return out
