"""Ingest benchmark: `python -m bench.ingest [--tickers N] [--years Y]`.

Generates synthetic daily bars (default 5,000 tickers x 20 years, about 25M rows) to parquet, loads them
through the validated bulk path (Store.load_bars: the rules of ingest.bars.validate_bars in SQL) and prints
rows/s beside DuckDB's bare `INSERT ... SELECT * FROM read_parquet(...)` of the same file in the same run.
Then times an incremental refresh of one ticker with Yahoo replaced by a replayed HTTP session.
Not part of pytest.
"""
from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))  # the replay session used by the provider tests

from ingest import jobs  # noqa: E402
from store import Store  # noqa: E402


def generate(path: Path, n_tickers: int, years: int, seed: int = 7) -> int:
    """Write synthetic bars to parquet, ticker by ticker (one row group per batch); returns the row count."""
    rng = np.random.default_rng(seed)
    dates = pd.bdate_range(end=pd.Timestamp("2024-12-31"), periods=252 * years).astype("datetime64[ns]")
    n_days = len(dates)
    writer = None
    rows = 0
    chunk = 250
    for first in range(0, n_tickers, chunk):
        k = min(chunk, n_tickers - first)
        tickers = np.repeat(np.array([f"T{first + i:05d}" for i in range(k)]), n_days)
        steps = rng.normal(0, 0.03, size=(k, n_days))
        close = np.round(np.exp(np.log(rng.uniform(0.05, 50, size=(k, 1))) + np.cumsum(steps, axis=1)), 4).ravel()
        open_ = np.round(close * np.exp(rng.normal(0, 0.01, close.size)), 4)
        high = np.maximum(open_, close) * (1 + np.abs(rng.normal(0, 0.01, close.size)))
        low = np.minimum(open_, close) * (1 - np.abs(rng.normal(0, 0.01, close.size)))
        volume = np.where(rng.random(close.size) < 0.2, 0.0, np.round(rng.lognormal(10, 1.5, close.size)))
        table = pa.table({
            "ticker": tickers, "date": pa.array(np.tile(dates.to_numpy(), k)).cast(pa.date32()),
            "open": open_, "high": high, "low": low, "close": close, "adj_close": close, "volume": volume,
            "source": pa.array(["bench"] * close.size),
        })
        if writer is None:
            writer = pq.ParquetWriter(path, table.schema)
        writer.write_table(table, row_group_size=1_000_000)
        rows += table.num_rows
    writer.close()
    return rows


def bare_insert(parquet: Path, db: Path, with_key: bool) -> float:
    """Seconds for DuckDB's bare INSERT ... SELECT * FROM read_parquet into a bars-shaped table."""
    con = duckdb.connect(str(db))
    key = ", PRIMARY KEY (ticker, date)" if with_key else ""
    con.execute(f"""CREATE TABLE bars (ticker VARCHAR NOT NULL, date DATE NOT NULL, open DOUBLE, high DOUBLE,
                    low DOUBLE, close DOUBLE, adj_close DOUBLE, volume DOUBLE, source VARCHAR{key})""")
    started = time.perf_counter()
    con.execute(f"INSERT INTO bars SELECT * FROM read_parquet('{parquet}')")
    elapsed = time.perf_counter() - started
    con.close()
    return elapsed


def validated_load(parquet: Path, store: Store) -> tuple[float, int]:
    """Seconds and rows for the validated bulk path: Store.load_bars (the bar rules in SQL, one transaction)."""
    started = time.perf_counter()
    summary = store.load_bars(parquet)
    return time.perf_counter() - started, summary.added + summary.updated + summary.unchanged


def reload_unchanged(parquet: Path, store: Store, n_tickers: int = 50) -> tuple[float, int]:
    """Seconds and rows to load again the bars of the first tickers (the merge path: all unchanged)."""
    table = pq.read_table(parquet, filters=[("ticker", "<", f"T{n_tickers:05d}")])
    started = time.perf_counter()
    summary = store.load_bars(table)
    assert summary.added == summary.updated == 0, summary
    return time.perf_counter() - started, summary.unchanged


def refresh_one(store: Store, ticker: str, runs: int = 9) -> list[float]:
    """Seconds for the whole refresh job of one ticker (read, fetch through yfinance and a replayed session,
    validate, write bars + log) per run; the first run is cold (yfinance cookie/crumb/timezone)."""
    import yfinance as yf
    from ingest.providers import YFinanceProvider
    from yahoo_replay import ReplaySession, chart_json

    yf.set_tz_cache_location(tempfile.mkdtemp())
    last = store.bars(ticker).tail(10)  # what Yahoo would send back for the overlap window
    new_day = last["date"].max() + pd.offsets.BDay(1)
    answer = pd.concat([last, last.tail(1).assign(date=new_day)])[["date", "open", "high", "low", "close",
                                                                     "adj_close", "volume"]]
    session = ReplaySession({ticker: chart_json(ticker, answer)})
    # The synthetic bars are not from Yahoo, and refresh only refreshes Yahoo tickers: load the window once.
    jobs.load_yahoo(store, ticker, last["date"].min(), new_day, shares=False,
                    provider=YFinanceProvider(session=session, backoff=()))
    times = []
    for _ in range(runs):
        provider = YFinanceProvider(session=session, backoff=())
        started = time.perf_counter()
        summary = jobs.refresh(store, provider, tickers=[ticker], today=new_day)
        times.append(time.perf_counter() - started)
        assert summary.exit_code == 0 and summary.unchanged > 0, summary
    return times


def profile_refresh(store: Store, ticker: str) -> None:
    """Where one warm refresh spends its time (cProfile, top functions by cumulative time) on stderr."""
    import cProfile
    import pstats

    from ingest.providers import YFinanceProvider
    from yahoo_replay import ReplaySession, chart_json

    last = store.bars(ticker).tail(10)
    session = ReplaySession({ticker: chart_json(ticker, last)})
    prof = cProfile.Profile()
    prof.enable()
    jobs.refresh(store, YFinanceProvider(session=session, backoff=()), tickers=[ticker], today=last["date"].max())
    prof.disable()
    pstats.Stats(prof, stream=sys.stderr).sort_stats("cumulative").print_stats(18)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.ingest", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tickers", type=int, default=5000)
    parser.add_argument("--years", type=int, default=20)
    parser.add_argument("--profile", action="store_true", help="print a cProfile of one refresh on stderr")
    parser.add_argument("--dir", help="working directory (default: a temporary one, deleted afterwards)")
    parser.add_argument("--refresh-only", action="store_true",
                        help="only time the refresh, on the store an earlier run left in --dir (validated.duckdb)")
    parser.add_argument("--runs", type=int, default=9, help="timed refresh runs (default 9)")
    args = parser.parse_args(argv)
    if args.refresh_only:
        if not args.dir or not (Path(args.dir) / "validated.duckdb").exists():
            parser.error("--refresh-only needs --dir with validated.duckdb from an earlier run")
        store = Store(Path(args.dir) / "validated.duckdb")
        n = int(store.query("SELECT count(*) AS n FROM bars")["n"].iat[0])
        refresh = refresh_one(store, "T00000", runs=args.runs)
        if args.profile:
            profile_refresh(store, "T00000")
        _print_refresh(refresh, n)
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(args.dir or tmp)
        work.mkdir(parents=True, exist_ok=True)
        parquet = work / "bars.parquet"
        for old in ("bare_plain.duckdb", "bare_key.duckdb", "validated.duckdb"):  # a full run starts from scratch
            for f in (work / old, work / (old + ".wal")):
                f.unlink(missing_ok=True)
        t0 = time.perf_counter()
        n = generate(parquet, args.tickers, args.years)
        print(f"generated {n:,} bars ({args.tickers} tickers x {args.years} years) in "
              f"{time.perf_counter() - t0:.1f} s", flush=True)
        bare_plain = bare_insert(parquet, work / "bare_plain.duckdb", with_key=False)
        bare_key = bare_insert(parquet, work / "bare_key.duckdb", with_key=True)
        store = Store(work / "validated.duckdb")
        store.init()
        validated, rows = validated_load(parquet, store)
        assert rows == n, f"loaded {rows} of {n} rows"
        again, again_rows = reload_unchanged(parquet, store)
        refresh = refresh_one(store, "T00000", runs=args.runs)
        # The nightly job is a process of its own: time it again in a fresh one, on the same store.
        fresh = subprocess.run([sys.executable, "-m", "bench.ingest", "--dir", str(work), "--refresh-only",
                                "--runs", str(args.runs)], cwd=ROOT, capture_output=True, text=True)
        if args.profile:
            profile_refresh(store, "T00000")
        keyed, plain, ours = n / bare_key, n / bare_plain, n / validated
        print(f"bare INSERT ... SELECT * FROM read_parquet, table without key:      {plain:>12,.0f} rows/s "
              f"({bare_plain:.1f} s)")
        print(f"bare INSERT ... SELECT * FROM read_parquet, PRIMARY KEY (ticker, date): {keyed:>9,.0f} rows/s "
              f"({bare_key:.1f} s)")
        print(f"validated bulk load (Store.load_bars, bar rules in SQL, one commit):  {ours:>12,.0f} rows/s "
              f"({validated:.1f} s)")
        print(f"ratio against the keyed bare insert (the store's table shape; the 0.5x target uses this one): "
              f"{ours / keyed:.2f} x -> {'met' if ours / keyed >= 0.5 else 'NOT met'}")
        print(f"ratio against the unkeyed bare insert (for reference, no target): {ours / plain:.2f} x")
        print(f"reload of {again_rows:,} unchanged bars (merge path, {again_rows / again:,.0f} rows/s): {again:.1f} s")
        _print_refresh(refresh, n, "in this process, after the loads above")
        print(fresh.stdout.strip() or f"fresh-process refresh failed: {fresh.stderr.strip()[-500:]}")
    return 0


def _print_refresh(refresh: list[float], n_bars: int, where: str = "in a fresh process, as the nightly job runs") -> None:
    median = statistics.median(refresh) * 1000
    print(f"incremental refresh job of one ticker, {where}, on a store of {n_bars:,} bars (replayed Yahoo, {len(refresh)} "
          f"runs): first {refresh[0] * 1000:.0f} ms, median {median:.1f} ms, min {min(refresh) * 1000:.0f} ms "
          f"(target: median < 50 ms -> {'met' if median < 50 else 'NOT met'})")


if __name__ == "__main__":
    sys.exit(main())
