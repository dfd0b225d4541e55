"""The ingest jobs. Each logs to ingest_log (failures too), writes only through the store, and returns a summary."""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import pandas as pd

from analytics.constants import REFRESH_OVERLAP_DAYS
from ingest.activities import parse_activities_csv
from ingest.bars import BarValidationError, validate_bars
from ingest.terms import TermsError, load_terms, write_terms
from ingest.providers import (
    CsvFormatError, CsvProvider, EmptyDataError, NetworkUnavailableError, Provider, ProviderError,
    ProviderTimeoutError, RateLimitedError, TickerNotFoundError, YFinanceProvider,
)
from store import Store, StoreBusyError, StoreError
from store.schema import utc_now

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

EXIT_CODES = {EXIT_OK: "success", EXIT_ERROR: "unexpected error", EXIT_USAGE: "wrong command line",
              EXIT_BAD_INPUT: "input rejected (CSV, bar or terms validation)", EXIT_NOT_FOUND: "ticker not found or no data",
              EXIT_NETWORK: "no network or network timeout", EXIT_RATE_LIMITED: "rate limited by Yahoo",
              EXIT_BUSY: "workspace locked by another process", EXIT_PARTIAL: "refresh partly failed"}


def exit_code_for(exc: BaseException) -> int:
    """The CLI exit code for an error raised by a job."""
    for kinds, code in (((CsvFormatError, BarValidationError, TermsError), EXIT_BAD_INPUT),
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
                      rejected=summary.rejected, error="; ".join(summary.errors)[:2000] or None)
        logged.append(True)

    try:
        summary = work(finish)
    except BaseException as exc:
        rejected = len(getattr(exc, "problems", []) or [])
        try:
            store.log_run(job, ticker, started_at, "failed", rejected=rejected, error=str(exc)[:2000])
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

    def work(finish):
        if not Path(path).is_file():
            raise CsvFormatError(str(path), [(0, "file not found: check the path")])
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
    """Append the activities of a CSV log to a client (rejected whole on any problem)."""

    def work(finish):
        if not Path(path).is_file():
            raise CsvFormatError(str(path), [(0, "file not found: check the path")], what="activity log")
        frame = parse_activities_csv(path, client_id=client_id)
        known = store.clients()["client_id"].tolist()
        if client_id not in known:
            raise StoreError(f"Unknown client '{client_id}' (known: {', '.join(known) or 'none'}): add the client "
                             "first (the dashboard's Data page, or the import-terms job), or check the --client "
                             "spelling.")
        ids = store.add_activities(frame)
        return JobSummary("import-activities", client_id, added=len(ids))
    return _logged(store, "import-activities", None, work)


def import_terms(store: Store, path) -> JobSummary:
    """Store an engagement's terms from a TOML file (ingest.terms): all of it, or nothing."""
    def work(finish):
        if not Path(path).is_file():
            raise TermsError(str(path), ["file not found: check the path"])
        try:
            text = Path(path).read_text(encoding="utf-8")
        except UnicodeDecodeError as exc:
            raise TermsError(str(path), [f"not a UTF-8 text file ({exc.reason})"]) from exc
        terms = load_terms(text, Path(path).name, store.clients() if store.exists() else None)
        written = write_terms(store, terms)
        rows = written["option_grants"] + written["financings"] + written["shares_outstanding"]
        return JobSummary("import-terms", f"{terms.client_id} engagement {written['engagement_id']}",
                          added=rows + int(written["created"]), updated=int(not written["created"]))
    return _logged(store, "import-terms", None, work)


def demo(store: Store, seed: int | None = None, if_missing: bool = False,
         progress: Progress | None = None) -> JobSummary:
    """(Re)build the simulated demo workspace with ingest.demo.write_demo_workspace."""
    if if_missing and store.exists():
        try:
            if store.workspace_info()["simulated"] and len(store.coverage()):
                return JobSummary("demo", str(store.path), status="already there")
        except StoreError:
            pass
    from ingest.demo import write_demo_workspace as write  # the generator is only needed by this job

    def work(finish):
        kwargs = {"progress": progress}
        if seed is not None:
            kwargs["seed"] = seed
        result = write(store, **kwargs) or {}
        bars = result.get("bars") if isinstance(result.get("bars"), dict) else result
        return JobSummary("demo", str(store.path), added=int(bars.get("added", 0) or 0),
                          updated=int(bars.get("updated", 0) or 0), unchanged=int(bars.get("unchanged", 0) or 0))
    return _logged(store, "demo", None, work)
