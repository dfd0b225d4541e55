"""The answer's volume and persistence sentences read the thin-stock-honest measures (issue 9 points 6 and 7)."""
from __future__ import annotations

import pandas as pd

from analytics.answer import abnormal_volume_sentence, persistence_sentence

# Two activities: mean volume 2x and 3x normal (median 2.5x); traded on 100% and 67% of days
# against 50% (median 83.5% -> "84%", +34 points); one with t above 1.65.
TWO_ACTIVITIES = pd.DataFrame({
    "abnormal_volume": [1.0, 2.0], "abnormal_volume_t": [2.0, 1.0], "mean_ratio": [2.0, 3.0],
    "traded_share_est": [0.5, 0.5], "traded_share_event": [1.0, 0.67],
    "measure": ["log_volume", "log_volume"], "ratio_measure": ["volume", "volume"]})


def test_volume_sentence_gives_the_ratio_of_means_and_days_traded_and_names_the_measure():
    text = abnormal_volume_sentence(TWO_ACTIVITIES, (-1, 1))
    assert "mean daily volume was 2.5 times its normal level" in text
    assert "traded on 84% of days against 50% normally (+34 points)" in text
    assert "log volume" in text and "log turnover" not in text
    assert "1 of the 2 activities had volume significantly above normal" in text


def test_volume_sentence_without_activities_is_absent():
    assert abnormal_volume_sentence(None, (-1, 1)) is None
    assert abnormal_volume_sentence(TWO_ACTIVITIES.iloc[0:0], (-1, 1)) is None


def test_persistence_sentence_calls_reversed_only_what_the_drift_test_rejects():
    # statuses as analytics.roi.persistence gives them: one significant reversal of a run-up,
    # one that lasted, one the data cannot tell
    pers = pd.DataFrame({"car": [0.05, 0.04, 0.03],
                         "status_60": ["reversed", "no significant reversal", "cannot tell"]})
    text = persistence_sentence(pers, 60)
    assert "1 significantly reversed" in text and "1 showed no significant reversal" in text
    assert "for 1 the data cannot tell" in text
    assert "looks like promotion rather than lasting value" in text
    lasting = pers.assign(status_60=["no significant reversal", "no significant reversal", "cannot tell"])
    assert "promotion" not in persistence_sentence(lasting, 60)
