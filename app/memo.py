"""The dashboard server's memory: store reads and page views computed once and shared by every session.

Why not ``st.cache_data``: it hashes every argument and unpickles a copy of the result on every hit. With ten
sessions on one server those copies were most of a page view's CPU (0.13 s of argument hashing and 0.06 s of
unpickling a view of the ROI report), and the sessions queue on the one GIL. Here a hit is a dictionary
lookup, and nothing is copied but frames' headers:

- :func:`read` memoises a function of the store (a ``Store`` query): its result is fetched at most once per
  ``ttl`` seconds per arguments, and carries a *fingerprint* of its content
  (:func:`analytics.answer.data_fingerprint`), taken once when it is fetched. With ``stale``, an entry past
  its ``ttl`` is served while a background thread fetches it again (the page views never wait on a timer).
- :func:`view` memoises a computation over reads (an answer, a page's tables and figures), keyed by its
  arguments (ids, dates and settings, never frames) and the signed-in user's scope. While it runs, every read
  it makes (and every view it uses, with that view's reads) is recorded with its fingerprint; the entry is
  reused as long as each of those reads still has the same fingerprint. A read whose ``ttl`` ran out is
  fetched again, and when its content is unchanged (an ingest job wrote another ticker) nothing is
  recomputed; when it changed, the view is computed again on the next call.
- Concurrent sessions asking for the same missing entry wait for the one computing it (single flight), so
  ten sessions opening a page after a write compute it once, not ten times.

Results are shared between sessions, so they are read-only: a DataFrame or Series is handed out as
``copy(deep=False)``, which pandas' copy-on-write (always on since pandas 3) makes a private copy the moment
it is changed; any other object (a figure, an answer) must not be changed by its caller
(``tests/test_memo.py`` renders every page twice and checks that no shared value changed).

:func:`clear` forgets everything (the dashboard wrote to the store; the tests between workspaces).
"""
from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import functools
import hashlib
import logging
import pickle
import threading
import time
from collections import OrderedDict
from typing import Any, Callable

import numpy as np
import pandas as pd

LOG = logging.getLogger("irdash.memo")
_CACHES: list["_Cache"] = []
_local = threading.local()  # .stack: the dependency lists of the views being computed on this thread


class _Entry:
    __slots__ = ("value", "token", "deps", "born")

    def __init__(self, value, token, deps, born):
        self.value, self.token, self.deps, self.born = value, token, deps, born


class _Cache:
    """One memoised function's entries: LRU, each at most ``ttl`` seconds old, with single-flight locks."""

    def __init__(self, name: str, ttl: float, max_entries: int, clock: Callable[[], float], stale: float = 0.0):
        self.name, self.ttl, self.max_entries, self.clock, self.stale = name, ttl, max_entries, clock, stale
        self.entries: OrderedDict = OrderedDict()
        self.flights: dict = {}
        self.refreshing: set = set()
        self.generation = 0  # clear() counts up: a fetch begun before a clear is not stored after it
        self.refresher: threading.Thread | None = None  # the newest background refresh (the tests join it)
        self.lock = threading.Lock()
        self.hits = self.misses = 0
        _CACHES.append(self)

    def fresh(self, key) -> _Entry | None:
        with self.lock:
            e = self.entries.get(key)
            if e is None:
                return None
            if self.clock() - e.born > self.ttl:
                return None
            self.entries.move_to_end(key)
            return e

    def servable(self, key) -> _Entry | None:
        """An entry past its ``ttl`` but within ``ttl + stale``: served while it is fetched again behind."""
        with self.lock:
            e = self.entries.get(key)
            if e is None or self.clock() - e.born > self.ttl + self.stale:
                return None
            return e

    def put(self, key, entry: _Entry) -> None:
        _hold(entry.value)
        with self.lock:
            self.entries[key] = entry
            self.entries.move_to_end(key)
            while len(self.entries) > self.max_entries:
                self.entries.popitem(last=False)

    def flight(self, key) -> threading.RLock:
        with self.lock:
            lock = self.flights.get(key)
            if lock is None:
                if len(self.flights) > 4 * self.max_entries:  # keys come and go: forget idle locks
                    self.flights = {k: v for k, v in self.flights.items() if k in self.entries}
                lock = self.flights[key] = threading.RLock()
            return lock

    def clear(self) -> None:
        with self.lock:
            self.entries.clear()
            self.generation += 1


# --- keys and fingerprints -------------------------------------------------------------------------------

def freeze(x) -> Any:
    """A hashable key for ``x``: ids, numbers, dates, tuples, lists, dicts, sets and dataclasses of them.

    A DataFrame (or any other object) is refused with a TypeError: a view is keyed by what identifies its
    data (the workspace, a client, a ticker, dates, settings), and finds the data itself through its reads.
    """
    if x is None or isinstance(x, (str, bool, int, float, bytes)):
        return x
    if x is pd.NaT:
        return ("NaT",)
    if isinstance(x, pd.Timestamp):
        return ("ts", x.value, str(x.tz))
    if isinstance(x, (dt.date, dt.datetime, dt.timedelta, pd.Timedelta, np.generic)):
        return (type(x).__name__, repr(x))
    if isinstance(x, (tuple, list)):
        return tuple(freeze(v) for v in x)
    if isinstance(x, dict):
        return ("dict",) + tuple(sorted(((str(k), freeze(v)) for k, v in x.items()), key=lambda kv: kv[0]))
    if isinstance(x, (set, frozenset)):
        return ("set",) + tuple(sorted((freeze(v) for v in x), key=repr))
    if dataclasses.is_dataclass(x) and not isinstance(x, type):
        return (type(x).__qualname__,) + tuple(freeze(getattr(x, f.name)) for f in dataclasses.fields(x))
    raise TypeError(f"{type(x).__name__} cannot be part of a memo key: pass ids, dates and settings, not data")


def fingerprint(value) -> str:
    """What a read returned, in 16 hex digits: a frame by its content (columns, dtypes, values), else pickled."""
    if isinstance(value, (pd.DataFrame, pd.Series)):
        from analytics.answer import data_fingerprint

        return data_fingerprint(value if isinstance(value, pd.DataFrame) else value.to_frame())
    try:
        raw = pickle.dumps(value, protocol=5)
    except Exception:  # noqa: BLE001 - not picklable: never equal to anything but itself
        raw = repr(id(value)).encode()
    return hashlib.sha256(raw).hexdigest()[:16]


_HELD: dict[int, tuple] = {}  # id(frame) -> (weakref to the frame, its fingerprint or None): frames memo holds
_HELD_LOCK = threading.Lock()


def _frames_in(value, depth: int = 2):
    """The frames and series a memoised value holds: itself, or its fields, items and values (two levels)."""
    if isinstance(value, (pd.DataFrame, pd.Series)):
        yield value
    elif depth > 0:
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            items = (getattr(value, f.name) for f in dataclasses.fields(value))
        elif isinstance(value, dict):
            items = value.values()
        elif isinstance(value, (list, tuple)):
            items = value
        else:
            return
        for v in items:
            yield from _frames_in(v, depth - 1)


def _hold(value) -> None:
    """Note the frames a new entry holds: they are read-only from now on, so their identity stands for their
    content and :func:`derived` need not hash them again."""
    import weakref

    with _HELD_LOCK:
        if len(_HELD) > 20_000:  # forget the frames that were freed
            for k in [k for k, (ref, _fp) in _HELD.items() if ref() is None]:
                del _HELD[k]
        for f in _frames_in(value):
            if id(f) not in _HELD or _HELD[id(f)][0]() is not f:
                _HELD[id(f)] = (weakref.ref(f), None)


def _frame_key(frame) -> str:
    """A frame's fingerprint: remembered for a frame memo holds (read-only), computed for any other."""
    held = _HELD.get(id(frame))
    if held is not None and held[0]() is frame:
        if held[1] is None:
            held = _HELD[id(frame)] = (held[0], fingerprint(frame))
        return held[1]
    return fingerprint(frame)


def share(value):
    """What a caller gets: a frame or series as a lazy copy (copy-on-write), a plain dict or list as a new
    container, anything else as it is. The values inside (a dict's frames, an answer's tables) are the shared
    ones: read-only, and :func:`derived` knows them by identity."""
    if isinstance(value, (pd.DataFrame, pd.Series)):
        return value.copy(deep=False)
    if type(value) is dict:
        return dict(value)
    if type(value) is list:
        return list(value)
    return value


# --- dependency recording --------------------------------------------------------------------------------

class _Dep:
    """A read a view was computed from: how to ask for it again, and the fingerprint it had."""

    __slots__ = ("cache", "key", "fetch", "token")

    def __init__(self, cache, key, fetch, token):
        self.cache, self.key, self.fetch, self.token = cache, key, fetch, token

    def unchanged(self) -> bool:
        return _read_entry(self.cache, self.key, self.fetch).token == self.token


def _stack() -> list:
    stack = getattr(_local, "stack", None)
    if stack is None:
        stack = _local.stack = []
    return stack


def _record(deps) -> None:
    """Add reads to the view being computed on this thread, if any (an inner view hands its reads to its caller
    when it returns, so a view depends on the reads of every view it used)."""
    stack = _stack()
    if stack:
        top = stack[-1]
        for d in deps:
            top[(id(d.cache), d.key)] = d


@contextlib.contextmanager
def _recording():
    deps: dict = {}
    stack = _stack()
    stack.append(deps)
    try:
        yield deps
    finally:
        stack.pop()


def _read_entry(cache: _Cache, key, fetch: Callable[[], Any]) -> _Entry:
    e = cache.fresh(key)
    if e is not None:
        cache.hits += 1
        return e
    if cache.stale:
        e = cache.servable(key)
        if e is not None:  # past its ttl: served as it is while a thread fetches it again
            cache.hits += 1
            _refresh_behind(cache, key, fetch)
            return e
    with cache.flight(key):
        e = cache.fresh(key)  # another session fetched it while this one waited
        if e is not None:
            cache.hits += 1
            return e
        cache.misses += 1
        return _fetch(cache, key, fetch)


def _fetch(cache: _Cache, key, fetch: Callable[[], Any]) -> _Entry:
    generation = cache.generation
    value = fetch()
    e = _Entry(value, fingerprint(value), (), cache.clock())
    if cache.generation == generation:  # else the store was written (and the memo cleared) meanwhile
        cache.put(key, e)
    return e


def _refresh_behind(cache: _Cache, key, fetch: Callable[[], Any]) -> None:
    """Fetch ``key`` again on a thread of its own (one at a time per key); a failure keeps the old entry, which
    is then fetched in the request that finds it past ``ttl + stale``."""
    with cache.lock:
        if key in cache.refreshing:
            return
        cache.refreshing.add(key)

    def run():
        try:
            with cache.flight(key):
                cache.misses += 1
                _fetch(cache, key, fetch)
        except Exception:  # noqa: BLE001 - a busy or missing workspace: the next request says so
            LOG.warning("background refresh of %s failed", cache.name, exc_info=True)
        finally:
            with cache.lock:
                cache.refreshing.discard(key)

    cache.refresher = threading.Thread(target=run, name=f"memo-refresh {cache.name}", daemon=True)
    cache.refresher.start()


# --- the decorators --------------------------------------------------------------------------------------

def read(ttl: float = 60, max_entries: int = 64, *, stale: float = 0.0, clock: Callable[[], float] = time.monotonic):
    """Memoise a store read: at most one fetch per ``ttl`` seconds per arguments, shared by every session.

    With ``stale`` > 0, an entry past its ``ttl`` (but not past ``ttl + stale``) is served at once while a
    background thread fetches it again, so no page view waits for the store on a timer: only a missing entry
    (a first visit, or after :func:`clear`, which the dashboard calls after its own writes) is fetched inline.
    """
    def deco(fn):
        cache = _Cache(f"{fn.__module__}.{fn.__qualname__}", ttl, max_entries, clock, stale)

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            key = freeze((args, kwargs))
            fetch = functools.partial(fn, *args, **kwargs)
            e = _read_entry(cache, key, fetch)
            _record([_Dep(cache, key, fetch, e.token)])
            return share(e.value)

        wrapper.memo = cache
        return wrapper
    return deco


def view(ttl: float = 600, max_entries: int = 32, *, spinner: str | None = None,
         scope: Callable[..., Any] | None = None, clock: Callable[[], float] = time.monotonic):
    """Memoise a computation over reads, reused while every read it made is unchanged (and for ``ttl`` at most).

    ``scope(*args, **kwargs)``, when given, is part of the key (the signed-in user's scope: two users with
    different clients never share an entry). ``spinner`` is shown while the entry is computed.
    """
    def deco(fn):
        cache = _Cache(f"{fn.__module__}.{fn.__qualname__}", ttl, max_entries, clock)

        def valid(e: _Entry | None) -> bool:
            return e is not None and all(d.unchanged() for d in e.deps)

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            key = freeze((args, kwargs, scope(*args, **kwargs) if scope else None))
            e = cache.fresh(key)
            if not valid(e):
                with cache.flight(key):
                    e = cache.fresh(key)
                    if not valid(e):
                        cache.misses += 1
                        with _recording() as deps, _spinner(spinner):
                            value = fn(*args, **kwargs)
                        e = _Entry(value, None, tuple(deps.values()), cache.clock())
                        cache.put(key, e)
                    else:
                        cache.hits += 1
            else:
                cache.hits += 1
            _record(e.deps)
            return share(e.value)

        wrapper.memo = cache
        return wrapper
    return deco


def derived(max_entries: int = 64):
    """Memoise a pure shaping of memoised objects (a table or figure built from a view's answer, account or data).

    Arguments that :func:`freeze` accepts are keyed by value, frames and series by their content
    (:func:`fingerprint`: a frame handed out is a new copy each time), any other object (an account or
    data object a view handed out) by its identity, and the entry keeps it, so a hit needs the very same
    object: a view's object is the same while the view is reused, and a new one when it was recomputed.
    No reads, no scope: the objects given are already the user's.
    """
    def deco(fn):
        cache = _Cache(f"{fn.__module__}.{fn.__qualname__}", float("inf"), max_entries, time.monotonic)

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            held, parts = [], []
            for name, a in (*((None, a) for a in args), *sorted(kwargs.items())):
                try:
                    parts.append((name, freeze(a)))
                except TypeError:
                    if isinstance(a, (pd.DataFrame, pd.Series)):  # by content: a frame handed out is a copy
                        parts.append((name, ("frame", _frame_key(a))))
                    else:
                        held.append(a)
                        parts.append((name, ("id", id(a))))
            key = tuple(parts)
            e = cache.fresh(key)
            if e is not None and len(e.token) == len(held) and all(x is y for x, y in zip(e.token, held)):
                cache.hits += 1
                return share(e.value)
            cache.misses += 1
            value = fn(*args, **kwargs)
            cache.put(key, _Entry(value, tuple(held), (), 0.0))
            return share(value)

        wrapper.memo = cache
        return wrapper
    return deco


def _spinner(text: str | None):
    if not text:
        return contextlib.nullcontext()
    try:
        import streamlit as st
        from streamlit.runtime.scriptrunner_utils.script_run_context import get_script_run_ctx

        if get_script_run_ctx(suppress_warning=True) is None:
            return contextlib.nullcontext()
        return st.spinner(text)
    except Exception:  # noqa: BLE001 - outside a Streamlit run: no spinner
        return contextlib.nullcontext()


def clear() -> None:
    """Forget every memoised read and view (after the dashboard wrote to the store; between test workspaces)."""
    for cache in list(_CACHES):
        cache.clear()


def stats() -> dict[str, tuple[int, int, int]]:
    """``{name: (entries, hits, misses)}`` of every memoised function (for the tests and ``bench``)."""
    return {c.name: (len(c.entries), c.hits, c.misses) for c in _CACHES}


def entries() -> list[tuple[str, Any, Any]]:
    """Every memoised ``(name, key, value)`` now held (the test that shared values stay unchanged reads them)."""
    out = []
    for c in list(_CACHES):
        with c.lock:
            out.extend((c.name, k, e.value) for k, e in c.entries.items())
    return out
