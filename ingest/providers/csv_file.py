"""CSV provider: Yahoo's export `Date,Open,High,Low,Close,Adj Close,Volume` and its usual variants."""
from __future__ import annotations

import os
import re
from datetime import datetime

import numpy as np
import pandas as pd

from ingest.bars import OHLC_TOLERANCE
from ingest.csvread import (best_date_format, date_problem, parse_date, parse_number, pick_date_format, read_table,
                            read_text, shown)
from ingest.providers.base import Provider
from ingest.providers.errors import CsvFormatError, EmptyDataError

HEADER_ALIASES = {
    "adj_close": "adj_close", "adjclose": "adj_close", "adj": "adj_close", "adjusted_close": "adj_close",
    "adj_close_price": "adj_close", "close_adj": "adj_close",
    "vol": "volume", "shares_traded": "volume", "timestamp": "date", "day": "date", "trade_date": "date",
    "open_price": "open", "high_price": "high", "low_price": "low", "close_price": "close", "last": "close",
    "price": "close",
}
REQUIRED = ["date", "open", "high", "low", "close", "volume"]
NUMERIC = ["open", "high", "low", "close", "adj_close", "volume"]
MAX_PRICE = 1e9     # dollars per share: far above any listed stock, below anything the analytics overflow on
MAX_VOLUME = 1e15   # shares a day
_ACTION_ROW = re.compile(r"(stock split|dividend)", re.IGNORECASE)


def parse_price_csv(source, ticker: str, today: datetime | None = None) -> pd.DataFrame:
    """Canonical bars from a price CSV; raises CsvFormatError listing the first problems by line."""
    text, name = read_text(source)
    table, problems = read_table(text, HEADER_ALIASES)
    if table is None:
        raise CsvFormatError(name, problems)
    missing = [c for c in REQUIRED if c not in table.header]
    if missing:
        found = shown(", ".join(h for h in table.header[:12] if h) or "none", 120)
        problems.append((table.header_line, f"missing column(s) {', '.join(missing)} (found: {found}); a Yahoo "
                                            "export has Date,Open,High,Low,Close,Adj Close,Volume"))
        raise CsvFormatError(name, problems)
    if not table.rows:
        problems.append((table.header_line, "no data rows after the header"))
        raise CsvFormatError(name, problems)
    if problems:
        raise CsvFormatError(name, problems)

    col = {h: i for i, h in enumerate(table.header)}
    n_fields = len(table.header)
    today = pd.Timestamp(today or datetime.now()).normalize()
    date_values = [fields[col["date"]] for _, fields in table.rows if len(fields) == n_fields]
    fmt = pick_date_format(date_values) or best_date_format(date_values)
    records, seen = [], {}
    for line, fields in table.rows:
        joined = " ".join(fields)
        if _ACTION_ROW.search(joined):
            problems.append((line, f"'{shown(joined.strip())}' is a split/dividend row, not a price bar: remove it "
                                   "(load splits separately)"))
            continue
        if len(fields) != n_fields:
            problems.append((line, f"expected {n_fields} fields like the header, found {len(fields)}"))
            continue
        row_problems = []
        raw_date = fields[col["date"]].strip()
        day = None
        if not raw_date:
            row_problems.append("date is empty")
        else:
            try:
                parsed = parse_date(raw_date, fmt)
            except ValueError:
                row_problems.append(f"date '{shown(raw_date)}' is not a date in the file's format ({fmt})")
            else:
                out_of_range = date_problem(parsed)
                if out_of_range:
                    row_problems.append(out_of_range)
                else:
                    day = pd.Timestamp(parse_date(raw_date, fmt))
        values = {}
        for c in NUMERIC:
            if c not in col:
                continue
            raw = fields[col[c]].strip()
            if not raw:
                row_problems.append(f"{c} is empty")
            elif raw.lower() in ("null", "nan", "n/a", "na", "-"):
                row_problems.append(f"{c} is '{shown(raw)}' (no data for this day): delete the row")
            else:
                try:
                    values[c] = parse_number(raw, table.delimiter)
                except OverflowError:
                    row_problems.append(f"{c} '{shown(raw)}' is not a finite number")
                except ValueError:
                    row_problems.append(f"{c} '{shown(raw)}' is not a number")
        if not row_problems:
            row_problems = _bar_problems(values, day, today)
        if day is not None and not row_problems:
            if day in seen:
                row_problems.append(f"date {day.date()} repeats line {seen[day]}")
            else:
                seen[day] = line
        if row_problems:
            problems.append((line, "; ".join(row_problems)))
            continue
        records.append((day, values))
    if problems:
        raise CsvFormatError(name, problems)
    frame = pd.DataFrame({
        "ticker": ticker.upper(),
        "date": pd.DatetimeIndex([d for d, _ in records]).astype("datetime64[ns]"),
        **{c: np.array([v.get(c, v["close"]) for _, v in records], dtype="float64")
           for c in ("open", "high", "low", "close", "adj_close", "volume")},
        "source": f"csv:{name}",
    })
    return frame.sort_values("date").reset_index(drop=True)


def _bar_problems(v: dict, day, today) -> list[str]:
    out = []
    tol = 1 + OHLC_TOLERANCE
    for c in ("open", "high", "low", "close", "adj_close"):
        if c in v and v[c] <= 0:
            out.append(f"{c} {v[c]:g} must be positive")
        elif c in v and v[c] > MAX_PRICE:
            out.append(f"{c} {v[c]:g} is above {MAX_PRICE:g}: check the column and the decimal separator")
    if v["volume"] < 0:
        out.append(f"volume {v['volume']:g} is negative")
    elif v["volume"] > MAX_VOLUME:
        out.append(f"volume {v['volume']:g} is above {MAX_VOLUME:g} shares: check the column")
    if out:
        return out
    if v["high"] * tol < v["low"]:
        out.append(f"high {v['high']:g} is below low {v['low']:g}")
    else:
        for c in ("open", "close"):
            if v[c] > v["high"] * tol or v[c] * tol < v["low"]:
                out.append(f"{c} {v[c]:g} is outside low..high ({v['low']:g}..{v['high']:g})")
    if day is not None and day > today:
        out.append(f"date {day.date()} is in the future")
    return out


class CsvProvider(Provider):
    """Bars from a CSV file given at construction (`path`), for the ticker asked."""

    name = "csv"

    def __init__(self, path, today: datetime | None = None):
        self.path = path
        self.today = today

    def fetch_bars(self, ticker: str, start=None, end=None) -> pd.DataFrame:
        if isinstance(self.path, (str, os.PathLike)) and not os.path.isfile(self.path):
            raise CsvFormatError(str(self.path), [(0, "file not found: check the path")])
        bars = parse_price_csv(self.path, ticker, today=self.today)
        if start is not None:
            bars = bars[bars["date"] >= pd.Timestamp(start)]
        if end is not None:
            bars = bars[bars["date"] <= pd.Timestamp(end)]
        if len(bars) == 0:
            raise EmptyDataError(f"{self.path}: no bars between {start} and {end}; widen the range.")
        return bars.reset_index(drop=True)
