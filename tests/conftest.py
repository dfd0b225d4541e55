"""Shared test fixtures. Nothing here touches the network or the files under data/."""
from __future__ import annotations

import os
from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def _isolated_workspace(tmp_path, monkeypatch):
    """Every test gets its own default DuckDB path and yfinance cache, so none can touch data/."""
    monkeypatch.setenv("IRDASH_DB", str(tmp_path / "default.duckdb"))
    monkeypatch.setenv("YF_CACHE_DIR", str(tmp_path / "yf-cache"))
    os.makedirs(tmp_path / "yf-cache", exist_ok=True)


@pytest.fixture(autouse=True)
def _development_error_details(monkeypatch):
    """AppTest runs show a page's exception (development), not the friendly message of a served dashboard."""
    import streamlit as st

    monkeypatch.delenv("IRDASH_MODE", raising=False)  # the local demo mode unless a test sets deploy
    before = st.get_option("client.showErrorDetails")
    st.config.set_option("client.showErrorDetails", "full")
    yield
    st.config.set_option("client.showErrorDetails", before)


@pytest.fixture
def empty_store(tmp_path):
    """An initialised, empty Store in tmp_path."""
    from store import Store

    st = Store(tmp_path / "ws.duckdb")
    st.init()
    return st


@pytest.fixture(scope="session")
def demo_db(tmp_path_factory) -> Path:
    """The demo workspace built from code (ingest.demo), once per session: copy it before writing to it."""
    from ingest.demo import write_demo_workspace
    from store import Store

    path = tmp_path_factory.mktemp("demo") / "demo.duckdb"
    store = Store(path)
    store.init()
    write_demo_workspace(store, 19990104)
    return path


@pytest.fixture
def fresh_yfinance(tmp_path):
    """yfinance without its process-wide cookie/crumb session and timezone cache from an earlier test."""
    import yfinance as yf
    from yfinance import data as yf_data

    yf.set_tz_cache_location(str(tmp_path / "yf-tz"))
    yf_data.SingletonMeta._instances.pop(yf_data.YfData, None)
    yield
    yf_data.SingletonMeta._instances.pop(yf_data.YfData, None)
