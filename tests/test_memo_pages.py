"""The dashboard's memoised values (app.memo) on real pages: reused on the next visit, and never changed by it.

Values are shared by every session, so a page that changed one (a frame column added, a figure updated, an
answer's list extended) would change what the next visitor sees. Every page of the demo is opened twice; the
second visit must find what the first computed, show the same text and charts, and leave every shared value
exactly as it was (compared by its content: a frame's values, a figure's JSON, an object's fields).
"""
from __future__ import annotations

import dataclasses
import hashlib
import pickle
from pathlib import Path

import pandas as pd
import plotly.graph_objects as go
import pytest

from app import loaders, memo
from tests.pages import PAGES, open_page, page_text


@pytest.fixture
def demo(demo_db, tmp_path, monkeypatch) -> Path:
    copy = tmp_path / "demo.duckdb"
    copy.write_bytes(demo_db.read_bytes())
    monkeypatch.setenv("IRDASH_DB", str(copy))
    loaders.clear()
    yield copy
    loaders.clear()


def content(value):
    """What a value says, not how it is laid out in memory: frames by their columns, dtypes and values (a frame
    pickles differently once pandas consolidated its blocks), figures by their JSON, containers item by item."""
    if isinstance(value, (pd.DataFrame, pd.Series)):
        cols = value.columns if isinstance(value, pd.DataFrame) else [value.name]
        return ("frame", memo.fingerprint(value), tuple(map(str, cols)))
    if isinstance(value, go.Figure):
        return ("figure", hashlib.sha256(value.to_json().encode()).hexdigest())
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return (type(value).__name__,) + tuple(content(getattr(value, f.name)) for f in dataclasses.fields(value))
    if isinstance(value, dict):
        return ("dict",) + tuple((str(k), content(v)) for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return (type(value).__name__,) + tuple(content(v) for v in value)
    return ("pickled", hashlib.sha256(pickle.dumps(value, protocol=5)).hexdigest())


def digest(name, value) -> str:
    try:
        return hashlib.sha256(repr(content(value)).encode()).hexdigest()
    except Exception as exc:  # noqa: BLE001 - a value that cannot be compared: say which
        raise AssertionError(f"{name} holds a value that cannot be compared: {exc}") from exc


@pytest.fixture
def at_creation(monkeypatch) -> dict:
    """Every memoised value's digest when it was stored, before any page laid it out."""
    made: dict = {}
    put = memo._Cache.put

    def recording_put(self, key, entry):
        made[(self.name, repr(key))] = digest(self.name, entry.value)
        put(self, key, entry)

    monkeypatch.setattr(memo._Cache, "put", recording_put)
    return made


def digests() -> dict:
    return {(name, repr(key)): digest(name, value) for name, key, value in memo.entries()}


def shown(at) -> tuple:
    return page_text(at), tuple(c.proto.spec for c in at.get("plotly_chart"))


def test_a_second_visit_reuses_every_value_and_changes_none(demo, at_creation):
    first = {page: shown(open_page(page)) for page in PAGES}
    before = digests()
    assert sorted(k for k in before if before[k] != at_creation.get(k, before[k])) == []  # the first visit changed none
    misses_before = {name: misses for name, (_n, _hits, misses) in memo.stats().items()}
    assert len(before) > 50, "the pages memoised almost nothing"
    second = {page: shown(open_page(page)) for page in PAGES}
    assert second == first
    after = digests()
    changed = sorted(name for name, key in before if (name, key) in after and after[(name, key)] != before[(name, key)])
    assert changed == []
    # nothing of the page views (answers, studies, page computations) was computed again
    recomputed = sorted(name for name, (_n, _hits, misses) in memo.stats().items()
                        if misses > misses_before.get(name, 0) and name.startswith("app.views"))
    assert recomputed == []
