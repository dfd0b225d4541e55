"""The price-bar rules, written once, each with a SQL form and a vectorised (numpy) form built from one table.

A rule is an expression built from `col`, `is_null`, `isinf`, `is_in`, comparisons, `*` and `|` (see `Rule`):
the same expression renders to a SQL predicate (`.sql`) and evaluates over numpy columns (`.eval`). SQL's
three-valued logic agrees with numpy's because a rule only ORs comparisons: a comparison with NULL is NULL in
SQL ("not broken" once coalesced to false) and a comparison with NaN/NaT is False in numpy.
tests/test_store.py checks that both forms give the same problems on a table of broken frames.

Used by every path that accepts bars: `ingest.bars.validate_bars` (a pandas frame, evaluated in numpy),
`Store.load_bars` (a bulk load evaluated by DuckDB over the rows as written, before COMMIT) and the store's
end-of-load check after an upsert (SQL). A predicate sees one row of canonical bars (ticker, date, open, high,
low, close, adj_close, volume) with NaN already turned into NULL; a NULL predicate means "not broken" (the
missing-value rules report missing values once).
"""
from __future__ import annotations

import threading
from typing import Callable

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa

OHLC_TOLERANCE = 1e-6  # relative slack for float rounding in the OHLC consistency rules
MAX_LISTED_PROBLEMS = 10
_TOL = 1 + OHLC_TOLERANCE
_PRICES = ("open", "high", "low", "close", "adj_close")


class Rule:
    """A predicate with a SQL form and a numpy form (`eval(cols)` -> bool array; cols maps a name to an array)."""

    def __init__(self, sql: str, fn: Callable[[dict], np.ndarray]):
        self.sql, self.eval = sql, fn

    def _op(self, other, sql_op: str, fn) -> "Rule":
        other = other if isinstance(other, Rule) else Rule(repr(other), lambda c, v=other: v)
        return Rule(f"{self.sql} {sql_op} {other.sql}", lambda c: fn(self.eval(c), other.eval(c)))

    def __or__(self, other): return self._op(other, "OR", np.logical_or)
    def __mul__(self, other): return self._op(other, "*", np.multiply)
    def __lt__(self, other): return self._op(other, "<", np.less)
    def __gt__(self, other): return self._op(other, ">", np.greater)
    def __le__(self, other): return self._op(other, "<=", np.less_equal)


def col(name: str) -> Rule:
    return Rule(name, lambda c: c[name])


def is_null(e: Rule) -> Rule:
    return Rule(f"{e.sql} IS NULL", lambda c: pd.isna(e.eval(c)))


def isinf(e: Rule) -> Rule:
    return Rule(f"isinf({e.sql})", lambda c: np.isinf(e.eval(c)))


def is_in(e: Rule, values: tuple[str, ...]) -> Rule:
    return Rule(f"{e.sql} IN ({', '.join(repr(v) for v in values)})", lambda c: np.isin(e.eval(c), list(values)))


def any_of(rules) -> Rule:
    rules = list(rules)
    out = rules[0]
    for r in rules[1:]:
        out = out | r
    return out


def _duplicates(c: dict) -> np.ndarray:
    keys = pd.DataFrame({"t": c["ticker"], "d": c["date"]})
    return pd.notna(c["date"]) & keys.duplicated(keep=False).to_numpy()


_t, _d, _hi, _lo, _vol = col("ticker"), col("date"), col("high"), col("low"), col("volume")
# (rule, message): the single table both forms come from.
RULES: tuple[tuple[Rule, str], ...] = (
    (is_null(_t) | is_in(_t, ("", "NAN", "NONE")), "ticker is empty"),
    (is_null(_d), "date is missing or not a date"),
    (any_of(is_null(col(c)) for c in _PRICES), "price is missing"),
    (is_null(_vol), "volume is missing"),
    (any_of(isinf(col(c)) for c in (*_PRICES, "volume")), "value is not finite"),
    (any_of(col(c) <= 0 for c in _PRICES), "price is not positive"),
    (_vol < 0, "volume is negative"),
    (_hi * _TOL < _lo, "high is below low"),
    ((col("open") > _hi * _TOL) | (col("open") * _TOL < _lo), "open is outside low..high"),
    ((col("close") > _hi * _TOL) | (col("close") * _TOL < _lo), "close is outside low..high"),
)
DUPLICATE = (Rule("date IS NOT NULL AND count(*) OVER (PARTITION BY ticker, date) > 1", _duplicates), "duplicate date")
FUTURE = (Rule("date > ?::DATE", lambda c: c["date"] > c["_today"]), "date is in the future")
ROW_RULES: tuple[tuple[str, str], ...] = tuple((r.sql, m) for r, m in RULES)
DUPLICATE_RULE = (DUPLICATE[0].sql, DUPLICATE[1])
FUTURE_RULE = (FUTURE[0].sql, FUTURE[1])


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
    """Problems of canonical bars in memory (rows numbered from 1 in frame order), with every rule.

    The numpy form of the rules (no DuckDB step): the same rules, messages, order and numbering as
    `find_problems` over `normalised_sql` of the frame, which `frame_problems_sql` runs.
    """
    df = frame.to_pandas() if isinstance(frame, pa.Table) else frame
    n = len(df)
    if n == 0:
        return [], 0
    ticker = df["ticker"].astype("str").str.strip().str.upper().to_numpy(dtype=object)
    ticker[pd.isna(df["ticker"]).to_numpy()] = None  # NULL stays NULL (upper(trim(NULL)) in the SQL form)
    dates = pd.to_datetime(pd.Series(df["date"]).reset_index(drop=True), errors="coerce")
    if getattr(dates.dt, "tz", None) is not None:
        dates = dates.dt.tz_localize(None)
    cols: dict = {"ticker": ticker, "date": dates.dt.normalize().to_numpy(dtype="datetime64[ns]")}
    for c in ("open", "high", "low", "close", "volume"):
        cols[c] = pd.to_numeric(df[c], errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
    adj = (pd.to_numeric(df["adj_close"], errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
           if "adj_close" in df.columns else cols["close"])
    cols["adj_close"] = np.where(np.isnan(adj), cols["close"], adj)  # coalesce(adj_close, close)
    rules = list(RULES) + [DUPLICATE]
    if today is not None:
        cols["_today"] = np.datetime64(pd.Timestamp(today).date(), "ns")
        rules.append(FUTURE)
    with np.errstate(invalid="ignore", over="ignore"):
        broken = np.column_stack([np.asarray(r.eval(cols), dtype=bool) for r, _ in rules])
    bad_rows = np.flatnonzero(broken.any(axis=1))
    out = []
    for i in bad_rows[:MAX_LISTED_PROBLEMS]:
        what = ", ".join(m for (_, m), hit in zip(rules, broken[i]) if hit)
        t, d = ticker[i], cols["date"][i]
        out.append((t if t is not None else "", pd.Timestamp(d).date().isoformat() if not np.isnat(d) else f"row {i + 1}",
                    what))
    return out, int(len(bad_rows))


def frame_problems_sql(frame: pd.DataFrame | pa.Table, today=None) -> tuple[list[tuple[str, str, str]], int]:
    """`frame_problems` evaluated by DuckDB with the SQL form of the rules (the bulk path's form; for tests)."""
    con = scratch_connection()
    con.register("_bars_in", frame)
    try:
        con.execute(f"CREATE OR REPLACE TEMP VIEW _bars_norm AS {normalised_sql('_bars_in')}")
        return find_problems(con, "_bars_norm", today)
    finally:
        con.execute("DROP VIEW IF EXISTS _bars_norm")
        con.unregister("_bars_in")
