"""Benchmark of the event-study engine (issues 3 and 9).

Prints, in one run, each figure beside the alternative measured the same way:

1. the PyPI package ``eventstudy`` (0.1a12, market model, one ``Single.market_model`` per
   event) against :func:`analytics.event_study.event_study` on the same events of one
   synthetic stock: events per second of each as a **cold first call** (the first run of the
   timed work in this process, imports done) and as the **median of N warm repeats**, the
   ratio of the two rates in each case (target >= 50x; the ratio is less sensitive to other
   load on the machine than either rate), and the largest CAR difference between the two
   (same OLS, so it should be ~1e-15);
2. the engine on many events across many synthetic tickers (default 1,000,000 events on
   5,000 tickers x 20 years) in a fresh process: the cold first call (it pays the page
   faults of fresh memory) and the median of N warm calls, events per second, peak memory
   (targets >= 200,000 events/s on 2 cores for the first call, peak RSS < 4 GB), and the
   ratio to the peer's warm rate of (1) (the peer fits one regression per event, so its
   rate does not grow with the number of events; running it on 1M events would take
   about 6 minutes).  ``--pages both`` runs the scale case twice, with the engine's
   regular pages (``analytics.event_panel.REGULAR_PAGES``, the default) and with numpy's
   hugepage advice, each in its own fresh process.

The timed call is ``event_study(prices, events, market)`` from the long frames (building the
ticker x day panel, returns, estimation, windows and the ``cars`` table); ``abnormal`` is
lazy and timed separately.  The synthetic long frame carries ``ticker`` as a categorical
(as a store read would hand a large frame over).  Peak memory is ``resource.getrusage``
``ru_maxrss`` of the fresh process: the input frames, the first call and ``.abnormal``.
The load average of the machine is printed at the start and the end: on a shared machine
the rates move with it.  The run ends with a table of the targets and whether each is met.

Usage: ``python -m bench.event_study [--peer-events 1000] [--repeats 5] [--tickers 5000]
[--years 20] [--events 1000000] [--scale-repeats 3] [--pages engine|numpy|both]
[--skip-peer] [--skip-scale]``
"""
from __future__ import annotations

import argparse
import json
import os
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


def _median(values) -> float:
    return float(np.median(np.asarray(values, dtype=float)))


def bench_peer(n_events: int, years: int, repeats: int = 5) -> dict:
    """Both engines on the same events of one stock: a cold first run, then ``repeats`` warm ones."""
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

    def peer_run():
        out = np.empty(n_events)
        for i, d in enumerate(event_days):
            ev = es.Single.market_model(security_ticker="STK", market_ticker="MKT", event_date=d,
                                        event_window=WINDOW, estimation_size=est_size,
                                        buffer_size=buffer)
            out[i] = ev.CAR[-1]
        return out

    def mine_run():
        return event_study(prices, events, market, estimation_window=EST, event_windows=(WINDOW,))

    event_study(prices, events.iloc[:10], market, event_windows=(WINDOW,))  # imports, not timed
    timings = {}
    for name, run in (("peer", peer_run), ("mine", mine_run)):
        times = []
        for _ in range(1 + repeats):  # the first is the cold call, the rest the warm repeats
            t0 = time.perf_counter()
            out = run()
            times.append(time.perf_counter() - t0)
        timings[name] = times
        if name == "peer":
            peer_car = out
        else:
            res = out
    assert len(res.cars) == n_events, res.skipped.head()
    diff = float(np.max(np.abs(res.cars.sort_values("event_id")["car"].to_numpy() - peer_car)))
    return {"n_events": n_events, "years": years, "repeats": repeats,
            "peer_cold": timings["peer"][0], "peer_warm": _median(timings["peer"][1:]),
            "mine_cold": timings["mine"][0], "mine_warm": _median(timings["mine"][1:]),
            "max_car_diff": diff}


def bench_scale(n_tickers: int, years: int, n_events: int, repeats: int = 3,
                pages: str = "engine") -> dict:
    """The scale case in this process (call it in a fresh one: see :func:`run_scale`)."""
    import analytics.event_panel as event_panel

    event_panel.REGULAR_PAGES = pages == "engine"
    n_days = years * TRADING_DAYS_PER_YEAR
    dates, rm, mclose = synthetic_market(n_days, 11)
    t0 = time.perf_counter()
    prices = synthetic_prices(n_tickers, dates, rm, 12)
    market = pd.DataFrame({"date": dates, "close": mclose})
    events = random_events(prices["ticker"].cat.categories, dates, n_events, 13)
    t_gen = time.perf_counter() - t0
    rss_inputs = _peak_rss_gb()
    cpu0 = time.process_time()
    t0 = time.perf_counter()
    res = event_study(prices, events, market, estimation_window=EST)
    t_first = time.perf_counter() - t0
    cpu_first = time.process_time() - cpu0
    rss_engine = _peak_rss_gb()
    t0 = time.perf_counter()
    n_ab = len(res.abnormal)
    t_ab = time.perf_counter() - t0
    rss_abnormal = _peak_rss_gb()
    out = {"n_tickers": n_tickers, "years": years, "n_events": n_events, "pages": pages,
           "n_rows": len(prices), "t_gen": t_gen, "rss_inputs": rss_inputs,
           "t_first": t_first, "cpu_first": cpu_first,
           "n_studied": int(res.cars["event_id"].nunique()),
           "n_skipped": len(res.skipped), "rss_engine": rss_engine, "n_abnormal": n_ab,
           "t_abnormal": t_ab, "rss_abnormal": rss_abnormal, "repeats": repeats}
    del res
    warm, warm_cpu = [], []
    for _ in range(repeats):
        cpu0 = time.process_time()
        t0 = time.perf_counter()
        event_study(prices, events, market, estimation_window=EST)
        warm.append(time.perf_counter() - t0)
        warm_cpu.append(time.process_time() - cpu0)
    out["t_warm"] = _median(warm) if warm else float("nan")
    out["cpu_warm"] = _median(warm_cpu) if warm_cpu else float("nan")
    out["t_warm_all"] = warm
    return out


def run_scale(n_tickers: int, years: int, n_events: int, repeats: int, pages: str) -> dict:
    """:func:`bench_scale` in a fresh interpreter, so its first call and peak RSS are its own."""
    cmd = [sys.executable, "-m", "bench.event_study", "--scale-worker", "--tickers",
           str(n_tickers), "--years", str(years), "--events", str(n_events),
           "--scale-repeats", str(repeats), "--pages", pages]
    done = subprocess.run(cmd, check=True, capture_output=True, text=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


TARGET_RATIO = 50.0
TARGET_EVENTS_PER_S = 200_000
TARGET_PEAK_GB = 4.0
PAGES_LABEL = {"engine": "regular pages (engine default)", "numpy": "numpy hugepage advice"}


def _load() -> str:
    one, five, _ = os.getloadavg()
    return f"load average {one:.1f} (1 min), {five:.1f} (5 min) on {os.cpu_count()} cores"


def report(peer: dict | None, scales: list[dict]) -> list[tuple[str, str, bool]]:
    """Print the figures side by side; return (target, figure, met) rows."""
    checks = []
    peer_warm_rate = None
    if peer:
        n = peer["n_events"]
        cold = peer["peer_cold"] / peer["mine_cold"]
        warm = peer["peer_warm"] / peer["mine_warm"]
        peer_warm_rate = n / peer["peer_warm"]
        print(f"(1) {n:,} events on one synthetic stock ({peer['years']} years), market model, "
              f"estimation {EST}, window {WINDOW}")
        print(f"    {'':<22}{'cold first call':>26}{'median of ' + str(peer['repeats']) + ' warm':>26}")
        print(f"    {'':<22}{'events/s':>14}{'seconds':>12}{'events/s':>14}{'seconds':>12}")
        for label, c, w in (("eventstudy 0.1a12", peer["peer_cold"], peer["peer_warm"]),
                            ("this engine", peer["mine_cold"], peer["mine_warm"])):
            print(f"    {label:<22}{n / c:>14,.0f}{c:>12.4f}{n / w:>14,.0f}{w:>12.4f}")
        print(f"    {'ratio (engine/peer)':<22}{cold:>13,.1f}x{'':>12}{warm:>13,.1f}x")
        print(f"    max |CAR difference| = {peer['max_car_diff']:.2e}")
        checks.append((f"speed vs eventstudy >= {TARGET_RATIO:.0f}x (warm median)", f"{warm:,.1f}x",
                       warm >= TARGET_RATIO))
        checks.append((f"speed vs eventstudy >= {TARGET_RATIO:.0f}x (cold first call)",
                       f"{cold:,.1f}x", cold >= TARGET_RATIO))
        checks.append(("CARs agree with eventstudy (<= 1e-12)", f"{peer['max_car_diff']:.1e}",
                       peer["max_car_diff"] <= 1e-12))
    for scale in scales:
        n = scale["n_events"]
        eps1, epsw = n / scale["t_first"], n / scale["t_warm"]
        label = PAGES_LABEL[scale["pages"]]
        print(f"(2) {n:,} events on {scale['n_tickers']:,} synthetic tickers x {scale['years']} "
              f"years ({scale['n_rows']:,} price rows), fresh process, {label}; inputs built in "
              f"{scale['t_gen']:.1f} s")
        print(f"    {'':<36}{'events/s':>12}{'seconds':>10}{'CPU s':>8}{'peak RSS GB':>13}")
        print(f"    {'inputs only':<36}{'':>12}{'':>10}{'':>8}{scale['rss_inputs']:>13.2f}")
        print(f"    {'event_study, cold first call':<36}{eps1:>12,.0f}{scale['t_first']:>10.2f}"
              f"{scale['cpu_first']:>8.2f}{scale['rss_engine']:>13.2f}")
        print(f"    {'+ .abnormal (' + format(scale['n_abnormal'], ',') + ' rows)':<36}{'':>12}"
              f"{scale['t_abnormal']:>10.2f}{'':>8}{scale['rss_abnormal']:>13.2f}")
        warm_label = f"event_study, median of {scale['repeats']} warm"
        print(f"    {warm_label:<36}{epsw:>12,.0f}{scale['t_warm']:>10.2f}"
              f"{scale['cpu_warm']:>8.2f}")
        print(f"    warm calls: {', '.join(f'{t:.2f}' for t in scale['t_warm_all'])} s; "
              f"{scale['n_studied']:,} events studied, {scale['n_skipped']:,} skipped rows "
              f"(events or windows too close to the ends of the history)")
        if peer_warm_rate:
            print(f"    ratio to eventstudy's warm rate in (1) ({peer_warm_rate:,.0f} events/s): "
                  f"cold {eps1 / peer_warm_rate:,.0f}x, warm {epsw / peer_warm_rate:,.0f}x")
        if scale["pages"] == "engine":
            checks.append((f"events/s at {n:,} events, cold first call >= {TARGET_EVENTS_PER_S:,}",
                           f"{eps1:,.0f}", eps1 >= TARGET_EVENTS_PER_S))
            checks.append((f"events/s at {n:,} events, warm median >= {TARGET_EVENTS_PER_S:,}",
                           f"{epsw:,.0f}", epsw >= TARGET_EVENTS_PER_S))
            peak = max(scale["rss_engine"], scale["rss_abnormal"])
            checks.append((f"peak memory incl. .abnormal < {TARGET_PEAK_GB:.0f} GB", f"{peak:.2f} GB",
                           peak < TARGET_PEAK_GB))
    if checks:
        print("Targets (issues 3 and 9):")
        for target, figure, met in checks:
            print(f"    {target:<56}{figure:>14}   {'met' if met else 'NOT MET'}")
    return checks


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.event_study", description=__doc__.split("\n")[0])
    ap.add_argument("--peer-events", type=int, default=1000)
    ap.add_argument("--repeats", type=int, default=5, help="warm repeats of (1), after the cold call")
    ap.add_argument("--tickers", type=int, default=5000)
    ap.add_argument("--years", type=int, default=20)
    ap.add_argument("--events", type=int, default=1_000_000)
    ap.add_argument("--scale-repeats", type=int, default=3, help="warm calls of (2), after the cold one")
    ap.add_argument("--pages", choices=("engine", "numpy", "both"), default="engine",
                    help="memory pages of the scale case: the engine's regular pages, numpy's "
                         "hugepage advice, or both (each in its own fresh process)")
    ap.add_argument("--skip-peer", action="store_true")
    ap.add_argument("--skip-scale", action="store_true")
    ap.add_argument("--scale-worker", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.scale_worker:
        print(json.dumps(bench_scale(args.tickers, args.years, args.events, args.scale_repeats,
                                     args.pages)))
        return 0
    print(f"start: {_load()}", flush=True)
    peer = None if args.skip_peer else bench_peer(args.peer_events, args.years, args.repeats)
    scales = []
    if not args.skip_scale:
        for pages in (("engine", "numpy") if args.pages == "both" else (args.pages,)):
            scales.append(run_scale(args.tickers, args.years, args.events, args.scale_repeats, pages))
    checks = report(peer, scales)
    print(f"end: {_load()}")
    return 0 if all(met for _, _, met in checks) else 1


if __name__ == "__main__":
    raise SystemExit(main())
