"""analytics.services: inquiries, mailings, market makers and analysts, each figure against a hand computation
or an independent reference (scipy's quantile_test and binomial, statsmodels' proportion_confint and
test_poisson_2indep)."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from statsmodels.stats.proportion import proportion_confint
from statsmodels.stats.rates import test_poisson_2indep as poisson_2indep_reference

from analytics import services as sv
from analytics.amec import STAGES, AmecRow

T = pd.Timestamp


def inquiries(*rows) -> pd.DataFrame:
    """(received_at, answered_at or None) pairs as an inquiry log."""
    return pd.DataFrame({"inquiry_id": range(1, len(rows) + 1), "client_id": "c",
                         "received_at": pd.to_datetime([r[0] for r in rows], format="mixed"),
                         "answered_at": pd.to_datetime([r[1] for r in rows], format="mixed"),
                         "channel": "phone", "topic": "t", "answered_by": "x"})


# --- quantile intervals --------------------------------------------------------------------------------

def test_median_interval_of_ten_is_x2_to_x9_with_its_textbook_coverage():
    # n = 10, q = 0.5: F(1) = (1 + 10) / 1024 = 11/1024 = 0.0107 <= 0.025 < F(2) = 56/1024, so r = 2;
    # F(8) = 1 - 11/1024 = 1013/1024 = 0.9893 >= 0.975 > F(7) = 968/1024, so s = 9; coverage
    # F(8) - F(1) = 1002/1024 = 0.978515625 (Conover 1999, Table A3: n = 10 -> (x_(2), x_(9)), 97.9%).
    x = [7.0, 1.0, 9.0, 3.0, 5.0, 10.0, 2.0, 8.0, 4.0, 6.0]
    qi = sv.quantile_interval(x, 0.5, level=0.95)
    assert (qi.rank_low, qi.rank_high, qi.low, qi.high) == (2, 9, 2.0, 9.0)
    assert qi.coverage == pytest.approx(1002 / 1024, abs=1e-12)
    assert qi.estimate == 5.5


SCIPY_CASES = {  # name: (sample size, q, level)
    "median_n5_90": (5, 0.5, 0.90), "median_n23_90": (23, 0.5, 0.90), "median_n23_95": (23, 0.5, 0.95),
    "p90_n10_90": (10, 0.9, 0.90), "p90_n40_90": (40, 0.9, 0.90), "p90_n200_90": (200, 0.9, 0.90),
    "median_n1_90": (1, 0.5, 0.90),
}


@pytest.mark.parametrize("name", SCIPY_CASES)
def test_quantile_interval_matches_scipy_quantile_test(name):
    n, q, level = SCIPY_CASES[name]
    x = np.random.default_rng(n).exponential(2.0, n)
    qi = sv.quantile_interval(x, q, level)
    ref = stats.quantile_test(x, q=float(np.quantile(x, q)), p=q).confidence_interval(level)
    for mine, theirs in ((qi.low, ref.low), (qi.high, ref.high)):
        assert (math.isnan(mine) and math.isnan(theirs)) or mine == pytest.approx(theirs)
    assert qi.coverage >= level or math.isnan(qi.low) or math.isnan(qi.high)


def test_quantile_interval_refuses_a_quantile_outside_zero_one():
    with pytest.raises(ValueError, match="strictly between 0 and 1"):
        sv.quantile_interval([1, 2], 1.5)


# --- inquiries ------------------------------------------------------------------------------------------

THREE = inquiries(("1999-01-04 09:00", "1999-01-04 15:00"),   # 6 hours = 0.25 day
                  ("1999-01-05 10:00", "1999-01-07 10:00"),   # 2 days
                  ("1999-01-13 08:00", None))                 # open


def test_response_days_are_answered_minus_received_in_days():
    assert sv.response_days(THREE).tolist() == [0.25, 2.0]
    s = sv.response_time_summary(THREE)
    assert (s["answered"], s["open"]) == (2, 1)
    assert s["median"].estimate == pytest.approx((0.25 + 2.0) / 2)


def test_inquiries_by_week_counts_monday_weeks_and_keeps_empty_ones():
    # 1999-01-04 is a Monday: the first two fall in its week, the third in the week of 1999-01-11;
    # from 1998-12-28 (the week of the given start) to the week of 1999-01-18 there are 4 weeks.
    w = sv.inquiries_by_week(THREE, start="1998-12-30", end="1999-01-20")
    assert w["week"].tolist() == [T("1998-12-28"), T("1999-01-04"), T("1999-01-11"), T("1999-01-18")]
    assert w["received"].tolist() == [0, 2, 1, 0]
    assert w["answered"].tolist() == [0, 2, 0, 0]
    assert w["still_open"].tolist() == [0, 0, 1, 0]


def test_open_inquiries_older_than_n_days_are_flagged_at_the_period_end():
    log = inquiries(("1999-01-05 12:00", None),                 # open: 1999-01-12 00:00 - 01-05 12:00 = 6.5 days
                    ("1999-01-10 00:00", None),                 # open: 2 days
                    ("1999-01-06 00:00", "1999-01-20 00:00"),   # answered after the period: open at its end, 6 days
                    ("1999-01-06 00:00", "1999-01-07 00:00"))   # answered in time: not listed
    out = sv.open_inquiries(log, "1999-01-11", older_than_days=5)
    assert out["age_days"].tolist() == [6.5, 6.0, 2.0]
    assert out["flagged"].tolist() == [True, True, False]
    assert sv.open_inquiries(log, "1999-01-11", older_than_days=7)["flagged"].sum() == 0


# --- the Poisson rate ratio ---------------------------------------------------------------------------

RATE_CASES = {  # name: (count1, exposure1, count0, exposure0)
    "three_in_a_week_two_in_two_weeks": (3, 7, 2, 14),
    "ten_in_five_days": (10, 5, 20, 100),
    "none_in_the_window": (0, 7, 9, 60),
    "all_in_the_window": (4, 7, 0, 60),
}


@pytest.mark.parametrize("name", RATE_CASES)
def test_rate_ratio_interval_is_clopper_pearson_of_the_share_and_p_matches_statsmodels(name):
    x, t1, y, t0 = RATE_CASES[name]
    rr = sv.poisson_rate_ratio(x, t1, y, t0, level=0.90)
    # reference: statsmodels' Clopper-Pearson ("beta") interval of the window's share x / (x + y), mapped to
    # the ratio pi / (1 - pi) * t0 / t1; p-value: statsmodels' exact conditional test
    lo, hi = proportion_confint(x, x + y, alpha=0.10, method="beta")
    to_ratio = lambda p: math.inf if p >= 1 else p / (1 - p) * t0 / t1  # noqa: E731
    assert rr["low"] == pytest.approx(to_ratio(lo), abs=1e-10)
    assert rr["high"] == pytest.approx(to_ratio(hi), rel=1e-10) if math.isfinite(to_ratio(hi)) else rr["high"] == math.inf
    assert rr["p_value"] == pytest.approx(poisson_2indep_reference(x, t1, y, t0, method="exact-cond").pvalue)


def test_rate_ratio_by_hand():
    # (3 / 7) / (2 / 14) = 3. All-in-the-window, n = 2: pi_L = (0.05)^(1/2) = 0.223607 (Clopper-Pearson with
    # x = n), RR_L = 0.223607 / 0.776393 * 60 / 7 = 2.46860; no upper limit.
    assert sv.poisson_rate_ratio(3, 7, 2, 14)["ratio"] == pytest.approx(3.0)
    rr = sv.poisson_rate_ratio(2, 7, 0, 60, level=0.90)
    assert rr["low"] == pytest.approx(0.05 ** 0.5 / (1 - 0.05 ** 0.5) * 60 / 7, rel=1e-9)
    assert rr["high"] == math.inf and rr["ratio"] == math.inf


def test_activity_inquiries_against_the_baseline_by_hand():
    # span 1999-01-01..01-20 (20 days); windows of 3 days: 01-05..07 and 01-15..17, 6 days; baseline 14 days
    # with the inquiries of 01-10 and 01-12: 2 / 14 = 1/7 a day. First activity: 3 in 3 days, RR = 1 / (1/7) = 7,
    # lags from 01-05 00:00: 09:00 = 0.375, 01-06 00:00 = 1, 01-07 17:00 = 2 + 17/24 = 2.708 (median 1); second:
    # 1 in 3 days, RR = (1/3) / (1/7) = 7/3, lag 1. Pooled: 4 in 6 days, (4/6) / (1/7) = 14/3; the four lags
    # 0.375, 1, 2.708, 1 have median 1.
    log = inquiries(*[(d, None) for d in ("1999-01-05 09:00", "1999-01-06", "1999-01-07 17:00", "1999-01-10",
                                          "1999-01-12", "1999-01-16")])
    acts = pd.DataFrame({"activity_id": [1, 2], "date": [T("1999-01-05"), T("1999-01-15")],
                         "type": ["fax_mail_blast", "press_release"], "title": ["a", "b"]})
    per, pooled = sv.activity_inquiries(log, acts, window_days=3, start="1999-01-01", end="1999-01-20")
    assert per["inquiries"].tolist() == [3, 1]
    assert per["expected"].tolist() == pytest.approx([3 / 7, 3 / 7])
    assert per["rate_ratio"].tolist() == pytest.approx([7.0, 7 / 3])
    assert per["median_lag_days"].tolist() == [1.0, 1.0]
    assert (pooled["inquiries"], pooled["window_days"], pooled["baseline_inquiries"], pooled["baseline_days"]) == \
        (4, 6, 2, 14)
    assert pooled["ratio"] == pytest.approx(14 / 3)
    assert pooled["lag"].estimate == 1.0 and sorted(per["median_lag_days"]) == [1.0, 1.0]
    ref = sv.poisson_rate_ratio(4, 6, 2, 14)
    assert (pooled["low"], pooled["high"]) == (ref["low"], ref["high"])


def test_an_inquiry_goes_to_the_latest_activity_whose_window_holds_it():
    # activities on 01-05 and 01-06 (windows of 3 days overlap); the inquiry of 01-07 counts in both windows
    # but its lag is measured once, from 01-06: 1.5 days at 12:00 (not 2.5 from 01-05).
    log = inquiries(("1999-01-07 12:00", None), ("1999-01-15 12:00", None))
    acts = pd.DataFrame({"activity_id": [1, 2], "date": [T("1999-01-05"), T("1999-01-06")],
                         "type": ["press_release"] * 2, "title": ["a", "b"]})
    per, pooled = sv.activity_inquiries(log, acts, window_days=3, start="1999-01-01", end="1999-01-20")
    assert per["inquiries"].tolist() == [1, 1]
    assert per["median_lag_days"].isna().tolist() == [True, False]
    assert per["median_lag_days"].iloc[1] == 1.5
    assert pooled["inquiries"] == 1 and pooled["window_days"] == 4   # union of 05..07 and 06..08


# --- mailings ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("x,n", [(5, 10), (0, 25), (25, 25), (3, 120), (17, 1800)])
def test_wilson_interval_matches_statsmodels(x, n):
    lo, hi = sv.wilson_interval(x, n, level=0.90)
    ref = proportion_confint(x, n, alpha=0.10, method="wilson")
    assert (float(lo), float(hi)) == pytest.approx(ref, abs=1e-12)


def test_wilson_interval_by_hand():
    # 5 of 10 at 95%: z = 1.959964, z^2 = 3.841459, centre 0.5 (symmetric); half = z / (1 + z^2/10) *
    # sqrt(0.025 + z^2/400) = 1.959964 / 1.384146 * sqrt(0.025 + 0.0096036) = 1.416009 * 0.186020 = 0.263407
    # -> 0.236593 to 0.763407; 0 of 25 has a lower limit of exactly 0
    lo, hi = sv.wilson_interval(5, 10, level=0.95)
    assert (float(lo), float(hi)) == pytest.approx((0.236593, 0.763407), abs=1e-6)
    assert float(sv.wilson_interval(0, 25)[0]) == 0.0 and float(sv.wilson_interval(25, 25)[1]) == 1.0


MAILINGS = pd.DataFrame({
    "mailing_id": [1, 2, 3], "client_id": "c", "activity_id": [10, 11, 12],
    "date": [T("1999-01-12"), T("1999-02-22"), T("1999-01-19")],
    "kind": ["fax_mail_blast", "fax_mail_blast", "broker_dealer_mailing"],
    "list_name": ["fax list", "fax list", "brokers"],
    "recipients": [100, 300, 120], "calls": [3, 12, 0], "meetings": [1, 2, 0], "inquiries": [6, 6, 0],
    "cost": [500.0, 600.0, 540.0]})


def test_mailing_response_rate_and_cost_per_response_by_hand():
    per, kinds = sv.mailing_responses(MAILINGS, level=0.90)
    first = per.iloc[0]   # by date: the fax of 01-12
    # 3 calls + 1 meeting + 6 inquiries = 10 responses of 100 recipients: 10%; $500 / 10 = $50 a response;
    # the cost per response's interval is $500 / (100 x the rate's Wilson limits)
    lo, hi = proportion_confint(10, 100, alpha=0.10, method="wilson")
    assert (first["responses"], first["response_rate"], first["cost_per_response"]) == (10, 0.10, 50.0)
    assert (first["cpr_low"], first["cpr_high"]) == pytest.approx((500 / (100 * hi), 500 / (100 * lo)))
    # no response: no cost per response, its interval from $540 / (120 x upper limit) to unbounded
    broker = per[per["kind"] == "broker_dealer_mailing"].iloc[0]
    assert broker["responses"] == 0 and math.isnan(broker["cost_per_response"]) and broker["cpr_high"] == math.inf
    # fax kind pooled: (10 + 20) / (100 + 300) = 0.075, ($500 + $600) / 30 = $36.67
    fax = kinds.set_index("kind").loc["fax_mail_blast"]
    assert (fax["mailings"], fax["responses"], fax["recipients"]) == (2, 30, 400)
    assert fax["response_rate"] == pytest.approx(0.075)
    assert fax["cost_per_response"] == pytest.approx(1100 / 30)


def test_list_sizes_over_time():
    sizes = sv.list_sizes(MAILINGS)
    fax = sizes[sizes["list_name"] == "fax list"]
    assert fax["recipients"].tolist() == [100, 300]
    assert fax["change"].iloc[1] == 200 and math.isnan(fax["change"].iloc[0])


# --- market makers, analysts and the spread ----------------------------------------------------------

def test_coverage_steps_carry_each_count_forward():
    cov = pd.DataFrame({"date": [T("1999-01-04"), T("1999-01-21"), T("1999-02-17")],
                        "market_makers": [1, 2, None], "analysts": [0, None, 1]})
    steps = sv.coverage_steps(cov, end="1999-03-01")
    assert steps["market_makers"].tolist() == [1, 2, 2, 2]
    assert steps["analysts"].tolist() == [0, 0, 1, 1]
    assert sv.count_on(cov, "1999-02-01", "market_makers") == 2.0
    assert math.isnan(sv.count_on(cov, "1998-12-31", "analysts"))


def _two_regime_bars() -> tuple[pd.DataFrame, pd.DataFrame]:
    n = 60
    pos = np.arange(n)
    bars = pd.DataFrame({"date": pd.bdate_range("2020-01-01", periods=n),
                         "high": np.where(pos < 30, 1.01, 1.005), "low": np.where(pos < 30, 0.99, 0.995),
                         "close": 1.0, "volume": 1000.0})
    acts = pd.DataFrame({"activity_id": [1, 2], "date": [bars["date"][30], bars["date"][2]],
                         "type": ["market_maker_intro", "analyst_intro"], "title": ["mm", "too early"]})
    return bars, acts


def test_introduction_spread_change_by_hand():
    # Two regimes of constant range with the close inside: a pair of equal days gives S = 2 (H - L) / (H + L):
    # 2 x 0.02 / 2 = 0.02 before day 30, 2 x 0.01 / 2 = 0.01 from it; change -0.01 (one percentage point).
    # The split-date placebo (51 shifts of the two 5-day windows in 60 days): the pair straddling the change
    # (days 29, 30) estimates m = 0.005699; shifts 21..29 give -0.0036, -0.00608, -0.008575, -0.011075 (= (m +
    # 3 x 0.01) / 4 - 0.02), -0.01 (the actual), -0.006425, -0.003925, -0.001425, +0.001075, the others 0.
    # |d| >= 0.01 twice: p = 2/51. Interval: change - placebo quantiles; q95 = 0 (42 zeros) -> low -0.01;
    # q05 (position 2.5 of 51 sorted) = -0.008575 + 0.5 x (-0.006425 + 0.008575) = -0.0075 -> high -0.0025.
    bars, acts = _two_regime_bars()
    out = sv.introduction_spreads(bars, acts, window=5, level=0.90)
    mm = out[out["activity_id"] == 1].iloc[0]
    assert (mm["spread_before"], mm["spread_after"]) == pytest.approx((0.02, 0.01))
    assert mm["change"] == pytest.approx(-0.01)
    assert mm["p_value"] == pytest.approx(2 / 51)
    assert (mm["low"], mm["high"]) == pytest.approx((-0.01, -0.0025), abs=1e-6)
    early = out[out["activity_id"] == 2].iloc[0]
    assert math.isnan(early["change"]) and "fewer than 5 trading days" in early["note"]


def test_introduction_spread_reuses_liquidity_difference():
    from analytics.liquidity import liquidity_difference

    bars, acts = _two_regime_bars()
    out = sv.introduction_spreads(bars, acts.iloc[[0]], window=5)
    days = bars["date"]
    ref = liquidity_difference(bars, {"before": (days[25], days[29]), "after": (days[30], days[34])},
                               "before", "after")
    cs = ref[ref["measure"] == "cs_spread"].iloc[0]
    assert out["change"].iloc[0] == cs["difference"] and out["p_value"].iloc[0] == cs["p_value"]


# --- AMEC rows -------------------------------------------------------------------------------------

def test_services_amec_rows_figures_by_hand():
    log = inquiries(("1999-01-05", "1999-01-06"), ("1999-01-20", "1999-01-22"), ("1999-01-25", None),
                    ("1998-12-20", "1998-12-21"))  # the last is before the period
    cov = pd.DataFrame({"date": [T("1998-12-01"), T("1999-01-21")], "market_makers": [1, 2], "analysts": [0, 0]})
    bars, acts = _two_regime_bars()
    spreads = sv.introduction_spreads(bars, acts.iloc[[0]], window=5)
    rows = sv.services_amec_rows(log, MAILINGS, cov, spreads, start="1999-01-01", end="2020-12-31",
                                 simulated=True)
    assert all(isinstance(r, AmecRow) and r.stage in STAGES and r.simulated for r in rows)
    by = {r.measure: r for r in rows}
    sent = by["Mailings sent (broker/dealer packages, fax/mail blasts)"]
    assert sent.value == "3 mailings" and sent.change == "the log starts with the period: nothing to compare with"
    assert by["Recipients reached by the mailings"].value == "520 recipients"   # 100 + 300 + 120
    resp = by["Responses to the mailings"]
    assert resp.value.startswith("30 responses") and "5.77%" in resp.change    # 30 / 520 = 5.769%
    lo, hi = proportion_confint(30, 520, alpha=0.10, method="wilson")
    assert f"{100 * lo:.2f}%" in resp.uncertainty and f"{100 * hi:.2f}%" in resp.uncertainty
    assert by["Shareholder inquiries received"].value == "3 inquiries"
    # answered in 1 and 2 days: median 1.5
    assert by["Median response time to inquiries"].value == "1.5 days"
    mm = by["Market makers quoting the stock"]
    assert mm.value.startswith("2 at") and mm.change.startswith("+1 against 1")
    assert by["Quoted spread after market-maker and analyst introductions"].value.startswith("-1.00 percentage")


def test_inquiries_change_is_against_the_days_before_only_as_far_back_as_the_log():
    # period 1999-01-01..01-31, cut at the log's last inquiry (01-25): 25 days, 3 inquiries; the log starts
    # 1998-12-20, so the reference is 1998-12-20..12-31 (12 days, 1 inquiry), not the 25 days before:
    # (3 / 25) / (1 / 12) = 36/25 = 1.44; 3 / 25 = 0.12 a day against 1 / 12 = 0.08
    log = inquiries(("1999-01-05", "1999-01-06"), ("1999-01-20", "1999-01-22"), ("1999-01-25", None),
                    ("1998-12-20", "1998-12-21"))
    rows = sv.services_amec_rows(log, MAILINGS.iloc[0:0], pd.DataFrame(), None, start="1999-01-01",
                                 end="1999-01-31")
    row = next(r for r in rows if r.measure == "Shareholder inquiries received")
    assert row.change.startswith("1.44 times the rate of the 12 days before (0.12 a day against 0.08)")
    ref = sv.poisson_rate_ratio(3, 25, 1, 12)
    assert f"{ref['low']:.2f} to {ref['high']:.2f}" in row.uncertainty


def test_inquiries_change_counts_only_the_days_the_log_was_kept():
    # log 1998-12-20..1999-01-25; period 1999-01-01..1999-03-31 is cut at the last inquiry, 01-25: 25 days with
    # 3 inquiries against the 12 days before with 1: (3 / 25) / (1 / 12) = 1.44; a period after the log says so
    log = inquiries(("1999-01-05", None), ("1999-01-20", None), ("1999-01-25", None), ("1998-12-20", None))
    rows = sv.services_amec_rows(log, MAILINGS.iloc[0:0], pd.DataFrame(), None, start="1999-01-01",
                                 end="1999-03-31")
    row = next(r for r in rows if r.measure == "Shareholder inquiries received")
    assert row.change.startswith("1.44 times the rate of the 12 days before")
    later = sv.services_amec_rows(log, MAILINGS.iloc[0:0], pd.DataFrame(), None, start="1999-06-01", end="1999-06-30")
    row = next(r for r in later if r.measure == "Shareholder inquiries received")
    assert row.change == "the log ends on 1999-01-25, before the period: nothing recorded in it"
