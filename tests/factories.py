"""Tiny canonical frames built from code for tests (import as `from factories import ...`)."""
from __future__ import annotations


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
