"""Reads and writes of the services' logs: shareholder inquiries, mailings, market-maker and analyst counts.

Each log is merged by a natural key, so importing the same file again adds nothing:

- inquiries: (client_id, received_at, channel, topic); answered_at and answered_by are compared;
- mailings: (client_id, date, kind, list_name); activity_id, recipients, calls, meetings, inquiries and cost
  are compared;
- coverage counts: (client_id, date) (the table's primary key); market_makers, analysts and source compared.

A blank channel, topic or list name matches a blank one. Every write is one transaction (all or nothing);
edits from the dashboard touch only rows of the client they name.
"""
from __future__ import annotations

import pandas as pd

from store.schema import utc_now
from store.store import Store, StoreError, WriteSummary, canonical

INQUIRY_COLS = {"inquiry_id": "int", "client_id": "str", "received_at": "ts", "channel": "str", "topic": "str",
                "answered_at": "ts", "answered_by": "str", "created_at": "ts"}
MAILING_COLS = {"mailing_id": "int", "client_id": "str", "activity_id": "Int64", "date": "date", "kind": "str",
                "list_name": "str", "recipients": "int", "calls": "int", "meetings": "int", "inquiries": "int",
                "cost": "float", "created_at": "ts"}
COVERAGE_COUNT_COLS = {"client_id": "str", "date": "date", "market_makers": "Int64", "analysts": "Int64",
                       "source": "str"}

TABLES = {  # table: (id column, natural key, compared columns, canonical columns)
    "inquiries": ("inquiry_id", ("client_id", "received_at", "channel", "topic"), ("answered_at", "answered_by"),
                  INQUIRY_COLS),
    "mailings": ("mailing_id", ("client_id", "date", "kind", "list_name"),
                 ("activity_id", "recipients", "calls", "meetings", "inquiries", "cost"), MAILING_COLS),
    "coverage_counts": (None, ("client_id", "date"), ("market_makers", "analysts", "source"), COVERAGE_COUNT_COLS),
}
_TEXT = {"client_id", "channel", "topic", "answered_by", "kind", "list_name", "source"}


def _blank(v) -> bool:
    return v is None or (not isinstance(v, str) and pd.isna(v)) or (isinstance(v, str) and not v.strip())


def _norm(col: str, v):
    """A value as the key and the comparison see it: blanks None, text stripped, times as Timestamps."""
    if _blank(v):
        return None
    if col in ("received_at", "answered_at"):
        return pd.Timestamp(v).floor("s")
    if col == "date":
        return pd.Timestamp(v).normalize()
    if col in _TEXT:
        return str(v).strip()
    return float(v)


def _clean_text(frame: pd.DataFrame, cols) -> pd.DataFrame:
    out = frame.copy()
    for c in cols:
        if c in out:
            out[c] = out[c].astype(object).where(out[c].notna(), None)
            out[c] = [None if _blank(v) else str(v).strip() for v in out[c]]
    return out


def _read(store: Store, table: str, client_id: str | None) -> pd.DataFrame:
    id_col, key, _, cols = TABLES[table]
    order = ", ".join(c for c in (*key, id_col) if c)
    if client_id is None:
        raw = store.query(f"SELECT * FROM {table} ORDER BY {order}")  # table names from TABLES only
    else:
        raw = store.query(f"SELECT * FROM {table} WHERE client_id = ? ORDER BY {order}", [client_id])
    out = canonical(raw, cols)
    return _clean_text(out, [c for c, kind in cols.items() if kind == "str"])


def inquiries(store: Store, client_id: str | None = None) -> pd.DataFrame:
    """The inquiry log (inquiry_id, client_id, received_at, channel, topic, answered_at, answered_by, created_at)."""
    return _read(store, "inquiries", client_id)


def mailings(store: Store, client_id: str | None = None) -> pd.DataFrame:
    """The mailing log (mailing_id, client_id, activity_id, date, kind, list_name, recipients, calls, meetings,
    inquiries, cost, created_at)."""
    return _read(store, "mailings", client_id)


def coverage_counts(store: Store, client_id: str | None = None) -> pd.DataFrame:
    """Market-maker and analyst counts (client_id, date, market_makers, analysts, source), by client and date."""
    return _read(store, "coverage_counts", client_id)


def _key(table: str, rec: dict) -> tuple:
    return tuple(_norm(c, rec.get(c)) for c in TABLES[table][1])


def _changed(table: str, new: dict, old: dict) -> dict:
    return {c: new.get(c) for c in TABLES[table][2] if c in new and _norm(c, new.get(c)) != _norm(c, old.get(c))}


def _sql_value(col: str, v):
    if _blank(v):
        return None
    if col in ("received_at", "answered_at"):
        return pd.Timestamp(v).floor("s").to_pydatetime()
    if col == "date":
        return pd.Timestamp(v).date()
    if col in _TEXT:
        return str(v).strip()
    if col == "cost":
        return float(v)
    return int(v)


def _insert(con, table: str, rows: list[dict], created_at) -> list[int]:
    id_col, key, compared, cols = TABLES[table]
    names = [c for c in cols if c not in (id_col, "created_at")]
    ids = []
    next_id = None
    if id_col:
        next_id = int(con.execute(f"SELECT coalesce(max({id_col}), 0) + 1 FROM {table}").fetchall()[0][0])
    for rec in rows:
        values = [_sql_value(c, rec.get(c)) for c in names]
        for c in ("calls", "meetings", "inquiries"):
            if table == "mailings" and values[names.index(c)] is None:
                values[names.index(c)] = 0
        if id_col:
            con.execute(f"INSERT INTO {table} ({id_col}, {', '.join(names)}, created_at) VALUES "
                        f"(?, {', '.join('?' for _ in names)}, ?)", [next_id, *values, created_at])
            ids.append(next_id)
            next_id += 1
        else:
            con.execute(f"INSERT INTO {table} ({', '.join(names)}) VALUES ({', '.join('?' for _ in names)})", values)
            ids.append(None)
    return ids


def _update(con, table: str, client_id: str, ident, fields: dict) -> int:
    id_col, key, compared, _ = TABLES[table]
    allowed = {c: v for c, v in fields.items() if c in compared or c in key[1:]}
    if not allowed:
        return 0
    sets = ", ".join(f"{c} = ?" for c in allowed)
    values = [_sql_value(c, v) for c, v in allowed.items()]
    for c in ("calls", "meetings", "inquiries"):
        if table == "mailings" and c in allowed and values[list(allowed).index(c)] is None:
            values[list(allowed).index(c)] = 0
    if id_col:
        where, params = f"{id_col} = ? AND client_id = ?", [int(ident), client_id]
    else:
        where, params = "client_id = ? AND date = ?", [client_id, _sql_value("date", ident)]
    con.execute(f"UPDATE {table} SET {sets} WHERE {where}", [*values, *params])
    return 1


def merge(store: Store, table: str, frame: pd.DataFrame, created_at=None) -> WriteSummary:
    """Add the rows of ``frame`` new by natural key; update those stored with other compared fields.

    ``table`` is ``"inquiries"``, ``"mailings"`` or ``"coverage_counts"``; ``frame`` holds validated rows
    (``ingest.services`` parses and checks a file first). Rows repeating a key inside ``frame`` are refused.
    A key stored twice is matched to the oldest row. One transaction. ``created_at`` fixes the write time
    (a reproducible demo).
    """
    if table not in TABLES:
        raise StoreError(f"merge: unknown services table {table!r}; use one of {', '.join(TABLES)}")
    id_col = TABLES[table][0]
    if len(frame) == 0:
        return WriteSummary()
    records = frame.to_dict("records")
    keys = [_key(table, r) for r in records]
    seen: dict[tuple, int] = {}
    for i, k in enumerate(keys):
        if k in seen:
            raise StoreError(f"{table}: rows {seen[k] + 1} and {i + 1} have the same key "
                             f"({', '.join(TABLES[table][1])}); merge them or tell them apart.")
        seen[k] = i
    now = utc_now() if created_at is None else pd.Timestamp(created_at).to_pydatetime()
    clients = sorted({k[0] for k in keys if k[0]})
    added = updated = unchanged = 0
    with store.transaction() as con:
        existing: dict[tuple, dict] = {}
        for client in clients:
            stored = _read(store, table, client)
            if id_col:
                stored = stored.sort_values(id_col)
            for row in stored.to_dict("records"):
                existing.setdefault(_key(table, row), row)
        new = []
        for rec, key in zip(records, keys):
            old = existing.get(key)
            if old is None:
                new.append(rec)
                continue
            change = _changed(table, rec, old)
            if change:
                _update(con, table, old["client_id"], old[id_col] if id_col else old["date"], change)
                updated += 1
            else:
                unchanged += 1
        added = len(_insert(con, table, new, now))
    return WriteSummary(added, updated, unchanged)


def apply_edits(store: Store, table: str, client_id: str, added: pd.DataFrame | None = None,
                updated: dict | None = None, deleted: list | None = None) -> WriteSummary:
    """Write the dashboard editor's validated changes to one client's log, in one transaction.

    ``updated`` maps a row's id (the date for coverage counts) to its changed fields; ``deleted`` lists ids.
    Only rows of ``client_id`` are touched, whatever ids are given. Returns (added, updated, deleted as
    ``unchanged``... no: deleted rows are counted in ``unchanged``'s place) -- see :func:`edit_summary`.
    """
    if table not in TABLES:
        raise StoreError(f"apply_edits: unknown services table {table!r}")
    import duckdb

    try:
        return _apply_edits(store, table, client_id, added, updated, deleted)
    except duckdb.ConstraintException as exc:  # a second count for a stored date: nothing was written
        raise StoreError(f"{table}: the change repeats a row's key ({', '.join(TABLES[table][1])}); nothing was "
                         "saved. Edit the existing row instead.") from exc


def _apply_edits(store: Store, table: str, client_id: str, added, updated, deleted) -> dict[str, int]:
    id_col = TABLES[table][0]
    n_add = n_upd = n_del = 0
    with store.transaction() as con:
        if added is not None and len(added):
            rows = [{**r, "client_id": client_id} for r in added.to_dict("records")]
            n_add = len(rows)
            _insert(con, table, rows, utc_now())
        for ident, fields in (updated or {}).items():
            n_upd += _update(con, table, client_id, ident, fields)
        for ident in deleted or []:
            if id_col:
                con.execute(f"DELETE FROM {table} WHERE {id_col} = ? AND client_id = ?", [int(ident), client_id])
            else:
                con.execute(f"DELETE FROM {table} WHERE client_id = ? AND date = ?",
                            [client_id, _sql_value("date", ident)])
            n_del += 1
    return {"added": n_add, "updated": n_upd, "deleted": n_del}
