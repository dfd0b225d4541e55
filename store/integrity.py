"""Reads and writes of the promotion-integrity record: compensation, trades, sale rules, objectives, disclosures.

Imports are idempotent: each table has a natural key, a row already stored with the same key and the
same values is "unchanged", with other values "updated" in place (its id and created_at stay), and a
new key is "added"; one transaction per call, so a failure leaves the old rows.
"""
from __future__ import annotations

import pandas as pd

from store.schema import utc_now
from store.store import Store, StoreError, WriteSummary, canonical

COMPENSATION_COLS = {"payment_id": "int", "engagement_id": "int", "client_id": "str", "date": "date", "payer": "str",
                     "recipient": "str", "kind": "str", "amount": "float", "shares": "float", "notes": "str",
                     "created_at": "ts"}
TRADE_COLS = {"trade_id": "int", "client_id": "str", "holder": "str", "role": "str", "date": "date",
              "shares": "float", "price": "float", "notes": "str", "created_at": "ts"}
SALE_RULE_COLS = {"engagement_id": "int", "reporting_issuer": "bool", "registered_shares": "bool",
                  "holding_months": "Int64", "affiliate": "bool", "otc": "bool", "promotion_tail_days": "int",
                  "sale_flag_days": "int", "blackout_before_days": "int", "blackout_after_days": "int"}
OBJECTIVE_COLS = {"objective_id": "int", "client_id": "str", "measure": "str", "target": "float",
                  "direction": "str", "set_date": "date", "due_date": "date", "notes": "str", "created_at": "ts"}

# natural key, compared columns of each merged table
TABLES = {
    "compensation": ("payment_id", COMPENSATION_COLS, ("engagement_id", "date", "payer", "recipient", "kind"),
                     ("amount", "shares", "notes")),
    "trades": ("trade_id", TRADE_COLS, ("client_id", "holder", "date", "shares", "price"), ("role", "notes")),
    "objectives": ("objective_id", OBJECTIVE_COLS, ("client_id", "measure", "set_date", "due_date"),
                   ("target", "direction", "notes")),
}


def _text_or_none(frame: pd.DataFrame, cols: dict) -> pd.DataFrame:
    for c, kind in cols.items():
        if kind == "str" and c in frame:
            frame[c] = frame[c].astype(object).where(frame[c].notna(), None)
    return frame


def _read(store: Store, table: str, cols: dict, where: str = "", params=(), order: str = "") -> pd.DataFrame:
    sql = f"SELECT {', '.join(cols)} FROM {table} {where} {order}"
    return _text_or_none(canonical(store.query(sql, list(params)), cols), cols)


def compensation(store: Store, client_id: str | None = None) -> pd.DataFrame:
    """Manual compensation rows (payment_id, engagement_id, client_id, date, payer, recipient, kind, amount, shares,
    notes, created_at) by date."""
    where, params = ("WHERE client_id = ?", [client_id]) if client_id else ("", [])
    return _read(store, "compensation", COMPENSATION_COLS, where, params, "ORDER BY date, payment_id")


def trades(store: Store, client_id: str | None = None) -> pd.DataFrame:
    """The trades log (trade_id, client_id, holder, role, date, shares signed: + bought / - sold, price, notes)."""
    where, params = ("WHERE client_id = ?", [client_id]) if client_id else ("", [])
    return _read(store, "trades", TRADE_COLS, where, params, "ORDER BY date, trade_id")


def sale_rules(store: Store, engagement_id: int | None = None) -> pd.DataFrame:
    """Each engagement's sale rules as recorded (engagements without a row use the table's defaults)."""
    where, params = ("WHERE engagement_id = ?", [int(engagement_id)]) if engagement_id is not None else ("", [])
    return canonical(store.query(f"SELECT {', '.join(SALE_RULE_COLS)} FROM sale_rules {where} ORDER BY engagement_id",
                                 params), SALE_RULE_COLS)


def objectives(store: Store, client_id: str | None = None) -> pd.DataFrame:
    """Objectives (objective_id, client_id, measure, target, direction, set_date, due_date, notes, created_at)."""
    where, params = ("WHERE client_id = ?", [client_id]) if client_id else ("", [])
    return _read(store, "objectives", OBJECTIVE_COLS, where, params, "ORDER BY set_date, objective_id")


# --- writes -------------------------------------------------------------------------------------------

def _blank(v) -> bool:
    return v is None or (not isinstance(v, str) and pd.isna(v)) or (isinstance(v, str) and not v.strip())


def _norm(v, kind: str):
    if _blank(v):
        return None
    if kind in ("date", "ts"):
        return pd.Timestamp(v).normalize() if kind == "date" else pd.Timestamp(v)
    if kind == "float":
        return float(v)
    if kind in ("int", "Int64"):
        return int(v)
    if kind == "bool":
        return bool(v)
    return str(v).strip()


def merge_rows(store: Store, table: str, frame: pd.DataFrame) -> WriteSummary:
    """Merge ``frame`` into ``table`` (``compensation``, ``trades`` or ``objectives``) by its natural key.

    A key not stored is added (id = max + 1, created_at = now unless given); a stored key with other
    compared values is updated in place; the same values are unchanged. Keys repeated inside ``frame``
    are refused (the import names the lines). One transaction.
    """
    id_col, cols, key, compared = TABLES[table]
    if frame is None or not len(frame):
        return WriteSummary(0, 0, 0)
    missing = [c for c in key if c not in frame.columns and c not in ("price", "due_date")]
    if missing:
        raise StoreError(f"{table}: missing column(s) {missing}; validate the rows with ingest.integrity first.")
    records = [{c: _norm(r.get(c), cols[c]) for c in cols if c in frame.columns or c in key}
               for r in frame.to_dict("records")]
    keys = [tuple(r.get(c) for c in key) for r in records]
    if len(set(keys)) != len(keys):
        raise StoreError(f"{table}: two rows share the key {key}; merge them or tell them apart first.")
    added = updated = unchanged = 0
    now = utc_now()
    with store.transaction() as con:
        stored = canonical(con.execute(f"SELECT {', '.join(cols)} FROM {table}").df(), cols)
        existing = {}
        for r in stored.to_dict("records"):
            existing.setdefault(tuple(_norm(r.get(c), cols[c]) for c in key), r)
        next_id = int(stored[id_col].max()) + 1 if len(stored) else 1
        for rec, k in zip(records, keys):
            old = existing.get(k)
            if old is None:
                row = {c: rec.get(c) for c in cols}
                row[id_col] = next_id
                row["created_at"] = rec.get("created_at") or now
                next_id += 1
                values = [row[c].date() if cols[c] == "date" and row[c] is not None else row[c] for c in cols]
                con.execute(f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({', '.join('?' for _ in cols)})",
                            values)
                added += 1
                continue
            changed = {c: rec.get(c) for c in compared if c in rec and rec.get(c) != _norm(old.get(c), cols[c])}
            if changed:
                sets = ", ".join(f"{c} = ?" for c in changed)
                con.execute(f"UPDATE {table} SET {sets} WHERE {id_col} = ?",
                            [*[v.date() if cols[c] == "date" and v is not None else v for c, v in changed.items()],
                             int(old[id_col])])
                updated += 1
            else:
                unchanged += 1
    return WriteSummary(added, updated, unchanged)


def merge_trades(store: Store, frame: pd.DataFrame) -> WriteSummary:
    """Trades by (client, holder, date, shares, price); role and notes are updated."""
    return merge_rows(store, "trades", frame)


def merge_compensation(store: Store, frame: pd.DataFrame) -> WriteSummary:
    """Compensation by (engagement, date, payer, recipient, kind); amount, shares and notes are updated."""
    return merge_rows(store, "compensation", frame)


def merge_objectives(store: Store, frame: pd.DataFrame) -> WriteSummary:
    """Objectives by (client, measure, set date, due date); target, direction and notes are updated."""
    return merge_rows(store, "objectives", frame)


def _update(store: Store, table: str, row_id: int, fields: dict) -> None:
    id_col, cols, _, _ = TABLES[table]
    unknown = set(fields) - (set(cols) - {id_col, "created_at", "client_id"})
    if unknown:
        raise StoreError(f"{table}: cannot set {sorted(unknown)}; editable: "
                         f"{sorted(set(cols) - {id_col, 'created_at', 'client_id'})}.")
    with store.transaction() as con:
        if not con.execute(f"SELECT count(*) FROM {table} WHERE {id_col} = ?", [int(row_id)]).fetchall()[0][0]:
            raise StoreError(f"No row {row_id} in {table}; reload the page and retry.")
        if fields:
            values = [_norm(v, cols[c]) for c, v in fields.items()]
            values = [v.date() if cols[c] == "date" and v is not None else v for c, v in zip(fields, values)]
            con.execute(f"UPDATE {table} SET {', '.join(f'{c} = ?' for c in fields)} WHERE {id_col} = ?",
                        [*values, int(row_id)])


def update_trade(store: Store, trade_id: int, **fields) -> None:
    """Change fields of one trade (not its id, client or created_at)."""
    _update(store, "trades", trade_id, fields)


def update_objective(store: Store, objective_id: int, **fields) -> None:
    """Change fields of one objective (not its id, client or created_at)."""
    _update(store, "objectives", objective_id, fields)


def delete_rows(store: Store, table: str, ids) -> int:
    """Delete rows of ``trades``, ``objectives`` or ``compensation`` by id; returns how many went."""
    id_col = TABLES[table][0]
    ids = [int(i) for i in ids]
    if not ids:
        return 0
    with store.transaction() as con:
        n = con.execute(f"SELECT count(*) FROM {table} WHERE {id_col} IN (SELECT unnest(?::INTEGER[]))",
                        [ids]).fetchall()[0][0]
        con.execute(f"DELETE FROM {table} WHERE {id_col} IN (SELECT unnest(?::INTEGER[]))", [ids])
    return int(n)


def rows_of_client(store: Store, table: str, client_id: str, ids) -> list[int]:
    """The ids among ``ids`` of ``trades`` or ``objectives`` rows that belong to ``client_id`` (the page's guard)."""
    id_col = TABLES[table][0]
    ids = [int(i) for i in ids]
    if not ids:
        return []
    rows = store.query(f"SELECT {id_col}, client_id FROM {table} WHERE client_id = ? AND {id_col} IN "
                       "(SELECT unnest(?::INTEGER[]))", [client_id, ids])
    return [int(i) for i in rows[id_col]]


def save_sale_rules(store: Store, engagement_id: int, **fields) -> str:
    """Add or replace an engagement's sale rules (unset fields take the table's defaults); "added",
    "updated" or "unchanged"."""
    from analytics.integrity import SALE_RULE_DEFAULTS

    unknown = set(fields) - set(SALE_RULE_DEFAULTS)
    if unknown:
        raise StoreError(f"sale rules: unknown fields {sorted(unknown)}; allowed: {sorted(SALE_RULE_DEFAULTS)}.")
    row = {**SALE_RULE_DEFAULTS, **{k: v for k, v in fields.items() if not _blank(v)}}
    values = [int(engagement_id)] + [None if _blank(row[c]) else (int(row[c]) if SALE_RULE_COLS[c] in ("int", "Int64")
                                                                   else bool(row[c]))
                                     for c in list(SALE_RULE_COLS)[1:]]
    with store.transaction() as con:
        if not con.execute("SELECT count(*) FROM engagements WHERE engagement_id = ?",
                           [int(engagement_id)]).fetchall()[0][0]:
            from store.store import ClientError
            raise ClientError(f"No engagement {engagement_id}: import the terms first (import-terms), or check the id.")
        old = con.execute(f"SELECT {', '.join(SALE_RULE_COLS)} FROM sale_rules WHERE engagement_id = ?",
                          [int(engagement_id)]).fetchall()
        if old and list(old[0]) == values:
            return "unchanged"
        con.execute(f"INSERT OR REPLACE INTO sale_rules ({', '.join(SALE_RULE_COLS)}) "
                    f"VALUES ({', '.join('?' for _ in SALE_RULE_COLS)})", values)
    return "updated" if old else "added"


def set_disclosed(store: Store, activity_id: int, disclosed: bool | None) -> None:
    """Record whether an activity carried its compensation disclosure (None: not recorded)."""
    store.update_activity(int(activity_id), disclosed=None if disclosed is None else bool(disclosed))


def record_disclosures(store: Store, flags: dict, updated_at) -> int:
    """Set ``disclosed`` of several activities ({activity_id: True / False / None}) with a fixed ``updated_at`` (a
    reproducible demo build); one transaction; returns how many rows changed. Pages use :func:`set_disclosed`."""
    if not flags:
        return 0
    stamp = pd.Timestamp(updated_at).to_pydatetime()
    with store.transaction() as con:
        for activity_id, value in flags.items():
            con.execute("UPDATE activities SET disclosed = ?, updated_at = ? WHERE activity_id = ?",
                        [None if value is None else bool(value), stamp, int(activity_id)])
    return len(flags)
