"""Plot helpers: what each draws, on tiny named frames."""
from __future__ import annotations

import pandas as pd
import pytest

from app import charts

STAKE = pd.DataFrame({
    "date": pd.to_datetime(["1999-01-04", "1999-01-05", "1999-01-06"]),
    "retainer_value": [3_500.0, 3_600.0, 7_200.0],
    "option_fair_value": [26_000.0, 30_000.0, 31_000.0],
    "company_cum_abnormal_value": [200_000.0, 1_800_000.0, 7_700_000.0],
})
NAMES = {"retainer_value": "retainer", "option_fair_value": "option", "company_cum_abnormal_value": "company"}


@pytest.mark.parametrize("columns, axes", [
    (NAMES, {"company": "y", "retainer": "y2", "option": "y2"}),
    ({"retainer_value": "retainer"}, {"retainer": "y"}),
    ({"company_cum_abnormal_value": "company"}, {"company": "y"}),
], ids=["company-over-consultant", "consultant-only", "company-only"])
def test_stake_chart_puts_company_and_consultant_on_their_own_scales(columns, axes):
    fig = charts.stake_chart(STAKE, columns, company="company_cum_abnormal_value", simulated=True)
    assert {t.name: t.yaxis for t in fig.data} == axes
    by_name = {t.name: list(t.y) for t in fig.data}
    for col, name in columns.items():
        assert by_name[name] == STAKE[col].tolist()
    assert any("SIMULATED" in a.text.upper() for a in fig.layout.annotations)


def test_stake_chart_without_data_says_so():
    fig = charts.stake_chart(STAKE.iloc[:0], NAMES, company="company_cum_abnormal_value")
    assert not fig.data and fig.layout.annotations[0].text == "Nothing to show."
