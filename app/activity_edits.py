"""Turn the activity editor's pending edits into validated store writes (presentation glue).

``st.data_editor`` reports edits as ``{"edited_rows": {pos: {col: value}}, "added_rows": [{col:
value}], "deleted_rows": [pos]}`` against the frame it was given; this module maps them to activity
ids, checks each row with the shared rules of ``ingest.activities.validate_activities`` (date given,
type from the vocabulary, end not before the date, reach and cost not negative) plus the one rule that
needs the store (the date inside the stored prices), and returns what to write, or the problems in words.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from ingest.activities import activity_type_code, validate_activities

EDITABLE = ["date", "end_date", "type", "title", "channel", "reach", "cost", "after_close", "notes", "link"]


@dataclass
class Changes:
    added: pd.DataFrame
    updated: dict[int, dict] = field(default_factory=dict)
    deleted: list[int] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return self.added.empty and not self.updated and not self.deleted


def _clean(value):
    if value is None or value is pd.NA or (isinstance(value, float) and pd.isna(value)) or value == "":
        return None
    return value


def _normalise(row: dict) -> dict:
    """Dates as timestamps (NaT when unreadable) and a type label or letter as its code."""
    out = dict(row)
    for col in ("date", "end_date"):
        out[col] = pd.to_datetime(out.get(col), errors="coerce")
    code = activity_type_code(str(out.get("type") or ""))
    if code is not None:
        out["type"] = code
    return out


def _check(rows: list[tuple[str, dict]], first=None, last=None) -> list[str]:
    """Problems of the ``(label, row)`` pairs: the shared rules, then the dates against the stored prices."""
    if not rows:
        return []
    problems = []
    for label, row in rows:  # the grid's number columns give numbers; the validator expects them
        for col in ("reach", "cost"):
            if _clean(row.get(col)) is not None and pd.isna(pd.to_numeric(row[col], errors="coerce")):
                problems.append(f"{label}: {col} must be a number.")
                row[col] = None
    frame = pd.DataFrame([row for _, row in rows], columns=EDITABLE)
    problems += [f"{rows[i][0]}: {message}." for i, message in validate_activities(frame)]
    if first is not None and last is not None:
        for label, row in rows:
            day = row.get("date")
            if pd.notna(day) and not first <= day <= last:
                problems.append(f"{label}: {day:%Y-%m-%d} is outside the stored prices "
                                f"({first:%Y-%m-%d} to {last:%Y-%m-%d}).")
    return problems


def pending_changes(edits: dict | None, shown: pd.DataFrame, client_id: str,
                    first=None, last=None) -> Changes:
    """Validated changes from the editor state ``edits`` against the frame ``shown``."""
    edits = edits or {}
    first = None if first is None else pd.Timestamp(first)
    last = None if last is None else pd.Timestamp(last)
    out = Changes(added=pd.DataFrame(columns=["client_id", *EDITABLE]))
    ids = shown["activity_id"].tolist() if "activity_id" in shown else []
    checks: list[tuple[str, dict]] = []
    for pos, change in (edits.get("edited_rows") or {}).items():
        pos = int(pos)
        if pos >= len(ids):
            continue
        fields = {k: _clean(v) for k, v in change.items() if k in EDITABLE}
        if not fields:
            continue
        if "type" in fields:
            fields["type"] = _normalise(fields)["type"]
        checks.append((f"Activity {ids[pos]}", _normalise({**shown.iloc[pos][EDITABLE].to_dict(), **fields})))
        out.updated[int(ids[pos])] = fields
    rows = []
    for n, row in enumerate(edits.get("added_rows") or [], start=1):
        row = {k: _clean(v) for k, v in row.items() if k in EDITABLE}
        if not any(v is not None for v in row.values()):
            continue
        row = _normalise({c: row.get(c) for c in EDITABLE})
        checks.append((f"New row {n}", row))
        rows.append({"client_id": client_id, **row})
    out.errors = _check(checks, first, last)
    if rows:
        added = pd.DataFrame(rows)
        added["date"] = pd.to_datetime(added["date"], errors="coerce")
        added["end_date"] = pd.to_datetime(added["end_date"], errors="coerce")
        added["after_close"] = added["after_close"].fillna(False).astype(bool)
        out.added = added
    out.deleted = [int(ids[int(p)]) for p in (edits.get("deleted_rows") or []) if int(p) < len(ids)]
    return out
