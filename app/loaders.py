"""Cached loaders over ``store.Store``: the only way pages read data.

No connection is held: every loader takes the DuckDB path (a plain, hashable string), builds a
``Store`` (which opens the file for one query only) and returns DataFrames. Reads are memoised by
:mod:`app.memo`: one fetch per ``ttl`` shared by every session (so an ingest job run elsewhere shows
up, the expired entry served while it is fetched again behind), at most ``max_entries``, each frame
handed out as a copy-on-write copy; a view computed from them is reused while their content is
unchanged. Writes from the dashboard call :func:`clear` so the next render sees them at once.

Access is enforced here, below the pages: the cache holds the workspace's rows, and every read
leaves through :func:`read`, which keeps only the rows of the signed-in user's clients, tickers and
engagements (``app.auth.current_scope``, ``store.access.scope_frame``). :func:`open_store`, which
the writers in ``app.actions`` use, hands out a ``ScopedStore`` whose writes check the user's role
and clients. In the local demo the scope is everything and nothing is filtered.
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd
import streamlit as st

from app import memo

TTL_SECONDS = 60
STALE_SECONDS = 60  # past its ttl a read is served up to this long while it is fetched again behind (app.memo)
MAX_ENTRIES = 64


def db_path() -> str:
    """The workspace the dashboard reads: ``IRDASH_DB`` or the store's default."""
    from store import default_db_path

    return str(default_db_path())


def open_store(db: str):
    """A ``Store`` on ``db`` as the signed-in user sees it (no I/O until used; nothing is kept open)."""
    from app import auth

    scope = _scope_or_deny(db)
    raw = _raw_store(db)
    return raw if scope.everything else auth.ScopedStore(raw, scope, db)


def _raw_store(db: str):
    from store import Store

    return Store(path=db)


def _scope_or_deny(db: str):
    """The session's scope; AccessDenied when nobody is signed in (the sign-in page should have stopped)."""
    from app import auth

    scope = auth.current_scope(db)
    if scope is None:
        raise auth.AccessDenied("Sign in to see this workspace.")
    return scope


def scope(db: str):
    """The signed-in user's ``store.access.Scope`` (everything in the local demo)."""
    return _scope_or_deny(db)


def clear() -> None:
    """Forget every cached read and view (after the dashboard wrote to the store)."""
    st.cache_data.clear()
    memo.clear()


def scope_token(db: str) -> tuple:
    """The signed-in user's scope as a cache key (two users with different clients never share an entry)."""
    sc = _scope_or_deny(db)
    return (bool(sc.everything), tuple(sorted(map(str, sc.client_ids))), tuple(sorted(map(str, sc.engagement_ids))),
            tuple(sorted(map(str, sc.tickers))))


def scope_of_db(db: str, *args, **kwargs) -> tuple:
    """``scope_token`` of a view's first argument (``memo.view(scope=loaders.scope_of_db)``)."""
    return scope_token(db)


def _exists(db: str) -> bool:
    return Path(db).exists()


@memo.read(ttl=TTL_SECONDS, max_entries=MAX_ENTRIES, stale=STALE_SECONDS)
def _read_all(db: str, method: str, *args, **kwargs) -> pd.DataFrame:
    """``Store(db).<method>(*args, **kwargs)`` cached, unscoped; an empty frame when the workspace is missing."""
    if not _exists(db):
        return pd.DataFrame()
    return getattr(_raw_store(db), method)(*args, **kwargs)


def read(db: str, method: str, *args, **kwargs) -> pd.DataFrame:
    """``Store(db).<method>(*args, **kwargs)``, cached, and only the rows the signed-in user may see."""
    from store.access import scope_frame

    who = _scope_or_deny(db)
    return scope_frame(_read_all(db, method, *args, **kwargs), who)


@memo.read(ttl=TTL_SECONDS, max_entries=8, stale=STALE_SECONDS)
def workspace_info(db: str) -> dict:
    """``{"schema_version", "simulated", "name"}``; ``simulated`` False when there is no workspace."""
    if not _exists(db):
        return {"schema_version": None, "simulated": False, "name": None, "missing": True}
    info = dict(_raw_store(db).workspace_info())  # name, schema, simulated: the same for every user
    info.setdefault("simulated", False)
    info["missing"] = False
    return info


@memo.read(ttl=TTL_SECONDS, max_entries=MAX_ENTRIES, stale=STALE_SECONDS)
def _read_table_all(db: str, function: str, *args) -> pd.DataFrame:
    """``module.function(Store(db), *args)`` cached, unscoped, for the store modules beside ``Store``
    (``store.corporate_events``, ``store.integrity``, ``store.services``, ``store.peers``)."""
    import importlib

    import duckdb

    if not _exists(db):
        return pd.DataFrame()
    module, name = function.split(":")
    if module.split(".")[0] != "store":  # only the store's own readers, never a name from elsewhere
        raise ValueError(f"not a store reader: {function}")
    try:
        return getattr(importlib.import_module(module), name)(_raw_store(db), *args)
    except duckdb.CatalogException:  # a workspace older than its table, opened read-only
        return pd.DataFrame()


def read_table(db: str, function: str, *args) -> pd.DataFrame:
    """A store module's reader (``"store.integrity:trades"``), cached, and only the rows the signed-in user
    may see (every ``client_id``, ``engagement_id`` and ``ticker`` column is scoped)."""
    from store.access import scope_frame

    return scope_frame(_read_table_all(db, function, *args), _scope_or_deny(db))


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


@memo.read(ttl=TTL_SECONDS, max_entries=MAX_ENTRIES, stale=STALE_SECONDS)
def _confounding_all(db: str, ticker: str) -> pd.DataFrame:
    import duckdb

    from store.corporate_events import confounding_events

    if not _exists(db):
        return pd.DataFrame()
    try:
        return confounding_events(_raw_store(db), ticker)
    except duckdb.CatalogException:  # a workspace older than schema v3, opened read-only: no such table yet
        return pd.DataFrame()


def confounding_events(db: str, ticker: str) -> pd.DataFrame:
    """Non-IR events of a ticker (earnings, news, dividends, splits), only for a user who may see it."""
    from store.access import scope_frame

    return scope_frame(_confounding_all(db, ticker), _scope_or_deny(db))


def ingest_log(db: str, limit: int = 50) -> pd.DataFrame:
    """The newest jobs on the user's tickers (consultants also see jobs without one, e.g. refresh)."""
    log = read(db, "ingest_log", limit)
    if not log.empty and "ticker" in log and not _scope_or_deny(db).user.can_edit:
        log = log[log["ticker"].notna()].reset_index(drop=True)
    return log


def users(db: str) -> pd.DataFrame:
    """The users the signed-in consultant manages (everyone in the local demo)."""
    from store import access

    if not _exists(db):
        return pd.DataFrame()
    return access.visible_users(_raw_store(db), _scope_or_deny(db))


def audit_log(db: str, limit: int = 200) -> pd.DataFrame:
    """The newest audit rows about the user's clients or by users they manage (not cached: it is the record)."""
    from store import access

    if not _exists(db):
        return pd.DataFrame()
    return access.audit_log(_raw_store(db), _scope_or_deny(db), limit)


def bars(db: str, tickers: tuple[str, ...], start=None, end=None) -> pd.DataFrame:
    """Stored bars of ``tickers`` (a tuple, so it hashes) between ``start`` and ``end``."""
    if not tickers:
        return pd.DataFrame()
    start = None if start is None else pd.Timestamp(start)
    end = None if end is None else pd.Timestamp(end)
    return read(db, "bars", list(tickers), start=start, end=end)
