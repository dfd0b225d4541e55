"""Shared test fixtures. Nothing here touches the network or the files under data/."""
from __future__ import annotations

import os

import pytest


@pytest.fixture(autouse=True)
def _isolated_workspace(tmp_path, monkeypatch):
    """Every test gets its own default DuckDB path and yfinance cache, so none can touch data/."""
    monkeypatch.setenv("IRDASH_DB", str(tmp_path / "default.duckdb"))
    monkeypatch.setenv("YF_CACHE_DIR", str(tmp_path / "yf-cache"))
    os.makedirs(tmp_path / "yf-cache", exist_ok=True)


@pytest.fixture
def empty_store(tmp_path):
    """An initialised, empty Store in tmp_path."""
    from store import Store

    st = Store(tmp_path / "ws.duckdb")
    st.init()
    return st
