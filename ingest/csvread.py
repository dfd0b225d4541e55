"""Reading user CSV files with line numbers: encodings, delimiters, header aliases, dates, numbers."""
from __future__ import annotations

import csv
import io
import math
import re
from datetime import date, datetime
from pathlib import Path

from analytics.settings import MAX_YEAR, MIN_YEAR

DATE_MIN, DATE_MAX = date(MIN_YEAR, 1, 1), date(MAX_YEAR, 12, 31)
ECHO_LIMIT = 40  # characters of a user's value quoted back in a message
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u200b-\u200f\u202a-\u202e\u2066-\u2069]")


def shown(value, limit: int = ECHO_LIMIT) -> str:
    """A user's value as a message may quote it: control and bidi characters as ``\\xNN``, at most ``limit`` chars.

    Messages end up in the ingest log every visitor of the Data page sees: never echo raw file content.
    """
    text = str(value)
    cut = len(text) > limit
    text = _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}" if ord(m.group()) < 256 else f"\\u{ord(m.group()):04x}",
                        text[:limit])
    return text + ("..." if cut else "")


def date_problem(day, what: str = "date") -> str | None:
    """Why ``day`` (a date, datetime or Timestamp) is not accepted, or None: it must lie in 1900-01-01..2100-12-31."""
    d = day.date() if isinstance(day, datetime) or hasattr(day, "to_pydatetime") else day
    if not DATE_MIN <= d <= DATE_MAX:
        return f"{what} {d.isoformat()} is outside {DATE_MIN}..{DATE_MAX}: check the year"
    return None

# Tried in this order; the first that parses every date of the file wins (US month/day before day/month).
DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%m/%d/%Y", "%m/%d/%y", "%d.%m.%Y", "%d/%m/%Y", "%b %d, %Y",
                "%B %d, %Y", "%d-%b-%Y", "%d %b %Y", "%Y%m%d")


class Table:
    """Rows of a CSV with their 1-based file line numbers and normalised header names."""

    def __init__(self, header: list[str], rows: list[tuple[int, list[str]]], delimiter: str, header_line: int):
        self.header = header
        self.rows = rows
        self.delimiter = delimiter
        self.header_line = header_line


def read_text(source) -> tuple[str, str]:
    """(text, display name) of a path, bytes or text buffer; a BOM is dropped."""
    if isinstance(source, (str, Path)):
        name = shown(Path(source).name, 80)
        data = Path(source).read_bytes()
    elif isinstance(source, bytes):
        name, data = "upload.csv", source
    else:
        name = getattr(source, "name", "upload.csv")
        data = source.read()
        name = shown(Path(str(name)).name, 80)
    if isinstance(data, str):
        return data.lstrip("\ufeff"), name
    if b"\x00" in data[:4096]:
        return "\x00", name
    try:
        return data.decode("utf-8-sig"), name
    except UnicodeDecodeError:
        return data.decode("latin-1"), name


def sniff_delimiter(line: str) -> str:
    """The delimiter of a header line: the most frequent of , ; tab |."""
    counts = {d: line.count(d) for d in (",", ";", "\t", "|")}
    best = max(counts, key=counts.get)
    return best if counts[best] else ","


def normalise_header(name: str) -> str:
    """'Adj. Close**' -> 'adj_close'."""
    key = re.sub(r"[^a-z0-9]+", "_", name.strip().lower().replace("*", "")).strip("_")
    return key


def read_table(text: str, aliases: dict[str, str]) -> tuple[Table | None, list[tuple[int, str]]]:
    """Parse text into a Table; problems are (line, message)."""
    if text == "\x00":
        return None, [(1, "this is not a text CSV file (binary content): export the data as CSV and retry")]
    if not text.strip():
        return None, [(1, "the file is empty")]
    lines = text.splitlines()
    header_line = next(i for i, line in enumerate(lines, 1) if line.strip())
    first = lines[header_line - 1].lstrip()
    if first.startswith("<") or first.lower().startswith("<!doctype"):
        return None, [(header_line, "this is an HTML page, not a CSV export: download the CSV file itself")]
    if first.startswith("{") or first.startswith("["):
        return None, [(header_line, "this is JSON, not CSV: export the data as CSV")]
    delimiter = sniff_delimiter(lines[header_line - 1])
    reader = csv.reader(io.StringIO("\n".join(lines[header_line - 1:])), delimiter=delimiter)
    problems: list[tuple[int, str]] = []
    try:
        raw_header = next(reader)
    except csv.Error as exc:
        return None, [(header_line, f"unreadable header: {exc}")]
    header = [aliases.get(normalise_header(h), normalise_header(h)) for h in raw_header]
    seen: set[str] = set()
    for h in header:
        if h and h in seen:
            problems.append((header_line, f"column '{h}' appears twice"))
        seen.add(h)
    rows = []
    try:
        for offset, fields in enumerate(reader):
            line = header_line + 1 + offset
            if not any(f.strip() for f in fields):
                continue
            rows.append((line, fields))
    except csv.Error as exc:
        problems.append((header_line + 1 + len(rows), f"unreadable CSV: {exc}"))
    return Table(header, rows, delimiter, header_line), problems


def parse_number(text: str, delimiter: str) -> float:
    """'1,234.5' -> 1234.5; with ';' files '0,05' -> 0.05; raises ValueError when not a number."""
    t = text.strip().replace("$", "").replace("\u00a0", "").replace(" ", "").replace("_", "")
    if delimiter == ";" and re.fullmatch(r"[-+]?[1-9]\d{0,2}(\.\d{3})+", t):
        t = t.replace(".", "")  # 1.200 in a decimal-comma file is a thousand two hundred
    elif delimiter == ";" and "," in t and "." not in t:
        t = t.replace(",", ".")
    elif delimiter == ";" and "," in t and "." in t and t.index(".") < t.index(","):
        t = t.replace(".", "").replace(",", ".")  # 1.234,56
    else:
        if re.fullmatch(r"[-+]?\d{1,3}(,\d{3})+(\.\d*)?", t):
            t = t.replace(",", "")
    value = float(t)
    if not math.isfinite(value):
        raise OverflowError(text)
    return value


def finite_number(raw: str, column: str, delimiter: str) -> tuple[float | None, str | None]:
    """``(value, None)`` for a finite number cell, or ``(None, message)`` naming the column and the
    (capped) cell: the first check of every numeric column of the CSV imports."""
    try:
        return parse_number(raw, delimiter), None
    except OverflowError:
        return None, f"{column} '{shown(raw, 30)}' is not a finite number (nan, inf or too large)"
    except ValueError:
        return None, f"{column} '{shown(raw, 30)}' is not a number"


def pick_date_format(values: list[str]) -> str | None:
    """The first DATE_FORMATS entry that parses every non-empty value (None when none does)."""
    cleaned = [clean_date(v) for v in values if v.strip()]
    for fmt in DATE_FORMATS:
        try:
            for v in cleaned:
                datetime.strptime(v, fmt)
            return fmt
        except ValueError:
            continue
    return None


def clean_date(value: str) -> str:
    """Drop a time part from ISO timestamps ('1999-01-04 00:00:00-05:00' -> '1999-01-04')."""
    v = value.strip()
    m = re.match(r"^(\d{4}-\d{2}-\d{2})[T ]\d", v)
    return m.group(1) if m else v


def best_date_format(values: list[str]) -> str:
    """The format that parses the most values (to report the ones that do not fit)."""
    cleaned = [clean_date(v) for v in values if v.strip()]

    def score(fmt):
        n = 0
        for v in cleaned:
            try:
                datetime.strptime(v, fmt)
                n += 1
            except ValueError:
                pass
        return n
    return max(DATE_FORMATS, key=score)


def parse_date(value: str, fmt: str) -> datetime:
    """Parse one date with the file's format."""
    return datetime.strptime(clean_date(value), fmt)
