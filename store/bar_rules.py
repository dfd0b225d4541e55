"""The price-bar rules, written once as SQL predicates with their messages.

Used by every path that accepts bars: `ingest.bars.validate_bars` (a pandas frame, evaluated on an
in-memory DuckDB), `Store.load_bars` (a bulk load evaluated over the rows as written, before COMMIT)
and the store's end-of-load check after an upsert. A predicate sees one row of canonical bars
(ticker, date, open, high, low, close, adj_close, volume) with NaN already turned into NULL; a NULL
predicate means "not broken" (the missing-value rules report missing values once).
"""
from __future__ import annotations

import threading

import duckdb
import pandas as pd
import pyarrow as pa

OHLC_TOLERANCE = 1e-6  # relative slack for float rounding in the OHLC consistency rules
MAX_LISTED_PROBLEMS = 10
_TOL = repr(1 + OHLC_TOLERANCE)
_PRICES = ("open", "high", "low", "close", "adj_close")

ROW_RULES: tuple[tuple[str, str], ...] = (
    ("ticker IS NULL OR ticker IN ('', 'NAN', 'NONE')", "ticker is empty"),
    ("date IS NULL", "date is missing or not a date"),
    (" OR ".join(f"{c} IS NULL" for c in _PRICES), "price is missing"),
    ("volume IS NULL", "volume is missing"),
    (" OR ".join(f"isinf({c})" for c in (*_PRICES, "volume")), "value is not finite"),
    (" OR ".join(f"{c} <= 0" for c in _PRICES), "price is not positive"),
    ("volume < 0", "volume is negative"),
    (f"high * {_TOL} < low", "high is below low"),
    (f"open > high * {_TOL} OR open * {_TOL} < low", "open is outside low..high"),
    (f"close > high * {_TOL} OR close * {_TOL} < low", "close is outside low..high"),
)
DUPLICATE_RULE = ("date IS NOT NULL AND count(*) OVER (PARTITION BY ticker, date) > 1", "duplicate date")
FUTURE_RULE = ("date > ?::DATE", "date is in the future")


class BarValidationError(ValueError):
    """Bars that break the contract; `problems` lists (ticker, date or row, problem). Nothing was stored."""

    def __init__(self, problems: list[tuple[str, str, str]], total: int | None = None):
        self.problems = problems
        total = total if total is not None else len(problems)
        shown = "; ".join(f"{t} {d}: {p}" for t, d, p in problems[:MAX_LISTED_PROBLEMS])
        more = f" (and {total - MAX_LISTED_PROBLEMS} more)" if total > MAX_LISTED_PROBLEMS else ""
        super().__init__(f"{total} invalid bar(s), nothing was stored: {shown}{more}. "
                         "Fix the source data (or drop those rows) and load again.")


def any_problem_sql(duplicates: bool = False, future: bool = True) -> str:
    """One boolean SQL expression: true when a row breaks any rule (future needs one date parameter)."""
    rules = list(ROW_RULES) + ([FUTURE_RULE] if future else []) + ([DUPLICATE_RULE] if duplicates else [])
    return " OR ".join(f"coalesce({p}, false)" for p, _ in rules)


def message_sql(duplicates: bool = True, future: bool = True) -> str:
    """SQL expression listing a row's broken rules, comma-separated ('' when none)."""
    rules = list(ROW_RULES) + ([DUPLICATE_RULE] if duplicates else []) + ([FUTURE_RULE] if future else [])
    cases = ", ".join(f"CASE WHEN {p} THEN '{m}' END" for p, m in rules)
    return f"concat_ws(', ', {cases})"


def normalised_sql(relation: str, has_adj_close: bool = True, row: str = "row_number() OVER ()") -> str:
    """A SELECT of canonical bar columns from `relation` (NaN -> NULL, upper-case ticker, DATE dates)."""
    def num(c, src=None):
        return f"nullif(({src or c})::DOUBLE, 'NaN'::DOUBLE) AS {c}"
    adj = num("adj_close", "coalesce(adj_close, close)" if has_adj_close else "close")
    return (f"SELECT upper(trim(ticker::VARCHAR)) AS ticker, date::DATE AS date, {num('open')}, {num('high')}, "
            f"{num('low')}, {num('close')}, {adj}, {num('volume')}, source::VARCHAR AS source, {row} AS _row "
            f"FROM {relation}")


def find_problems(con: duckdb.DuckDBPyConnection, relation: str, today=None, *, duplicates: bool = True,
                  limit: int = MAX_LISTED_PROBLEMS) -> tuple[list[tuple[str, str, str]], int]:
    """(first `limit` problems as (ticker, day or 'row N', what), total) of the normalised `relation` (has _row)."""
    params = [] if today is None else [pd.Timestamp(today).date()]
    sql = (f"WITH p AS (SELECT _row, ticker, date, {message_sql(duplicates, today is not None)} AS what "
           f"FROM {relation}) "
           "SELECT _row, ticker, date, what, count(*) OVER () FROM p WHERE what <> '' ORDER BY _row LIMIT ?")
    rows = con.execute(sql, params + [int(limit)]).fetchall()
    total = int(rows[0][4]) if rows else 0
    out = [(t if t is not None else "", d.isoformat() if d is not None else f"row {r}", w) for r, t, d, w, _ in rows]
    return out, total


_local = threading.local()


def scratch_connection() -> duckdb.DuckDBPyConnection:
    """This thread's in-memory DuckDB connection for checking frames (no workspace file is opened)."""
    con = getattr(_local, "con", None)
    if con is None:
        con = _local.con = duckdb.connect(":memory:")
    return con


def frame_problems(frame: pd.DataFrame | pa.Table, today=None) -> tuple[list[tuple[str, str, str]], int]:
    """Problems of canonical bars in memory (rows numbered from 1 in frame order), with every rule."""
    con = scratch_connection()
    con.register("_bars_in", frame)
    try:
        con.execute(f"CREATE OR REPLACE TEMP VIEW _bars_norm AS {normalised_sql('_bars_in')}")
        return find_problems(con, "_bars_norm", today)
    finally:
        con.execute("DROP VIEW IF EXISTS _bars_norm")
        con.unregister("_bars_in")
