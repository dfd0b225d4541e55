"""The Store: the only code that opens the DuckDB file.

Nobody keeps the file open. Each process has one in-memory DuckDB instance; a read attaches the file
READ_ONLY to a cursor of it for one query, a write attaches it read-write for one transaction, and
both detach afterwards (which checkpoints and releases the file lock). DuckDB locks the file per
process, so both retry on the lock with jittered back-off until IRDASH_LOCK_TIMEOUT (default 15 s)
and then raise StoreBusyError. Inside one process DuckDB refuses to open the same file twice at
once ("Unique file handle conflict"), so every access to a path is also serialised by a
process-wide lock.

Writers are not starved by readers: a writer that finds the file locked creates a marker file in
``<workspace>.writer-waiting/`` (one per waiting writer, touched at every retry) and removes it once it
has the file; a reader that sees a fresh marker waits (up to the lock timeout) before attaching, so the
readers drain and the writer gets the file within milliseconds. A marker not touched for
WRITER_MARK_STALE seconds (its writer was killed) is ignored and removed.

``Store.rebuilt()`` gives a Store on a temporary copy of the workspace in the same folder and renames it
into place when the block succeeds (atomic: a kill leaves the old file or none, never half of one).
"""
from __future__ import annotations

import itertools
import os
import random
import re
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa

from analytics.constants import ACTIVITY_TYPE_CODES
from store.bar_rules import BarValidationError, any_problem_sql, find_problems, normalised_sql, scratch_connection
from store.schema import current_version, migrate, utc_now

PROJECT_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_LOCK_TIMEOUT = 15.0
OHLC_TOLERANCE = 1e-6  # relative slack for float rounding in the OHLC consistency check


class StoreError(Exception):
    """A store operation failed; the message says what is wrong and what to do."""


class StoreBusyError(StoreError):
    """The workspace file stayed locked by another process until the lock timeout."""


class NotAWorkspaceError(StoreError):
    """The path given as the workspace is not a DuckDB file (or not readable as one)."""


class ClientError(StoreError):
    """A user error about clients: an unknown client, or an engagement that belongs to another client."""


@dataclass(frozen=True)
class WriteSummary:
    """Rows a write added, changed, and found already identical."""

    added: int = 0
    updated: int = 0
    unchanged: int = 0

    def __add__(self, other: "WriteSummary") -> "WriteSummary":
        return WriteSummary(self.added + other.added, self.updated + other.updated,
                            self.unchanged + other.unchanged)


def default_db_path() -> Path:
    """IRDASH_DB if set, else data/irdash.duckdb in the project."""
    env = os.environ.get("IRDASH_DB")
    return Path(env) if env else PROJECT_ROOT / "data" / "irdash.duckdb"


def lock_timeout() -> float:
    """Seconds to wait for a locked file (IRDASH_LOCK_TIMEOUT, default 15)."""
    raw = os.environ.get("IRDASH_LOCK_TIMEOUT", "")
    try:
        return float(raw) if raw else DEFAULT_LOCK_TIMEOUT
    except ValueError:
        raise StoreError(f"IRDASH_LOCK_TIMEOUT={raw!r} is not a number of seconds: set it to e.g. 15.") from None


# ---- canonical column sets (name -> kind) -------------------------------------------------------
_BAR_COLS = {"ticker": "str", "date": "date", "open": "float", "high": "float", "low": "float",
             "close": "float", "adj_close": "float", "volume": "float", "source": "str"}
STORED_BAR_COLS = {**_BAR_COLS, "ingested_at": "ts", "zero_volume": "bool", "stale_close": "bool"}
SECURITY_COLS = {"ticker": "str", "name": "str", "kind": "str", "simulated": "bool", "added_at": "ts"}
SPLIT_COLS = {"ticker": "str", "date": "date", "ratio": "float"}
DIVIDEND_COLS = {"ticker": "str", "date": "date", "amount": "float"}
SHARES_COLS = {"ticker": "str", "date": "date", "shares": "float", "source": "str"}
CLIENT_COLS = {"client_id": "str", "name": "str", "ticker": "str", "benchmark": "str"}
ENGAGEMENT_COLS = {"engagement_id": "int", "client_id": "str", "consultant": "str", "signed_date": "date",
                   "start_date": "date", "end_date": "date", "retainer_amount": "float",
                   "retainer_frequency": "str", "minimum_months": "Int64", "retainer_price_rule": "str",
                   "retainer_price_days": "Int64", "notes": "str"}
GRANT_COLS = {"grant_id": "int", "engagement_id": "int", "holder": "str", "shares": "float",
              "strike": "float", "grant_date": "date", "expiry_date": "date"}
FINANCING_COLS = {"financing_id": "int", "engagement_id": "int", "date": "date", "amount": "float",
                  "fee_rate": "float", "description": "str"}
ACTIVITY_COLS = {"activity_id": "int", "client_id": "str", "date": "date", "end_date": "date",
                 "type": "str", "title": "str", "channel": "str", "reach": "Int64", "cost": "float",
                 "after_close": "bool", "notes": "str", "link": "str", "created_at": "ts",
                 "updated_at": "ts", "disclosed": "boolean"}
LOG_COLS = {"run_id": "int", "job": "str", "ticker": "str", "status": "str", "started_at": "ts",
            "ended_at": "ts", "added": "int", "updated": "int", "rejected": "int", "error": "str"}
LAST_BAR_COLS = {"ticker": "str", "simulated": "bool", "last_date": "date", "sources": "str"}
COVERAGE_COLS = {"ticker": "str", "name": "str", "kind": "str", "simulated": "bool", "first_date": "date",
                 "last_date": "date", "bars": "int", "zero_volume_days": "int", "stale_close_days": "int",
                 "sources": "str", "last_ingested_at": "ts"}
_EDITABLE_ACTIVITY = set(ACTIVITY_COLS) - {"activity_id", "created_at", "updated_at"}


def canonical(df: pd.DataFrame, cols: dict[str, str]) -> pd.DataFrame:
    """Select `cols` in order and give each its canonical dtype (dates datetime64[ns], tz-naive)."""
    out = pd.DataFrame(index=range(len(df)))
    for name, kind in cols.items():
        s = df[name].reset_index(drop=True) if name in df.columns else pd.Series([None] * len(df), dtype=object)
        if kind == "float" and s.dtype == "float64" or kind == "bool" and s.dtype == bool:
            pass  # already canonical (the common case for frames from validate_bars and DuckDB)
        elif kind == "date" and s.dtype == "datetime64[ns]":
            s = pd.Series(s.to_numpy().astype("datetime64[D]").astype("datetime64[ns]"))  # normalize, NaT stays
        elif kind in ("date", "ts"):
            s = pd.to_datetime(s)
            if getattr(s.dt, "tz", None) is not None:
                s = s.dt.tz_convert("UTC").dt.tz_localize(None) if kind == "ts" else s.dt.tz_localize(None)
            s = s.astype("datetime64[ns]")
            if kind == "date":
                s = s.dt.normalize()
        elif kind == "float":
            s = pd.to_numeric(s).astype("float64")
        elif kind == "int":
            s = pd.to_numeric(s).astype("int64")
        elif kind == "Int64":
            s = pd.to_numeric(s).astype("Int64")
        elif kind == "bool":
            s = s.astype("boolean").fillna(False).astype(bool)
        elif kind == "boolean":  # yes / no / not recorded
            s = s.astype("boolean")
        else:
            s = s.astype("str")
        out[name] = s.array
    return out


def bar_flags(frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """zero_volume and stale_close (close changed on a zero-volume day) for a frame sorted by ticker, date."""
    vol = frame["volume"].to_numpy(dtype="float64")
    close = frame["close"].to_numpy(dtype="float64")
    tick = frame["ticker"].to_numpy()
    zero = vol == 0
    stale = np.zeros(len(frame), dtype=bool)
    if len(frame) > 1:
        same = tick[1:] == tick[:-1]
        stale[1:] = zero[1:] & same & (close[1:] != close[:-1])
    return zero, stale


_process_locks: dict[str, threading.RLock] = {}
_process_locks_guard = threading.Lock()
_local = threading.local()


# One in-memory DuckDB instance per process; every read or write attaches the workspace file to a cursor of it
# and detaches it afterwards (DETACH checkpoints and releases the file lock). Creating a DuckDB instance costs
# ~12 ms, an ATTACH/DETACH on a live one under 1 ms, so a refresh job's two file opens cost ~2 ms, not ~25 ms.
_hub_state: dict = {"pid": None, "con": None}
_hub_guard = threading.Lock()
_aliases = itertools.count(1)
_alias_of: dict[int, str] = {}  # id(cursor) -> alias of the workspace it attached


def _hub() -> duckdb.DuckDBPyConnection:
    with _hub_guard:
        if _hub_state["pid"] != os.getpid():  # a forked child must not reuse its parent's instance
            _hub_state["con"] = duckdb.connect(":memory:")
            _hub_state["pid"] = os.getpid()
        return _hub_state["con"]


def _retire_hub() -> None:
    """Start a new in-memory instance at the next access (after a bulk load, whose memory the old one keeps).

    Cursors still open on the old instance keep it alive until they close; nothing is closed here.
    """
    with _hub_guard:
        _hub_state["pid"] = None


def _attach(path: Path, read_only: bool) -> duckdb.DuckDBPyConnection:
    """A cursor of the process's in-memory instance with `path` attached (under a unique alias) and in USE."""
    alias = f"ws_{next(_aliases)}"
    con = _hub().cursor()
    try:
        con.execute(f"ATTACH {_sql_str(path)} AS {alias}{' (READ_ONLY)' if read_only else ''}")
    except BaseException:
        con.close()
        raise
    _alias_of[id(con)] = alias
    try:
        con.execute(f"USE {alias}")
    except BaseException:
        _detach(con)
        raise
    return con


def _detach(con: duckdb.DuckDBPyConnection) -> None:
    """End `con`'s transaction if one is open, detach its workspace (checkpoint, unlock) and close the cursor."""
    alias = _alias_of.pop(id(con))
    try:
        try:
            con.execute("ROLLBACK")
        except duckdb.Error:
            pass  # no transaction open: the usual case
        con.execute("USE memory")
        con.execute(f"DETACH DATABASE IF EXISTS {alias}")
    except duckdb.Error:
        con.close()
        con = _hub().cursor()  # the cursor is unusable: detach from a fresh one so the file lock is released
        con.execute(f"DETACH DATABASE IF EXISTS {alias}")
    finally:
        con.close()


def _lock_for(path: Path) -> threading.RLock:
    key = os.path.realpath(path)
    with _process_locks_guard:
        return _process_locks.setdefault(key, threading.RLock())


def _is_lock_error(exc: Exception) -> bool:
    msg = str(exc)
    return ("Could not set lock" in msg or "Conflicting lock" in msg
            or "Unique file handle conflict" in msg)


def _sql_str(value: str) -> str:
    return "'" + str(value).replace("'", "''") + "'"


WRITER_MARK_STALE = 2.0  # seconds: a waiting writer touches its marker at least every 0.2 s


def _marks_dir(path: Path) -> Path:
    return path.parent / f"{path.name}.writer-waiting"


def _writer_waiting(path: Path) -> bool:
    """True when another process's writer is waiting for `path` (a fresh marker); stale markers are removed."""
    folder = _marks_dir(path)
    try:
        entries = list(os.scandir(folder))
    except (FileNotFoundError, NotADirectoryError):
        return False
    now = time.time()
    mine = f"{os.getpid()}-"
    waiting = False
    for entry in entries:
        if entry.name.startswith(mine):
            continue  # this process's writers hold the process lock: a reader here waits on that instead
        try:
            fresh = now - entry.stat().st_mtime < WRITER_MARK_STALE
        except FileNotFoundError:
            continue
        if fresh:
            waiting = True
        else:
            try:
                os.unlink(entry.path)
            except OSError:
                pass
    return waiting


class _WriterMark:
    """The marker file of one waiting writer: created on the first failed attempt, touched at each retry."""

    def __init__(self, path: Path):
        self.folder = _marks_dir(path)
        self.file = self.folder / f"{os.getpid()}-{threading.get_ident()}"
        self.made = False

    def touch(self) -> None:
        try:
            self.folder.mkdir(exist_ok=True)
            self.file.touch()
            self.made = True
        except OSError:
            pass  # a read-only folder: writers then wait as they did before the markers

    def clear(self) -> None:
        if not self.made:
            return
        try:
            self.file.unlink()
        except OSError:
            pass
        try:
            self.folder.rmdir()  # only when no other writer waits
        except OSError:
            pass


def _unlink(path: Path) -> None:
    try:
        path.unlink()
    except FileNotFoundError:
        pass


def _check_no_wal(path: Path) -> None:
    if Path(f"{path}.wal").exists():  # every transaction detaches (checkpoints) before this point
        raise StoreError(f"The rebuilt workspace {path} still has a write-ahead log; nothing was replaced. Retry.")


def _remove_stale_builds(path: Path) -> None:
    """Temporary files of rebuilds whose process is gone (killed mid-build)."""
    for tmp in path.parent.glob(f".{path.name}.building-*"):
        m = re.match(rf"\.{re.escape(path.name)}\.building-(\d+)-", tmp.name)
        if not m:
            continue
        try:
            os.kill(int(m.group(1)), 0)
        except ProcessLookupError:
            _unlink(tmp)
        except PermissionError:
            pass  # another user's live process


class Store:
    """All access to one workspace file. Cheap to create: no I/O until a method is called."""

    def __init__(self, path: str | os.PathLike | None = None):
        self.path = Path(path) if path is not None else default_db_path()
        self._schema_checked = False
        self._path_checked = False

    def _check_path(self) -> None:
        """NotAWorkspaceError for a path no file can have (a component over 255 bytes) or a folder."""
        if self._path_checked:
            return
        long = [p for p in self.path.parts if len(p.encode("utf-8", "surrogateescape")) > 255]
        if long:
            raise NotAWorkspaceError(
                f"The workspace path has a component of {len(long[0].encode('utf-8', 'surrogateescape'))} bytes "
                f"({long[0][:40]!r}...); names are at most 255 bytes. Give --db (or IRDASH_DB) a shorter path.")
        if self.path.is_dir():
            raise NotAWorkspaceError(f"The workspace path {str(self.path)[:200]} is a folder: give the path of a "
                                     f".duckdb file inside it, e.g. --db {str(self.path / 'irdash.duckdb')[:200]}.")
        self._path_checked = True

    def __repr__(self) -> str:
        return f"Store({str(self.path)!r})"

    # ---- connections ----------------------------------------------------------------------------
    def _retry(self, opener, what: str):
        deadline = time.monotonic() + lock_timeout()
        delay = 0.005
        mark = _WriterMark(self.path) if what == "writing" else None
        try:
            while True:
                try:
                    return opener()
                except (duckdb.IOException, duckdb.ResourceInUseException) as exc:
                    if not _is_lock_error(exc):
                        if "not a valid DuckDB database file" in str(exc) or "Invalid database" in str(exc):
                            raise NotAWorkspaceError(
                                f"{self.path} is not a DuckDB workspace file (DuckDB says: it exists but is not a "
                                "valid DuckDB database). Check --db or IRDASH_DB: point it at a workspace made by "
                                "this dashboard (e.g. data/demo.duckdb), or at a new path to create one."
                            ) from exc
                        raise StoreError(f"Could not open the workspace {self.path} for {what}: {exc}") from exc
                    remaining = deadline - time.monotonic()
                    if remaining <= 0:
                        holder = re.search(r"held in (.+?) \(PID (\d+)\)", str(exc))
                        who = (f"process {holder.group(2)} ({holder.group(1)})" if holder
                               else "another connection in this process")
                        raise StoreBusyError(
                            f"The workspace {self.path} is busy: it stayed locked for {lock_timeout():.0f} s while "
                            f"opening it for {what} ({who} holds it, probably an ingest job writing or a long "
                            "import). Nothing was changed. Wait a few seconds and reload the page or run the job "
                            "again; if it stays busy, stop the process holding it (IRDASH_LOCK_TIMEOUT sets how "
                            "long to wait)."
                        ) from exc
                    if mark is not None:
                        mark.touch()  # readers see it and back off until this writer has the file
                    time.sleep(min(remaining, delay * random.uniform(0.5, 1.5)))
                    delay = min(delay * 2, 0.2 if mark is None else 0.05)
        finally:
            if mark is not None:
                mark.clear()

    def _yield_to_writers(self) -> None:
        """Before a read attaches: wait while another process's writer waits for the file (up to half the lock timeout).

        Half, so a reader stuck behind a writer that never gets the file still reports busy within the lock timeout
        plus half of it, and a writer normally has the file within milliseconds of the readers draining.
        """
        if not _writer_waiting(self.path):
            return
        deadline = time.monotonic() + lock_timeout() / 2
        delay = 0.01
        while time.monotonic() < deadline and _writer_waiting(self.path):
            time.sleep(delay * random.uniform(0.5, 1.5))
            delay = min(delay * 2, 0.1)

    def _missing(self) -> StoreError:
        return StoreError(
            f"No workspace at {self.path}: build the demo with `python -m ingest --db {self.path} demo`, "
            f"or create it and load a ticker with `python -m ingest --db {self.path} load-yahoo TICKER`."
        )

    @contextmanager
    def _read_connection(self) -> Iterator[duckdb.DuckDBPyConnection]:
        active = getattr(_local, "active", {}).get(os.path.realpath(self.path))
        if active is not None:  # a read inside this thread's own transaction sees its writes
            yield active
            return
        self._check_path()
        if not self.path.exists():
            raise self._missing()
        self._yield_to_writers()
        with _lock_for(self.path):
            con = self._retry(lambda: _attach(self.path, read_only=True), "reading")
            try:
                yield con
            finally:
                _detach(con)

    @contextmanager
    def transaction(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """Read-write connection in BEGIN..COMMIT; ROLLBACK and re-raise on any error.

        Store writes called inside an open transaction (same thread) join it, so a job can write its bars,
        actions and ingest-log row with one file open and one commit.
        """
        key = os.path.realpath(self.path)
        active = getattr(_local, "active", None)
        if active is None:
            active = _local.active = {}
        if key in active:  # a write inside this thread's open transaction joins it (one commit for all)
            yield active[key]
            return
        self._check_path()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with _lock_for(self.path):
            con = self._retry(lambda: _attach(self.path, read_only=False), "writing")
            try:
                con.execute("BEGIN TRANSACTION")
                if not self._schema_checked:
                    migrate(con)
                active[key] = con
                yield con
                con.execute("COMMIT")
                self._schema_checked = True
            except BaseException:
                try:
                    con.execute("ROLLBACK")
                except duckdb.Error:
                    pass
                raise
            finally:
                active.pop(key, None)
                _detach(con)

    @contextmanager
    def rebuilt(self) -> Iterator["Store"]:
        """A Store on a temporary copy of this workspace that replaces it atomically when the block succeeds.

        The copy (every table, or an empty file when there is no workspace yet) is made in the same folder,
        so ``os.replace`` is an atomic rename: a process killed at any point leaves the old file (or none)
        and a stray temporary file, never a half-written workspace. Meanwhile the workspace stays attached
        READ_ONLY, so readers go on reading it and writers of other processes wait instead of writing
        changes the rename would lose. On an error the temporary file is removed and the old one is kept.
        """
        self.path.parent.mkdir(parents=True, exist_ok=True)
        _remove_stale_builds(self.path)
        tmp = self.path.parent / f".{self.path.name}.building-{os.getpid()}-{next(_aliases)}.duckdb"
        target = Store(tmp)
        try:
            if self.path.exists():
                with self._read_connection() as con:
                    alias = _alias_of[id(con)]
                    dest = f"ws_{next(_aliases)}"
                    con.execute(f"ATTACH {_sql_str(tmp)} AS {dest}")
                    try:
                        con.execute(f"COPY FROM DATABASE {alias} TO {dest}")
                    finally:
                        con.execute(f"DETACH DATABASE {dest}")
                    yield target
                    _check_no_wal(tmp)
                    os.replace(tmp, self.path)
                    _unlink(Path(f"{self.path}.wal"))  # a crashed writer's log belongs to the old file
            else:
                yield target
                _check_no_wal(tmp)
                os.replace(tmp, self.path)
            self._schema_checked = False
        finally:
            _unlink(tmp)
            _unlink(Path(f"{tmp}.wal"))

    # ---- generic --------------------------------------------------------------------------------
    def init(self) -> int:
        """Create or migrate the schema (idempotent); return the schema version."""
        self._schema_checked = False
        with self.transaction() as con:
            return current_version(con)

    def exists(self) -> bool:
        """True when the workspace file exists."""
        self._check_path()
        return self.path.exists()

    def query(self, sql: str, params: Iterable = ()) -> pd.DataFrame:
        """Run a read-only parameterised (?) query and return its rows."""
        with self._read_connection() as con:
            try:
                return con.execute(sql, list(params)).df()
            except duckdb.CatalogException as exc:
                raise StoreError(f"{exc}. The workspace {self.path} may predate this code: run "
                                 f"`python -m ingest --db {self.path} migrate` (or Store.init()).") from exc

    def _read(self, sql: str, params: Iterable, cols: dict[str, str]) -> pd.DataFrame:
        return canonical(self.query(sql, params), cols)

    # ---- reads ----------------------------------------------------------------------------------
    def schema_version(self) -> int:
        """Schema version of the file (0 when there is no schema yet)."""
        with self._read_connection() as con:
            return current_version(con)

    def securities(self) -> pd.DataFrame:
        """Tracked securities."""
        return self._read("SELECT * FROM securities ORDER BY ticker", (), SECURITY_COLS)

    def bars(self, tickers: str | Iterable[str], start=None, end=None) -> pd.DataFrame:
        """Stored daily bars of `tickers` between start and end (inclusive), sorted by ticker, date."""
        tickers = [tickers] if isinstance(tickers, str) else list(tickers)
        sql = "SELECT * FROM bars WHERE ticker IN (SELECT unnest(?::VARCHAR[]))"
        params: list = [[t.upper() for t in tickers]]
        if start is not None:
            sql += " AND date >= ?::DATE"
            params.append(pd.Timestamp(start).date())
        if end is not None:
            sql += " AND date <= ?::DATE"
            params.append(pd.Timestamp(end).date())
        return self._read(sql + " ORDER BY ticker, date", params, STORED_BAR_COLS)

    def coverage(self) -> pd.DataFrame:
        """One row per ticker: what is stored, from when to when, and data-quality counts."""
        sql = """
            WITH b AS (
                SELECT ticker, min(date) AS first_date, max(date) AS last_date, count(*) AS bars,
                       count(*) FILTER (WHERE zero_volume) AS zero_volume_days,
                       count(*) FILTER (WHERE stale_close) AS stale_close_days,
                       string_agg(DISTINCT source, ', ' ORDER BY source) AS sources,
                       max(ingested_at) AS last_ingested_at
                FROM bars GROUP BY ticker)
            SELECT coalesce(s.ticker, b.ticker) AS ticker, s.name, coalesce(s.kind, 'equity') AS kind,
                   coalesce(s.simulated, false) AS simulated, b.first_date, b.last_date,
                   coalesce(b.bars, 0) AS bars, coalesce(b.zero_volume_days, 0) AS zero_volume_days,
                   coalesce(b.stale_close_days, 0) AS stale_close_days, b.sources, b.last_ingested_at
            FROM securities s FULL OUTER JOIN b ON s.ticker = b.ticker ORDER BY 1"""
        return self._read(sql, (), COVERAGE_COLS)

    def last_bars(self, tickers: Iterable[str] | None = None) -> pd.DataFrame:
        """Per tracked ticker (or per one of `tickers`): simulated, last stored date, sources (comma-separated).

        One cheap read for incremental jobs (coverage() counts every bar; this reads only the keys).
        A security without bars has last_date NaT and sources "".
        """
        where, params = "", []
        if tickers is not None:
            params = [t.upper() for t in tickers]
            if 0 < len(params) <= 1000:  # constants let DuckDB skip the row groups of other tickers
                where = f"WHERE ticker IN ({', '.join('?' * len(params))})"
            else:
                where, params = "WHERE ticker IN (SELECT unnest(?::VARCHAR[]))", [params]
        sql = f"""
            WITH s AS (SELECT ticker, simulated FROM securities {where}),
                 b AS (SELECT ticker, max(last_date) AS last_date, string_agg(source, ',' ORDER BY source) AS sources
                       FROM (SELECT ticker, source, max(date) AS last_date FROM bars {where} GROUP BY ticker, source)
                       GROUP BY ticker)
            SELECT coalesce(s.ticker, b.ticker) AS ticker, coalesce(s.simulated, false) AS simulated,
                   b.last_date, coalesce(b.sources, '') AS sources
            FROM s FULL OUTER JOIN b ON s.ticker = b.ticker ORDER BY 1"""
        return self._read(sql, params * 2, LAST_BAR_COLS)

    def _by(self, table: str, cols: dict, key: str | None, value, order: str) -> pd.DataFrame:
        if value is None:
            return self._read(f"SELECT * FROM {table} ORDER BY {order}", (), cols)
        return self._read(f"SELECT * FROM {table} WHERE {key} = ? ORDER BY {order}", [value], cols)

    def splits(self, ticker: str | None = None) -> pd.DataFrame:
        """Stock splits (ratio = new shares per old share)."""
        return self._by("splits", SPLIT_COLS, "ticker", ticker and ticker.upper(), "ticker, date")

    def dividends(self, ticker: str | None = None) -> pd.DataFrame:
        """Cash dividends per share."""
        return self._by("dividends", DIVIDEND_COLS, "ticker", ticker and ticker.upper(), "ticker, date")

    def shares_outstanding(self, ticker: str | None = None) -> pd.DataFrame:
        """Shares outstanding over time."""
        return self._by("shares_outstanding", SHARES_COLS, "ticker", ticker and ticker.upper(), "ticker, date")

    def clients(self) -> pd.DataFrame:
        """Clients of the workspace."""
        return self._read("SELECT * FROM clients ORDER BY client_id", (), CLIENT_COLS)

    def engagements(self, client_id: str | None = None) -> pd.DataFrame:
        """Engagements, optionally of one client."""
        return self._by("engagements", ENGAGEMENT_COLS, "client_id", client_id, "engagement_id")

    def option_grants(self, engagement_id: int | None = None) -> pd.DataFrame:
        """Option grants, optionally of one engagement."""
        return self._by("option_grants", GRANT_COLS, "engagement_id", engagement_id, "grant_id")

    def financings(self, engagement_id: int | None = None) -> pd.DataFrame:
        """Financings (finder's fees), optionally of one engagement."""
        return self._by("financings", FINANCING_COLS, "engagement_id", engagement_id, "date, financing_id")

    def activities(self, client_id: str | None = None) -> pd.DataFrame:
        """The activity log, optionally of one client, by date."""
        return self._by("activities", ACTIVITY_COLS, "client_id", client_id, "date, activity_id")

    def ingest_log(self, limit: int = 50) -> pd.DataFrame:
        """The latest ingest runs, newest first."""
        return self._read("SELECT * FROM ingest_log ORDER BY run_id DESC LIMIT ?", [int(limit)], LOG_COLS)

    def workspace_info(self) -> dict:
        """{"schema_version", "simulated", "name"} of the workspace."""
        with self._read_connection() as con:
            version = current_version(con)
            meta = dict(con.execute("SELECT key, value FROM workspace").fetchall()) if version >= 2 else {}
            any_sim = con.execute("SELECT count(*) FROM securities WHERE simulated").fetchall()[0][0] if version else 0
        return {"schema_version": version,
                "simulated": meta.get("simulated") == "true" or bool(any_sim),
                "name": meta.get("name") or self.path.stem}

    def workspace_meta(self) -> dict[str, str]:
        """Every key/value of the workspace table ({} for a file without one)."""
        with self._read_connection() as con:
            if current_version(con) < 2:
                return {}
            return dict(con.execute("SELECT key, value FROM workspace").fetchall())

    # ---- writes ---------------------------------------------------------------------------------
    def set_workspace_meta(self, key: str, value: str | None) -> None:
        """Set (or with None remove) one key of the workspace table, e.g. a build's completeness marker."""
        with self.transaction() as con:
            con.execute("DELETE FROM workspace WHERE key = ?", [key])
            if value is not None:
                con.execute("INSERT INTO workspace VALUES (?, ?)", [key, str(value)])

    def set_workspace_info(self, name: str | None = None, simulated: bool | None = None) -> None:
        """Set the workspace's display name and/or whether its data are simulated."""
        with self.transaction() as con:
            for key, value in (("name", name), ("simulated", None if simulated is None else str(bool(simulated)).lower())):
                if value is not None:
                    con.execute("INSERT OR REPLACE INTO workspace VALUES (?, ?)", [key, value])

    def upsert_security(self, ticker: str, name: str | None = None, kind: str = "equity",
                        simulated: bool = False, added_at=None) -> None:
        """Add or update a tracked security (a missing name keeps the stored one; added_at never changes)."""
        added_at = utc_now() if added_at is None else pd.Timestamp(added_at).to_pydatetime()
        with self.transaction() as con:
            con.execute(
                """INSERT INTO securities VALUES (?, ?, ?, ?, ?)
                   ON CONFLICT (ticker) DO UPDATE SET name = coalesce(excluded.name, securities.name),
                   kind = excluded.kind, simulated = excluded.simulated""",
                [ticker.upper(), name, kind, bool(simulated), added_at])

    def upsert_bars(self, frame: pd.DataFrame, ingested_at=None) -> WriteSummary:
        """Insert or update daily bars in one transaction, ending with a consistency check.

        `ingested_at` stamps the added and changed rows (default: now; the demo fixes it to be reproducible).

        Duplicate (ticker, date) rows in the batch keep the last one. Rows identical to the stored
        ones are left untouched (their ingested_at too), so loading the same data twice changes nothing.
        """
        missing = [c for c in _BAR_COLS if c not in frame.columns]
        if missing:
            raise StoreError(f"upsert_bars needs the columns {list(_BAR_COLS)}; missing {missing}. "
                             "Build the frame with ingest.bars.validate_bars.")
        df = canonical(frame, _BAR_COLS)
        if len(df) == 0:
            return WriteSummary()
        df["ticker"] = df["ticker"].str.upper()
        now = utc_now() if ingested_at is None else pd.Timestamp(ingested_at).to_pydatetime()
        tickers = df["ticker"].to_numpy(dtype=object)
        if len(df) <= SMALL_BATCH and (tickers == tickers[0]).all():  # one ticker: the few-statement merge
            dates = df["date"].to_numpy(dtype="datetime64[ns]")
            if not (dates[1:] > dates[:-1]).all():  # sort by date; of duplicate dates the last row wins
                order = np.argsort(dates, kind="stable")
                keep = np.ones(len(order), dtype=bool)
                keep[:-1] = dates[order][1:] != dates[order][:-1]
                df = df.iloc[order[keep]].reset_index(drop=True)
            with self.transaction() as con:
                return _merge_one_ticker(con, df, now)
        df["_seq"] = np.arange(len(df), dtype="int64")
        df = df.sort_values(["ticker", "date", "_seq"], kind="stable")
        dup = df.duplicated(["ticker", "date"], keep="last").to_numpy()
        if dup.any():
            df = df[~dup]
        zero, stale = bar_flags(df)
        df = df.drop(columns="_seq")
        df["zero_volume"] = zero
        df["stale_close"] = stale
        table = pa.Table.from_pandas(df, preserve_index=False)
        with self.transaction() as con:
            con.register("incoming_arrow", table)
            try:
                summary = _merge_bars(con, now)
            finally:
                con.unregister("incoming_arrow")
        return summary

    def load_bars(self, source, today=None, ingested_at=None) -> WriteSummary:
        """Bulk-load canonical bars from a parquet file (path) or an Arrow table, validated in SQL.

        The same rules and messages as ingest.bars.validate_bars (store.bar_rules), evaluated by DuckDB over
        the rows as written, before COMMIT: all or nothing, BarValidationError listing the first problems.
        Tickers without stored bars are inserted straight from the source with their flags; tickers that
        already have bars go through the upsert merge (same data twice leaves the same rows).
        """
        today = pd.Timestamp.today().normalize() if today is None else pd.Timestamp(today)
        now = utc_now() if ingested_at is None else pd.Timestamp(ingested_at).to_pydatetime()
        scan = _scan_sql(source)
        try:
            with self.transaction() as con:
                if isinstance(source, pa.Table):
                    con.register("bulk_source", source)
                cols = [r[0] for r in con.execute(f"DESCRIBE SELECT * FROM {scan}").fetchall()]
                missing = [c for c in _BAR_COLS if c not in cols and c != "adj_close"]
                if missing:
                    raise BarValidationError([("", "", f"missing columns {missing}")])
                con.execute("CREATE OR REPLACE TEMP VIEW bulk_norm AS "
                            + normalised_sql(scan, "adj_close" in cols, row="0"))
                overlap = con.execute("""SELECT count(*) FROM bars WHERE ticker IN (
                        SELECT ticker FROM securities WHERE ticker IN (SELECT DISTINCT ticker FROM bulk_norm))""").fetchall()[0][0]
                if overlap:
                    summary = _merge_from(con, "bulk_norm", now)
                else:
                    summary = _insert_new(con, "bulk_norm", now, today)
        except (BarValidationError, duckdb.ConstraintException) as exc:
            problems, total = _source_problems(source, today)
            if problems:
                raise BarValidationError(problems, total=total) from None
            if isinstance(exc, BarValidationError):
                raise
            raise StoreError(f"Bar load rejected, nothing was written: {exc}") from exc
        finally:
            _retire_hub()  # measured: after a 25M-row load the instance made small jobs ~8 ms slower
        return summary

    def _replace_actions(self, table: str, ticker: str, frame: pd.DataFrame, cols: dict, value: str) -> int:
        df = canonical(frame.assign(ticker=ticker.upper()), cols)
        df = df.dropna(subset=["date", value]).drop_duplicates(["ticker", "date"], keep="last")
        if (df[value] <= 0).any():
            bad = df.loc[df[value] <= 0, "date"].dt.date.tolist()[:5]
            raise StoreError(f"{table} of {ticker}: {value} must be positive; got non-positive values on {bad}.")
        with self.transaction() as con:
            con.execute(f"DELETE FROM {table} WHERE ticker = ?", [ticker.upper()])
            con.register("incoming_actions", df)
            con.execute(f"INSERT INTO {table} SELECT {', '.join(cols)} FROM incoming_actions")
            con.unregister("incoming_actions")
        return len(df)

    def replace_splits(self, ticker: str, frame: pd.DataFrame) -> int:
        """Replace a ticker's splits (date, ratio); returns the number stored."""
        return self._replace_actions("splits", ticker, frame, SPLIT_COLS, "ratio")

    def replace_dividends(self, ticker: str, frame: pd.DataFrame) -> int:
        """Replace a ticker's dividends (date, amount); returns the number stored."""
        return self._replace_actions("dividends", ticker, frame, DIVIDEND_COLS, "amount")

    def upsert_shares_outstanding(self, frame: pd.DataFrame) -> int:
        """Insert or update shares outstanding (ticker, date, shares, source); last duplicate wins."""
        df = canonical(frame, SHARES_COLS)
        df["ticker"] = df["ticker"].str.upper()
        df = df.dropna(subset=["date", "shares"]).drop_duplicates(["ticker", "date"], keep="last")
        if (df["shares"] < 0).any():
            raise StoreError("shares_outstanding: negative share counts; check the source data.")
        with self.transaction() as con:
            con.register("incoming_shares", df)
            con.execute("INSERT OR REPLACE INTO shares_outstanding SELECT ticker, date, shares, source "
                        "FROM incoming_shares")
            con.unregister("incoming_shares")
        return len(df)

    def save_client(self, client_id: str, name: str, ticker: str | None = None,
                    benchmark: str | None = None) -> str:
        """Add or update a client; returns its id."""
        if not re.fullmatch(r"[a-z0-9][a-z0-9_-]*", client_id or ""):
            raise StoreError(f"client_id {client_id!r} must be a slug (lower-case letters, digits, - or _), "
                             "e.g. 'auxer'.")
        with self.transaction() as con:
            # ON CONFLICT ... DO UPDATE keeps the columns it does not name (the consulting firm):
            # INSERT OR REPLACE would reset clients.firm and take the client from its firm's consultants
            con.execute("INSERT INTO clients (client_id, name, ticker, benchmark) VALUES (?, ?, ?, ?) "
                        "ON CONFLICT (client_id) DO UPDATE SET name = excluded.name, ticker = excluded.ticker, "
                        "benchmark = excluded.benchmark",
                        [client_id, name, ticker and ticker.upper(), benchmark and benchmark.upper()])
        return client_id

    def _save_row(self, table: str, id_col: str, cols: dict, fields: dict) -> int:
        unknown = set(fields) - set(cols)
        if unknown:
            raise StoreError(f"{table}: unknown fields {sorted(unknown)}; allowed: {list(cols)}.")
        with self.transaction() as con:
            row_id = fields.get(id_col)
            if row_id is None:
                row_id = con.execute(f"SELECT coalesce(max({id_col}), 0) + 1 FROM {table}").fetchall()[0][0]
            values = {**{c: None for c in cols}, **fields, id_col: int(row_id)}
            for c, kind in cols.items():
                if kind == "date" and values[c] is not None:
                    values[c] = pd.Timestamp(values[c]).date()
            placeholders = ", ".join("?" for _ in cols)
            con.execute(f"INSERT OR REPLACE INTO {table} ({', '.join(cols)}) VALUES ({placeholders})",
                        [values[c] for c in cols])
        return int(row_id)

    def save_engagement(self, **fields) -> int:
        """Add (no engagement_id) or replace an engagement; returns engagement_id."""
        fields.setdefault("retainer_frequency", "monthly")
        fields.setdefault("retainer_price_rule", "close_on_payment")
        if fields["retainer_price_rule"] not in ("close_on_payment", "avg_close_prior_n"):
            raise StoreError(f"retainer_price_rule {fields['retainer_price_rule']!r} must be "
                             "'close_on_payment' or 'avg_close_prior_n'.")
        if not fields.get("client_id"):
            raise StoreError("save_engagement needs client_id (save the client first).")
        return self._save_row("engagements", "engagement_id", ENGAGEMENT_COLS, fields)

    def save_option_grant(self, **fields) -> int:
        """Add or replace an option grant; returns grant_id."""
        return self._save_row("option_grants", "grant_id", GRANT_COLS, fields)

    def save_financing(self, **fields) -> int:
        """Add or replace a financing; returns financing_id."""
        return self._save_row("financings", "financing_id", FINANCING_COLS, fields)

    def save_terms(self, engagement: dict, *, client: dict | None = None, grants: list[dict] = (),
                   financings: list[dict] = (), shares: pd.DataFrame | None = None) -> dict:
        """Store one engagement's whole terms in one transaction; returns what was written.

        ``client`` (client_id, name, ticker, benchmark) is added or updated first. The engagement with the
        given ``engagement_id``, else the client's engagement with the same ``start_date``, is replaced
        (a new one otherwise); its option grants and financings are replaced by ``grants`` and
        ``financings``; ``shares`` (ticker, date, shares, source) are upserted. Writing the same terms
        twice leaves the same rows; a failure leaves the store as it was.
        """
        engagement = dict(engagement)
        with self.transaction() as con:
            if client is not None:
                self.save_client(client["client_id"], client.get("name"), client.get("ticker"),
                                 client.get("benchmark"))
                engagement["client_id"] = client["client_id"]
            eng_id = engagement.get("engagement_id")
            if eng_id is None:
                eng_id = con.execute("SELECT min(engagement_id) FROM engagements WHERE client_id = ? "
                                     "AND start_date = ?", [engagement.get("client_id"),
                                                            pd.Timestamp(engagement["start_date"]).date()]
                                     ).fetchall()[0][0]
            owner = [] if eng_id is None else con.execute(
                "SELECT client_id FROM engagements WHERE engagement_id = ?", [int(eng_id)]).fetchall()
            if owner and owner[0][0] != engagement.get("client_id"):
                raise ClientError(f"engagement {eng_id} belongs to client {owner[0][0]!r}, not "
                                 f"{engagement.get('client_id')!r}; leave engagement_id out to add a new one.")
            created = not owner
            if eng_id is not None:
                engagement["engagement_id"] = int(eng_id)
            eng_id = self.save_engagement(**engagement)
            con.execute("DELETE FROM option_grants WHERE engagement_id = ?", [eng_id])
            con.execute("DELETE FROM financings WHERE engagement_id = ?", [eng_id])
            # one INSERT per table from a frame: 10,000 grants take well under a second, not one statement each
            _insert_rows(con, "option_grants", "grant_id", GRANT_COLS,
                         [{**grant, "engagement_id": eng_id} for grant in grants])
            _insert_rows(con, "financings", "financing_id", FINANCING_COLS,
                         [{**fin, "engagement_id": eng_id} for fin in financings])
            n_shares = self.upsert_shares_outstanding(shares) if shares is not None and len(shares) else 0
        return {"engagement_id": eng_id, "created": created, "option_grants": len(grants),
                "financings": len(financings), "shares_outstanding": n_shares}

    def add_activities(self, frame: pd.DataFrame) -> list[int]:
        """Append activities (without activity_id); returns their new ids in frame order.

        A created_at given in the frame is kept (e.g. a fixed one for a reproducible demo); rows without
        one are stamped with the write time. Later updates never change it.
        """
        if len(frame) == 0:
            return []
        for col in ("client_id", "date", "type"):
            if col not in frame.columns or frame[col].isna().any():
                raise StoreError(f"add_activities: every activity needs {col}; validate the log with "
                                 "ingest.activities first.")
        bad = sorted(set(frame["type"]) - set(ACTIVITY_TYPE_CODES))
        if bad:
            raise StoreError(f"add_activities: unknown activity types {bad}; use one of {list(ACTIVITY_TYPE_CODES)}.")
        df = canonical(frame, {k: v for k, v in ACTIVITY_COLS.items() if k != "activity_id"})
        df["created_at"] = df["created_at"].fillna(pd.Timestamp(utc_now())).astype("datetime64[ns]")
        df["updated_at"] = pd.NaT
        with self.transaction() as con:
            first = con.execute("SELECT coalesce(max(activity_id), 0) + 1 FROM activities").fetchall()[0][0]
            ids = list(range(first, first + len(df)))
            df["activity_id"] = ids
            con.register("incoming_activities", df)
            con.execute(f"INSERT INTO activities ({', '.join(ACTIVITY_COLS)}) "
                        f"SELECT {', '.join(ACTIVITY_COLS)} FROM incoming_activities")
            con.unregister("incoming_activities")
        return ids

    def update_activity(self, activity_id: int, **fields) -> None:
        """Change fields of one activity; created_at never changes."""
        unknown = set(fields) - _EDITABLE_ACTIVITY
        if unknown:
            raise StoreError(f"update_activity: cannot set {sorted(unknown)}; editable fields: "
                             f"{sorted(_EDITABLE_ACTIVITY)}.")
        if "type" in fields and fields["type"] not in ACTIVITY_TYPE_CODES:
            raise StoreError(f"Unknown activity type {fields['type']!r}; use one of {list(ACTIVITY_TYPE_CODES)}.")
        values = []
        for name, value in fields.items():
            if ACTIVITY_COLS[name] == "date" and value is not None and not pd.isna(value):
                value = pd.Timestamp(value).date()
            elif value is not None and not isinstance(value, str) and pd.isna(value):
                value = None
            values.append(value)
        with self.transaction() as con:
            found = con.execute("SELECT count(*) FROM activities WHERE activity_id = ?", [int(activity_id)]).fetchall()
            if not found[0][0]:
                raise StoreError(f"No activity with id {activity_id}; reload the activity log and retry.")
            sets = ", ".join(f"{name} = ?" for name in fields)
            con.execute(f"UPDATE activities SET {sets + ', ' if sets else ''}updated_at = ? WHERE activity_id = ?",
                        [*values, utc_now(), int(activity_id)])

    def delete_activities(self, ids: Iterable[int]) -> int:
        """Delete activities by id; returns how many were deleted."""
        ids = [int(i) for i in ids]
        if not ids:
            return 0
        with self.transaction() as con:
            n = con.execute("SELECT count(*) FROM activities WHERE activity_id IN (SELECT unnest(?::INTEGER[]))",
                            [ids]).fetchall()[0][0]
            con.execute("DELETE FROM activities WHERE activity_id IN (SELECT unnest(?::INTEGER[]))", [ids])
        return int(n)

    def log_start(self, job: str, ticker: str | None = None) -> int:
        """Record that a job started; returns its run id for log_end."""
        with self.transaction() as con:
            run = con.execute("SELECT coalesce(max(run_id), 0) + 1 FROM ingest_log").fetchall()[0][0]
            con.execute("INSERT INTO ingest_log (run_id, job, ticker, status, started_at) VALUES (?, ?, ?, 'running', ?)",
                        [run, job, ticker, utc_now()])
        return int(run)

    def log_run(self, job: str, ticker: str | None, started_at, status: str, added: int = 0, updated: int = 0,
                rejected: int = 0, error: str | None = None) -> int:
        """Record a finished job in one write (joins an open transaction); returns its run id."""
        with self.transaction() as con:
            run = con.execute("INSERT INTO ingest_log SELECT coalesce(max(run_id), 0) + 1, ?, ?, ?, ?, ?, ?, ?, ?, ? "
                              "FROM ingest_log RETURNING run_id",
                              [job, ticker, status, started_at, utc_now(), int(added), int(updated), int(rejected),
                               error]).fetchall()[0][0]
        return int(run)

    def log_end(self, run: int, status: str, added: int = 0, updated: int = 0, rejected: int = 0,
                error: str | None = None) -> None:
        """Record how a job ended (status 'ok' or 'failed')."""
        with self.transaction() as con:
            con.execute("UPDATE ingest_log SET status = ?, ended_at = ?, added = ?, updated = ?, rejected = ?, "
                        "error = ? WHERE run_id = ?",
                        [status, utc_now(), int(added), int(updated), int(rejected), error, int(run)])


def _insert_rows(con: duckdb.DuckDBPyConnection, table: str, id_col: str, cols: dict, rows: list[dict]) -> list[int]:
    """Insert or replace ``rows`` (dicts of ``cols``) in one statement; rows without ``id_col`` get max + 1, ...

    The bulk form of ``Store._save_row``: the same ids, values and types, one INSERT from a DataFrame.
    """
    if not rows:
        return []
    unknown = set().union(*rows) - set(cols)
    if unknown:
        raise StoreError(f"{table}: unknown fields {sorted(unknown)}; allowed: {list(cols)}.")
    frame = pd.DataFrame.from_records([{c: row.get(c) for c in cols} for row in rows], columns=list(cols))
    missing = frame[id_col].isna().to_numpy()
    if missing.any():
        first = con.execute(f"SELECT coalesce(max({id_col}), 0) + 1 FROM {table}").fetchall()[0][0]
        given = pd.to_numeric(frame[id_col], errors="coerce")
        start = max(int(first), int(given.max()) + 1 if given.notna().any() else 0)
        frame.loc[missing, id_col] = np.arange(start, start + int(missing.sum()))
    df = canonical(frame, cols)
    name = f"incoming_{table}"
    con.register(name, df)
    try:
        con.execute(f"INSERT OR REPLACE INTO {table} ({', '.join(cols)}) SELECT {', '.join(cols)} FROM {name}")
    finally:
        con.unregister(name)
    return df[id_col].astype(int).tolist()


SMALL_BATCH = 20_000  # upsert_bars merges a one-ticker batch up to this size with _merge_one_ticker
_VALUE_COLS = ["open", "high", "low", "close", "adj_close", "volume", "source"]
_WRITE_COLS = ["ticker", "date", *_VALUE_COLS, "zero_volume", "stale_close"]


def _merge_one_ticker(con: duckdb.DuckDBPyConnection, df: pd.DataFrame, now) -> WriteSummary:
    """_merge_bars for a small batch of one ticker (sorted by date, no duplicate dates), in a few statements.

    Same result as _merge_bars: rows identical to the stored ones are left untouched, added/changed rows are
    written with `now`, the flags of the touched range and of the next stored bar are recomputed across the
    seam, the rules are checked over the rows as written, and a new ticker is tracked. The stored rows of the
    range, the bars just before and after it and whether the ticker is tracked are read in one query (the
    ticker and dates are constants, so DuckDB skips the other row groups) and compared in numpy.
    """
    ticker = str(df["ticker"].iat[0])
    inc_date = df["date"].to_numpy(dtype="datetime64[ns]")
    lo, hi = pd.Timestamp(inc_date[0]).date(), pd.Timestamp(inc_date[-1]).date()
    cols = ", ".join([*_VALUE_COLS, "zero_volume", "stale_close"])
    got = con.execute(f"""
        SELECT date, {cols}, 0 AS part FROM bars WHERE ticker = $t AND date BETWEEN $lo AND $hi
        UNION ALL (SELECT date, {cols}, -1 FROM bars WHERE ticker = $t AND date < $lo ORDER BY date DESC LIMIT 1)
        UNION ALL (SELECT date, {cols}, 1 FROM bars WHERE ticker = $t AND date > $hi ORDER BY date LIMIT 1)
        UNION ALL SELECT $lo::DATE, 1, 1, 1, 1, 1, 0, '', false, false, 2 FROM securities WHERE ticker = $t""",
        {"t": ticker, "lo": lo, "hi": hi}).fetchnumpy()
    part = np.asarray(got["part"])
    s_date = np.asarray(got["date"]).astype("datetime64[ns]")
    s_zero = np.asarray(got["zero_volume"], dtype=bool)
    s_stale = np.asarray(got["stale_close"], dtype=bool)
    inside = np.flatnonzero(part == 0)
    inside = inside[np.argsort(s_date[inside], kind="stable")]
    in_dates = s_date[inside]
    n = len(inc_date)
    if len(inside):
        pos = np.minimum(np.searchsorted(in_dates, inc_date), len(inside) - 1)
        known = in_dates[pos] == inc_date
        old = inside[pos]  # the stored row of the same date where known
    else:
        known, old = np.zeros(n, dtype=bool), np.zeros(n, dtype=np.int64)
    changed = ~known
    for c in _VALUE_COLS:
        if known.any():
            changed |= df[c].to_numpy() != np.asarray(got[c])[old]
    # The ticker's bars from the one before the range to the one after it, as they will be after the write.
    rest = inside[~np.isin(in_dates, inc_date)]
    prev, nxt = np.flatnonzero(part == -1), np.flatnonzero(part == 1)
    seq_date = np.concatenate([s_date[prev], s_date[rest], inc_date, s_date[nxt]])
    seq_vol = np.concatenate([np.asarray(got["volume"], dtype="float64")[prev], np.asarray(got["volume"], dtype="float64")[rest],
                              df["volume"].to_numpy(dtype="float64"), np.asarray(got["volume"], dtype="float64")[nxt]])
    seq_close = np.concatenate([np.asarray(got["close"], dtype="float64")[prev], np.asarray(got["close"], dtype="float64")[rest],
                                df["close"].to_numpy(dtype="float64"), np.asarray(got["close"], dtype="float64")[nxt]])
    order = np.argsort(seq_date, kind="stable")
    zero_sorted = seq_vol[order] == 0
    stale_sorted = np.zeros(len(order), dtype=bool)
    stale_sorted[1:] = zero_sorted[1:] & (seq_close[order][1:] != seq_close[order][:-1])
    zero, stale = np.empty_like(zero_sorted), np.empty_like(stale_sorted)
    zero[order], stale[order] = zero_sorted, stale_sorted
    k = len(prev) + len(rest)
    inc_zero, inc_stale = zero[k:k + n], stale[k:k + n]
    # Stored bars not rewritten (the rest of the range, unchanged rows, the next bar) whose flags change.
    fix_rows = np.concatenate([rest, old[~changed], nxt])
    fix_zero = np.concatenate([zero[len(prev):k], inc_zero[~changed], zero[k + n:]])
    fix_stale = np.concatenate([stale[len(prev):k], inc_stale[~changed], stale[k + n:]])
    differ = (s_zero[fix_rows] != fix_zero) | (s_stale[fix_rows] != fix_stale)
    if changed.any():
        write = pa.table({"ticker": pa.array([ticker] * int(changed.sum())),
                          "date": pa.array(inc_date[changed]).cast(pa.date32()),
                          **{c: df[c].to_numpy()[changed] for c in _VALUE_COLS},
                          "zero_volume": inc_zero[changed], "stale_close": inc_stale[changed]})
        con.register("_one_in", write)
        try:
            con.execute(f"""INSERT OR REPLACE INTO bars (ticker, date, {cols}, ingested_at)
                            SELECT ticker, date, {cols}, $now FROM _one_in""", {"now": now})
        finally:
            con.unregister("_one_in")
    if differ.any():
        fix = pa.table({"date": pa.array(s_date[fix_rows][differ]).cast(pa.date32()),
                        "zero_volume": fix_zero[differ], "stale_close": fix_stale[differ]})
        con.register("_one_fix", fix)
        try:
            con.execute("""UPDATE bars SET zero_volume = f.zero_volume, stale_close = f.stale_close FROM _one_fix f
                           WHERE bars.ticker = $t AND bars.date = f.date""", {"t": ticker})
        finally:
            con.unregister("_one_fix")
    _check_range(con, ticker, pd.Timestamp(lo), pd.Timestamp(hi))
    if not (part == 2).any():  # a ticker seen for the first time is tracked from now on
        con.execute("""INSERT INTO securities (ticker, kind, simulated, added_at) VALUES ($t, $kind, $sim, $now)
                       ON CONFLICT (ticker) DO NOTHING""",
                    {"t": ticker, "kind": "index" if ticker.startswith("^") else "equity",
                     "sim": bool((df["source"] == "demo-simulated").any()), "now": now})
    n_changed = int(changed.sum())
    n_added = int((~known).sum())
    return WriteSummary(n_added, n_changed - n_added, n - n_changed)


def _merge_bars(con: duckdb.DuckDBPyConnection, now) -> WriteSummary:
    """Merge the registered `incoming_arrow` into bars; fix neighbours' flags; check the result."""
    con.execute("""CREATE OR REPLACE TEMP TABLE incoming AS
                   SELECT ticker, date::DATE AS date, open, high, low, close, adj_close, volume, source,
                          zero_volume, stale_close FROM incoming_arrow""")
    con.execute("""CREATE OR REPLACE TEMP TABLE ranges AS
                   SELECT ticker, min(date) AS lo, max(date) AS hi FROM incoming GROUP BY ticker""")
    # Tickers that already have stored bars need their flags recomputed across the seam.
    con.execute("""CREATE OR REPLACE TEMP TABLE seams AS
                   SELECT r.ticker, r.lo, r.hi, max(b.date) FILTER (WHERE b.date < r.lo) AS prev_d,
                          min(b.date) FILTER (WHERE b.date > r.hi) AS next_d,
                          count(*) FILTER (WHERE b.date BETWEEN r.lo AND r.hi) AS n_inside
                   FROM bars b JOIN ranges r ON b.ticker = r.ticker GROUP BY r.ticker, r.lo, r.hi""")
    has_existing = con.execute("SELECT coalesce(sum(n_inside), 0) FROM seams").fetchall()[0][0] > 0
    if has_existing:
        con.execute("""CREATE OR REPLACE TEMP TABLE staged AS
            SELECT i.*, CASE WHEN b.ticker IS NULL THEN 'added'
                             WHEN i.open IS DISTINCT FROM b.open OR i.high IS DISTINCT FROM b.high
                               OR i.low IS DISTINCT FROM b.low OR i.close IS DISTINCT FROM b.close
                               OR i.adj_close IS DISTINCT FROM b.adj_close OR i.volume IS DISTINCT FROM b.volume
                               OR i.source IS DISTINCT FROM b.source THEN 'updated'
                             ELSE 'unchanged' END AS status
            FROM incoming i LEFT JOIN bars b ON b.ticker = i.ticker AND b.date = i.date""")
        counts = dict(con.execute("SELECT status, count(*) FROM staged GROUP BY status").fetchall())
        con.execute("""INSERT OR REPLACE INTO bars
                       (ticker, date, open, high, low, close, adj_close, volume, source, ingested_at,
                        zero_volume, stale_close)
                       SELECT ticker, date, open, high, low, close, adj_close, volume, source, ?,
                              zero_volume, stale_close
                       FROM staged WHERE status <> 'unchanged'""", [now])
    else:
        n = con.execute("SELECT count(*) FROM incoming").fetchall()[0][0]
        counts = {"added": n}
        con.execute("""INSERT INTO bars (ticker, date, open, high, low, close, adj_close, volume, source,
                                         ingested_at, zero_volume, stale_close)
                       SELECT ticker, date, open, high, low, close, adj_close, volume, source, ?,
                              zero_volume, stale_close FROM incoming""", [now])
    if con.execute("SELECT count(*) FROM seams WHERE prev_d IS NOT NULL OR next_d IS NOT NULL "
                   "OR n_inside > 0").fetchall()[0][0]:
        con.execute("""UPDATE bars SET zero_volume = f.zero_volume, stale_close = f.stale_close
            FROM (SELECT b.ticker, b.date, s.lo, b.volume = 0 AS zero_volume,
                         coalesce(b.volume = 0 AND b.close <> lag(b.close) OVER (PARTITION BY b.ticker ORDER BY b.date),
                                  false) AS stale_close
                  FROM bars b JOIN seams s ON b.ticker = s.ticker
                  WHERE b.date BETWEEN coalesce(s.prev_d, s.lo) AND coalesce(s.next_d, s.hi)) AS f
            WHERE bars.ticker = f.ticker AND bars.date = f.date AND f.date >= f.lo
              AND (bars.zero_volume IS DISTINCT FROM f.zero_volume OR bars.stale_close IS DISTINCT FROM f.stale_close)""")
    _check_bars(con)
    # The temp tables vanish with the connection, which closes right after this transaction.
    # Securities that appear for the first time are tracked from now on.
    con.execute("""INSERT INTO securities (ticker, kind, simulated, added_at)
                   SELECT ticker, CASE WHEN ticker LIKE '^%' THEN 'index' ELSE 'equity' END,
                          bool_or(source = 'demo-simulated'), ? FROM incoming_arrow GROUP BY ticker
                   ON CONFLICT (ticker) DO NOTHING""", [now])
    return WriteSummary(int(counts.get("added", 0)), int(counts.get("updated", 0)), int(counts.get("unchanged", 0)))


def _check_range(con: duckdb.DuckDBPyConnection, ticker: str, lo, hi) -> None:
    """_check_bars for one ticker's range as written: one count with constants, the listing only when needed."""
    bad = con.execute(f"SELECT count(*) FROM bars WHERE ticker = $t AND date BETWEEN $lo AND $hi "
                      f"AND ({any_problem_sql(future=False)})", {"t": ticker, "lo": lo.date(), "hi": hi.date()}
                      ).fetchall()[0][0]
    if bad:
        con.execute(f"CREATE OR REPLACE TEMP TABLE ranges AS SELECT {_sql_str(ticker)} AS ticker, "
                    f"DATE '{lo.date()}' AS lo, DATE '{hi.date()}' AS hi")
        con.execute("CREATE OR REPLACE TEMP TABLE incoming AS SELECT ticker, lo AS date FROM ranges WHERE false")
        _check_bars(con)

def _check_bars(con: duckdb.DuckDBPyConnection) -> None:
    """The end-of-load check on the rows of the touched ranges: the bar rules (store.bar_rules), unique keys."""
    con.execute("""CREATE OR REPLACE TEMP VIEW touched AS
                   SELECT b.*, 0 AS _row FROM bars b JOIN ranges r ON b.ticker = r.ticker AND b.date BETWEEN r.lo AND r.hi""")
    rows, _ = find_problems(con, "touched", None, duplicates=False, limit=5)
    dups = con.execute("""SELECT count(*) - count(DISTINCT (ticker, date)) FROM incoming""").fetchall()[0][0]
    if rows or dups:
        listed = "; ".join(f"{t} {d}: {p}" for t, d, p in rows)
        raise StoreError(f"Bar load rejected, nothing was written: {listed or ''}"
                         f"{' duplicate keys in the batch' if dups else ''}. Validate the frame with "
                         "ingest.bars.validate_bars and fix or drop the listed bars.")


def _scan_sql(source) -> str:
    if isinstance(source, pa.Table):
        return "bulk_source"
    if isinstance(source, (str, os.PathLike)):
        return f"read_parquet({_sql_str(os.fspath(source))})"
    raise StoreError(f"load_bars takes a parquet path or an Arrow table, not {type(source).__name__}; "
                     "use upsert_bars for a DataFrame.")


def _source_problems(source, today) -> tuple[list, int]:
    """Problems of a rejected bulk source, evaluated apart from the rolled-back transaction."""
    con = scratch_connection()
    if isinstance(source, pa.Table):
        con.register("bulk_source", source)
    try:
        cols = [r[0] for r in con.execute(f"DESCRIBE SELECT * FROM {_scan_sql(source)}").fetchall()]
        con.execute("CREATE OR REPLACE TEMP VIEW bulk_check AS "
                    + normalised_sql(_scan_sql(source), "adj_close" in cols))
        return find_problems(con, "bulk_check", today)
    finally:
        con.execute("DROP VIEW IF EXISTS bulk_check")
        if isinstance(source, pa.Table):
            con.unregister("bulk_source")


def _insert_new(con: duckdb.DuckDBPyConnection, relation: str, now, today) -> WriteSummary:
    """Insert bars of tickers that have none stored yet; the rules run over the written rows before COMMIT."""
    con.execute(f"""CREATE OR REPLACE TEMP TABLE ranges AS SELECT ticker, min(date) AS lo, max(date) AS hi
                    FROM {relation} GROUP BY ticker""")
    n = con.execute(f"""INSERT INTO bars (ticker, date, open, high, low, close, adj_close, volume, source,
                                          ingested_at, zero_volume, stale_close)
        SELECT ticker, date, open, high, low, close, adj_close, volume, source, ?, volume = 0,
               coalesce(volume = 0 AND close <> lag(close) OVER (PARTITION BY ticker ORDER BY date), false)
        FROM {relation}""", [now]).fetchall()[0][0]
    # End-of-load check over exactly the rows written (the tickers had no bars before): every rule.
    # Keys are unique and non-null by the table's constraints (a violation aborts the insert).
    bad = con.execute(f"""SELECT count(*) FROM bars WHERE ticker IN (SELECT ticker FROM ranges)
                          AND ({any_problem_sql(future=True)})""", [pd.Timestamp(today).date()]).fetchall()[0][0]
    if bad:
        raise BarValidationError([("", "", "rejected by the end-of-load check")], total=int(bad))
    _track_securities(con, "ranges", now)
    return WriteSummary(int(n), 0, 0)


def _merge_from(con: duckdb.DuckDBPyConnection, relation: str, now) -> WriteSummary:
    """Upsert a normalised relation (validated by the rules first) through the merge path."""
    problems, total = find_problems(con, relation, None, duplicates=True)
    if problems:
        raise BarValidationError(problems, total=total)
    con.execute(f"""CREATE OR REPLACE TEMP VIEW incoming_arrow AS
        SELECT ticker, date, open, high, low, close, adj_close, volume, source, volume = 0 AS zero_volume,
               coalesce(volume = 0 AND close <> lag(close) OVER (PARTITION BY ticker ORDER BY date), false)
                   AS stale_close
        FROM {relation}""")
    return _merge_bars(con, now)


def _track_securities(con: duckdb.DuckDBPyConnection, relation: str, now) -> None:
    """Securities that appear for the first time are tracked from now on."""
    con.execute(f"""INSERT INTO securities (ticker, kind, simulated, added_at)
                   SELECT DISTINCT r.ticker, CASE WHEN r.ticker LIKE '^%' THEN 'index' ELSE 'equity' END,
                          bool_or(b.source = 'demo-simulated') OVER (PARTITION BY r.ticker), ?
                   FROM {relation} r JOIN bars b ON b.ticker = r.ticker AND b.date = r.lo
                   ON CONFLICT (ticker) DO NOTHING""", [now])
