"""Retainer paid in stock: schedule, both pricing rules on a hand-made series, dilution, value."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analytics.retainer import (
    payment_dates, price_for_payment, retainer_schedule, retainer_value_series, roll_to_trading_day,
    shares_outstanding_on,
)

# A sparse hand-made price series: only these are trading days. Feb 4 has no bar; the
# engagement states the "preceding" convention, so the February payment is made on Feb 3 (under
# the default "following" it would be Mar 1, the next day of this sparse calendar).
CLOSES = {
    "1998-12-29": 0.030, "1998-12-30": 0.032, "1998-12-31": 0.034,
    "1999-01-04": 0.040,
    "1999-02-01": 0.050, "1999-02-02": 0.0525, "1999-02-03": 0.055,
    "1999-03-01": 0.020, "1999-03-02": 0.025, "1999-03-03": 0.0275, "1999-03-04": 0.035,
}
PRICES = pd.DataFrame({"date": pd.to_datetime(list(CLOSES)), "close": list(CLOSES.values())})
ENGAGEMENT = dict(start_date="1999-01-04", end_date="1999-04-04", retainer_amount=3500.0,
                  retainer_frequency="monthly", minimum_months=3,
                  retainer_price_rule="close_on_payment", retainer_price_days=3,
                  retainer_payment_roll="preceding")
PAYDAYS = pd.to_datetime(["1999-01-04", "1999-02-04", "1999-03-04"])   # due dates
PAID = pd.to_datetime(["1999-01-04", "1999-02-03", "1999-03-04"])      # rolled to preceding

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
    assert list(s["due_date"]) == list(PAYDAYS)
    assert list(s["payment_date"]) == list(PAID) and (s["payment_roll"] == "preceding").all()
    # Jan 4 close 0.040; Feb 4 has no bar -> paid Feb 3, close 0.055; Mar 4 close 0.035
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
    # the 3 closes strictly before the payment date (Feb: paid Feb 3, the preceding trading day)
    # Jan 4: mean(0.030, 0.032, 0.034) = 0.032 -> 3500 / 0.032 = 109,375
    # Feb 3: mean(0.040, 0.050, 0.0525) = 0.0475 -> 73,684.2105...
    # Mar 4: mean(0.020, 0.025, 0.0275) = 0.0241666... -> 144,827.586...
    np.testing.assert_allclose(s["price"], [0.032, 0.1425 / 3, 0.0725 / 3], rtol=1e-14)
    np.testing.assert_allclose(s["shares_issued"], [109_375, 73_684.21052631579, 144_827.58620689655],
                               rtol=1e-12)
    assert list(s["price_window_start"]) == list(pd.to_datetime(["1998-12-29", "1999-01-04", "1999-03-01"]))
    assert list(s["price_window_end"]) == list(pd.to_datetime(["1998-12-31", "1999-02-02", "1999-03-03"]))
    # value at issue at the close on the day: 109,375 x 0.040 = 4,375;
    # 73,684.21 x 0.055 = 4,052.63; 144,827.59 x 0.035 = 5,068.97
    np.testing.assert_allclose(s["value_at_issue"], [4375.0, 4052.631578947368, 5068.965517241379],
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
    # on Feb 2 the consultant holds the January shares only: 87,500 x 0.0525 = 4,593.75;
    # the February payment (paid Feb 3) adds 63,636.36 shares on Feb 3
    feb = v.set_index("date")
    assert feb.loc["1999-02-02", "shares_held"] == 87_500
    assert feb.loc["1999-02-02", "value"] == pytest.approx(4593.75, rel=1e-12)
    assert feb.loc["1999-02-03", "shares_held"] == pytest.approx(151_136.36363636364, rel=1e-12)
    last = v.iloc[-1]
    assert last["shares_held"] == pytest.approx(251_136.36363636364)
    assert last["cost_at_issue"] == pytest.approx(10_500.0)


# --- payment-date convention on a weekend anniversary ---------------------------------------
# Due Sunday 1999-04-04; Friday 04-02 (Good Friday) and the weekend have no bar.
WEEKEND = {
    "1999-03-26": 0.030, "1999-03-29": 0.031, "1999-03-30": 0.032, "1999-03-31": 0.034,
    "1999-04-01": 0.036, "1999-04-05": 0.050, "1999-04-06": 0.052,
}
WEEKEND_PRICES = pd.DataFrame({"date": pd.to_datetime(list(WEEKEND)), "close": list(WEEKEND.values())})
WEEKEND_ENG = dict(start_date="1999-04-04", end_date="1999-05-01", retainer_amount=3500.0,
                   minimum_months=1, retainer_price_rule="close_on_payment", retainer_price_days=3)

ROLL_CASES = {
    # roll -> (payment date, close_on_payment price, avg of the 3 closes strictly before)
    # following: Mon 04-05, close 0.050; 3 closes before: 03-30, 03-31, 04-01 -> 0.102 / 3 = 0.034
    "following": ("1999-04-05", 0.050, 0.034),
    # preceding: Thu 04-01, close 0.036; 3 closes before: 03-29, 03-30, 03-31 -> 0.097 / 3
    "preceding": ("1999-04-01", 0.036, 0.097 / 3),
    # modified following: 04-05 stays in April -> as following
    "modified_following": ("1999-04-05", 0.050, 0.034),
}


@pytest.mark.parametrize("roll", ROLL_CASES)
def test_weekend_anniversary_under_each_roll(roll):
    day, close_price, avg_price = ROLL_CASES[roll]
    s = retainer_schedule(WEEKEND_ENG, WEEKEND_PRICES, shares_outstanding=1e7, payment_roll=roll)
    assert s["due_date"].iloc[0] == pd.Timestamp("1999-04-04")
    assert s["payment_date"].iloc[0] == pd.Timestamp(day) and s["payment_roll"].iloc[0] == roll
    assert s["price"].iloc[0] == pytest.approx(close_price, rel=1e-15)
    assert s["shares_issued"].iloc[0] == pytest.approx(3500.0 / close_price, rel=1e-15)
    assert s["value_at_issue"].iloc[0] == pytest.approx(3500.0, rel=1e-15)
    a = retainer_schedule(dict(WEEKEND_ENG, retainer_price_rule="avg_close_prior_n"), WEEKEND_PRICES,
                          shares_outstanding=1e7, payment_roll=roll)
    assert a["price"].iloc[0] == pytest.approx(avg_price, rel=1e-14)
    # the shares are valued at the close of the payment date: 3500 / avg x close
    assert a["value_at_issue"].iloc[0] == pytest.approx(3500.0 / avg_price * close_price, rel=1e-14)


def test_default_roll_is_following_and_the_engagement_may_state_another():
    default = retainer_schedule(WEEKEND_ENG, WEEKEND_PRICES)
    assert default["payment_date"].iloc[0] == pd.Timestamp("1999-04-05")
    assert default["payment_roll"].iloc[0] == "following"
    stated = retainer_schedule(dict(WEEKEND_ENG, retainer_payment_roll="preceding"), WEEKEND_PRICES)
    assert stated["payment_date"].iloc[0] == pd.Timestamp("1999-04-01")
    # an explicit argument wins over the engagement's field
    arg = retainer_schedule(dict(WEEKEND_ENG, retainer_payment_roll="preceding"), WEEKEND_PRICES,
                            payment_roll="following")
    assert arg["payment_date"].iloc[0] == pd.Timestamp("1999-04-05")


def test_following_past_the_last_price_is_scheduled():
    # prices stop on Thu 04-01: the next trading day after Sunday 04-04 is not known yet
    early = WEEKEND_PRICES[WEEKEND_PRICES["date"] <= "1999-04-01"]
    s = retainer_schedule(WEEKEND_ENG, early, as_of="1999-04-04")
    assert s["status"].iloc[0] == "scheduled" and np.isnan(s["shares_issued"].iloc[0])
    assert s["payment_date"].iloc[0] == pd.Timestamp("1999-04-04")  # dated on its due date
    p = retainer_schedule(WEEKEND_ENG, early, as_of="1999-04-04", payment_roll="preceding")
    assert p["status"].iloc[0] == "issued" and p["payment_date"].iloc[0] == pd.Timestamp("1999-04-01")


ROLL_TABLE = {
    # due, roll -> rolled (calendar: WEEKEND's days + 1999-04-30, 1999-05-03)
    "trading_day_kept": ("1999-03-31", "following", "1999-03-31"),
    "sunday_following": ("1999-04-04", "following", "1999-04-05"),
    "sunday_preceding": ("1999-04-04", "preceding", "1999-04-01"),
    "month_end_saturday_following": ("1999-05-01", "following", "1999-05-03"),
    "month_end_saturday_modified": ("1999-05-01", "modified_following", "1999-05-03"),
    "saturday_modified_back": ("1999-04-03", "modified_following", "1999-04-05"),
}


@pytest.mark.parametrize("case", ROLL_TABLE)
def test_roll_to_trading_day(case):
    due, roll, expected = ROLL_TABLE[case]
    cal = list(WEEKEND_PRICES["date"]) + list(pd.to_datetime(["1999-04-30", "1999-05-03"]))
    assert roll_to_trading_day([due], cal, roll)[0] == pd.Timestamp(expected)


def test_modified_following_stays_in_the_month():
    # due Saturday 1999-07-31; the next trading day is in August -> the preceding Friday
    cal = pd.to_datetime(["1999-07-29", "1999-07-30", "1999-08-02"])
    assert roll_to_trading_day(["1999-07-31"], cal, "modified_following")[0] == pd.Timestamp("1999-07-30")
    assert roll_to_trading_day(["1999-07-31"], cal, "following")[0] == pd.Timestamp("1999-08-02")
    with pytest.raises(ValueError):
        roll_to_trading_day(["1999-07-31"], cal, "nearest")


def test_demo_payment_dates_follow_the_demo_convention():
    import ingest.demo as demo
    ws = demo.build_demo_frames()
    bars = ws.bars[ws.bars["ticker"] == demo.TICKER]
    s = retainer_schedule(ws.engagements.iloc[0], bars[["date", "close"]])
    # the demo pays on the next trading day (1999-04-04 -> 04-05); the default roll agrees
    assert list(s["payment_date"]) == list(ws.retainer_payments["date"])
    assert s["due_date"].iloc[3] == pd.Timestamp("1999-04-04")
    np.testing.assert_allclose(s["price"], ws.retainer_payments["price"], rtol=1e-15)
