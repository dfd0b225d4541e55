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


# Day 0s (trading-day positions) of a campaign log for the widened-window merge, window (0, 5):
# A = 0, 5, 10, 15 (one chain, span 15); B = 50; C = 68; D = 90; E = 120; F = 142.
WIDE_POS = [0, 5, 10, 15, 50, 68, 90, 120, 142]
WIDE_DATES = pd.bdate_range("2024-01-01", periods=160)
WIDE_PRICES = pd.DataFrame({"ticker": "AAA", "date": WIDE_DATES, "close": 1.0, "volume": 1.0})
WIDE_EVENTS = pd.DataFrame({"event_id": range(1, 10), "ticker": "AAA", "date": WIDE_DATES[WIDE_POS]})


def _starts(camp):
    return [WIDE_DATES.get_loc(d) for d in camp["date"]]


def test_campaigns_are_merged_on_their_widened_windows_until_none_overlap():
    # Chains on (0, 5): A alone is a chain, the others are single (gaps 35, 18, 22, 30, 22 > 5).
    once = merge_campaigns(WIDE_EVENTS, WIDE_PRICES, window=(0, 5), widen=False)
    assert _starts(once) == [0, 50, 68, 90, 120, 142]
    # Studied on (0, 5 + S), S = 15: B at 50 covers [50, 70] and reaches C at 68 -- the
    # overlap the merge was meant to remove.
    # Pass 1, S = 15: merge when the next start is <= 5 + 15 = 20 later: B-C (18) only.
    # Pass 2, S = 18 (BC: 50..68): threshold 23: E-F (22) merge; A-BC 50, BC-D 40, D-E 30 no.
    # Pass 3, S = 22 (EF: 120..142): threshold 27: gaps 50, 40, 30 -> done.
    camp = merge_campaigns(WIDE_EVENTS, WIDE_PRICES, window=(0, 5))
    assert _starts(camp) == [0, 50, 90, 120]
    assert list(camp["activity_ids"]) == [[1, 2, 3, 4], [5, 6], [7], [8, 9]]
    assert list(camp["span_days"]) == [15, 18, 0, 22]
    # and the widened windows (0, 5 + 22) of the result are disjoint: [0, 27], [50, 77], ...
    from analytics.overlap import campaign_event_windows

    (w0, w1), = campaign_event_windows(camp, ((0, 5),))
    assert (w0, w1) == (0, 27)
    starts = _starts(camp)
    assert all(b + w0 > a + w1 for a, b in zip(starts[:-1], starts[1:]))


def test_widened_merge_covers_every_window_of_the_study():
    # windows (0, 5) and (0, 9): hull (0, 9).  Pass 1, S = 15: threshold 9 + 15 = 24:
    # B-C (18) and C-D (22) and E-F (22) merge -> BCD spans 40.  Pass 2, S = 40: threshold 49:
    # A-BCD 50, BCD-EF 70 -> done.
    camp = merge_campaigns(WIDE_EVENTS, WIDE_PRICES, window=(0, 5), windows=((0, 5), (0, 9)))
    assert list(camp["activity_ids"]) == [[1, 2, 3, 4], [5, 6, 7], [8, 9]]
    from analytics.overlap import campaigns_for_study

    studied, _ = campaigns_for_study(WIDE_EVENTS, WIDE_PRICES, (0, 5), windows=((0, 5), (0, 9)))
    assert list(studied["activity_ids"]) == ["1, 2, 3, 4", "5, 6, 7", "8, 9"]


def test_chains_stay_the_overlapping_activities_of_the_window():
    from analytics.overlap import overlap_chains

    chains = overlap_chains(WIDE_EVENTS, WIDE_PRICES, window=(0, 5))
    assert list(chains["activity_ids"]) == [[1, 2, 3, 4]]  # no widening for the overlap report
    assert chains["union_days"].iloc[0] == 15 + 6  # days 0..20
