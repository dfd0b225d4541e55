"""The ingest jobs. Each logs to ingest_log (failures too), writes only through the store, and returns a summary."""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import pandas as pd

from analytics.constants import REFRESH_OVERLAP_DAYS
from ingest.activities import merge_activities, parse_activities_csv
from ingest.bars import BarValidationError, validate_bars
from ingest.terms import TermsError, checked_terms, parse_terms, write_terms
from ingest.providers import (
    CsvFormatError, CsvProvider, EmptyDataError, NetworkUnavailableError, Provider, ProviderError,
    ProviderTimeoutError, RateLimitedError, TickerNotFoundError, YFinanceProvider,
)
from ingest.csvread import date_problem, shown
from store import Store, StoreBusyError, StoreError
from store.schema import utc_now
from store.store import ClientError, NotAWorkspaceError

Progress = Callable[[str], None]

# Exit codes of `python -m ingest` (also printed in --help).
EXIT_OK = 0
EXIT_ERROR = 1          # unexpected error (a bug): the message and traceback say where
EXIT_USAGE = 2          # wrong command line (argparse)
EXIT_BAD_INPUT = 3      # the input data were rejected (CSV problems, invalid bars)
EXIT_NOT_FOUND = 4      # unknown/delisted ticker, or no bars in the range
EXIT_NETWORK = 5        # no network, or the network hangs (timeout)
EXIT_RATE_LIMITED = 6   # Yahoo rate-limits this machine (HTTP 429)
EXIT_BUSY = 7           # the workspace file is locked by another process
EXIT_PARTIAL = 8        # refresh: some tickers failed, the others were stored
EXIT_NOT_WORKSPACE = 10  # --db is not a DuckDB workspace file, or a path cannot be used (too long, a folder)
EXIT_CLIENT = 11        # unknown client, or an engagement that belongs to another client

EXIT_CODES = {EXIT_OK: "success", EXIT_ERROR: "unexpected error (a bug: please report it with the traceback)",
              EXIT_USAGE: "wrong command line (an option's value, e.g. a date that does not exist)",
              EXIT_BAD_INPUT: "input rejected (CSV, bar or terms validation)", EXIT_NOT_FOUND: "ticker not found or no data",
              EXIT_NETWORK: "no network or network timeout", EXIT_RATE_LIMITED: "rate limited by Yahoo",
              EXIT_BUSY: "workspace locked by another process", EXIT_PARTIAL: "refresh partly failed",
              EXIT_NOT_WORKSPACE: "--db is not a DuckDB workspace file, or a path cannot be used",
              EXIT_CLIENT: "unknown client, or an engagement of another client"}
MAX_LOGGED = 2000  # characters of a message written to the ingest log


class UsageError(ProviderError):
    """A command-line value that cannot be used (a date that does not exist, out of range)."""


class PathError(ProviderError):
    """A path that cannot be used: too long, a folder, or unreadable."""


def sanitise(text: str, limit: int = MAX_LOGGED) -> str:
    """A message as the ingest log stores it: control characters escaped (newlines kept), at most ``limit`` chars."""
    return "\n".join(shown(line, limit) for line in str(text).split("\n"))[:limit]


def parse_day(value, what: str):
    """A command-line date (YYYY-MM-DD) as a Timestamp, or None; UsageError when it does not exist or is out of range."""
    if value is None or value == "":
        return None
    import datetime as dt

    try:
        if isinstance(value, (dt.date, pd.Timestamp)):  # a date widget's value (datetime and Timestamp are dates)
            day = value.date() if isinstance(value, dt.datetime) else value
        else:
            day = dt.date.fromisoformat(str(value).strip())
    except ValueError:
        raise UsageError(f"{what} {shown(value)!r} is not a date: give it as YYYY-MM-DD, e.g. 2024-01-31 "
                         "(month 01-12, a day the month has).") from None
    wrong = date_problem(day, what)
    if wrong:
        raise UsageError(f"{wrong}.")
    return pd.Timestamp(day)


def usable_file(path, what: str) -> Path:
    """``path`` as a Path when it names a readable file; PathError (or the caller's not-found error) otherwise."""
    p = Path(path)
    try:
        long = [part for part in p.parts if len(part.encode("utf-8", "surrogateescape")) > 255]
        if long:
            raise PathError(f"{what} path has a component of {len(long[0].encode('utf-8', 'surrogateescape'))} "
                            f"bytes ({shown(long[0])}); file names are at most 255 bytes: rename the file.")
        if p.is_dir():
            raise PathError(f"{what} {shown(path, 120)} is a folder, not a file: give the file's path.")
        return p
    except OSError as exc:
        raise PathError(f"{what} {shown(path, 120)} cannot be used: {exc.strerror or exc}.") from None


def exit_code_for(exc: BaseException) -> int:
    """The CLI exit code for an error raised by a job."""
    for kinds, code in (((UsageError,), EXIT_USAGE), ((PathError, NotAWorkspaceError), EXIT_NOT_WORKSPACE),
                        ((ClientError,), EXIT_CLIENT),
                        ((CsvFormatError, BarValidationError, TermsError), EXIT_BAD_INPUT),
                        ((TickerNotFoundError, EmptyDataError), EXIT_NOT_FOUND),
                        ((NetworkUnavailableError, ProviderTimeoutError), EXIT_NETWORK),
                        ((RateLimitedError,), EXIT_RATE_LIMITED), ((StoreBusyError,), EXIT_BUSY),
                        ((ProviderError, StoreError), EXIT_ERROR)):
        if isinstance(exc, kinds):
            return code
    return EXIT_ERROR


@dataclass
class JobSummary:
    """What a job did; `line()` is the one-line summary the CLI prints."""

    job: str
    target: str = ""
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    status: str = "ok"
    seconds: float = 0.0
    errors: list[str] = field(default_factory=list)
    exit_code: int = EXIT_OK
    skipped: list[str] = field(default_factory=list)  # "TICKER: why" for tickers a job left alone on purpose

    def line(self) -> str:
        target = f" {self.target}" if self.target else ""
        skipped = f", {len(self.skipped)} skipped" if self.skipped else ""
        text = (f"{self.job}{target}: {self.status}, {self.added} added, {self.updated} updated, "
                f"{self.unchanged} unchanged, {self.rejected} rejected{skipped} ({self.seconds:.1f} s)")
        return text


def _logged(store: Store, job: str, ticker: str | None, work: Callable[..., JobSummary],
            init: bool = True) -> JobSummary:
    """Run work(finish) and record it in ingest_log; a failure is logged with its message and re-raised.

    work may call finish(summary) inside its own write transaction so the log row commits with the data
    (one file open); otherwise the row is written after it. A failed job's transaction rolled back, so
    its log row is written on its own: the failure is logged and nothing else changed.
    """
    if init:
        store.init()
    started_at = utc_now()
    started = time.monotonic()
    logged = []

    def finish(summary: JobSummary) -> None:
        summary.seconds = time.monotonic() - started
        store.log_run(job, ticker, started_at, summary.status, added=summary.added, updated=summary.updated,
                      rejected=summary.rejected, error=sanitise("; ".join(summary.errors)) or None)
        logged.append(True)

    try:
        summary = work(finish)
    except BaseException as exc:
        rejected = len(getattr(exc, "problems", []) or [])
        try:
            store.log_run(job, ticker, started_at, "failed", rejected=rejected, error=sanitise(str(exc)))
        except StoreError:
            pass  # the original error matters more than the log row
        raise
    if not logged:
        finish(summary)
    summary.seconds = time.monotonic() - started
    return summary


def _store_bars_and_actions(store: Store, provider: Provider, ticker: str, start, end,
                            summary: JobSummary, actions: bool = True, finish=None) -> None:
    """Fetch and validate (no file open), then write bars, actions and the log row in one transaction."""
    bars = validate_bars(provider.fetch_bars(ticker, start, end))
    if actions:
        splits, dividends = provider.fetch_actions(ticker, start, end)
    with store.transaction():
        written = store.upsert_bars(bars)
        summary.added += written.added
        summary.updated += written.updated
        summary.unchanged += written.unchanged
        if actions:
            lo, hi = bars["date"].min(), bars["date"].max()
            for new, read, replace in ((splits, store.splits, store.replace_splits),
                                       (dividends, store.dividends, store.replace_dividends)):
                if len(new) == 0:
                    continue  # nothing reported in the range: what is stored stays as it is
                old = read(ticker)
                keep = old[(old["date"] < lo) | (old["date"] > hi)]  # actions outside the fetched range stay
                replace(ticker, pd.concat([keep, new], ignore_index=True))
        if finish is not None:
            finish(summary)


def load_yahoo(store: Store, ticker: str, start=None, end=None, provider: Provider | None = None,
               shares: bool = True) -> JobSummary:
    """Load a ticker's daily history (and splits, dividends, shares outstanding) from Yahoo."""
    ticker = ticker.upper()
    start, end = parse_day(start, "--start"), parse_day(end, "--end")
    if start is not None and end is not None and end < start:
        raise UsageError(f"--end {end.date()} is before --start {start.date()}: swap them.")
    provider = provider or YFinanceProvider()

    def work(finish):
        summary = JobSummary("load-yahoo", ticker)
        _store_bars_and_actions(store, provider, ticker, start, end, summary)
        if shares:
            try:
                store.upsert_shares_outstanding(provider.fetch_shares_outstanding(ticker, start, end))
            except ProviderError as exc:  # bars are what matters; shares are a bonus
                summary.errors.append(f"shares outstanding not updated: {exc}")
        return summary
    return _logged(store, "load-yahoo", ticker, work)


def load_csv(store: Store, path, ticker: str) -> JobSummary:
    """Load a ticker's bars from a Yahoo-format CSV file (rejected whole on any problem)."""
    ticker = ticker.upper()

    usable_file(path, "the CSV file's")

    def work(finish):
        if not Path(path).is_file():
            raise CsvFormatError(shown(path, 120), [(0, "file not found: check the path")])
        summary = JobSummary("load-csv", ticker)
        _store_bars_and_actions(store, CsvProvider(path), ticker, None, None, summary, actions=False, finish=finish)
        return summary
    return _logged(store, "load-csv", ticker, work)


YAHOO_SOURCE = "yfinance"
CSV_SKIP_REASON = "loaded from CSV; re-upload the file to update"


def _refresh_plan(last: pd.DataFrame) -> tuple[list[tuple[str, pd.Timestamp | None]], list[str]]:
    """(ticker, last stored date) to refresh and "TICKER: why" skipped, from Store.last_bars().

    Refreshed: tickers with bars from Yahoo, and tracked tickers without any bar yet. Skipped: tickers whose
    bars all came from CSV files (Yahoo may not know them, or the user chose the file) or another source.
    Simulated tickers are not real and are left out silently.
    """
    todo, skipped = [], []
    for row in last[~last["simulated"]].itertuples(index=False):
        sources = [x for x in row.sources.split(",") if x]
        if not sources or YAHOO_SOURCE in sources:
            todo.append((row.ticker, row.last_date if pd.notna(row.last_date) else None))
        elif all(x.startswith("csv:") for x in sources):
            skipped.append(f"{row.ticker}: {CSV_SKIP_REASON}")
        else:
            skipped.append(f"{row.ticker}: bars from {', '.join(sources)}, not Yahoo; reload them from their source")
    return todo, skipped


def refresh(store: Store, provider: Provider | None = None, progress: Progress | None = None,
            today=None, tickers=None) -> JobSummary:
    """Fetch what is missing (from the last bar minus the overlap) for every tracked ticker loaded from Yahoo.

    `tickers` limits the job to those symbols. Tickers loaded only from CSV are listed in `skipped`.
    """
    provider = provider or YFinanceProvider()
    today = pd.Timestamp(today or pd.Timestamp.today()).normalize()
    if not store.exists():
        store.init()
    todo, skipped = _refresh_plan(store.last_bars(tickers))  # one read; the first write migrates if needed
    total = JobSummary("refresh", f"{len(todo)} tickers", skipped=skipped)
    started = time.monotonic()
    for i, (ticker, last_date) in enumerate(todo, 1):
        start = (last_date - pd.Timedelta(days=REFRESH_OVERLAP_DAYS)) if last_date is not None else None
        if progress:
            progress(f"[{i}/{len(todo)}] {ticker} from {start.date() if start is not None else 'the start'}")

        def work(finish, ticker=ticker, start=start):
            summary = JobSummary("refresh", ticker)
            try:
                _store_bars_and_actions(store, provider, ticker, start, today, summary, finish=finish)
            except EmptyDataError:
                pass  # nothing new since the last bar (weekend, holiday)
            return summary
        try:
            one = _logged(store, "refresh", ticker, work, init=False)
            total.added += one.added
            total.updated += one.updated
            total.unchanged += one.unchanged
        except (ProviderError, BarValidationError, StoreError) as exc:
            total.rejected += 1
            total.errors.append(f"{ticker}: {exc}")
            if isinstance(exc, StoreBusyError):
                break
    total.seconds = time.monotonic() - started
    if total.errors:
        total.status = "partly failed" if len(total.errors) < len(todo) else "failed"
        total.exit_code = EXIT_PARTIAL
    return total


def import_activities(store: Store, path, client_id: str) -> JobSummary:
    """Merge the activities of a CSV log into a client by natural key (rejected whole on any problem).

    Idempotent: an activity already stored (same client, date, type, title and end date) is unchanged,
    or updated when its channel, reach, cost, after_close, notes or link differ (ingest.activities).
    """

    usable_file(path, "the activity log's")

    def work(finish):
        if not Path(path).is_file():
            raise CsvFormatError(shown(path, 120), [(0, "file not found: check the path")], what="activity log")
        frame = parse_activities_csv(path, client_id=client_id)
        known = store.clients()["client_id"].tolist()
        if client_id not in known:
            raise ClientError(f"Unknown client '{client_id}' (known: {', '.join(known) or 'none'}): add the client "
                             "first (the dashboard's Data page, or the import-terms job), or check the --client "
                             "spelling.")
        merged = merge_activities(store, frame)
        return JobSummary("import-activities", client_id, added=merged.added, updated=merged.updated,
                          unchanged=merged.unchanged)
    return _logged(store, "import-activities", None, work)


def import_terms(store: Store, path) -> JobSummary:
    """Store an engagement's terms from a TOML file (ingest.terms): all of it, or nothing."""
    usable_file(path, "the terms file's")

    def work(finish):
        if not Path(path).is_file():
            raise TermsError(shown(path, 120), ["file not found: check the path"])
        try:
            text = Path(path).read_text(encoding="utf-8")
        except UnicodeDecodeError as exc:
            raise TermsError(shown(path, 120), [f"not a UTF-8 text file ({exc.reason})"]) from exc
        known = store.clients() if store.exists() else None
        name = shown(Path(path).name, 80)
        parsed = parse_terms(text, name)
        if parsed.client is None and isinstance(parsed.client_id, str):
            ids = [] if known is None else known["client_id"].tolist()
            if parsed.client_id not in ids:
                raise ClientError(f"{name}: client '{shown(parsed.client_id)}' is not in the workspace (known: "
                                  f"{', '.join(ids) or 'none'}): add a [client] section (client_id, name, ticker), "
                                  "or check the spelling. Nothing was stored.")
        terms = checked_terms(parsed, name, known)
        written = write_terms(store, terms)
        rows = written["option_grants"] + written["financings"] + written["shares_outstanding"]
        return JobSummary("import-terms", f"{terms.client_id} engagement {written['engagement_id']}",
                          added=rows + int(written["created"]), updated=int(not written["created"]))
    return _logged(store, "import-terms", None, work)


DEMO_COMPLETE_KEY = "demo_complete"  # written last into the demo workspace: its presence means the build finished


def demo_state(store: Store) -> str:
    """"missing" (no file), "complete" (the build's last write is there) or "incomplete" (anything else).

    A workspace built before the marker existed, or half-built by a process that was killed, is "incomplete":
    ``demo --if-missing`` rebuilds it (the demo is reproducible, so a complete one comes out the same).
    Raises NotAWorkspaceError when the file is not a DuckDB file.
    """
    if not store.exists():
        return "missing"
    return "complete" if store.workspace_meta().get(DEMO_COMPLETE_KEY) else "incomplete"


def demo(store: Store, seed: int | None = None, if_missing: bool = False,
         progress: Progress | None = None) -> JobSummary:
    """(Re)build the simulated demo workspace with ingest.demo.write_demo_workspace, atomically.

    The build writes into a temporary copy of the workspace in the same folder (``Store.rebuilt``: other
    clients and data in the file are kept), then the completeness marker and the log row, and renames the
    copy into place: a build killed at any point leaves the previous file (or none), never half of one.
    With ``if_missing`` a complete demo workspace is left alone and an incomplete one is rebuilt.
    """
    state = demo_state(store)
    if if_missing and state == "complete":
        return JobSummary("demo", str(store.path), status="already there")
    from ingest.demo import DEFAULT_SEED, write_demo_workspace as write  # only this job needs the generator

    say = progress or (lambda text: None)
    if state == "incomplete" and if_missing:
        say(f"{store.path} is incomplete (no completeness marker): rebuilding it")
    started_at = utc_now()
    started = time.monotonic()
    try:
        with store.rebuilt() as target:
            kwargs = {"progress": progress}
            if seed is not None:
                kwargs["seed"] = seed
            result = write(target, **kwargs) or {}
            bars = result.get("bars") if isinstance(result.get("bars"), dict) else result
            summary = JobSummary("demo", str(store.path), added=int(bars.get("added", 0) or 0),
                                 updated=int(bars.get("updated", 0) or 0),
                                 unchanged=int(bars.get("unchanged", 0) or 0))
            with target.transaction():  # the log row and the marker commit together, last
                target.log_run("demo", None, started_at, "ok", added=summary.added, updated=summary.updated)
                target.set_workspace_meta(DEMO_COMPLETE_KEY, str(seed if seed is not None else DEFAULT_SEED))
    except Exception as exc:
        if store.exists():
            try:
                store.log_run("demo", None, started_at, "failed", error=sanitise(str(exc)))
            except StoreError:
                pass  # the original error matters more than the log row
        raise
    summary.seconds = time.monotonic() - started
    return summary
