"""Benchmark of the one-stock campaign method (issue 9: under 100 ms with a 999-draw placebo).

Prints, in one run, on a simulated thinly traded stock (seeded; half the days untraded,
trade-to-trade returns) with a clustered campaign of ``--activities`` activities:

1. :func:`analytics.campaign.campaign_study` plus its campaign placebo (``--draws`` draws,
   per activity type, for every event window): median wall time of ``--runs`` fresh runs
   (nothing cached between runs), against the 100 ms target;
2. the obvious alternative in the same run: a statsmodels WLS dummy regression
   ([n, Rm, one dummy per union day]) refitted for each placebo draw in a Python loop, timed
   on ``--alt-draws`` draws and scaled to ``--draws`` (one fit a draw: every window is a
   contrast of the same fit, so the scaling does not count windows); and the largest
   difference between its per-placement mean CARs and the engine's (same model: ~1e-15).

With ``--size`` it prints instead the size at 5% (and power at +5% on day 0) of
``campaign_t`` under each residual covariance: ``autocorrelation=None``, the rounding noise of
the price grid (``"tick_noise"``, the default) and the estimated first-order autocorrelation
with each ``rho1_rule`` (``always``, ``negative``, ``significant``), on the
one-stock cases of :mod:`bench.calibration` (``d1`` liquid, ``d1t`` thin with $1/256 ticks and
trade-to-trade returns; the same seeds, so the same samples as ``python -m bench.calibration
--cases d1,d1t``), with the mean estimated ``rho1``: the measurement behind ``RHO1_RULE``.

The stock, its prices and the campaign are simulated (nothing here is market data).

Usage: ``python -m bench.campaign [--activities 30] [--draws 999] [--days 1000] [--runs 7]
[--alt-draws 40]``; ``python -m bench.campaign --size [--cases d1,d1t] [--reps 400]``
"""
from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd

from analytics.campaign import campaign_study

TARGET_MS = 100.0
TYPES = ("press_release", "broker_dealer_mailing", "market_maker_intro")


def simulated_inputs(n_days: int, n_activities: int, seed: int = 9):
    """A simulated thin stock (50% untraded days, $0.01 ticks) and a clustered campaign."""
    rng = np.random.default_rng(seed)
    dates = pd.bdate_range("2019-01-02", periods=n_days)
    rm = rng.normal(0.0003, 0.01, n_days)
    rm[0] = 0.0
    r = 0.0002 + 1.2 * rm + rng.normal(0.0, 0.04, n_days)
    r[0] = 0.0
    latent = 0.5 * np.cumprod(1.0 + r)
    traded = rng.random(n_days) >= 0.5
    traded[0] = True
    last = np.maximum.accumulate(np.where(traded, np.arange(n_days), 0))
    close = np.maximum(np.round(latent[last], 2), 0.01)
    prices = pd.DataFrame({"ticker": "SIMX", "date": dates, "close": close,
                           "volume": np.where(traded, 5000.0, 0.0)})
    market = pd.DataFrame({"date": dates, "close": 100.0 * np.cumprod(1.0 + rm)})
    gaps = rng.integers(1, 6, size=n_activities)  # activities 1-5 trading days apart
    day0 = n_days // 2 + np.cumsum(gaps) - gaps[0]
    events = pd.DataFrame({"event_id": np.arange(1, n_activities + 1), "ticker": "SIMX",
                           "date": dates[day0], "type": [TYPES[i % 3] for i in range(n_activities)]})
    return prices, events, market


def engine_run(prices, events, market, draws, **kw):
    res = campaign_study(prices, events, market, thin_trading="trade_to_trade", **kw)
    tables = [res.placebo("type", w, draws=draws) for w in res.event_windows]
    return res, tables


def alternative_statistics(prices, events, market, res, starts, window):
    """statsmodels WLS with dummies refitted per placement; mean CAR per type (looped)."""
    import statsmodels.api as sm

    v = prices["volume"].to_numpy()
    c = prices["close"].to_numpy()
    m = market["close"].to_numpy()
    T = len(c)
    ret, mret, span = np.full(T, np.nan), np.full(T, np.nan), np.full(T, np.nan)
    prev = 0
    for t in range(1, T):
        if v[t] > 0:
            ret[t], mret[t], span[t] = c[t] / c[prev] - 1, m[t] / m[prev] - 1, t - prev
            prev = t
    dates = prices["date"].to_numpy()
    d0 = np.searchsorted(dates, events["date"].to_numpy())
    (e0, _), (r0, r1) = res.estimation_window, res.report_window
    real = np.unique((d0[:, None] + np.arange(r0, r1 + 1)[None, :]).ravel())
    types = events["type"].to_numpy()
    # the group of a window: the activities studied in that window of the real campaign
    cars = res.cars[(res.cars["window_start"] == window[0]) & (res.cars["window_end"] == window[1])]
    studied = events["event_id"].isin(cars["event_id"]).to_numpy()
    out = []
    for b in starts:
        shifted = d0 - d0[0] + b
        union = np.union1d(real, (shifted[:, None] + np.arange(r0, r1 + 1)[None, :]).ravel())
        rows = np.arange(b + e0, shifted[-1] + r1 + 1)
        rows = rows[np.isfinite(ret[rows])]
        udays = rows[np.isin(rows, union)]
        dummies = (rows[:, None] == udays[None, :]).astype(float)
        X = np.column_stack([span[rows], mret[rows], dummies])
        fit = sm.WLS(ret[rows], X, weights=1.0 / span[rows]).fit()
        for typ in sorted(set(types)):
            sel = shifted[(types == typ) & studied]
            h = ((udays[None, :] >= sel[:, None] + window[0])
                 & (udays[None, :] <= sel[:, None] + window[1])).sum(axis=0)
            contrast = np.r_[0.0, 0.0, h / len(sel)]
            out.append({"first_day0": dates[b], "type": typ, "alt_mean_car": float(contrast @ fit.params)})
    return pd.DataFrame(out)


VARIANTS = (("uncorrelated (None)", dict(autocorrelation=None)),
            ("tick noise of the price grid (default)", dict(autocorrelation="tick_noise")),
            ("first_order, always", dict(autocorrelation="first_order", rho1_rule="always")),
            ("first_order, negative", dict(autocorrelation="first_order", rho1_rule="negative")),
            ("first_order, significant", dict(autocorrelation="first_order",
                                              rho1_rule="significant")))


def size_by_rule(case_keys, reps: int, seed: int, chunk: int = 200, power: bool = True) -> str:
    """Size and power of ``campaign_t`` per covariance variant, as a markdown table."""
    from scipy import stats

    from bench.calibration import ALPHA, CASES, EFFECT, clopper_pearson, simulate

    lines = [f"campaign_t on SIMULATED one-stock campaigns, {reps} replications per case "
             f"(seed {seed}, as bench.calibration); rejection at 5%, two-sided; binomial 95% "
             f"band of a correct test: [{stats.binom.ppf(0.025, reps, ALPHA) / reps:.1%}, "
             f"{stats.binom.ppf(0.975, reps, ALPHA) / reps:.1%}]", "",
             "| case | covariance | mean rho1 | size (-1, 1) [95% CI] | size (0, 5) [95% CI] | "
             "power (-1, 1) | power (0, 5) |", "|---|---|---|---|---|---|---|"]
    for key in case_keys:
        case = CASES[key]
        counts = {name: {"size": np.zeros(2), "power": np.zeros(2), "n": np.zeros(2)}
                  for name, _ in VARIANTS}
        rhos = []
        done, chunk_no = 0, 0
        while done < reps:
            n = min(chunk, reps - done)
            cseed = seed * 1000 + chunk_no
            for effect, kind in ((0.0, "size"), (EFFECT, "power")) if power else ((0.0, "size"),):
                smp = simulate(case, n, cseed, effect)
                n_days = len(smp.info["dates"])
                for rep_no, tk in enumerate(smp.info["tickers"]):
                    pr = smp.prices.iloc[rep_no * n_days:(rep_no + 1) * n_days]
                    ev = smp.events[smp.events["ticker"] == tk].drop(columns="rep")
                    for name, kw in VARIANTS:
                        res = campaign_study(pr, ev, smp.market, thin_trading=case.thin_trading,
                                             event_windows=case.windows, **kw)
                        if kind == "size" and name == VARIANTS[0][0]:
                            rhos.append(res.rho1)
                        for j, w in enumerate(case.windows):
                            pv = res.pooled(None, w)["campaign_t_p"]
                            if len(pv) and np.isfinite(pv.iloc[0]):
                                counts[name][kind][j] += pv.iloc[0] < ALPHA
                                if kind == "size":
                                    counts[name]["n"][j] += 1
            done += n
            chunk_no += 1
        for name, _ in VARIANTS:
            c = counts[name]
            cells = []
            for j in range(2):
                k, m = int(c["size"][j]), int(c["n"][j])
                lo, hi = clopper_pearson(k, m)
                cells.append(f"{k / m:.1%} [{lo:.1%}, {hi:.1%}]")
            pw = [f"{c['power'][j] / c['n'][j]:.1%}" if power else "n/a" for j in range(2)]
            lines.append(f"| {key} | {name} | {np.nanmean(rhos):+.3f} | {cells[0]} | {cells[1]} | "
                         f"{pw[0]} | {pw[1]} |")
    return "\n".join(lines)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.campaign", description=__doc__.split("\n")[0])
    ap.add_argument("--activities", type=int, default=30, help="activities in the campaign (30)")
    ap.add_argument("--draws", type=int, default=999, help="placebo draws (999)")
    ap.add_argument("--days", type=int, default=1000, help="trading days of history (1000)")
    ap.add_argument("--runs", type=int, default=7, help="timed runs of the engine, median shown (7)")
    ap.add_argument("--alt-draws", type=int, default=40,
                    help="draws of the statsmodels loop actually run, then scaled (40)")
    ap.add_argument("--size", action="store_true",
                    help="print campaign_t's size per residual covariance instead of timings")
    ap.add_argument("--cases", default="d1,d1t", help="bench.calibration cases for --size")
    ap.add_argument("--reps", type=int, default=400, help="replications per case for --size")
    ap.add_argument("--seed", type=int, default=20261201, help="seed for --size (as calibration)")
    ap.add_argument("--no-power", action="store_true", help="--size without the power runs")
    args = ap.parse_args(argv)
    if args.size:
        print(size_by_rule([k.strip() for k in args.cases.split(",")], args.reps, args.seed,
                           power=not args.no_power))
        return 0

    prices, events, market = simulated_inputs(args.days, args.activities)
    engine_run(prices, events, market, args.draws)  # warm imports and caches of numpy/pandas
    times = []
    for _ in range(args.runs):
        t0 = time.perf_counter()
        res, tables = engine_run(prices, events, market, args.draws)
        times.append(time.perf_counter() - t0)
    engine_ms = 1000 * float(np.median(times))
    times0, times1 = [], []
    for _ in range(args.runs):
        t0 = time.perf_counter()
        engine_run(prices, events, market, args.draws, autocorrelation=None)
        times0.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        engine_run(prices, events, market, args.draws, autocorrelation="first_order",
                   rho1_rule="always")
        times1.append(time.perf_counter() - t0)
    n_studied = res.cars["event_id"].nunique()
    placements = int(tables[0]["placements"].iloc[0])
    print(f"simulated thin stock: {args.days} trading days, {int((prices['volume'] == 0).sum())} "
          f"untraded; campaign of {args.activities} activities over "
          f"{(events['date'].iloc[-1] - events['date'].iloc[0]).days} calendar days "
          f"({n_studied} studied), {len(res.day_ar)} union days with a trade, "
          f"{placements} distinct placements")
    print(f"engine: campaign_study + placebo ({args.draws} draws, {events['type'].nunique()} types, "
          f"{len(res.event_windows)} windows): median {engine_ms:.1f} ms of {args.runs} runs "
          f"(min {1000 * min(times):.1f}, max {1000 * max(times):.1f}); its variance: "
          f"{res.variance_note}")
    print(f"same engine with autocorrelation=None (uncorrelated residuals): median "
          f"{1000 * float(np.median(times0)):.1f} ms of {args.runs} runs; with the estimated "
          f"first-order term (rho1 re-estimated at each placement, applied always): median "
          f"{1000 * float(np.median(times1)):.1f} ms")

    window = res.event_windows[0]
    table = res.placements("type", window)
    starts_all = np.searchsorted(prices["date"].to_numpy(), table["first_day0"].drop_duplicates().to_numpy())
    rng = np.random.default_rng(1)
    starts = rng.choice(starts_all, size=min(args.alt_draws, len(starts_all)), replace=False)
    t0 = time.perf_counter()
    alt = alternative_statistics(prices, events, market, res, starts, window)
    alt_s = time.perf_counter() - t0
    # one fit per draw serves every window (another window is another contrast of the same
    # fit), so the loop's time scales with the draws only
    alt_ms = 1000 * alt_s / len(starts) * args.draws
    both = table.merge(alt, on=["first_day0", "type"], how="inner")
    assert len(both) == len(alt), "every placement of the alternative is one the engine can draw"
    diff = float(np.max(np.abs(both["mean_car"] - both["alt_mean_car"])))
    print(f"alternative: statsmodels WLS dummy regression refitted per draw in a loop: "
          f"{1000 * alt_s / len(starts):.1f} ms a draw ({len(starts)} draws run), scaled to "
          f"{args.draws} draws (one fit a draw serves every window): {alt_ms:,.0f} ms")
    print(f"engine vs alternative: {alt_ms / engine_ms:,.0f}x faster; largest difference of the "
          f"per-placement mean CARs: {diff:.1e}")
    met = engine_ms < TARGET_MS
    print(f"target: 30-activity campaign with a 999-draw campaign placebo under {TARGET_MS:.0f} ms: "
          f"{'met' if met else 'NOT met'} ({engine_ms:.1f} ms)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
