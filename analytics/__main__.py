"""Command line for analysts: ``python -m analytics event-study ...`` (reads the store, writes CSV).

The one place in ``analytics/`` that does I/O: it reads through ``store.Store`` and hands
DataFrames to :func:`analytics.event_study.event_study`.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from analytics.constants import DEFAULT_ESTIMATION_WINDOW, DEFAULT_EVENT_WINDOWS, MIN_ESTIMATION_OBS
from analytics.event_study import MODELS, event_study
from analytics.overlap import campaign_event_windows, campaigns_for_study, overlap_chains


def _window(text: str) -> tuple[int, int]:
    a, b = text.split(",")
    return int(a), int(b)


def _parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="python -m analytics",
                                 description="Analytics commands over the DuckDB workspace.")
    sub = ap.add_subparsers(dest="command", required=True)
    es = sub.add_parser("event-study", help="abnormal returns of IR activities -> cars.csv, summary.csv",
                        description="Event study of a client's activities (or of a ticker's, with "
                                    "--ticker) against a benchmark; writes cars.csv, summary.csv, "
                                    "skipped.csv and overlaps.csv to --out.  overlaps.csv lists, for "
                                    "every event window, the chains of activities whose windows share "
                                    "trading days (those days are counted in several CARs; the "
                                    "Kolari-Pynnonen statistic in summary.csv accounts for it).")
    es.add_argument("--db", help="DuckDB file (default: IRDASH_DB or data/irdash.duckdb)")
    who = es.add_mutually_exclusive_group(required=True)
    who.add_argument("--client", help="client_id: its ticker, benchmark and activity log")
    who.add_argument("--ticker", help="a ticker: all activities of the clients on that ticker")
    es.add_argument("--benchmark", help="benchmark ticker (default: the client's benchmark)")
    es.add_argument("--model", choices=MODELS, default="market")
    es.add_argument("--thin-trading", choices=["none", "trade_to_trade", "dimson"], default="none")
    es.add_argument("--estimation-window", type=_window, default=DEFAULT_ESTIMATION_WINDOW,
                    metavar="START,END", help="inclusive trading-day offsets (default %(default)s)")
    es.add_argument("--window", type=_window, action="append", metavar="START,END",
                    help=f"event window, repeatable (default {list(DEFAULT_EVENT_WINDOWS)})")
    es.add_argument("--min-estimation-obs", type=int, default=MIN_ESTIMATION_OBS)
    es.add_argument("--by", default="type", help="events column to group the summary by ('' = none)")
    es.add_argument("--merge-campaigns", action="store_true",
                    help="study each chain of activities overlapping in the first --window as one campaign "
                         "(day 0: its first activity); every window is stretched at its end by the longest "
                         "campaign's span in trading days so it covers every campaign, and cars.csv has one "
                         "row per campaign and window (activity_ids, n_activities, span_days)")
    es.add_argument("--out", required=True, help="output directory")
    return ap


def _load(st, args):
    """Prices, market and events of the request, from the store."""
    import pandas as pd

    clients = st.clients()
    if args.client:
        row = clients[clients["client_id"] == args.client]
        if row.empty:
            raise SystemExit(f"unknown client {args.client!r}")
        ticker = row["ticker"].iloc[0]
        benchmark = args.benchmark or row["benchmark"].iloc[0]
        acts = st.activities(args.client)
    else:
        ticker = args.ticker.upper()
        ids = clients.loc[clients["ticker"] == ticker, "client_id"]
        if not args.benchmark and clients.loc[clients["ticker"] == ticker, "benchmark"].empty:
            raise SystemExit("--benchmark is needed for a ticker without a client")
        benchmark = args.benchmark or clients.loc[clients["ticker"] == ticker, "benchmark"].iloc[0]
        frames = [st.activities(c) for c in ids]
        acts = pd.concat(frames, ignore_index=True) if frames else st.activities("__none__")
    if not benchmark:
        raise SystemExit("no benchmark: pass --benchmark")
    bars = st.bars([ticker])
    mkt = st.bars([benchmark])
    if bars.empty:
        raise SystemExit(f"no prices stored for {ticker}")
    if mkt.empty:
        raise SystemExit(f"no prices stored for the benchmark {benchmark}")
    prices = bars.assign(close=bars["adj_close"])[["ticker", "date", "close", "volume"]]
    market = mkt.assign(close=mkt["adj_close"])[["date", "close"]]
    events = acts.rename(columns={"activity_id": "event_id"}).assign(ticker=ticker)
    shares = st.shares_outstanding(ticker)
    return prices, market, events, shares


def event_study_command(args) -> int:
    from store import Store

    st = Store(args.db)
    import pandas as pd

    prices, market, events, shares = _load(st, args)
    windows = tuple(args.window) if args.window else DEFAULT_EVENT_WINDOWS
    overlaps = pd.concat([overlap_chains(events, prices, w) for w in windows], ignore_index=True)
    left_out = events.iloc[:0]
    if args.merge_campaigns:
        events, left_out = campaigns_for_study(events, prices, windows[0])
        stretched = campaign_event_windows(events, windows)
        print(f"{len(events)} campaigns from the activities overlapping in window {windows[0][0]},{windows[0][1]}; "
              f"windows {list(windows)} stretched to {list(stretched)} to cover the longest campaign")
        windows = stretched
    res = event_study(
        prices, events, market, model=args.model,
        estimation_window=args.estimation_window,
        event_windows=windows,
        thin_trading=None if args.thin_trading == "none" else args.thin_trading,
        min_estimation_obs=args.min_estimation_obs,
        shares_outstanding=shares if len(shares) else None,
    )
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    by = args.by or None
    if by is not None and by not in res.events.columns:
        by = None
    res.cars.to_csv(out / "cars.csv", index=False)
    res.summary(by=by).to_csv(out / "summary.csv", index=False)
    skipped = res.skipped
    if len(left_out):  # no trading day on or after them: in no campaign, listed rather than dropped
        skipped = pd.concat([skipped.astype({"event_id": object}), pd.DataFrame({
            "event_id": left_out["event_id"].astype(object), "ticker": left_out["ticker"],
            "event_date": pd.to_datetime(left_out["date"]),
            "reason": "no trading day on or after the activity date: in no campaign"})], ignore_index=True)
    skipped.to_csv(out / "skipped.csv", index=False)
    overlaps.assign(activity_ids=overlaps["activity_ids"].map(lambda ids: ", ".join(map(str, ids)))).to_csv(
        out / "overlaps.csv", index=False)
    print(f"{res.cars['event_id'].nunique()} events studied, {skipped['event_id'].nunique()} "
          f"skipped, {len(overlaps)} overlap chains; wrote {out / 'cars.csv'}, {out / 'summary.csv'}, "
          f"{out / 'skipped.csv'}, {out / 'overlaps.csv'}")
    return 0


def main(argv=None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "event-study":
        return event_study_command(args)
    return 2  # pragma: no cover


if __name__ == "__main__":
    sys.exit(main())
