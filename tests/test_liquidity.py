"""Tests of analytics.liquidity: hand cases, Corwin-Schultz closed forms, simulation, tests."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from analytics.constants import DEFAULT_SEED
from analytics.liquidity import (
    AMIHUD_SCALE,
    compare_liquidity,
    corwin_schultz_spread,
    daily_liquidity,
    liquidity_difference,
)

K = 3 - 2 * math.sqrt(2)


def _bars(high, low, close, volume, start="1999-01-04"):
    n = len(close)
    return pd.DataFrame({
        "date": pd.bdate_range(start, periods=n),
        "high": np.asarray(high, float), "low": np.asarray(low, float),
        "close": np.asarray(close, float), "volume": np.asarray(volume, float),
    })


# --------------------------------------------------------------------------- Corwin-Schultz

@pytest.mark.parametrize(
    "name, high, low, close, adjust, clip, expected",
    [
        # Same range both days, no move: alpha = ln(H/L), S = 2(H - L)/(H + L) = 2*2/20 = 0.2
        ("flat_two_days", [11, 11], [9, 9], None, True, True, 0.2),
        # Day 2's low 9.6 is above day 1's close 9.5: day 2 shifts down 0.1 to H 11.4, L 9.5.
        # beta = ln(11/9)^2 + ln(11.4/9.5)^2 = 0.0735099, gamma = ln(11.4/9)^2 = 0.0558797,
        # alpha = (sqrt(2 beta) - sqrt(beta))/(3 - 2 sqrt 2) - sqrt(gamma/(3 - 2 sqrt 2)) = 0.0838656,
        # S = 2(e^alpha - 1)/(1 + e^alpha) = 0.0838165
        ("overnight_up", [11, 11.5], [9, 9.6], [9.5, 10], True, True, 0.083816490244835),
        # Without the adjustment: beta = ln(11/9)^2 + ln(11.5/9.6)^2 = 0.0728793,
        # gamma = ln(11.5/9)^2 = 0.0600850, alpha = 0.0599671, S = 0.0599491
        ("overnight_up_unadjusted", [11, 11.5], [9, 9.6], [9.5, 10], False, True, 0.05994912251833725),
        # A doubling between days: gamma dominates, raw alpha < 0.
        # beta = ln(1.01)^2 * 2, gamma = ln(2.02)^2 -> S_raw = -1.3628050; clipped to 0
        ("negative_raw", [10.1, 20.2], [10, 20], None, False, False, -1.3628049990541438),
        ("negative_clipped", [10.1, 20.2], [10, 20], None, False, True, 0.0),
    ],
)
def test_corwin_schultz_cases(name, high, low, close, adjust, clip, expected):
    s = corwin_schultz_spread(high, low, close, overnight_adjust=adjust, clip_negative=clip)
    assert np.isnan(s[0])
    assert s[1] == pytest.approx(expected, rel=1e-9)


def test_corwin_schultz_overnight_down_equals_flat_case():
    # day 2's high 9 is below day 1's close 9.5, so day 2 (H 9, L 7) moves up by 0.5 to
    # (9.5, 7.5); the result equals the unadjusted estimate on the already shifted pair
    shifted = corwin_schultz_spread([11, 9.5], [9, 7.5], overnight_adjust=False)
    moved = corwin_schultz_spread([11, 9.0], [9, 7.0], [9.5, 8], overnight_adjust=True)
    assert moved[1] == pytest.approx(shifted[1], rel=1e-12)


def test_corwin_schultz_flat_case_closed_form_table():
    # S = 2 (H - L) / (H + L) for two identical days, for any level and range
    for h, lo in [(1.0, 0.99), (0.0155, 0.0125), (250.0, 200.0)]:
        s = corwin_schultz_spread([h, h], [lo, lo])
        assert s[1] == pytest.approx(2 * (h - lo) / (h + lo), rel=1e-12)


def test_corwin_schultz_invalid_prices_are_nan():
    s = corwin_schultz_spread([11, 11, np.nan, 11], [9, 12, 9, 0], overnight_adjust=False)
    assert np.isnan(s).all()  # high < low, missing, zero low


def test_corwin_schultz_recovers_simulated_spread():
    # The paper's setting: a continuous log-price with daily volatility 2%, observed highs at
    # the ask (x (1 + S/2)) and lows at the bid (x (1 - S/2)), S = 2%; 390 steps a day.
    # The mean of the raw two-day estimates is close to S (seeded; tolerance 0.0015 is about
    # 3 standard errors of the mean over 1,000 days).
    rng = np.random.default_rng(DEFAULT_SEED)
    days, steps, spread, vol = 1000, 390, 0.02, 0.02
    logp = np.cumsum(rng.normal(0.0, vol / math.sqrt(steps), days * steps)).reshape(days, steps)
    p = np.exp(logp)
    high, low = p.max(axis=1) * (1 + spread / 2), p.min(axis=1) * (1 - spread / 2)
    close = p[:, -1] * (1 + spread / 2 * rng.choice([-1.0, 1.0], days))
    raw = corwin_schultz_spread(high, low, close, clip_negative=False)
    assert np.nanmean(raw) == pytest.approx(spread, abs=0.0015)
    clipped = corwin_schultz_spread(high, low, close)
    assert np.nanmean(clipped) >= np.nanmean(raw)  # setting negatives to zero biases upward


# --------------------------------------------------------------------------- daily measures

def test_daily_liquidity_hand_case():
    # closes 1.00, 1.10, 1.10, 0.99; volumes 1000, 2000, 0, 500; shares 10,000
    # dollar volume: 1000, 2200, 0, 495; turnover 0.1, 0.2, 0, 0.05
    # returns: -, +10%, 0, -10%; Amihud per $1M: -, 0.1/2200*1e6 = 45.4545..., NaN (no volume),
    # 0.1/495*1e6 = 202.0202...
    bars = _bars([1.0, 1.1, 1.1, 1.0], [1.0, 1.0, 1.1, 0.99], [1.0, 1.1, 1.1, 0.99], [1000, 2000, 0, 500])
    d = daily_liquidity(bars, 10_000)
    np.testing.assert_allclose(d["dollar_volume"], [1000, 2200, 0, 495])
    np.testing.assert_allclose(d["turnover"], [0.1, 0.2, 0.0, 0.05])
    assert list(d["zero_volume"]) == [False, False, True, False]
    np.testing.assert_allclose(d["ret"].iloc[1:], [0.1, 0.0, -0.1], rtol=1e-12)
    assert np.isnan(d["amihud"].iloc[0]) and np.isnan(d["amihud"].iloc[2])
    assert d["amihud"].iloc[1] == pytest.approx(0.1 / 2200 * AMIHUD_SCALE, rel=1e-12)
    assert d["amihud"].iloc[3] == pytest.approx(0.1 / 495 * AMIHUD_SCALE, rel=1e-12)
    # CS pairs need both days traded: only (day 0, day 1) qualifies
    assert np.isfinite(d["cs_spread"].iloc[1])
    assert d["cs_spread"].iloc[2:].isna().all()


def test_daily_liquidity_uses_adj_close_for_returns_and_shares_as_of():
    bars = _bars([2, 2, 2], [1, 1, 1], [1.5, 1.5, 1.5], [100, 100, 100])
    bars["adj_close"] = [1.0, 1.2, 1.2]
    shares = pd.Series([1000.0, 2000.0], index=pd.to_datetime(["1998-06-30", "1999-01-05"]))
    d = daily_liquidity(bars, shares)
    assert d["ret"].iloc[1] == pytest.approx(0.2)
    np.testing.assert_allclose(d["turnover"], [0.1, 0.05, 0.05])
    assert daily_liquidity(bars)["turnover"].isna().all()


def test_amihud_and_turnover_invariant_to_a_split():
    # a 2-for-1 split: half the price, twice the volume and shares -> same dollar volume,
    # turnover, returns, Amihud and spread
    rng = np.random.default_rng(1)
    close = np.exp(np.cumsum(rng.normal(0, 0.03, 60)))
    bars = _bars(close * 1.02, close * 0.98, close, rng.integers(0, 5000, 60))
    split = bars.assign(high=bars.high / 2, low=bars.low / 2, close=bars.close / 2, volume=bars.volume * 2)
    a, b = daily_liquidity(bars, 1e6), daily_liquidity(split, 2e6)
    for col in ["dollar_volume", "turnover", "amihud", "cs_spread"]:
        np.testing.assert_allclose(a[col], b[col], rtol=1e-12, err_msg=col)


# --------------------------------------------------------------------------- periods

def test_compare_liquidity_hand_case():
    # 6 days; "before" = days 0-2, "during" = days 3-5 (dates 4..6 Jan, 7..11 Jan 1999)
    # flat prices (high 11, low 9, close 10), so returns are 0 except as noted
    # volumes: before 100, 0, 300; during 1000, 1000, 2000; shares 10,000
    # before: DV 1000, 0, 3000 -> mean 4000/3; turnover mean 0.4/3/... = (0.01+0+0.03)/3
    #         zero share 1/3; Amihud over traded days: |r| = 0 -> 0; CS pairs inside with both
    #         traded: (0,1) no, (1,2) no -> none, NaN
    # during: DV 10000, 10000, 20000 -> 40000/3; turnover (0.1 + 0.1 + 0.2)/3; zero share 0;
    #         CS pairs (3,4), (4,5): flat days -> 0.2 each; (2,3) straddles the periods: excluded
    bars = _bars([11] * 6, [9] * 6, [10] * 6, [100, 0, 300, 1000, 1000, 2000])
    dates = bars["date"]
    periods = {"before": (None, dates[2]), "during": (dates[3], dates[5])}
    t = compare_liquidity(bars, periods, 10_000)
    assert list(t.index) == ["before", "during"]
    b, d = t.loc["before"], t.loc["during"]
    assert (b["n_days"], b["n_traded_days"], d["n_days"], d["n_traded_days"]) == (3, 2, 3, 3)
    assert b["mean_dollar_volume"] == pytest.approx(4000 / 3)
    assert d["mean_dollar_volume"] == pytest.approx(40000 / 3)
    assert d["median_dollar_volume"] == pytest.approx(10000)
    assert b["mean_turnover"] == pytest.approx(0.04 / 3)
    assert d["mean_turnover"] == pytest.approx(0.4 / 3)
    assert b["zero_volume_share"] == pytest.approx(1 / 3) and d["zero_volume_share"] == 0
    assert b["amihud"] == 0 and d["amihud"] == 0
    assert np.isnan(b["cs_spread"]) and b["n_cs_pairs"] == 0
    assert d["cs_spread"] == pytest.approx(0.2) and d["n_cs_pairs"] == 2
    assert b["start"] == dates[0] and d["end"] == dates[5]


def _two_period_bars(rng, n_a, n_b, vol_scale_b=1.0, p_zero=0.3, random_walk=True):
    n = n_a + n_b
    noise = rng.normal(0, 0.04, n)
    close = 0.5 * np.exp(np.cumsum(noise) if random_walk else noise)
    volume = np.exp(rng.normal(8, 1, n))
    volume[n_a:] *= vol_scale_b
    volume[rng.random(n) < p_zero] = 0.0
    bars = _bars(close * 1.03, close * 0.97, close, volume)
    dates = bars["date"]
    periods = {"before": (None, dates[n_a - 1]), "during": (dates[n_a], None)}
    return bars, periods


@pytest.mark.parametrize("method", ["mannwhitney", "welch", "hac"])
def test_liquidity_difference_uses_the_right_samples(method):
    rng = np.random.default_rng(DEFAULT_SEED)
    bars, periods = _two_period_bars(rng, 80, 60, vol_scale_b=3.0)
    res = liquidity_difference(bars, periods, "before", "during", 1e6, method=method).set_index("measure")
    d = daily_liquidity(bars, 1e6)
    a, b = d.iloc[:80], d.iloc[80:]
    dv_a, dv_b = a["dollar_volume"].to_numpy(), b["dollar_volume"].to_numpy()
    row = res.loc["dollar_volume"]
    assert (row["n_a"], row["n_b"]) == (80, 60)
    assert row["difference"] == pytest.approx(dv_b.mean() - dv_a.mean())
    if method == "mannwhitney":
        ref = stats.mannwhitneyu(dv_b, dv_a)
        assert row["statistic"] == pytest.approx(ref.statistic) and row["p_value"] == pytest.approx(ref.pvalue)
    elif method == "welch":
        ref = stats.ttest_ind(dv_b, dv_a, equal_var=False)
        assert row["statistic"] == pytest.approx(ref.statistic) and row["p_value"] == pytest.approx(ref.pvalue)
    else:
        assert row["statistic"] > 0
    am = res.loc["amihud"]
    assert am["n_a"] == int(a["amihud"].notna().sum()) and am["n_b"] == int(b["amihud"].notna().sum())
    z = res.loc["zero_volume_share"]
    table = [[int(b.zero_volume.sum()), int((~b.zero_volume).sum())],
             [int(a.zero_volume.sum()), int((~a.zero_volume).sum())]]
    ref = stats.fisher_exact(table)
    assert z["test"] == "fisher_exact"
    assert z["statistic"] == pytest.approx(ref.statistic) and z["p_value"] == pytest.approx(ref.pvalue)
    # a tripled volume is found by every method
    assert row["p_value"] < 0.01


def test_liquidity_difference_calibration_no_change():
    # The iid tests on iid data (the default is now the split-date placebo, tested below).
    # 400 seeded pairs of periods from one iid process: each test of the dollar volume rejects
    # at 5% about 5% of the time; band = 99.9% binomial interval for Binomial(400, 0.05): [8, 36].
    # The price must be stationary here: on a random-walk price, dollar volume differs between
    # periods because the price level does (a real change of dollar volume, not a test error).
    rng = np.random.default_rng(DEFAULT_SEED)
    reps = 400
    lo, hi = stats.binom.ppf([0.0005, 0.9995], reps, 0.05)
    counts = {"mannwhitney": 0, "welch": 0, "zero": 0}
    for _ in range(reps):
        bars, periods = _two_period_bars(rng, 60, 60, random_walk=False)
        mw = liquidity_difference(bars, periods, "before", "during",
                                  method="mannwhitney").set_index("measure")
        counts["mannwhitney"] += int(mw.loc["dollar_volume", "p_value"] < 0.05)
        counts["zero"] += int(mw.loc["zero_volume_share", "p_value"] < 0.05)
        w = liquidity_difference(bars, periods, "before", "during", method="welch").set_index("measure")
        counts["welch"] += int(w.loc["dollar_volume", "p_value"] < 0.05)
    assert lo <= counts["mannwhitney"] <= hi, counts
    assert lo <= counts["welch"] <= hi, counts
    assert counts["zero"] <= hi, counts  # Fisher's exact test is conservative: at most 5%


def test_liquidity_difference_rejects_unknown_method():
    bars, periods = _two_period_bars(np.random.default_rng(0), 10, 10)
    with pytest.raises(ValueError):
        liquidity_difference(bars, periods, "before", "during", method="ks")


# ------------------------------------------- tests that hold their level under persistence
import statsmodels.api as sm  # noqa: E402

from analytics.liquidity import (  # noqa: E402
    PRICE_LEVEL_NOTES, _hac_difference, andrews_bartlett_lags, split_date_placebo,
)


def test_split_date_placebo_hand_case():
    # x = [1, 2, 3, 4, 5, 6], a = positions 2..3, b = 4..5 (lengths 2, no gap): shifts k = 0, 1, 2
    # k=0: mean(3, 4) - mean(1, 2) = 2; k=1: mean(4, 5) - mean(2, 3) = 2; k=2 (actual): 2
    # -> every |d_k| >= |d|: p = 3/3 = 1
    res = split_date_placebo(np.arange(1.0, 7.0), (2, 3), (4, 5))
    assert res["difference"] == 2.0 and res["n_placebo"] == 3 and res["p_value"] == 1.0
    # a jump only at the actual split: x = [0, 0, 0, 0, 10, 10]; k=0: 0, k=1: 5, k=2: 10
    # -> only the actual one reaches 10: p = 1/3
    res = split_date_placebo(np.array([0, 0, 0, 0, 10, 10.0]), (2, 3), (4, 5))
    np.testing.assert_allclose(np.sort(res["placebo"]), [0, 5, 10])
    assert res["p_value"] == pytest.approx(1 / 3)
    # NaN days are skipped in each window's mean (k=2: b = [nan, 10] -> 10)
    res = split_date_placebo(np.array([0, 0, 0, 0, np.nan, 10.0]), (2, 3), (4, 5), min_obs=1)
    assert res["difference"] == 10.0


def test_andrews_lag_and_hac_match_statsmodels():
    rng = np.random.default_rng(DEFAULT_SEED)
    u = np.zeros(200)
    for t in range(1, 200):
        u[t] = 0.6 * u[t - 1] + rng.normal()
    lags, bw = andrews_bartlett_lags(u)
    # reference: rho from statsmodels OLS of u_t on u_{t-1} (no constant), then Andrews (1991)
    # eq. 6.4 univariate alpha(1) = 4 rho^2 / ((1 - rho)^2 (1 + rho)^2), S_T = 1.1447 (alpha T)^(1/3)
    rho = sm.OLS(u[1:], u[:-1]).fit().params[0]
    a1 = 4 * rho ** 2 / ((1 - rho) ** 2 * (1 + rho) ** 2)
    assert bw == pytest.approx(1.1447 * (a1 * 200) ** (1 / 3), rel=1e-12)
    assert lags == math.floor(bw)
    xa, xb = u[:120] + 1.0, u[120:] + 1.5
    t, p, used = _hac_difference(xa, xb)
    y = np.r_[xa, xb]
    X = sm.add_constant(np.r_[np.zeros(120), np.ones(80)])
    ref = sm.OLS(y, X).fit(cov_type="HAC", cov_kwds={"maxlags": used})
    assert t == pytest.approx(ref.tvalues[1], rel=1e-12) and p == pytest.approx(ref.pvalues[1], rel=1e-12)
    assert used == andrews_bartlett_lags(np.r_[xa - xa.mean(), xb - xb.mean()])[0]


def _persistent_bars(rng, n=600, rho=0.9):
    """Simulated thin stock whose liquidity is AR(1) (log volume, zero-volume odds, spread)."""
    e = rng.normal(0, 1, n)
    z = np.zeros(n)
    z[0] = e[0] / math.sqrt(1 - rho ** 2)
    for t in range(1, n):
        z[t] = rho * z[t - 1] + e[t]
    volume = np.exp(8 + 0.8 * z)
    volume[rng.random(n) < 0.8 / (1 + np.exp(1.5 * z))] = 0.0
    close = 0.5 * np.exp(np.cumsum(rng.normal(0, 0.04, n)))
    spread = 0.03 * np.exp(-0.3 * z)
    bars = _bars(close * (1 + spread), close * (1 - spread), close, volume, start="2010-01-01")
    d = bars["date"]
    return bars, {"before": (d[300], d[409]), "during": (d[410], d[529])}


def test_split_placebo_holds_its_level_when_liquidity_is_persistent():
    """Issue 9 point 7: nothing changed, liquidity AR(1) with rho 0.9; rejections at 10%."""
    rng = np.random.default_rng(DEFAULT_SEED)
    reps = 200
    lo, hi = stats.binom.ppf([0.0005, 0.9995], reps, 0.10)   # 99.9% band: [9, 33] of 200
    hits: dict[str, int] = {}
    mw_turnover = 0
    for rep in range(reps):
        bars, periods = _persistent_bars(rng)
        res = liquidity_difference(bars, periods, "before", "during", 1e6).set_index("measure")
        for m, p in res["p_value"].items():
            hits[m] = hits.get(m, 0) + int(p < 0.10)
        if rep < 50:
            mw = liquidity_difference(bars, periods, "before", "during", 1e6,
                                      method="mannwhitney").set_index("measure")
            mw_turnover += int(mw.loc["turnover", "p_value"] < 0.10)
    assert set(hits) == {"dollar_volume", "turnover", "amihud", "cs_spread", "zero_volume_share"}
    for m, k in hits.items():
        assert lo <= k <= hi, (m, k, hits)
    assert mw_turnover > 15  # of 50: the iid test rejects far more than 10% here (~60%)
    assert res["test"].str.startswith("placebo split dates").all()


def test_split_placebo_finds_a_real_change_and_names_price_level_measures():
    rng = np.random.default_rng(7)
    bars, periods = _persistent_bars(rng, rho=0.5)
    bars.loc[410:529, "volume"] *= 5.0
    res = liquidity_difference(bars, periods, "before", "during", 1e6).set_index("measure")
    assert res.loc["turnover", "p_value"] < 0.05
    for m in ("dollar_volume", "amihud", "cs_spread"):
        assert res.loc[m, "note"] == PRICE_LEVEL_NOTES[m] and "price level" in res.loc[m, "note"]
    assert res.loc["turnover", "note"] == "" and res.loc["zero_volume_share", "note"] == ""


def test_short_history_falls_back_to_hac_and_says_so():
    bars, periods = _two_period_bars(np.random.default_rng(0), 40, 40)
    res = liquidity_difference(bars, periods, "before", "during", 1e6).set_index("measure")
    assert res["test"].str.contains("Andrews 1991").all()
    assert res["test"].str.contains("fewer than 20 for the placebo").all()


def test_turnover_restates_an_old_report_through_a_reverse_split():
    # 1-for-10 reverse split on day 2; report of 1e7 shares on day 0 (pre-split basis) =
    # 1e6 on the latest basis; volume (latest basis) 1,000 -> turnover 0.001 every day
    bars = _bars([1.1] * 4, [0.9] * 4, [1.0] * 4, [1000] * 4)
    so = pd.DataFrame({"date": [bars["date"][0]], "shares": [1e7]})
    split = pd.DataFrame({"date": [bars["date"][2]], "ratio": [0.1]})
    d = daily_liquidity(bars, so, splits=split)
    np.testing.assert_allclose(d["turnover"], 0.001, rtol=1e-12)
