"""Value created by the IR program, its ROI with an interval, persistence, and the full account.

Inputs are the event-study engine's frames (``analytics.event_study``, issue 3):

- ``abnormal``: ``event_id, ticker, rel_day, date, ret, market_ret, expected, ar``;
- ``cars``: ``event_id, ticker, event_date, window_start, window_end, car, car_var, car_t,
  p_value, n_est, sigma`` (+ ``alpha, beta`` for the market model);

plus a market capitalisation series (:func:`market_cap_series`: the price times the shares
outstanding restated through the splits to one basis, :mod:`analytics.shares`).

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
independent: ``Var(total) = sum_d var_d``, with no covariance between days (neither the
serial correlation of stale penny-stock quotes nor the shared estimation error of events
fitted on overlapping estimation windows). The interval of a total is therefore likely too
narrow when windows cluster. ``sum_of_events`` is reported beside it.

ROI and its interval
--------------------
``ROI = (AV - C) / C`` with ``C`` the program's cost (known, not estimated). The interval is
either ``normal`` (delta method: ``AV +/- z se(AV)``, ``se`` from the CAR variances, so
``ROI +/- z se(AV) / C``) or ``bootstrap`` (seeded resampling of the estimation residuals of
the pre-engagement market model: see :func:`engagement_period_abnormal_value`, and
:func:`activity_total_bootstrap_interval` for the activities' total, which resamples days
independently too). The method is named in every result, and
:func:`roi_verdict` phrases it in words: an interval that covers zero is reported as "not
distinguishable from zero".

Persistence
-----------
:func:`persistence` tests the drift after the event window, ``CAR(b+1, h)``, against zero with
its MacKinlay variance (estimation error and the covariance with the window included; the
derivation is in its docstring), one-sided at ``1 - level``: "reversed" only when the drift is
significantly against the reaction, else "no significant reversal" (the reaction is still
significantly there at ``h``) or "cannot tell". :func:`persistence_sentence` words it.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping

import numpy as np
import pandas as pd
from scipy.stats import norm

from analytics.constants import (
    ACTIVITY_TYPE_CODES, DEFAULT_BOOTSTRAP_DRAWS, DEFAULT_ESTIMATION_WINDOW,
    DEFAULT_EVENT_WINDOWS, DEFAULT_SEED, MIN_ESTIMATION_OBS,
    PERSISTENCE_HORIZONS, ROI_INTERVAL_LEVEL, activity_label,
)
from analytics.options import close_series

DAILY_VALUE_COLUMNS = ("event_id", "ticker", "rel_day", "date", "ar", "cap_prev", "value",
                       "var_day")


# --------------------------------------------------------------------------------------
# Market capitalisation
# --------------------------------------------------------------------------------------
def market_cap_series(prices: pd.DataFrame | pd.Series, shares_outstanding,
                      splits: pd.DataFrame | None = None) -> pd.Series:
    """Market capitalisation per trading day: shares outstanding x price, on one basis.

    Parameters
    ----------
    prices : pandas.DataFrame or pandas.Series
        ``date, close`` split-adjusted to the latest basis.
    shares_outstanding : float or pandas.DataFrame
        A number (taken on the latest basis), or ``date, shares`` as reported (each report
        on its own date's basis; the last report on or before each day applies, the first
        report before it).
    splits : pandas.DataFrame, optional
        ``date, ratio``: restates each report to the latest basis
        (:func:`analytics.shares.shares_outstanding_daily`), so a report dated before a
        1-for-10 reverse split counts a tenth as many shares after it.

    Returns
    -------
    pandas.Series
        ``MC_t = close_adj_t x S_r F(r)`` indexed by trading date, with ``S_r`` the report
        applying on ``t`` and ``F`` the split factor of :mod:`analytics.shares`; equal to the
        quoted close times the shares on ``t``'s own basis.
    """
    from analytics.shares import shares_outstanding_daily

    close = close_series(prices)
    if shares_outstanding is None:
        return pd.Series(np.nan, index=close.index, name="market_cap")
    so = shares_outstanding_daily(shares_outstanding, close.index, splits, basis="latest")
    return pd.Series(close.to_numpy() * so.to_numpy(), index=close.index, name="market_cap")


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
        ``DAILY_VALUE_COLUMNS``: ``ar`` (NaN, a day without a return, counts as 0),
        ``cap_prev`` = cap on the previous trading day,
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
    # a day without a return (no trade, trade-to-trade returns) carries no AR of its own: its
    # price move is in the next traded day's multi-day return, so it contributes zero
    d["ar"] = d["ar"].astype(float).fillna(0.0)
    d["value"] = d["ar"] * d["cap_prev"]
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
        Per event: the ``cars`` row of the window (``event_id, ticker, event_date,
        window_start, window_end, car, car_var, car_t, p_value``, ...) + ``n_days,
        mean_cap_prev, abnormal_value, abnormal_value_se`` (+ columns of ``events``). ``AV = sum AR_t MC_{t-1}``; ``se = sqrt(car_var sum MC_{t-1}^2 / L2)``.
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
    # every cars column is carried (the engine carries the events' extra columns such as type)
    out = c.merge(agg, on="event_id", how="left")
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
        MC_{d-1}``, ``se = sqrt(sum_d mean_i(var_day_i,d))`` (days treated as independent:
        no covariance term, see the module docstring),
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


@dataclass(frozen=True)
class _Fit:
    est: pd.DataFrame
    X: np.ndarray
    theta: np.ndarray
    xtx_inv: np.ndarray
    resid: np.ndarray
    sigma2: float


def _pre_period_fit(df: pd.DataFrame, start: pd.Timestamp, estimation_window: tuple[int, int],
                    min_obs: int) -> _Fit:
    """OLS market model on relative days ``estimation_window`` around the first day >= start."""
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
    return _Fit(est, X, theta, xtx_inv, resid, float(resid @ resid / (len(est) - 2)))


def _bootstrap_errors(fit: _Fit, xs: np.ndarray, w: np.ndarray, n_boot: int, seed: int) -> np.ndarray:
    """Draws of the dollar estimation error ``w'(e*_event - X*(theta* - theta_hat))``.

    Residuals rescaled by ``sqrt(L1/(L1-2))`` are resampled with replacement (days independent)
    for the estimation window (refit: ``theta*``) and for the event days.
    """
    rng = np.random.default_rng(seed)
    l1 = len(fit.resid)
    scaled = fit.resid * np.sqrt(l1 / (l1 - 2))
    e_est = rng.choice(scaled, size=(n_boot, l1), replace=True)
    theta_star = (fit.xtx_inv @ fit.X.T @ (fit.X @ fit.theta + e_est).T).T   # n_boot x 2
    e_ev = rng.choice(scaled, size=(n_boot, len(xs)), replace=True)
    return e_ev @ w - (theta_star - fit.theta) @ (xs.T @ w)


def activity_total_bootstrap_interval(daily: pd.DataFrame, prices: pd.DataFrame | pd.Series,
                                      market: pd.DataFrame | pd.Series, start_date,
                                      estimation_window: tuple[int, int] = DEFAULT_ESTIMATION_WINDOW,
                                      min_obs: int = MIN_ESTIMATION_OBS,
                                      level: float = ROI_INTERVAL_LEVEL,
                                      n_boot: int = DEFAULT_BOOTSTRAP_DRAWS,
                                      seed: int = DEFAULT_SEED) -> tuple[float, float, str]:
    """Seeded residual-bootstrap interval for the activities' total abnormal value.

    The total is that of :func:`abnormal_value_totals` (each distinct event-window date once,
    mean AR of the events covering it): ``AV = sum_d AR_d MC_{d-1}``. Its estimation error is
    drawn as in :func:`engagement_period_abnormal_value`'s bootstrap, from the residuals of
    the **pre-engagement** market model (estimation window before ``start_date``), not from
    each event's own model: ``w'(e*_d - x_d'(theta* - theta_hat))`` over the distinct dates,
    ``w_d = MC_{d-1}``. The interval is ``AV`` minus the upper and lower ``level`` quantiles
    (basic bootstrap; Efron and Tibshirani 1993, ch. 9). Days are still resampled
    independently, so serial correlation is ignored here as in the normal interval; what the
    bootstrap adds is the residuals' fat tails instead of a normal law.

    Parameters
    ----------
    daily : pandas.DataFrame
        :func:`abnormal_value_daily` of the activities.
    prices, market : pandas.DataFrame or pandas.Series
        ``date, close`` of the stock (adjusted) and of the benchmark.
    start_date : date-like
        Start of the engagement: the estimation window is relative to it.
    estimation_window, min_obs, level, n_boot, seed
        As in :func:`engagement_period_abnormal_value`.

    Returns
    -------
    (low, high, method)
        The dollar interval and the method named in words.
    """
    per_day = daily.groupby("date").agg(ar=("ar", "mean"), cap_prev=("cap_prev", "first"))
    per_day = per_day.dropna()
    av = float((per_day["ar"] * per_day["cap_prev"]).sum())
    df = _stock_and_market_returns(prices, market)
    fit = _pre_period_fit(df, pd.Timestamp(start_date).normalize(), estimation_window, min_obs)
    rm = df["market_ret"].reindex(pd.DatetimeIndex(per_day.index)).fillna(0.0).to_numpy()
    xs = np.column_stack([np.ones(len(per_day)), rm])
    err = _bootstrap_errors(fit, xs, per_day["cap_prev"].to_numpy(dtype=float), n_boot, seed)
    q_lo, q_hi = np.quantile(err, [0.5 - level / 2, 0.5 + level / 2])
    method = (f"bootstrap of the pre-engagement market model's estimation residuals ({n_boot} "
              f"draws, seed {seed}; days resampled independently)")
    return av - float(q_hi), av - float(q_lo), method


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
    fit = _pre_period_fit(df, start, estimation_window, min_obs)
    est, theta, xtx_inv = fit.est, fit.theta, fit.xtx_inv
    l1, sigma2 = len(est), fit.sigma2
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
        err = _bootstrap_errors(fit, xs, w, n_boot, seed)
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
        ``(1 + level) / 2`` normal quantile. For a total of activities
        (:func:`abnormal_value_totals`) this ``se`` treats the days of the merged event windows
        as independent (``se^2 = sum_d var_d``, no covariance between days or between events'
        estimation errors), so the interval is likely too narrow when activities cluster; the
        same holds for :func:`activity_total_bootstrap_interval`, which resamples days
        independently.
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


def value_interval_phrase(low: float, high: float) -> str:
    """What an abnormal value's interval says: "not distinguishable from zero" when it covers 0."""
    if low <= 0 <= high:
        return "not distinguishable from zero"
    return f"{'positive' if low > 0 else 'negative'} beyond what the market explains"


def value_verdict(value: float, low: float, high: float, level: float = ROI_INTERVAL_LEVEL) -> str:
    """Abnormal value in words (dollars), "not distinguishable from zero" when the interval covers 0."""
    if not all(np.isfinite([value, low, high])):
        return "Abnormal value not available."
    return (f"Abnormal value ${value:,.0f} ({level:.0%} interval ${low:,.0f} to ${high:,.0f}): "
            f"{value_interval_phrase(low, high)}.")


# --------------------------------------------------------------------------------------
# Persistence
# --------------------------------------------------------------------------------------
#: Status words of :func:`persistence` (the page and the report show them as they are).
PERSISTENCE_STATUSES: tuple[str, ...] = ("reversed", "no significant reversal", "cannot tell", "n/a")
#: How the drift's variance was obtained, per event (``drift_variance_method``).
DRIFT_VARIANCE_METHODS: dict[str, str] = {
    "mackinlay": "MacKinlay variance with the estimation error of the event's model",
    "no_estimation_error": ("sigma^2 x days only: the model's regressors could not be recovered "
                            "from the abnormal-return frame (e.g. Dimson lags), so the "
                            "estimation error is left out and the test is slightly liberal"),
}


def persistence_status(drift_p: float, car_h_p: float, alpha: float = 1 - ROI_INTERVAL_LEVEL) -> str:
    """The word for one event at one horizon, from the two one-sided p-values.

    Parameters
    ----------
    drift_p : float
        One-sided p-value of the post-window drift against the direction of the event-window
        CAR (small = the move was given back): ``H0: drift >= 0`` for a run-up.
    car_h_p : float
        One-sided p-value of ``CAR(a, h)`` in the direction of the event-window CAR (small =
        the move is still there at ``h``).
    alpha : float
        One-sided level (default ``1 - ROI_INTERVAL_LEVEL`` = 10%, the report's level).

    Returns
    -------
    str
        ``"reversed"`` when ``drift_p < alpha`` (significantly given back);
        ``"no significant reversal"`` when not, and ``CAR(a, h)`` is still significantly
        in the direction of the reaction (``car_h_p < alpha``); ``"cannot tell"`` when
        neither test rejects (the data cannot say whether it lasted); ``"n/a"`` when a
        p-value is unknown (data stop before ``h``, no variance). Never "persisted": not
        rejecting a reversal does not show the move lasted.
    """
    if drift_p is None or not np.isfinite(drift_p):
        return "n/a"
    if drift_p < alpha:
        return "reversed"
    if car_h_p is not None and np.isfinite(car_h_p) and car_h_p < alpha:
        return "no significant reversal"
    return "cannot tell"


def _regressor_rows(frame: pd.DataFrame, kind: str) -> np.ndarray | None:
    """Regressor rows ``x_t`` of the engine's model per abnormal row (intercept = span n)."""
    n = frame["span"].to_numpy(float) if "span" in frame.columns else np.ones(len(frame))
    n = np.where(np.isfinite(n), n, 1.0)
    if kind == "market":
        if "market_ret" not in frame.columns:
            return None
        return np.column_stack([n, frame["market_ret"].to_numpy(float)])
    if kind == "constant_mean":
        return n[:, None]
    return np.zeros((len(frame), 0))


def _model_kind(cars: pd.DataFrame) -> str:
    if {"alpha", "beta"} <= set(cars.columns):
        return "market"
    if "mu" in cars.columns:
        return "constant_mean"
    return "market_adjusted"


def _recover_xtx_inverse(ab: pd.DataFrame, sigma2: float, kind: str) -> np.ndarray | None:
    """``(X'X)^-1`` of the event's estimation window, read back from the engine's variances.

    The engine reports ``ar_var_t = sigma^2 (n_t + x_t' A x_t)`` and ``cum_ar_var_k =
    sigma^2 (N_k + S_k' A S_k)`` (``S_k`` the running sum of ``x_t``, ``A = (X'X)^-1``,
    MacKinlay 1997 eq. 4.14 with the trade-to-trade span ``n``). Both are linear in the
    entries of the symmetric ``A``, so least squares over the report range recovers ``A``
    exactly when the regressors are the model's (market model, constant mean). Returns None
    when the fit is not exact (another design, e.g. Dimson lags) or there are too few rows.
    """
    if not {"ar_var", "cum_ar_var", "ar"}.issubset(ab.columns) or not np.isfinite(sigma2) \
            or sigma2 <= 0:
        return None
    x = _regressor_rows(ab, kind)
    if x is None:
        return None
    p = x.shape[1]
    if p == 0:
        return np.zeros((0, 0))
    obs = ab["ar"].notna().to_numpy() & np.isfinite(x).all(axis=1)
    xo = np.where(obs[:, None], np.nan_to_num(x), 0.0)
    n = np.where(obs, ab["span"].to_numpy(float) if "span" in ab.columns else 1.0, 0.0)
    n = np.nan_to_num(n)
    s = np.cumsum(xo, axis=0)
    big_n = np.cumsum(n)
    pairs = [(i, j) for i in range(p) for j in range(i, p)]

    def design(rows):
        return np.column_stack([rows[:, i] * rows[:, j] * (1.0 if i == j else 2.0) for i, j in pairs])

    arv = ab["ar_var"].to_numpy(float)
    cav = ab["cum_ar_var"].to_numpy(float)
    m1 = obs & np.isfinite(arv)
    m2 = np.isfinite(cav)
    lhs = np.r_[design(xo[m1]), design(s[m2])]
    rhs = np.r_[arv[m1] / sigma2 - n[m1], cav[m2] / sigma2 - big_n[m2]]
    if len(rhs) < len(pairs) + 1:
        return None
    coef, *_ = np.linalg.lstsq(lhs, rhs, rcond=None)
    if np.linalg.matrix_rank(lhs) < len(pairs):
        return None
    resid = rhs - lhs @ coef
    if np.max(np.abs(resid)) > 1e-8 * max(1.0, np.max(np.abs(rhs))):
        return None
    a = np.zeros((p, p))
    for (i, j), c in zip(pairs, coef):
        a[i, j] = a[j, i] = c
    return a


def _t_sf(t: float, dof: float) -> float:
    """Upper tail ``P(T > t)``, Student t with ``dof`` (normal when dof is unknown)."""
    from scipy.stats import t as student_t

    if not np.isfinite(t):
        return float("nan")
    return float(student_t.sf(t, dof)) if dof is not None and np.isfinite(dof) and dof > 0 \
        else float(norm.sf(t))


def persistence(abnormal: pd.DataFrame, cars: pd.DataFrame,
                prices: pd.DataFrame | pd.Series | None = None,
                market: pd.DataFrame | pd.Series | None = None,
                horizons: Iterable[int] = PERSISTENCE_HORIZONS,
                window: tuple[int, int] | None = None,
                level: float = ROI_INTERVAL_LEVEL) -> pd.DataFrame:
    """Was each activity's event-window reaction given back ``h`` trading days later? A test.

    For event window ``[a, b]`` and horizon ``h > b`` the post-window drift is
    ``D_h = CAR(b+1, h) = sum_{t=b+1..h} AR_t``. Under the event's model (MacKinlay 1997,
    eq. 4.14, with the trade-to-trade span ``n_t`` when the engine used it) the abnormal
    returns have covariance ``V = sigma^2 (diag(n) + X* A X*')``, ``A = (X'X)^-1`` of the
    estimation window. With ``C_k = CAR(a, k)`` and ``S_k = sum_{t=a..k} x_t``::

        Var(C_k)        = sigma^2 (N_k + S_k' A S_k)                      (engine's cum_ar_var)
        Cov(C_h, C_b)   = sigma^2 (N_b + S_h' A S_b)
        Var(D_h)        = Var(C_h) + Var(C_b) - 2 Cov(C_h, C_b)
                        = Var(C_h) - Var(C_b) - 2 sigma^2 S_b' A (S_h - S_b)
                        = sigma^2 (N_h - N_b + S_D' A S_D),    S_D = S_h - S_b

    i.e. the difference of the cumulative variances plus the covariance term (the shared
    estimation error of the window and the drift, which the plain difference leaves out).
    ``A`` is read back from the engine's ``ar_var`` / ``cum_ar_var`` (exact for the market
    and constant-mean models; see ``drift_variance_method``), and days past the engine's
    report range are extended with the event's own market model on ``prices``/``market``
    (``x_t = (1, Rm_t)``). ``t_D = D_h / sqrt(Var(D_h))``, Student t with the event's
    ``dof`` (normal without it).

    The test is **one-sided at ``1 - level``** (10% with the report's 90%): "reversed" only
    when the drift is significantly *against* the direction of the event-window CAR
    (``H0: D_h >= 0`` for a run-up, ``D_h <= 0`` for a drop), so a reaction that stayed is
    called "reversed" 10% of the time, whatever its size. Not rejecting is not evidence that
    the move lasted: the status is "no significant reversal" when ``CAR(a, h)`` is still
    significantly in the reaction's direction (same one-sided level, variance
    ``Var(C_h)``), "cannot tell" otherwise (see :func:`persistence_status`).

    Parameters
    ----------
    abnormal, cars : pandas.DataFrame
        The engine's frames (``ar``, ``span``, ``market_ret``, ``ar_var``, ``cum_ar_var`` in
        ``abnormal``; ``sigma``, ``dof``, ``alpha, beta`` in ``cars``).
    prices, market : optional
        ``date, close`` of the stock (adjusted) and benchmark, to extend past the report range.
    horizons : iterable of int
        Trading days after day 0 (``PERSISTENCE_HORIZONS``); each must exceed ``b``.
    window : (int, int), optional
        The event window (default as :func:`abnormal_value_daily`).
    level : float
        The report's level (``ROI_INTERVAL_LEVEL``); one-sided tests at ``1 - level``.

    Returns
    -------
    pandas.DataFrame
        Per event: ``event_id, ticker, window_start, window_end, car, car_t``,
        ``drift_variance_method`` (a key of ``DRIFT_VARIANCE_METHODS``), ``test`` (in words),
        and for each horizon ``h``: ``car_h`` (= CAR(a, h)), ``share_retained_h`` (``car_h /
        car``, descriptive only), ``drift_h``, ``drift_se_h``, ``drift_t_h``, ``drift_p_h``
        (one-sided, against the reaction), ``car_h_p`` (one-sided, with it) and
        ``status_h`` (``PERSISTENCE_STATUSES``; ``n/a`` when the data stop before ``h``).
    """
    a, b = _pick_window(cars, window)
    c = cars[(cars["window_start"] == a) & (cars["window_end"] == b)].reset_index(drop=True)
    horizons = [int(h) for h in horizons]
    if any(h <= b for h in horizons):
        raise ValueError(f"persistence horizons {horizons} must be after the event window's end "
                         f"(day {b}); pass horizons later than {b}")
    alpha_level = 1.0 - float(level)
    kind = _model_kind(c)
    rets = _stock_and_market_returns(prices, market) if prices is not None and market is not None \
        else None
    out = c[[k for k in ("event_id", "ticker", "window_start", "window_end", "car", "car_t")
             if k in c.columns]].copy()
    out["drift_variance_method"] = None
    out["test"] = (f"one-sided t test of the drift CAR({b + 1}, h) against the reaction's "
                   f"direction at {alpha_level:.0%}")
    cols = {f"{k}_{h}": np.full(len(c), np.nan) for h in horizons
            for k in ("car", "drift", "drift_se", "drift_t", "drift_p", "car_h_p")}
    need = max(horizons) if horizons else b
    by_event = {k: g for k, g in abnormal.groupby("event_id", sort=False)}
    empty = abnormal.iloc[0:0]
    for i, ev in c.iterrows():
        ab = by_event.get(ev["event_id"], empty).sort_values("rel_day")
        sigma = float(ev["sigma"]) if "sigma" in c.columns and pd.notna(ev["sigma"]) else np.nan
        sigma2 = sigma * sigma
        # the engine cumulates its variances from the first day of its report range
        inv = _recover_xtx_inverse(ab, sigma2, kind)
        ab = ab[ab["rel_day"] >= a]
        out.loc[i, "drift_variance_method"] = "mackinlay" if inv is not None else "no_estimation_error"
        x = _regressor_rows(ab, kind)
        day = pd.DataFrame({"ar": ab["ar"].to_numpy(float),
                            "n": (ab["span"].to_numpy(float) if "span" in ab.columns
                                  else np.ones(len(ab)))}, index=ab["rel_day"].to_numpy())
        xs = (pd.DataFrame(x, index=day.index) if x is not None
              else pd.DataFrame(index=day.index))
        last = int(day.index.max()) if len(day) else a - 1
        if last < need and rets is not None and kind == "market":
            day0 = ab.loc[ab["rel_day"] == 0, "date"]
            d0 = (pd.Timestamp(day0.iloc[0]) if len(day0) else
                  pd.Timestamp(ev["day0_date"]) if "day0_date" in c.columns else
                  pd.Timestamp(ev["event_date"]))
            p0 = int(np.searchsorted(rets.index.to_numpy(), d0.to_datetime64(), side="left"))
            rel = np.arange(len(rets)) - p0
            keep = (rel > last) & (rel <= need)
            r = rets[keep]
            ext = pd.DataFrame({"ar": (r["ret"] - ev["alpha"] - ev["beta"] * r["market_ret"]).to_numpy(),
                                "n": 1.0}, index=rel[keep])
            day = pd.concat([day, ext])
            xs = pd.concat([xs, pd.DataFrame(np.column_stack([np.ones(keep.sum()),
                                                              r["market_ret"].to_numpy()]),
                                             index=rel[keep])])
        obs = day["ar"].notna().to_numpy()
        # a day without a return (no trade) carries no AR and no variance of its own
        ar = np.where(obs, day["ar"].to_numpy(), 0.0)
        n = np.where(obs, np.nan_to_num(day["n"].to_numpy(float), nan=1.0), 0.0)
        xo = np.where(obs[:, None], np.nan_to_num(xs.to_numpy(float)), 0.0) if xs.shape[1] else None
        rel_days = day.index.to_numpy()
        direction = np.sign(ev["car"]) if pd.notna(ev["car"]) else np.nan
        dof = float(ev["dof"]) if "dof" in c.columns and pd.notna(ev["dof"]) else np.nan

        def var_of(mask):
            q = 0.0
            if inv is not None and xo is not None and inv.size:
                s = xo[mask].sum(axis=0)
                q = float(s @ inv @ s)
            return sigma2 * (float(n[mask].sum()) + q)

        for h in horizons:
            span = (rel_days >= a) & (rel_days <= h)
            if span.sum() != h - a + 1 or np.unique(rel_days[span]).size != h - a + 1:
                continue  # the data stop before h: said (n/a), never guessed
            drift_days = span & (rel_days > b)
            cols[f"car_{h}"][i] = float(ar[span].sum())
            drift = float(ar[drift_days].sum())
            cols[f"drift_{h}"][i] = drift
            v_d, v_h = var_of(drift_days), var_of(span)
            if not (np.isfinite(v_d) and v_d > 0 and np.isfinite(direction) and direction != 0):
                continue
            t_d = drift / np.sqrt(v_d)
            cols[f"drift_se_{h}"][i] = np.sqrt(v_d)
            cols[f"drift_t_{h}"][i] = t_d
            cols[f"drift_p_{h}"][i] = _t_sf(-direction * t_d, dof)   # small when given back
            cols[f"car_h_p_{h}"][i] = _t_sf(direction * cols[f"car_{h}"][i] / np.sqrt(v_h), dof)
    for h in horizons:
        out[f"car_{h}"] = cols[f"car_{h}"]
        with np.errstate(divide="ignore", invalid="ignore"):
            out[f"share_retained_{h}"] = out[f"car_{h}"] / out["car"]
        for k in ("drift", "drift_se", "drift_t", "drift_p", "car_h_p"):
            out[f"{k}_{h}"] = cols[f"{k}_{h}"]
        out[f"status_{h}"] = [persistence_status(p, q, alpha_level)
                              for p, q in zip(out[f"drift_p_{h}"], out[f"car_h_p_{h}"])]
    return out


def persistence_sentence(pers: pd.DataFrame | None, horizon: int = PERSISTENCE_HORIZONS[-1],
                         level: float = ROI_INTERVAL_LEVEL) -> str | None:
    """:func:`persistence` at one horizon in words, for the pages and the report.

    Counts the statuses and names the test. Says that a significant give-back of a run-up
    looks like promotion rather than value only when at least one run-up *significantly*
    reversed; otherwise it says what cannot be told.
    """
    col = f"status_{horizon}"
    if pers is None or len(pers) == 0 or col not in pers:
        return None
    status = pers[col].fillna("n/a")
    n = len(status)
    rev, kept, unsure, na = (int((status == k).sum()) for k in PERSISTENCE_STATUSES)
    car = pd.to_numeric(pers["car"], errors="coerce") if "car" in pers else pd.Series(np.nan, index=pers.index)
    runups_rev = int(((status == "reversed") & (car > 0)).sum())
    alpha = 1 - level
    acts = "activity" if n == 1 else "activities"
    parts = [f"{horizon} trading days later, of the {n} {acts} studied: {rev} significantly "
             f"reversed (the drift after the event window is significantly against the reaction, "
             f"one-sided test at {alpha:.0%})",
             f"{kept} showed no significant reversal and were still significantly away from zero",
             f"for {unsure} the data cannot tell whether the reaction lasted or was given back"]
    if na:
        parts.append(f"{na} could not be followed that long (the data stop)")
    text = "; ".join(parts) + "."
    if runups_rev:
        text += (f" {runups_rev} run-up(s) were significantly given back: a run-up that reverses "
                 "looks like promotion rather than lasting value.")
    text += (f" With a one-sided test at {alpha:.0%}, about {alpha:.0%} of reactions that did last "
             "are still labelled reversed by chance.")
    return text


# --------------------------------------------------------------------------------------
# The consultant's side
# --------------------------------------------------------------------------------------
def consultant_vs_company(retainer_values: pd.DataFrame | None,
                          option_series: Iterable[pd.DataFrame] = (),
                          company_daily: pd.DataFrame | None = None) -> pd.DataFrame:
    """The consultant's stake beside the shareholders' cumulative abnormal value, per day.

    Parameters
    ----------
    retainer_values : pandas.DataFrame
        :func:`analytics.retainer.retainer_value_series` (``date, value``).
    option_series : iterable of pandas.DataFrame
        :func:`analytics.options.option_grant_series` per grant (``date, fair_value,
        intrinsic_value``); after a grant's expiry its value is carried at the expiry
        intrinsic value (what the holder could have realised).
    company_daily : pandas.DataFrame
        ``date, cum_value`` (the ``daily`` of :func:`engagement_period_abnormal_value`).

    Returns
    -------
    pandas.DataFrame
        ``date, retainer_value, option_fair_value, option_intrinsic_value, consultant_value``
        (retainer + option fair value), ``company_cum_abnormal_value``; on the union of the
        dates, values carried forward between observations and 0 before the first.
    """
    parts = {}
    if retainer_values is not None and len(retainer_values):
        parts["retainer_value"] = retainer_values.set_index("date")["value"]
    fair, intr = [], []
    for s in option_series:
        if len(s):
            fair.append(s.set_index("date")["fair_value"])
            intr.append(s.set_index("date")["intrinsic_value"])
    if company_daily is not None and len(company_daily):
        parts["company_cum_abnormal_value"] = company_daily.set_index("date")["cum_value"]
    idx = pd.DatetimeIndex(sorted(set().union(*[p.index for p in list(parts.values()) + fair])))
    out = pd.DataFrame(index=idx)
    out.index.name = "date"

    def _carry(s: pd.Series) -> pd.Series:
        return s.reindex(idx.union(s.index)).ffill().reindex(idx).fillna(0.0)

    for name, s in parts.items():
        out[name] = _carry(s)
    out["option_fair_value"] = sum((_carry(s) for s in fair), pd.Series(0.0, index=idx))
    out["option_intrinsic_value"] = sum((_carry(s) for s in intr), pd.Series(0.0, index=idx))
    for name in ("retainer_value", "company_cum_abnormal_value"):
        if name not in out:
            out[name] = np.nan if name == "company_cum_abnormal_value" else 0.0
    out["consultant_value"] = out["retainer_value"] + out["option_fair_value"]
    return out.reset_index()[["date", "retainer_value", "option_fair_value", "option_intrinsic_value",
                              "consultant_value", "company_cum_abnormal_value"]]


# --------------------------------------------------------------------------------------
# The whole account, in the AMEC framework's order
# --------------------------------------------------------------------------------------
@dataclass
class EngagementAccount:
    """One engagement's account, laid out as the AMEC Integrated Evaluation Framework.

    Attributes
    ----------
    engagement : dict
        The engagement row.
    inputs : dict
        ``costs`` (:func:`analytics.costs.program_costs`), ``costs_by_kind``
        (:func:`analytics.costs.costs_by_kind`), ``total_cost`` (USD, known items),
        ``retainer`` (:func:`analytics.retainer.retainer_schedule`), ``dilution_shares``
        (retainer shares issued, payment-date basis) and ``option_shares`` (potential).
    activities : pandas.DataFrame
        Outputs: ``type, label, service, n`` per activity type in the period.
    outtakes : pandas.DataFrame
        ``type, label, reach`` (sum of logged reach), ``n_with_reach``, ``inquiries``
        (number of ``shareholder_inquiry`` activities logged).
    outcomes : dict
        ``liquidity`` (``analytics.liquidity.compare_liquidity`` before vs during) and
        ``liquidity_test`` (``liquidity_difference``), or None with a note.
    impact : dict
        ``by_event`` (:func:`abnormal_value_by_event`), ``by_type`` and ``total``
        (:func:`abnormal_value_totals`), ``roi_activities`` (:class:`RoiResult` of the
        activities' total against the whole cost), ``period``
        (:class:`PeriodAbnormalValue`), ``roi_period``, ``persistence``.
    consultant : dict
        ``options`` (:class:`analytics.options.OptionStatus` per grant), ``option_series``,
        ``daily`` (:func:`consultant_vs_company`).
    notes : list of str
        What was left out and why.
    """

    engagement: dict
    inputs: dict
    activities: pd.DataFrame
    outtakes: pd.DataFrame
    outcomes: dict
    impact: dict
    consultant: dict
    notes: list = field(default_factory=list)


def _activity_counts(acts: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    from analytics.constants import ACTIVITY_TYPES

    rows, takes = [], []
    for code, (label, letter) in ACTIVITY_TYPES.items():
        part = acts[acts["type"] == code] if len(acts) else acts
        rows.append((code, label, letter, int(len(part))))
        reach = part["reach"] if "reach" in part.columns else pd.Series(dtype=float)
        takes.append((code, label, float(pd.to_numeric(reach, errors="coerce").sum()),
                      int(pd.to_numeric(reach, errors="coerce").notna().sum()),
                      int(len(part)) if code == "shareholder_inquiry" else 0))
    return (pd.DataFrame(rows, columns=["type", "label", "service", "n"]),
            pd.DataFrame(takes, columns=["type", "label", "reach", "n_with_reach", "inquiries"]))


def engagement_account(engagement: Mapping[str, Any] | pd.Series,
                       activities: pd.DataFrame,
                       prices: pd.DataFrame,
                       market: pd.DataFrame | None = None,
                       *,
                       abnormal: pd.DataFrame | None = None,
                       cars: pd.DataFrame | None = None,
                       option_grants: pd.DataFrame | Iterable[Mapping[str, Any]] | None = None,
                       financings: pd.DataFrame | None = None,
                       shares_outstanding=None,
                       splits: pd.DataFrame | None = None,
                       as_of=None,
                       window: tuple[int, int] | None = None,
                       interval_method: str = "normal",
                       level: float = ROI_INTERVAL_LEVEL,
                       seed: int = DEFAULT_SEED,
                       payment_roll: str | None = None) -> EngagementAccount:
    """Compose the whole account of one engagement (pure: every input is a frame).

    Parameters
    ----------
    engagement : dict or pandas.Series
        An ``engagements`` row.
    activities : pandas.DataFrame
        The client's activity log; activities dated from the start to the end of the
        engagement (or ``as_of``) are counted.
    prices : pandas.DataFrame
        The client's bars: ``date, close`` (split-adjusted), optionally ``adj_close`` (used
        for returns), ``high, low, volume`` (for liquidity).
    market : pandas.DataFrame, optional
        Benchmark ``date, close`` for the engagement-period model and persistence.
    abnormal, cars : pandas.DataFrame, optional
        The event-study engine's frames for these activities (``event_id`` =
        ``activity_id``). Without them the per-activity impact is empty.
    option_grants, financings, shares_outstanding, splits
        Store frames (see ``docs/architecture.md``); ``shares_outstanding`` may be a number.
    as_of : date-like, optional
        Mark-to-market date (default: the last price).
    window : (int, int), optional
        Event window for the activities' abnormal value (default the first of
        ``DEFAULT_EVENT_WINDOWS`` in ``cars``).
    interval_method : {"normal", "bootstrap"}
        Interval of the engagement-period value and of the activities' total: ``normal``
        (activities: from the CAR variances; period: MacKinlay's variance) or ``bootstrap``
        (seeded resampling of the pre-engagement model's estimation residuals:
        :func:`engagement_period_abnormal_value`, :func:`activity_total_bootstrap_interval`;
        the activities fall back to ``normal`` without ``market``). The method used is named
        in each :class:`RoiResult` and in ``notes``.
    level, seed
        Interval level (``ROI_INTERVAL_LEVEL``) and bootstrap seed.
    payment_roll : str, optional
        Retainer payment-date convention for a due date without a price
        (:func:`analytics.retainer.retainer_schedule`; default the next trading day).

    Returns
    -------
    EngagementAccount
    """
    from analytics.costs import costs_by_kind, program_costs
    from analytics.options import option_grant_series, option_status_as_of
    from analytics.retainer import retainer_schedule, retainer_value_series

    e = dict(engagement)
    notes: list[str] = []
    bars = prices.copy()
    bars["date"] = pd.to_datetime(bars["date"])
    bars = bars.sort_values("date")
    close = bars[["date", "close"]]
    ret_px = bars[["date", "adj_close"]].rename(columns={"adj_close": "close"}) \
        if "adj_close" in bars.columns else close
    as_of = bars["date"].max() if as_of is None else pd.Timestamp(as_of).normalize()
    start = pd.Timestamp(e["start_date"]).normalize()
    end_raw = e.get("end_date")
    end = as_of if end_raw is None or pd.isna(end_raw) else min(pd.Timestamp(end_raw), as_of)

    acts = activities.copy() if activities is not None else pd.DataFrame(columns=["date", "type"])
    if len(acts):
        acts["date"] = pd.to_datetime(acts["date"])
        acts = acts[(acts["date"] >= start) & (acts["date"] <= end)]

    # inputs
    sched = retainer_schedule(e, close, shares_outstanding, as_of=as_of, splits=splits,
                              payment_roll=payment_roll)
    grants = ([] if option_grants is None else option_grants.to_dict("records")
              if isinstance(option_grants, pd.DataFrame) else [dict(g) for g in option_grants])
    # the option's volatility uses the days with a trade (trade-to-trade, Zhou 1996): pass volume
    px_vol = bars[[k for k in ("date", "close", "volume") if k in bars.columns]]
    costs = program_costs(sched, grants, financings, acts, prices=px_vol, splits=splits)
    by_kind = costs_by_kind(costs)
    total_cost = float(by_kind.set_index("kind").loc["total", "cost"])
    if by_kind.set_index("kind").loc["total", "n_cost_unknown"]:
        notes.append(f"{int(by_kind.set_index('kind').loc['total', 'n_cost_unknown'])} cost item(s) "
                     "have no known cost and are left out of the total.")
    issued = sched[sched["status"] == "issued"]
    inputs = {"costs": costs, "costs_by_kind": by_kind, "total_cost": total_cost, "retainer": sched,
              "dilution_shares": float(issued["shares_issued"].sum()),
              "option_shares": float(sum(float(g["shares"]) for g in grants))}

    counts, outtakes = _activity_counts(acts)

    # outcomes: liquidity before vs during
    outcomes: dict = {"liquidity": None, "liquidity_test": None}
    try:
        from analytics.liquidity import compare_liquidity, liquidity_difference
    except ImportError:  # pragma: no cover - the module is part of the package
        notes.append("Liquidity comparison unavailable (analytics.liquidity missing).")
    else:
        if {"high", "low", "volume"} <= set(bars.columns):
            days = bars["date"]
            pre = days[days < start]
            pre_start = pre.iloc[max(len(pre) + DEFAULT_ESTIMATION_WINDOW[0], 0)] if len(pre) else None
            periods = {"before": (pre_start, start - pd.Timedelta(days=1)), "during": (start, end)}
            outcomes["liquidity"] = compare_liquidity(bars, periods, shares_outstanding,
                                                      splits=splits)
            outcomes["liquidity_test"] = liquidity_difference(bars, periods, "before", "during",
                                                              shares_outstanding, splits=splits)
            outcomes["periods"] = periods
        else:
            notes.append("Liquidity needs high, low and volume in the bars.")

    # impact
    cap = market_cap_series(close, shares_outstanding, splits)
    events = None
    impact: dict = {"by_event": None, "by_type": None, "total": None, "roi_activities": None,
                    "period": None, "roi_period": None, "persistence": None}
    if abnormal is not None and cars is not None and len(cars):
        events = (acts.rename(columns={"activity_id": "event_id"})[["event_id", "type"]]
                  if "activity_id" in acts.columns else None)
        cars_in = cars[cars["event_id"].isin(events["event_id"])] if events is not None else cars
        ab_in = abnormal[abnormal["event_id"].isin(cars_in["event_id"])]
        extra = events if events is not None and "type" not in cars_in.columns else None
        by_event = abnormal_value_by_event(ab_in, cars_in, cap, window, extra)
        daily = abnormal_value_daily(ab_in, cars_in, cap, window)
        ev_types = by_event[["event_id", "type"]] if "type" in by_event.columns else None
        impact["by_event"] = by_event
        impact["by_type"] = abnormal_value_totals(daily, ev_types, by="type")
        total = abnormal_value_totals(daily, by=None)
        impact["total"] = total
        if len(total):
            t0 = total.iloc[0]
            if interval_method == "bootstrap" and market is not None:
                try:
                    lo_v, hi_v, how = activity_total_bootstrap_interval(daily, ret_px, market, start,
                                                                        level=level, seed=seed)
                except ValueError as exc:
                    notes.append(f"Bootstrap interval of the activities' total not computed ({exc}); "
                                 "normal interval from the CAR variances used instead.")
                    impact["roi_activities"] = roi(t0["abnormal_value"], total_cost,
                                                   t0["abnormal_value_se"], level)
                else:
                    impact["roi_activities"] = roi(t0["abnormal_value"], total_cost,
                                                   t0["abnormal_value_se"], level,
                                                   value_interval=(lo_v, hi_v), method=how)
            else:
                if interval_method == "bootstrap":
                    notes.append("Bootstrap interval of the activities' total needs the benchmark; "
                                 "normal interval from the CAR variances used instead.")
                impact["roi_activities"] = roi(t0["abnormal_value"], total_cost, t0["abnormal_value_se"],
                                               level)
            notes.append(
                "Activities' ROI interval (" + impact["roi_activities"].method + "): the days of "
                "the merged event windows are treated as independent (no serial correlation, no "
                "shared estimation error between events), so with clustered activities and stale "
                "quotes the interval is likely too narrow.")
        if market is not None:
            impact["persistence"] = persistence(ab_in, cars_in, ret_px, market, window=window)
    else:
        notes.append("No event-study results given: per-activity abnormal value not computed.")
    if market is not None:
        try:
            period = engagement_period_abnormal_value(ret_px, market, start, end, cap,
                                                      method=interval_method, level=level,
                                                      seed=seed)
        except ValueError as exc:
            notes.append(f"Engagement-period abnormal value not computed: {exc}.")
        else:
            impact["period"] = period
            impact["roi_period"] = roi(period.abnormal_value, total_cost, period.abnormal_value_se,
                                       level, value_interval=(period.interval_low, period.interval_high),
                                       method=period.method)
    if shares_outstanding is None:
        notes.append("No shares outstanding: market capitalisation, abnormal value and dilution "
                     "are unavailable.")

    # consultant
    series = [option_grant_series(g, px_vol, splits) for g in grants]
    statuses = [option_status_as_of(g, px_vol, as_of, splits) for g in grants]
    consultant = {"options": statuses, "option_series": series,
                  "daily": consultant_vs_company(retainer_value_series(sched, close), series,
                                                 impact["period"].daily if impact["period"] else None)}
    return EngagementAccount(engagement=e, inputs=inputs, activities=counts, outtakes=outtakes,
                             outcomes=outcomes, impact=impact, consultant=consultant, notes=notes)
