"""Benchmark of the event-study engine (issue 3).

Prints, in one run:

1. the PyPI package ``eventstudy`` (0.1a12, market model, one ``Single.market_model`` per
   event) against :func:`analytics.event_study.event_study` on the same events of one
   synthetic stock: events per second for each and the ratio (target >= 50x), plus the
   largest CAR difference between the two (same OLS, so it should be ~1e-15);
2. the engine on many events across many synthetic tickers (default 1,000,000 events on
   5,000 tickers x 20 years): events per second and peak memory (targets >= 200,000
   events/s on 2 cores, peak RSS < 4 GB).

The timed call is ``event_study(prices, events, market)`` from the long frames (building the
ticker x day panel, returns, estimation, windows and the ``cars`` table); ``abnormal`` is
lazy and timed separately.  The synthetic long frame carries ``ticker`` as a categorical
(as a store read would hand a large frame over).  The scale case runs in a fresh
subprocess, so its peak memory (``resource.getrusage`` ``ru_maxrss``, the process's peak
resident set) counts the input frames, the first call and ``.abnormal`` and nothing else;
the first call is the one timed against the target (it pays the page faults of fresh
memory), the second call is printed beside it.  The run ends with a table of the targets
and whether each is met.

Usage: ``python -m bench.event_study [--peer-events 1000] [--tickers 5000] [--years 20]
[--events 1000000] [--skip-peer] [--skip-scale]``
"""
from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time

import numpy as np
import pandas as pd

from analytics.constants import TRADING_DAYS_PER_YEAR
from analytics.event_study import event_study

EST = (-120, -11)
WINDOW = (-1, 1)


def _peak_rss_gb() -> float:
    kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return kb * 1024 / 1e9 if sys.platform != "darwin" else kb / 1e9


def synthetic_market(n_days: int, seed: int):
    rng = np.random.default_rng(seed)
    dates = pd.bdate_range("2000-01-03", periods=n_days)
    rm = rng.normal(0.0003, 0.01, n_days)
    rm[0] = 0.0
    return dates, rm, 1000.0 * np.cumprod(1.0 + rm)


def synthetic_prices(n_tickers: int, dates, rm, seed: int) -> pd.DataFrame:
    """Market-model prices of ``n_tickers`` stocks on the same dates (long frame, sorted)."""
    rng = np.random.default_rng(seed)
    n_days = len(dates)
    beta = rng.uniform(0.5, 1.5, (n_tickers, 1))
    ret = rng.standard_normal((n_tickers, n_days))
    ret *= 0.02
    ret += beta * rm[None, :]
    ret[:, 0] = 0.0
    ret += 1.0
    np.cumprod(ret, axis=1, out=ret)
    ret *= 5.0
    close = ret.reshape(-1)
    volume = rng.integers(0, 5000, n_tickers * n_days).astype(float)
    names = pd.Index([f"T{i:05d}" for i in range(n_tickers)])
    ticker = pd.Categorical.from_codes(np.repeat(np.arange(n_tickers), n_days), categories=names)
    return pd.DataFrame({
        "ticker": ticker,
        "date": np.tile(dates.to_numpy(), n_tickers),
        "close": close,
        "volume": volume,
    })


def random_events(tickers, dates, n_events: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    lo, hi = -EST[0] + 1, len(dates) - WINDOW[1] - 1
    return pd.DataFrame({
        "event_id": np.arange(n_events),
        "ticker": pd.Categorical.from_codes(rng.integers(0, len(tickers), n_events),
                                            categories=pd.Index(tickers)),
        "date": dates.to_numpy()[rng.integers(lo, hi, n_events)],
    })


def bench_peer(n_events: int, years: int, repeats: int = 3) -> dict:
    import eventstudy as es

    n_days = years * TRADING_DAYS_PER_YEAR
    dates, rm, mclose = synthetic_market(n_days, 1)
    prices = synthetic_prices(1, dates, rm, 2)
    market = pd.DataFrame({"date": dates, "close": mclose})
    events = random_events(["T00000"], dates, n_events, 3)
    events["ticker"] = events["ticker"].astype(str)

    # the peer takes returns; give it exactly the engine's simple returns
    close = prices["close"].to_numpy()
    stock_ret = close[1:] / close[:-1] - 1.0
    market_ret = mclose[1:] / mclose[:-1] - 1.0
    es.Single._save_parameter("returns", {
        "date": dates.to_numpy()[1:].astype("datetime64[D]"),
        "STK": stock_ret, "MKT": market_ret,
    })
    est_size = EST[1] - EST[0] + 1
    buffer = WINDOW[0] - EST[1] - 1
    event_days = events["date"].to_numpy().astype("datetime64[D]")
    t_peer = float("inf")
    for _ in range(repeats):  # best of `repeats` for both: the machine is shared
        t0 = time.perf_counter()
        peer_car = np.empty(n_events)
        for i, d in enumerate(event_days):
            ev = es.Single.market_model(security_ticker="STK", market_ticker="MKT", event_date=d,
                                        event_window=WINDOW, estimation_size=est_size,
                                        buffer_size=buffer)
            peer_car[i] = ev.CAR[-1]
        t_peer = min(t_peer, time.perf_counter() - t0)

    event_study(prices, events.iloc[:10], market, event_windows=(WINDOW,))  # warm-up imports
    t_mine = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        res = event_study(prices, events, market, estimation_window=EST, event_windows=(WINDOW,))
        t_mine = min(t_mine, time.perf_counter() - t0)
    assert len(res.cars) == n_events, res.skipped.head()
    diff = float(np.max(np.abs(res.cars.sort_values("event_id")["car"].to_numpy() - peer_car)))
    return {"n_events": n_events, "years": years, "repeats": repeats, "t_peer": t_peer,
            "t_mine": t_mine, "max_car_diff": diff}


def bench_scale(n_tickers: int, years: int, n_events: int) -> dict:
    """The scale case in this process (call it in a fresh one: see :func:`run_scale`)."""
    n_days = years * TRADING_DAYS_PER_YEAR
    dates, rm, mclose = synthetic_market(n_days, 11)
    t0 = time.perf_counter()
    prices = synthetic_prices(n_tickers, dates, rm, 12)
    market = pd.DataFrame({"date": dates, "close": mclose})
    events = random_events(prices["ticker"].cat.categories, dates, n_events, 13)
    t_gen = time.perf_counter() - t0
    rss_inputs = _peak_rss_gb()
    t0 = time.perf_counter()
    res = event_study(prices, events, market, estimation_window=EST)
    t_first = time.perf_counter() - t0
    rss_engine = _peak_rss_gb()
    t0 = time.perf_counter()
    n_ab = len(res.abnormal)
    t_ab = time.perf_counter() - t0
    rss_abnormal = _peak_rss_gb()
    out = {"n_tickers": n_tickers, "years": years, "n_events": n_events,
           "n_rows": len(prices), "t_gen": t_gen, "rss_inputs": rss_inputs,
           "t_first": t_first, "n_studied": int(res.cars["event_id"].nunique()),
           "n_skipped": len(res.skipped), "rss_engine": rss_engine, "n_abnormal": n_ab,
           "t_abnormal": t_ab, "rss_abnormal": rss_abnormal}
    del res
    t0 = time.perf_counter()
    event_study(prices, events, market, estimation_window=EST)
    out["t_second"] = time.perf_counter() - t0
    return out


def run_scale(n_tickers: int, years: int, n_events: int) -> dict:
    """:func:`bench_scale` in a fresh interpreter, so its peak RSS is its own."""
    cmd = [sys.executable, "-m", "bench.event_study", "--scale-worker", "--tickers",
           str(n_tickers), "--years", str(years), "--events", str(n_events)]
    done = subprocess.run(cmd, check=True, capture_output=True, text=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


TARGET_RATIO = 50.0
TARGET_EVENTS_PER_S = 200_000
TARGET_PEAK_GB = 4.0


def report(peer: dict | None, scale: dict | None) -> list[tuple[str, str, bool]]:
    """Print the figures side by side; return (target, figure, met) rows."""
    checks = []
    if peer:
        n = peer["n_events"]
        ratio = peer["t_peer"] / peer["t_mine"]
        print(f"(1) {n:,} events on one synthetic stock ({peer['years']} years), market model, "
              f"estimation {EST}, window {WINDOW}; best of {peer['repeats']} runs each")
        print(f"    {'':<24}{'events/s':>12}{'seconds':>10}")
        print(f"    {'eventstudy 0.1a12':<24}{n / peer['t_peer']:>12,.0f}{peer['t_peer']:>10.4f}")
        print(f"    {'this engine':<24}{n / peer['t_mine']:>12,.0f}{peer['t_mine']:>10.4f}")
        print(f"    ratio {ratio:,.1f}x; max |CAR difference| = {peer['max_car_diff']:.2e}")
        checks.append((f"speed vs eventstudy >= {TARGET_RATIO:.0f}x", f"{ratio:,.1f}x",
                       ratio >= TARGET_RATIO))
        checks.append(("CARs agree with eventstudy (<= 1e-12)", f"{peer['max_car_diff']:.1e}",
                       peer["max_car_diff"] <= 1e-12))
    if scale:
        n = scale["n_events"]
        eps1, eps2 = n / scale["t_first"], n / scale["t_second"]
        print(f"(2) {n:,} events on {scale['n_tickers']:,} synthetic tickers x {scale['years']} "
              f"years ({scale['n_rows']:,} price rows), fresh process; inputs built in "
              f"{scale['t_gen']:.1f} s")
        print(f"    {'':<34}{'events/s':>12}{'seconds':>10}{'peak RSS GB':>13}")
        print(f"    {'inputs only':<34}{'':>12}{'':>10}{scale['rss_inputs']:>13.2f}")
        print(f"    {'event_study, first call':<34}{eps1:>12,.0f}{scale['t_first']:>10.2f}"
              f"{scale['rss_engine']:>13.2f}")
        print(f"    {'+ .abnormal (' + format(scale['n_abnormal'], ',') + ' rows)':<34}{'':>12}"
              f"{scale['t_abnormal']:>10.2f}{scale['rss_abnormal']:>13.2f}")
        print(f"    {'event_study, second call':<34}{eps2:>12,.0f}{scale['t_second']:>10.2f}")
        print(f"    {scale['n_studied']:,} events studied, {scale['n_skipped']:,} skipped rows "
              f"(events or windows too close to the ends of the history)")
        checks.append((f"events/s at {n:,} events, first call >= {TARGET_EVENTS_PER_S:,}",
                       f"{eps1:,.0f}", eps1 >= TARGET_EVENTS_PER_S))
        peak = max(scale["rss_engine"], scale["rss_abnormal"])
        checks.append((f"peak memory incl. .abnormal < {TARGET_PEAK_GB:.0f} GB", f"{peak:.2f} GB",
                       peak < TARGET_PEAK_GB))
    if checks:
        print("Targets (issue 3):")
        for target, figure, met in checks:
            print(f"    {target:<48}{figure:>14}   {'met' if met else 'NOT MET'}")
    return checks


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.event_study", description=__doc__.split("\n")[0])
    ap.add_argument("--peer-events", type=int, default=1000)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--tickers", type=int, default=5000)
    ap.add_argument("--years", type=int, default=20)
    ap.add_argument("--events", type=int, default=1_000_000)
    ap.add_argument("--skip-peer", action="store_true")
    ap.add_argument("--skip-scale", action="store_true")
    ap.add_argument("--scale-worker", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.scale_worker:
        print(json.dumps(bench_scale(args.tickers, args.years, args.events)))
        return 0
    peer = None if args.skip_peer else bench_peer(args.peer_events, args.years, args.repeats)
    scale = None if args.skip_scale else run_scale(args.tickers, args.years, args.events)
    checks = report(peer, scale)
    return 0 if all(met for _, _, met in checks) else 1


if __name__ == "__main__":
    raise SystemExit(main())
