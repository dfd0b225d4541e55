"""Tests of analytics.volume: the measure, hand cases, a statsmodels reference, calibration."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy import stats

from analytics.constants import DEFAULT_SEED, LOG_TURNOVER_EPSILON
from analytics.volume import (
    MEASURE_LOG_TURNOVER,
    MEASURE_LOG_VOLUME,
    abnormal_log_volume,
    abnormal_volume,
    log_volume_measure,
)

EPS = LOG_TURNOVER_EPSILON


@pytest.mark.parametrize(
    "name, volume, shares, scale, expected, measure",
    [
        # 1,000 of 1,000,000 shares = 0.1% turnover: log(0.1 + 0.000255)
        ("percent_turnover", 1000.0, 1e6, 100.0, math.log(0.1 + EPS), MEASURE_LOG_TURNOVER),
        # the same as a fraction: log(0.001 + 0.000255)
        ("fraction_turnover", 1000.0, 1e6, 1.0, math.log(0.001 + EPS), MEASURE_LOG_TURNOVER),
        # zero volume stays finite: log(0.000255) = -8.274...
        ("zero_volume", 0.0, 1e6, 100.0, math.log(EPS), MEASURE_LOG_TURNOVER),
        # shares unknown: log(1000 + 1)
        ("no_shares", 1000.0, None, 100.0, math.log(1001.0), MEASURE_LOG_VOLUME),
        ("zero_volume_no_shares", 0.0, None, 100.0, 0.0, MEASURE_LOG_VOLUME),
        # non-positive shares outstanding are treated as unknown
        ("bad_shares", 1000.0, 0.0, 100.0, math.log(1001.0), MEASURE_LOG_VOLUME),
    ],
)
def test_log_volume_measure(name, volume, shares, scale, expected, measure):
    value, got_measure = log_volume_measure(np.array([volume]), shares, turnover_scale=scale)
    assert got_measure == measure
    assert value[0] == pytest.approx(expected, rel=1e-12, abs=1e-15)


def test_log_volume_measure_keeps_series_index_and_nan():
    s = pd.Series([1000.0, np.nan], index=pd.to_datetime(["2000-01-03", "2000-01-04"]))
    value, measure = log_volume_measure(s, 1e6)
    assert measure == MEASURE_LOG_TURNOVER
    assert value.index.equals(s.index) and np.isnan(value.iloc[1])


def _volume_for(v):
    """Volumes whose log(1 + volume) is exactly v."""
    return np.expm1(np.asarray(v, dtype=float))


def test_abnormal_log_volume_hand_case():
    # log volume v: estimation [1, 2, 3, 2], event [4, 3]
    # mean 2, deviations [-1, 0, 1, 0], sigma^2 = 2/3
    # AV = [2, 1], CAV = 3, Var(CAV) = 2/3 * (2 + 2^2/4) = 2, t = 3 / sqrt(2), dof = 3
    panel = _volume_for([[1, 2, 3, 2, 4, 3]])
    res = abnormal_log_volume(panel, [0, 1, 2, 3], [4, 5], min_estimation_obs=2)
    row = res.table.iloc[0]
    assert res.measure == MEASURE_LOG_VOLUME and row["measure"] == MEASURE_LOG_VOLUME
    assert row["mean_est"] == pytest.approx(2.0)
    assert row["sigma"] == pytest.approx(math.sqrt(2 / 3))
    assert row["cav"] == pytest.approx(3.0)
    assert row["cav_var"] == pytest.approx(2.0)
    assert row["cav_t"] == pytest.approx(3 / math.sqrt(2))
    assert row["dof"] == 3
    assert row["p_value"] == pytest.approx(2 * stats.t.sf(3 / math.sqrt(2), 3))
    np.testing.assert_allclose(res.abnormal[0], [-1, 0, 1, 0, 2, 1], atol=1e-12)
    assert row["note"] == ""


def test_abnormal_log_volume_matches_statsmodels_dummy_regression():
    # Independent reference: OLS of v on a constant plus one dummy per event day. Each dummy
    # absorbs its day, so the residuals are the estimation window's, and the t-test that the
    # dummies sum to zero is exactly the CAV t with L1 - 1 df.
    rng = np.random.default_rng(DEFAULT_SEED)
    l1, l2 = 60, 4
    v = rng.normal(7.0, 0.8, l1 + l2)
    v[10] = np.nan  # one missing estimation day
    res = abnormal_log_volume(_volume_for(v)[None, :], np.arange(l1), np.arange(l1, l1 + l2))
    keep = np.isfinite(v)
    x = np.zeros((l1 + l2, 1 + l2))
    x[:, 0] = 1.0
    x[np.arange(l1, l1 + l2), 1 + np.arange(l2)] = 1.0
    ols = sm.OLS(v[keep], x[keep]).fit()
    tt = ols.t_test(np.r_[0.0, np.ones(l2)])
    row = res.table.iloc[0]
    assert row["cav"] == pytest.approx(float(np.squeeze(tt.effect)), rel=1e-10)
    assert row["cav_t"] == pytest.approx(float(np.squeeze(tt.tvalue)), rel=1e-10)
    assert row["p_value"] == pytest.approx(float(np.squeeze(tt.pvalue)), rel=1e-8)
    assert row["dof"] == ols.df_resid == l1 - 2  # 59 observed estimation days, dof 58


def test_turnover_is_split_invariant():
    # a 2-for-1 split doubles volume and shares: turnover, and every result, is unchanged
    rng = np.random.default_rng(1)
    vol = rng.integers(0, 5000, (3, 50)).astype(float)
    shares = np.array([1e6, 2e6, 5e5])
    a = abnormal_log_volume(vol, np.arange(40), np.arange(40, 50), shares)
    b = abnormal_log_volume(2 * vol, np.arange(40), np.arange(40, 50), 2 * shares)
    assert a.measure == b.measure == MEASURE_LOG_TURNOVER
    pd.testing.assert_frame_equal(a.table, b.table, rtol=1e-12)


def test_missing_shares_fall_back_per_event_and_say_so():
    vol = np.full((2, 40), 100.0)
    vol[:, ::3] = 300.0
    shares = np.full((2, 40), 1e6)
    shares[1, 5] = np.nan  # event 1 lacks shares on an observed day -> log volume for it
    res = abnormal_log_volume(vol, np.arange(35), np.arange(35, 40), shares)
    assert res.measure == "mixed"
    assert list(res.table["measure"]) == [MEASURE_LOG_TURNOVER, MEASURE_LOG_VOLUME]
    assert abnormal_log_volume(vol, np.arange(35), np.arange(35, 40)).measure == MEASURE_LOG_VOLUME


def test_too_few_estimation_days_is_reported_not_dropped():
    vol = np.full((2, 40), np.nan)
    vol[0, :] = np.linspace(100, 500, 40)
    vol[1, 30:] = 100.0  # 5 estimation days only
    res = abnormal_log_volume(vol, np.arange(35), np.arange(35, 40))
    assert len(res.table) == 2
    assert res.table["note"].iloc[0] == ""
    assert "only 5 estimation days" in res.table["note"].iloc[1]
    assert np.isnan(res.table["cav_t"].iloc[1])


def test_vectorised_panel_equals_per_series_helper():
    rng = np.random.default_rng(2)
    dates = pd.bdate_range("1999-01-04", periods=80)
    shares = pd.Series([1e6, 1.5e6], index=pd.to_datetime(["1998-12-01", "1999-03-01"]))
    vol = pd.Series(rng.integers(0, 3000, 80).astype(float), index=dates)
    one = abnormal_volume(vol, (dates[0], dates[59]), (dates[60], dates[64]), shares)
    # the same by hand on the panel: shares as of each day is a step function
    sh = np.where(dates < pd.Timestamp("1999-03-01"), 1e6, 1.5e6)
    panel = abnormal_log_volume(vol.to_numpy()[None, :], np.arange(60), np.arange(60, 65), sh[None, :])
    assert one.attrs["measure"] == MEASURE_LOG_TURNOVER
    assert one.attrs["cav_t"] == pytest.approx(panel.table["cav_t"].iloc[0], rel=1e-12)
    np.testing.assert_allclose(one["abnormal"], panel.abnormal[0, 60:65], rtol=1e-12)
    assert list(one["date"]) == list(dates[60:65])
    np.testing.assert_allclose(one["t"], one["abnormal"] / one.attrs["sigma"])


def test_calibration_no_effect_rejects_about_5_percent():
    # 4,000 events, log volume iid normal, no event effect: cav_t is exactly t(L1 - 1), so the
    # 5% test rejects Binomial(4000, 0.05): mean 200, sd 13.8; band = 99.9% binomial interval.
    rng = np.random.default_rng(DEFAULT_SEED)
    n, l1, l2 = 4000, 100, 3
    panel = _volume_for(rng.normal(8.0, 1.0, (n, l1 + l2)))
    res = abnormal_log_volume(panel, np.arange(l1), np.arange(l1, l1 + l2))
    rejections = int((res.table["p_value"] < 0.05).sum())
    lo, hi = stats.binom.ppf([0.0005, 0.9995], n, 0.05)
    assert lo <= rejections <= hi, (rejections, lo, hi)


def test_detects_a_volume_spike():
    # five times normal volume on each event day is log(5) = 1.6 sigma per day above the mean:
    # E[cav_t] = 3 log(5) / sqrt(3 * 1.03) = 2.75, power of the 5% test about 0.78
    rng = np.random.default_rng(3)
    panel = np.exp(rng.normal(8.0, 1.0, (200, 103)))
    panel[:, 100:] *= 5
    res = abnormal_log_volume(panel, np.arange(100), np.arange(100, 103))
    assert (res.table["p_value"] < 0.05).mean() > 0.65
    assert res.table["cav"].mean() == pytest.approx(3 * math.log(5), rel=0.1)


# --- the plain-number change (issue 9 point 7) --------------------------------------------
from analytics.volume import volume_change, volume_change_sentence, volume_change_summary  # noqa: E402


def test_ratio_of_means_and_days_traded_hand_case():
    # estimation [0, 10, 0, 30] -> mean 10, traded 2/4; event [20, 40] -> mean 30, traded 2/2
    days = pd.bdate_range("2021-01-04", periods=6)
    vol = pd.Series([0.0, 10, 0, 30, 20, 40], index=days)
    ch = volume_change(vol, (days[0], days[3]), (days[4], days[5]), min_estimation_obs=2)
    assert ch.mean_est == 10.0 and ch.mean_event == 30.0 and ch.mean_ratio == 3.0
    assert ch.traded_share_est == 0.5 and ch.traded_share_event == 1.0
    assert ch.traded_share_change == 0.5
    assert ch.measure == MEASURE_LOG_VOLUME and ch.ratio_measure == "volume"
    # with shares outstanding the ratio is of mean turnover: shares 100 then 200 on the event
    # days -> turnover est mean 0.1, event [0.1, 0.2] mean 0.15, ratio 1.5
    so = pd.Series([100.0, 200.0], index=[days[0], days[4]])
    ch2 = volume_change(vol, (days[0], days[3]), (days[4], days[5]), so, min_estimation_obs=2)
    assert ch2.measure == MEASURE_LOG_TURNOVER and ch2.ratio_measure == "turnover"
    assert ch2.mean_ratio == pytest.approx(1.5, rel=1e-12)


def test_a_doubling_of_mean_volume_on_a_half_traded_stock_reads_2_times_not_100():
    """Issue 9: half the estimation days untraded, every event day traded at the same size."""
    rng = np.random.default_rng(DEFAULT_SEED)
    n_est, n_ev = 400, 200
    size = 10_000 * rng.lognormal(0.0, 0.1, n_est + n_ev)
    traded = np.r_[rng.random(n_est) < 0.5, np.ones(n_ev, dtype=bool)]
    days = pd.bdate_range("2015-01-01", periods=n_est + n_ev)
    vol = pd.Series(np.where(traded, size, 0.0), index=days)
    ch = volume_change(vol, (days[0], days[n_est - 1]), (days[n_est], days[-1]))
    true_ratio = 1.0 / traded[:n_est].mean()   # same size, every day instead of about half of them
    assert ch.mean_ratio == pytest.approx(true_ratio, rel=0.05)
    assert 1.8 < ch.mean_ratio < 2.2
    assert ch.traded_share_change == pytest.approx(1.0 - traded[:n_est].mean(), abs=1e-12)
    # the old reading, exp(mean abnormal log(1 + v)), says roughly sqrt(10,000) = 100 times
    old = math.exp(ch.cav / ch.n_event)
    assert old > 50
    text = volume_change_sentence(ch.mean_ratio, ch.traded_share_est, ch.traded_share_event,
                                  ch.measure, window="the event window")
    assert f"{ch.mean_ratio:,.1f} times" in text and "100% of days" in text
    assert "log volume (shares outstanding unknown)" in text and "log turnover" not in text


@pytest.mark.parametrize("measure,ratio_measure,expect", [
    (MEASURE_LOG_TURNOVER, "turnover", "mean daily turnover was 2.0 times"),
    (MEASURE_LOG_VOLUME, "volume", "mean daily volume was 2.0 times"),
])
def test_volume_change_sentence_names_the_measure(measure, ratio_measure, expect):
    text = volume_change_sentence(2.0, 0.5, 0.75, measure, ratio_measure=ratio_measure)
    assert expect in text.lower() and "+25 points" in text
    assert ("log turnover" in text) == (measure == MEASURE_LOG_TURNOVER)


def test_no_trade_in_the_estimation_window_says_so():
    text = volume_change_sentence(float("nan"), 0.0, 0.5, MEASURE_LOG_VOLUME)
    assert "cannot be compared" in text


def test_summary_over_events_from_the_panel():
    # two events: event 0 ratio 3 (as above), event 1 ratio 1 (same volume throughout)
    vol = np.array([[0.0, 10, 0, 30, 20, 40], [5.0, 5, 5, 5, 5, 5]])
    res = abnormal_log_volume(vol, [0, 1, 2, 3], [4, 5], min_estimation_obs=2)
    assert list(res.table["mean_ratio"]) == [3.0, 1.0]
    s = volume_change_summary(res.table)
    assert s["n"] == 2 and s["mean_ratio"] == 2.0 and s["measure"] == MEASURE_LOG_VOLUME


def test_turnover_ratio_restates_an_old_report_through_a_reverse_split():
    # volume (latest basis) 100 every day; reports of 1e7 shares on day 0 (pre-split basis) and
    # 1e6 on day 4, the day of a 1-for-10 reverse split: both are 1e6 on the latest basis, so
    # turnover is 1e-4 throughout and the ratio 1.0. Unrestated, the estimation days would use
    # 1e7 (turnover 1e-5) and the ratio would read 10.
    days = pd.bdate_range("2021-01-04", periods=6)
    vol = pd.Series(100.0, index=days)
    reports = pd.DataFrame({"date": [days[0], days[4]], "shares": [1e7, 1e6]})
    split = pd.DataFrame({"date": [days[4]], "ratio": [0.1]})
    ch = volume_change(vol, (days[0], days[3]), (days[4], days[5]), reports, min_estimation_obs=2,
                       splits=split)
    assert ch.mean_ratio == pytest.approx(1.0, rel=1e-12)
    raw = volume_change(vol, (days[0], days[3]), (days[4], days[5]), reports, min_estimation_obs=2)
    assert raw.mean_ratio == pytest.approx(10.0, rel=1e-12)   # the defect without the splits
