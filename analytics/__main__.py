"""Command line for analysts: ``python -m analytics event-study|answer ...`` (reads the store, writes CSV).

The one place in ``analytics/`` that does I/O: it reads through ``store.Store`` and hands
DataFrames to :func:`analytics.event_study.event_study` and :func:`analytics.answer.programme_answer`.
Windows are written ``-1,1`` or ``-1..1``; ``--window -1,1`` works as written (a value that starts
with a minus sign is taken as the option's value), as do ``--window=-1,1`` and ``--window " -1,1"``.
Every window is checked against the bounds of :mod:`analytics.settings`.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from analytics.constants import DEFAULT_ESTIMATION_WINDOW, DEFAULT_EVENT_WINDOWS, MIN_ESTIMATION_OBS
from analytics.event_study import MODELS, event_study
from analytics.csv_safety import safe_csv_bytes
from analytics.overlap import campaign_event_windows, campaigns_for_study, overlap_chains


WINDOW_OPTIONS = ("--window", "--estimation-window")


def _window(text: str) -> tuple[int, int]:
    from analytics.settings import parse_window

    w, why = parse_window(text)
    if w is None:
        raise argparse.ArgumentTypeError(why)
    return w


def _join_negative_values(argv: list[str]) -> list[str]:
    """``--window -1,1`` -> ``--window=-1,1``: argparse would read ``-1,1`` as an unknown option."""
    out: list[str] = []
    it = iter(argv)
    for a in it:
        if a in WINDOW_OPTIONS:
            nxt = next(it, None)
            if nxt is None:
                out.append(a)
            else:
                out.append(f"{a}={nxt}")
        else:
            out.append(a)
    return out


def _checked_settings(args, ap):
    """The CLI's method through analytics.settings: the same bounds and defaults as the dashboard."""
    from analytics.settings import format_window, format_windows, parse_settings

    params = {"model": args.model, "thin": args.thin_trading, "est": format_window(args.estimation_window)}
    if args.window:
        params["win"] = format_windows(args.window)
    if getattr(args, "period", None):
        params["period"] = args.period
    parsed = parse_settings(params)
    if parsed.refusals:
        ap.error(" ".join(parsed.refusals))
    return parsed.settings


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
    es.add_argument("--thin-trading", choices=["auto", "none", "trade_to_trade", "dimson"], default="auto",
                    help="auto (default): trade-to-trade when many days had no trade, else close-to-close")
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

    an = sub.add_parser("answer", help="the programme's answer: verdict, headline figures, per-type results",
                        description="The programme's one answer (the figures the dashboard and the ROI report "
                                    "show) for a client: prints the verdict and the headline figures; with --out "
                                    "writes headline.csv, per_type.csv, per_activity.csv, skipped.csv and "
                                    "verdict.txt.")
    an.add_argument("--db", help="DuckDB file (default: IRDASH_DB or data/irdash.duckdb)")
    an.add_argument("--client", required=True, help="client_id")
    an.add_argument("--model", choices=MODELS, default="market")
    an.add_argument("--thin-trading", choices=["auto", "none", "trade_to_trade", "dimson"], default="auto",
                    help="auto (default): trade-to-trade when many days had no trade, else close-to-close")
    an.add_argument("--estimation-window", type=_window, default=DEFAULT_ESTIMATION_WINDOW, metavar="START,END")
    an.add_argument("--window", type=_window, action="append", metavar="START,END",
                    help=f"event window, repeatable (default {list(DEFAULT_EVENT_WINDOWS)})")
    an.add_argument("--period", default="engagement",
                    help="engagement (default), all, 1y or YYYY-MM-DD..YYYY-MM-DD")
    an.add_argument("--out", help="output directory for the CSV tables")
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


def answer_inputs(st, client_id: str, settings):
    """The answer's inputs for ``client_id`` read from the store (the dashboard's loaders read the same)."""
    from analytics.answer import AnswerInputs
    from analytics.settings import resolve_period

    clients = st.clients()
    row = clients[clients["client_id"] == client_id]
    if row.empty:
        raise SystemExit(f"unknown client {client_id!r}")
    c = row.iloc[0]
    ticker = c["ticker"]
    benchmark = c["benchmark"] if isinstance(c.get("benchmark"), str) and c.get("benchmark") else None
    eng = st.engagements(client_id)
    ids = [int(e) for e in eng["engagement_id"]] if len(eng) else []
    import pandas as pd

    grants = pd.concat([st.option_grants(e) for e in ids], ignore_index=True) if ids else st.option_grants(-1)
    fins = pd.concat([st.financings(e) for e in ids], ignore_index=True) if ids else st.financings(-1)
    bars = st.bars([ticker])
    first, last = (bars["date"].min(), bars["date"].max()) if len(bars) else (None, None)
    start, end = resolve_period(settings.period, data_start=first, data_end=last,
                                engagement_start=eng["start_date"].min() if len(eng) else None,
                                engagement_end=eng["end_date"].max() if len(eng) and eng["end_date"].notna().any()
                                else None)
    info = st.workspace_info()
    try:
        from store.corporate_events import confounding_events

        confounding = confounding_events(st, ticker)
    except Exception:  # noqa: BLE001 - an older workspace without the table: the stored splits stand in
        confounding = None
    return AnswerInputs(client_id=client_id, client_name=c["name"], ticker=ticker, benchmark=benchmark,
                        prices=bars.sort_values("date").reset_index(drop=True),
                        market=st.bars([benchmark]) if benchmark else pd.DataFrame(),
                        activities=st.activities(client_id), engagements=eng, grants=grants, financings=fins,
                        shares_outstanding=st.shares_outstanding(ticker), splits=st.splits(ticker),
                        start=start, end=end, simulated=bool(info.get("simulated")), confounding=confounding)


def answer_command(args, ap) -> int:
    from analytics.answer import programme_answer
    from store import Store

    settings = _checked_settings(args, ap)
    ans = programme_answer(answer_inputs(Store(args.db), args.client, settings), settings)
    lines = (["SIMULATED DATA (demo workspace)"] if ans.simulated else []) + list(ans.verdict) + [""] + \
        list(ans.renewal) + [""] + [f"{label}: {text}" for _, label, text in ans.headline] + ["", ans.reproducibility]
    text = "\n".join(lines)
    print(text)
    if args.out:
        out = Path(args.out)
        out.mkdir(parents=True, exist_ok=True)
        sim = {"data": "simulated"} if ans.simulated else {}
        (out / "headline.csv").write_bytes(safe_csv_bytes(ans.headline_frame().assign(**sim)))
        (out / "per_type.csv").write_bytes(safe_csv_bytes(ans.per_type.assign(**sim)))
        # every test across events, pooled and per type, every window: Event impact's table
        (out / "tests.csv").write_bytes(safe_csv_bytes(ans.tests.assign(**sim)))
        (out / "per_activity.csv").write_bytes(safe_csv_bytes(ans.per_activity.assign(**sim)))
        (out / "skipped.csv").write_bytes(safe_csv_bytes(ans.skipped.assign(**sim)))
        (out / "verdict.txt").write_text(text + "\n", encoding="utf-8")
    return 0


def event_study_command(args) -> int:
    from store import Store

    st = Store(args.db)
    import pandas as pd

    prices, market, events, shares = _load(st, args)
    windows = tuple(args.window) if args.window else DEFAULT_EVENT_WINDOWS
    overlaps = pd.concat([overlap_chains(events, prices, w) for w in windows], ignore_index=True)
    left_out = events.iloc[:0]
    if args.merge_campaigns:
        events, left_out = campaigns_for_study(events, prices, windows[0], windows=windows)
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
    (out / "cars.csv").write_bytes(safe_csv_bytes(res.cars))
    (out / "summary.csv").write_bytes(safe_csv_bytes(res.summary(by=by)))
    skipped = res.skipped
    if len(left_out):  # no trading day on or after them: in no campaign, listed rather than dropped
        skipped = pd.concat([skipped.astype({"event_id": object}), pd.DataFrame({
            "event_id": left_out["event_id"].astype(object), "ticker": left_out["ticker"],
            "event_date": pd.to_datetime(left_out["date"]),
            "reason": "no trading day on or after the activity date: in no campaign"})], ignore_index=True)
    (out / "skipped.csv").write_bytes(safe_csv_bytes(skipped))
    (out / "overlaps.csv").write_bytes(safe_csv_bytes(
        overlaps.assign(activity_ids=overlaps["activity_ids"].map(lambda ids: ", ".join(map(str, ids))))))
    print(f"{res.cars['event_id'].nunique()} events studied, {skipped['event_id'].nunique()} "
          f"skipped, {len(overlaps)} overlap chains; wrote {out / 'cars.csv'}, {out / 'summary.csv'}, "
          f"{out / 'skipped.csv'}, {out / 'overlaps.csv'}")
    return 0


def main(argv=None) -> int:
    ap = _parser()
    args = ap.parse_args(_join_negative_values(list(sys.argv[1:] if argv is None else argv)))
    if args.command == "event-study":
        _checked_settings(args, ap)
        return event_study_command(args)
    if args.command == "answer":
        return answer_command(args, ap)
    return 2  # pragma: no cover


if __name__ == "__main__":
    sys.exit(main())
