"""`python -m ingest [--db PATH] <job> ...`: load, refresh and build workspaces from the command line."""
from __future__ import annotations

import argparse
import sys
import traceback

from ingest import jobs, users
from store import Store, default_db_path


def _epilog() -> str:
    codes = "\n".join(f"  {code:>2}  {text}" for code, text in sorted(jobs.EXIT_CODES.items()))
    return (f"workspace file: --db PATH, else $IRDASH_DB, else {default_db_path()}\n"
            "lock wait: $IRDASH_LOCK_TIMEOUT seconds (default 15)\n\nexit codes:\n" + codes)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m ingest", description="Ingest jobs for the IR awareness dashboard.",
        epilog=_epilog(), formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", help="DuckDB workspace file (default: $IRDASH_DB or data/irdash.duckdb)")
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress lines on stderr")
    sub = parser.add_subparsers(dest="job", required=True, metavar="JOB")

    p = sub.add_parser("load-yahoo", help="load a ticker's daily history from Yahoo (yfinance)")
    p.add_argument("ticker", help="symbol as Yahoo spells it, e.g. AXGI or ^RUT")
    p.add_argument("--start", help="first day, YYYY-MM-DD (default: all history)")
    p.add_argument("--end", help="last day, YYYY-MM-DD (default: today)")
    p.add_argument("--no-shares", action="store_true", help="skip shares outstanding")

    p = sub.add_parser("load-csv", help="load a ticker's bars from a Yahoo-format CSV export")
    p.add_argument("file", help="CSV with Date,Open,High,Low,Close[,Adj Close],Volume")
    p.add_argument("--ticker", required=True, help="the symbol these bars belong to")

    sub.add_parser("refresh", help="fetch what is missing for every tracked ticker (nightly cron job)")

    p = sub.add_parser("import-activities", help="merge an activity-log CSV into a client (the same activity again is unchanged, or updated when its details differ)")
    p.add_argument("file", help="CSV with date,type[,end_date,title,channel,reach,cost,after_close,notes,link]")
    p.add_argument("--client", required=True, help="client_id the activities belong to")

    p = sub.add_parser("import-terms", help="store a client's engagement terms (contract, option grants, "
                       "financings, shares outstanding) from a TOML file")
    p.add_argument("file", help="TOML file; see data/examples/engagement-terms.toml")

    p = sub.add_parser("load-events", help="store corporate events that can confound activities: Yahoo's "
                       "earnings dates, or a CSV with --file (same events again: unchanged)")
    p.add_argument("ticker", help="the symbol the events belong to, e.g. AXGI")
    p.add_argument("--file", help="CSV with date,kind,title (kind: earnings, news or other); without it, "
                   "Yahoo's earnings dates (needs the network)")

    p = sub.add_parser("demo", help="(re)build the simulated demo workspace (offline)")
    p.add_argument("--if-missing", action="store_true", help="do nothing when the demo workspace exists")
    p.add_argument("--seed", type=int, help="random seed (default: the generator's)")

    sub.add_parser("migrate", help="create or upgrade the workspace schema")
    users.add_parser(sub)
    for module in _job_modules():
        module.add_parsers(sub)
    return parser


# The record-keeping jobs beside the loads: each module registers its subcommands (``add_parsers``) and
# carries them out (``run(store, args) -> exit code``, with its own messages).
JOB_MODULES = ("ingest.integrity", "ingest.services", "ingest.peers")


def _job_modules():
    import importlib

    return [importlib.import_module(name) for name in JOB_MODULES]


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    store = Store(args.db)
    if args.job == "users":  # ingest/users.py: who may sign in; its own messages and exit codes
        return users.run(store, args)
    for module in _job_modules():
        if args.job in module.JOBS:
            return module.run(store, args)

    def progress(message: str) -> None:
        if not args.quiet:
            print(message, file=sys.stderr, flush=True)

    try:
        if args.job == "load-yahoo":
            progress(f"fetching {args.ticker.upper()} from Yahoo ...")
            summary = jobs.load_yahoo(store, args.ticker, args.start, args.end, shares=not args.no_shares)
        elif args.job == "load-csv":
            summary = jobs.load_csv(store, args.file, args.ticker)
        elif args.job == "refresh":
            summary = jobs.refresh(store, progress=progress)
        elif args.job == "import-activities":
            summary = jobs.import_activities(store, args.file, args.client)
        elif args.job == "import-terms":
            summary = jobs.import_terms(store, args.file)
        elif args.job == "load-events":
            from ingest.events import load_events
            summary = load_events(store, args.ticker, args.file, progress=progress)
        elif args.job == "demo":
            summary = jobs.demo(store, seed=args.seed, if_missing=args.if_missing, progress=progress)
        else:  # migrate
            version = store.init()
            print(f"migrate {store.path}: ok, schema version {version}")
            return jobs.EXIT_OK
    except Exception as exc:  # every failure ends with one clear line and its exit code
        code = jobs.exit_code_for(exc)
        if code == jobs.EXIT_ERROR and not isinstance(exc, (jobs.ProviderError, jobs.StoreError)):
            traceback.print_exc(file=sys.stderr)
        print(f"error: {exc}", file=sys.stderr)
        print(f"{args.job}: failed ({jobs.EXIT_CODES[code]}), exit code {code}")
        return code
    for err in summary.errors:
        print(f"warning: {err}", file=sys.stderr)
    for note in summary.skipped:
        print(f"skipped: {note}", file=sys.stderr)
    print(summary.line())
    return summary.exit_code


if __name__ == "__main__":
    sys.exit(main())
