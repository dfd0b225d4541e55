"""Campaign method for one stock: statsmodels dummy regressions, a hand case, invariants, size, placebo."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy import stats

from analytics.campaign import FEW_INDEPENDENT_PLACEMENTS, FEW_PLACEMENTS, campaign_study


# ---------------------------------------------------------------------------------------
# Tiny named inputs
# ---------------------------------------------------------------------------------------
def _closes(returns, start=10.0):
    return start * np.cumprod(np.r_[1.0, 1.0 + np.asarray(returns, dtype=float)])


# Twelve trading days (row 0 has no return).  Estimation returns (rows 1-5) and the report
# returns (rows 6-10) of two activities with window (0, 2) whose windows share row 8.
HAND_EST = [0.01, -0.01, 0.02, 0.0, 0.03]
HAND_REPORT = [0.05, 0.01, 0.03, -0.01, 0.02]
HAND_DATES = pd.bdate_range("2024-01-01", periods=12)


def hand_inputs():
    rets = HAND_EST + HAND_REPORT + [0.07]  # row 11: after the span, must not matter
    prices = pd.DataFrame({"ticker": "HAND", "date": HAND_DATES, "close": _closes(rets),
                           "volume": 100.0})
    market = pd.DataFrame({"date": HAND_DATES, "close": 100.0})
    events = pd.DataFrame({"event_id": ["a", "b"], "ticker": "HAND",
                           "date": [HAND_DATES[6], HAND_DATES[8]], "type": ["pr", "pr"]})
    return prices, events, market


HAND_KW = dict(model="constant_mean", estimation_window=(-5, -1), event_windows=((0, 2),),
               min_estimation_obs=3)


def simulated_stock(seed: int, n_days: int = 260, *, zero_share: float = 0.0, beta: float = 1.2,
                    sigma: float = 0.02, tick: float | None = None, start: float = 2.0):
    """Simulated (seeded) market-model stock; ``zero_share`` of days untraded (close carried)."""
    rng = np.random.default_rng(seed)
    dates = pd.bdate_range("2021-01-04", periods=n_days)
    rm = rng.normal(0.0003, 0.01, n_days)
    rm[0] = 0.0
    r = 0.0002 + beta * rm + rng.normal(0.0, sigma, n_days)
    r[0] = 0.0
    latent = start * np.cumprod(1.0 + r)
    traded = rng.random(n_days) >= zero_share
    traded[0] = True
    last = np.maximum.accumulate(np.where(traded, np.arange(n_days), 0))
    close = latent[last]
    if tick is not None:
        close = np.maximum(np.round(close / tick) * tick, tick)
    prices = pd.DataFrame({"ticker": "SIM", "date": dates, "close": close,
                           "volume": np.where(traded, 1000.0, 0.0)})
    market = pd.DataFrame({"date": dates, "close": 100.0 * np.cumprod(1.0 + rm)})
    return prices, market


def campaign_events(dates, day0_rows, types=None):
    types = types if types is not None else ["pr"] * len(day0_rows)
    return pd.DataFrame({"event_id": np.arange(1, len(day0_rows) + 1), "ticker": "SIM",
                         "date": dates[np.asarray(day0_rows)], "type": types})


# ---------------------------------------------------------------------------------------
# Independent reference: an explicit statsmodels dummy regression
# ---------------------------------------------------------------------------------------
def reference_returns(prices, market, trade_to_trade):
    """Returns, market returns and spans written out in a loop (independent of thin_trading)."""
    c = prices["close"].to_numpy(float)
    v = prices["volume"].to_numpy(float)
    m = market["close"].to_numpy(float)
    T = len(c)
    ret, mret, span = np.full(T, np.nan), np.full(T, np.nan), np.full(T, np.nan)
    prev = 0 if not trade_to_trade or v[0] > 0 else None
    for t in range(1, T):
        if trade_to_trade:
            if v[t] > 0 and prev is not None:
                ret[t], mret[t], span[t] = c[t] / c[prev] - 1, m[t] / m[prev] - 1, t - prev
            if v[t] > 0:
                prev = t
        else:
            ret[t], mret[t], span[t] = c[t] / c[t - 1] - 1, m[t] / m[t - 1] - 1, 1.0
    return ret, mret, span


def reference_fit(prices, market, day0_rows, *, trade_to_trade, est=(-120, -11), report=(-1, 5),
                  model="market", extra_union_rows=()):
    """sm.WLS on [n (the intercept), Rm, one dummy per union day] over the campaign span."""
    ret, mret, span = reference_returns(prices, market, trade_to_trade)
    T = len(ret)
    d0 = np.asarray(day0_rows)
    lo, hi = max(0, d0.min() + est[0]), min(T - 1, d0.max() + report[1])
    union = set()
    for c in list(d0):
        union.update(range(c + report[0], c + report[1] + 1))
    union.update(extra_union_rows)
    rows = [t for t in range(lo, hi + 1) if np.isfinite(ret[t])]
    udays = [t for t in rows if t in union]
    cols = [span[rows]] if model != "market_adjusted" else []
    if model == "market":
        cols.append(mret[rows])
    dummies = np.array([[1.0 if t == u else 0.0 for u in udays] for t in rows])
    X = np.column_stack(cols + [dummies])
    y = ret - mret if model == "market_adjusted" else ret
    fit = sm.WLS(y[rows], X, weights=1.0 / span[rows]).fit()
    k = len(cols)
    return fit, k, udays


SM_CASES = {
    # name: (zero_share, trade_to_trade, day0 rows: clustered, overlapping windows)
    "daily_liquid": (0.0, False, [150, 153, 154, 160, 170]),
    "trade_to_trade_thin": (0.5, True, [150, 152, 157, 158, 171]),
    "daily_on_a_thin_stock": (0.5, False, [150, 152, 157, 158, 171]),
}


@pytest.mark.parametrize("name", list(SM_CASES))
def test_day_ars_and_covariances_equal_an_explicit_statsmodels_dummy_regression(name):
    zero_share, t2t, d0 = SM_CASES[name]
    prices, market = simulated_stock(7, 200, zero_share=zero_share)
    events = campaign_events(prices["date"], d0)
    res = campaign_study(prices, events, market, thin_trading="trade_to_trade" if t2t else None,
                         autocorrelation=None)
    fit, k, udays = reference_fit(prices, market, d0, trade_to_trade=t2t)
    # only a window without a trade is skipped (its activity stays in the other window)
    assert set(res.skipped["reason"]) <= {"no return observed in the event window"}
    assert list(pd.DatetimeIndex(res.day_ar["date"])) == list(prices["date"].iloc[udays])
    np.testing.assert_allclose(res.day_ar["ar"], fit.params[k:], rtol=0, atol=1e-10)
    cov_ref = fit.cov_params()[k:, k:]
    np.testing.assert_allclose(res.day_ar_cov().to_numpy(), cov_ref, rtol=1e-9, atol=1e-14)
    np.testing.assert_allclose(res.day_ar["ar_var"], np.diag(cov_ref), rtol=1e-9)
    assert res.coef["alpha"] == pytest.approx(fit.params[0], abs=1e-12)
    assert res.coef["beta"] == pytest.approx(fit.params[1], abs=1e-10)
    assert res.dof == int(fit.df_resid) and res.sigma2 == pytest.approx(fit.scale, rel=1e-10)
    for window in res.event_windows:
        rows = res.cars[(res.cars["window_start"] == window[0]) & (res.cars["window_end"] == window[1])]
        # G: activity i's window days among the union days (dummy coefficients summed)
        G = np.array([[1.0 if c + window[0] <= u <= c + window[1] else 0.0 for u in udays]
                      for c in np.asarray(d0)[rows["event_id"].to_numpy() - 1]])
        np.testing.assert_allclose(rows["car"], G @ fit.params[k:], atol=1e-10)
        np.testing.assert_allclose(res.car_cov(window).to_numpy(), G @ cov_ref @ G.T,
                                   rtol=1e-9, atol=1e-14)
        # the pooled t of all activities is statsmodels' t test of the contrast 1'G / N
        contrast = np.r_[np.zeros(k), G.sum(axis=0) / len(G)]
        tt = fit.t_test(contrast[None, :])
        pooled = res.pooled(None, window).iloc[0]
        assert pooled["mean_car"] == pytest.approx(float(np.squeeze(tt.effect)), abs=1e-10)
        assert pooled["campaign_t_stat"] == pytest.approx(float(np.squeeze(tt.tvalue)), rel=1e-8)
        assert pooled["campaign_t_p"] == pytest.approx(float(np.squeeze(tt.pvalue)), rel=1e-7)


def test_constant_mean_matches_statsmodels_too():
    prices, market = simulated_stock(3, 200, zero_share=0.3)
    d0 = [140, 143, 150]
    res = campaign_study(prices, campaign_events(prices["date"], d0), market, model="constant_mean",
                         thin_trading="trade_to_trade", autocorrelation=None)
    fit, k, udays = reference_fit(prices, market, d0, trade_to_trade=True, model="constant_mean")
    np.testing.assert_allclose(res.day_ar["ar"], fit.params[k:], atol=1e-10)
    np.testing.assert_allclose(res.day_ar_cov().to_numpy(), fit.cov_params()[k:, k:], rtol=1e-9,
                               atol=1e-14)
    assert res.coef["mu"] == pytest.approx(fit.params[0], abs=1e-12)


# ---------------------------------------------------------------------------------------
# A hand-computed overlap case
# ---------------------------------------------------------------------------------------
def test_two_overlapping_activities_by_hand():
    prices, events, market = hand_inputs()
    res = campaign_study(prices, events, market, **HAND_KW, autocorrelation=None)
    # Estimation rows 1-5 (span start 6 - 5 = 1; rows 6-10 are the union of the windows
    # [6, 8] and [8, 10]): mean mu = (.01 - .01 + .02 + 0 + .03) / 5 = .01; deviations
    # 0, -.02, .01, -.01, .02 -> SSR = 10e-4; sigma^2 = 10e-4 / (5 - 1) = 2.5e-4.
    assert res.coef["mu"] == pytest.approx(0.01, abs=1e-12)
    assert res.sigma2 == pytest.approx(2.5e-4, rel=1e-9)
    assert res.dof == 4 and res.n_estimation == 5
    # AR rows 6-10 = report returns - .01 = .04, 0, .02, -.02, .01
    np.testing.assert_allclose(res.day_ar["ar"], [0.04, 0.0, 0.02, -0.02, 0.01], atol=1e-12)
    # CAR_a = .04 + 0 + .02 = .06; CAR_b = .02 - .02 + .01 = .01
    np.testing.assert_allclose(res.cars["car"], [0.06, 0.01], atol=1e-12)
    # Cov(AR) = sigma^2 (I + 11'/5).  Var(CAR_a) = sigma^2 (3 + 9/5) = 1.2e-3;
    # Cov(CAR_a, CAR_b) = sigma^2 (1 shared day + 3*3/5) = 7e-4.
    cov = res.car_cov((0, 2)).to_numpy()
    np.testing.assert_allclose(cov, [[1.2e-3, 7e-4], [7e-4, 1.2e-3]], rtol=1e-9)
    # Var(CAR_a + CAR_b) = h' Cov(AR) h with h = (1, 1, 2, 1, 1): the shared day enters once
    # with weight 2: sigma^2 (1 + 1 + 4 + 1 + 1 + 6^2/5) = 2.5e-4 x 15.2 = 3.8e-3
    # (= 1.2e-3 + 1.2e-3 + 2 x 7e-4); as if independent it would read 2.4e-3.
    pooled = res.pooled("type", (0, 2)).iloc[0]
    assert pooled["n"] == 2 and pooled["union_days"] == 5
    assert pooled["sum_car"] == pytest.approx(0.07, abs=1e-12)
    assert pooled["mean_car_var"] * 4 == pytest.approx(3.8e-3, rel=1e-9)
    assert pooled["naive_var"] * 4 == pytest.approx(2.4e-3, rel=1e-9)
    t = 0.035 / np.sqrt(3.8e-3 / 4)
    assert pooled["campaign_t_stat"] == pytest.approx(t, rel=1e-8)
    assert pooled["campaign_t_p"] == pytest.approx(2 * stats.t.sf(t, 4), rel=1e-7)
    # the weights helper: value = c' AR, var = c' Cov(AR) c; the window's unique days, c = 1
    days = res.window_days((0, 2))
    assert list(days) == list(HAND_DATES[6:11])
    out = res.weighted_ar(pd.Series(1.0, index=days))
    # unique days once: .04 + 0 + .02 - .02 + .01 = .05; var sigma^2 (5 + 25/5) = 2.5e-3
    assert out["value"] == pytest.approx(0.05, abs=1e-12)
    assert out["var"] == pytest.approx(2.5e-3, rel=1e-9)
    assert out["n_days"] == 5 and out["n_ignored"] == 0


def test_market_adjusted_has_no_estimation_error():
    prices, events, market = hand_inputs()
    res = campaign_study(prices, events, market, **{**HAND_KW, "model": "market_adjusted"},
                         autocorrelation=None)
    # market flat: AR = R; sigma^2 = mean of squared estimation returns = (1+1+4+0+9)e-4/5 = 3e-4
    assert res.sigma2 == pytest.approx(3e-4, rel=1e-9) and res.dof == 5
    np.testing.assert_allclose(res.car_cov((0, 2)).to_numpy(), [[9e-4, 3e-4], [3e-4, 9e-4]], rtol=1e-9)


# ---------------------------------------------------------------------------------------
# Invariants
# ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("t2t", [False, True])
def test_scaling_prices_changes_nothing(t2t):
    prices, market = simulated_stock(11, 220, zero_share=0.4)
    events = campaign_events(prices["date"], [150, 152, 160, 165])
    kw = dict(thin_trading="trade_to_trade" if t2t else None)
    base = campaign_study(prices, events, market, **kw)
    scaled = campaign_study(prices.assign(close=prices["close"] * 37.5), events,
                            market.assign(close=market["close"] * 0.01), **kw)
    for col in ("car", "car_var", "p_value"):
        np.testing.assert_allclose(scaled.cars[col], base.cars[col], rtol=1e-9, atol=1e-14)
    np.testing.assert_allclose(scaled.day_ar_cov().to_numpy(), base.day_ar_cov().to_numpy(), rtol=1e-9)


def test_a_reaction_does_not_leak_into_another_activitys_estimate():
    prices, market = simulated_stock(5, 260)
    d0 = [150, 190]  # activity 1's day 0 lies in activity 2's window (-120, -11) = rows 70-179
    events = campaign_events(prices["date"], d0)
    kick = prices.copy()
    kick.loc[150:, "close"] *= 1.05  # +5% on activity 1's day 0
    kw = dict(event_windows=((0, 5),))
    base = campaign_study(prices, events, market, **kw)
    hit = campaign_study(kick, events, market, **kw)
    car = base.cars.set_index("event_id")["car"]
    car_hit = hit.cars.set_index("event_id")["car"]
    assert car_hit[2] == pytest.approx(car[2], abs=1e-13)
    assert hit.cars.set_index("event_id")["car_var"][2] == pytest.approx(
        base.cars.set_index("event_id")["car_var"][2], rel=1e-12)
    # activity 1 gains the jump in its day-0 return exactly: (1 + r0) x 1.05 - (1 + r0)
    r0 = prices["close"].iloc[150] / prices["close"].iloc[149]
    assert car_hit[1] - car[1] == pytest.approx(0.05 * r0, abs=1e-12)
    # the one-event-at-a-time engine lets it leak (the defect this method removes)
    from analytics.event_study import event_study

    one = event_study(prices, events, market, **kw).cars.set_index("event_id")["car"]
    one_hit = event_study(kick, events, market, **kw).cars.set_index("event_id")["car"]
    assert abs(one_hit[2] - one[2]) > 1e-6


# ---------------------------------------------------------------------------------------
# Bad input
# ---------------------------------------------------------------------------------------
def test_bad_input_is_named():
    prices, events, market = hand_inputs()
    two = pd.concat([prices, prices.assign(ticker="OTHER")])
    with pytest.raises(ValueError, match="ONE stock.*2 tickers"):
        campaign_study(two, events, market, **HAND_KW)
    with pytest.raises(ValueError, match="other tickers too"):
        campaign_study(prices, events.assign(ticker=["HAND", "ZZZ"]), market, **HAND_KW)
    with pytest.raises(ValueError, match="Dimson"):
        campaign_study(prices, events, market, thin_trading="dimson")
    with pytest.raises(ValueError, match="must end before"):
        campaign_study(prices, events, market, estimation_window=(-5, 0), event_windows=((0, 2),))
    with pytest.raises(ValueError, match="duplicate event_id"):
        campaign_study(prices, pd.concat([events, events]), market, **HAND_KW)
    res = campaign_study(prices, events, market, **HAND_KW)
    with pytest.raises(ValueError, match="not one of the study's event_windows"):
        res.pooled(None, (0, 9))
    with pytest.raises(ValueError, match="not a column of events"):
        res.pooled("channel", (0, 2))


SKIP_CASES = {
    # name: (event date, expected reason)
    "after the history": (HAND_DATES[-1] + pd.Timedelta(days=3), "after the last price date"),
    "before the history": (HAND_DATES[0] - pd.Timedelta(days=3), "before the first price date"),
    "too little estimation data": (HAND_DATES[2], "not enough estimation data"),
    "window past the end": (HAND_DATES[10], "extends beyond the price history"),
    "no date": (pd.NaT, "missing event date"),
}


@pytest.mark.parametrize("name", list(SKIP_CASES))
def test_every_skipped_activity_has_its_reason(name):
    prices, events, market = hand_inputs()
    date, reason = SKIP_CASES[name]
    extra = pd.DataFrame({"event_id": ["x"], "ticker": "HAND", "date": [date], "type": ["pr"]})
    res = campaign_study(prices, pd.concat([events, extra], ignore_index=True), market, **HAND_KW)
    row = res.skipped[res.skipped["event_id"] == "x"]
    assert len(row) == 1 and reason in row["reason"].iloc[0]
    assert "x" not in set(res.cars["event_id"])


# ---------------------------------------------------------------------------------------
# Size: 10 activities in 30 trading days, no effect
# ---------------------------------------------------------------------------------------
SIZE_CASES = {
    # name: (share of untraded days, thin-trading method, stock keywords)
    "liquid_daily": (0.0, None, {}),
    "half_untraded_trade_to_trade": (0.5, "trade_to_trade", {}),
    # a $0.06 stock on $1/256 ticks (6.5% of its price), sigma 4%: tick noise (rho1 < 0)
    "half_untraded_1_256_ticks_trade_to_trade": (0.5, "trade_to_trade",
                                                 dict(tick=1 / 256, start=0.06, sigma=0.04)),
}


@pytest.mark.parametrize("name", list(SIZE_CASES))
def test_campaign_t_holds_its_size_on_a_clustered_campaign(name):
    zero_share, method, stock_kw = SIZE_CASES[name]
    reps = 200
    rng = np.random.default_rng(20261201)
    rejects = {(-1, 1): 0, (0, 5): 0}
    for rep in range(reps):
        prices, market = simulated_stock(1000 + rep, 200, zero_share=zero_share, **stock_kw)
        d0 = 150 + np.sort(rng.choice(30, size=10, replace=False))  # 10 activities in 30 days
        res = campaign_study(prices, campaign_events(prices["date"], d0), market, thin_trading=method)
        for w in rejects:
            rejects[w] += bool(res.pooled(None, w)["campaign_t_p"].iloc[0] < 0.05)
    lo, hi = stats.binom.interval(0.99, reps, 0.05)  # 99% band of the count at a true 5%
    for w, k in rejects.items():
        assert lo <= k <= hi, f"{name} window {w}: {k}/{reps} rejections, band [{lo}, {hi}]"


# ---------------------------------------------------------------------------------------
# Campaign placebo
# ---------------------------------------------------------------------------------------
PLACEBO_REFIT_CASES = {
    # name: (autocorrelation, tick, trade-to-trade): None against statsmodels' t test;
    # first_order against M Omega M' refitted (rho1 re-estimated) at that placement
    "uncorrelated_statsmodels": (None, None, True, "market"),
    "first_order_trade_to_trade_1_64": ("first_order", 1 / 64, True, "market"),
    "first_order_daily_1_64": ("first_order", 1 / 64, False, "market"),
    "first_order_constant_mean": ("first_order", 1 / 64, True, "constant_mean"),
    "first_order_market_adjusted": ("first_order", 1 / 64, True, "market_adjusted"),
}


@pytest.mark.parametrize("name", list(PLACEBO_REFIT_CASES))
def test_placebo_statistics_equal_an_explicit_refit_of_that_placement(name):
    autocorrelation, tick, t2t, model = PLACEBO_REFIT_CASES[name]
    prices, market = simulated_stock(21, 400, zero_share=0.4, tick=tick)
    d0 = np.array([200, 203, 205, 214])
    events = campaign_events(prices["date"], d0, ["pr", "mm", "pr", "mm"])
    res = campaign_study(prices, events, market, thin_trading="trade_to_trade" if t2t else None,
                         autocorrelation=autocorrelation, rho1_rule="always", model=model)
    table = res.placements("type", (0, 5))
    real_union = {t for c in d0 for t in range(c - 1, c + 6)}
    n_pl = table["first_day0"].nunique()
    for start in table["first_day0"].drop_duplicates().iloc[[0, n_pl // 3, n_pl // 2, -1]]:
        b = int(prices.index[prices["date"] == start][0])
        shifted = d0 - d0[0] + b
        fit, k, udays = reference_fit(prices, market, shifted, trade_to_trade=t2t,
                                      extra_union_rows=real_union, model=model)
        if autocorrelation:
            cov, u2, _g, _n, _s2, rho = reference_first_order_cov(
                prices, market, shifted, trade_to_trade=t2t, extra_union_rows=real_union,
                model=model)
            assert u2 == udays and rho != 0.0
        for typ, ids in (("pr", [0, 2]), ("mm", [1, 3])):
            h = np.array([sum(c + 0 <= u <= c + 5 for c in shifted[ids]) for u in udays], float)
            tt = fit.t_test(np.r_[np.zeros(k), h / len(ids)][None, :])
            t_ref = (float(np.squeeze(tt.effect)) / np.sqrt(h @ cov @ h / len(ids) ** 2)
                     if autocorrelation else float(np.squeeze(tt.tvalue)))
            row = table[(table["first_day0"] == start) & (table["type"] == typ)].iloc[0]
            assert row["mean_car"] == pytest.approx(float(np.squeeze(tt.effect)), abs=1e-10)
            assert row["campaign_t"] == pytest.approx(t_ref, rel=1e-8)
    # placements never touch the real report days and keep the whole span inside the history
    starts = prices.index[prices["date"].isin(table["first_day0"])].to_numpy()
    for b in starts:
        assert not ({t for c in d0 - d0[0] + b for t in range(c - 1, c + 6)} & real_union)
        assert b - 120 >= 0 and b + (d0[-1] - d0[0]) + 5 <= len(prices) - 1


def test_placebo_reproduces_with_its_seed_and_finds_a_large_effect():
    prices, market = simulated_stock(31, 1000, zero_share=0.3)
    d0 = 500 + np.array([0, 3, 5, 9, 12, 15, 18, 22, 25, 29])
    events = campaign_events(prices["date"], d0)
    res = campaign_study(prices, events, market, thin_trading="trade_to_trade")
    a = res.placebo(None, (0, 5), draws=499, seed=1)
    b = res.placebo(None, (0, 5), draws=499, seed=1)
    pd.testing.assert_frame_equal(a, b)
    assert a["draws"].iloc[0] == 499 and a["placements"].iloc[0] >= FEW_PLACEMENTS
    assert a["independent_placements"].iloc[0] >= FEW_INDEPENDENT_PLACEMENTS
    assert a["note"].iloc[0] == ""
    assert not a.equals(res.placebo(None, (0, 5), draws=499, seed=2))
    # +8% on every activity's day 0 (shown by the next trade when day 0 has none)
    close = prices["close"].to_numpy().copy()
    for c in d0:
        close[c:] *= 1.08
    jumped = prices.assign(close=close)
    big = campaign_study(jumped, events, market, thin_trading="trade_to_trade")
    pl = big.placebo(None, (0, 5), draws=999, seed=1).iloc[0]
    assert pl["mean_car"] > 0.05
    assert pl["placebo_p"] <= 0.01 and pl["placebo_t_p"] <= 0.01
    band = big.caar_band(None, draws=999, seed=1)
    day5 = band[band["rel_day"] == 5].iloc[0]
    assert day5["caar"] > day5["upper"] and day5["draws"] == 999


def test_short_history_says_how_few_placements_there_were():
    prices, market = simulated_stock(41, 250)
    events = campaign_events(prices["date"], [150, 155, 160])
    res = campaign_study(prices, events, market)
    pl = res.placebo(None, (0, 5), draws=99).iloc[0]
    assert 0 < pl["placements"] < FEW_PLACEMENTS
    assert f"only {pl['placements']} distinct placements" in pl["note"]
    # report range (-1, 5) of day 0s 150, 155, 160: rows 149-165 (17 days).  A placement b
    # (first day 0) needs b - 120 >= 0, b + 15 <= 249 and [b - 1, b + 15] clear of 149-165:
    # b in 120-133 or 167-234, 14 + 68 = 82 placements; copies with no report day in common
    # (starts 17 apart, greedy): 120, 167, 184, 201, 218 -> 5
    assert pl["placements"] == 82
    assert pl["independent_placements"] == 5 and "over-rejects" in pl["note"]
    prices, market = simulated_stock(42, 135)
    tiny = campaign_study(prices, campaign_events(prices["date"], [121, 125]), market)
    pl = tiny.placebo(None, (0, 5), draws=99).iloc[0]
    assert pl["placements"] == 0 and np.isnan(pl["placebo_p"]) and "not possible" in pl["note"]


def test_placebo_arguments_are_checked():
    prices, events, market = hand_inputs()
    res = campaign_study(prices, events, market, **HAND_KW)
    with pytest.raises(ValueError, match="positive number"):
        res.placebo(None, (0, 2), draws=0)


def test_caar_path_is_the_mean_of_the_cars_it_cumulates():
    prices, market = simulated_stock(51, 600)
    d0 = [300, 302, 306, 311]
    res = campaign_study(prices, campaign_events(prices["date"], d0, ["pr", "mm", "pr", "mm"]), market)
    band = res.caar_band("type", draws=99, seed=3).set_index(["type", "rel_day"])
    pooled = res.pooled("type", (-1, 1)).set_index("type")
    for typ in ("pr", "mm"):
        # report range (-1, 5): the path at day 1 has cumulated days -1, 0, 1 = window (-1, 1)
        assert band.loc[(typ, 1), "caar"] == pytest.approx(pooled.loc[typ, "mean_car"], abs=1e-14)
        lo, hi = band.loc[(typ, 5), "lower"], band.loc[(typ, 5), "upper"]
        assert lo < band.loc[(typ, 5), "placebo_mean"] < hi


def test_two_activities_on_one_day_share_every_day():
    prices, market = simulated_stock(61, 300)
    res = campaign_study(prices, campaign_events(prices["date"], [200, 200]), market)
    cov = res.car_cov((0, 5)).to_numpy()
    # identical windows: one report range -1..5 (7 union days, 6 in the window), CARs
    # equal, covariance = variance
    assert len(res.day_ar) == 7 and len(res.window_days((0, 5))) == 6
    assert cov[0, 1] == pytest.approx(cov[0, 0], rel=1e-12)
    pooled = res.pooled(None, (0, 5)).iloc[0]
    # mean of two equal CARs: variance Var(CAR) (h = 2 on each day: 4 Var / 2^2), not Var / 2
    assert pooled["mean_car_var"] == pytest.approx(cov[0, 0], rel=1e-12)
    assert pooled["naive_var"] == pytest.approx(cov[0, 0] / 2, rel=1e-12)


def test_nothing_to_study_gives_empty_tables_with_their_columns():
    prices, market = simulated_stock(62, 300)
    res = campaign_study(prices, campaign_events(prices["date"], []), market)
    assert res.cars.empty and res.skipped.empty and res.day_ar.empty
    assert "campaign_t_p" in res.pooled().columns and "placebo_p" in res.placebo().columns
    # two activities with 5 and 8 trading days of history: the span holds 3 estimation days
    early = campaign_study(prices, campaign_events(prices["date"], [5, 8]), market)
    assert early.cars.empty
    assert early.skipped["reason"].str.contains("not enough estimation data for the campaign").all()


# ---------------------------------------------------------------------------------------
# First-order autocorrelation (tick noise): Cov(AR) = M Omega M' written out
# ---------------------------------------------------------------------------------------
def reference_first_order_cov(prices, market, day0_rows, rho=None, sigma2=None, *,
                              trade_to_trade, est=(-120, -11), report=(-1, 5), model="market",
                              extra_union_rows=()):
    """Cov(AR) as an explicit matrix product, independent of the engine's sparse sums.

    Over the span's return rows (time order): AR_U = e_U - X_U A e_E with A = (X_E'WX_E)^-1
    X_E'W, i.e. AR = M e, M = [I_U, -X_U A]; Omega has sigma^2 n_t on the diagonal and
    rho sigma^2 sqrt(n_s n_t) where the return of row t starts on row s (adjacent returns
    sharing a close); Cov(AR) = M Omega M'.  Also the residual autocorrelation, in a loop.
    ``rho`` / ``sigma2`` None: this function's own estimates (rho clipped to [-1/2, 1/2]).
    Returns Cov(AR), the union rows, gamma_1, the pairs, sigma^2 and the rho used.
    """
    ret, mret, span = reference_returns(prices, market, trade_to_trade)
    T = len(ret)
    d0 = np.asarray(day0_rows)
    lo, hi = max(0, d0.min() + est[0]), min(T - 1, d0.max() + report[1])
    union = {t for c in d0 for t in range(c + report[0], c + report[1] + 1)} | set(extra_union_rows)
    rows = [t for t in range(lo, hi + 1) if np.isfinite(ret[t])]
    u = [t for t in rows if t in union]
    e = [t for t in rows if t not in union]
    y = ret - mret if model == "market_adjusted" else ret
    cols = {"market": lambda t: [span[t], mret[t]], "constant_mean": lambda t: [span[t]],
            "market_adjusted": lambda t: []}[model]
    X_E = np.array([cols(t) for t in e]).reshape(len(e), -1)
    X_U = np.array([cols(t) for t in u]).reshape(len(u), -1)
    W = np.diag(1.0 / span[e])
    A = (np.linalg.inv(X_E.T @ W @ X_E) @ X_E.T @ W if X_E.shape[1]
         else np.zeros((0, len(e))))
    M = np.hstack([np.eye(len(u)), -X_U @ A])
    coef = A @ y[e] if X_E.shape[1] else np.zeros(0)
    resid = {t: (y[t] - (np.array(cols(t)) @ coef if len(coef) else 0.0)) / np.sqrt(span[t])
             for t in e}  # residuals standardised by the span
    if sigma2 is None:
        sigma2 = sum(z * z for z in resid.values()) / (len(e) - X_E.shape[1])
    prods = [resid[s] * resid[t] for t in e for s in [t - int(span[t])] if s in resid]
    if rho is None:
        rho = float(np.clip(np.mean(prods) / sigma2, -0.5, 0.5))
    order = u + e
    Omega = np.zeros((len(order), len(order)))
    for a, s in enumerate(order):
        for b, t in enumerate(order):
            if s == t:
                Omega[a, b] = sigma2 * span[t]
            elif t - span[t] == s or s - span[s] == t:
                Omega[a, b] = rho * sigma2 * np.sqrt(span[s] * span[t])
    return M @ Omega @ M.T, u, float(np.mean(prods)), len(prods), sigma2, rho


FIRST_ORDER_CASES = {
    # name: (zero_share, trade_to_trade, model, tick)
    "daily_liquid_market": (0.0, False, "market", None),
    "trade_to_trade_thin_market_1_256": (0.5, True, "market", 1 / 256),
    "daily_thin_market_1_256": (0.5, False, "market", 1 / 256),
    "trade_to_trade_constant_mean": (0.3, True, "constant_mean", 1 / 64),
    "trade_to_trade_market_adjusted": (0.3, True, "market_adjusted", 1 / 64),
}


@pytest.mark.parametrize("name", list(FIRST_ORDER_CASES))
def test_first_order_cov_equals_an_explicit_m_omega_m(name):
    zero_share, t2t, model, tick = FIRST_ORDER_CASES[name]
    prices, market = simulated_stock(8, 200, zero_share=zero_share, tick=tick)
    d0 = [150, 152, 157, 158, 171]
    events = campaign_events(prices["date"], d0)
    res = campaign_study(prices, events, market, model=model,
                         thin_trading="trade_to_trade" if t2t else None,
                         autocorrelation="first_order", rho1_rule="always")
    assert res.autocorrelation == "first_order"
    cov_ref, udays, gamma1, pairs, sigma2_ref, rho_ref = reference_first_order_cov(
        prices, market, d0, trade_to_trade=t2t, model=model)
    assert res.sigma2 == pytest.approx(sigma2_ref, rel=1e-9)
    assert res.rho1_used == pytest.approx(rho_ref, rel=1e-9)
    assert res.rho1_pairs == pairs
    assert res.rho1 == pytest.approx(gamma1 / sigma2_ref, rel=1e-9)
    assert res.rho1_used == pytest.approx(np.clip(res.rho1, -0.5, 0.5), rel=1e-12)
    assert list(pd.DatetimeIndex(res.day_ar["date"])) == list(prices["date"].iloc[udays])
    np.testing.assert_allclose(res.day_ar_cov().to_numpy(), cov_ref, rtol=1e-9, atol=1e-15)
    # ticks make rho1 negative (Roll 1984: the rounding error of a close enters two adjacent
    # returns with opposite signs); without ticks it is within sampling error of zero
    if tick is not None:
        assert res.rho1 < 0, res.rho1
    else:
        assert abs(res.rho1) < 3 / np.sqrt(pairs)
    # the uncorrected path is the same with rho1 = 0
    old = campaign_study(prices, events, market, model=model,
                         thin_trading="trade_to_trade" if t2t else None, autocorrelation=None)
    cov0 = reference_first_order_cov(prices, market, d0, 0.0, trade_to_trade=t2t, model=model)[0]
    np.testing.assert_allclose(old.day_ar_cov().to_numpy(), cov0, rtol=1e-9, atol=1e-15)
    assert old.rho1 == pytest.approx(res.rho1, rel=1e-12) and old.rho1_used == 0.0
    assert "uncorrelated" in old.variance_note and "first-order" in res.variance_note
    np.testing.assert_allclose(res.day_ar["ar"], old.day_ar["ar"], atol=1e-15)  # ARs unchanged


def test_two_adjacent_days_by_hand():
    prices, events, market = hand_inputs()
    res = campaign_study(prices, events, market, **HAND_KW, rho1_rule="always")
    # Constant mean .01; estimation residuals (rows 1-5) 0, -.02, .01, -.01, .02;
    # sigma^2 = 10e-4 / 4 = 2.5e-4.  Adjacent pairs (1,2) (2,3) (3,4) (4,5): products
    # 0, -2e-4, -1e-4, -2e-4 -> gamma_1 = -5e-4 / 4 = -1.25e-4, rho1 = -1.25e-4 / 2.5e-4 = -0.5.
    assert res.rho1 == pytest.approx(-0.5, rel=1e-9) and res.rho1_pairs == 4
    assert res.rho1_used == pytest.approx(-0.5, rel=1e-9)
    # AR_6 + AR_7 = e_6 + e_7 - 2 ebar:
    #   Var(e_6 + e_7) = 2 sigma^2 + 2 gamma_1;
    #   Cov(e_6 + e_7, ebar) = Cov(e_6, e_5) / 5 = gamma_1 / 5  (row 5 is row 6's neighbour);
    #   Var(ebar) = (5 sigma^2 + 2 x 4 gamma_1) / 25.
    # Var = 2 s2 + 2 g - 4 g / 5 + 4 (5 s2 + 8 g) / 25 = 2.8 s2 + 2.48 g
    #     = 2.8 x 2.5e-4 - 2.48 x 1.25e-4 = 7e-4 - 3.1e-4 = 3.9e-4 (uncorrected: 7e-4)
    out = res.weighted_ar(np.array([1.0, 1.0, 0.0, 0.0, 0.0]))
    assert out["var"] == pytest.approx(3.9e-4, rel=1e-9)
    old = campaign_study(prices, events, market, **HAND_KW, autocorrelation=None)
    assert old.weighted_ar(np.array([1.0, 1.0, 0.0, 0.0, 0.0]))["var"] == pytest.approx(7e-4, rel=1e-9)
    # the default guard: |rho1| sqrt(pairs) = 0.5 x 2 = 1 < 1.96, not significant: not applied
    guarded = campaign_study(prices, events, market, **HAND_KW)
    assert guarded.rho1 == pytest.approx(-0.5) and guarded.rho1_used == 0.0
    assert "not significant" in guarded.variance_note
    assert guarded.weighted_ar(np.array([1.0, 1.0, 0.0, 0.0, 0.0]))["var"] == pytest.approx(7e-4)
    assert (guarded.pooled(None, (0, 2))["variance"] == guarded.variance_note).all()


def test_market_adjusted_first_order_by_hand():
    prices, events, market = hand_inputs()
    res = campaign_study(prices, events, market, **{**HAND_KW, "model": "market_adjusted"},
                         rho1_rule="always")
    # AR = R (flat market); sigma^2 = 3e-4 (mean square); products of adjacent estimation
    # returns .01 x -.01, -.01 x .02, .02 x 0, 0 x .03 = -1e-4, -2e-4, 0, 0 -> gamma_1 =
    # -0.75e-4, rho1 = -0.25.  Nothing estimated: Cov(AR) = sigma^2 (I + rho1 (adjacent)).
    assert res.rho1 == pytest.approx(-0.25, rel=1e-9)
    # CAR_a (rows 6-8): s2 (3 + 2 x 2 rho1) = 3e-4 x 2 = 6e-4 (uncorrected 9e-4);
    # Cov(CAR_a, CAR_b) (rows 6-8 and 8-10): s2 (1 shared + 2 adjacent pairs (7,8), (8,9)
    # x rho1) = 3e-4 x 0.5 = 1.5e-4 (uncorrected 3e-4)
    np.testing.assert_allclose(res.car_cov((0, 2)).to_numpy(), [[6e-4, 1.5e-4], [1.5e-4, 6e-4]],
                               rtol=1e-9)


RULE_CASES = {
    # name: (rho1 estimate, adjacent pairs, rule, applied)
    "always keeps a positive one": (0.2, 100, "always", 0.2),
    "always clips below -1/2": (-0.7, 100, "always", -0.5),
    "negative drops a positive one": (0.2, 100, "negative", 0.0),
    "negative keeps a negative one": (-0.3, 100, "negative", -0.3),
    "significant drops |rho| sqrt(n) = 1.9": (-0.19, 100, "significant", 0.0),
    "significant keeps |rho| sqrt(n) = 2.1": (-0.21, 100, "significant", -0.21),
    "no pairs, nothing applied": (np.nan, 0, "always", 0.0),
}


@pytest.mark.parametrize("name", list(RULE_CASES))
def test_rho1_rules(name):
    from analytics.campaign import _rho1_rule

    rho, pairs, rule, applied = RULE_CASES[name]
    assert _rho1_rule(rho, pairs, rule) == pytest.approx(applied, abs=1e-15)


def test_autocorrelation_arguments_are_checked():
    prices, events, market = hand_inputs()
    with pytest.raises(ValueError, match="autocorrelation must be one of"):
        campaign_study(prices, events, market, **HAND_KW, autocorrelation="ma2")
    with pytest.raises(ValueError, match="rho1_rule must be one of"):
        campaign_study(prices, events, market, **HAND_KW, rho1_rule="sometimes")


# ---------------------------------------------------------------------------------------
# Rounding noise of the price grid (the default covariance): Cov(AR) = M Omega M' written out
# ---------------------------------------------------------------------------------------
GRID_CASES = {
    # name: (closes, the grid they lie on)
    "1999 OTC: 1/256 dollar": ([0.05859375, 0.0625, 0.06640625, 0.0546875], 1 / 256),
    "pennies": ([1.23, 1.24, 1.30, 1.21], 0.01),
    "even cents only: the coarsest grid that holds": ([0.02, 0.04, 0.08, 0.12], 0.02),
    "smallest change two ticks, one odd tick elsewhere": ([1 / 8, 3 / 8, 4 / 8], 1 / 8),
    "sub-penny": ([0.0601, 0.0603, 0.0604], 0.0001),
    "a constant adjustment factor scales the grid (tick / P unchanged)":
        (list(np.array([1.23, 1.24, 1.30]) * 0.98731), 0.01 * 0.98731),
    "irregular closes lie on no grid": ([1.0, 1.0137, 1.0291, 1.0412], 0.0),
    "one distinct close: no grid": ([0.5, 0.5, 0.5], 0.0),
    "missing and non-positive closes are ignored": ([np.nan, 0.0, 0.25, 0.5, 0.75], 0.25),
}


@pytest.mark.parametrize("name", list(GRID_CASES))
def test_price_grid(name):
    from analytics.campaign import price_grid

    closes, grid = GRID_CASES[name]
    assert price_grid(np.array(closes)) == pytest.approx(grid, rel=1e-9, abs=1e-15)


def reference_tick_cov(prices, market, day0_rows, tick, *, trade_to_trade, est=(-120, -11),
                       report=(-1, 5), model="market", extra_union_rows=()):
    """Cov(AR) under the rounding-noise model as an explicit matrix product, in loops.

    Observed log close = efficient + u_t, u_t independent with Var = tick^2 / (12 P_t^2)
    (uniform rounding); the return measured on row t spans s = t - n_t .. t, so
    e_t = efficient (Var n_t sigma_e^2) + u_t - u_s: Omega_tt = n_t sigma_e^2 + s2_t + s2_s,
    Omega_st = -s2_s for the return that ends on s, 0 else.  sigma_e^2 = (sum_E e^2 / n -
    sum_E (s2_t + s2_s) / n) / (L - p) from the WLS residuals.  Cov(AR) = M Omega M' with
    M = [I_U, -X_U (X_E'WX_E)^-1 X_E'W].  Returns Cov(AR), the union rows and sigma_e^2.
    """
    ret, mret, span = reference_returns(prices, market, trade_to_trade)
    c = prices["close"].to_numpy(float)
    s2 = tick**2 / (12.0 * c**2)
    T = len(ret)
    d0 = np.asarray(day0_rows)
    lo, hi = max(0, d0.min() + est[0]), min(T - 1, d0.max() + report[1])
    union = {t for c0 in d0 for t in range(c0 + report[0], c0 + report[1] + 1)}
    union |= set(extra_union_rows)
    rows = [t for t in range(lo, hi + 1) if np.isfinite(ret[t])]
    u = [t for t in rows if t in union]
    e = [t for t in rows if t not in union]
    y = ret - mret if model == "market_adjusted" else ret
    cols = {"market": lambda t: [span[t], mret[t]], "constant_mean": lambda t: [span[t]],
            "market_adjusted": lambda t: []}[model]
    X_E = np.array([cols(t) for t in e]).reshape(len(e), -1)
    X_U = np.array([cols(t) for t in u]).reshape(len(u), -1)
    W = np.diag(1.0 / span[e])
    A = (np.linalg.inv(X_E.T @ W @ X_E) @ X_E.T @ W if X_E.shape[1]
         else np.zeros((0, len(e))))
    M = np.hstack([np.eye(len(u)), -X_U @ A])
    coef = A @ y[e] if X_E.shape[1] else np.zeros(0)
    noise = {t: s2[t] + s2[t - int(span[t])] for t in rows}
    ssr_w = sum((y[t] - (np.array(cols(t)) @ coef if len(coef) else 0.0)) ** 2 / span[t]
                for t in e)
    sigma_e2 = (ssr_w - sum(noise[t] / span[t] for t in e)) / (len(e) - X_E.shape[1])
    order = u + e
    Omega = np.zeros((len(order), len(order)))
    for a, s in enumerate(order):
        for b, t in enumerate(order):
            if s == t:
                Omega[a, b] = sigma_e2 * span[t] + noise[t]
            elif t - span[t] == s:
                Omega[a, b] = -s2[s]
            elif s - span[s] == t:
                Omega[a, b] = -s2[t]
    return M @ Omega @ M.T, u, sigma_e2


TICK_CASES = {
    # name: (zero_share, trade_to_trade, model, tick, stock keywords)
    "trade_to_trade_thin_market_1_256": (0.5, True, "market", 1 / 256, dict(start=0.06, sigma=0.04)),
    "daily_every_day_traded_1_64": (0.0, False, "market", 1 / 64, {}),
    "trade_to_trade_constant_mean_1_64": (0.3, True, "constant_mean", 1 / 64, {}),
    "trade_to_trade_market_adjusted_1_64": (0.3, True, "market_adjusted", 1 / 64, {}),
}


@pytest.mark.parametrize("name", list(TICK_CASES))
def test_tick_noise_cov_equals_an_explicit_m_omega_m(name):
    zero_share, t2t, model, tick, kw = TICK_CASES[name]
    prices, market = simulated_stock(8, 200, zero_share=zero_share, tick=tick, **kw)
    d0 = [150, 152, 157, 158, 171]
    events = campaign_events(prices["date"], d0)
    res = campaign_study(prices, events, market, model=model,
                         thin_trading="trade_to_trade" if t2t else None)
    assert res.autocorrelation == "tick_noise" and res.covariance == "tick_noise"
    assert res.tick == pytest.approx(tick, rel=1e-12) and res.rho1_used == 0.0
    cov_ref, udays, sigma_e2 = reference_tick_cov(prices, market, d0, tick, trade_to_trade=t2t,
                                                  model=model)
    assert res.sigma2_efficient == pytest.approx(sigma_e2, rel=1e-9)
    assert list(pd.DatetimeIndex(res.day_ar["date"])) == list(prices["date"].iloc[udays])
    np.testing.assert_allclose(res.day_ar_cov().to_numpy(), cov_ref, rtol=1e-9, atol=1e-15)
    assert "rounding noise" in res.variance_note
    old = campaign_study(prices, events, market, model=model,
                         thin_trading="trade_to_trade" if t2t else None, autocorrelation=None)
    np.testing.assert_allclose(res.day_ar["ar"], old.day_ar["ar"], atol=1e-15)  # ARs unchanged
    # a six-day CAR: the noise of its interior closes cancels, so it varies less than the
    # uncorrelated Cov(AR) says (the reason campaign_t under-rejected on a thin stock)
    assert (res.cars["car_var"] < old.cars["car_var"]).mean() > 0.5


def test_tick_noise_falls_back_to_the_first_order_term_where_it_does_not_apply():
    # daily returns with untraded days: a stale close is no new rounding; and closes on no grid
    prices, market = simulated_stock(8, 200, zero_share=0.5, tick=1 / 64)
    events = campaign_events(prices["date"], [150, 152, 157, 158, 171])
    daily = campaign_study(prices, events, market)
    ref = campaign_study(prices, events, market, autocorrelation="first_order")
    assert daily.covariance == "first_order" and "untraded days" in daily.variance_note
    np.testing.assert_allclose(daily.day_ar_cov().to_numpy(), ref.day_ar_cov().to_numpy())
    jitter = 1.0 + 1e-3 * np.random.default_rng(3).random(len(prices))  # no common grid
    off_grid = campaign_study(prices.assign(close=prices["close"] * jitter), events, market,
                              thin_trading="trade_to_trade")
    assert off_grid.tick == 0.0 and "no price grid" in off_grid.variance_note


@pytest.mark.parametrize("name", ["trade_to_trade_market_1_256", "constant_mean_1_64",
                                  "daily_every_day_traded_1_64"])
def test_tick_noise_placebo_equals_an_explicit_refit_of_that_placement(name):
    t2t, model, tick, zero_share, kw = {
        "trade_to_trade_market_1_256": (True, "market", 1 / 256, 0.4, dict(start=0.06, sigma=0.04)),
        "constant_mean_1_64": (True, "constant_mean", 1 / 64, 0.4, {}),
        "daily_every_day_traded_1_64": (False, "market", 1 / 64, 0.0, {}),
    }[name]
    prices, market = simulated_stock(21, 400, zero_share=zero_share, tick=tick, **kw)
    d0 = np.array([200, 203, 205, 214])
    events = campaign_events(prices["date"], d0, ["pr", "mm", "pr", "mm"])
    res = campaign_study(prices, events, market, thin_trading="trade_to_trade" if t2t else None,
                         model=model)
    assert res.covariance == "tick_noise"
    table = res.placements("type", (0, 5))
    real_union = {t for c in d0 for t in range(c - 1, c + 6)}
    n_pl = table["first_day0"].nunique()
    for start in table["first_day0"].drop_duplicates().iloc[[0, n_pl // 3, n_pl // 2, -1]]:
        b = int(prices.index[prices["date"] == start][0])
        shifted = d0 - d0[0] + b
        fit, k, udays = reference_fit(prices, market, shifted, trade_to_trade=t2t,
                                      extra_union_rows=real_union, model=model)
        cov, u2, _s = reference_tick_cov(prices, market, shifted, tick, trade_to_trade=t2t,
                                         extra_union_rows=real_union, model=model)
        assert u2 == udays
        for typ, ids in (("pr", [0, 2]), ("mm", [1, 3])):
            h = np.array([sum(c + 0 <= u <= c + 5 for c in shifted[ids]) for u in udays], float)
            effect = float(np.squeeze(fit.t_test(np.r_[np.zeros(k), h / len(ids)][None, :]).effect))
            row = table[(table["first_day0"] == start) & (table["type"] == typ)].iloc[0]
            assert row["mean_car"] == pytest.approx(effect, abs=1e-10)
            assert row["campaign_t"] == pytest.approx(
                effect / np.sqrt(h @ cov @ h / len(ids) ** 2), rel=1e-8)
