"""Parse and validate an activity-log CSV (also used by the dashboard's editor)."""
from __future__ import annotations

import pandas as pd

from analytics.constants import ACTIVITY_TYPES
from ingest.csvread import best_date_format, parse_date, parse_number, pick_date_format, read_table, read_text
from ingest.providers.errors import CsvFormatError

ACTIVITY_INPUT_COLUMNS = ["client_id", "date", "end_date", "type", "title", "channel", "reach", "cost",
                          "after_close", "notes", "link"]
HEADER_ALIASES = {"client": "client_id", "activity": "type", "activity_type": "type", "kind": "type",
                  "start": "date", "start_date": "date", "end": "end_date", "description": "title",
                  "name": "title", "audience": "reach", "cost_usd": "cost", "usd": "cost", "url": "link",
                  "after_hours": "after_close", "aftermarket": "after_close"}
_TRUE = {"1", "true", "yes", "y", "t", "x"}
_FALSE = {"", "0", "false", "no", "n", "f"}


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
    records = []
    for line, fields in table.rows:
        if len(fields) != n:
            problems.append((line, f"expected {n} fields like the header, found {len(fields)}"))
            continue
        get = lambda c: fields[col[c]].strip() if c in col else ""  # noqa: E731
        rec, errs = {}, []
        rec["client_id"] = get("client_id") or client_id
        if client_id and get("client_id") and get("client_id") != client_id:
            errs.append(f"client '{get('client_id')}' is not the client being imported ({client_id})")
        for c in ("date", "end_date"):
            raw = get(c)
            if not raw:
                rec[c] = None
                if c == "date":
                    errs.append("date is empty")
                continue
            try:
                rec[c] = pd.Timestamp(parse_date(raw, fmt))
            except ValueError:
                errs.append(f"{c} '{raw}' is not a date in the file's format ({fmt})")
                rec[c] = None
        if rec.get("end_date") is not None and rec.get("date") is not None and rec["end_date"] < rec["date"]:
            errs.append(f"end_date {rec['end_date'].date()} is before date {rec['date'].date()}")
        code = activity_type_code(get("type"))
        if code is None:
            errs.append(f"type '{get('type')}' is unknown; use a code or label of: "
                        + ", ".join(ACTIVITY_TYPES))
        rec["type"] = code
        for c in ("reach", "cost"):
            raw = get(c)
            rec[c] = None
            if raw:
                try:
                    value = parse_number(raw, table.delimiter)
                except ValueError:
                    errs.append(f"{c} '{raw}' is not a number")
                    continue
                if value < 0:
                    errs.append(f"{c} {value:g} is negative")
                elif c == "reach" and value != int(value):
                    errs.append(f"reach {value:g} is not a whole number")
                else:
                    rec[c] = int(value) if c == "reach" else value
        raw = get("after_close").lower()
        if raw not in _TRUE | _FALSE:
            errs.append(f"after_close '{raw}' must be yes/no (or true/false, 1/0)")
        rec["after_close"] = raw in _TRUE
        for c in ("title", "channel", "notes", "link"):
            rec[c] = get(c) or None
        if errs:
            problems.append((line, "; ".join(errs)))
        else:
            records.append(rec)
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
            out.append((i, f"type '{r.get('type')}' is unknown"))
        end, start = r.get("end_date"), r.get("date")
        if end is not None and not pd.isna(end) and not pd.isna(start) and pd.Timestamp(end) < pd.Timestamp(start):
            out.append((i, "end_date is before date"))
        for c in ("reach", "cost"):
            v = r.get(c)
            if v is not None and not pd.isna(v) and float(v) < 0:
                out.append((i, f"{c} is negative"))
    return out
