"""Data providers behind one interface (ingest.providers.base.Provider), registered in PROVIDERS."""
from ingest.providers.base import Provider, with_retries
from ingest.providers.csv_file import CsvProvider, parse_price_csv
from ingest.providers.demo import DemoProvider
from ingest.providers.errors import (
    CsvFormatError, EmptyDataError, NetworkUnavailableError, ProviderError, ProviderTimeoutError,
    RateLimitedError, TickerNotFoundError,
)
from ingest.providers.yahoo import CappedSession, YFinanceProvider, frame_from_yahoo

PROVIDERS: dict[str, type[Provider]] = {"yfinance": YFinanceProvider, "csv": CsvProvider, "demo": DemoProvider}

__all__ = ["PROVIDERS", "CappedSession", "CsvFormatError", "CsvProvider", "DemoProvider", "EmptyDataError",
           "NetworkUnavailableError", "Provider", "ProviderError", "ProviderTimeoutError", "RateLimitedError",
           "TickerNotFoundError", "YFinanceProvider", "frame_from_yahoo", "parse_price_csv", "with_retries"]
