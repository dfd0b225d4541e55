"""Option grant maths: Black-Scholes against Hull, parity, hand cases, a reverse split."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from analytics.constants import DEFAULT_SEED
from analytics.options import (
    black_scholes_call, black_scholes_put, days_to_expiry, grant_date_fair_value,
    intrinsic_value, moneyness, option_grant_series, option_status_as_of, split_factor_after,
    trailing_volatility,
)

# --- Black-Scholes --------------------------------------------------------------------
# Hull, Options, Futures and Other Derivatives, example 15.6: call 4.76, put 0.81.
HULL = dict(spot=42.0, strike=40.0, t_years=0.5, rate=0.10, vol=0.20)


def test_black_scholes_matches_hull_example():
    assert black_scholes_call(**HULL) == pytest.approx(4.76, abs=0.005)
    assert black_scholes_put(**HULL) == pytest.approx(0.81, abs=0.005)


PARITY_CASES = {
    "hull": (42.0, 40.0, 0.5, 0.10, 0.20),
    "penny_out_of_money": (0.0275, 0.04, 30 / 365, 0.05, 1.8),
    "deep_in_money": (0.5, 0.04, 1.0, 0.05, 0.9),
    "zero_rate": (10.0, 10.0, 2.0, 0.0, 0.35),
}


@pytest.mark.parametrize("case", PARITY_CASES)
def test_put_call_parity(case):
    s, k, t, r, v = PARITY_CASES[case]
    c, p = black_scholes_call(s, k, t, r, v), black_scholes_put(s, k, t, r, v)
    assert c - p == pytest.approx(s - k * math.exp(-r * t), rel=1e-10, abs=1e-14)


EDGE_CASES = {
    # (spot, strike, t, rate, vol) -> call
    "at_expiry_in": ((0.05, 0.04, 0.0, 0.05, 0.5), 0.01),
    "at_expiry_out": ((0.03, 0.04, 0.0, 0.05, 0.5), 0.0),
    "zero_vol_forward": ((1.0, 1.0, 1.0, 0.05, 0.0), 1.0 - math.exp(-0.05)),
    "unknown_vol": ((1.0, 1.0, 1.0, 0.05, float("nan")), float("nan")),
}


@pytest.mark.parametrize("case", EDGE_CASES)
def test_black_scholes_edges(case):
    args, expected = EDGE_CASES[case]
    got = black_scholes_call(*args)
    if math.isnan(expected):
        assert math.isnan(got)
    else:
        assert got == pytest.approx(expected, abs=1e-15)


def test_black_scholes_is_vectorised_and_homogeneous():
    s = np.array([0.03, 0.04, 0.05])
    one = black_scholes_call(s, 0.04, 0.1, 0.05, 1.2)
    ten = black_scholes_call(10 * s, 0.4, 0.1, 0.05, 1.2)
    np.testing.assert_allclose(ten, 10 * one, rtol=1e-12)


# --- moneyness, intrinsic, days -----------------------------------------------------------
HAND = {
    # price, strike, shares -> moneyness, intrinsic per share, intrinsic total
    "reference_at_the_money": (0.04, 0.04, 5_000_000, 1.0, 0.0, 0.0),
    "reference_fraction_of_cent": (0.0475, 0.04, 5_000_000, 1.1875, 0.0075, 37_500.0),
    "reference_out": (0.02, 0.04, 5_000_000, 0.5, 0.0, 0.0),
    "plain": (12.0, 10.0, 100, 1.2, 2.0, 200.0),
}


@pytest.mark.parametrize("case", HAND)
def test_moneyness_and_intrinsic_hand_cases(case):
    price, strike, shares, m, ips, total = HAND[case]
    assert moneyness(price, strike) == pytest.approx(m, rel=1e-12)
    assert intrinsic_value(price, strike) == pytest.approx(ips, abs=1e-15)
    assert intrinsic_value(price, strike, shares) == pytest.approx(total, rel=1e-9, abs=1e-9)


def test_days_to_expiry():
    assert days_to_expiry("1999-01-04", "1999-02-15") == 42
    assert days_to_expiry("1999-02-16", "1999-02-15") == -1


def test_trailing_volatility_constant_growth_is_zero_and_alternating_known():
    idx = pd.bdate_range("2020-01-01", periods=30)
    grow = pd.Series(1.01 ** np.arange(30), index=idx)
    assert trailing_volatility(grow, window=10).dropna().abs().max() < 1e-12
    # log returns alternate +a, -a: sample sd over 10 returns = a * sqrt(10/9)
    a = 0.05
    alt = pd.Series(np.exp(np.cumsum(np.r_[0, np.tile([a, -a], 15)[:29]])), index=idx)
    vol = trailing_volatility(alt, window=10)
    assert vol.iloc[-1] == pytest.approx(a * math.sqrt(10 / 9) * math.sqrt(252), rel=1e-9)
    assert vol.iloc[:10].isna().all()  # fewer than min(MIN_VOL_OBS, window) = 10 returns


# --- a grant through a reverse split ------------------------------------------------------
DAYS = pd.bdate_range("2021-03-01", periods=8)  # Mon 1 .. Wed 10 March
# Quoted prices: 0.05, 0.06, 0.05, 0.04, then a 1-for-10 reverse split effective Fri 5 March
# (DAYS[4]): quoted 0.45, 0.50, 0.55, 0.60.
QUOTED = np.array([0.05, 0.06, 0.05, 0.04, 0.45, 0.50, 0.55, 0.60])
SPLIT_DAY = DAYS[4]
REVERSE_SPLIT = pd.DataFrame({"date": [SPLIT_DAY], "ratio": [0.1]})
# Yahoo's series is on the latest basis: pre-split closes x 10.
ADJUSTED = pd.DataFrame({"date": DAYS, "close": np.where(DAYS < SPLIT_DAY, QUOTED * 10, QUOTED)})
GRANT = dict(grant_id=1, shares=1_000_000, strike=0.045, grant_date=DAYS[1], expiry_date=DAYS[7])


def test_split_factor_after():
    np.testing.assert_allclose(split_factor_after(DAYS, REVERSE_SPLIT), [0.1] * 4 + [1.0] * 4)


def test_reverse_split_mid_grant_adjusts_strike_and_shares():
    s = option_grant_series(GRANT, ADJUSTED, REVERSE_SPLIT, vol_window=3, min_vol_obs=2)
    assert list(s["date"]) == list(DAYS[1:])  # from the grant date to expiry
    np.testing.assert_allclose(s["close"], QUOTED[1:], rtol=1e-12)  # quoted, not adjusted
    # before the split: strike 0.045, 1,000,000 shares; after: strike 0.45, 100,000 shares
    np.testing.assert_allclose(s["strike"], [0.045] * 3 + [0.45] * 4, rtol=1e-12)
    np.testing.assert_allclose(s["shares"], [1e6] * 3 + [1e5] * 4, rtol=1e-12)
    # moneyness 0.06/0.045, 0.05/0.045, 0.04/0.045, 0.45/0.45, 0.50/0.45, ...
    np.testing.assert_allclose(s["moneyness"], QUOTED[1:] / np.r_[[0.045] * 3, [0.45] * 4],
                               rtol=1e-12)
    # intrinsic totals: 1e6 x 0.015 = 15,000; 1e6 x 0.005 = 5,000; 0; 0;
    # 1e5 x 0.05 = 5,000; 1e5 x 0.10 = 10,000; 1e5 x 0.15 = 15,000
    np.testing.assert_allclose(s["intrinsic_value"], [15_000, 5_000, 0, 0, 5_000, 10_000, 15_000],
                               atol=1e-8)
    # totals are basis-free: the same grant priced on the adjusted basis throughout agrees
    adj_grant = dict(GRANT, strike=0.45, shares=100_000)
    s_adj = option_grant_series(adj_grant, ADJUSTED, None, vol_window=3, min_vol_obs=2)
    np.testing.assert_allclose(s["fair_value"], s_adj["fair_value"], rtol=1e-10)
    np.testing.assert_allclose(s["intrinsic_value"], s_adj["intrinsic_value"], atol=1e-8)
    # the split is no return, so the volatility is that of the adjusted series
    np.testing.assert_allclose(s["volatility"], s_adj["volatility"], rtol=1e-12)


def test_status_at_expiry_after_reverse_split():
    st = option_status_as_of(GRANT, ADJUSTED, as_of=DAYS[7] + pd.Timedelta(days=3),
                             splits=REVERSE_SPLIT, vol_window=3, min_vol_obs=2)
    assert st.status == "expired in the money"
    assert st.expired_in_the_money is True
    assert st.value_at_expiry == pytest.approx(15_000.0)  # 100,000 x (0.60 - 0.45)
    assert st.strike == pytest.approx(0.45) and st.shares == pytest.approx(100_000)
    assert st.break_even == pytest.approx(0.45)


def test_status_live_and_not_yet_granted():
    live = option_status_as_of(GRANT, ADJUSTED, as_of=DAYS[2], splits=REVERSE_SPLIT,
                               vol_window=3, min_vol_obs=2)
    assert live.status == "live" and live.days_to_expiry == 7 and math.isnan(live.value_at_expiry)
    assert live.intrinsic_value == pytest.approx(5_000.0)
    before = option_status_as_of(GRANT, ADJUSTED, as_of=DAYS[0], splits=REVERSE_SPLIT)
    assert before.status == "not yet granted" and math.isnan(before.fair_value)


def test_expired_out_of_the_money():
    grant = dict(GRANT, strike=0.09)  # post-split strike 0.9 > 0.60
    st = option_status_as_of(grant, ADJUSTED, splits=REVERSE_SPLIT, as_of=DAYS[7])
    assert st.status == "expired out of the money" and st.value_at_expiry == 0.0


def test_grant_date_fair_value_and_break_even():
    grant = dict(GRANT, grant_date=DAYS[2])  # two returns of history: a volatility exists
    s = option_grant_series(grant, ADJUSTED, REVERSE_SPLIT, vol_window=3, min_vol_obs=2)
    fv = grant_date_fair_value(grant, ADJUSTED, REVERSE_SPLIT, vol_window=3, min_vol_obs=2)
    assert np.isfinite(fv) and fv == pytest.approx(s["fair_value"].iloc[0], rel=1e-12)
    # fair value is at least intrinsic (no dividends, r > 0)
    assert (s["fair_value"] >= s["intrinsic_value"] - 1e-9).all()
    # break-even at grant value: strike + grant fair value per share, carried across the split
    per_share_at_grant = fv / 1e6
    np.testing.assert_allclose(s["break_even_at_grant_value"].iloc[:2], 0.045 + per_share_at_grant)
    np.testing.assert_allclose(s["break_even_at_grant_value"].iloc[2:],
                               0.45 + per_share_at_grant * 10)
    assert (s["break_even"] == s["strike"]).all()  # no premium paid for the grant
    # on the expiry date the fair value is the intrinsic value
    assert s["fair_value"].iloc[-1] == pytest.approx(s["intrinsic_value"].iloc[-1])


def test_grant_on_a_non_trading_day_is_priced_off_the_previous_close():
    # granted Saturday 6 March (after the split), priced off Friday's close of 0.45
    sat = dict(GRANT, strike=0.45, shares=100_000, grant_date="2021-03-06")
    # the plain daily estimator named, so the reference is trailing_volatility (the default is
    # the trade-to-trade estimator, tested below)
    fv = grant_date_fair_value(sat, ADJUSTED, REVERSE_SPLIT, vol_window=3, min_vol_obs=2,
                               volatility_method="historical")
    vol_fri = trailing_volatility(ADJUSTED.set_index("date")["close"], 3, 2).loc[DAYS[4]]
    expected = 100_000 * black_scholes_call(0.45, 0.45, 4 / 365, 0.05, vol_fri)
    assert fv == pytest.approx(expected, rel=1e-12)
    s = option_grant_series(sat, ADJUSTED, REVERSE_SPLIT, vol_window=3, min_vol_obs=2,
                            volatility_method="historical")
    assert s["date"].iloc[0] == DAYS[5]
    assert s["break_even_at_grant_value"].iloc[0] == pytest.approx(0.45 + fv / 100_000)


def test_series_is_empty_with_columns_when_no_price_in_life():
    grant = dict(GRANT, grant_date="2030-01-01", expiry_date="2030-02-01")
    s = option_grant_series(grant, ADJUSTED)
    assert s.empty and "fair_value" in s.columns


# --- volatility robust to tick noise and thin trading (issue 9 point 8) --------------------
from analytics.options import (  # noqa: E402
    VOLATILITY_METHODS, noise_robust_volatility, option_volatility, weekly_volatility,
)


def test_zhou_estimator_hand_case():
    # closes 1.0, e^0.1, e^0.1 (no trade), e^0.05, e^0.15 with day 2 untraded:
    # trade-to-trade log returns 0.1 (span 1), -0.05 (span 2), 0.1 (span 1)
    # sum r^2 = 0.01 + 0.0025 + 0.01 = 0.0225; cross = 0.1 x -0.05 + -0.05 x 0.1 = -0.01
    # sigma^2_day = (0.0225 - 0.02) / 4 = 0.000625 -> annual sqrt(0.000625 x 252)
    idx = pd.bdate_range("2021-01-04", periods=5)
    close = pd.Series(np.exp([0.0, 0.1, 0.1, 0.05, 0.15]), index=idx)
    volume = pd.Series([1.0, 1, 0, 1, 1], index=idx)
    out = noise_robust_volatility(close, volume, window=4, min_obs=2)
    assert out["n_returns"].iloc[-1] == 3
    assert out["volatility"].iloc[-1] == pytest.approx(math.sqrt(0.000625 * 252), rel=1e-12)
    assert out["volatility_method"].iloc[-1] == VOLATILITY_METHODS["trade_to_trade_zhou"]
    # returns +a, -a, +a: the correction exceeds the squares -> the uncorrected estimate, said
    alt = pd.Series(np.exp([0.0, 0.1, 0.0, 0.1]), index=idx[:4])
    o2 = noise_robust_volatility(alt, None, window=3, min_obs=2)
    assert o2["volatility"].iloc[-1] == pytest.approx(math.sqrt(0.03 / 3 * 252), rel=1e-12)
    assert "uncorrected" in o2["volatility_method"].iloc[-1]


def test_weekly_volatility_hand_case():
    # 11 closes, window 10, 5-day returns ending at t=10: l10 - l5 = 0.2, l5 - l0 = -0.1
    # sd(0.2, -0.1) ddof 1 = 0.3 / sqrt(2) -> x sqrt(252 / 5)
    idx = pd.bdate_range("2021-01-04", periods=11)
    logp = np.r_[0.0, np.zeros(4), -0.1, np.zeros(4), 0.1]
    vol = weekly_volatility(pd.Series(np.exp(logp), index=idx), window=10, min_obs=2)
    assert vol.iloc[-1] == pytest.approx(0.3 / math.sqrt(2) * math.sqrt(252 / 5), rel=1e-12)


def _gbm_on_ticks(rng, sigma_annual, n=61, p0=0.04, p_trade=0.5, tick=1 / 256):
    """GBM latent price, quoted on the $1/256 tick (>= one tick), traded on ~half the days."""
    sd = sigma_annual / math.sqrt(252)
    latent = p0 * np.exp(np.cumsum(np.r_[0.0, rng.normal(-0.5 * sd * sd, sd, n - 1)]))
    quoted = np.maximum(np.round(latent / tick), 1) * tick
    traded = rng.random(n) < p_trade
    traded[[0, -1]] = True
    last_trade = np.maximum.accumulate(np.where(traded, np.arange(n), 0))
    idx = pd.bdate_range("2000-01-03", periods=n)
    return pd.Series(quoted[last_trade], index=idx), pd.Series(np.where(traded, 1000.0, 0.0), index=idx)


def test_noise_robust_volatility_is_near_the_truth_where_the_daily_one_is_1_2x():
    """400 seeded 60-day windows of a 60% GBM at 4 cents, $1/256 ticks, 50% untraded days."""
    rng = np.random.default_rng(DEFAULT_SEED)
    sigma = 0.60
    naive, robust = [], []
    for _ in range(400):
        close, volume = _gbm_on_ticks(rng, sigma)
        naive.append(option_volatility(close, volume, "historical")["volatility"].iloc[-1])
        robust.append(option_volatility(close, volume)["volatility"].iloc[-1])
    naive, robust = np.array(naive), np.array(robust)
    assert 1.15 < naive.mean() / sigma < 1.35                 # the defect: ~1.2x
    # within 5% on average (one window's estimate has a ~30% sampling sd: 30 returns)
    assert robust.mean() / sigma == pytest.approx(1.0, abs=0.05)


def test_default_fair_value_names_its_volatility_and_moves_the_demo_grant_down():
    from ingest.demo import build_demo_frames

    fr = build_demo_frames().frames()   # simulated AXGI prices (the demo workspace)
    bars = fr["bars"][fr["bars"]["ticker"] == "AXGI"][["date", "close", "volume"]]
    grant = fr["option_grants"].iloc[0].to_dict()
    naive = grant_date_fair_value(grant, bars, volatility_method="historical")
    robust = grant_date_fair_value(grant, bars)
    assert robust < naive   # tick noise no longer inflates the cost of the grant
    s = option_grant_series(grant, bars)
    assert (s["volatility_method"] == VOLATILITY_METHODS["trade_to_trade_zhou"]).all()
    assert option_status_as_of(grant, bars).volatility_method == VOLATILITY_METHODS["trade_to_trade_zhou"]
    with pytest.raises(ValueError, match="volatility method"):
        option_volatility(bars.set_index("date")["close"], method="garch")
