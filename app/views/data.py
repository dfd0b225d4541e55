"""The Data page's view: coverage and quality flags (``analytics.data_quality``) from the cached reads."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from analytics import data_quality
from app import loaders


def coverage_table(cov: pd.DataFrame) -> pd.DataFrame:
    """Coverage with the age of the last bar, for the Data page."""
    return data_quality.coverage_table(cov)


def quality_flags(db: str, cov: pd.DataFrame) -> pd.DataFrame:
    """One row per ticker with something to look at: zero-volume and flagged bars, gaps, splits."""
    return data_quality.quality_flags(cov, loaders.splits(db), bar_gaps(db, tuple(cov["ticker"])))


@st.cache_data(ttl=loaders.TTL_SECONDS, max_entries=8, show_spinner=False)
def bar_gaps(db: str, tickers: tuple[str, ...]) -> dict:
    """Number of calendar gaps longer than STALE_DATA_DAYS between consecutive bars, per ticker."""
    from analytics.constants import STALE_DATA_DAYS

    if not tickers:
        return {}
    gaps = loaders.open_store(db).query(
        "SELECT ticker, count(*) AS n FROM (SELECT ticker, date - lag(date) OVER (PARTITION BY ticker ORDER BY date)"
        " AS gap FROM bars) WHERE gap > ? GROUP BY ticker", [STALE_DATA_DAYS])
    return dict(zip(gaps["ticker"], gaps["n"]))
