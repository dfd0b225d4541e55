"""Corporate events (earnings, news) that confound IR activities: Yahoo's earnings dates, or a CSV file.

`python -m ingest load-events TICKER` stores Yahoo's earnings dates (past and scheduled, up to 100);
`python -m ingest load-events TICKER --file events.csv` imports a CSV of date,kind,title (kind: earnings,
news or other, by code or label), rejected whole with its problems by line. Either way the key is
(ticker, date, kind): loading the same events again adds nothing (unchanged), a new title is an update.
Dividends and splits are not imported here: they come with the bars (load-yahoo) and are read as
confounders from their own tables (store.confounding_events).
"""
from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from analytics.confounders import CONFOUNDER_KINDS
from ingest.activities import display_name
from ingest.csvread import best_date_format, date_problem, parse_date, pick_date_format, read_table, read_text, shown
from ingest.jobs import JobSummary, UsageError, _logged, usable_file
from ingest.providers import CsvFormatError, EmptyDataError, Provider, YFinanceProvider
from store import Store, upsert_corporate_events

EVENT_CSV_KINDS = ("earnings", "news", "other")  # dividends and splits have their own tables
TITLE_LIMIT = 300
HEADER_ALIASES = {"type": "kind", "event": "kind", "event_type": "kind", "category": "kind",
                  "description": "title", "name": "title", "headline": "title", "event_date": "date",
                  "earnings_date": "date", "day": "date"}
_KIND_WORDS = {"earnings release": "earnings", "earnings call": "earnings", "results": "earnings",
               "quarterly results": "earnings", "corporate news": "news", "news item": "news",
               "other corporate event": "other"}
_TICKER = re.compile(r"[A-Z0-9^][A-Z0-9.^=\-]{0,19}")


def event_kind_code(value: str) -> str | None:
    """'earnings' / 'Earnings release' / 'NEWS' -> its code among EVENT_CSV_KINDS; None when unknown."""
    v = value.strip().lower()
    if v in EVENT_CSV_KINDS:
        return v
    for code in EVENT_CSV_KINDS:
        if v in (CONFOUNDER_KINDS[code][0], CONFOUNDER_KINDS[code][1]):
            return code
    return _KIND_WORDS.get(v)


def checked_ticker(ticker: str) -> str:
    """The ticker upper-cased; ValueError saying what a symbol looks like when it is not one."""
    t = (ticker or "").strip().upper()
    if not _TICKER.fullmatch(t):
        raise ValueError(f"ticker '{shown(ticker, 30)}' is not a symbol: use letters, digits and . ^ = - "
                         "(at most 20 characters), as Yahoo spells it, e.g. AXGI or ^RUT")
    return t


def parse_events_csv(source, ticker: str) -> pd.DataFrame:
    """Corporate events of `ticker` (ticker, date, kind, title, source) from a CSV; CsvFormatError by line."""
    text, name = read_text(source)
    name = display_name(name)
    table, problems = read_table(text, HEADER_ALIASES)
    if table is None:
        raise CsvFormatError(name, problems, what="corporate events")
    missing = [c for c in ("date", "kind") if c not in table.header]
    if missing:
        problems.append((table.header_line, f"missing column(s) {', '.join(missing)}; expected date,kind,title "
                                            f"(kind: {', '.join(EVENT_CSV_KINDS)})"))
    elif not table.rows:
        problems.append((table.header_line, "no events after the header"))
    if problems:
        raise CsvFormatError(name, problems, what="corporate events")
    col = {h: i for i, h in enumerate(table.header)}
    n = len(table.header)
    dates = [f[col["date"]] for _, f in table.rows if len(f) == n]
    fmt = pick_date_format(dates) or best_date_format(dates)
    records, seen = [], {}
    for line, fields in table.rows:
        if len(fields) != n:
            problems.append((line, f"expected {n} fields like the header, found {len(fields)}"))
            continue
        get = lambda c: fields[col[c]].strip() if c in col else ""  # noqa: E731
        errs, rec = [], {"ticker": ticker, "source": f"csv:{name}"}
        raw = get("date")
        rec["date"] = None
        if not raw:
            errs.append("date is empty")
        else:
            try:
                parsed = parse_date(raw, fmt)
            except ValueError:
                errs.append(f"date '{shown(raw, 30)}' is not a date in the file's format ({fmt})")
            else:
                wrong = date_problem(parsed)
                if wrong:
                    errs.append(wrong)
                else:
                    rec["date"] = pd.Timestamp(parsed)
        rec["kind"] = event_kind_code(get("kind"))
        if rec["kind"] is None:
            hint = " (dividends and splits come with the bars from load-yahoo)" \
                if get("kind").lower().startswith(("dividend", "split")) else ""
            errs.append(f"kind '{shown(get('kind'), 40)}' is unknown; use one of {', '.join(EVENT_CSV_KINDS)}{hint}")
        title = get("title")
        if len(title) > TITLE_LIMIT:
            errs.append(f"title is {len(title):,} characters long, more than {TITLE_LIMIT}: shorten it")
        rec["title"] = title or None
        if errs:
            problems.append((line, "; ".join(errs)))
            continue
        key = (rec["date"], rec["kind"])
        if key in seen:
            problems.append((line, f"a second {rec['kind']} event on {rec['date'].date()} (line {seen[key]}): one "
                                   "event of a kind a day; put both in one title"))
            continue
        seen[key] = line
        records.append(rec)
    if problems:
        raise CsvFormatError(name, sorted(problems, key=lambda p: p[0]), what="corporate events")
    out = pd.DataFrame.from_records(records, columns=["ticker", "date", "kind", "title", "source"])
    out["date"] = pd.to_datetime(out["date"]).astype("datetime64[ns]")
    return out


def load_events(store: Store, ticker: str, file=None, provider: Provider | None = None,
                progress=None) -> JobSummary:
    """The load-events job: a CSV of corporate events, or (no file) Yahoo's earnings dates; logged, atomic."""
    try:
        symbol = checked_ticker(ticker)
    except ValueError as exc:
        raise UsageError(f"{exc}.") from None
    if file is not None:
        usable_file(file, "the corporate events file's")

    def work(finish):
        summary = JobSummary("load-events", symbol)
        if file is not None:
            if not Path(file).is_file():
                raise CsvFormatError(shown(file, 120), [(0, "file not found: check the path")], what="corporate events")
            events = parse_events_csv(file, symbol)
            replace = {}
        else:
            if progress:
                progress(f"fetching {symbol} earnings dates from Yahoo ...")
            source = provider or YFinanceProvider()
            events = source.fetch_earnings_dates(symbol)
            if len(events) == 0:
                raise EmptyDataError(
                    f"Yahoo lists no earnings dates for {symbol} (an unknown or delisted symbol, or a company "
                    "Yahoo has no calendar for, common for OTC stocks). Record them from a CSV with "
                    f"`python -m ingest load-events {symbol} --file events.csv` (date,kind,title).")
            replace = {"replace_range": (events["date"].min(), events["date"].max()), "replace_kind": "earnings",
                       "replace_source": getattr(source, "name", "yfinance")}
        with store.transaction():
            written = upsert_corporate_events(store, events, **replace)
            summary.added, summary.updated, summary.unchanged = written.added, written.updated, written.unchanged
            finish(summary)
        return summary
    return _logged(store, "load-events", symbol, work)
