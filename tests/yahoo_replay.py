"""Replays Yahoo's HTTP answers through yfinance's `session=` seam (no network)."""
from __future__ import annotations

import json
import time
from urllib.parse import parse_qs, urlsplit

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


def earnings_html(symbol: str, rows: list[tuple] | None, company: str = "Auxer Group, Inc.") -> str:
    """finance.yahoo.com/calendar/earnings?symbol=... as yfinance 1.7's scraper reads it: one <table>.

    rows: (local time "1999-01-28 16:00", event name, EPS estimate, reported EPS, surprise %), newest first,
    None for Yahoo's "-"; the Earnings Date cell reads "January 28, 1999 at 4 PM EST" (EDT in summer), the
    text yfinance parses with '%B %d, %Y at %I %p' and the zone word. rows=None gives Yahoo's page for a
    symbol without earnings dates (no table).
    """
    head = ("<!DOCTYPE html><html lang=\"en-US\"><head><meta charset=\"utf-8\"><title>Earnings Calendar | "
            "Yahoo Finance</title></head><body><div id=\"nimbus-app\"><section class=\"main yf-1kx8vqa\">")
    if rows is None:
        return head + "<div class=\"noData\">We couldn't find any results.</div></section></div></body></html>"

    def cell(value):
        return "-" if value is None else f"{value:g}" if isinstance(value, float) else str(value)

    body = []
    for when, name, est, rep, surprise in rows:
        t = pd.Timestamp(when).tz_localize("America/New_York")
        zone = "EDT" if t.dst() else "EST"
        hour = t.strftime("%I").lstrip("0")
        stamp = f"{t.strftime('%B')} {t.day}, {t.year} at {hour} {t.strftime('%p')} {zone}"
        body.append(f"<tr class=\"row yf-2twxe2\"><td><a href=\"/quote/{symbol}/\">{symbol}</a></td>"
                    f"<td>{company}</td><td>{name}</td><td>{stamp}</td><td>{cell(est)}</td><td>{cell(rep)}</td>"
                    f"<td>{cell(surprise)}</td></tr>")
    table = ("<div class=\"table-container yf-1e2ljwz\"><table class=\"yf-1uayyp1 bd\"><thead><tr>"
             "<th>Symbol</th><th>Company</th><th>Event Name</th><th>Earnings Date</th><th>EPS Estimate</th>"
             "<th>Reported EPS</th><th>Surprise (%)</th></tr></thead><tbody>" + "".join(body) + "</tbody></table></div>")
    return head + table + "</section></div></body></html>"


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
    """Answers the cookie, crumb, v8 chart, shares (fundamentals-timeseries) and earnings-calendar URLs.

    `mode` simulates failures.

    charts: symbol -> chart_json(...); shares: symbol -> {date: shares} (a symbol with a chart but no
    entry gets Yahoo's "no share data" answer); shares_status: HTTP status for every shares request
    (e.g. 400 with Yahoo's "Bad Request" body, or 500) to make that call fail while the bars load;
    earnings: symbol -> earnings_html rows (a symbol without an entry gets the page without a table).

    mode: "ok" | "429" (rate limit on every data URL) | "dns" (no name resolution) | "hang" (each request
    blocks until its capped timeout, then times out, as curl does on a dead network).
    """

    def __init__(self, charts: dict[str, dict] | None = None, mode: str = "ok",
                 shares: dict[str, dict] | None = None, shares_status: int = 200,
                 earnings: dict[str, list] | None = None, **kwargs):
        super().__init__(**kwargs)
        self.charts = charts or {}
        self.earnings = earnings or {}
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
        if host == "finance.yahoo.com" and path.rstrip("/") == "/calendar/earnings":
            symbol = parse_qs(urlsplit(url).query).get("symbol", [""])[0]
            page = response(url, 200, earnings_html(symbol, self.earnings.get(symbol)))
            page.headers["content-type"] = "text/html; charset=utf-8"
            return page
        if "quoteSummary" in path:
            return response(url, 404, QUOTE_NOT_FOUND)
        return response(url, 404, {"finance": {"result": None, "error": {"code": "Not Found"}}})
