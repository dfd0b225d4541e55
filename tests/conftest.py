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


def make_bars(ticker="AXGI", start="1999-01-04", closes=(0.05, 0.04, 0.04, 0.06), volumes=None,
              source="csv:test.csv"):
    """A small canonical bar frame on consecutive business days (open = low = high = close)."""
    import pandas as pd

    dates = pd.bdate_range(start, periods=len(closes))
    volumes = volumes if volumes is not None else [1000.0] * len(closes)
    return pd.DataFrame({
        "ticker": ticker, "date": dates, "open": list(closes), "high": list(closes), "low": list(closes),
        "close": list(closes), "adj_close": list(closes), "volume": [float(v) for v in volumes],
        "source": source,
    })


@pytest.fixture
def empty_store(tmp_path):
    """An initialised, empty Store in tmp_path."""
    from store import Store

    st = Store(tmp_path / "ws.duckdb")
    st.init()
    return st
