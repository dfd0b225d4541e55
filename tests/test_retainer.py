"""Retainer paid in stock: schedule, both pricing rules on a hand-made series, dilution, value."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analytics.retainer import (
    payment_dates, price_for_payment, retainer_schedule, retainer_value_series,
    shares_outstanding_on,
)

# A sparse hand-made price series: only these are trading days. Feb 4 has no bar, so the
# February payment uses Feb 3's close under close_on_payment.
CLOSES = {
    "1998-12-29": 0.030, "1998-12-30": 0.032, "1998-12-31": 0.034,
    "1999-01-04": 0.040,
    "1999-02-01": 0.050, "1999-02-02": 0.0525, "1999-02-03": 0.055,
    "1999-03-01": 0.020, "1999-03-02": 0.025, "1999-03-03": 0.0275, "1999-03-04": 0.035,
}
PRICES = pd.DataFrame({"date": pd.to_datetime(list(CLOSES)), "close": list(CLOSES.values())})
ENGAGEMENT = dict(start_date="1999-01-04", end_date="1999-04-04", retainer_amount=3500.0,
                  retainer_frequency="monthly", minimum_months=3,
                  retainer_price_rule="close_on_payment", retainer_price_days=3)
PAYDAYS = pd.to_datetime(["1999-01-04", "1999-02-04", "1999-03-04"])

SCHEDULES = {
    # start, end, minimum, as_of -> payment dates
    "three_months": ("1999-01-04", "1999-04-04", 3, None, ["1999-01-04", "1999-02-04", "1999-03-04"]),
    "end_one_day_later": ("1999-01-04", "1999-04-05", 3, None,
                          ["1999-01-04", "1999-02-04", "1999-03-04", "1999-04-04"]),
    "minimum_beats_early_end": ("1999-01-04", "1999-01-20", 3, None,
                                ["1999-01-04", "1999-02-04", "1999-03-04"]),
    "open_ended_to_as_of": ("1999-01-04", None, 1, "1999-05-04",
                            ["1999-01-04", "1999-02-04", "1999-03-04", "1999-04-04", "1999-05-04"]),
    "month_end_start": ("1999-01-31", "1999-04-01", 0, None, ["1999-01-31", "1999-02-28", "1999-03-31"]),
}


@pytest.mark.parametrize("case", SCHEDULES)
def test_payment_dates(case):
    start, end, minimum, as_of, expected = SCHEDULES[case]
    got = payment_dates(start, end, minimum, as_of=as_of)
    assert list(got) == list(pd.to_datetime(expected))


def test_close_on_payment_rule_hand_values():
    s = retainer_schedule(ENGAGEMENT, PRICES, shares_outstanding=10_000_000)
    assert list(s["payment_date"]) == list(PAYDAYS)
    # Jan 4 close 0.040; Feb 4 has no bar -> Feb 3 close 0.055; Mar 4 close 0.035
    np.testing.assert_allclose(s["price"], [0.040, 0.055, 0.035], rtol=1e-15)
    # 3500 / 0.040 = 87,500; 3500 / 0.055 = 63,636.3636...; 3500 / 0.035 = 100,000
    np.testing.assert_allclose(s["shares_issued"], [87_500, 63_636.36363636364, 100_000], rtol=1e-12)
    np.testing.assert_allclose(s["cumulative_shares"], [87_500, 151_136.36363636364, 251_136.36363636364],
                               rtol=1e-12)
    # the lowest price issues the most shares
    assert s["shares_issued"].idxmax() == 2
    # 87,500 / 10,000,000 = 0.875%, cumulative 2.5113636...%
    np.testing.assert_allclose(s["dilution"], [0.00875, 0.006363636363636364, 0.01], rtol=1e-12)
    assert s["cumulative_dilution"].iloc[-1] == pytest.approx(0.025113636363636364, rel=1e-12)
    # close on payment: the value handed over is the dollar amount
    np.testing.assert_allclose(s["value_at_issue"], [3500.0] * 3, rtol=1e-12)
    # marked at the last close, 0.035: 87,500 x 0.035 = 3,062.50
    assert (s["mark_date"] == pd.Timestamp("1999-03-04")).all()
    assert s["value_marked"].iloc[0] == pytest.approx(3062.5, rel=1e-12)
    assert s["gain_since_issue"].iloc[0] == pytest.approx(-437.5, rel=1e-12)
    assert (s["status"] == "issued").all()


def test_avg_close_prior_n_rule_hand_values():
    s = retainer_schedule(dict(ENGAGEMENT, retainer_price_rule="avg_close_prior_n"), PRICES,
                          shares_outstanding=10_000_000)
    # Jan 4: mean(0.030, 0.032, 0.034) = 0.032 -> 3500 / 0.032 = 109,375
    # Feb 4: mean(0.050, 0.0525, 0.055) = 0.0525 -> 66,666.666...
    # Mar 4: mean(0.020, 0.025, 0.0275) = 0.0241666... -> 144,827.586...
    np.testing.assert_allclose(s["price"], [0.032, 0.0525, 0.0725 / 3], rtol=1e-14)
    np.testing.assert_allclose(s["shares_issued"], [109_375, 66_666.66666666667, 144_827.58620689655],
                               rtol=1e-12)
    assert list(s["price_window_start"]) == list(pd.to_datetime(["1998-12-29", "1999-02-01", "1999-03-01"]))
    assert list(s["price_window_end"]) == list(pd.to_datetime(["1998-12-31", "1999-02-03", "1999-03-03"]))
    # value at issue at the close on the day: 109,375 x 0.040 = 4,375;
    # 66,666.67 x 0.055 = 3,666.67; 144,827.59 x 0.035 = 5,068.97
    np.testing.assert_allclose(s["value_at_issue"], [4375.0, 3666.666666666667, 5068.965517241379],
                               rtol=1e-12)


def test_avg_rule_needs_n_days_of_history():
    price, first, last = price_for_payment(PRICES.set_index("date")["close"], "1998-12-31",
                                           "avg_close_prior_n", 3)
    assert np.isnan(price) and first is None


def test_scheduled_payments_after_as_of_have_no_shares():
    s = retainer_schedule(ENGAGEMENT, PRICES, shares_outstanding=10_000_000, as_of="1999-02-10")
    assert list(s["status"]) == ["issued", "issued", "scheduled"]
    assert np.isnan(s["shares_issued"].iloc[2]) and np.isnan(s["cumulative_shares"].iloc[2])
    # marked at Feb 3's close (last on or before Feb 10): 87,500 x 0.055 = 4,812.50
    assert s["value_marked"].iloc[0] == pytest.approx(4812.5, rel=1e-12)


def test_reverse_split_states_shares_on_the_payment_basis():
    # 1-for-10 reverse split effective 1999-03-01: Yahoo restates earlier closes x 10
    split = pd.DataFrame({"date": [pd.Timestamp("1999-03-01")], "ratio": [0.1]})
    adj = PRICES.assign(close=np.where(PRICES["date"] < "1999-03-01", PRICES["close"] * 10, PRICES["close"]))
    s = retainer_schedule(ENGAGEMENT, adj, shares_outstanding=10_000_000, splits=split)
    # quoted prices on the payment dates (Jan, Feb pre-split) are the unsplit ones
    np.testing.assert_allclose(s["price"], [0.040, 0.055, 0.035], rtol=1e-12)
    np.testing.assert_allclose(s["shares_issued"], [87_500, 63_636.36363636364, 100_000], rtol=1e-12)
    # on the latest basis the pre-split issues are a tenth: 8,750 + 6,363.63 + 100,000
    np.testing.assert_allclose(s["shares_issued_latest_basis"], [8_750, 6_363.636363636364, 100_000],
                               rtol=1e-12)
    assert s["cumulative_shares"].iloc[-1] == pytest.approx(115_113.63636363637, rel=1e-12)


def test_shares_outstanding_lookup():
    so = pd.DataFrame({"date": pd.to_datetime(["1999-01-15", "1999-03-01"]), "shares": [1e7, 2e7]})
    got = shares_outstanding_on(so, PAYDAYS)
    np.testing.assert_allclose(got, [1e7, 1e7, 2e7])  # before the first report: the first
    assert np.isnan(shares_outstanding_on(None, PAYDAYS)).all()


def test_retainer_value_series():
    s = retainer_schedule(ENGAGEMENT, PRICES, shares_outstanding=10_000_000)
    v = retainer_value_series(s, PRICES)
    assert v["date"].iloc[0] == pd.Timestamp("1999-01-04")
    # on Feb 3 the consultant holds the January shares only: 87,500 x 0.055
    feb3 = v.set_index("date").loc["1999-02-03"]
    assert feb3["shares_held"] == 87_500 and feb3["value"] == pytest.approx(4812.5)
    last = v.iloc[-1]
    assert last["shares_held"] == pytest.approx(251_136.36363636364)
    assert last["cost_at_issue"] == pytest.approx(10_500.0)
