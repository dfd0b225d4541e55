"""One contract every registered provider passes (ingest.providers.PROVIDERS): same columns and dtypes,
a named error for an unknown ticker, never an empty frame."""
from __future__ import annotations

import pandas as pd
import pytest

from factories import make_bars
from ingest.bars import BAR_COLUMNS, validate_bars
from ingest.providers import (
    PROVIDERS, CsvFormatError, CsvProvider, DemoProvider, EmptyDataError, ProviderError, TickerNotFoundError,
    YFinanceProvider,
)
from yahoo_replay import ReplaySession, chart_json

BARS = make_bars(closes=(0.05, 0.04, 0.04, 0.06), volumes=(1200, 0, 0, 5000), source="yfinance")
EXPECTED_DTYPES = {"ticker": "str", "date": "datetime64[ns]", "open": "float64", "high": "float64",
                   "low": "float64", "close": "float64", "adj_close": "float64", "volume": "float64",
                   "source": "str"}


pytestmark = pytest.mark.usefixtures("fresh_yfinance")


def _yfinance(tmp_path):
    return YFinanceProvider(session=ReplaySession({"AXGI": chart_json("AXGI", BARS)}), backoff=()), "AXGI"


def _csv(tmp_path):
    path = tmp_path / "axgi.csv"
    path.write_text("Date,Open,High,Low,Close,Adj Close,Volume\n" + "".join(
        f"{d:%Y-%m-%d},{c},{c},{c},{c},{c},{int(v)}\n" for d, c, v in zip(BARS["date"], BARS["close"], BARS["volume"])))
    return CsvProvider(path), "AXGI"


def _demo(tmp_path):
    return DemoProvider(), "AXGI"


# provider name -> (factory of (provider, known ticker), range with bars, (provider, ticker) that is unknown)
CASES = {
    "yfinance": (_yfinance, ("1999-01-01", "1999-01-31"), TickerNotFoundError),
    "csv": (_csv, ("1999-01-01", "1999-01-31"), CsvFormatError),  # the "unknown" CSV is a missing file
    "demo": (_demo, ("1999-01-01", "1999-01-31"), TickerNotFoundError),
}


def _unknown(name, tmp_path):
    if name == "csv":
        return CsvProvider(tmp_path / "no-such-file.csv"), "NOPEX"
    provider, _ = CASES[name][0](tmp_path)
    return provider, "NOPEX"


def test_every_registered_provider_has_a_contract_case():
    assert set(CASES) == set(PROVIDERS)


@pytest.mark.parametrize("name", sorted(PROVIDERS))
def test_bars_have_the_canonical_columns_and_dtypes(name, tmp_path):
    factory, (start, end), _ = CASES[name]
    provider, ticker = factory(tmp_path)
    assert isinstance(provider, PROVIDERS[name])
    bars = provider.fetch_bars(ticker, start, end)
    assert list(bars.columns) == BAR_COLUMNS
    assert {c: str(t) for c, t in bars.dtypes.items()} == EXPECTED_DTYPES
    assert len(bars) > 0 and (bars["ticker"] == ticker).all()
    assert bars["date"].between(pd.Timestamp(start), pd.Timestamp(end)).all()
    assert bars["date"].dt.tz is None and (bars["date"] == bars["date"].dt.normalize()).all()
    assert len(validate_bars(bars)) == len(bars)  # what a provider returns passes validation as it is


@pytest.mark.parametrize("name", sorted(PROVIDERS))
def test_unknown_ticker_raises_a_named_error(name, tmp_path):
    provider, ticker = _unknown(name, tmp_path)
    with pytest.raises(CASES[name][2]) as info:
        provider.fetch_bars(ticker, "1999-01-01", "1999-01-31")
    assert type(info.value) is not ProviderError and str(info.value)


@pytest.mark.parametrize("name", sorted(PROVIDERS))
def test_a_range_without_bars_is_an_error_not_an_empty_frame(name, tmp_path):
    provider, ticker = CASES[name][0](tmp_path)
    if name == "yfinance":  # Yahoo answers an empty range with an empty chart
        provider = YFinanceProvider(session=ReplaySession({"AXGI": chart_json("AXGI", BARS.iloc[:0])}), backoff=())
    with pytest.raises(EmptyDataError):
        provider.fetch_bars(ticker, "1990-01-01", "1990-01-31")


@pytest.mark.parametrize("name", sorted(PROVIDERS))
def test_actions_are_canonical_frames(name, tmp_path):
    provider, ticker = CASES[name][0](tmp_path)
    start, end = CASES[name][1]
    provider.fetch_bars(ticker, start, end)
    splits, dividends = provider.fetch_actions(ticker, start, end)
    assert list(splits.columns) == ["ticker", "date", "ratio"]
    assert list(dividends.columns) == ["ticker", "date", "amount"]


def test_demo_provider_gives_the_demo_workspace_bars():
    from ingest.demo import BENCHMARK, build_demo_frames, simulate_bars

    ws = build_demo_frames(7)
    got = DemoProvider(seed=7).fetch_bars(BENCHMARK, "1999-01-01", "1999-03-31")
    want = ws.bars[(ws.bars["ticker"] == BENCHMARK) & ws.bars["date"].between("1999-01-01", "1999-03-31")]
    pd.testing.assert_frame_equal(got, want.reset_index(drop=True))
    assert len(simulate_bars("axgi")) == (ws.bars["ticker"] == "AXGI").sum()
