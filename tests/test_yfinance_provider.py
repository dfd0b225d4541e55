"""The yfinance provider against replayed Yahoo HTTP (through the `session=` seam); no network."""
from __future__ import annotations

import time

import pandas as pd
import pytest
import yfinance as yf

from factories import make_bars
from ingest import jobs
from ingest.providers import (
    EmptyDataError, NetworkUnavailableError, ProviderTimeoutError, RateLimitedError, TickerNotFoundError,
    YFinanceProvider, frame_from_yahoo,
)
from yahoo_replay import ReplaySession, chart_json

BARS = make_bars(closes=(0.05, 0.04, 0.04, 0.06), volumes=(1200, 0, 0, 5000), source="yfinance")


pytestmark = pytest.mark.usefixtures("fresh_yfinance")


SHARES = {"1998-12-31": 58_400_000, "1999-01-15": 59_900_000, "1999-01-15 ": 60_000_000}  # a duplicate date


def replay(mode="ok", **kwargs):
    charts = {"AXGI": chart_json("AXGI", BARS, splits={"1999-01-05": (1, 10)}, dividends={"1999-01-06": 0.01})}
    kwargs.setdefault("shares", {"AXGI": SHARES})
    return ReplaySession(charts, mode=mode, **kwargs)


def test_history_has_tz_aware_index_and_provider_makes_naive_dates():
    session = replay()
    raw = yf.Ticker("AXGI", session=session).history(start="1999-01-01", end="1999-02-01", auto_adjust=False)
    assert str(raw.index.tz) == "America/New_York"
    assert "Adj Close" in raw.columns
    bars = YFinanceProvider(session=session, backoff=()).fetch_bars("AXGI", "1999-01-01", "1999-01-31")
    assert bars["date"].tolist() == BARS["date"].tolist()
    assert bars["date"].dt.tz is None
    pd.testing.assert_frame_equal(bars[["close", "adj_close", "volume"]], BARS[["close", "adj_close", "volume"]])
    assert (bars["source"] == "yfinance").all()
    assert any("/v8/finance/chart/AXGI" in url for _, url, _, _ in session.calls)


def test_download_two_level_columns_are_flattened():
    raw = yf.download("AXGI", start="1999-01-01", end="1999-02-01", session=replay(), auto_adjust=False,
                      progress=False)
    assert isinstance(raw.columns, pd.MultiIndex)
    assert ("Adj Close", "AXGI") in raw.columns
    bars = frame_from_yahoo(raw, "AXGI")
    assert bars["date"].tolist() == BARS["date"].tolist()
    assert bars["close"].tolist() == BARS["close"].tolist()


def test_download_of_unknown_ticker_is_an_empty_frame():
    raw = yf.download("NOPEX", start="1999-01-01", end="1999-02-01", session=replay(), progress=False)
    assert len(raw) == 0
    assert len(frame_from_yahoo(raw, "NOPEX")) == 0


def test_splits_and_dividends_come_from_the_same_answer():
    session = replay()
    provider = YFinanceProvider(session=session, backoff=())
    provider.fetch_bars("AXGI", "1999-01-01", "1999-01-31")
    n_calls = len(session.calls)
    splits, dividends = provider.fetch_actions("AXGI", "1999-01-01", "1999-01-31")
    assert splits[["date", "ratio"]].values.tolist() == [[pd.Timestamp("1999-01-05"), 0.1]]
    assert dividends[["date", "amount"]].values.tolist() == [[pd.Timestamp("1999-01-06"), 0.01]]
    assert len(session.calls) == n_calls


def test_unknown_ticker_is_named():
    started = time.monotonic()
    with pytest.raises(TickerNotFoundError, match="Yahoo does not know NOPEX, or it is delisted.*load-csv"):
        YFinanceProvider(session=replay(), backoff=()).fetch_bars("NOPEX", "1999-01-01", "1999-01-31")
    assert time.monotonic() - started < 5


def test_rate_limit_is_named():
    with pytest.raises(RateLimitedError, match=r"rate-limiting this machine \(HTTP 429\).*Wait"):
        YFinanceProvider(session=replay("429"), backoff=()).fetch_bars("AXGI", "1999-01-01", "1999-01-31")


def test_rate_limit_is_retried_once_with_back_off():
    session = replay("429")
    with pytest.raises(RateLimitedError):
        YFinanceProvider(session=session, backoff=(0.05,)).fetch_bars("AXGI", "1999-01-01", "1999-01-31")
    charts = [c for c in session.calls if "/v8/finance/chart/" in c[1]]
    single = replay("429")
    with pytest.raises(RateLimitedError):
        YFinanceProvider(session=single, backoff=()).fetch_bars("AXGI", "1999-01-01", "1999-01-31")
    assert len(charts) == 2 * len([c for c in single.calls if "/v8/finance/chart/" in c[1]])


def test_dns_failure_is_named():
    with pytest.raises(NetworkUnavailableError, match=r"No network: could not resolve Yahoo's host name \(DNS\)"):
        YFinanceProvider(session=replay("dns"), backoff=()).fetch_bars("AXGI", "1999-01-01", "1999-01-31")


def test_hanging_network_times_out_with_capped_requests():
    session = replay("hang", max_timeout=0.2)
    started = time.monotonic()
    with pytest.raises(ProviderTimeoutError, match="did not answer within 2 s.*network is hanging"):
        YFinanceProvider(session=session, deadline=2.0, backoff=()).fetch_bars("AXGI", "1999-01-01", "1999-01-31")
    elapsed = time.monotonic() - started
    assert elapsed < 3.0
    assert session.calls and max(t for *_, t in session.calls) <= 0.2  # yfinance asked for 30 s


def test_overall_deadline_bounds_a_slow_network():
    session = replay("hang", max_timeout=5.0)
    started = time.monotonic()
    with pytest.raises(ProviderTimeoutError):
        YFinanceProvider(session=session, deadline=1.0, backoff=()).fetch_bars("AXGI", "1999-01-01", "1999-01-31")
    assert time.monotonic() - started < 1.8
    assert max(t for *_, t in session.calls) <= 1.0  # the session caps each request at the time left


def test_a_fetch_abandoned_at_its_deadline_does_not_stall_the_next_one():
    with pytest.raises(ProviderTimeoutError):
        YFinanceProvider(session=replay("hang", max_timeout=5.0), deadline=0.5, backoff=()).fetch_bars(
            "AXGI", "1999-01-01", "1999-01-31")
    started = time.monotonic()  # the abandoned worker must not keep yfinance's lock for 5 s requests
    YFinanceProvider(session=replay(), backoff=()).fetch_bars("AXGI", "1999-01-01", "1999-01-31")
    assert time.monotonic() - started < 1.5


def test_load_yahoo_job_stores_bars_actions_and_logs(empty_store):
    summary = jobs.load_yahoo(empty_store, "axgi", "1999-01-01", "1999-01-31", shares=False,
                              provider=YFinanceProvider(session=replay(), backoff=()))
    assert (summary.added, summary.updated, summary.status) == (4, 0, "ok")
    stored = empty_store.bars("AXGI")
    assert stored["zero_volume"].tolist() == [False, True, True, False]
    assert empty_store.splits("AXGI")["ratio"].tolist() == [0.1]
    assert empty_store.ingest_log().loc[0, ["job", "status", "added"]].tolist() == ["load-yahoo", "ok", 4]
    again = jobs.load_yahoo(empty_store, "AXGI", "1999-01-01", "1999-01-31", shares=False,
                            provider=YFinanceProvider(session=replay(), backoff=()))
    assert (again.added, again.unchanged) == (0, 4)


@pytest.mark.parametrize("mode, error, logged", [("429", RateLimitedError, "rate-limiting"),
                                                 ("dns", NetworkUnavailableError, "No network")])
def test_failed_job_changes_nothing_and_is_logged(empty_store, mode, error, logged):
    empty_store.upsert_bars(BARS.assign(close=0.05, open=0.05, high=0.05, low=0.05, adj_close=0.05))
    before = empty_store.bars("AXGI")
    with pytest.raises(error):
        jobs.load_yahoo(empty_store, "AXGI", "1999-01-01", "1999-01-31",
                        provider=YFinanceProvider(session=replay(mode), backoff=()))
    pd.testing.assert_frame_equal(before, empty_store.bars("AXGI"))
    log = empty_store.ingest_log().iloc[0]
    assert log["status"] == "failed" and logged in log["error"]


def test_refresh_fetches_only_from_last_bar_minus_overlap(empty_store):
    empty_store.upsert_bars(BARS.iloc[:2])
    session = replay()
    summary = jobs.refresh(empty_store, provider=YFinanceProvider(session=session, backoff=()),
                           today="1999-01-08")
    assert (summary.added, summary.unchanged, summary.exit_code) == (2, 2, jobs.EXIT_OK)
    chart = [p for _, url, p, _ in session.calls if url.endswith("/v8/finance/chart/AXGI") and "period1" in p]
    first_day = pd.Timestamp(int(chart[-1]["period1"]), unit="s", tz="UTC").tz_convert("America/New_York")
    assert first_day.date() == pd.Timestamp("1999-01-05").date() - pd.Timedelta(days=5)


def test_refresh_reports_partial_failure(empty_store):
    empty_store.upsert_bars(BARS)
    empty_store.upsert_bars(make_bars(ticker="NOPEX", source="yfinance"))
    summary = jobs.refresh(empty_store, provider=YFinanceProvider(session=replay(), backoff=()), today="1999-01-08")
    assert summary.exit_code == jobs.EXIT_PARTIAL and summary.status == "partly failed"
    assert summary.errors[0].startswith("NOPEX: Yahoo does not know NOPEX")


def test_empty_range_is_empty_data_not_unknown_ticker():
    with pytest.raises(EmptyDataError, match="no bars for AXGI"):
        YFinanceProvider(session=ReplaySession({"AXGI": chart_json("AXGI", BARS.iloc[:0])}), backoff=()).fetch_bars(
            "AXGI", "1999-01-01", "1999-01-31")


def test_load_yahoo_stores_shares_outstanding(empty_store):
    session = replay()
    started = time.monotonic()
    summary = jobs.load_yahoo(empty_store, "AXGI", "1998-12-01", "1999-01-31",
                              provider=YFinanceProvider(session=session, backoff=()))
    assert time.monotonic() - started < 3
    assert (summary.added, summary.status, summary.errors) == (4, "ok", [])
    shares = empty_store.shares_outstanding("AXGI")
    assert shares[["date", "shares"]].values.tolist() == [[pd.Timestamp("1998-12-31"), 58_400_000.0],
                                                          [pd.Timestamp("1999-01-15"), 60_000_000.0]]
    assert (shares["source"] == "yfinance").all()
    asked = [url for _, url, _, _ in session.calls if "fundamentals-timeseries" in url]
    assert asked and "symbol=AXGI" in asked[0]


def test_ticker_without_share_data_stores_none_and_does_not_warn(empty_store):
    summary = jobs.load_yahoo(empty_store, "AXGI", "1999-01-01", "1999-01-31",
                              provider=YFinanceProvider(session=replay(shares={}), backoff=()))
    assert summary.errors == [] and len(empty_store.shares_outstanding("AXGI")) == 0


@pytest.mark.parametrize("status", [400, 500])
def test_failed_shares_call_is_a_warning_and_the_bars_are_stored(empty_store, status):
    started = time.monotonic()
    summary = jobs.load_yahoo(empty_store, "AXGI", "1999-01-01", "1999-01-31",
                              provider=YFinanceProvider(session=replay(shares_status=status)))
    assert time.monotonic() - started < 5  # the default back-off does not retry it
    assert (summary.added, summary.status, summary.exit_code) == (4, "ok", jobs.EXIT_OK)
    assert len(summary.errors) == 1 and summary.errors[0].startswith("shares outstanding not updated:")
    assert len(empty_store.bars("AXGI")) == 4 and len(empty_store.shares_outstanding("AXGI")) == 0
    log = empty_store.ingest_log().iloc[0]
    assert log["status"] == "ok" and log["error"].startswith("shares outstanding not updated")


def test_refresh_skips_tickers_loaded_only_from_csv(empty_store):
    empty_store.upsert_bars(BARS.iloc[:2])                                   # from Yahoo
    empty_store.upsert_bars(make_bars(ticker="OLDCO", source="csv:oldco.csv"))  # only from a CSV file
    empty_store.upsert_bars(make_bars(ticker="^SIMIDX", source="demo-simulated"))
    empty_store.upsert_security("^SIMIDX", simulated=True)
    session = replay()
    summary = jobs.refresh(empty_store, provider=YFinanceProvider(session=session, backoff=()), today="1999-01-08")
    assert (summary.exit_code, summary.status, summary.errors) == (jobs.EXIT_OK, "ok", [])
    assert summary.skipped == ["OLDCO: loaded from CSV; re-upload the file to update"]
    assert summary.target == "1 tickers" and "1 skipped" in summary.line()
    charts = {url.rsplit("/", 1)[-1] for _, url, _, _ in session.calls if "/v8/finance/chart/" in url}
    assert charts == {"AXGI"}
    assert empty_store.ingest_log()["ticker"].tolist() == ["AXGI"]


def test_refresh_refreshes_a_ticker_with_csv_and_yahoo_bars(empty_store):
    empty_store.upsert_bars(make_bars(start="1998-12-28", source="csv:axgi.csv"))
    empty_store.upsert_bars(BARS.iloc[:2])
    summary = jobs.refresh(empty_store, provider=YFinanceProvider(session=replay(), backoff=()), today="1999-01-08")
    assert summary.skipped == [] and summary.added == 2 and summary.exit_code == jobs.EXIT_OK


# ---- earnings dates (get_earnings_dates scrapes finance.yahoo.com/calendar/earnings) ----------------
EARNINGS = [("1999-04-29 16:00", "Q1 1999 Earnings Release", 0.01, None, None),   # scheduled, after the close
            ("1999-01-28 08:00", "Q4 1998 Earnings Release", 0.01, 0.02, 100.0),  # before the open
            ("1998-10-29 11:00", "Q3 1998 Earnings Release", None, -0.01, None)]  # during trading hours


def earnings_replay(mode="ok", rows=EARNINGS, **kwargs):
    return replay(mode, earnings={"AXGI": rows} if rows is not None else {}, **kwargs)


def test_earnings_dates_request_is_the_one_yfinance_makes_and_parses():
    session = earnings_replay()
    raw = yf.Ticker("AXGI", session=session).get_earnings_dates(limit=100)
    assert str(raw.index.tz) == "America/New_York" and len(raw) == 3
    assert raw["Reported EPS"].isna().tolist() == [True, False, False]  # Yahoo's "-" is missing
    asked = [(url, params) for _, url, params, _ in session.calls if "/calendar/earnings" in url]
    assert asked == [("https://finance.yahoo.com/calendar/earnings?symbol=AXGI&offset=0&size=100",
                      {"crumb": "repl4yCrumb"})]


def test_provider_earnings_rows_have_local_dates_and_say_when():
    events = YFinanceProvider(session=earnings_replay(), backoff=()).fetch_earnings_dates("axgi")
    assert events.columns.tolist() == ["ticker", "date", "kind", "title", "source"]
    assert events["date"].tolist() == [pd.Timestamp("1998-10-29"), pd.Timestamp("1999-01-28"),
                                       pd.Timestamp("1999-04-29")]
    assert events["title"].tolist() == [
        "Q3 1998 Earnings Release, during trading hours (reported -0.01)",
        "Q4 1998 Earnings Release, before the open (EPS estimate 0.01, reported 0.02, surprise +100%)",
        "Q1 1999 Earnings Release, after the close (EPS estimate 0.01, scheduled)"]
    assert set(events["kind"]) == {"earnings"} and set(events["ticker"]) == {"AXGI"}
    assert set(events["source"]) == {"yfinance"}


def test_symbol_without_earnings_gives_an_empty_frame_and_the_job_says_what_to_do(empty_store):
    assert len(YFinanceProvider(session=earnings_replay(rows=None), backoff=()).fetch_earnings_dates("AXGI")) == 0
    from ingest.events import load_events
    with pytest.raises(EmptyDataError, match="Yahoo lists no earnings dates for AXGI.*load-events AXGI --file"):
        load_events(empty_store, "AXGI", provider=YFinanceProvider(session=earnings_replay(rows=None), backoff=()))
    assert empty_store.ingest_log().loc[0, ["job", "status"]].tolist() == ["load-events", "failed"]


@pytest.mark.parametrize("mode, error, message", [
    ("429", RateLimitedError, r"rate-limiting this machine \(HTTP 429\)"),
    ("dns", NetworkUnavailableError, r"No network: could not resolve Yahoo's host name"),
])
def test_earnings_failures_are_named(mode, error, message):
    with pytest.raises(error, match=message):
        YFinanceProvider(session=earnings_replay(mode), backoff=()).fetch_earnings_dates("AXGI")


def test_earnings_on_a_hanging_network_time_out():
    started = time.monotonic()
    with pytest.raises(ProviderTimeoutError, match="did not answer within 1 s"):
        YFinanceProvider(session=earnings_replay("hang", max_timeout=0.2), deadline=1.0,
                         backoff=()).fetch_earnings_dates("AXGI")
    assert time.monotonic() - started < 2.0


def test_load_events_job_stores_earnings_then_follows_a_moved_date(empty_store):
    from ingest.events import load_events
    from store import read_corporate_events
    first = load_events(empty_store, "AXGI", provider=YFinanceProvider(session=earnings_replay(), backoff=()))
    again = load_events(empty_store, "AXGI", provider=YFinanceProvider(session=earnings_replay(), backoff=()))
    assert (first.added, first.updated, first.unchanged) == (3, 0, 0)
    assert (again.added, again.updated, again.unchanged) == (0, 0, 3)  # the same process: not yfinance's cached page
    moved = [("1999-05-06 16:00", "Q1 1999 Earnings Release", 0.01, None, None), *EARNINGS[1:]]
    third = load_events(empty_store, "AXGI", provider=YFinanceProvider(session=earnings_replay(rows=moved), backoff=()))
    assert (third.added, third.updated, third.unchanged) == (1, 0, 2)
    stored = read_corporate_events(empty_store, "AXGI")
    assert stored["date"].tolist() == [pd.Timestamp("1998-10-29"), pd.Timestamp("1999-01-28"),
                                       pd.Timestamp("1999-05-06")]  # the scheduled 29 April moved to 6 May
    assert empty_store.ingest_log()["job"].tolist()[:3] == ["load-events"] * 3


def test_failed_earnings_load_changes_nothing(empty_store):
    from ingest.events import load_events
    from store import read_corporate_events
    load_events(empty_store, "AXGI", provider=YFinanceProvider(session=earnings_replay(), backoff=()))
    before = read_corporate_events(empty_store, "AXGI")
    with pytest.raises(RateLimitedError):
        load_events(empty_store, "AXGI", provider=YFinanceProvider(session=earnings_replay("429"), backoff=()))
    pd.testing.assert_frame_equal(before, read_corporate_events(empty_store, "AXGI"))
    assert empty_store.ingest_log().loc[0, "status"] == "failed"
