"""Confounding events: analytics.confounders (pure), store.corporate_events, the load-events job and its CSV."""
from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from analytics.confounders import (
    CONFOUNDER_KINDS, DEFAULT_CONFOUNDER_WINDOW, confounded_sentence, confounding_pairs, envelope_window,
    flag_confounded, split_confounded,
)
from analytics.event_study import event_study
from ingest import jobs
from ingest.__main__ import main
from ingest.events import event_kind_code, load_events, parse_events_csv
from ingest.providers import CsvFormatError
from store import confounding_events, read_corporate_events, upsert_corporate_events

# January 1999 without Monday 18th (Martin Luther King Day): the stock's own trading days, by row.
#   row:  0    1    2    3    4    5     6     7     8     9     10    11    12    13
#   day:  4    5    6    7    8    11    12    13    14    15    19    20    21    22
CAL = pd.bdate_range("1999-01-04", "1999-01-22").drop(pd.Timestamp("1999-01-18"))


def T(text):
    return pd.Timestamp(text)


# (name, activity date, activity after_close, event date, event after_close, window, expected offset or None)
PLACEMENT = [
    ("same day", "1999-01-06", False, "1999-01-06", False, (-1, 5), 0),
    # activity Wed 6th = row 2; window rows 1..7 = 5th..13th; 13th is row 7: offset 7 - 2 = 5, the last day
    ("last day of the window", "1999-01-06", False, "1999-01-13", False, (-1, 5), 5),
    ("one day past the window", "1999-01-06", False, "1999-01-14", False, (-1, 5), None),  # row 8: offset 6
    ("the day before", "1999-01-06", False, "1999-01-05", False, (-1, 5), -1),
    ("two days before", "1999-01-06", False, "1999-01-04", False, (-1, 5), None),
    # activity on Saturday 9th: day 0 is Monday 11th (row 5); event Friday 8th is row 4: offset -1
    ("activity on a Saturday", "1999-01-09", False, "1999-01-08", False, (-1, 5), -1),
    # activity after Friday 8th's close: day 0 is Monday 11th too; event on 7th is row 3: offset -2
    ("activity after the close", "1999-01-08", True, "1999-01-07", False, (-1, 5), None),
    ("activity after the close, event that day", "1999-01-08", True, "1999-01-08", False, (-1, 5), -1),
    # event on the holiday (Monday 18th) reacts on Tuesday 19th = row 10; activity Monday 11th = row 5: 10 - 5 = 5
    ("event on a holiday", "1999-01-11", False, "1999-01-18", False, (-1, 5), 5),
    ("event on a holiday, other window", "1999-01-11", False, "1999-01-18", False, (-1, 1), None),
    # earnings after the close of Wednesday 13th react on Thursday 14th = row 8; activity row 2: offset 6
    ("event after the close", "1999-01-06", False, "1999-01-13", True, (-1, 5), None),
    ("event after the close, wider window", "1999-01-06", False, "1999-01-13", True, (0, 10), 6),
    # activity Monday 4th = row 0: window rows -1..5 clipped to 0..5; an event before the history is not placed
    ("event before the history", "1999-01-04", False, "1998-12-31", False, (-1, 5), None),
    ("activity after the history", "1999-01-25", False, "1999-01-22", False, (-5, 5), None),
    ("event after the history", "1999-01-21", False, "1999-01-25", False, (-1, 5), None),
    ("window before day 0 only", "1999-01-13", False, "1999-01-11", False, (-3, -1), -2),  # rows 7 and 5
]


UNKNOWN_TIME = [
    # event Wed 13th, time unknown: rows 7 (13th) and 8 (14th) both count
    # activity Fri 15th = row 9, window rows 8..13: the 14th (row 8) overlaps, offset 8 - 9 = -1
    ("the next day reaches the window", "1999-01-15", "1999-01-13", (-1, 5), -1),
    # activity Wed 6th = row 2, window rows 1..7: the 13th (row 7) is the first overlap, offset 5
    ("its own day is in the window", "1999-01-06", "1999-01-13", (-1, 5), 5),
    # activity Mon 18th is a holiday: day 0 = Tue 19th = row 10, window rows 9..15 (clipped to 13):
    # event Fri 15th spans rows 9 (15th) and 10 (19th): offset -1
    ("across a holiday", "1999-01-18", "1999-01-15", (-1, 5), -1),
    # activity Mon 11th = row 5, window rows 4..10; event Wed 6th spans rows 2..3: no overlap
    ("two days before the window", "1999-01-11", "1999-01-06", (-1, 5), None),
    # event on the last trading day: its next day is past the history, clipped (rows 13..13)
    ("the last trading day", "1999-01-22", "1999-01-22", (-1, 5), 0),
]


@pytest.mark.parametrize("name, a_date, e_date, window, offset", UNKNOWN_TIME, ids=[u[0] for u in UNKNOWN_TIME])
def test_event_of_unknown_time_counts_on_its_day_and_the_next(name, a_date, e_date, window, offset):
    activities = pd.DataFrame({"date": [T(a_date)]})
    for events in (pd.DataFrame({"date": [T(e_date)], "kind": ["earnings"]}),  # no after_close column
                   pd.DataFrame({"date": [T(e_date)], "kind": ["earnings"], "after_close": [None]})):
        assert confounding_pairs(activities, events, CAL, window)["offset"].tolist() == \
            ([] if offset is None else [offset])


@pytest.mark.parametrize("name, a_date, a_after, e_date, e_after, window, offset", PLACEMENT,
                         ids=[p[0] for p in PLACEMENT])
def test_event_is_placed_in_trading_days(name, a_date, a_after, e_date, e_after, window, offset):
    activities = pd.DataFrame({"activity_id": [7], "date": [T(a_date)], "after_close": [a_after]})
    events = pd.DataFrame({"date": [T(e_date)], "kind": ["earnings"], "title": ["Q4"], "after_close": [e_after]})
    pairs = confounding_pairs(activities, events, CAL, window)
    assert pairs["offset"].tolist() == ([] if offset is None else [offset])
    flagged = flag_confounded(activities, events, CAL, window)
    assert flagged["confounded"].tolist() == [offset is not None]


def test_flags_list_every_confounder_in_date_order():
    activities = pd.DataFrame({"activity_id": [1, 2, 3, 4], "type": ["press_release"] * 4,
                               "date": [T("1999-01-06"), T("1999-01-15"), T("1999-01-09"), T("1999-02-01")]},
                              index=[10, 11, 12, 13])
    events = pd.DataFrame({"date": [T("1999-01-13"), T("1999-01-07"), T("1999-01-20"), T("1999-01-12")],
                           "kind": ["dividend", "earnings", "news", "split"],
                           "title": ["dividend $0.01 a share", "Q4 1998 results", None, "reverse split 1:10"],
                           "after_close": [False, False, None, False]})
    flagged = flag_confounded(activities, events, CAL)  # default window (-1, 5)
    # 6th = row 2 -> rows 1..7 (5th..13th): 7th (row 3), 12th (row 6), 13th (row 7)
    # 15th = row 9 -> rows 8..13 (14th..22nd, clipped): 20th (row 11)
    # 9th (Sat) -> 11th = row 5 -> rows 4..10 (8th..19th): 12th, 13th; 1 Feb: after the history
    assert flagged.index.tolist() == [10, 11, 12, 13]
    assert flagged["n_confounders"].tolist() == [3, 1, 2, 0]
    assert flagged.loc[10, "confounder_kinds"] == ["earnings", "split", "dividend"]
    assert flagged.loc[10, "confounder_dates"] == [T("1999-01-07"), T("1999-01-12"), T("1999-01-13")]
    assert flagged.loc[11, "confounder_titles"] == [None]
    assert flagged.loc[10, "confounders"] == ("earnings release 1999-01-07 (Q4 1998 results); stock split 1999-01-12 "
                                              "(reverse split 1:10); dividend (ex-date) 1999-01-13 (dividend $0.01 a share)")
    assert flagged.loc[11, "confounders"] == "corporate news item 1999-01-20"
    assert flagged["day0"].tolist() == [T("1999-01-06"), T("1999-01-15"), T("1999-01-11"), pd.NaT]
    assert flagged["window_start"].tolist()[:3] == [T("1999-01-05"), T("1999-01-14"), T("1999-01-08")]
    assert flagged["window_end"].tolist()[:3] == [T("1999-01-13"), T("1999-01-22"), T("1999-01-19")]
    assert flagged["placed"].tolist() == [True, True, True, False]
    assert flagged.loc[13, "confounders"] == "" and flagged.loc[13, "confounder_kinds"] == []


def test_split_partitions_and_the_sentence():
    activities = pd.DataFrame({"activity_id": [1, 2, 3, 4], "date": [T("1999-01-06"), T("1999-01-15"),
                                                                     T("1999-01-21"), T("1999-02-01")]})
    events = pd.DataFrame({"date": [T("1999-01-07"), T("1999-01-20")], "kind": ["earnings", "dividend"],
                           "title": ["Q4", None]})
    split = split_confounded(flag_confounded(activities, events, CAL))
    # 6th: earnings on 7th (offset 1); 15th (row 9): dividend on 20th (row 11, offset 2); 21st (row 12): 20th is -1
    assert split.confounded["activity_id"].tolist() == [1, 2, 3]
    assert split.clean["activity_id"].tolist() == [] and split.unplaced["activity_id"].tolist() == [4]
    assert confounded_sentence(split) == (
        "3 of 3 activities had an earnings release or a dividend (ex-date) in their event window: their results "
        "are shown separately, because that news, not the IR work, may have moved the stock.")
    quiet = split_confounded(flag_confounded(activities, events.iloc[:0], CAL))
    assert len(quiet.clean) == 3 and len(quiet.confounded) == 0 and confounded_sentence(quiet) == ""
    one = split_confounded(flag_confounded(activities.iloc[[0, 1]], events.iloc[[0]], CAL))
    assert confounded_sentence(one).startswith("1 of 2 activities had an earnings release in their event window")


def test_same_day_zero_and_window_as_the_event_study():
    """Day 0 and the window ends agree with analytics.event_study's abnormal rows (rel_day 0, -1 and 5)."""
    days = pd.bdate_range("1998-09-01", "1999-03-31").drop([T("1998-11-26"), T("1998-12-25"), T("1999-01-18")])
    rng = np.random.default_rng(3)
    close = 0.05 * np.exp(np.cumsum(rng.normal(0, 0.02, len(days))))
    prices = pd.DataFrame({"ticker": "AXGI", "date": days, "close": close, "volume": 1000.0})
    market = pd.DataFrame({"date": days, "close": 100 * np.exp(np.cumsum(rng.normal(0, 0.01, len(days))))})
    activities = pd.DataFrame({"event_id": [1, 2, 3, 4], "ticker": "AXGI",
                               "date": [T("1999-01-09"), T("1999-01-15"), T("1998-12-24"), T("1999-01-18")],
                               "after_close": [False, True, True, False]})
    study = event_study(prices, activities, market, model="market_adjusted", event_windows=[(-1, 5)])
    ab = study.abnormal
    assert sorted(ab["event_id"].unique()) == [1, 2, 3, 4]
    flagged = flag_confounded(activities, pd.DataFrame({"date": [], "kind": []}), days, (-1, 5))
    for row in flagged.itertuples():
        mine = ab[ab["event_id"] == row.event_id].set_index("rel_day")["date"]
        assert (row.day0, row.window_start, row.window_end) == (mine[0], mine[-1], mine[5])


def test_unrelated_events_and_input_order_change_nothing():
    activities = pd.DataFrame({"activity_id": [1, 2], "date": [T("1999-01-06"), T("1999-01-15")]})
    events = pd.DataFrame({"date": [T("1999-01-07"), T("1999-01-20")], "kind": ["earnings", "news"],
                           "title": ["Q4", "CEO hired"]})
    base = flag_confounded(activities, events, CAL)
    far = pd.concat([events, pd.DataFrame({"date": [T("1998-06-01")], "kind": ["news"], "title": ["old"]})])
    pd.testing.assert_frame_equal(base, flag_confounded(activities, far.iloc[::-1], CAL))
    pd.testing.assert_frame_equal(base, flag_confounded(activities, events, list(CAL[::-1]) + list(CAL[:3])))


@pytest.mark.parametrize("windows, expected", [([(-1, 1), (0, 5)], (-1, 5)), ([(0, 0)], (0, 0)),
                                               ([(-10, -2), (3, 4)], (-10, 4))])
def test_envelope_window(windows, expected):
    assert envelope_window(windows) == expected


def test_default_window_is_the_envelope_of_the_default_event_windows():
    assert DEFAULT_CONFOUNDER_WINDOW == (-1, 5)


BAD_CALLS = [
    ("no trading days", dict(trading_days=[]), "no trading days given"),
    ("window backwards", dict(window=(3, -1)), "starts after it ends"),
    ("activities without dates", dict(activities=pd.DataFrame({"x": [1]})), "activities need column(s) date"),
    ("events without kind", dict(events=pd.DataFrame({"date": [T("1999-01-06")]})), "need column(s) kind"),
    ("empty activity date", dict(activities=pd.DataFrame({"date": [pd.NaT]})), "activities have empty dates"),
]


@pytest.mark.parametrize("name, override, message", BAD_CALLS, ids=[b[0] for b in BAD_CALLS])
def test_bad_arguments_say_what_is_wrong(name, override, message):
    kwargs = dict(activities=pd.DataFrame({"date": [T("1999-01-06")]}),
                  events=pd.DataFrame({"date": [T("1999-01-07")], "kind": ["earnings"]}), trading_days=CAL,
                  window=(-1, 5))
    kwargs.update(override)
    with pytest.raises(ValueError, match=re.escape(message)):
        flag_confounded(**kwargs)
    with pytest.raises(ValueError, match="result of flag_confounded"):
        split_confounded(pd.DataFrame({"date": []}))


def test_every_kind_has_a_label():
    assert set(CONFOUNDER_KINDS) == {"earnings", "news", "dividend", "split", "other"}


# ---- the store ------------------------------------------------------------------------------------
def events_frame(rows, source="csv:events.csv"):
    return pd.DataFrame([{"ticker": "axgi", "date": T(d), "kind": k, "title": t, "source": source}
                         for d, k, t in rows])


def test_upsert_counts_added_updated_unchanged(empty_store):
    empty_store.init()
    first = upsert_corporate_events(empty_store, events_frame([("1999-01-28", "earnings", "Q4"),
                                                               ("1999-02-10", "news", None)]))
    again = upsert_corporate_events(empty_store, events_frame([("1999-01-28", "earnings", "Q4"),
                                                               ("1999-02-10", "news", None)]))
    edited = upsert_corporate_events(empty_store, events_frame([("1999-01-28", "earnings", "Q4 1998 results"),
                                                                ("1999-02-10", "news", None),
                                                                ("1999-02-10", "earnings", "pre-announcement")]))
    assert (first.added, first.updated, first.unchanged) == (2, 0, 0)
    assert (again.added, again.updated, again.unchanged) == (0, 0, 2)
    assert (edited.added, edited.updated, edited.unchanged) == (1, 1, 1)
    stored = read_corporate_events(empty_store, "AXGI")
    assert stored[["date", "kind", "title"]].values.tolist() == [
        [T("1999-01-28"), "earnings", "Q4 1998 results"], [T("1999-02-10"), "earnings", "pre-announcement"],
        [T("1999-02-10"), "news", None]]
    assert (stored["ticker"] == "AXGI").all() and stored["ingested_at"].notna().all()


def test_replace_range_drops_a_moved_scheduled_date_only(empty_store):
    empty_store.init()
    upsert_corporate_events(empty_store, events_frame([("1998-10-29", "earnings", "Q3"), ("1999-01-28", "earnings", "Q4"),
                                                       ("1999-04-29", "earnings", "Q1 scheduled")], source="yfinance"))
    upsert_corporate_events(empty_store, events_frame([("1999-04-29", "news", "AGM")]))
    upsert_corporate_events(empty_store, events_frame([("1999-03-01", "earnings", "from a CSV")]))
    moved = events_frame([("1999-01-28", "earnings", "Q4"), ("1999-05-06", "earnings", "Q1 scheduled")],
                         source="yfinance")
    written = upsert_corporate_events(empty_store, moved, replace_range=(T("1999-01-28"), T("1999-05-06")),
                                      replace_kind="earnings", replace_source="yfinance")
    assert (written.added, written.updated, written.unchanged) == (1, 0, 1)
    stored = read_corporate_events(empty_store, "AXGI")
    # 1998-10-29 is outside the fetched range; the CSV's row and the news row are other sources/kinds
    assert stored[["date", "kind", "source"]].values.tolist() == [
        [T("1998-10-29"), "earnings", "yfinance"], [T("1999-01-28"), "earnings", "yfinance"],
        [T("1999-03-01"), "earnings", "csv:events.csv"], [T("1999-04-29"), "news", "csv:events.csv"],
        [T("1999-05-06"), "earnings", "yfinance"]]


def test_confounding_events_add_dividends_and_splits(empty_store):
    empty_store.init()
    upsert_corporate_events(empty_store, events_frame([("1999-01-28", "earnings", "Q4")]))
    empty_store.replace_dividends("AXGI", pd.DataFrame({"date": [T("1999-01-06")], "amount": [0.01]}))
    empty_store.replace_splits("AXGI", pd.DataFrame({"date": [T("1999-01-05"), T("1999-03-01")],
                                                     "ratio": [0.1, 2.0]}))
    empty_store.replace_dividends("OTHER", pd.DataFrame({"date": [T("1999-01-07")], "amount": [1.0]}))
    got = confounding_events(empty_store, "axgi")
    assert got[["date", "kind", "title", "source"]].values.tolist() == [
        [T("1999-01-05"), "split", "reverse split 1:10", "splits"],
        [T("1999-01-06"), "dividend", "dividend $0.01 a share", "dividends"],
        [T("1999-01-28"), "earnings", "Q4", "csv:events.csv"],
        [T("1999-03-01"), "split", "split 2:1", "splits"]]
    assert got["after_close"].tolist() == [False, False, pd.NA, False]  # an earnings time of day is not stored


# ---- the CSV import -------------------------------------------------------------------------------
def write(tmp_path, text, name="events.csv"):
    path = tmp_path / name
    path.write_text(text)
    return path


GOOD_EVENTS = ("date,kind,title\n1999-01-28,Earnings,Q4 1998 results\n1999-02-10,news,New CEO\n"
               "1999-02-10,earnings release,Pre-announcement\n1999-03-01,other,\n")


def test_good_events_csv_parses(tmp_path):
    frame = parse_events_csv(write(tmp_path, GOOD_EVENTS), "AXGI")
    assert frame[["date", "kind"]].values.tolist() == [[T("1999-01-28"), "earnings"], [T("1999-02-10"), "news"],
                                                       [T("1999-02-10"), "earnings"], [T("1999-03-01"), "other"]]
    assert frame["title"].tolist()[:3] == ["Q4 1998 results", "New CEO", "Pre-announcement"]
    assert pd.isna(frame["title"].iloc[3])  # an empty title is stored as NULL
    assert (frame["source"] == "csv:events.csv").all() and (frame["ticker"] == "AXGI").all()


@pytest.mark.parametrize("value, code", [("earnings", "earnings"), ("Earnings release", "earnings"),
                                         ("RESULTS", "earnings"), ("corporate news item", "news"), ("news", "news"),
                                         ("Other", "other"), ("dividend", None), ("roadshow", None), ("", None)])
def test_event_kind_by_code_or_label(value, code):
    assert event_kind_code(value) == code


BAD_EVENTS = [
    ("missing kind", "date,title\n1999-01-28,x\n", (1, "missing column(s) kind")),
    ("unknown kind", "date,kind\n1999-01-28,roadshow\n", (2, "kind 'roadshow' is unknown")),
    ("dividend kind", "date,kind\n1999-01-28,dividend\n", (2, "dividends and splits come with the bars")),
    ("bad date", "date,kind\nsoon,news\n", (2, "date 'soon' is not a date")),
    ("empty date", "date,kind\n,news\n", (2, "date is empty")),
    ("year 1", "date,kind\n0001-01-01,news\n", (2, "date 0001-01-01 is outside 1900-01-01..2100-12-31")),
    ("year 9999", "date,kind\n9999-12-31,news\n", (2, "date 9999-12-31 is outside 1900-01-01..2100-12-31")),
    ("long title", "date,kind,title\n1999-01-28,news," + "t" * 301 + "\n", (2, "title is 301 characters long")),
    ("same kind twice a day", "date,kind,title\n1999-01-28,news,a\n1999-01-28,News,b\n",
     (3, "a second news event on 1999-01-28 (line 2)")),
    ("control characters echoed", "date,kind\n1999-01-28,ne\x1bws\n", (2, "kind 'ne\\x1bws' is unknown")),
    ("empty file", "", (1, "the file is empty")),
    ("header only", "date,kind,title\n", (1, "no events after the header")),
    ("ragged row", "date,kind,title\n1999-01-28,news\n", (2, "expected 3 fields like the header, found 2")),
]


@pytest.mark.parametrize("name, text, expected", BAD_EVENTS, ids=[b[0] for b in BAD_EVENTS])
def test_bad_events_csv_is_rejected_by_line(tmp_path, name, text, expected):
    with pytest.raises(CsvFormatError) as info:
        parse_events_csv(write(tmp_path, text), "AXGI")
    assert (info.value.problems[0][0], expected[1] in info.value.problems[0][1]) == (expected[0], True)
    assert "corporate events rejected" in str(info.value) and "nothing was stored" in str(info.value)


def test_load_events_job_from_csv_is_idempotent_and_logged(empty_store, tmp_path):
    path = write(tmp_path, GOOD_EVENTS)
    first = load_events(empty_store, "axgi", path)
    again = load_events(empty_store, "AXGI", path)
    assert first.line().startswith("load-events AXGI: ok, 4 added, 0 updated, 0 unchanged, 0 rejected")
    assert (again.added, again.updated, again.unchanged) == (0, 0, 4)
    log = empty_store.ingest_log()
    assert log["job"].tolist()[:2] == ["load-events", "load-events"] and log["ticker"].tolist()[0] == "AXGI"
    with pytest.raises(CsvFormatError):
        load_events(empty_store, "AXGI", write(tmp_path, "date,kind\n9999-12-31,news\n", "bad.csv"))
    assert empty_store.ingest_log().loc[0, "status"] == "failed"
    assert len(read_corporate_events(empty_store, "AXGI")) == 4  # the rejected file wrote nothing


@pytest.mark.parametrize("path, error, message", [("folder", jobs.PathError, "is a folder, not a file"),
                                                  ("nope.csv", CsvFormatError, "file not found: check the path"),
                                                  ("e" * 300 + ".csv", jobs.PathError, "at most 255 bytes")])
def test_unusable_events_paths_get_a_message(empty_store, tmp_path, path, error, message):
    (tmp_path / "folder").mkdir()
    with pytest.raises(error, match=message):
        load_events(empty_store, "AXGI", tmp_path / path)


def test_load_events_cli(tmp_path, capsys):
    db = tmp_path / "w.duckdb"
    path = write(tmp_path, GOOD_EVENTS)
    assert main(["--db", str(db), "-q", "load-events", "AXGI", "--file", str(path)]) == jobs.EXIT_OK
    assert capsys.readouterr().out.startswith("load-events AXGI: ok, 4 added")
    assert main(["--db", str(db), "-q", "load-events", "AXGI", "--file", str(tmp_path / "nope.csv")]) \
        == jobs.EXIT_BAD_INPUT
    err = capsys.readouterr()
    assert "file not found" in err.err and "Traceback" not in err.err
    assert main(["--db", str(db), "-q", "load-events", "AX GI;", "--file", str(path)]) == jobs.EXIT_USAGE
    assert "is not a symbol" in capsys.readouterr().err


# ---- the demo workspace ---------------------------------------------------------------------------
def test_demo_has_simulated_earnings_and_the_year_end_release_is_confounded(demo_db):
    from store import Store
    store = Store(demo_db)
    events = confounding_events(store, "AXGI")
    assert len(events) == 6 and set(events["kind"]) == {"earnings"}
    assert events["title"].str.endswith("(simulated)").all() and set(events["source"]) == {"demo-simulated"}
    activities = store.activities("auxer")
    flagged = flag_confounded(activities, events, store.bars("AXGI")["date"])
    confounded = flagged[flagged["confounded"]]
    # 1999-03-01 (Monday) year-end results: the press release reporting them (after the close: day 0 is
    # 2 March, the release at offset -1) and the fax of Monday 22 February (1 March is its day +5).
    # 1999-05-17 (Monday) Q1 results: the press release reporting them (offset 0) and the broker mailing
    # of Tuesday 11 May (12, 13, 14, 17 May: offset +4).
    assert confounded["date"].tolist() == [T("1999-02-22"), T("1999-03-01"), T("1999-05-11"), T("1999-05-17")]
    assert confounded["title"].tolist()[1::2] == ["Auxer Group reports 1998 year-end results",
                                                  "Auxer Group reports first-quarter 1999 results"]
    assert confounded["confounders"].tolist() == (
        ["earnings release 1999-03-01 (1998 year-end results (simulated))"] * 2
        + ["earnings release 1999-05-17 (Q1 1999 results (simulated))"] * 2)
    assert len(flagged) - len(confounded) == len(activities) - 4
    assert read_corporate_events(store, "AXGI")["ingested_at"].eq(T("2000-01-03 18:00")).all()
