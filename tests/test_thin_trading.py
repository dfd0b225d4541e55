"""Trade-to-trade returns (Maynes and Rumsey 1993) and Dimson (1979) betas."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from analytics.event_study import event_study
from analytics.thin_trading import dimson_beta, trade_to_trade_returns

DATES = pd.bdate_range("2024-01-01", periods=5)


def test_trade_to_trade_hand_computed():
    close = pd.Series([10.0, 10.0, 11.0, 11.0, 12.1], index=DATES)
    volume = pd.Series([100.0, 0.0, 100.0, 0.0, 100.0], index=DATES)
    market = pd.Series([100.0, 101.0, 102.0, 103.0, 104.0], index=DATES)
    out = trade_to_trade_returns(close, volume, market)
    np.testing.assert_allclose(out["ret"], [np.nan, np.nan, 0.1, np.nan, 0.1])
    np.testing.assert_allclose(out["span"], [np.nan, np.nan, 2, np.nan, 2])
    np.testing.assert_allclose(out["market_ret"], [np.nan, np.nan, 0.02, np.nan, 104 / 102 - 1])


def test_unknown_volume_counts_as_traded():
    close = pd.Series([10.0, 11.0, 12.1], index=DATES[:3])
    volume = pd.Series([np.nan, np.nan, 5.0], index=DATES[:3])
    out = trade_to_trade_returns(close, volume)
    np.testing.assert_allclose(out["ret"], [np.nan, 0.1, 0.1])


def _thin_prices(seed=4, n=600, zero_share=0.5):
    rng = np.random.default_rng(seed)
    dates = pd.bdate_range("2015-01-01", periods=n)
    rm = rng.normal(0, 0.01, n)
    rm[0] = 0
    mclose = 100 * np.cumprod(1 + rm)
    true = 3 * np.cumprod(1 + 0.002 * 0 + 1.3 * rm + rng.normal(0, 0.02, n))
    traded = rng.random(n) >= zero_share
    traded[0] = True
    last = np.maximum.accumulate(np.where(traded, np.arange(n), 0))
    prices = pd.DataFrame({"ticker": "THIN", "date": dates, "close": true[last],
                           "volume": np.where(traded, 1000.0, 0.0)})
    return prices, pd.DataFrame({"date": dates, "close": mclose})


def test_engine_trade_to_trade_is_weighted_least_squares():
    prices, market = _thin_prices()
    events = pd.DataFrame({"event_id": [1], "ticker": "THIN", "date": [prices["date"].iloc[400]]})
    res = event_study(prices, events, market, thin_trading="trade_to_trade",
                      event_windows=((0, 5),))
    row = res.cars.iloc[0]
    t2t = trade_to_trade_returns(prices.set_index("date")["close"], prices.set_index("date")["volume"],
                                 market.set_index("date")["close"])
    est = t2t.iloc[400 - 120:400 - 10].dropna()
    # R = alpha n + beta Rm + e, Var(e) = n sigma^2  ->  WLS with weights 1/n, no constant
    fit = sm.WLS(est["ret"], np.column_stack([est["span"], est["market_ret"]]),
                 weights=1 / est["span"]).fit()
    assert row["alpha"] == pytest.approx(fit.params.iloc[0], rel=1e-8)
    assert row["beta"] == pytest.approx(fit.params.iloc[1], rel=1e-8)
    assert row["sigma"] ** 2 == pytest.approx(fit.scale, rel=1e-8)
    assert row["n_est"] == len(est) and row["dof"] == len(est) - 2
    # CAR variance: sigma^2 (sum n + s' (X'WX)^-1 s) over the window's observed returns
    win = t2t.iloc[400:406].dropna()
    X = np.column_stack([est["span"], est["market_ret"]])
    W = np.diag(1 / est["span"])
    s = np.array([win["span"].sum(), win["market_ret"].sum()])
    car = (win["ret"] - fit.params.iloc[0] * win["span"] - fit.params.iloc[1] * win["market_ret"]).sum()
    assert row["car"] == pytest.approx(car, rel=1e-8)
    expected_var = fit.scale * (win["span"].sum() + s @ np.linalg.inv(X.T @ W @ X) @ s)
    assert row["car_var"] == pytest.approx(expected_var, rel=1e-8)
    assert row["n_obs"] == len(win)


def test_trade_to_trade_beta_less_biased_than_daily_on_stale_prices():
    prices, market = _thin_prices(seed=9, n=3000, zero_share=0.6)
    dates = prices["date"]
    events = pd.DataFrame({"event_id": range(20), "ticker": "THIN",
                           "date": dates.iloc[np.arange(200, 2900, 135)].to_numpy()})
    daily = event_study(prices, events, market).cars["beta"].mean()
    t2t = event_study(prices, events, market, thin_trading="trade_to_trade").cars["beta"].mean()
    assert abs(t2t - 1.3) < abs(daily - 1.3)
    assert abs(t2t - 1.3) < 0.15


def test_dimson_beta_matches_statsmodels():
    rng = np.random.default_rng(2)
    idx = pd.bdate_range("2020-01-01", periods=300)
    m = pd.Series(rng.normal(0, 0.01, 300), index=idx)
    r = 0.5 * m + 0.4 * m.shift(1) + rng.normal(0, 0.01, 300)
    out = dimson_beta(r, m, lags=1)
    X = sm.add_constant(pd.concat([m.shift(1), m, m.shift(-1)], axis=1)).iloc[1:-1]
    fit = sm.OLS(r.iloc[1:-1], X).fit()
    assert out["beta"] == pytest.approx(fit.params.iloc[1:].sum(), rel=1e-10)
    assert out["alpha"] == pytest.approx(fit.params.iloc[0], rel=1e-8, abs=1e-12)
    assert out["n"] == 298


def test_engine_dimson_matches_statsmodels():
    prices, market = _thin_prices(seed=3, zero_share=0.0)
    events = pd.DataFrame({"event_id": [1], "ticker": "THIN", "date": [prices["date"].iloc[300]]})
    res = event_study(prices, events, market, thin_trading="dimson", dimson_lags=2)
    row = res.cars.iloc[0]
    r = prices.set_index("date")["close"].pct_change()
    m = market.set_index("date")["close"].pct_change()
    X = pd.concat([m.shift(k) for k in (2, 1, 0, -1, -2)], axis=1)
    est = slice(300 - 120, 300 - 10)
    fit = sm.OLS(r.iloc[est], sm.add_constant(X.iloc[est])).fit()
    assert row["beta"] == pytest.approx(fit.params.iloc[1:].sum(), rel=1e-8)
    assert row["sigma"] ** 2 == pytest.approx(fit.scale, rel=1e-8)
    assert row["dof"] == 110 - 6
