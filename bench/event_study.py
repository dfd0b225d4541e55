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
(as a store read would hand a large frame over); peak memory is the process's peak resident
set (``resource.getrusage``), so it includes the input frames.

Usage: ``python -m bench.event_study [--peer-events 1000] [--tickers 5000] [--years 20]
[--events 1000000] [--skip-peer] [--skip-scale]``
"""
from __future__ import annotations

import argparse
import resource
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


def bench_peer(n_events: int, years: int) -> None:
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
    t0 = time.perf_counter()
    peer_car = np.empty(n_events)
    for i, d in enumerate(events["date"].to_numpy().astype("datetime64[D]")):
        ev = es.Single.market_model(security_ticker="STK", market_ticker="MKT", event_date=d,
                                    event_window=WINDOW, estimation_size=est_size,
                                    buffer_size=buffer)
        peer_car[i] = ev.CAR[-1]
    t_peer = time.perf_counter() - t0

    event_study(prices, events.iloc[:10], market, event_windows=(WINDOW,))  # warm-up imports
    t_mine = float("inf")
    for _ in range(3):  # best of three (the peer's single loop is ~30x longer than one call)
        t0 = time.perf_counter()
        res = event_study(prices, events, market, estimation_window=EST, event_windows=(WINDOW,))
        t_mine = min(t_mine, time.perf_counter() - t0)
    assert len(res.cars) == n_events, res.skipped.head()
    diff = np.max(np.abs(res.cars.sort_values("event_id")["car"].to_numpy() - peer_car))
    print(f"(1) {n_events:,} events on one synthetic stock ({years} years), market model, "
          f"estimation {EST}, window {WINDOW}")
    print(f"    eventstudy 0.1a12 : {n_events / t_peer:>12,.0f} events/s  ({t_peer:.3f} s)")
    print(f"    this engine       : {n_events / t_mine:>12,.0f} events/s  ({t_mine:.4f} s)")
    print(f"    ratio             : {t_peer / t_mine:>12,.1f} x   (target >= 50x); "
          f"max |CAR difference| = {diff:.2e}")


def bench_scale(n_tickers: int, years: int, n_events: int) -> None:
    n_days = years * TRADING_DAYS_PER_YEAR
    dates, rm, mclose = synthetic_market(n_days, 11)
    t0 = time.perf_counter()
    prices = synthetic_prices(n_tickers, dates, rm, 12)
    market = pd.DataFrame({"date": dates, "close": mclose})
    events = random_events(prices["ticker"].cat.categories, dates, n_events, 13)
    t_gen = time.perf_counter() - t0
    rss_inputs = _peak_rss_gb()
    times = []
    for _ in range(2):  # first call pays the page faults of fresh memory; both are printed
        res = None
        t0 = time.perf_counter()
        res = event_study(prices, events, market, estimation_window=EST)
        times.append(time.perf_counter() - t0)
    t_run = times[0]
    n_ok = res.cars["event_id"].nunique()
    rss_engine = _peak_rss_gb()
    t0 = time.perf_counter()
    n_ab = len(res.abnormal)
    t_ab = time.perf_counter() - t0
    print(f"(2) {n_events:,} events on {n_tickers:,} synthetic tickers x {years} years "
          f"({len(prices):,} price rows; inputs built in {t_gen:.1f} s, peak RSS "
          f"{rss_inputs:.2f} GB after building them)")
    print(f"    event_study (+cars, 2 windows): {n_events / t_run:>12,.0f} events/s  "
          f"({t_run:.2f} s; {n_ok:,} studied, {len(res.skipped):,} skipped rows)  "
          f"(target >= 200,000)")
    print(f"    second call (warm allocator)     : {n_events / times[1]:>12,.0f} events/s  "
          f"({times[1]:.2f} s)")
    print(f"    .abnormal ({n_ab:,} rows)        : {t_ab:.2f} s")
    print(f"    peak memory (process RSS)       : {rss_engine:.2f} GB after event_study, "
          f"{_peak_rss_gb():.2f} GB after .abnormal  (target < 4 GB)")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.event_study", description=__doc__.split("\n")[0])
    ap.add_argument("--peer-events", type=int, default=1000)
    ap.add_argument("--tickers", type=int, default=5000)
    ap.add_argument("--years", type=int, default=20)
    ap.add_argument("--events", type=int, default=1_000_000)
    ap.add_argument("--skip-peer", action="store_true")
    ap.add_argument("--skip-scale", action="store_true")
    args = ap.parse_args(argv)
    if not args.skip_peer:
        bench_peer(args.peer_events, args.years)
    if not args.skip_scale:
        bench_scale(args.tickers, args.years, args.events)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
