"""Cached loaders over ``store.Store``: the only way pages read data.

No connection is held: every loader takes the DuckDB path (a plain, hashable string), builds a
``Store`` (which opens the file for one query only) and returns DataFrames. Caches have a ``ttl``
(so an ingest job run elsewhere shows up) and ``max_entries``; writes from the dashboard call
:func:`clear` so the next render sees them at once. Returned frames are cached objects: callers
copy before mutating.
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd
import streamlit as st

TTL_SECONDS = 60
MAX_ENTRIES = 64


def db_path() -> str:
    """The workspace the dashboard reads: ``IRDASH_DB`` or the store's default."""
    from store import default_db_path

    return str(default_db_path())


def open_store(db: str):
    """A ``Store`` on ``db`` (no I/O until used; nothing is kept open)."""
    from store import Store

    return Store(path=db)


def clear() -> None:
    """Forget every cached read (after the dashboard wrote to the store)."""
    st.cache_data.clear()


def _exists(db: str) -> bool:
    return Path(db).exists()


@st.cache_data(ttl=TTL_SECONDS, max_entries=MAX_ENTRIES, show_spinner=False)
def read(db: str, method: str, *args, **kwargs) -> pd.DataFrame:
    """``Store(db).<method>(*args, **kwargs)`` cached; an empty frame when the workspace is missing."""
    if not _exists(db):
        return pd.DataFrame()
    return getattr(open_store(db), method)(*args, **kwargs)


@st.cache_data(ttl=TTL_SECONDS, max_entries=8, show_spinner=False)
def workspace_info(db: str) -> dict:
    """``{"schema_version", "simulated", "name"}``; ``simulated`` False when there is no workspace."""
    if not _exists(db):
        return {"schema_version": None, "simulated": False, "name": None, "missing": True}
    info = dict(open_store(db).workspace_info())
    info.setdefault("simulated", False)
    info["missing"] = False
    return info


def clients(db: str) -> pd.DataFrame:
    return read(db, "clients")


def engagements(db: str, client_id: str | None = None) -> pd.DataFrame:
    return read(db, "engagements", client_id)


def option_grants(db: str, engagement_id=None) -> pd.DataFrame:
    return read(db, "option_grants", engagement_id)


def financings(db: str, engagement_id=None) -> pd.DataFrame:
    return read(db, "financings", engagement_id)


def activities(db: str, client_id: str | None = None) -> pd.DataFrame:
    return read(db, "activities", client_id)


def securities(db: str) -> pd.DataFrame:
    return read(db, "securities")


def coverage(db: str) -> pd.DataFrame:
    return read(db, "coverage")


def splits(db: str, ticker: str | None = None) -> pd.DataFrame:
    return read(db, "splits", ticker)


def dividends(db: str, ticker: str | None = None) -> pd.DataFrame:
    return read(db, "dividends", ticker)


def shares_outstanding(db: str, ticker: str | None = None) -> pd.DataFrame:
    return read(db, "shares_outstanding", ticker)


def ingest_log(db: str, limit: int = 50) -> pd.DataFrame:
    return read(db, "ingest_log", limit)


def bars(db: str, tickers: tuple[str, ...], start=None, end=None) -> pd.DataFrame:
    """Stored bars of ``tickers`` (a tuple, so it hashes) between ``start`` and ``end``."""
    if not tickers:
        return pd.DataFrame()
    start = None if start is None else pd.Timestamp(start)
    end = None if end is None else pd.Timestamp(end)
    return read(db, "bars", list(tickers), start=start, end=end)
