"""Replays Yahoo's HTTP answers through yfinance's `session=` seam (no network)."""
from __future__ import annotations

import json
import time
from urllib.parse import urlsplit

import pandas as pd
from curl_cffi import requests as curl_requests
from curl_cffi.requests import Response

from ingest.providers.yahoo import CappedSession

NEW_YORK_OPEN_UTC = pd.Timedelta(hours=14, minutes=30)


def chart_json(symbol: str, bars: pd.DataFrame, splits: dict | None = None, dividends: dict | None = None) -> dict:
    """A v8/finance/chart answer in Yahoo's shape for daily bars (date, open, high, low, close, adj_close, volume)."""
    stamps = [int((pd.Timestamp(d) + NEW_YORK_OPEN_UTC).timestamp()) for d in bars["date"]]
    events = {}
    if splits:
        events["splits"] = {str(int((pd.Timestamp(d) + NEW_YORK_OPEN_UTC).timestamp())): {
            "date": int((pd.Timestamp(d) + NEW_YORK_OPEN_UTC).timestamp()), "numerator": num, "denominator": den,
            "splitRatio": f"{num}:{den}"} for d, (num, den) in splits.items()}
    if dividends:
        events["dividends"] = {str(int((pd.Timestamp(d) + NEW_YORK_OPEN_UTC).timestamp())): {
            "amount": amt, "date": int((pd.Timestamp(d) + NEW_YORK_OPEN_UTC).timestamp())}
            for d, amt in dividends.items()}
    result = {
        "meta": {"currency": "USD", "symbol": symbol, "exchangeName": "PNK", "fullExchangeName": "Other OTC",
                 "instrumentType": "EQUITY", "firstTradeDate": stamps[0] if stamps else 0,
                 "regularMarketTime": stamps[-1] if stamps else 0, "hasPrePostMarketData": False,
                 "gmtoffset": -18000, "timezone": "EST", "exchangeTimezoneName": "America/New_York",
                 "regularMarketPrice": float(bars["close"].iloc[-1]) if len(bars) else None,
                 "priceHint": 4, "dataGranularity": "1d", "range": "",
                 "validRanges": ["1d", "5d", "1mo", "3mo", "6mo", "1y", "2y", "5y", "10y", "ytd", "max"]},
        "timestamp": stamps,
        "indicators": {"quote": [{k: [float(x) for x in bars[k]] for k in ("open", "high", "low", "close", "volume")}],
                       "adjclose": [{"adjclose": [float(x) for x in bars["adj_close"]]}]},
    }
    if events:
        result["events"] = events
    return {"chart": {"result": [result], "error": None}}


def shares_json(symbol: str, shares: dict | None) -> dict:
    """A fundamentals-timeseries answer for shares outstanding, in the shape yfinance 1.7's get_shares_full parses.

    `shares` maps a date to a share count (timestamps at midnight UTC, as Yahoo sends them); None gives
    Yahoo's answer for a symbol without share data (meta only, no "shares_out").
    """
    result = {"meta": {"symbol": [symbol], "type": ["shares_out"]}}
    if shares:
        result["timestamp"] = [int(pd.Timestamp(d, tz="UTC").timestamp()) for d in shares]
        result["shares_out"] = [int(v) for v in shares.values()]
    return {"timeseries": {"result": [result], "error": None}}


SHARES_BAD_REQUEST = {"finance": {"result": None, "error": {"code": "Bad Request",
                                                             "description": "Invalid input"}}}
NOT_FOUND = {"chart": {"result": None, "error": {"code": "Not Found",
                                                  "description": "No data found, symbol may be delisted"}}}
QUOTE_NOT_FOUND = {"quoteSummary": {"result": None, "error": {"code": "Not Found", "description": "Quote not found"}}}


def response(url: str, status: int = 200, body: bytes | str | dict = b"") -> Response:
    """A curl_cffi Response as the real session would return it."""
    r = Response()
    r.url = url
    r.status_code = status
    r.ok = status < 400
    r.reason = "OK" if status < 400 else "Error"
    if isinstance(body, dict):
        body = json.dumps(body)
    r.content = body.encode() if isinstance(body, str) else body
    r.headers["content-type"] = "application/json;charset=utf-8"
    return r


class ReplaySession(CappedSession):
    """Answers the cookie, crumb, v8 chart and shares (fundamentals-timeseries) URLs; `mode` simulates failures.

    charts: symbol -> chart_json(...); shares: symbol -> {date: shares} (a symbol with a chart but no
    entry gets Yahoo's "no share data" answer); shares_status: HTTP status for every shares request
    (e.g. 400 with Yahoo's "Bad Request" body, or 500) to make that call fail while the bars load.

    mode: "ok" | "429" (rate limit on every data URL) | "dns" (no name resolution) | "hang" (each request
    blocks until its capped timeout, then times out, as curl does on a dead network).
    """

    def __init__(self, charts: dict[str, dict] | None = None, mode: str = "ok",
                 shares: dict[str, dict] | None = None, shares_status: int = 200, **kwargs):
        super().__init__(**kwargs)
        self.charts = charts or {}
        self.shares = shares or {}
        self.shares_status = shares_status
        self.mode = mode
        self.calls: list[tuple[str, str, dict, float]] = []

    def request(self, method, url, *args, params=None, timeout=None, **kwargs):
        timeout = self.cap(timeout)
        self.calls.append((method, url, dict(params or {}), timeout))
        host, path = urlsplit(url).hostname, urlsplit(url).path
        if self.mode == "dns":
            raise curl_requests.exceptions.DNSError(f"Failed to perform, curl: (6) Could not resolve host: {host}.")
        if self.mode == "hang":
            time.sleep(timeout if not isinstance(timeout, tuple) else sum(t or 0 for t in timeout))
            raise curl_requests.exceptions.Timeout(
                f"Failed to perform, curl: (28) Operation timed out after {int(timeout * 1000)} milliseconds")
        if host == "fc.yahoo.com":
            return response(url, 404, "<html>no page</html>")
        if path.endswith("/v1/test/getcrumb"):
            return response(url, 429 if self.mode == "429" else 200,
                            "Too Many Requests" if self.mode == "429" else "repl4yCrumb")
        if self.mode == "429":
            return response(url, 429, "Too Many Requests")
        if "/v8/finance/chart/" in path:
            symbol = path.rsplit("/", 1)[-1]
            chart = self.charts.get(symbol)
            return response(url, 200, chart) if chart is not None else response(url, 404, NOT_FOUND)
        if "/ws/fundamentals-timeseries/v1/finance/timeseries/" in path:
            symbol = path.rsplit("/", 1)[-1]
            if self.shares_status != 200:
                return response(url, self.shares_status, SHARES_BAD_REQUEST if self.shares_status == 400
                                else "<html>Internal Server Error</html>")
            if symbol not in self.charts:
                return response(url, 200, shares_json(symbol, None))
            return response(url, 200, shares_json(symbol, self.shares.get(symbol)))
        if "quoteSummary" in path:
            return response(url, 404, QUOTE_NOT_FOUND)
        return response(url, 404, {"finance": {"result": None, "error": {"code": "Not Found"}}})
