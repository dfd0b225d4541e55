"""Costs, abnormal value, ROI with its interval, persistence, and the engagement account."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from analytics.costs import costs_by_kind, finders_fees, program_costs
from analytics.retainer import retainer_schedule
from analytics.roi import (
    abnormal_value_by_event, abnormal_value_daily, abnormal_value_totals,
    engagement_period_abnormal_value, market_cap_series, persistence, persistence_sentence, persistence_status, roi,
    roi_verdict, value_verdict,
)

Z90 = 1.6448536269514722  # norm.ppf(0.95)

# --- a hand-made case with known abnormal returns -----------------------------------------
D = pd.bdate_range("2021-03-01", periods=8)  # D0..D7
CAP = pd.Series([100.0, 200, 300, 400, 500, 600, 700, 800], index=D)  # market cap per day
# Event 1 (press release): day 0 = D2, window (-1, 1) -> D1, D2, D3, ARs 0.01, 0.05, -0.02
# Event 2 (conference):    day 0 = D3, window (-1, 1) -> D2, D3, D4, ARs 0.04, 0.02, 0.01
ABNORMAL = pd.DataFrame({
    "event_id": [1, 1, 1, 2, 2, 2],
    "ticker": ["AXGI"] * 6,
    "rel_day": [-1, 0, 1, -1, 0, 1],
    "date": [D[1], D[2], D[3], D[2], D[3], D[4]],
    "ret": np.nan, "market_ret": np.nan, "expected": np.nan,
    "ar": [0.01, 0.05, -0.02, 0.04, 0.02, 0.01],
})
CARS = pd.DataFrame({
    "event_id": [1, 2], "ticker": ["AXGI"] * 2, "event_date": [D[2], D[3]],
    "window_start": [-1, -1], "window_end": [1, 1], "car": [0.04, 0.07],
    "car_var": [0.0003, 0.0003], "car_t": [0.04 / math.sqrt(0.0003), 0.07 / math.sqrt(0.0003)],
    "p_value": [0.1, 0.01], "n_est": [100, 100], "sigma": [0.01, 0.01],
})
EVENTS = pd.DataFrame({"event_id": [1, 2], "type": ["press_release", "conference"],
                       "cost": [500.0, 2000.0]})


def test_abnormal_value_per_event_hand_values():
    out = abnormal_value_by_event(ABNORMAL, CARS, CAP, events=EVENTS).set_index("event_id")
    # event 1: 0.01 x 100 + 0.05 x 200 - 0.02 x 300 = 1 + 10 - 6 = 5
    # event 2: 0.04 x 200 + 0.02 x 300 + 0.01 x 400 = 8 + 6 + 4 = 18
    assert out.loc[1, "abnormal_value"] == pytest.approx(5.0, rel=1e-12)
    assert out.loc[2, "abnormal_value"] == pytest.approx(18.0, rel=1e-12)
    # var: 0.0003 x (100^2 + 200^2 + 300^2) / 3 = 14; 0.0003 x (4 + 9 + 16)e4 / 3 = 29
    assert out.loc[1, "abnormal_value_se"] == pytest.approx(math.sqrt(14.0), rel=1e-12)
    assert out.loc[2, "abnormal_value_se"] == pytest.approx(math.sqrt(29.0), rel=1e-12)
    assert out.loc[1, "type"] == "press_release" and out.loc[2, "cost"] == 2000.0


def test_totals_count_each_overlapping_day_once():
    daily = abnormal_value_daily(ABNORMAL, CARS, CAP)
    tot = abnormal_value_totals(daily, by=None).iloc[0]
    # D1: 0.01 x 100 = 1; D2: mean(0.05, 0.04) x 200 = 9; D3: mean(-0.02, 0.02) x 300 = 0;
    # D4: 0.01 x 400 = 4 -> 14 (the naive sum of events double counts: 5 + 18 = 23)
    assert tot["abnormal_value"] == pytest.approx(14.0, rel=1e-12)
    assert tot["sum_of_events"] == pytest.approx(23.0, rel=1e-12)
    assert (tot["n_days"], tot["overlap_days"], tot["n_events"]) == (4, 2, 2)
    # per-day variance cap^2 x 0.0003 / 3 = cap^2 x 1e-4: 1 + 4 + 9 + 16 = 30
    assert tot["abnormal_value_se"] == pytest.approx(math.sqrt(30.0), rel=1e-12)
    by_type = abnormal_value_totals(daily, EVENTS, by="type").set_index("group")
    assert by_type.loc["press_release", "abnormal_value"] == pytest.approx(5.0)
    assert by_type.loc["conference", "abnormal_value"] == pytest.approx(18.0)
    assert by_type.loc["conference", "label"] == "Conference"


def test_missing_cap_gives_nan_not_a_partial_sum():
    cap = CAP.copy()
    cap.iloc[0] = np.nan  # event 1's first day has no previous cap
    out = abnormal_value_by_event(ABNORMAL, CARS, cap).set_index("event_id")
    assert math.isnan(out.loc[1, "abnormal_value"]) and out.loc[2, "abnormal_value"] == pytest.approx(18.0)


ROI_CASES = {
    # AV, se, cost -> roi, interval, words
    "covers_zero": (14.0, math.sqrt(30.0), 10.0, 0.4, "not distinguishable from zero"),
    "positive": (14.0, math.sqrt(30.0), 1.0, 13.0, "positive"),
    "negative": (14.0, math.sqrt(30.0), 100.0, -0.86, "negative"),
}


@pytest.mark.parametrize("case", ROI_CASES)
def test_roi_hand_cases(case):
    av, se, cost, expected, words = ROI_CASES[case]
    r = roi(av, cost, se)
    assert r.roi == pytest.approx(expected, rel=1e-12)
    # interval: (14 -/+ 1.6449 x sqrt(30) - C) / C; for C = 10: -0.5009 .. 1.3009
    assert r.roi_low == pytest.approx((av - Z90 * se - cost) / cost, rel=1e-9)
    assert r.roi_high == pytest.approx((av + Z90 * se - cost) / cost, rel=1e-9)
    assert words in r.verdict and "delta method" in r.method
    assert r.distinguishable_from_zero is (words != "not distinguishable from zero")


def test_roi_verdict_words():
    assert roi_verdict(0.35, -0.2, 0.9) == (
        "ROI +35% (90% interval -20% to +90%): not distinguishable from zero; the value created "
        "cannot be told apart from the cost of the program.")
    assert "not available" in roi(5.0, float("nan"), 1.0).verdict
    assert value_verdict(14, -1, 29).endswith("not distinguishable from zero.")


def test_roi_with_supplied_interval_names_the_method():
    r = roi(14.0, 10.0, value_interval=(12.0, 30.0), method="bootstrap of estimation residuals")
    assert (r.roi_low, r.roi_high) == pytest.approx((0.2, 2.0))
    assert "positive" in r.verdict and "bootstrap" in r.verdict


# --- the engagement period ---------------------------------------------------------------
def _simulate(rng, n=200, effect=0.0, start_pos=150, sigma=0.03, beta=1.2):
    dates = pd.bdate_range("1998-01-01", periods=n)
    m = rng.normal(0.0, 0.01, n)
    e = rng.normal(0.0, sigma, n)
    r = 0.0005 + beta * m + e
    r[start_pos:] += effect
    r[0] = m[0] = 0.0
    close = 0.04 * np.cumprod(1 + r)
    mclose = 100 * np.cumprod(1 + m)
    return (pd.DataFrame({"date": dates, "close": close}), pd.DataFrame({"date": dates, "close": mclose}),
            dates[start_pos], dates[-1])


# a deterministic cap (independent of the simulated path) so the target w'delta is known
SIM_CAP = pd.Series(np.linspace(1e6, 3e6, 200), index=pd.bdate_range("1998-01-01", periods=200))


def test_engagement_period_market_model_matches_statsmodels():
    import statsmodels.api as sm
    prices, market, start, end = _simulate(np.random.default_rng(1), effect=0.004)
    res = engagement_period_abnormal_value(prices, market, start, end, SIM_CAP)
    assert res.n_est == 110  # relative days -120..-11
    r = prices.set_index("date")["close"].pct_change()
    mr = market.set_index("date")["close"].pct_change()
    est = slice(150 - 120, 150 - 10)
    fit = sm.OLS(r.iloc[est].to_numpy(), sm.add_constant(mr.iloc[est].to_numpy())).fit()
    assert (res.alpha, res.beta) == pytest.approx(tuple(fit.params), rel=1e-10)
    assert res.sigma == pytest.approx(math.sqrt(fit.scale), rel=1e-10)
    # AV = sum AR_t x cap_{t-1}
    ar = r.iloc[150:] - fit.params[0] - fit.params[1] * mr.iloc[150:]
    assert res.abnormal_value == pytest.approx(float((ar * SIM_CAP.shift(1).iloc[150:]).sum()), rel=1e-10)
    assert res.daily["cum_value"].iloc[-1] == pytest.approx(res.abnormal_value, rel=1e-10)


def test_too_little_estimation_data_raises():
    prices, market, _, end = _simulate(np.random.default_rng(2))
    with pytest.raises(ValueError, match="estimation returns"):
        engagement_period_abnormal_value(prices, market, prices["date"].iloc[20], end, SIM_CAP)


@pytest.mark.parametrize("method,n_sims,tol", [("normal", 400, 0.045), ("bootstrap", 150, 0.075)])
def test_interval_coverage_with_a_known_effect(method, n_sims, tol):
    """Seeded: the 90% interval covers the true abnormal value w'delta in 90% +/- tol of samples.

    tol is 3 binomial standard errors: sqrt(0.9 x 0.1 / n) = 0.015 (n=400), 0.024 (n=150).
    """
    rng = np.random.default_rng(20240601)
    effect = 0.004
    target = effect * SIM_CAP.shift(1).iloc[150:].sum()
    hits = 0
    for _ in range(n_sims):
        prices, market, start, end = _simulate(rng, effect=effect)
        res = engagement_period_abnormal_value(prices, market, start, end, SIM_CAP, method=method,
                                               n_boot=400, seed=int(rng.integers(1 << 31)))
        hits += res.interval_low <= target <= res.interval_high
    assert abs(hits / n_sims - 0.90) <= tol


# --- persistence --------------------------------------------------------------------------
def _persistence_frames(sigma=0.002):
    rel = np.arange(-1, 61)
    ar = np.zeros(len(rel))
    ar[rel <= 1] = 0.02                      # window CAR(-1, 1) = 0.06
    ar[(rel >= 2) & (rel <= 20)] = -0.024 / 19  # CAR(-1, 20) = 0.036: drift(2, 20) = -0.024
    ar[rel >= 21] = -0.056 / 40               # CAR(-1, 60) = -0.02: drift(2, 60) = -0.08
    dates = pd.bdate_range("2021-01-04", periods=len(rel))
    ab = pd.DataFrame({"event_id": 7, "ticker": "AXGI", "rel_day": rel, "date": dates, "ar": ar})
    cars = pd.DataFrame({"event_id": [7], "ticker": ["AXGI"], "event_date": [dates[1]],
                         "window_start": [-1], "window_end": [1], "car": [0.06], "car_var": [1e-4],
                         "car_t": [6.0], "alpha": [0.0], "beta": [1.0], "sigma": [sigma]})
    return ab, cars


# Without the engine's ar_var/cum_ar_var the variance is sigma^2 x days (no estimation error,
# named), no dof -> normal tails. Hand arithmetic, horizon 20 (drift days 2..20: 19 of them):
#  sigma 0.002: se = 0.002 sqrt(19) = 0.0087178, t = -0.024 / 0.0087178 = -2.7530,
#               p = norm.sf(2.7530) = 0.00295 < 10% -> reversed
#  sigma 0.01:  se = 0.043589, t = -0.55060, p = 0.29096 -> not reversed; CAR(-1, 20) = 0.036,
#               se = 0.01 sqrt(22) = 0.046904, t = 0.76753, p = 0.22138 -> cannot tell
#  sigma 0.001: drift t = -5.506 -> reversed (a significant give-back, whatever is left)
PERSISTENCE_HAND = [
    ("small sigma: significant give-back", 0.002, 0.0087178, 0.00295, "reversed"),
    ("large sigma: cannot tell", 0.01, 0.043589, 0.29096, "cannot tell"),
]


@pytest.mark.parametrize("name,sigma,se,p,status", PERSISTENCE_HAND, ids=[c[0] for c in PERSISTENCE_HAND])
def test_persistence_drift_test_hand_values(name, sigma, se, p, status):
    ab, cars = _persistence_frames(sigma)
    out = persistence(ab, cars).iloc[0]
    assert out["car_20"] == pytest.approx(0.036) and out["share_retained_20"] == pytest.approx(0.6)
    assert out["drift_20"] == pytest.approx(-0.024)
    assert out["drift_se_20"] == pytest.approx(se, rel=1e-4)
    assert out["drift_p_20"] == pytest.approx(p, rel=1e-3)
    assert out["status_20"] == status
    assert out["drift_variance_method"] == "no_estimation_error"
    assert out["car_60"] == pytest.approx(-0.02) and out["drift_60"] == pytest.approx(-0.08)


def test_persistence_extends_with_the_market_model_on_prices():
    ab, cars = _persistence_frames()
    # prices whose simple returns are the ARs (flat market, alpha 0, beta 1)
    dates = pd.bdate_range("2020-12-31", periods=len(ab) + 1)
    close = 1.0 * np.cumprod(np.r_[1.0, 1 + ab["ar"].to_numpy()])
    prices = pd.DataFrame({"date": dates, "close": close})
    market = pd.DataFrame({"date": dates, "close": 100.0})
    ab = ab.assign(date=dates[1:])
    short = ab[ab["rel_day"] <= 1]
    out = persistence(short, cars, prices, market).iloc[0]
    assert out["car_20"] == pytest.approx(0.036, abs=1e-12)
    assert out["car_60"] == pytest.approx(-0.02, abs=1e-12)
    assert out["drift_60"] == pytest.approx(-0.08, abs=1e-12)
    # without prices the horizon is not reachable: said, not guessed
    assert persistence(short, cars).iloc[0]["status_60"] == "n/a"


def _one_stock(rng, n_days=260, sigma=0.03, jump=0.0, day=200):
    dates = pd.bdate_range("2020-01-01", periods=n_days)
    m = rng.normal(0.0003, 0.01, n_days)
    r = 0.0005 + 1.2 * m + rng.normal(0, sigma, n_days)
    r[day] += jump
    prices = pd.DataFrame({"ticker": "SIM", "date": dates, "close": 2.0 * np.cumprod(1 + r),
                           "volume": 1000.0})
    market = pd.DataFrame({"date": dates, "close": 100 * np.cumprod(1 + m)})
    return prices, market, dates


def test_drift_variance_matches_the_explicit_mackinlay_matrix():
    from analytics.event_study import event_study

    prices, market, dates = _one_stock(np.random.default_rng(5))
    events = pd.DataFrame({"event_id": [1], "ticker": ["SIM"], "date": [dates[200]]})
    res = event_study(prices, events, market, event_windows=[(-1, 1)], report_window=(-1, 30))
    out = persistence(res.abnormal, res.cars, horizons=(20,)).iloc[0]
    assert out["drift_variance_method"] == "mackinlay"
    # reference: V = sigma^2 (I + X* (X'X)^-1 X*') over the drift days 2..20 (MacKinlay eq. 4.14),
    # X the estimation window's rows (1, Rm) on days -120..-11, gamma the drift days' indicator
    ret = prices["close"].pct_change().to_numpy()
    rm = market["close"].pct_change().to_numpy()
    est = np.arange(200 - 120, 200 - 11 + 1)
    X = np.column_stack([np.ones(est.size), rm[est]])
    beta_hat, *_ = np.linalg.lstsq(X, ret[est], rcond=None)
    resid = ret[est] - X @ beta_hat
    s2 = resid @ resid / (est.size - 2)
    drift_days = np.arange(202, 221)
    Xs = np.column_stack([np.ones(drift_days.size), rm[drift_days]])
    V = s2 * (np.eye(drift_days.size) + Xs @ np.linalg.inv(X.T @ X) @ Xs.T)
    assert out["drift_se_20"] == pytest.approx(math.sqrt(V.sum()), rel=1e-9)
    ar = ret[drift_days] - Xs @ beta_hat
    assert out["drift_20"] == pytest.approx(ar.sum(), rel=1e-9)
    from scipy import stats
    t = ar.sum() / math.sqrt(V.sum())
    # one-sided against a run-up (the window CAR's sign), Student t with L1 - 2 dof
    direction = np.sign(res.cars["car"].iloc[0])
    assert out["drift_p_20"] == pytest.approx(stats.t.sf(-direction * t, est.size - 2), rel=1e-9)


def test_a_permanent_reaction_is_called_reversed_at_the_tests_level_not_40_percent():
    """Issue 9 point 6: 300 simulated stocks, each with a permanent +5% jump on day 0."""
    from scipy import stats

    from analytics.event_study import event_study

    rng = np.random.default_rng(20261201)
    n = 300
    frames, events = [], []
    for k in range(n):
        p, market, dates = _one_stock(rng, jump=0.05)
        frames.append(p.assign(ticker=f"S{k}"))
        events.append((k, f"S{k}", dates[200]))
    res = event_study(pd.concat(frames), pd.DataFrame(events, columns=["event_id", "ticker", "date"]),
                      market, event_windows=[(-1, 1)], report_window=(-1, 55))
    out = persistence(res.abnormal, res.cars, horizons=(55,))
    assert (out["drift_variance_method"] == "mackinlay").all()
    reversed_n = int((out["status_55"] == "reversed").sum())
    lo, hi = stats.binom.ppf([0.0005, 0.9995], n, 0.10)  # one-sided test at 10%: 99.9% band
    assert lo <= reversed_n <= hi, reversed_n
    # the old rule (share retained <= 0) would have said "reversed" far more often
    assert (out["share_retained_55"] <= 0).mean() > 0.25


def test_persistence_on_a_thin_stock_with_trade_to_trade_returns_keeps_its_level():
    """Half the days untraded, trade-to-trade returns: the drift variance uses the spans."""
    from scipy import stats

    from analytics.event_study import event_study

    rng = np.random.default_rng(DEFAULT_SEED_THIN)
    n, n_days = 300, 260
    dates = pd.bdate_range("2020-01-01", periods=n_days)
    m = rng.normal(0.0003, 0.01, n_days)
    market = pd.DataFrame({"date": dates, "close": 100 * np.cumprod(1 + m)})
    frames, events = [], []
    for k in range(n):
        r = 0.0005 + 1.2 * m + rng.normal(0, 0.03, n_days)
        r[200] += 0.05
        traded = rng.random(n_days) < 0.5
        traded[195:206] = True
        last = np.maximum.accumulate(np.where(traded, np.arange(n_days), 0))
        frames.append(pd.DataFrame({"ticker": f"S{k}", "date": dates,
                                    "close": np.cumprod(1 + r)[last],
                                    "volume": np.where(traded, 1000.0, 0.0)}))
        events.append((k, f"S{k}", dates[200]))
    res = event_study(pd.concat(frames), pd.DataFrame(events, columns=["event_id", "ticker", "date"]),
                      market, event_windows=[(-1, 1)], report_window=(-1, 55),
                      thin_trading="trade_to_trade")
    out = persistence(res.abnormal, res.cars, horizons=(55,))
    assert (out["drift_variance_method"] == "mackinlay").all()
    lo, hi = stats.binom.ppf([0.0005, 0.9995], n, 0.10)
    assert lo <= int((out["status_55"] == "reversed").sum()) <= hi


DEFAULT_SEED_THIN = 20261202


@pytest.mark.parametrize("drift_p,car_h_p,status", [
    (0.03, 0.5, "reversed"), (0.09, 0.01, "reversed"), (0.5, 0.04, "no significant reversal"),
    (0.5, 0.5, "cannot tell"), (0.10, 0.2, "cannot tell"), (float("nan"), 0.01, "n/a")])
def test_persistence_status(drift_p, car_h_p, status):
    assert persistence_status(drift_p, car_h_p, alpha=0.10) == status


def test_persistence_sentence_says_promotion_only_after_a_significant_reversal():
    base = pd.DataFrame({"car": [0.05, 0.04, -0.03],
                         "status_60": ["cannot tell", "no significant reversal", "cannot tell"]})
    text = persistence_sentence(base, 60)
    assert "promotion" not in text and "cannot tell" in text and "one-sided test at 10%" in text
    rev = base.assign(status_60=["reversed", "cannot tell", "cannot tell"])
    assert "promotion" in persistence_sentence(rev, 60)
    assert persistence_sentence(base, 20) is None


def test_persistence_horizon_inside_the_window_is_refused():
    ab, cars = _persistence_frames()
    with pytest.raises(ValueError, match="after the event window"):
        persistence(ab, cars, horizons=(1,))


def test_market_cap_restates_the_close_to_the_reported_share_basis():
    prices = pd.DataFrame({"date": D[:4], "close": [0.5, 0.6, 0.5, 0.4]})  # latest basis
    split = pd.DataFrame({"date": [D[2]], "ratio": [0.1]})  # 1-for-10 reverse on D2
    so = pd.DataFrame({"date": [D[0], D[2]], "shares": [1e7, 1e6]})  # as reported
    cap = market_cap_series(prices, so, split)
    # D0: 0.05 x 1e7 = 500,000; D1: 0.06 x 1e7 = 600,000; D2: 0.5 x 1e6; D3: 0.4 x 1e6
    np.testing.assert_allclose(cap.to_numpy(), [5e5, 6e5, 5e5, 4e5], rtol=1e-12)


def test_program_costs_by_kind():
    prices = pd.DataFrame({"date": pd.to_datetime(["1999-01-04", "1999-02-04", "1999-03-04"]),
                           "close": [0.04, 0.05, 0.035]})
    eng = dict(start_date="1999-01-04", end_date="1999-04-04", retainer_amount=3500.0,
               minimum_months=3, retainer_price_rule="close_on_payment", retainer_price_days=None)
    sched = retainer_schedule(eng, prices, shares_outstanding=1e7)
    fin = pd.DataFrame({"financing_id": [1], "date": ["1999-02-20"], "amount": [250_000.0],
                        "fee_rate": [0.05], "description": ["private placement"]})
    acts = pd.DataFrame({"activity_id": [1, 2], "date": pd.to_datetime(["1999-01-10", "1999-01-20"]),
                         "type": ["press_release", "conference"], "title": ["PR", "Forum"],
                         "cost": [150.0, np.nan]})
    grant = dict(grant_id=1, shares=5_000_000, strike=0.04, grant_date="1999-01-04",
                 expiry_date="1999-02-15")
    costs = program_costs(sched, [grant], fin, acts, prices=prices)
    k = costs_by_kind(costs).set_index("kind")
    assert finders_fees(fin)["fee"].iloc[0] == pytest.approx(12_500.0)  # 250,000 x 5%
    # retainer: three payments of 3,500 at the close of the day -> 10,500; 87,500 + 70,000 + 100,000 shares
    assert k.loc["retainer", "cost"] == pytest.approx(10_500.0)
    assert k.loc["retainer", "shares"] == pytest.approx(257_500.0)
    assert k.loc["finders_fee", "cost"] == pytest.approx(12_500.0)
    assert k.loc["activity", "cost"] == 150.0 and k.loc["activity", "n_cost_unknown"] == 1
    # only one price before the grant: no volatility, so the option's fair value is unknown, and said
    assert k.loc["option", "n_cost_unknown"] == 1 and k.loc["option", "shares"] == 5_000_000
    assert k.loc["total", "cost"] == pytest.approx(10_500 + 12_500 + 150)


# --- integration: the event-study engine and the demo workspace ----------------------------
def test_engagement_account_on_the_demo_workspace_with_the_engine():
    import ingest.demo as demo
    from analytics.event_study import event_study
    from analytics.roi import engagement_account

    ws = demo.build_demo_frames()
    client = ws.clients.iloc[0]
    bars = ws.bars[ws.bars["ticker"] == client["ticker"]]
    market = ws.bars[ws.bars["ticker"] == client["benchmark"]][["date", "close"]]
    prices = bars[["ticker", "date", "adj_close", "volume"]].rename(columns={"adj_close": "close"})
    events = (ws.activities.rename(columns={"activity_id": "event_id"})
              [["event_id", "date", "type", "after_close"]].assign(ticker=client["ticker"]))
    res = event_study(prices, events, market)
    acc = engagement_account(ws.engagements.iloc[0], ws.activities, bars, market,
                             abnormal=res.abnormal, cars=res.cars, option_grants=ws.option_grants,
                             financings=ws.financings, shares_outstanding=ws.shares_outstanding,
                             splits=ws.splits)
    # retainer dates and prices agree with the demo generator's own computation (5-day average
    # close before each payment; the Sunday anniversary 1999-04-04 rolls to the next trading day,
    # 1999-04-05, under the default convention as in the demo); the demo rounds shares to whole
    # shares, we do not
    sched = acc.inputs["retainer"]
    assert list(sched["payment_date"]) == list(ws.retainer_payments["date"])
    np.testing.assert_allclose(sched["price"], ws.retainer_payments["price"], rtol=1e-12)
    np.testing.assert_allclose(sched["shares_issued"], ws.retainer_payments["shares"], atol=0.5)
    # the option: 5,000,000 at 0.04, last close before the 1999-02-15 expiry (Fri 12 Feb) checked
    # by hand: 0.0625 -> 5,000,000 x 0.0225 = 112,500, expired in the money
    st = acc.consultant["options"][0]
    assert st.date == pd.Timestamp("1999-02-12") and st.close == 0.0625
    assert st.value_at_expiry == pytest.approx(112_500.0) and st.status == "expired in the money"
    # finder's fee = amount x rate of the demo's financing
    fin = ws.financings.iloc[0]
    k = acc.inputs["costs_by_kind"].set_index("kind")
    assert k.loc["finders_fee", "cost"] == pytest.approx(fin["amount"] * fin["fee_rate"])
    # the per-type totals add up to more than the deduplicated total only through overlaps
    by_type = acc.impact["by_type"]
    assert set(by_type["group"]) <= set(ws.activities["type"]) and len(by_type) > 1
    assert acc.impact["total"]["n_events"].iloc[0] == len(res.cars["event_id"].unique())
    for r in (acc.impact["roi_activities"], acc.impact["roi_period"]):
        assert r.method and ("not distinguishable from zero" in r.verdict) == (r.roi_low <= 0 <= r.roi_high)
    assert {"before", "during"} == set(acc.outcomes["liquidity"].index)
    assert acc.activities["n"].sum() == len(ws.activities)
    daily = acc.consultant["daily"]
    assert {"retainer_value", "option_fair_value", "company_cum_abnormal_value"} <= set(daily.columns)


def test_activity_total_bootstrap_matches_the_normal_interval_on_gaussian_residuals():
    # Gaussian residuals, constant cap: the bootstrap's interval of the total is close to the
    # normal one built from the same pre-engagement model (sigma^2 (w'w + estimation term))
    from analytics.roi import activity_total_bootstrap_interval, engagement_period_abnormal_value

    rng = np.random.default_rng(7)
    days = pd.bdate_range("1999-01-01", periods=200)
    rm = rng.normal(0, 0.01, len(days))
    r = 0.0002 + 1.1 * rm + rng.normal(0, 0.02, len(days))
    prices = pd.DataFrame({"date": days, "close": 1.0 * np.cumprod(1 + r)})
    market = pd.DataFrame({"date": days, "close": 100.0 * np.cumprod(1 + rm)})
    cap = market_cap_series(prices, 1e6)
    start = days[150]
    # one "activity" covering days 150..155 with the pre-engagement model's ARs
    period = engagement_period_abnormal_value(prices, market, start, days[155], cap)
    daily = period.daily.assign(event_id=1, rel_day=range(6))
    lo, hi, how = activity_total_bootstrap_interval(daily, prices, market, start, n_boot=4000)
    assert "bootstrap" in how and "independently" in how
    assert (lo + hi) / 2 == pytest.approx(period.abnormal_value, abs=0.15 * period.abnormal_value_se)
    z = 1.6448536269514722
    assert (hi - lo) / (2 * z) == pytest.approx(period.abnormal_value_se, rel=0.1)


def test_engagement_account_names_the_activity_interval_method_and_its_independence():
    import ingest.demo as demo
    from analytics.event_study import event_study
    from analytics.roi import engagement_account

    ws = demo.build_demo_frames()
    bars = ws.bars[ws.bars["ticker"] == demo.TICKER]
    market = ws.bars[ws.bars["ticker"] == demo.BENCHMARK][["date", "close"]]
    prices = bars[["ticker", "date", "adj_close", "volume"]].rename(columns={"adj_close": "close"})
    events = (ws.activities.rename(columns={"activity_id": "event_id"})
              [["event_id", "date", "type", "after_close"]].assign(ticker=demo.TICKER))
    res = event_study(prices, events, market)
    kw = dict(abnormal=res.abnormal, cars=res.cars, option_grants=ws.option_grants,
              financings=ws.financings, shares_outstanding=ws.shares_outstanding)
    normal = engagement_account(ws.engagements.iloc[0], ws.activities, bars, market, **kw)
    boot = engagement_account(ws.engagements.iloc[0], ws.activities, bars, market,
                              interval_method="bootstrap", **kw)
    assert normal.impact["roi_activities"].method.startswith("normal")
    assert boot.impact["roi_activities"].method.startswith("bootstrap")
    assert boot.impact["roi_period"].method.startswith("bootstrap")
    # same point estimate, different interval
    assert boot.impact["roi_activities"].roi == normal.impact["roi_activities"].roi
    assert boot.impact["roi_activities"].roi_low != normal.impact["roi_activities"].roi_low
    for acc in (normal, boot):
        assert any("treated as independent" in n and acc.impact["roi_activities"].method in n
                   for n in acc.notes)
