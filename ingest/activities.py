"""Parse and validate an activity-log CSV (also used by the dashboard's editor), and merge it idempotently.

An activity's natural key is (client, date, type, title, end date): importing a log again adds nothing
(its rows are "unchanged"), and a row whose key is stored with another channel, reach, cost,
after-close flag, notes or link is "updated" in place.
"""
from __future__ import annotations

import datetime
import math
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from analytics.constants import ACTIVITY_TYPES
from ingest.csvread import (
    best_date_format, date_problem, finite_number, parse_date, pick_date_format, read_table, read_text, shown,
)
from ingest.providers.errors import CsvFormatError

ACTIVITY_INPUT_COLUMNS = ["client_id", "date", "end_date", "type", "title", "channel", "reach", "cost",
                          "after_close", "notes", "link"]
HEADER_ALIASES = {"client": "client_id", "activity": "type", "activity_type": "type", "kind": "type",
                  "start": "date", "start_date": "date", "end": "end_date", "description": "title",
                  "name": "title", "audience": "reach", "cost_usd": "cost", "usd": "cost", "url": "link",
                  "after_hours": "after_close", "aftermarket": "after_close"}
_TRUE = {"1", "true", "yes", "y", "t", "x"}
_FALSE = {"", "0", "false", "no", "n", "f"}

# Bounds every imported value is checked against (issue 11: no traceback on any input); dates are
# checked against analytics.settings' MIN_YEAR..MAX_YEAR by csvread.date_problem.
MAX_REACH = 10_000_000_000          # people: more than the world's population is a typo
MAX_COST = 1_000_000_000_000.0      # dollars for one activity
FIELD_LIMITS = {"client_id": 64, "type": 100, "title": 300, "channel": 100, "notes": 4000, "link": 2000}
NAME_CHARS = 80                     # at most this much of a file name is echoed in a message
NATURAL_KEY = ("client_id", "date", "type", "title", "end_date")
COMPARED = ("channel", "reach", "cost", "after_close", "notes", "link")


def display_name(name) -> str:
    """A file name fit for a message ('the uploaded file' when it is empty, '.' or '..')."""
    n = str(name or "").strip()
    return "the uploaded file" if n in ("", ".", "..") else shown(Path(n).name or n, NAME_CHARS)


def date_in_range(value, what: str) -> str | None:
    """csvread.date_problem for any date the editor holds (Timestamp, date, datetime or ISO text); None when fine."""
    if _blank(value):
        return None
    if isinstance(value, str):
        try:
            value = datetime.date.fromisoformat(value.strip()[:10])
        except ValueError:
            return f"{what} '{shown(value, 30)}' is not a date (YYYY-MM-DD)"
    if isinstance(value, pd.Timestamp):
        value = value.to_pydatetime()
    return date_problem(value, what)


def _number_problem(column: str, raw: str, delimiter: str) -> tuple[float | None, str | None]:
    """(value, None) or (None, message) for a reach or cost cell."""
    value, problem = finite_number(raw, column, delimiter)
    if problem:
        return None, problem
    if value < 0:
        return None, f"{column} {value:g} is negative"
    if column == "reach" and value > MAX_REACH:
        return None, f"reach {value:g} is more than {MAX_REACH:,} people: check the column"
    if column == "cost" and value > MAX_COST:
        return None, f"cost {value:g} is more than ${MAX_COST:,.0f} for one activity: check the column"
    if column == "reach" and value != int(value):
        return None, f"reach {value:g} is not a whole number"
    return (int(value) if column == "reach" else value), None


def activity_type_code(value: str) -> str | None:
    """The type code for a code, a label or a service letter (case-insensitive); None when unknown."""
    v = value.strip().lower()
    for code, (label, letter) in ACTIVITY_TYPES.items():
        if v in (code, label.lower(), code.replace("_", " ")) or (letter and v == letter.lower()):
            return code
    return None


def parse_activities_csv(source, client_id: str | None = None) -> pd.DataFrame:
    """Activities ready for Store.add_activities; raises CsvFormatError listing problems by line."""
    text, name = read_text(source)
    name = display_name(name)
    table, problems = read_table(text, HEADER_ALIASES)
    if table is None:
        raise CsvFormatError(name, problems, what="activity log")
    missing = [c for c in ("date", "type") if c not in table.header]
    if client_id is None and "client_id" not in table.header:
        missing.append("client_id (or pass --client)")
    if missing:
        problems.append((table.header_line, f"missing column(s) {', '.join(missing)}; expected at least "
                                            "date,type (and title, channel, reach, cost, after_close, ...)"))
    elif not table.rows:
        problems.append((table.header_line, "no activities after the header"))
    if problems:
        raise CsvFormatError(name, problems, what="activity log")
    col = {h: i for i, h in enumerate(table.header)}
    n = len(table.header)
    dates = [f[col[c]] for _, f in table.rows if len(f) == n for c in ("date", "end_date") if c in col]
    fmt = pick_date_format(dates) or best_date_format(dates)
    records, keys = [], {}
    for line, fields in table.rows:
        if len(fields) != n:
            problems.append((line, f"expected {n} fields like the header, found {len(fields)}"))
            continue
        get = lambda c: fields[col[c]].strip() if c in col else ""  # noqa: E731
        rec, errs = {}, []
        rec["client_id"] = get("client_id") or client_id
        if client_id and get("client_id") and get("client_id") != client_id:
            errs.append(f"client '{shown(get('client_id'), 40)}' is not the client being imported ({client_id})")
        for c, limit in FIELD_LIMITS.items():
            if len(get(c)) > limit:
                errs.append(f"{c} is {len(get(c)):,} characters long, more than {limit:,}: shorten it")
        for c in ("date", "end_date"):
            raw = get(c)
            if not raw:
                rec[c] = None
                if c == "date":
                    errs.append("date is empty")
                continue
            rec[c] = None
            try:
                parsed = parse_date(raw, fmt)
            except ValueError:
                errs.append(f"{c} '{shown(raw, 30)}' is not a date in the file's format ({fmt})")
                continue
            wrong = date_problem(parsed, c)
            if wrong:
                errs.append(wrong)
                continue
            rec[c] = pd.Timestamp(parsed)
        if rec.get("end_date") is not None and rec.get("date") is not None and rec["end_date"] < rec["date"]:
            errs.append(f"end_date {rec['end_date'].date()} is before date {rec['date'].date()}")
        code = activity_type_code(get("type"))
        if code is None:
            errs.append(f"type '{shown(get('type'), 40)}' is unknown; use a code or label of: "
                        + ", ".join(ACTIVITY_TYPES))
        rec["type"] = code
        for c in ("reach", "cost"):
            raw = get(c)
            rec[c] = None
            if raw:
                rec[c], problem = _number_problem(c, raw, table.delimiter)
                if problem:
                    errs.append(problem)
        raw = get("after_close").lower()
        if raw not in _TRUE | _FALSE:
            errs.append(f"after_close '{shown(raw, 30)}' must be yes/no (or true/false, 1/0)")
        rec["after_close"] = raw in _TRUE
        for c in ("title", "channel", "notes", "link"):
            rec[c] = get(c) or None
        if errs:
            problems.append((line, "; ".join(errs)))
        else:
            records.append(rec)
            keys.setdefault(_key(rec), []).append(line)
    for lines in keys.values():
        for line in lines[1:]:
            problems.append((line, f"same client, date, type, title and end date as line {lines[0]}: a second "
                                   "import could not tell them apart; give them different titles or merge them"))
    problems.sort(key=lambda p: p[0])
    if problems:
        raise CsvFormatError(name, problems, what="activity log")
    frame = pd.DataFrame.from_records(records, columns=ACTIVITY_INPUT_COLUMNS)
    frame["date"] = pd.to_datetime(frame["date"]).astype("datetime64[ns]")
    frame["end_date"] = pd.to_datetime(frame["end_date"]).astype("datetime64[ns]")
    frame["reach"] = frame["reach"].astype("Int64")
    frame["cost"] = pd.to_numeric(frame["cost"]).astype("float64")
    return frame


def validate_activities(frame: pd.DataFrame) -> list[tuple[int, str]]:
    """Problems (row position, message) of an edited activity frame; empty when it is valid."""
    out = []
    for i, row in enumerate(frame.reset_index(drop=True).itertuples(index=False)):
        r = row._asdict()
        if pd.isna(r.get("date")):
            out.append((i, "date is empty"))
        if r.get("type") not in ACTIVITY_TYPES and activity_type_code(str(r.get("type") or "")) is None:
            out.append((i, f"type '{shown(r.get('type'), 40)}' is unknown"))
        end, start = r.get("end_date"), r.get("date")
        for c, v in (("date", start), ("end_date", end)):
            problem = date_in_range(v, c)
            if problem:
                out.append((i, problem))
        if not _blank(end) and not _blank(start) and not date_in_range(end, "") and not date_in_range(start, "") \
                and pd.Timestamp(end) < pd.Timestamp(start):
            out.append((i, "end_date is before date"))
        for c in ("reach", "cost"):
            v = r.get(c)
            if _blank(v):
                continue
            try:
                x = float(v)
            except (TypeError, ValueError, OverflowError):
                out.append((i, f"{c} '{shown(v, 30)}' is not a number"))
                continue
            if not math.isfinite(x):
                out.append((i, f"{c} is not a finite number (nan, inf or too large)"))
            elif x < 0:
                out.append((i, f"{c} is negative"))
            elif c == "reach" and x > MAX_REACH:
                out.append((i, f"reach {x:g} is more than {MAX_REACH:,} people"))
            elif c == "cost" and x > MAX_COST:
                out.append((i, f"cost {x:g} is more than ${MAX_COST:,.0f} for one activity"))
        for c, limit in FIELD_LIMITS.items():
            v = r.get(c)
            if isinstance(v, str) and len(v) > limit:
                out.append((i, f"{c} is {len(v):,} characters long, more than {limit:,}"))
    return out


def _blank(value) -> bool:
    return value is None or (not isinstance(value, str) and pd.isna(value))


def _key(rec) -> tuple:
    """The natural key of an activity record: (client, date, type, title, end date), blanks as None."""
    out = []
    for c in NATURAL_KEY:
        v = rec.get(c)
        if _blank(v) or (isinstance(v, str) and not v.strip()):
            out.append(None)
        elif c in ("date", "end_date"):
            out.append(pd.Timestamp(v).normalize())
        else:
            out.append(str(v).strip())
    return tuple(out)


def _same(a, b) -> bool:
    if _blank(a) or (isinstance(a, str) and not a.strip()):
        return _blank(b) or (isinstance(b, str) and not b.strip())
    if _blank(b):
        return False
    if isinstance(a, (bool, int, float)) or isinstance(b, (bool, int, float)):
        try:
            return float(a) == float(b)
        except (TypeError, ValueError):
            return False
    return str(a) == str(b)


@dataclass
class ActivityMerge:
    """What merge_activities did: counts, new ids, and the ids of the rows it changed."""

    added: int = 0
    updated: int = 0
    unchanged: int = 0
    added_ids: list[int] = field(default_factory=list)
    updated_ids: list[int] = field(default_factory=list)


def merge_activities(store, frame: pd.DataFrame) -> ActivityMerge:
    """Add the activities of `frame` that are new by natural key; update those stored with other fields.

    The natural key is (client_id, date, type, title, end_date); an empty title or end date matches an
    empty one. A stored activity with the same key and the same channel, reach, cost, after_close,
    notes and link is unchanged; with any of those different it is updated in place (its id and
    created_at stay). When the store already holds the same key twice (an import made before imports
    were idempotent), the row is matched to the oldest. One transaction: all of it or nothing.
    """
    result = ActivityMerge()
    if len(frame) == 0:
        return result
    records = frame.to_dict("records")
    keys = [_key(r) for r in records]
    dup = [i for i, k in enumerate(keys) if keys.index(k) != i]
    if dup:
        raise ValueError(f"merge_activities: rows {dup[:5]} repeat the natural key (client, date, type, title, "
                         "end date) of an earlier row; parse the log with parse_activities_csv first.")
    clients = sorted({k[0] for k in keys if k[0]})
    with store.transaction():
        stored = pd.concat([store.activities(c) for c in clients], ignore_index=True) if clients else None
        existing: dict[tuple, dict] = {}
        if stored is not None:
            for row in stored.sort_values("activity_id").to_dict("records"):
                existing.setdefault(_key(row), row)
        new = []
        for rec, key in zip(records, keys):
            old = existing.get(key)
            if old is None:
                new.append(rec)
                continue
            changed = {c: rec.get(c) for c in COMPARED if c in frame.columns and not _same(rec.get(c), old.get(c))}
            if changed:
                store.update_activity(int(old["activity_id"]), **changed)
                result.updated += 1
                result.updated_ids.append(int(old["activity_id"]))
            else:
                result.unchanged += 1
        if new:
            result.added_ids = store.add_activities(pd.DataFrame(new, columns=frame.columns))
            result.added = len(result.added_ids)
    return result
