"""Shares outstanding restated to each day's basis through the splits (issue 9 point 8)."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analytics.retainer import retainer_schedule
from analytics.roi import market_cap_series
from analytics.shares import shares_outstanding_daily

DAYS = pd.bdate_range("2021-03-01", periods=4)       # D0..D3
REVERSE = pd.DataFrame({"date": [DAYS[2]], "ratio": [0.1]})   # 1-for-10 reverse split on D2
OLD_REPORT = pd.DataFrame({"date": [DAYS[0]], "shares": [24_000_000.0]})  # before the split

# (name, shares, splits, basis, expected per day D0..D3)
CASES = [
    # F(D0) = F(D1) = 0.1, F(D2) = F(D3) = 1: day basis = 24e6 x F(r) / F(d)
    ("old report, day basis", OLD_REPORT, REVERSE, "day", [24e6, 24e6, 2.4e6, 2.4e6]),
    ("old report, latest basis", OLD_REPORT, REVERSE, "latest", [2.4e6] * 4),
    # a report dated on the split day is on the new basis (split effective from the open)
    ("report on split day", pd.DataFrame({"date": [DAYS[2]], "shares": [2.4e6]}), REVERSE, "day",
     [24e6, 24e6, 2.4e6, 2.4e6]),
    # a 2-for-1 split on D1, reports of 1e6 (D0) and 2.1e6 (D3): D1, D2 take 1e6 x 2
    ("forward split, two reports", pd.DataFrame({"date": [DAYS[0], DAYS[3]], "shares": [1e6, 2.1e6]}),
     pd.DataFrame({"date": [DAYS[1]], "ratio": [2.0]}), "day", [1e6, 2e6, 2e6, 2.1e6]),
    ("no splits", OLD_REPORT, None, "day", [24e6] * 4),
    # a number is on the latest basis: before the reverse split it counts 10x as many
    ("scalar", 2.4e6, REVERSE, "day", [24e6, 24e6, 2.4e6, 2.4e6]),
    ("unknown", None, REVERSE, "day", [np.nan] * 4),
]


@pytest.mark.parametrize("name,shares,splits,basis,expected", CASES, ids=[c[0] for c in CASES])
def test_shares_outstanding_daily(name, shares, splits, basis, expected):
    got = shares_outstanding_daily(shares, DAYS, splits, basis=basis)
    np.testing.assert_allclose(got.to_numpy(), expected, rtol=1e-12)
    assert got.index.equals(DAYS)


def test_market_cap_after_a_reverse_split_with_an_older_report_is_2_4m_not_24m():
    # quoted $1.00 on D2, D3 (no later split, so the adjusted close is the quoted one);
    # D0, D1 quoted $0.10 = $1.00 adjusted. Cap = 2.4M shares x $1.00 = $2.4M every day
    prices = pd.DataFrame({"date": DAYS, "close": [1.0, 1.0, 1.0, 1.0]})
    cap = market_cap_series(prices, OLD_REPORT, REVERSE)
    np.testing.assert_allclose(cap.to_numpy(), [2.4e6] * 4, rtol=1e-12)   # (was 24.0M after D2)


def test_retainer_dilution_uses_the_restated_share_count():
    # one $3,500 payment on D3 at the close $1.00 -> 3,500 shares on D3's basis;
    # shares outstanding on D3's basis = 24e6 x 0.1 = 2.4e6 -> dilution 3,500 / 2.4e6
    prices = pd.DataFrame({"date": pd.bdate_range("2021-02-01", periods=30), "close": 1.0})
    split = pd.DataFrame({"date": [prices["date"][20]], "ratio": [0.1]})
    report = pd.DataFrame({"date": [prices["date"][0]], "shares": [24_000_000.0]})
    eng = dict(start_date=prices["date"][25], end_date=None, retainer_amount=3500.0, minimum_months=1,
               retainer_price_rule="close_on_payment", retainer_price_days=None)
    s = retainer_schedule(eng, prices, report, splits=split, as_of=prices["date"].iloc[-1])
    row = s.iloc[0]
    assert row["shares_issued"] == pytest.approx(3500.0)
    assert row["shares_outstanding"] == pytest.approx(2.4e6)
    assert row["dilution"] == pytest.approx(3500.0 / 2.4e6, rel=1e-12)   # (was 3,500 / 24e6)


def test_negative_report_is_refused_with_the_date():
    bad = pd.DataFrame({"date": [DAYS[1]], "shares": [-5.0]})
    with pytest.raises(ValueError, match="2021-03-02"):
        shares_outstanding_daily(bad, DAYS)


def test_unknown_basis_is_refused():
    with pytest.raises(ValueError, match="basis"):
        shares_outstanding_daily(1e6, DAYS, basis="quoted")


def test_shares_for_study_restates_an_old_report_to_the_latest_basis_every_day():
    """A report of 24M shares, then a 1-for-10 reverse split: the event study's daily shares are 2.4M on
    every day, before and after the split (the volume it divides is on the latest basis too)."""
    from analytics.shares import shares_for_study

    reports = pd.DataFrame({"date": pd.to_datetime(["2024-01-02"]), "shares": [24e6]})
    splits = pd.DataFrame({"date": pd.to_datetime(["2024-01-04"]), "ratio": [0.1]})
    days = pd.to_datetime(["2024-01-02", "2024-01-03", "2024-01-04", "2024-01-05"])
    out = shares_for_study(reports, days, splits, "ACME")
    assert list(out["ticker"].unique()) == ["ACME"]
    assert out["date"].tolist() == list(days)
    assert np.allclose(out["shares"], 2.4e6)  # 24e6 x 0.1 on the latest basis, every day
    assert shares_for_study(reports.iloc[0:0], days, splits, "ACME") is None
