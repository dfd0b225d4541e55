"""Turn the activity editor's pending edits into validated store writes (presentation glue).

``st.data_editor`` reports edits as ``{"edited_rows": {pos: {col: value}}, "added_rows": [{col:
value}], "deleted_rows": [pos]}`` against the frame it was given; this module maps them to activity
ids, checks each row (type from the vocabulary, dates inside the stored prices, reach and cost not
negative, a title) and returns what to write, or the problems in words.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from analytics.constants import ACTIVITY_TYPE_CODES

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
    if value is None or (isinstance(value, float) and pd.isna(value)) or value == "":
        return None
    return value


def _check(row: dict, label: str, first=None, last=None) -> list[str]:
    problems = []
    if row.get("type") not in ACTIVITY_TYPE_CODES:
        problems.append(f"{label}: type must be one of the list (got {row.get('type')!r}).")
    if not row.get("title"):
        problems.append(f"{label}: a title is needed.")
    try:
        day = pd.Timestamp(row.get("date"))
        if pd.isna(day):
            raise ValueError
    except (TypeError, ValueError):
        problems.append(f"{label}: the date is missing or not a date.")
        day = None
    if day is not None and first is not None and last is not None and not (first <= day <= last):
        problems.append(f"{label}: {day:%Y-%m-%d} is outside the stored prices ({first:%Y-%m-%d} to {last:%Y-%m-%d}).")
    end = _clean(row.get("end_date"))
    if end is not None and day is not None and pd.Timestamp(end) < day:
        problems.append(f"{label}: the end date is before the date.")
    for col in ("reach", "cost"):
        v = _clean(row.get(col))
        if v is not None:
            try:
                if float(v) < 0:
                    problems.append(f"{label}: {col} cannot be negative.")
            except (TypeError, ValueError):
                problems.append(f"{label}: {col} must be a number.")
    return problems


def pending_changes(edits: dict | None, shown: pd.DataFrame, client_id: str,
                    first=None, last=None) -> Changes:
    """Validated changes from the editor state ``edits`` against the frame ``shown``."""
    edits = edits or {}
    first = None if first is None else pd.Timestamp(first)
    last = None if last is None else pd.Timestamp(last)
    out = Changes(added=pd.DataFrame(columns=["client_id", *EDITABLE]))
    ids = shown["activity_id"].tolist() if "activity_id" in shown else []
    for pos, change in (edits.get("edited_rows") or {}).items():
        pos = int(pos)
        if pos >= len(ids):
            continue
        fields = {k: _clean(v) for k, v in change.items() if k in EDITABLE}
        if not fields:
            continue
        merged = {**shown.iloc[pos][EDITABLE].to_dict(), **fields}
        out.errors += _check(merged, f"Activity {ids[pos]}", first, last)
        out.updated[int(ids[pos])] = fields
    rows = []
    for n, row in enumerate(edits.get("added_rows") or [], start=1):
        row = {k: _clean(v) for k, v in row.items() if k in EDITABLE}
        if not any(v is not None for v in row.values()):
            continue
        row.setdefault("type", None)
        out.errors += _check(row, f"New row {n}", first, last)
        rows.append({"client_id": client_id, **{c: row.get(c) for c in EDITABLE}})
    if rows:
        added = pd.DataFrame(rows)
        added["date"] = pd.to_datetime(added["date"], errors="coerce")
        added["end_date"] = pd.to_datetime(added["end_date"], errors="coerce")
        added["after_close"] = added["after_close"].fillna(False).astype(bool)
        out.added = added
    out.deleted = [int(ids[int(p)]) for p in (edits.get("deleted_rows") or []) if int(p) < len(ids)]
    return out
