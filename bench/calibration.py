"""Calibration suite: size and power of every cross-event test on simulated, seeded data.

``python -m bench.calibration`` (``--help``) simulates stocks with **no** abnormal return and
counts how often each test of :meth:`analytics.event_study.EventStudyResult.summary` rejects
at 5% (two-sided): that share is the test's *size*, which should be 5%.  The same noise with
+5% added to the efficient price on every event's day 0 gives the *power*.  Every ``*_p``
column that ``summary()`` returns is measured (``headline_p`` too, once it exists), so a new
test is calibrated without touching this file.  Everything printed is **simulated**.

Data-generating process (a thin OTC stock as it really trades)
--------------------------------------------------------------
* A simulated index with log returns ``rm_t ~ N(0.0003, 0.01^2)`` (:func:`simulate_market`).
* A latent efficient log price per stock, ``ln P*_t = ln P*_{t-1} + beta rm_t + e_t``
  (market model; :func:`efficient_log_prices`), ``e_t`` normal, or Student t(3) scaled to
  unit variance with GARCH(1,1) volatility (:func:`garch_innovations`), optionally with a
  common factor giving residual correlation ``rho`` across the stocks of one replication,
  and variance multiplied on event days.  The effect is ``+ln(1.05)`` on day 0.
* The observed close is ``P*`` rounded to the tick (at least one tick) on traded days; a day
  without trades keeps the previous close with volume 0 (the store's convention); volume on
  traded days is lognormal (:func:`observe`).

Size is reported with its Clopper-Pearson 95% interval; with ``R`` replications a correct
test falls in the binomial 95% band around 5% (printed in each table's heading).  Targets:
``headline_p`` size within [3.5%, 7%] in every case; a test whose size passes 10% is flagged
"must carry a warning".

The ROI interval's coverage (:func:`roi_coverage`): the activities' abnormal value and its
90% interval from :mod:`analytics.roi` (the normal interval from the CAR variances, and the
residual bootstrap), against the known true value ``sum over day-0 dates of effect x
MC_{d-1}``; a correct interval covers it 90% of the time.

Replications are batched: one :func:`analytics.event_study.event_study` call per chunk, with
one ticker per replication (or 20 tickers per replication for the cross-sectional cases),
and one ``summary(by="rep")`` over the chunk.  The replications of a chunk share one simulated
market path; on a thin stock studied with *daily* returns the stale prices leave part of the
market's move in the abnormal returns, so rejections within a chunk are correlated and a size
measured on one path is the size *given that path* (one seed read 12% where the average over
paths is ~5%).  Chunks are therefore small by default (``CHUNK`` = 20 replications, a new market
path each), so a run's size averages over many paths and its binomial band is honest.

References
----------
Brown, S. and Warner, J. (1985). Journal of Financial Economics 14(1), 3-31 (the simulation
    design: size and power of event-study tests on simulated samples).
Clopper, C. and Pearson, E. (1934). Biometrika 26(4), 404-413 (the exact binomial interval).
Bollerslev, T. (1986). Journal of Econometrics 31(3), 307-327 (GARCH(1,1)).
"""
from __future__ import annotations

import argparse
import inspect
import sys
import time
from dataclasses import dataclass, field, replace
from typing import Callable

import numpy as np
import pandas as pd
from scipy import stats

from analytics.event_study import event_study

ALPHA = 0.05
EFFECT = 0.05                 # +5% on day 0 for the power column
HEADLINE_SIZE_TARGET = (0.035, 0.07)
WARN_SIZE = 0.10
ROI_LEVEL = 0.90
TICK_1999 = 1 / 256
TICK_SUBPENNY = 0.0001
START = pd.Timestamp("1998-01-05")


# --------------------------------------------------------------------------------------
# Data-generating processes
# --------------------------------------------------------------------------------------
#: replications per engine call; each chunk draws its own market path (see the module docstring)
CHUNK = 20

def simulate_market(rng: np.random.Generator, n_days: int, mu: float = 0.0003,
                    sigma: float = 0.01) -> np.ndarray:
    """Log returns of a simulated index, ``rm_t ~ N(mu, sigma^2)`` iid; ``rm_0 = 0``."""
    rm = rng.normal(mu, sigma, n_days)
    rm[0] = 0.0
    return rm


def garch_innovations(rng: np.random.Generator, shape: tuple[int, int], dist: str = "normal",
                      garch: tuple[float, float] | None = None, burn: int = 200) -> np.ndarray:
    """Unit-variance innovations, iid or with GARCH(1,1) volatility (Bollerslev 1986).

    ``z_t`` is standard normal or Student t(3) divided by ``sqrt(3)`` (variance 3/(3-2) = 3,
    so unit variance).  With ``garch = (a, b)``: ``h_t = (1 - a - b) + a e_{t-1}^2 + b
    h_{t-1}``, ``e_t = sqrt(h_t) z_t``, whose unconditional variance is 1; ``burn`` days
    are simulated first and dropped so the series starts in the stationary law.
    """
    n, t = shape
    total = t + (burn if garch else 0)
    if dist == "normal":
        z = rng.standard_normal((n, total))
    elif dist == "t3":
        z = rng.standard_t(3, (n, total)) / np.sqrt(3.0)
    else:
        raise ValueError(f"dist must be 'normal' or 't3', not {dist!r}")
    if not garch:
        return z
    a, b = garch
    if not (a >= 0 and b >= 0 and a + b < 1):
        raise ValueError(f"GARCH(1,1) needs a, b >= 0 and a + b < 1 (got a={a}, b={b})")
    e = np.empty_like(z)
    h = np.ones(n)
    prev = np.zeros(n)
    for j in range(total):
        h = (1 - a - b) + a * prev ** 2 + b * h
        prev = np.sqrt(h) * z[:, j]
        e[:, j] = prev
    return e[:, burn:]


def efficient_log_prices(rm: np.ndarray, beta: np.ndarray, sigma: np.ndarray,
                         innov: np.ndarray, p0: np.ndarray, shock: np.ndarray | None = None,
                         var_mult: np.ndarray | None = None) -> np.ndarray:
    """Latent log prices ``ln P*_t = ln p0 + sum_{s<=t} (beta rm_s + sigma m_s e_s + shock_s)``.

    ``innov`` is stocks x days of unit-variance innovations, ``var_mult`` (same shape) the
    variance multiplier of each day (2 on event days in case (e)), ``shock`` the abnormal log
    return (``ln 1.05`` on day 0 for the power runs).  Day 0 of the history has no return.
    """
    e = sigma[:, None] * innov
    if var_mult is not None:
        e = e * np.sqrt(var_mult)
    r = beta[:, None] * rm[None, :] + e
    if shock is not None:
        r = r + shock
    r[:, 0] = 0.0
    return np.log(p0)[:, None] + np.cumsum(r, axis=1)


def observe(rng: np.random.Generator, log_p: np.ndarray, tick: float,
            zero_share: float) -> tuple[np.ndarray, np.ndarray]:
    """Observed closes and volumes of latent prices: tick rounding and untraded days.

    A day trades with probability ``1 - zero_share`` (the first day always does).  On a
    traded day the close is ``max(tick, round(P* / tick) tick)``; a day without trades keeps
    the previous close and has volume 0 (the store's convention).  Volume on traded days is
    ``round(exp(N(9, 1)))`` shares, at least 100.
    """
    n, t = log_p.shape
    traded = rng.random((n, t)) >= zero_share
    traded[:, 0] = True
    quoted = np.maximum(tick, np.round(np.exp(log_p) / tick) * tick)
    last = np.where(traded, np.arange(t)[None, :], 0)
    np.maximum.accumulate(last, axis=1, out=last)
    close = np.take_along_axis(quoted, last, axis=1)
    vol = np.maximum(100.0, np.round(np.exp(rng.normal(9.0, 1.0, (n, t)))))
    return close, np.where(traded, vol, 0.0)


# --------------------------------------------------------------------------------------
# Cases
# --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Case:
    """One Monte Carlo design.

    ``layout``: ``"cross"`` = ``n_events`` stocks per replication, one event each (day 0
    drawn in ``day0_range``, or the same day for all with ``same_date``); ``"campaign"`` =
    one stock per replication with ``n_events`` activities on distinct days drawn within
    ``campaign_span`` trading days.
    """

    key: str
    title: str
    layout: str = "cross"
    n_events: int = 20
    dist: str = "normal"
    garch: tuple[float, float] | None = None
    zero_share: float = 0.0
    tick: float = 0.01
    p0: float = 20.0
    sigma: float = 0.02
    thin_trading: str | None = None
    windows: tuple[tuple[int, int], ...] = ((-1, 1), (0, 5))
    rho: float = 0.0
    var_mult_days: tuple[int, int] | None = None
    var_mult: float = 1.0
    same_date: bool = False
    campaign_span: int = 30
    n_pre: int = 130
    n_post: int = 12
    merge: bool = False


THIN = dict(zero_share=0.5, p0=0.06, sigma=0.04)
CASES: dict[str, Case] = {c.key: c for c in [
    Case("a20", "(a) liquid, normal returns, N=20 independent events"),
    Case("a5", "(a) liquid, normal returns, N=5 independent events", n_events=5),
    Case("b", "(b) t(3) innovations, GARCH(1,1) (0.10, 0.85), N=20", dist="t3",
         garch=(0.10, 0.85)),
    Case("c256", "(c) 50% untraded days, $1/256 ticks, daily returns, N=20", tick=TICK_1999, **THIN),
    Case("c256t", "(c) 50% untraded days, $1/256 ticks, trade-to-trade, N=20", tick=TICK_1999,
         thin_trading="trade_to_trade", **THIN),
    Case("c1e4", "(c) 50% untraded days, $0.0001 ticks, daily returns, N=20", tick=TICK_SUBPENNY,
         **THIN),
    Case("c1e4t", "(c) 50% untraded days, $0.0001 ticks, trade-to-trade, N=20",
         tick=TICK_SUBPENNY, thin_trading="trade_to_trade", **THIN),
    Case("d1", "(d1) one liquid stock, 10 activities within 30 trading days", layout="campaign",
         n_events=10),
    Case("d1t", "(d1) one thin stock (50% untraded, $1/256), 10 activities within 30 days, "
         "trade-to-trade", layout="campaign", n_events=10, tick=TICK_1999,
         thin_trading="trade_to_trade", **THIN),
    Case("d1m", "(d1) the same liquid stock after 'merge overlapping activities into campaigns' "
         "(chains overlapping in the first window, windows stretched as the dashboard does)",
         layout="campaign", n_events=10, merge=True),
    Case("d2", "(d2) 20 stocks on one date, residual correlation 0.2", rho=0.2, same_date=True),
    Case("e", "(e) variance doubled on days -1..+5, N=20 independent", var_mult_days=(-1, 5),
         var_mult=2.0),
]}


@dataclass
class Sample:
    """A simulated chunk: long ``prices``, the ``market``, the ``events`` (with ``rep``) and
    the true dollar effect per replication (for the ROI coverage)."""

    prices: pd.DataFrame
    market: pd.DataFrame
    events: pd.DataFrame
    shares: float = 1e7
    info: dict = field(default_factory=dict)


def _day0_columns(case: Case, rng: np.random.Generator, n_reps: int) -> np.ndarray:
    """Day-0 column of every event, reps x n_events (the event's stock is its own row)."""
    lo = case.n_pre
    if case.layout == "campaign":
        span = case.campaign_span
        if case.n_events > span:
            raise ValueError(f"{case.n_events} activities cannot have distinct days within {span} days")
        cols = np.argsort(rng.random((n_reps, span)), axis=1)[:, : case.n_events]
        return np.sort(cols, axis=1) + lo
    if case.same_date:
        return np.full((n_reps, case.n_events), lo + 5)
    return rng.integers(lo, lo + 11, (n_reps, case.n_events))


def simulate(case: Case, n_reps: int, seed: int, effect: float = 0.0) -> Sample:
    """One chunk of ``n_reps`` replications of ``case``; same ``seed`` -> same noise.

    With ``effect`` the latent log return of every event's day 0 gets ``ln(1 + effect)``
    (common random numbers: the size and power runs share the noise).
    """
    rng = np.random.default_rng(seed)
    campaign = case.layout == "campaign"
    n_days = case.n_pre + (case.campaign_span if campaign else 11) + case.n_post
    if case.merge:  # room for the stretched windows of a campaign as long as the span
        n_days += case.campaign_span
    n_stocks = n_reps if campaign else n_reps * case.n_events
    rm = simulate_market(rng, n_days)
    beta = rng.uniform(0.5, 1.5, n_stocks)
    sigma = case.sigma * rng.uniform(0.75, 1.25, n_stocks)
    innov = garch_innovations(rng, (n_stocks, n_days), case.dist, case.garch)
    if case.rho:
        common = garch_innovations(rng, (n_reps, n_days), case.dist, case.garch)
        innov = (np.sqrt(case.rho) * np.repeat(common, case.n_events, axis=0)
                 + np.sqrt(1 - case.rho) * innov)
    d0 = _day0_columns(case, rng, n_reps)                      # reps x n_events
    stock = (np.repeat(np.arange(n_reps), case.n_events) if campaign
             else np.arange(n_stocks))
    col = d0.ravel()
    var_mult = None
    if case.var_mult_days:
        var_mult = np.ones((n_stocks, n_days))
        for k in range(case.var_mult_days[0], case.var_mult_days[1] + 1):
            var_mult[stock, col + k] = case.var_mult
    shock = None
    if effect:
        shock = np.zeros((n_stocks, n_days))
        np.add.at(shock, (stock, col), np.log1p(effect))
    log_p = efficient_log_prices(rm, beta, sigma, innov, np.full(n_stocks, case.p0), shock,
                                 var_mult)
    close, volume = observe(rng, log_p, case.tick, case.zero_share)
    dates = pd.bdate_range(START, periods=n_days)
    tickers = np.array([f"R{i:06d}" for i in range(n_stocks)])
    prices = pd.DataFrame({"ticker": np.repeat(tickers, n_days), "date": np.tile(dates, n_stocks),
                           "close": close.ravel(), "volume": volume.ravel()})
    market = pd.DataFrame({"date": dates, "close": 1000.0 * np.exp(np.cumsum(rm))})
    events = pd.DataFrame({"event_id": np.arange(len(col)), "ticker": tickers[stock],
                           "date": dates[col], "rep": np.repeat(np.arange(n_reps), case.n_events)})
    return Sample(prices, market, events, info={"close": close, "dates": dates, "stock": stock,
                                                 "col": col, "tickers": tickers})


# --------------------------------------------------------------------------------------
# Running a case
# --------------------------------------------------------------------------------------
def _summary(res, placebo_draws: int, seed: int) -> pd.DataFrame:
    """``summary(by="rep")`` with whatever keyword arguments this version accepts."""
    params = inspect.signature(res.summary).parameters
    kw = {}
    if "placebo_draws" in params:
        kw["placebo_draws"] = placebo_draws
    if "seed" in params:
        kw["seed"] = seed
    return res.summary(by="rep", **kw)


def p_columns(summ: pd.DataFrame) -> list[str]:
    """Every test p-value column of a summary: ``*_p`` (``headline_p`` last)."""
    cols = [c for c in summ.columns if c.endswith("_p") and c != "headline_p"]
    return cols + (["headline_p"] if "headline_p" in summ.columns else [])


def run_chunk(case: Case, n_reps: int, seed: int, effect: float, placebo_draws: int
              ) -> tuple[pd.DataFrame, Sample, object]:
    """Simulate one chunk, run the engine once and return ``summary(by="rep")``.

    With ``case.merge`` the activities are first merged into campaigns the way the dashboard
    and ``python -m analytics event-study --merge-campaigns`` do it
    (:func:`analytics.overlap.campaigns_for_study` on the first window, windows stretched by
    :func:`analytics.overlap.campaign_event_windows`); the summary's windows are then
    labelled with the original windows they were stretched from.
    """
    smp = simulate(case, n_reps, seed, effect)
    events, windows = smp.events, case.windows
    if case.merge:
        from analytics.overlap import campaign_event_windows, campaigns_for_study

        camp, _ = campaigns_for_study(events.drop(columns="rep"), smp.prices, case.windows[0])
        camp["rep"] = camp["ticker"].map(dict(zip(events["ticker"], events["rep"])))
        windows = campaign_event_windows(camp, case.windows)
        events = camp
    res = event_study(smp.prices, events, smp.market, event_windows=windows,
                      thin_trading=case.thin_trading)
    summ = _summary(res, placebo_draws, seed)
    if case.merge and len(summ):
        back = {w: orig for w, orig in zip(windows, case.windows)}
        orig = [back[(int(a), int(b))] for a, b in zip(summ["window_start"], summ["window_end"])]
        summ["window_start"] = [a for a, _ in orig]
        summ["window_end"] = [b for _, b in orig]
    return summ, smp, res


def rejection_counts(summ: pd.DataFrame) -> pd.DataFrame:
    """Per window and test: replications with a finite p-value, rejections at 5%, and rows
    whose ``<test>_size_warning`` (the summary's per-test warning) is not empty."""
    rows = []
    for (a, b), g in summ.groupby(["window_start", "window_end"]):
        for c in p_columns(g):
            p = pd.to_numeric(g[c], errors="coerce").to_numpy(dtype=float)
            ok = np.isfinite(p)
            wcol = f"{c[:-2]}_size_warning"
            warned = (int((g[wcol].fillna("").astype(str) != "").to_numpy()[ok].sum())
                      if wcol in g.columns else 0)
            rows.append({"window": (int(a), int(b)), "test": c[:-2], "n": int(ok.sum()),
                         "k": int((p[ok] < ALPHA).sum()), "warned": warned})
    return pd.DataFrame(rows, columns=["window", "test", "n", "k", "warned"])


def _merge_counts(frames: list[pd.DataFrame]) -> pd.DataFrame:
    cat = pd.concat(frames, ignore_index=True)
    cols = [c for c in ("n", "k", "warned") if c in cat.columns]
    return cat.groupby(["window", "test"], sort=False, as_index=False)[cols].sum()


def clopper_pearson(k: int, n: int, level: float = 0.95) -> tuple[float, float]:
    """Exact binomial interval for a rejection rate (Clopper and Pearson 1934)."""
    if n == 0:
        return float("nan"), float("nan")
    a = 1 - level
    lo = stats.beta.ppf(a / 2, k, n - k + 1) if k > 0 else 0.0
    hi = stats.beta.ppf(1 - a / 2, k + 1, n - k) if k < n else 1.0
    return float(lo), float(hi)


def null_band(n: int, level: float = 0.95, rate: float = ALPHA) -> tuple[float, float]:
    """Binomial ``level`` band of the rejection share of a correct test over ``n`` samples."""
    lo, hi = stats.binom.interval(level, n, rate)
    return lo / n, hi / n


@dataclass
class CaseResult:
    case: Case
    reps: int
    size: pd.DataFrame      # window, test, n, k
    power: pd.DataFrame
    headline_tests: dict
    seconds: float


def run_case(case: Case, reps: int, seed: int, chunk: int = CHUNK, placebo_draws: int = 0,
             power: bool = True, log: Callable[[str], None] | None = None) -> CaseResult:
    """Size (no effect) and power (+5% on day 0) of every test for ``reps`` replications."""
    t0 = time.perf_counter()
    size_parts, power_parts, headline = [], [], {}
    done = 0
    chunk_no = 0
    while done < reps:
        n = min(chunk, reps - done)
        cseed = seed * 1000 + chunk_no
        summ, _, _ = run_chunk(case, n, cseed, 0.0, placebo_draws)
        size_parts.append(rejection_counts(summ))
        if "headline_test" in summ.columns:
            for k, v in summ["headline_test"].value_counts().items():
                headline[k] = headline.get(k, 0) + int(v)
        if power:
            summ_p, _, _ = run_chunk(case, n, cseed, EFFECT, placebo_draws)
            power_parts.append(rejection_counts(summ_p))
        done += n
        chunk_no += 1
        if log:
            log(f"  {case.key}: {done}/{reps} replications ({time.perf_counter() - t0:.1f} s)")
    return CaseResult(case, reps, _merge_counts(size_parts),
                      _merge_counts(power_parts) if power_parts else None, headline,
                      time.perf_counter() - t0)


# --------------------------------------------------------------------------------------
# The ROI interval's coverage
# --------------------------------------------------------------------------------------
def roi_coverage(case: Case, reps: int, seed: int, effect: float = EFFECT,
                 window: tuple[int, int] = (-1, 1), bootstrap_draws: int = 0,
                 chunk: int = CHUNK, log: Callable[[str], None] | None = None) -> dict:
    """Share of the activities' 90% value intervals (:mod:`analytics.roi`) covering the truth.

    Each replication is one stock (``case.layout == "campaign"``) with its activities; the
    true value is ``sum over distinct day-0 dates d of effect x MC_{d-1}`` over the studied
    activities (the dollar effect of ``effect`` on the efficient price, to first order; the
    observed cap is used; on a thin stock the observed price moves at the next trade, which
    may fall outside the window: the interval should still cover the truth), the
    estimate :func:`analytics.roi.abnormal_value_totals` (each day once) with its normal
    interval through :func:`analytics.roi.roi`, and with ``bootstrap_draws`` also
    :func:`analytics.roi.activity_total_bootstrap_interval`.
    """
    from analytics.roi import (abnormal_value_daily, abnormal_value_totals,
                               activity_total_bootstrap_interval, market_cap_series, roi)

    if case.layout != "campaign":
        raise ValueError("roi_coverage needs a one-stock case (layout 'campaign')")
    cover_n = cover_b = n = 0
    done = chunk_no = 0
    t0 = time.perf_counter()
    while done < reps:
        k = min(chunk, reps - done)
        smp = simulate(case, k, seed * 1000 + 500 + chunk_no, effect)
        res = event_study(smp.prices, smp.events, smp.market, event_windows=(window,),
                          thin_trading=case.thin_trading)
        ab_all, cars_all = res.abnormal, res.cars
        info = smp.info
        for rep in range(k):
            tk = info["tickers"][rep]
            cars = cars_all[cars_all["ticker"] == tk]
            if cars.empty:
                continue
            ab = ab_all[ab_all["ticker"] == tk]
            px = pd.DataFrame({"date": info["dates"], "close": info["close"][rep]})
            cap = market_cap_series(px, smp.shares)
            # the truth of the activities studied (a thin window without a trade is skipped
            # by the engine and is in no total): event_id is the position in info["col"]
            cols = np.unique(info["col"][cars["event_id"].to_numpy(dtype=int)])
            truth = float(effect * cap.to_numpy()[cols - 1].sum())
            daily = abnormal_value_daily(ab, cars, cap, window)
            tot = abnormal_value_totals(daily, by=None).iloc[0]
            r = roi(tot["abnormal_value"], 1.0, tot["abnormal_value_se"], ROI_LEVEL)
            n += 1
            cover_n += int(r.value_low <= truth <= r.value_high)
            if bootstrap_draws:
                start = smp.events.loc[smp.events["ticker"] == tk, "date"].min()
                lo, hi, _ = activity_total_bootstrap_interval(
                    daily, px, smp.market, start, level=ROI_LEVEL, n_boot=bootstrap_draws,
                    seed=seed + rep)
                cover_b += int(lo <= truth <= hi)
        done += k
        chunk_no += 1
        if log:
            log(f"  roi {case.key}: {done}/{reps} replications ({time.perf_counter() - t0:.1f} s)")
    out = {"case": case.key, "title": case.title, "window": window, "effect": effect, "n": n,
           "normal": cover_n / n if n else float("nan")}
    if bootstrap_draws:
        out["bootstrap"] = cover_b / n if n else float("nan")
    return out


# --------------------------------------------------------------------------------------
# Tables
# --------------------------------------------------------------------------------------
def _pct(x: float) -> str:
    return f"{100 * x:.1f}%" if np.isfinite(x) else "n/a"


def case_table(r: CaseResult) -> str:
    """Markdown table of one case: per test and window, size with its 95% interval, power."""
    windows = list(dict.fromkeys(r.size["window"]))
    tests = list(dict.fromkeys(r.size["test"]))
    head = "| test | " + " | ".join(f"size {w} [95% CI] | power {w}" for w in windows) + " | note |"
    sep = "|---|" + "---|---|" * len(windows) + "---|"
    lines = [head, sep]
    for t in tests:
        cells, notes = [], []
        for w in windows:
            s = r.size[(r.size["test"] == t) & (r.size["window"] == w)]
            n, k = (int(s["n"].iloc[0]), int(s["k"].iloc[0])) if len(s) else (0, 0)
            rate = k / n if n else float("nan")
            lo, hi = clopper_pearson(k, n)
            cell = f"{_pct(rate)} [{_pct(lo)}, {_pct(hi)}]" + (f" (n={n})" if n != r.reps else "")
            pw = "n/a"
            if r.power is not None:
                q = r.power[(r.power["test"] == t) & (r.power["window"] == w)]
                if len(q) and int(q["n"].iloc[0]):
                    pw = _pct(int(q["k"].iloc[0]) / int(q["n"].iloc[0]))
            cells += [cell, pw]
            if n and rate > WARN_SIZE:
                notes.append(f"{w}: size > 10%, must carry a warning")
            if t == "headline" and n:
                lo_t, hi_t = HEADLINE_SIZE_TARGET
                notes.append(f"{w}: target [3.5%, 7%] " + ("met" if lo_t <= rate <= hi_t else "NOT met"))
        name = f"**{t}**" if t == "headline" else t
        lines.append(f"| {name} | " + " | ".join(cells) + " | " + "; ".join(notes) + " |")
    return "\n".join(lines)


def overview_table(results: list[CaseResult]) -> str:
    """Sizes of every case and window in one table (the layout of issue 9's table)."""
    tests = list(dict.fromkeys(t for r in results for t in r.size["test"]))
    lines = ["| case | window | " + " | ".join(tests) + " |",
             "|---|---|" + "---|" * len(tests)]
    for r in results:
        for w in dict.fromkeys(r.size["window"]):
            cells = []
            for t in tests:
                s = r.size[(r.size["test"] == t) & (r.size["window"] == w)]
                n = int(s["n"].iloc[0]) if len(s) else 0
                cells.append(_pct(int(s["k"].iloc[0]) / n) if n else "")
            lines.append(f"| {r.case.key} | {w} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def headline_table(results: list[CaseResult]) -> str:
    """The verdict's test per case and window: which test, size with its 95% CI, power, target."""
    lines = ["| case | window | headline test | size [95% CI] | power +5% day 0 | target [3.5%, 7%] |",
             "|---|---|---|---|---|---|"]
    for r in results:
        chosen = ", ".join(r.headline_tests) or "n/a"
        for w in dict.fromkeys(r.size["window"]):
            s = r.size[(r.size["test"] == "headline") & (r.size["window"] == w)]
            if not len(s) or not int(s["n"].iloc[0]):
                continue
            n, k = int(s["n"].iloc[0]), int(s["k"].iloc[0])
            lo, hi = clopper_pearson(k, n)
            pw = "n/a"
            if r.power is not None:
                q = r.power[(r.power["test"] == "headline") & (r.power["window"] == w)]
                if len(q) and int(q["n"].iloc[0]):
                    pw = _pct(int(q["k"].iloc[0]) / int(q["n"].iloc[0]))
            t_lo, t_hi = HEADLINE_SIZE_TARGET
            verdict = "met" if t_lo <= k / n <= t_hi else (
                "NOT met (its 95% CI reaches the target)" if lo <= t_hi and hi >= t_lo
                else "NOT met")
            lines.append(f"| {r.case.key} | {w} | {chosen} | {_pct(k / n)} [{_pct(lo)}, {_pct(hi)}] "
                         f"| {pw} | {verdict} |")
    return "\n".join(lines)


def over_warn_rows(r: CaseResult) -> list[dict]:
    """Tests of a case whose size passes ``WARN_SIZE``: window, size, and the share of the
    summary rows where the test carried its ``<test>_size_warning`` (should be 100%)."""
    out = []
    for _, s in r.size.iterrows():
        n = int(s["n"])
        if not n or s["test"] == "headline" or s["k"] / n <= WARN_SIZE:
            continue
        warned = int(s["warned"]) if "warned" in s else 0
        out.append({"case": r.case.key, "window": s["window"], "test": s["test"],
                    "size": s["k"] / n, "warned": warned / n})
    return out


def over_warn_table(results: list[CaseResult]) -> str:
    """Markdown: every test above 10% size per case, and whether the summary warned of it."""
    lines = ["| case | window | test | size | shown with its warning |", "|---|---|---|---|---|"]
    for r in results:
        for o in over_warn_rows(r):
            lines.append(f"| {o['case']} | {o['window']} | {o['test']} | {_pct(o['size'])} | "
                         f"{_pct(o['warned'])} of rows" + (" (NO WARNING)" if o["warned"] < 1
                                                           else "") + " |")
    return "\n".join(lines) if len(lines) > 2 else "(none above 10%)"


# --------------------------------------------------------------------------------------
# CLI
# --------------------------------------------------------------------------------------
def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        prog="python -m bench.calibration",
        description="Size at 5% (two-sided) and power at +5% on day 0 of every event-study "
                    "test on seeded SIMULATED data (issue 9's calibration suite). "
                    "Cases: " + "; ".join(f"{k}: {c.title}" for k, c in CASES.items())
                    + "; roi: coverage of the activities' 90% value interval.")
    ap.add_argument("--reps", type=int, default=400, help="replications per case (default 400)")
    ap.add_argument("--seed", type=int, default=20261201, help="seed (default 20261201)")
    ap.add_argument("--cases", default="all",
                    help="comma-separated case keys, or 'all' (default); keys: "
                         + ",".join(CASES) + ",roi")
    ap.add_argument("--chunk", type=int, default=CHUNK,
                    help=f"replications per engine call, sharing one market path (default {CHUNK})")
    ap.add_argument("--placebo-draws", type=int, default=0,
                    help="add the placebo test with this many draws (default 0: not run)")
    ap.add_argument("--no-power", action="store_true", help="size only")
    ap.add_argument("--roi-bootstrap-draws", type=int, default=0,
                    help="also the bootstrap interval's coverage with this many draws")
    args = ap.parse_args(argv)
    if args.reps < 1:
        ap.error("--reps must be at least 1")
    keys = list(CASES) + ["roi"] if args.cases == "all" else [k.strip() for k in args.cases.split(",")]
    unknown = [k for k in keys if k not in CASES and k != "roi"]
    if unknown:
        ap.error(f"unknown case(s) {unknown}; choose from {list(CASES) + ['roi']}")

    def log(msg: str) -> None:
        print(msg, file=sys.stderr, flush=True)

    lo95, hi95 = null_band(args.reps)
    print(f"# Calibration on SIMULATED data: {args.reps} replications per case, seed {args.seed}, "
          f"{pd.Timestamp.now('UTC'):%Y-%m-%d}\n")
    print(f"Size = rejection rate at 5% (two-sided) with no effect, with its Clopper-Pearson 95% "
          f"interval; a correct test falls within the binomial 95% band "
          f"[{_pct(lo95)}, {_pct(hi95)}] for {args.reps} replications. Power = rejection rate "
          f"with +5% on every event's day 0 (same noise). headline target: size in [3.5%, 7%].\n")
    results = []
    for key in keys:
        if key == "roi":
            continue
        case = CASES[key]
        log(f"case {key}: {case.title}")
        r = run_case(case, args.reps, args.seed, args.chunk, args.placebo_draws,
                     power=not args.no_power, log=log)
        results.append(r)
        print(f"## {case.title} ({r.reps} replications, {r.seconds:.0f} s)\n")
        print(case_table(r))
        if r.headline_tests:
            print("\nheadline_test chosen: " + ", ".join(f"{k} {v}" for k, v in r.headline_tests.items()))
        over = over_warn_rows(r)
        print("\ntests above 10% size (must carry a warning): " + ("; ".join(
            f"{o['test']} {o['window']} {_pct(o['size'])} (warned in {_pct(o['warned'])} of rows)"
            for o in over) if over else "none"))
        print(flush=True)
    if len(results) > 1:
        print("## Sizes of all cases (the layout of issue 9's table)\n")
        print(overview_table(results))
        print()
    if results:
        print("## Tests whose size passes 10% (each must carry a warning wherever it is shown)\n")
        print(over_warn_table(results))
        print()
    if any("headline" in set(r.size["test"]) for r in results):
        print("## headline_p, the test the pages and the report use for their verdict\n")
        print(headline_table(results))
        print()
    if "roi" in keys:
        print("## The activities' 90% value interval (analytics.roi): share covering the true value\n")
        print("| case | window | true effect | replications | normal interval |"
              + (" bootstrap interval |" if args.roi_bootstrap_draws else ""))
        print("|---|---|---|---|---|" + ("---|" if args.roi_bootstrap_draws else ""))
        for ckey in ROI_CASES:
            case = ROI_CASES[ckey]
            for eff in (0.0, EFFECT):
                log(f"roi coverage {ckey}, effect {eff}")
                out = roi_coverage(case, args.reps, args.seed, eff,
                                   bootstrap_draws=args.roi_bootstrap_draws, chunk=args.chunk,
                                   log=log)
                row = (f"| {case.title} | {out['window']} | {eff:+.0%} on day 0 | {out['n']} | "
                       f"{_pct(out['normal'])} |")
                if args.roi_bootstrap_draws:
                    row += f" {_pct(out['bootstrap'])} |"
                print(row, flush=True)
        print("\n(target 90%)")
    return 0


#: one-stock designs for the ROI coverage: activities far apart (no overlap) and clustered
ROI_CASES: dict[str, Case] = {
    "d1r": replace(CASES["d1"], key="d1r", title="one liquid stock, 10 activities within 300 days",
                   campaign_span=300),
    "d1": replace(CASES["d1"], title="one liquid stock, 10 activities within 30 days"),
    "d1t": replace(CASES["d1t"], title="one thin stock (50% untraded, $1/256), 10 activities "
                   "within 30 days, trade-to-trade"),
}

if __name__ == "__main__":
    raise SystemExit(main())
