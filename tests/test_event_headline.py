"""The headline rule: which test a summary row reads, and the two situation checks."""
from __future__ import annotations

import pytest

from analytics.event_headline import (
    HEADLINE_TESTS,
    choose_headline_test,
    common_calendar_dates,
    same_stock_clustered,
)

RULES = {
    # name: (n_events, n_stocks, clustered, common_dates, thin, campaign_available, expected);
    # returns trade-to-trade unless the name says daily
    "one_event": (1, 1, False, False, True, True, "car_t"),
    "campaign": (10, 1, True, False, False, True, "campaign_t"),
    "campaign_thin": (10, 1, True, False, True, True, "campaign_t"),
    "campaign_unavailable": (10, 1, True, False, False, False, "bmp_overlap"),
    "clustered_two_stocks": (10, 2, True, True, False, True, "bmp_overlap"),
    "common_dates": (20, 20, False, True, False, False, "kolari_pynnonen"),
    "common_dates_thin": (20, 20, False, True, True, False, "grank"),
    "thin_independent": (20, 20, False, False, True, False, "grank"),
    "independent": (20, 20, False, False, False, False, "bmp"),
    "one_stock_far_apart": (3, 1, False, False, False, True, "bmp"),
    "thin_independent_daily": (20, 20, False, False, True, False, "bmp"),
    "common_dates_thin_daily": (20, 20, False, True, True, False, "kolari_pynnonen"),
}


@pytest.mark.parametrize("name", sorted(RULES))
def test_rule_table(name):
    n, k, clustered, common, thin, camp, expected = RULES[name]
    test, reason = choose_headline_test(n, k, clustered=clustered, common_dates=common, thin=thin,
                                        campaign_available=camp,
                                        trade_to_trade=not name.endswith("_daily"))
    assert test == expected and test in HEADLINE_TESTS
    assert reason
    if name.endswith("_daily"):
        assert "trade_to_trade" in reason


CLUSTER_CASES = {
    # estimation (-120, -11), window (-1, 1): j's window [c_j-1, c_j+1] touches i's span
    # [c_i-120, c_i+1] iff c_j - c_i in [-121, 2]
    "same_stock_121_apart": (["A", "A"], [200, 321], True),
    "same_stock_122_apart": (["A", "A"], [200, 322], False),
    "same_day": (["A", "A"], [200, 200], True),
    "different_stocks_same_day": (["A", "B"], [200, 200], False),
    "one_event": (["A"], [200], False),
}


@pytest.mark.parametrize("name", sorted(CLUSTER_CASES))
def test_same_stock_clustered(name):
    stock, pos, expected = CLUSTER_CASES[name]
    assert same_stock_clustered(stock, pos, (-1, 1), (-120, -11)) is expected


def test_another_type_in_the_estimation_window_counts():
    # the group is one event at 300; another (not in the group) studied event of the stock at 250
    # sits in its estimation window [180, 289]: clustered; on another stock it is not
    assert same_stock_clustered(["A"], [300], (-1, 1), (-120, -11),
                                all_stock=["A", "A"], all_day0=[300, 250], report_window=(-1, 5))
    assert not same_stock_clustered(["A"], [300], (-1, 1), (-120, -11),
                                    all_stock=["A", "B"], all_day0=[300, 250], report_window=(-1, 5))
    # interval of c_j - c_i: [e0 - r1, b - r0] = [-125, 2]. A later event at 420 does not
    # touch 300's span (its reaction cannot bias 300's CAR), but 300's report range
    # [299, 305] lies in 420's estimation window [300, 409]: the group {420} is clustered
    assert not same_stock_clustered(["A"], [300], (-1, 1), (-120, -11),
                                    all_stock=["A", "A"], all_day0=[300, 420], report_window=(-1, 5))
    assert same_stock_clustered(["A"], [420], (-1, 1), (-120, -11),
                                all_stock=["A", "A"], all_day0=[300, 420], report_window=(-1, 5))
    # 300's report range ends at 305 < 426 - 120 = 306, the start of 426's estimation window
    assert not same_stock_clustered(["A"], [426], (-1, 1), (-120, -11),
                                    all_stock=["A", "A"], all_day0=[300, 426], report_window=(-1, 5))


COMMON_CASES = {
    "same_day_two_stocks": (["A", "B"], [10, 10], [12, 12], True),
    "touching_by_one_day": (["A", "B"], [10, 12], [12, 14], True),
    "apart": (["A", "B"], [10, 13], [12, 15], False),
    "same_stock_only": (["A", "A"], [10, 10], [12, 12], False),
}


@pytest.mark.parametrize("name", sorted(COMMON_CASES))
def test_common_calendar_dates(name):
    stock, lo, hi, expected = COMMON_CASES[name]
    assert common_calendar_dates(stock, lo, hi) is expected


# ---------------------------------------------------------------------------------------
# Size warnings: the tests shown beside the headline that over-reject in this situation
# ---------------------------------------------------------------------------------------
WARN_CASES = {
    # name: (n_events, n_stocks, clustered, common_dates, thin, trade_to_trade, headline,
    #        must warn, must not warn) -- sizes from the README's calibration table
    "one stock, clustered: t 26%, GRANK 21%; the overlap tests hold": (
        10, 1, True, False, False, True, "campaign_t",
        {"csect_t", "bmp", "grank", "wilcoxon", "corrado_rank"},
        {"campaign_t", "bmp_overlap", "kolari_pynnonen"}),
    "common dates: BMP 45%, KP holds (the headline)": (
        20, 20, False, True, False, True, "kolari_pynnonen",
        {"bmp", "csect_t", "bmp_overlap", "generalized_sign"}, {"kolari_pynnonen", "grank"}),
    "thin, daily returns: GRANK 10% at most with its block form on (0, 5)": (
        20, 20, False, False, True, False, "bmp", {"patell"}, {"grank", "bmp", "csect_t"}),
    "thin, trade-to-trade: GRANK is the headline, no warning on it": (
        20, 20, False, False, True, True, "grank", {"patell"}, {"grank", "bmp"}),
    "independent liquid events: Patell under event-induced variance (16%) only": (
        20, 20, False, False, False, True, "bmp", {"patell", "patell_overlap"},
        {"bmp", "csect_t", "grank", "wilcoxon"}),
    "five events: GRANK 8.7% at most": (5, 5, False, False, False, True, "bmp", {"patell"},
                                          {"grank", "bmp"}),
}


@pytest.mark.parametrize("name", list(WARN_CASES))
def test_size_warnings_by_situation(name):
    from analytics.event_headline import size_warnings

    n, k, clustered, common, thin, t2t, headline, warn, quiet = WARN_CASES[name]
    out = size_warnings(n, k, clustered=clustered, common_dates=common, thin=thin,
                        trade_to_trade=t2t, headline=headline)
    assert warn <= set(out), (name, sorted(out))
    assert not (quiet & set(out)), (name, sorted(out))
    for text in out.values():
        assert "at 5% with no effect on simulated data" in text and "not a verdict" in text


def test_every_measured_warning_passes_ten_percent_somewhere():
    from analytics.event_headline import MEASURED_OVER_REJECTION, SIZE_WARN_LEVEL

    for situation, tests in MEASURED_OVER_REJECTION.items():
        for test, (lo, hi, case) in tests.items():
            assert 0 <= lo <= hi <= 1 and case, (situation, test)
            assert hi > SIZE_WARN_LEVEL, (situation, test, hi)


def test_the_summary_carries_a_size_warning_per_test():
    import bench.calibration as cal
    from analytics.event_study import event_study

    smp = cal.simulate(cal.CASES["d1"], 2, seed=6)  # one stock, 10 activities in 30 days
    summ = event_study(smp.prices, smp.events, smp.market).summary(by="rep")
    assert (summ["headline_test"] == "campaign_t").all()
    assert summ["bmp_size_warning"].str.contains("not a verdict").all()
    assert (summ["bmp_overlap_size_warning"] == "").all()
    assert summ["size_warning_tests"].str.contains("grank").all()
    assert not summ["size_warning_tests"].str.contains("campaign_t").any()
