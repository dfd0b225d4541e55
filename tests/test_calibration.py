"""Calibration: with no event effect, every test rejects at 5% in about 5% of samples.

Seeded simulation: market-model returns with no abnormal return at any event; samples of
N events (each on its own random stock and date), one ``summary(by="sample")`` call for
all samples.  Tolerance: the 99% binomial band around 5% for the number of samples
(e.g. 400 samples -> about 2.2% .. 7.8%).  The thin-trading case draws 60% zero-volume days
with stale closes and runs trade-to-trade returns.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from analytics.event_study import event_study

ALPHA = 0.05
TESTS = ["csect_t", "patell", "bmp", "kolari_pynnonen", "corrado_rank", "generalized_sign",
         "wilcoxon"]


def band(n_samples: int, level: float = 0.99) -> tuple[float, float]:
    lo, hi = stats.binom.interval(level, n_samples, ALPHA)
    return lo / n_samples, hi / n_samples


def null_panel(n_tickers: int, n_days: int, seed: int, zero_share: float = 0.0):
    """Prices with no event effect; with ``zero_share`` the close is stale on no-trade days."""
    rng = np.random.default_rng(seed)
    dates = pd.bdate_range("2001-01-01", periods=n_days)
    rm = rng.normal(0.0002, 0.01, n_days)
    rm[0] = 0
    market = pd.DataFrame({"date": dates, "close": 100 * np.cumprod(1 + rm)})
    beta = rng.uniform(0.3, 1.5, (n_tickers, 1))
    sig = rng.uniform(0.01, 0.04, (n_tickers, 1))
    ret = beta * rm[None, :] + sig * rng.standard_t(5, (n_tickers, n_days)) / np.sqrt(5 / 3)
    ret[:, 0] = 0
    true = 5 * np.cumprod(1 + ret, axis=1)
    traded = rng.random((n_tickers, n_days)) >= zero_share
    traded[:, 0] = True
    # the close of a day without trades is the last traded price
    last = np.where(traded, np.arange(n_days)[None, :], 0)
    np.maximum.accumulate(last, axis=1, out=last)
    close = np.take_along_axis(true, last, axis=1)
    volume = np.where(traded, rng.integers(100, 5000, (n_tickers, n_days)), 0).astype(float)
    prices = pd.DataFrame({
        "ticker": np.repeat([f"S{i:03d}" for i in range(n_tickers)], n_days),
        "date": np.tile(dates, n_tickers),
        "close": close.ravel(), "volume": volume.ravel()})
    return prices, market, dates


def null_events(n_samples: int, n_per: int, n_tickers: int, dates, seed: int):
    rng = np.random.default_rng(seed)
    n = n_samples * n_per
    return pd.DataFrame({
        "event_id": np.arange(n),
        "ticker": [f"S{i:03d}" for i in rng.integers(0, n_tickers, n)],
        "date": dates[rng.integers(130, len(dates) - 10, n)],
        "sample": np.repeat(np.arange(n_samples), n_per),
    })


def rejection_rates(summ: pd.DataFrame) -> pd.DataFrame:
    cols = [f"{t}_p" for t in TESTS] + (["placebo_p"] if "placebo_p" in summ else [])
    return summ.groupby(["window_start", "window_end"])[cols].apply(lambda g: (g < ALPHA).mean())


@pytest.mark.parametrize("thin", [None, "trade_to_trade"])
def test_tests_reject_about_five_percent_under_the_null(thin):
    n_samples, n_per = 400, 25
    prices, market, dates = null_panel(200, 1500, seed=11, zero_share=0.6 if thin else 0.0)
    events = null_events(n_samples, n_per, 200, dates, seed=12)
    res = event_study(prices, events, market, thin_trading=thin)
    # with 60% no-trade days some 3-day windows have no trade at all, and some estimation
    # windows fewer than 30 trade-to-trade returns: listed, not dropped
    assert all(r.startswith(("no return observed in the event window", "not enough estimation"))
               for r in res.skipped["reason"])
    rates = rejection_rates(res.summary(by="sample"))
    lo, hi = band(n_samples)
    too_low = rates < lo
    if thin:
        # Known and accepted: with trade-to-trade returns the rank test is conservative on
        # short windows (an event enters only if its window has a trade, so event days are
        # observed more often than estimation days and Kbar varies less than S_K assumes).
        # It must never over-reject.
        too_low["corrado_rank_p"] = False
    bad = (too_low | (rates > hi)).to_numpy().any()
    assert not bad, f"rejection rates outside [{lo:.3f}, {hi:.3f}]:\n{rates.T}"


def test_placebo_rejects_about_five_percent_under_the_null():
    n_samples, n_per = 200, 10
    prices, market, dates = null_panel(100, 1200, seed=21)
    events = null_events(n_samples, n_per, 100, dates, seed=22)
    res = event_study(prices, events, market, event_windows=((-1, 1),))
    pl = res.placebo(by="sample", draws=199, seed=3)
    rate = float((pl["p_value"] < ALPHA).mean())
    lo, hi = band(n_samples)
    assert lo <= rate <= hi, rate


def test_market_model_t_rejects_about_five_percent_per_event():
    prices, market, dates = null_panel(200, 1500, seed=31)
    events = null_events(1, 4000, 200, dates, seed=32)
    res = event_study(prices, events, market)
    lo, hi = band(4000)
    for _, g in res.cars.groupby("window_start"):
        rate = float((g["p_value"] < ALPHA).mean())
        assert lo <= rate <= hi, rate


# --------------------------------------------------------------------------------------
# The calibration suite's harness (bench/calibration.py), issue 9: its data-generating
# functions against hand-computed cases, then fast seeded versions of cases (d1) and (c).
# The long runs with power and every case are `python -m bench.calibration`.
# --------------------------------------------------------------------------------------
from bench import calibration as cal  # noqa: E402

#: 99.9% binomial band: a correct test leaves it once in 1,000 seeds, so the seeded runs
#: below are far from the edge (the tests they check are 4.7%-5.5% in 2,000 replications)
STRICT = 0.999


@pytest.mark.parametrize("name, prices, tick, expected", [
    # exp(log p) = 1.10 -> 4.4 ticks of 0.25 -> 4 ticks = 1.00; 1.13 -> 4.52 -> 5 = 1.25;
    # 0.01 -> 0.04 ticks -> 0 -> at least one tick, 0.25
    ("quarter_ticks", [1.10, 1.13, 0.01], 0.25, [1.00, 1.25, 0.25]),
    # 1/256 = 0.00390625: 0.05 / tick = 12.8 -> 13 ticks = 0.05078125; 0.0625 = 16 ticks exactly
    ("ticks_of_1999", [0.05, 0.0625, 0.0019], 1 / 256, [13 / 256, 16 / 256, 1 / 256]),
])
def test_observed_close_is_the_latent_price_rounded_to_the_tick(name, prices, tick, expected):
    close, volume = cal.observe(np.random.default_rng(0), np.log([prices]), tick, zero_share=0.0)
    np.testing.assert_allclose(close[0], expected, rtol=0, atol=1e-12)
    assert (volume >= 100).all()


def test_untraded_days_keep_the_previous_close_with_volume_zero():
    # zero_share=1: only day 0 trades (always), so every later close is day 0's, volume 0
    close, volume = cal.observe(np.random.default_rng(1), np.log([[2.0, 3.0, 4.0, 5.0]]), 0.01, 1.0)
    assert close[0].tolist() == [2.0, 2.0, 2.0, 2.0]
    assert volume[0, 0] >= 100 and volume[0, 1:].tolist() == [0.0, 0.0, 0.0]
    # half the days untraded: a traded day's close is its rounded latent price, an untraded
    # day's close the last traded day's
    rng = np.random.default_rng(2)
    lat = np.log(np.linspace(1.0, 2.0, 400))[None, :]
    close, volume = cal.observe(rng, lat, 0.01, 0.5)
    traded = volume[0] > 0
    np.testing.assert_allclose(close[0, traded], np.round(np.exp(lat[0, traded]) / 0.01) * 0.01)
    last = np.maximum.accumulate(np.where(traded, np.arange(400), 0))
    np.testing.assert_array_equal(close[0], close[0, last])
    assert 0.43 < 1 - traded.mean() < 0.57  # 400 days: 50% +/- 3.5 sd of 2.5%


def test_garch_innovations_have_unit_variance_and_the_textbook_autocorrelation_of_squares():
    # GARCH(1,1) with a=0.10, b=0.85: unconditional variance (1-a-b)/(1-a-b) = 1 and the
    # lag-1 autocorrelation of e^2 is a (1 - a b - b^2) / (1 - 2 a b - b^2) (Bollerslev 1988)
    # = 0.1 x 0.1925 / 0.1075 = 0.1791
    a, b = 0.10, 0.85
    e = cal.garch_innovations(np.random.default_rng(3), (400, 2500), "normal", (a, b))
    assert abs(e.var() - 1) < 0.03
    sq = e ** 2 - (e ** 2).mean()
    rho1 = (sq[:, 1:] * sq[:, :-1]).mean() / (sq ** 2).mean()
    assert abs(rho1 - a * (1 - a * b - b * b) / (1 - 2 * a * b - b * b)) < 0.02
    # Student t(3) / sqrt(3) has variance 3 / (3 - 2) / 3 = 1; its median absolute value is
    # t_3's 0.75 quantile / sqrt(3) = 0.7649 / 1.7321 = 0.4416 (a tail-robust check)
    z = cal.garch_innovations(np.random.default_rng(4), (200, 2000), "t3")
    assert abs(np.median(np.abs(z)) - stats.t.ppf(0.75, 3) / np.sqrt(3)) < 0.005
    with pytest.raises(ValueError, match="a \\+ b < 1"):
        cal.garch_innovations(np.random.default_rng(0), (2, 5), "normal", (0.2, 0.8))


def test_the_effect_is_five_percent_on_day_zero_and_nothing_else():
    # same seed with and without the effect: the latent price is 1.05 x from day 0 on;
    # with a liquid $20 stock and 1-cent ticks the observed close ratio is 1.05 within 2 ticks
    case = cal.CASES["a20"]
    null, eff = cal.simulate(case, 3, seed=5), cal.simulate(case, 3, seed=5, effect=0.05)
    c0, c1 = null.info["close"], eff.info["close"]
    for stock, col in zip(null.info["stock"], null.info["col"]):
        np.testing.assert_array_equal(c0[stock, :col], c1[stock, :col])
        np.testing.assert_allclose(c1[stock, col:] / c0[stock, col:], 1.05, atol=0.02 / 15)
    assert null.events.groupby("rep").size().tolist() == [20, 20, 20]


def test_campaign_layout_puts_distinct_activities_on_one_stock_within_the_span():
    smp = cal.simulate(cal.CASES["d1"], 50, seed=6)
    per = smp.events.groupby("rep")
    assert (per["ticker"].nunique() == 1).all() and (per.size() == 10).all()
    col = smp.info["col"].reshape(50, 10)
    assert (np.diff(col, axis=1) > 0).all() and (col[:, -1] - col[:, 0] < 30).all()


def test_clopper_pearson_matches_statsmodels_and_the_band_matches_the_binomial_quantiles():
    from statsmodels.stats.proportion import proportion_confint

    for k, n in [(0, 50), (7, 40), (40, 40), (12, 300)]:
        np.testing.assert_allclose(cal.clopper_pearson(k, n), proportion_confint(k, n, 0.05, "beta"),
                                   atol=1e-12)
    # Binomial(100, 0.05): P(X <= 0) = 0.0059 < 0.025 <= P(X <= 1) = 0.0371, and
    # P(X <= 9) = 0.9718 < 0.975 <= P(X <= 10) = 0.9885: the 95% band is 1 to 10 rejections
    assert cal.null_band(100) == (0.01, 0.10)


def test_rejection_counts_count_each_p_column_per_window():
    summ = pd.DataFrame({"rep": [0, 1, 2, 0, 1, 2], "window_start": [-1] * 3 + [0] * 3,
                         "window_end": [1] * 3 + [5] * 3,
                         "csect_t_p": [0.01, 0.2, 0.049, 0.5, 0.05, np.nan],
                         "headline_p": [0.3, 0.3, 0.3, 0.001, 0.9, 0.9], "n": 10})
    got = cal.rejection_counts(summ).set_index(["window", "test"])
    # (-1,1): 0.01 and 0.049 < 0.05; (0,5): 0.05 is not < 0.05, NaN is not counted in n
    assert got.loc[((-1, 1), "csect_t"), ["n", "k"]].tolist() == [3, 2]
    assert got.loc[((0, 5), "csect_t"), ["n", "k"]].tolist() == [2, 0]
    assert got.loc[((0, 5), "headline"), ["n", "k"]].tolist() == [3, 1]


_SIZES: dict = {}


def _sizes(case_key: str, reps: int, seed: int) -> pd.DataFrame:
    """Size counts of one seeded run of a case (cached: two tests read the same (d1) run)."""
    if (case_key, reps, seed) not in _SIZES:
        r = cal.run_case(cal.CASES[case_key], reps, seed, chunk=cal.CHUNK, power=False)
        s = r.size.copy()
        s["rate"] = s["k"] / s["n"]
        _SIZES[case_key, reps, seed] = s.set_index(["window", "test"])
    return _SIZES[case_key, reps, seed]


def _in_strict_band(s: pd.DataFrame, tests) -> list[str]:
    bad = []
    for (w, t), row in s.iterrows():
        if t in tests:
            lo, hi = stats.binom.interval(STRICT, int(row["n"]), ALPHA)
            if not lo <= row["k"] <= hi:
                bad.append(f"{t} {w}: {int(row['k'])}/{int(row['n'])} outside [{lo:.0f}, {hi:.0f}]")
    return bad


def test_harness_sees_the_over_rejection_on_one_stock_with_clustered_activities():
    # (d1), 200 replications: the plain cross-sectional t on (0, 5) rejected 26.6% of 2,000
    # replications (issue 9: 23.8%); the 99.9% band around 5% for 200 ends at 21/200 = 10.5%
    s = _sizes("d1", 200, seed=91)
    lo, hi = stats.binom.interval(STRICT, 200, ALPHA)
    k = s.loc[((0, 5), "csect_t"), "k"]
    assert k > hi, f"csect_t (0,5) rejected {k}/200: the harness no longer sees the defect"
    assert s.loc[((-1, 1), "csect_t"), "rate"] > 0.07  # 12.8% in 2,000 (issue: 12.1%)


def test_headline_p_holds_its_level_on_one_stock_with_clustered_activities():
    # the 99.9% band for 200 replications is 2 to 21 rejections (1% to 10.5%)
    s = _sizes("d1", 200, seed=91)
    if "headline" not in s.index.get_level_values("test"):
        pytest.xfail("summary() has no headline_p yet (issue 9 point 3); its calibration "
                     "runs here as soon as it does")
    bad = _in_strict_band(s, {"headline"})
    assert not bad, bad


@pytest.mark.parametrize("case_key", ["c256t", "c1e4t"])
def test_thin_stock_trade_to_trade_tests_hold_their_level(case_key):
    # (c) 50% untraded days, trade-to-trade returns, N=20 independent events: the t-type
    # tests, the generalized sign and Wilcoxon rejected 4.0%-5.5% of 2,000 replications;
    # Patell (2.6%-5.6%) and Corrado (2.7%-4.3%) are conservative here and not asserted
    honest = {"csect_t", "bmp", "kolari_pynnonen", "generalized_sign", "wilcoxon", "headline"}
    s = _sizes(case_key, 200, seed=93)
    bad = _in_strict_band(s, honest)
    assert not bad, bad
    assert (s["n"] == 200).all()  # every replication gave every test a p-value


# A thin stock studied with daily returns: the headline is BMP/KP there (GRANK rejected 8-15%).
# Measured 2026-12-01, python -m bench.calibration --cases c256,c1e4 --reps 600: headline 4.0% / 3.7%
# ($1/256) and 4.8% / 3.8% ($0.0001). Replications in chunks of cal.CHUNK, each with its own market
# path: one path for all 200 (the earlier harness) read 12% on (0, 5) for this seed, the size given
# that path (stale prices leave part of the market's move in daily abnormal returns).
def test_headline_p_holds_its_level_on_a_thin_stock_with_daily_returns():
    s = _sizes("c256", 200, seed=94)
    assert "headline" in s.index.get_level_values("test"), "summary() has no headline_p"
    bad = _in_strict_band(s, {"headline"})
    assert not bad, bad
