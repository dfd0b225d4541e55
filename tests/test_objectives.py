"""Objectives scored against outcomes (analytics.objectives): intervals against statsmodels/scipy and the
Garwood table, each measure on a tiny named input with the arithmetic in a comment."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from statsmodels.stats.proportion import proportion_confint

from analytics import objectives as ob
from analytics.amec import STAGES

D = pd.Timestamp


@pytest.mark.parametrize("k,n", [(0, 10), (3, 5), (7, 40), (50, 50)])
def test_wilson_matches_statsmodels(k, n):
    assert ob.wilson_interval(k, n, 0.90) == pytest.approx(proportion_confint(k, n, alpha=0.10, method="wilson"))


# Garwood (1936) exact Poisson limits, as tabulated (e.g. Ulm 1990): k = 5 at 95%: 1.6235, 11.6683;
# k = 0 at 90%: upper = -ln(0.05) = 2.9957; k = 2 at 90%: 0.3554, 6.2958.
GARWOOD = {"five_95": (5, 0.95, 1.6235, 11.6683), "zero_90": (0, 0.90, 0.0, 2.9957),
           "two_90": (2, 0.90, 0.3554, 6.2958)}


@pytest.mark.parametrize("case", GARWOOD)
def test_poisson_interval_matches_the_garwood_table(case):
    k, level, lo, hi = GARWOOD[case]
    assert ob.poisson_interval(k, level) == pytest.approx((lo, hi), abs=1e-4)


def test_bootstrap_close_to_scipys_percentile_bootstrap():
    x = np.array([1.0, 4.0, 2.0, 8.0, 3.0, 5.0, 0.0, 6.0, 2.0, 9.0])
    ours = ob.bootstrap_interval(x, level=0.90, draws=20_000)
    ref = stats.bootstrap((x,), np.mean, confidence_level=0.90, method="percentile", n_resamples=20_000,
                          rng=np.random.default_rng(1)).confidence_interval
    assert ours == pytest.approx((ref.low, ref.high), abs=0.1)  # two Monte Carlo runs: within 0.1 of each other
    assert ob.bootstrap_interval([3.0, 3.0, 3.0]) == (3.0, 3.0)  # no variation, no width


# Five trading days at $0.50 with volumes 0, 100, 0, 200, 300: dollar volumes 0, 50, 0, 100, 150 -> mean $60;
# 3 of 5 days traded -> 60%; turnover with 1,000 shares outstanding: mean volume 120 / 1,000 = 12%.
FIVE_BARS = pd.DataFrame({"date": pd.bdate_range("2024-01-01", periods=5), "close": 0.5,
                          "volume": [0.0, 100.0, 0.0, 200.0, 300.0]})
INQUIRIES = pd.DataFrame({"received_at": pd.to_datetime(["2024-01-02 09:00", "2024-01-10 09:00", "2024-02-01 09:00",
                                                          "2024-02-02 09:00", "2024-02-20 09:00", "2024-03-01 09:00"]),
                          "answered_at": pd.to_datetime(["2024-01-02 11:00", "2024-01-10 13:00", "2024-02-02 09:00",
                                                         None, None, None])})
MAILINGS = pd.DataFrame({"date": pd.to_datetime(["2024-01-05", "2024-02-05"]), "recipients": [100, 100],
                         "calls": [5, 0], "meetings": [1, 0], "inquiries": [0, 4]})
COVERAGE = pd.DataFrame({"date": pd.to_datetime(["2024-01-01", "2024-02-15", "2024-04-01"]),
                         "market_makers": [2, 3, 4], "analysts": [0, 1, 1]})
DATA = ob.MeasureData(bars=FIVE_BARS, shares_outstanding=1_000.0, coverage=COVERAGE, inquiries=INQUIRIES,
                      mailings=MAILINGS)

MEASURE_CASES = {
    "avg_daily_dollar_volume": (60.0, True),
    "share_days_traded": (0.6, True),
    "turnover": (0.12, True),
    "market_makers": (3.0, False),        # the last record on or before 2024-03-01: 02-15, 3
    "analysts": (1.0, False),
    "inquiries_per_month": (6 / (61 / 30.4375), True),   # 6 inquiries in 61 days (01-01..03-01) = 2.004 months
    "median_response_hours": (4.0, True),  # answered after 2, 4 and 24 hours -> median 4
    "response_rate": (0.05, True),         # (5 + 1 + 4) responses / 200 recipients
}


@pytest.mark.parametrize("key", MEASURE_CASES)
def test_measures(key):
    value, has_interval = MEASURE_CASES[key]
    est = ob.measure(key, DATA, "2024-01-01", "2024-03-01")
    assert est.value == pytest.approx(value)
    assert bool(np.isfinite(est.low) and np.isfinite(est.high)) is has_interval
    if has_interval:
        assert est.low <= est.value <= est.high
    else:
        assert est.uncertainty.startswith("a count, no sampling interval")


def test_rate_interval_is_the_poisson_interval_over_the_months():
    est = ob.measure("inquiries_per_month", DATA, "2024-01-01", "2024-03-01")
    lo, hi = ob.poisson_interval(6, 0.90)
    months = 61 / 30.4375
    assert (est.low, est.high) == pytest.approx((lo / months, hi / months))
    assert "exact Poisson" in est.uncertainty


def test_share_interval_is_wilson():
    est = ob.measure("share_days_traded", DATA, "2024-01-01", "2024-03-01")
    assert (est.low, est.high) == pytest.approx(proportion_confint(3, 5, alpha=0.10, method="wilson"))


def test_unknown_measure_is_refused_in_words():
    with pytest.raises(ValueError, match="unknown measure 'likes'"):
        ob.measure("likes", DATA, "2024-01-01", "2024-03-01")


# Baseline 20 weekdays of 0 volume then 20 weekdays with 100 traded on 1 of every 2 days (engagement 2024-02-01):
BASE_BARS = pd.DataFrame({"date": pd.date_range("2024-01-02", "2024-02-29"), "close": 1.0})
BASE_BARS["volume"] = np.where(BASE_BARS["date"] < D("2024-02-01"), 0.0,
                               np.where(np.arange(len(BASE_BARS)) % 2 == 0, 100.0, 0.0))


def test_score_objectives_verdicts_baseline_and_set_date():
    data = ob.MeasureData(bars=BASE_BARS, shares_outstanding=1e4, coverage=COVERAGE)
    objectives = pd.DataFrame({
        "objective_id": [1, 2, 3, 4],
        "measure": ["share_days_traded", "share_days_traded", "share_days_traded", "market_makers"],
        "target": [0.10, 0.90, 0.50, 3.0], "direction": ["at_least", "at_least", "at_least", "at_least"],
        "set_date": pd.to_datetime(["2024-01-15", "2024-01-15", "2024-02-05", "2024-01-15"]),
        "due_date": pd.to_datetime([None, None, None, "2024-02-20"])})
    out = ob.score_objectives(objectives, data, "2024-02-01", "2024-02-29", first_activity="2024-02-01")
    # Feb 1..29 (29 days, every calendar day in this frame): days 0, 2, 4 ... of the frame traded; the frame
    # starts 01-02 (position 0), so Feb 1 is position 30 (traded), Feb 29 position 58 (traded): 15 of 29
    assert out.loc[0, "outcome"] == pytest.approx(15 / 29)
    assert out.loc[0, "baseline"] == 0.0  # the 29 days before Feb 1 (01-03..01-31) never traded
    assert out.loc[0, "change"] == pytest.approx(15 / 29)
    lo, hi = ob.wilson_interval(15, 29)
    assert (out.loc[0, "low"], out.loc[0, "high"]) == pytest.approx((lo, hi))  # 0.37 to 0.66 at 90%
    assert out["verdict"].tolist() == ["met", "not met", "cannot tell", "met"]  # 10% < 0.37; 90% > 0.66; 50% inside
    assert out["set_before_first_activity"].tolist() == [True, True, False, True]
    assert out.loc[3, "outcome"] == 3.0 and out.loc[3, "period_end"] == D("2024-02-20")


def test_objective_rows_are_amec_rows_with_their_uncertainty():
    data = ob.MeasureData(bars=BASE_BARS, shares_outstanding=1e4, coverage=COVERAGE)
    objectives = pd.DataFrame({"objective_id": [1], "measure": ["market_makers"], "target": [3.0],
                               "direction": ["at_least"], "set_date": [D("2024-01-15")], "due_date": [pd.NaT]})
    scored = ob.score_objectives(objectives, data, "2024-02-01", "2024-02-29", first_activity="2024-02-01")
    rows = ob.objective_rows(scored, "2024-02-01", simulated=True)
    assert [r.stage for r in rows] == ["objectives", "outcomes"] and all(r.stage in STAGES for r in rows)
    assert rows[0].value == "target at least 3" and "before the first activity (2024-02-01)" in rows[0].change
    # outcome 3 (02-15 record); baseline: the 29 days before, the 01-01 record says 2 -> +1
    assert rows[1].value.startswith("3 as of 2024-02-29: met")  # a count is read on a day, not over a period
    assert rows[1].change.startswith("+1 against the baseline 2 (2024-01-03 to 2024-01-31)")
    assert rows[1].uncertainty.startswith("a count, no sampling interval") and rows[1].simulated


def test_no_inquiry_log_cannot_tell_rather_than_zero():
    est = ob.measure("inquiries_per_month", ob.MeasureData(bars=FIVE_BARS), "2024-01-01", "2024-03-01")
    assert pd.isna(est.value) and "no inquiry log recorded" in est.uncertainty
    objectives = pd.DataFrame({"objective_id": [1], "measure": ["inquiries_per_month"], "target": [5.0],
                               "direction": ["at_least"], "set_date": [D("2023-12-01")], "due_date": [pd.NaT]})
    scored = ob.score_objectives(objectives, ob.MeasureData(bars=FIVE_BARS), "2024-01-01", "2024-03-01")
    assert scored["verdict"].tolist() == ["cannot tell"]


def test_audience_measures_are_outtakes():
    data = ob.MeasureData(bars=BASE_BARS, inquiries=INQUIRIES)
    objectives = pd.DataFrame({"objective_id": [1], "measure": ["inquiries_per_month"], "target": [1.0],
                               "direction": ["at_least"], "set_date": [D("2024-01-01")], "due_date": [pd.NaT]})
    rows = ob.objective_rows(ob.score_objectives(objectives, data, "2024-02-01", "2024-02-29"))
    assert [r.stage for r in rows] == ["objectives", "outtakes"]


# --- against the peers (issue 13 point 5) -----------------------------------------------------------
# 4 days. Client volume 10, 0, 20, 0 at $1 -> traded 2 of 4 = 50%, dollar volume mean 7.5.
# Peer A volume 5, 5, 0, 0 at $2 -> traded 50%, dollars mean (10+10)/4 = 5.0
# Peer B volume 1, 1, 1, 0 at $1 -> traded 75%, dollars mean 3/4 = 0.75
# Peer C volume 0, 0, 0, 4 at $1 -> traded 25%, dollars mean 1.0
# median peer share traded = 50% -> 50% - 50% = 0 points; median peer dollars = 1.0 -> 7.5 / 1.0 = 7.5x
PEER_DAYS = pd.to_datetime(["2024-01-02", "2024-01-03", "2024-01-04", "2024-01-05"])
CLIENT_BARS = pd.DataFrame({"date": PEER_DAYS, "close": 1.0, "volume": [10.0, 0, 20, 0]})
PEER_BARS = pd.concat([
    pd.DataFrame({"ticker": "A", "date": PEER_DAYS, "close": 2.0, "volume": [5.0, 5, 0, 0]}),
    pd.DataFrame({"ticker": "B", "date": PEER_DAYS, "close": 1.0, "volume": [1.0, 1, 1, 0]}),
    pd.DataFrame({"ticker": "C", "date": PEER_DAYS, "close": 1.0, "volume": [0.0, 0, 0, 4]}),
], ignore_index=True)


@pytest.mark.parametrize("key, expected, words", [
    ("days_traded_vs_peers", 0.0, "points (paired bootstrap of 4 days, 3 peers)"),
    ("dollar_volume_vs_peers", 7.5, "x (paired bootstrap of 4 days, 3 peers)"),
])
def test_measures_against_the_peers_median(key, expected, words):
    data = ob.MeasureData(bars=CLIENT_BARS, peer_bars=PEER_BARS)
    est = ob.measure(key, data, "2024-01-01", "2024-01-31")
    assert est.value == pytest.approx(expected)
    assert est.uncertainty.endswith(words)
    assert np.isfinite(est.low) and np.isfinite(est.high) and est.low <= est.high


def test_peer_bootstrap_resamples_the_same_days_for_client_and_peers():
    """Client = peer B's volumes exactly: every paired resample gives 0 points, so the interval is 0 to 0."""
    b = PEER_BARS[PEER_BARS["ticker"] == "B"][["date", "close", "volume"]]
    data = ob.MeasureData(bars=b, peer_bars=PEER_BARS[PEER_BARS["ticker"] == "B"])
    est = ob.measure("days_traded_vs_peers", data, "2024-01-01", "2024-01-31")
    assert (est.value, est.low, est.high) == (0.0, 0.0, 0.0)


def test_no_peers_cannot_tell():
    est = ob.measure("dollar_volume_vs_peers", ob.MeasureData(bars=CLIENT_BARS), "2024-01-01", "2024-01-31")
    assert np.isnan(est.value) and "no peers" in est.uncertainty
    assert ob.format_value("days_traded_vs_peers", 0.125) == "+12.5 points"
    assert ob.format_value("dollar_volume_vs_peers", 7.5) == "7.50x"
