"""Regression snapshot of the demo workspace's engagement account, every figure checked first.

The demo (``ingest.demo.build_demo_frames()``, default seed) is the Auxer Group / PMR engagement
with simulated AXGI prices. Each snapshot value below was checked before it was written down:
by hand from the demo's raw inputs where the arithmetic is short (closes are whole ticks of
1/256 dollar, so they are listed as integers), and otherwise by an independent route
(statsmodels OLS on the same windows). Tolerances are for floating-point noise only.

Raw inputs used by the hand checks (contract terms of the reference engagement in the README, demo
assumptions from the ``ingest.demo`` docstring):
- retainer $3,500 a month from 1999-01-04, six payments, each on the monthly anniversary
  rolled to the next trading day, priced at the mean close of the 5 trading days before it;
- option on 5,000,000 shares at $0.04, granted 1999-01-04, expiring 1999-02-15 (a holiday,
  Presidents' Day, so the last close before expiry is Friday 1999-02-12);
- financing $250,000 on 1999-04-20 at a 10% finder's fee;
- activity costs as logged in the demo's schedule (24 of 35 activities have a cost).
"""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

import ingest.demo as demo
from analytics.event_study import event_study
from analytics.options import grant_date_fair_value
from analytics.roi import engagement_account

TICK = 1.0 / 256.0
Z90 = 1.6448536269514722  # standard normal 95% quantile, for a two-sided 90% interval


@pytest.fixture(scope="module")
def ws():
    return demo.build_demo_frames()


@pytest.fixture(scope="module")
def frames(ws):
    bars = ws.bars[ws.bars["ticker"] == demo.TICKER].reset_index(drop=True)
    market = ws.bars[ws.bars["ticker"] == demo.BENCHMARK][["date", "close"]].reset_index(drop=True)
    return bars, market


@pytest.fixture(scope="module")
def study(ws, frames):
    bars, market = frames
    prices = bars[["ticker", "date", "adj_close", "volume"]].rename(columns={"adj_close": "close"})
    events = (ws.activities.rename(columns={"activity_id": "event_id"})
              [["event_id", "date", "type", "after_close"]].assign(ticker=demo.TICKER))
    return event_study(prices, events, market)


@pytest.fixture(scope="module")
def account(ws, frames, study):
    bars, market = frames
    return engagement_account(ws.engagements.iloc[0], ws.activities, bars, market,
                              abnormal=study.abnormal, cars=study.cars,
                              option_grants=ws.option_grants, financings=ws.financings,
                              shares_outstanding=ws.shares_outstanding, splits=ws.splits)


def _ticks(bars, first, last) -> list[int]:
    """Closes from first to last (inclusive) in ticks, asserting they are whole ticks."""
    c = bars.loc[(bars["date"] >= first) & (bars["date"] <= last), "close"].to_numpy() / TICK
    assert np.array_equal(c, np.round(c))
    return np.round(c).astype(int).tolist()


# --- retainer paid in stock ---------------------------------------------------------------
# Closes (ticks) of the 5 trading days before each payment date, then the payment date's own
# close. Price = mean / 256; shares = 3,500 / price = 3,500 x 256 / mean_ticks;
# value at issue = shares x close = 3,500 x close_ticks / mean_ticks.
#  1 due Mon 01-04, paid 01-04: 12-24 12-28 12-29 12-30 12-31 = 6 6 6 6 8 (12-25 shut)
#      mean 32/5 = 6.4 -> price 0.025, shares 896,000 / 6.4 = 140,000; close 9 -> 3,500 x 9/6.4
#      = 4,921.875
#  2 due Thu 02-04, paid 02-04: 01-28..02-03 = 14 15 16 16 15, mean 76/5 = 15.2 -> price
#      0.059375, shares 896,000 / 15.2 = 58,947.368...; close 15 -> 3,500 x 15/15.2 = 3,453.947...
#  3 due Thu 03-04, paid 03-04: 02-25..03-03 = 14 14 14 15 16, mean 14.6 -> price 0.05703125,
#      shares 61,369.863...; close 18 -> 3,500 x 18/14.6 = 4,315.068...
#  4 due SUN 04-04, paid MON 04-05 (next trading day; Good Friday 04-02 shut): 03-26 03-29 03-30
#      03-31 04-01 = 23 22 25 25 27, mean 24.4 -> price 0.0953125, shares 36,721.311...;
#      close on 04-05 = 25 -> 3,500 x 25/24.4 = 3,586.065...
#  5 due Tue 05-04, paid 05-04: 04-27..05-03 = 29 29 27 24 24, mean 26.6 -> price 0.10390625,
#      shares 33,684.210...; close 24 -> 3,500 x 24/26.6 = 3,157.894...
#  6 due Fri 06-04, paid 06-04: 05-27..06-03 = 33 33 31 32 34, mean 32.6 -> price 0.12734375,
#      shares 27,484.662...; close 33 -> 3,500 x 33/32.6 = 3,542.944...
# Lowest price (payment 1) issues the most shares: the same $3,500 dilutes most when cheap.
RETAINER = [
    # due, paid, prior 5 closes (ticks), close on payment (ticks)
    ("1999-01-04", "1999-01-04", [6, 6, 6, 6, 8], 9),
    ("1999-02-04", "1999-02-04", [14, 15, 16, 16, 15], 15),
    ("1999-03-04", "1999-03-04", [14, 14, 14, 15, 16], 18),
    ("1999-04-04", "1999-04-05", [23, 22, 25, 25, 27], 25),
    ("1999-05-04", "1999-05-04", [29, 29, 27, 24, 24], 24),
    ("1999-06-04", "1999-06-04", [33, 33, 31, 32, 34], 33),
]
# Shares outstanding on each payment date (the demo's reports, which add each payment's rounded
# shares on its date): 58,400,000 + 1,500,000 (1998-10-15) + 140,000 = 60,040,000; + 58,947 =
# 60,098,947; + 61,370 = 60,160,317; + 36,721 = 60,197,038; + 3,200,000 placement (04-20) +
# 33,684 = 63,430,722; + 27,485 = 63,458,207.
SHARES_OUT = [60_040_000, 60_098_947, 60_160_317, 60_197_038, 63_430_722, 63_458_207]


def test_retainer_payments_snapshot(account, frames):
    bars, _ = frames
    s = account.inputs["retainer"]
    assert list(s["due_date"]) == list(pd.to_datetime([r[0] for r in RETAINER]))
    assert list(s["payment_date"]) == list(pd.to_datetime([r[1] for r in RETAINER]))
    assert (s["status"] == "issued").all() and (s["payment_roll"] == "following").all()
    for k, (_, paid, prior, close_t) in enumerate(RETAINER):
        row = s.iloc[k]
        assert _ticks(bars, row["price_window_start"], row["price_window_end"]) == prior
        assert _ticks(bars, paid, paid) == [close_t]
        mean_t = sum(prior) / 5
        assert row["price"] == pytest.approx(mean_t / 256, rel=1e-15)
        assert row["shares_issued"] == pytest.approx(3500 * 256 / mean_t, rel=1e-14)
        assert row["value_at_issue"] == pytest.approx(3500 * close_t / mean_t, rel=1e-14)
        # dilution = shares issued / shares outstanding on the payment date
        assert row["shares_outstanding"] == SHARES_OUT[k]
        assert row["dilution"] == pytest.approx(3500 * 256 / mean_t / SHARES_OUT[k], rel=1e-14)
    # the snapshot itself
    np.testing.assert_allclose(s["price"], [0.025, 0.059375, 0.05703125, 0.0953125, 0.10390625,
                                            0.12734375], rtol=1e-15)
    np.testing.assert_allclose(s["shares_issued"], [140_000.0, 58_947.36842105263, 61_369.86301369863,
                                                    36_721.311475409835, 33_684.21052631579,
                                                    27_484.662576687115], rtol=1e-14)
    np.testing.assert_allclose(s["value_at_issue"], [4921.875, 3453.947368421053, 4315.068493150685,
                                                     3586.065573770492, 3157.894736842105,
                                                     3542.944785276073], rtol=1e-14)
    assert s["shares_issued"].idxmax() == 0 and s["price"].idxmin() == 0


def test_retainer_totals_snapshot(account):
    s = account.inputs["retainer"]
    # total shares = 896,000 x (1/6.4 + 1/15.2 + 1/14.6 + 1/24.4 + 1/26.6 + 1/32.6)
    #              = 140,000 + 58,947.37 + 61,369.86 + 36,721.31 + 33,684.21 + 27,484.66 = 358,207.42
    assert s["cumulative_shares"].iloc[-1] == pytest.approx(358_207.416013164, rel=1e-13)
    assert account.inputs["dilution_shares"] == pytest.approx(358_207.416013164, rel=1e-13)
    # cumulative dilution = sum of the ratios: 140,000 / 60,040,000 = 0.23318% + 58,947.37 /
    # 60,098,947 = 0.09808% + 0.10201% + 0.06100% + 0.05310% + 0.04331% = 0.59069%
    assert s["cumulative_dilution"].iloc[-1] == pytest.approx(0.005906895152, rel=1e-9)
    assert s["dilution"].iloc[0] == pytest.approx(140_000 / 60_040_000, rel=1e-15)


# --- the option -----------------------------------------------------------------------------
# Grant 1999-01-04, close 9 ticks = 0.03515625 -> moneyness 0.03515625 / 0.04 = 0.87890625
# (out of the money). Expiry Mon 1999-02-15 is a holiday; the last close on or before it is
# Fri 02-12 = 16 ticks = 0.0625 -> moneyness 1.5625; value at expiry 5,000,000 x (0.0625 - 0.04)
# = 112,500; expired in the money.
#
# Grant-date fair value (Black-Scholes, Hull ch. 15):
#   S = 0.03515625, K = 0.04, T = 42 days / 365 = 0.115068..., r = 0.05 (DEFAULT_RISK_FREE_RATE)
#   sigma: sample sd of the 60 daily log returns ending 01-04 x sqrt(252). The 61 closes (ticks)
#   from 1998-10-07 to 1999-01-04 are GRANT_VOL_TICKS below; only 10 returns are non-zero:
#   ln(6/7) once, ln(4/6) once, ln(5/4) once, ln(6/5) x3, ln(5/6) x2, ln(8/6) once, ln(9/8) once.
#   Sum of squares = 0.0237624 (ln 7/6) + 0.1644020 (ln 3/2) + 0.0497930 (ln 5/4)
#                    + 5 x 0.0332412 (ln 6/5) + 0.0827610 (ln 4/3) + 0.0138728 (ln 9/8) = 0.5007970
#   mean = ln(9/7) / 60 = 0.00418857 (the returns telescope), 60 x mean^2 = 0.00105265
#   var = (0.5007970 - 0.0010526) / 59 = 0.00847024, sd = 0.0920339, sigma = 0.0920339 x
#   sqrt(252) = 1.460993 (146% a year: one-tick moves on a 6-tick stock)
#   sigma sqrt(T) = 1.460993 x 0.339217 = 0.495594
#   ln(S/K) = ln(0.87890625) = -0.129077; (r + sigma^2/2) T = (0.05 + 1.067251) x 0.115068 = 0.128560
#   d1 = (-0.129077 + 0.128560) / 0.495594 = -0.0010426;  d2 = d1 - 0.495594 = -0.496637
#   N(d1) = 0.499584, N(d2) = 0.309723, exp(-rT) = 0.994263
#   C = 0.03515625 x 0.499584 - 0.04 x 0.994263 x 0.309723 = 0.0175635 - 0.0123178 = 0.0052457
#   grant-date fair value = 5,000,000 x 0.0052457 = 26,228.38
GRANT_VOL_TICKS = [7, 7, 7, 7, 7, 7, 7, 6, 6, 6, 6, 6, 6, 6, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4,
                   5, 5, 5, 6, 5, 5, 5, 5, 5, 6, 6, 5, 5, 5, 5, 5, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6,
                   6, 6, 6, 8, 9]


def _norm_cdf(x: float) -> float:
    return 0.5 * (1.0 + math.erf(x / math.sqrt(2.0)))


def test_option_snapshot(account, frames, ws):
    bars, _ = frames
    st = account.consultant["options"][0]
    series = account.consultant["option_series"][0]
    at_grant = series.iloc[0]
    assert at_grant["date"] == pd.Timestamp("1999-01-04") and _ticks(bars, "1999-01-04", "1999-01-04") == [9]
    assert at_grant["moneyness"] == pytest.approx(0.87890625, rel=1e-15)
    assert st.status == "expired in the money" and st.expired_in_the_money is True
    assert st.date == pd.Timestamp("1999-02-12") and _ticks(bars, "1999-02-12", "1999-02-12") == [16]
    assert st.moneyness == pytest.approx(1.5625, rel=1e-15)
    assert st.value_at_expiry == pytest.approx(112_500.0, rel=1e-13)

    # sigma from the listed ticks with the standard library (independent of pandas' rolling std)
    i = bars.index[bars["date"] == "1999-01-04"][0]
    assert (np.round(bars["close"].iloc[i - 60:i + 1].to_numpy() / TICK).astype(int).tolist()
            == GRANT_VOL_TICKS)
    logret = [math.log(b / a) for a, b in zip(GRANT_VOL_TICKS, GRANT_VOL_TICKS[1:])]
    import statistics
    sigma = statistics.stdev(logret) * math.sqrt(252)
    assert sigma == pytest.approx(1.460993255278467, rel=1e-12)
    s_, k_, t_, r_ = 9 / 256, 0.04, 42 / 365, 0.05

    def bs(sig):
        d1 = (math.log(s_ / k_) + (r_ + sig ** 2 / 2) * t_) / (sig * math.sqrt(t_))
        d2 = d1 - sig * math.sqrt(t_)
        return d1, d2, s_ * _norm_cdf(d1) - k_ * math.exp(-r_ * t_) * _norm_cdf(d2)

    d1, d2, call = bs(sigma)
    assert d1 == pytest.approx(-0.0010425741899, abs=1e-12) and d2 == pytest.approx(-0.4966370125113, abs=1e-12)
    assert 5_000_000 * call == pytest.approx(26_228.37786754871, rel=1e-12)
    # the plain daily estimator (trailing_volatility) is the one the hand computation above follows
    grant = ws.option_grants.iloc[0]
    close = bars[["date", "close"]]
    assert grant_date_fair_value(grant, close, volatility_method="historical") == pytest.approx(
        26_228.37786754871, rel=1e-12)
    # the account uses the options module's default estimator (noise-robust since issue 9): whatever
    # sigma it reports, the cost is Black-Scholes of that sigma on 5,000,000 shares, by hand
    sig = float(at_grant["volatility"])
    assert np.isfinite(sig) and sig > 0
    assert st.grant_date_fair_value == pytest.approx(5_000_000 * bs(sig)[2], rel=1e-9)
    k = account.inputs["costs_by_kind"].set_index("kind")
    assert k.loc["option", "cost"] == pytest.approx(st.grant_date_fair_value, rel=1e-12)
    assert k.loc["option", "shares"] == 5_000_000


# --- finder's fee and program cost ----------------------------------------------------------
# Activity costs logged in the demo schedule (USD): 9 press releases x 450 = 4,050; IR package
# 1,850; faxes 270 + 410 + 430 + 980; broker mailings 540 + 380 + 620; web 1,200 + 400; analyst
# 120 + 300; conferences 2,400 + 1,100; investor outreach 150 -> 4,050 + 11,150 = 15,200.
# The other 11 activities, logged without a cost (4 shareholder-inquiry logs, 3 market-maker
# introductions, 2 investor-outreach calls, 2 "other": board report, program review), are
# counted as unknown and left out of the total.
# Total = retainer 22,977.80 (sum of the six values at issue above) + the option's grant-date value
#       (checked by hand against Black-Scholes above) + finder's fee 250,000 x 10% = 25,000
#       + activities 15,200.
RETAINER_COST = 4921.875 + 3453.947368421053 + 4315.068493150685 + 3586.065573770492 \
    + 3157.894736842105 + 3542.944785276073          # = 22,977.795957...


def total_cost(account) -> float:
    return RETAINER_COST + account.consultant["options"][0].grant_date_fair_value + 25_000.0 + 15_200.0


def test_program_cost_snapshot(account, ws):
    k = account.inputs["costs_by_kind"].set_index("kind")
    fin = ws.financings.iloc[0]
    assert (fin["amount"], fin["fee_rate"]) == (250_000.0, 0.10)
    assert k.loc["finders_fee", "cost"] == pytest.approx(25_000.0, rel=1e-15)
    assert k.loc["retainer", "cost"] == pytest.approx(22_977.795957460403, rel=1e-13)
    assert k.loc["retainer", "cost"] == pytest.approx(RETAINER_COST, rel=1e-13)
    assert k.loc["activity", "cost"] == 15_200.0
    assert (k.loc["activity", "n_items"], k.loc["activity", "n_cost_unknown"]) == (35, 11)
    assert ws.activities["cost"].sum() == 15_200.0 and ws.activities["cost"].isna().sum() == 11
    assert account.inputs["total_cost"] == pytest.approx(total_cost(account), rel=1e-13)
    assert k.loc["total", "cost"] == pytest.approx(total_cost(account), rel=1e-13)
    # dilution beside the dollars: retainer shares + the option's 5,000,000 potential shares
    assert k.loc["total", "shares"] == pytest.approx(358_207.416013164 + 5_000_000, rel=1e-13)


# --- value created and ROI: checked by an independent route (statsmodels OLS) ----------------
# The abnormal values are sums over 92 and 126 days of AR x previous day's market cap, which no
# one checks by hand; instead each is recomputed here from the raw bars with statsmodels OLS on
# the same estimation windows, the market caps from the raw share reports, and MacKinlay's
# (1997) CAR variance built from statsmodels' scale and cov_params. ROI = (AV - C) / C with C
# the hand-checked total cost above; the 90% interval is AV +/- 1.6449 se mapped the same way.
def _returns(frames) -> pd.DataFrame:
    bars, market = frames
    assert (bars["date"].to_numpy() == market["date"].to_numpy()).all()  # one calendar
    return pd.DataFrame({"date": bars["date"], "ret": bars["close"].pct_change(),
                         "mret": market["close"].pct_change().to_numpy(), "close": bars["close"]})


def _cap_prev(df: pd.DataFrame, ws) -> pd.Series:
    so = ws.shares_outstanding[["date", "shares"]].sort_values("date")
    caps = pd.merge_asof(df[["date", "close"]], so, on="date")
    return (caps["close"] * caps["shares"]).shift(1)  # previous trading day's cap


def _ols(est: pd.DataFrame):
    return sm.OLS(est["ret"], sm.add_constant(est["mret"])).fit()


def test_engagement_period_value_and_roi_snapshot(account, frames, ws):
    df = _returns(frames)
    df["cap_prev"] = _cap_prev(df, ws)
    p0 = int(df["date"].searchsorted(pd.Timestamp("1999-01-04")))
    fit = _ols(df.iloc[p0 - 120:p0 - 10])                     # relative days -120..-11
    ev = df[(df["date"] >= "1999-01-04") & (df["date"] <= "1999-07-03")]
    xs = sm.add_constant(ev["mret"], has_constant="add").to_numpy()
    ar = ev["ret"].to_numpy() - xs @ fit.params.to_numpy()
    w = ev["cap_prev"].to_numpy()
    av = float(ar @ w)
    var = fit.scale * (w @ w) + w @ xs @ fit.cov_params().to_numpy() @ xs.T @ w
    p = account.impact["period"]
    assert (p.n_est, p.n_days) == (110, 126)
    assert (p.estimation_start, p.estimation_end) == (pd.Timestamp("1998-07-14"), pd.Timestamp("1998-12-16"))
    assert p.beta == pytest.approx(fit.params["mret"], rel=1e-10)
    assert p.abnormal_value == pytest.approx(av, rel=1e-10)
    assert p.abnormal_value_se == pytest.approx(math.sqrt(var), rel=1e-10)
    # the snapshot
    assert p.abnormal_value == pytest.approx(6_300_169.527630024, rel=1e-10)
    assert p.abnormal_value_se == pytest.approx(6_671_240.262775948, rel=1e-10)
    r = account.impact["roi_period"]
    c = total_cost(account)
    assert r.roi == pytest.approx((av - c) / c, rel=1e-10)
    assert r.roi_low == pytest.approx((av - Z90 * math.sqrt(var) - c) / c, rel=1e-9)
    assert r.roi_high == pytest.approx((av + Z90 * math.sqrt(var) - c) / c, rel=1e-9)
    assert r.distinguishable_from_zero is False
    assert r.verdict.endswith("not distinguishable from zero; the value created cannot be told apart from the cost "
                              "of the program.")


def test_activities_value_and_roi_snapshot(account, frames, ws):
    df = _returns(frames)
    df["cap_prev"] = _cap_prev(df, ws)
    per_day: dict[pd.Timestamp, list[tuple[float, float]]] = {}
    for act in ws.activities.itertuples():
        # day 0: the activity's date, or the next trading day when released after the close
        p0 = int(df["date"].searchsorted(act.date, side="right" if act.after_close else "left"))
        fit = _ols(df.iloc[p0 - 120:p0 - 10].dropna())
        win = df.iloc[p0 - 1:p0 + 2]                           # event window (-1, 1)
        xs = sm.add_constant(win["mret"], has_constant="add").to_numpy()
        ar = win["ret"].to_numpy() - xs @ fit.params.to_numpy()
        car_var = 3 * fit.scale + np.ones(3) @ xs @ fit.cov_params().to_numpy() @ xs.T @ np.ones(3)
        for d, a, cap in zip(win["date"], ar, win["cap_prev"]):
            per_day.setdefault(d, []).append((a, cap ** 2 * car_var / 3))
    # overlapping windows: each date once, mean AR and mean per-day variance of the covering events
    av = sum(np.mean([a for a, _ in v]) * df.loc[df["date"] == d, "cap_prev"].iloc[0]
             for d, v in per_day.items())
    se = math.sqrt(sum(np.mean([s for _, s in v]) for v in per_day.values()))
    t = account.impact["total"].iloc[0]
    assert (t["n_events"], t["n_days"], t["overlap_days"]) == (35, len(per_day), 13)
    assert len(per_day) == 92
    assert t["abnormal_value"] == pytest.approx(av, rel=1e-9)
    assert t["abnormal_value_se"] == pytest.approx(se, rel=1e-9)
    # the snapshot
    assert t["abnormal_value"] == pytest.approx(318_999.5389149883, rel=1e-9)
    assert t["abnormal_value_se"] == pytest.approx(3_975_217.9688756503, rel=1e-9)
    r = account.impact["roi_activities"]
    c = total_cost(account)
    assert r.roi == pytest.approx((av - c) / c, rel=1e-9)
    assert r.roi_low == pytest.approx((av - Z90 * se - c) / c, rel=1e-9)
    assert r.roi_high == pytest.approx((av + Z90 * se - c) / c, rel=1e-9)
    assert r.distinguishable_from_zero is False
    assert r.verdict.endswith("not distinguishable from zero; the value created cannot be told apart from the cost "
                              "of the program.")
    assert any("treated as independent" in n for n in account.notes)
