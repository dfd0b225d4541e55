"""Overlapping event windows: pairs, chains, campaigns."""
from __future__ import annotations

import pandas as pd

from analytics.overlap import day0_positions, find_overlaps, merge_campaigns, overlap_groups

DATES = pd.bdate_range("2024-01-01", periods=40)
PRICES = pd.DataFrame({"ticker": "AAA", "date": DATES, "close": 1.0, "volume": 1.0})
OTHER = pd.DataFrame({"ticker": "BBB", "date": DATES, "close": 1.0, "volume": 1.0})
EVENTS = pd.DataFrame({
    "event_id": [1, 2, 3, 4, 5],
    "ticker": ["AAA", "AAA", "AAA", "AAA", "BBB"],
    "date": [DATES[5], DATES[8], DATES[12], DATES[30], DATES[6]],
    "type": ["press_release", "fax_mail_blast", "conference", "press_release", "press_release"],
})
BOTH = pd.concat([PRICES, OTHER])


def test_day0_positions_follow_the_engine_convention():
    ev = pd.DataFrame({"event_id": [1, 2, 3], "ticker": "AAA",
                       "date": [DATES[4] + pd.Timedelta(days=1), DATES[4], DATES[39] + pd.Timedelta(days=1)],
                       "after_close": [False, True, False]})
    pos = day0_positions(ev, PRICES)
    assert list(pos["day0_pos"]) == [5, 5, -1]  # Saturday -> Monday; after close -> next day


def test_find_overlaps_pairs_on_trading_days():
    pairs = find_overlaps(EVENTS, BOTH, window=(0, 5))
    # 1 (day 5) and 2 (day 8): gap 3 <= 5; 2 and 3 (day 12): gap 4; 1 and 3: gap 7 > 5
    assert sorted(zip(pairs["event_id"], pairs["other_event_id"])) == [(1, 2), (2, 3)]
    row = pairs[pairs["event_id"] == 1].iloc[0]
    assert row["gap"] == 3 and row["shared_days"] == 3
    # another ticker never overlaps
    assert not ((pairs["event_id"] == 5) | (pairs["other_event_id"] == 5)).any()
    assert find_overlaps(EVENTS, BOTH, window=(-1, 1)).empty


def test_groups_and_campaigns():
    g = overlap_groups(EVENTS, BOTH, window=(0, 5))
    assert g.loc[0, "overlap_group"] == g.loc[1, "overlap_group"] == g.loc[2, "overlap_group"]
    assert g.loc[3, "overlap_group"] != g.loc[0, "overlap_group"]
    assert list(g["n_in_group"]) == [3, 3, 3, 1, 1]
    camp = merge_campaigns(EVENTS, BOTH, window=(0, 5))
    assert len(camp) == 3
    first = camp[camp["ticker"] == "AAA"].iloc[0]
    assert first["activity_ids"] == [1, 2, 3] and first["n_activities"] == 3
    assert first["date"] == DATES[5] and first["end_date"] == DATES[12]
    assert first["span_days"] == 7
    assert first["types"] == "press_release,fax_mail_blast,conference"
    assert first["event_id"] == "campaign-1"


def test_overlap_chains_count_the_repeated_days_by_hand():
    from analytics.overlap import overlap_chains

    chains = overlap_chains(EVENTS, BOTH, window=(0, 5))
    assert len(chains) == 1  # the lone activities (4 on AAA, 5 on BBB) are no chain
    row = chains.iloc[0]
    assert row["chain"] == "campaign-1" and row["activity_ids"] == [1, 2, 3]
    # windows [5, 10], [8, 13], [12, 17]: union 5..17 = 13 days; 3 x 6 = 18 day-counts, 5 repeated
    assert row["union_days"] == 13 and row["repeated_days"] == 5
    assert (row["window_start"], row["window_end"]) == (0, 5)
    # the repeated day-counts are the shared days of the pairs here (no day in three windows)
    assert row["repeated_days"] == find_overlaps(EVENTS, BOTH, window=(0, 5))["shared_days"].sum()
    assert overlap_chains(EVENTS, BOTH, window=(-1, 1)).empty


def test_campaign_windows_cover_the_longest_campaign():
    from analytics.overlap import campaign_event_windows

    camp = merge_campaigns(EVENTS, BOTH, window=(0, 5))
    assert campaign_event_windows(camp, ((-1, 1), (0, 5))) == ((-1, 8), (0, 12))  # longest span 7
    assert campaign_event_windows(camp.iloc[:0], ((-1, 1),)) == ((-1, 1),)


def test_campaigns_for_study_types_and_left_out_activities():
    from analytics.overlap import MIXED_TYPES, campaigns_for_study

    late = pd.DataFrame({"event_id": [9], "ticker": ["AAA"], "date": [DATES[39] + pd.Timedelta(days=3)],
                         "type": ["conference"]})
    camp, left_out = campaigns_for_study(pd.concat([EVENTS, late], ignore_index=True), BOTH, window=(0, 5))
    assert list(camp["type"]) == [MIXED_TYPES, "press_release", "press_release"]
    assert camp["activity_ids"].iloc[0] == "1, 2, 3"
    assert list(left_out["event_id"]) == [9]
