"""The provider interface and the one place where retries and back-off live."""
from __future__ import annotations

import random
import time
from typing import Callable, TypeVar

import pandas as pd

from ingest.bars import BAR_COLUMNS
from ingest.providers.errors import NetworkUnavailableError, ProviderTimeoutError, RateLimitedError

T = TypeVar("T")
SPLIT_COLUMNS = ["ticker", "date", "ratio"]
DIVIDEND_COLUMNS = ["ticker", "date", "amount"]
SHARES_COLUMNS = ["ticker", "date", "shares", "source"]


class Provider:
    """One data source. Every method returns canonical frames or raises a named ProviderError."""

    name = "base"

    def fetch_bars(self, ticker: str, start=None, end=None) -> pd.DataFrame:
        """Daily bars (ingest.bars.BAR_COLUMNS) of `ticker` from start to end, both inclusive."""
        raise NotImplementedError

    def fetch_actions(self, ticker: str, start=None, end=None) -> tuple[pd.DataFrame, pd.DataFrame]:
        """(splits, dividends) of `ticker` between start and end; empty frames when there are none."""
        return empty(SPLIT_COLUMNS), empty(DIVIDEND_COLUMNS)

    def fetch_shares_outstanding(self, ticker: str, start=None, end=None) -> pd.DataFrame:
        """Shares outstanding over time; empty when the source has none."""
        return empty(SHARES_COLUMNS)


def empty(columns: list[str]) -> pd.DataFrame:
    """An empty frame with `columns` (dates as datetime64[ns])."""
    return pd.DataFrame({c: pd.Series([], dtype="datetime64[ns]" if c == "date" else
                                      ("float64" if c in ("ratio", "amount", "shares") else "str"))
                         for c in columns})


def empty_bars() -> pd.DataFrame:
    """An empty canonical bar frame."""
    return pd.DataFrame({c: pd.Series([], dtype="datetime64[ns]" if c == "date" else
                                      ("str" if c in ("ticker", "source") else "float64"))
                         for c in BAR_COLUMNS})


RETRYABLE = (RateLimitedError, NetworkUnavailableError)


def with_retries(fn: Callable[[], T], *, deadline: float, backoff: tuple[float, ...] = (1.0, 3.0),
                 retry_on: tuple[type[BaseException], ...] = RETRYABLE) -> T:
    """Call fn, retrying on `retry_on` after jittered back-off while the monotonic `deadline` allows."""
    for attempt in range(len(backoff) + 1):
        try:
            return fn()
        except retry_on:
            if attempt == len(backoff):
                raise
            pause = backoff[attempt] * random.uniform(0.8, 1.2)
            if time.monotonic() + pause >= deadline - 1.0:
                raise  # no time left for another attempt: report this failure now
            time.sleep(pause)
    raise ProviderTimeoutError("retries exhausted")  # unreachable; keeps type checkers calm
