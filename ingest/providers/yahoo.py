"""The yfinance provider: real yfinance calls behind a timeout-capped session and an overall deadline."""
from __future__ import annotations

import concurrent.futures
import logging
import threading
import time
import warnings
from datetime import timedelta

import numpy as np
import pandas as pd
import yfinance as yf
from curl_cffi import requests as curl_requests

from ingest.providers.base import (
    DIVIDEND_COLUMNS, SHARES_COLUMNS, SPLIT_COLUMNS, Provider, empty, empty_bars, with_retries,
)
from ingest.providers.errors import (
    EmptyDataError, NetworkUnavailableError, ProviderError, ProviderTimeoutError, RateLimitedError,
    TickerNotFoundError,
)

try:  # pandas 3 makes yfinance flood Pandas4Warning
    from pandas.errors import Pandas4Warning
    warnings.filterwarnings("ignore", category=Pandas4Warning)
except ImportError:  # pragma: no cover - older pandas
    pass

DEADLINE_SECONDS = 20.0       # every failure must be reported within this
REQUEST_TIMEOUT_SECONDS = 6.0  # cap per HTTP request (yfinance asks 30 s for cookie/crumb)
EARNINGS_LIMIT = 100  # the most Yahoo's earnings calendar gives in one page (yfinance raises above it)
EVENT_COLUMNS = ["ticker", "date", "kind", "title", "source"]
_MARKET_OPEN, _MARKET_CLOSE = 9.5, 16.0  # New York hours
_YF_LOCK = threading.Lock()     # yfinance shares one global session/cookie state (YfData singleton)


class CappedSession(curl_requests.Session):
    """curl_cffi session whose every request times out after min(asked, cap, time left to the deadline).

    The deadline is per thread: the provider runs each fetch in a worker thread and sets it there, so a
    worker abandoned at its deadline keeps its expired deadline and its remaining requests fail at once
    instead of holding yfinance's global lock for full timeouts (which stalled the next fetch by seconds).
    """

    def __init__(self, *args, max_timeout: float = REQUEST_TIMEOUT_SECONDS, **kwargs):
        kwargs.setdefault("impersonate", "chrome")
        super().__init__(*args, **kwargs)
        self.max_timeout = max_timeout
        self._deadlines = threading.local()

    @property
    def deadline(self) -> float | None:
        """time.monotonic() value by which the current thread's fetch must end (None: no deadline)."""
        return getattr(self._deadlines, "value", None)

    @deadline.setter
    def deadline(self, value: float | None) -> None:
        self._deadlines.value = value

    def cap(self, timeout):
        """The timeout to use for one request; raises Timeout once this thread's deadline has passed."""
        cap = self.max_timeout
        if self.deadline is not None:
            left = self.deadline - time.monotonic()
            if left <= 0:
                raise curl_requests.exceptions.Timeout("Operation timed out: the fetch's deadline has passed")
            cap = min(cap, max(0.05, left))
        if timeout is None:
            return cap
        if isinstance(timeout, tuple):
            return tuple(min(t, cap) if t is not None else cap for t in timeout)
        return min(timeout, cap)

    def request(self, method, url, *args, **kwargs):
        kwargs["timeout"] = self.cap(kwargs.get("timeout"))
        return super().request(method, url, *args, **kwargs)


def frame_from_yahoo(raw: pd.DataFrame, ticker: str, source: str = "yfinance") -> pd.DataFrame:
    """Canonical bars from a yfinance frame: `download`'s 2-level columns or `history`'s tz-aware index.

    Rows without a close (action-only rows) are dropped; a missing Adj Close is taken as Close;
    open/high/low are widened to contain close on the rare Yahoo rows where they do not.
    """
    if raw is None or len(raw) == 0:
        return empty_bars()
    df = raw
    if isinstance(df.columns, pd.MultiIndex):
        for level in range(df.columns.nlevels):
            values = df.columns.get_level_values(level)
            if ticker in values or ticker.upper() in values:
                df = df.xs(ticker if ticker in values else ticker.upper(), axis=1, level=level)
                break
        else:
            df = df.droplevel(list(range(1, df.columns.nlevels)), axis=1)
    names = {str(c).strip().lower().replace(" ", "_"): c for c in df.columns}
    if "close" not in names:
        raise ProviderError(f"Yahoo's answer for {ticker} has no Close column (columns: {list(df.columns)}); "
                            "yfinance may have changed its format: update yfinance or load a CSV export.")

    def col(name, fallback=None):
        key = names.get(name) or names.get(fallback)
        return pd.to_numeric(df[key], errors="coerce").to_numpy(dtype="float64")

    index = pd.DatetimeIndex(df.index)
    if index.tz is not None:
        index = index.tz_localize(None)  # the exchange's calendar day, as Yahoo's tz-aware index means it
    close = col("close")
    keep = ~np.isnan(close)  # action-only rows have no close
    close = close[keep]
    opened, high, low = (col(name, "close")[keep] for name in ("open", "high", "low"))
    # Yahoo writes 0 (or nothing) for open/high/low on no-trade days: take the close there.
    opened, high, low = (np.where(x > 0, x, close) for x in (opened, high, low))
    adj = col("adj_close", "close")[keep]
    volume = col("volume")[keep] if "volume" in names else np.zeros(len(close))
    return pd.DataFrame({"ticker": ticker.upper(), "date": index.normalize().astype("datetime64[ns]")[keep],
                         "open": opened, "high": np.maximum.reduce([opened, high, low, close]),
                         "low": np.minimum.reduce([opened, high, low, close]), "close": close,
                         "adj_close": np.where(np.isnan(adj), close, adj),
                         "volume": np.where(np.isnan(volume), 0.0, volume), "source": source})


def classify(exc: BaseException, ticker: str, timeout: float) -> ProviderError:
    """Turn whatever yfinance/curl_cffi raised into a named error with a clear message."""
    if isinstance(exc, ProviderError):
        return exc
    name = type(exc).__name__
    text = str(exc)
    if isinstance(exc, yf.exceptions.YFRateLimitError) or "429" in text or "Too Many Requests" in text:
        return RateLimitedError(
            f"Yahoo is rate-limiting this machine (HTTP 429) while fetching {ticker}. Wait a few minutes "
            "(sometimes an hour) before retrying, and refresh fewer tickers at a time; stored data are unchanged.")
    if isinstance(exc, yf.exceptions.YFPricesMissingError):
        return EmptyDataError(
            f"Yahoo returned no bars for {ticker} in the requested range ({exc}). The range may hold no "
            "trading days, or the ticker stopped trading; widen --start/--end or check the symbol.")
    status = getattr(getattr(exc, "response", None), "status_code", None)
    if isinstance(exc, yf.exceptions.YFTickerMissingError) or status == 404 or "HTTP Error 404" in text:
        return TickerNotFoundError(
            f"Yahoo does not know {ticker}, or it is delisted (no timezone or price history found). Check the "
            "symbol on finance.yahoo.com (OTC stocks have no suffix, indices start with ^); for a delisted "
            "stock load a CSV export with `python -m ingest load-csv FILE --ticker {ticker}`.")
    if isinstance(exc, curl_requests.exceptions.DNSError) or "resolve host" in text.lower():
        return NetworkUnavailableError(
            f"No network: could not resolve Yahoo's host name (DNS) while fetching {ticker}. Check the internet "
            "connection or proxy settings and retry; stored data are unchanged.")
    if isinstance(exc, (curl_requests.exceptions.Timeout, TimeoutError, concurrent.futures.TimeoutError)) \
            or "timed out" in text.lower() or "Timeout" in name:
        return ProviderTimeoutError(
            f"Yahoo did not answer within {timeout:.0f} s while fetching {ticker}: the network is hanging or a "
            "firewall drops the traffic. Check the connection (or proxy) and retry; stored data are unchanged.")
    if isinstance(exc, curl_requests.exceptions.HTTPError) or status is not None:
        return ProviderError(f"Yahoo answered with an HTTP error while fetching {ticker} ({text[:160]}). Retry "
                             "later; if it persists, load a CSV export with `python -m ingest load-csv`.")
    if isinstance(exc, (curl_requests.exceptions.ConnectionError, ConnectionError, OSError)):
        return NetworkUnavailableError(
            f"No network: could not connect to Yahoo while fetching {ticker} ({name}: {text[:160]}). Check the "
            "internet connection and retry; stored data are unchanged.")
    return ProviderError(f"Fetching {ticker} from Yahoo failed ({name}: {text[:200]}). Retry later, or load a "
                         "CSV export with `python -m ingest load-csv`.")


class YFinanceProvider(Provider):
    """Yahoo Finance through yfinance. `session` is the seam: production uses a CappedSession."""

    name = "yfinance"

    def __init__(self, session=None, deadline: float = DEADLINE_SECONDS, backoff: tuple[float, ...] = (1.0, 3.0)):
        self.session = session if session is not None else CappedSession()
        self.deadline = deadline
        self.backoff = backoff
        self._history: dict[tuple, pd.DataFrame] = {}
        logging.getLogger("yfinance").setLevel(logging.CRITICAL)  # we report failures ourselves

    def _run(self, ticker: str, fn):
        """Run fn() with named errors, retries for transient ones, and the overall deadline."""
        deadline = time.monotonic() + self.deadline

        def attempt():
            pool = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="yfinance")
            try:
                future = pool.submit(self._locked, fn, deadline)
                try:
                    return future.result(timeout=max(0.01, deadline - time.monotonic()))
                except BaseException as exc:
                    raise classify(exc, ticker, self.deadline) from exc
            finally:
                pool.shutdown(wait=False, cancel_futures=True)

        return with_retries(attempt, deadline=deadline, backoff=self.backoff)

    def _locked(self, fn, deadline: float):
        with _YF_LOCK:
            if hasattr(self.session, "deadline"):
                self.session.deadline = deadline  # this worker thread's deadline (see CappedSession)
            previous = yf.config.debug.hide_exceptions
            yf.config.debug.hide_exceptions = False  # we want the exception, not an empty frame and a log line
            try:
                if time.monotonic() >= deadline:  # waited for the lock past the deadline
                    raise ProviderTimeoutError("the deadline passed while waiting for another Yahoo fetch")
                return fn()
            finally:
                yf.config.debug.hide_exceptions = previous

    def _history_frame(self, ticker: str, start, end) -> pd.DataFrame:
        key = (ticker, str(start), str(end))
        if key not in self._history:
            start_s = pd.Timestamp(start).date().isoformat() if start is not None else None
            end_x = (pd.Timestamp(end) + timedelta(days=1)).date().isoformat() if end is not None else None

            def call():
                t = yf.Ticker(ticker, session=self.session)
                if start_s is None:
                    return t.history(period="max", interval="1d", auto_adjust=False, actions=True)
                return t.history(start=start_s, end=end_x, interval="1d", auto_adjust=False, actions=True)

            self._history = {key: self._run(ticker, call)}  # keep only the latest answer
        return self._history[key]

    def fetch_bars(self, ticker: str, start=None, end=None) -> pd.DataFrame:
        raw = self._history_frame(ticker, start, end)
        bars = frame_from_yahoo(raw, ticker, self.name)
        if len(bars) == 0:
            raise EmptyDataError(f"Yahoo returned no bars for {ticker} between {start} and {end}: the range may "
                                 "hold no trading days, or the ticker stopped trading.")
        return bars

    def fetch_actions(self, ticker: str, start=None, end=None) -> tuple[pd.DataFrame, pd.DataFrame]:
        raw = self._history_frame(ticker, start, end)
        index = pd.DatetimeIndex(raw.index)
        dates = (index.tz_localize(None) if index.tz is not None else index).normalize()
        out = []
        for column, value, cols in (("Stock Splits", "ratio", SPLIT_COLUMNS), ("Dividends", "amount", DIVIDEND_COLUMNS)):
            if column not in raw.columns:
                out.append(empty(cols))
                continue
            values = pd.to_numeric(raw[column], errors="coerce").to_numpy()
            mask = values > 0
            out.append(pd.DataFrame({"ticker": ticker.upper(), "date": dates[mask], value: values[mask]}))
        return out[0], out[1]

    def fetch_shares_outstanding(self, ticker: str, start=None, end=None) -> pd.DataFrame:
        def call():
            return yf.Ticker(ticker, session=self.session).get_shares_full(start=start, end=end)

        series = self._run(ticker, call)
        if series is None or len(series) == 0:
            return empty(SHARES_COLUMNS)
        index = pd.DatetimeIndex(series.index)
        dates = (index.tz_localize(None) if index.tz is not None else index).normalize()
        frame = pd.DataFrame({"ticker": ticker.upper(), "date": dates, "shares": series.to_numpy(dtype="float64"),
                              "source": self.name})
        return frame.drop_duplicates(["ticker", "date"], keep="last").reset_index(drop=True)

    def fetch_earnings_dates(self, ticker: str, limit: int = EARNINGS_LIMIT) -> pd.DataFrame:
        """Yahoo's earnings dates (past and scheduled) as EVENT_COLUMNS rows of kind 'earnings'; empty when none.

        yfinance 1.7 scrapes finance.yahoo.com/calendar/earnings?symbol=T&offset=0&size=N (N = 25, 50 or
        100) and parses its one <table>; no table (an unknown symbol, or none listed) gives None.
        """
        def call():
            # cache_get is an lru_cache for the process' life: without this a second load in the same
            # process (the dashboard's Data page) would get the first answer again
            yf.data.YfData.cache_get.cache_clear()
            return yf.Ticker(ticker, session=self.session).get_earnings_dates(limit=limit)

        raw = self._run(ticker, call)
        return earnings_frame(raw, ticker, self.name)



def _eps(value) -> str | None:
    try:
        x = float(value)
    except (TypeError, ValueError):
        return None
    return None if not np.isfinite(x) else f"{x:g}"


def earnings_frame(raw: pd.DataFrame | None, ticker: str, source: str = "yfinance") -> pd.DataFrame:
    """Corporate-event rows (EVENT_COLUMNS) from get_earnings_dates' frame (tz-aware 'Earnings Date' index).

    date is the exchange's local calendar date; the title says when in the day (before the open, after
    the close) and the EPS figures Yahoo lists, e.g. "Q4 1998 earnings, after the close (EPS estimate
    0.01, reported 0.02, surprise +100%)", or "scheduled" when nothing is reported yet.
    """
    if raw is None or len(raw) == 0:
        return empty(EVENT_COLUMNS)
    index = pd.DatetimeIndex(raw.index)
    local = index.tz_convert("America/New_York") if index.tz is not None else index
    hours = local.hour + local.minute / 60
    rows = []
    for i, (stamp, row) in enumerate(zip(local, raw.to_dict("records"))):
        name = row.get("Event Name")
        name = str(name).strip() if isinstance(name, str) and name.strip() else "Earnings"
        when = (", before the open" if hours[i] < _MARKET_OPEN else
                ", after the close" if hours[i] >= _MARKET_CLOSE else ", during trading hours")
        est, rep, surprise = _eps(row.get("EPS Estimate")), _eps(row.get("Reported EPS")), _eps(row.get("Surprise(%)"))
        figures = [f"EPS estimate {est}" if est else None, f"reported {rep}" if rep else "scheduled",
                   (f"surprise {float(surprise):+g}%" if surprise else None)]
        rows.append({"ticker": ticker.upper(), "date": stamp.tz_localize(None).normalize() if stamp.tz else
                     stamp.normalize(), "kind": "earnings",
                     "title": f"{name}{when} ({', '.join(f for f in figures if f)})"[:300], "source": source})
    out = pd.DataFrame(rows, columns=EVENT_COLUMNS)
    out["date"] = pd.to_datetime(out["date"]).astype("datetime64[ns]")
    return out.drop_duplicates(["ticker", "date", "kind"], keep="first").sort_values("date").reset_index(drop=True)
