"""Activity-log CSV: codes or labels, dates, reach/cost >= 0; rejected whole with line numbers."""
from __future__ import annotations

import pandas as pd
import pytest

from analytics.constants import ACTIVITY_TYPES
from ingest import jobs
from ingest.activities import (
    FIELD_LIMITS, activity_type_code, display_name, merge_activities, parse_activities_csv, validate_activities,
)
from ingest.providers import CsvFormatError
from store import StoreError

GOOD = ("date,end_date,type,title,channel,reach,cost,after_close,notes,link\n"
        "1999-01-11,,press_release,Auxer signs PMR,BusinessWire,\"1,500\",$250,yes,,https://x.test/pr\n"
        "1999-02-03,1999-02-05,Conference,OTC forum,in person,120,1200.50,no,booth,\n"
        "1999-01-20,,B,Broker mailing,mail,300,,,,\n")


def write(tmp_path, text, name="log.csv"):
    path = tmp_path / name
    path.write_text(text)
    return path


@pytest.mark.parametrize("value, code", [("press_release", "press_release"), ("Press release", "press_release"),
                                         ("PRESS RELEASE", "press_release"), ("G", "press_release"),
                                         ("fax/mail blast", "fax_mail_blast"), ("other", "other"),
                                         ("roadshow", None), ("", None)])
def test_type_by_code_label_or_letter(value, code):
    assert activity_type_code(value) == code


def test_every_type_label_round_trips():
    for code, (label, _) in ACTIVITY_TYPES.items():
        assert activity_type_code(label) == code


def test_good_log_parses(tmp_path):
    frame = parse_activities_csv(write(tmp_path, GOOD), client_id="auxer")
    assert frame["type"].tolist() == ["press_release", "conference", "broker_dealer_mailing"]
    assert frame["reach"].tolist() == [1500, 120, 300]
    assert frame["cost"].tolist()[:2] == [250.0, 1200.5] and pd.isna(frame["cost"].iloc[2])
    assert frame["after_close"].tolist() == [True, False, False]
    assert frame["end_date"].iloc[1] == pd.Timestamp("1999-02-05") and pd.isna(frame["end_date"].iloc[0])
    assert (frame["client_id"] == "auxer").all()
    assert frame.loc[0, "link"] == "https://x.test/pr" and pd.isna(frame.loc[0, "notes"])


BAD = [
    ("missing type column", "date,title\n1999-01-11,x\n", (1, "missing column(s) type")),
    ("unknown type", "date,type\n1999-01-11,roadshow\n", (2, "type 'roadshow' is unknown")),
    ("bad date", "date,type\nsoon,other\n", (2, "date 'soon' is not a date")),
    ("empty date", "date,type\n,other\n", (2, "date is empty")),
    ("end before start", "date,end_date,type\n1999-01-11,1999-01-10,other\n", (2, "end_date 1999-01-10 is before")),
    ("negative reach", "date,type,reach\n1999-01-11,other,-3\n", (2, "reach -3 is negative")),
    ("fractional reach", "date,type,reach\n1999-01-11,other,2.5\n", (2, "reach 2.5 is not a whole number")),
    ("negative cost", "date,type,cost\n1999-01-11,other,-10\n", (2, "cost -10 is negative")),
    ("text cost", "date,type,cost\n1999-01-11,other,free\n", (2, "cost 'free' is not a number")),
    ("bad after_close", "date,type,after_close\n1999-01-11,other,maybe\n", (2, "after_close 'maybe' must be yes/no")),
    ("other client", "client_id,date,type\nacme,1999-01-11,other\n", (2, "client 'acme' is not the client")),
    ("empty file", "", (1, "the file is empty")),
    ("header only", "date,type\n", (1, "no activities after the header")),
]


@pytest.mark.parametrize("name, text, expected", BAD, ids=[b[0] for b in BAD])
def test_bad_log_is_rejected_by_line(tmp_path, name, text, expected):
    with pytest.raises(CsvFormatError) as info:
        parse_activities_csv(write(tmp_path, text), client_id="auxer")
    assert info.value.problems[0][0] == expected[0]
    assert expected[1] in info.value.problems[0][1]
    assert "activity log rejected" in str(info.value)


def test_validate_activities_for_the_editor():
    frame = pd.DataFrame({"date": [pd.Timestamp("1999-01-11"), pd.NaT], "end_date": [pd.Timestamp("1999-01-01"), pd.NaT],
                          "type": ["press_release", "bogus"], "reach": [1, -1], "cost": [None, 2.0]})
    assert validate_activities(frame) == [(0, "end_date is before date"), (1, "date is empty"),
                                          (1, "type 'bogus' is unknown"), (1, "reach is negative")]


def test_import_job_appends_and_logs(empty_store, tmp_path):
    empty_store.save_client("auxer", "Auxer Group, Inc.", "AXGI", "^RUT")
    summary = jobs.import_activities(empty_store, write(tmp_path, GOOD), "auxer")
    assert summary.added == 3 and summary.line().startswith("import-activities auxer: ok, 3 added")
    assert len(empty_store.activities("auxer")) == 3
    with pytest.raises(StoreError, match="Unknown client 'acme'"):
        jobs.import_activities(empty_store, write(tmp_path, GOOD), "acme")
    assert empty_store.ingest_log().loc[0, "status"] == "failed"
    assert len(empty_store.activities()) == 3


def test_import_job_twice_adds_nothing_the_second_time(empty_store, tmp_path):
    """Issue 10: importing the same activity log twice must not duplicate every activity."""
    empty_store.save_client("auxer", "Auxer Group, Inc.", "AXGI", "^RUT")
    first = jobs.import_activities(empty_store, write(tmp_path, GOOD), "auxer")
    second = jobs.import_activities(empty_store, write(tmp_path, GOOD), "auxer")
    assert (first.added, first.updated, first.unchanged) == (3, 0, 0)
    assert (second.added, second.updated, second.unchanged) == (0, 0, 3)
    assert "0 added" in second.line() and "3 unchanged" in second.line()
    assert len(empty_store.activities("auxer")) == 3


# Issue 11: every bad value gets a message with its line number, and no traceback.
OUT_OF_RANGE = [
    ("year 1", "date,type\n0001-01-01,other\n", (2, "date 0001-01-01 is outside 1900-01-01..2100-12-31")),
    ("year 1677", "date,type\n1677-09-21,other\n", (2, "date 1677-09-21 is outside 1900-01-01..2100-12-31")),
    ("year 2262", "date,type\n2262-04-12,other\n", (2, "date 2262-04-12 is outside 1900-01-01..2100-12-31")),
    ("year 9999", "date,type\n9999-12-31,other\n", (2, "date 9999-12-31 is outside 1900-01-01..2100-12-31")),
    ("end year 9999", "date,end_date,type\n1999-01-11,9999-12-31,other\n", (2, "end_date 9999-12-31 is outside")),
    ("year 1899", "date,type\n1899-12-31,other\n", (2, "date 1899-12-31 is outside 1900-01-01..2100-12-31")),
    ("cost nan", "date,type,cost\n1999-01-11,other,nan\n", (2, "cost 'nan' is not a finite number")),
    ("cost inf", "date,type,cost\n1999-01-11,other,inf\n", (2, "cost 'inf' is not a finite number")),
    ("cost -inf", "date,type,cost\n1999-01-11,other,-inf\n", (2, "cost '-inf' is not a finite number")),
    ("cost 1e309", "date,type,cost\n1999-01-11,other,1e309\n", (2, "cost '1e309' is not a finite number")),
    ("reach nan", "date,type,reach\n1999-01-11,other,NaN\n", (2, "reach 'NaN' is not a finite number")),
    ("reach inf", "date,type,reach\n1999-01-11,other,Infinity\n", (2, "reach 'Infinity' is not a finite number")),
    ("reach 1e309", "date,type,reach\n1999-01-11,other,1e309\n", (2, "reach '1e309' is not a finite number")),
    ("reach 1e30", "date,type,reach\n1999-01-11,other,1e30\n", (2, "reach 1e+30 is more than 10,000,000,000")),
    ("cost 1e30", "date,type,cost\n1999-01-11,other,1e30\n", (2, "cost 1e+30 is more than $1,000,000,000,000")),
    ("long title", "date,type,title\n1999-01-11,other," + "t" * 301 + "\n", (2, "title is 301 characters long")),
    ("long notes", "date,type,notes\n1999-01-11,other," + "n" * 4001 + "\n", (2, "notes is 4,001 characters long")),
    ("long link", "date,type,link\n1999-01-11,other,https://x.test/" + "l" * 2000 + "\n",
     (2, "link is 2,015 characters long")),
    ("long channel", "date,type,channel\n1999-01-11,other," + "c" * 101 + "\n", (2, "channel is 101 characters")),
    ("same key twice", "date,type,title\n1999-01-11,other,x\n1999-01-12,other,x\n1999-01-11,other,x\n",
     (4, "same client, date, type, title and end date as line 2")),
]


@pytest.mark.parametrize("name, text, expected", OUT_OF_RANGE, ids=[b[0] for b in OUT_OF_RANGE])
def test_out_of_range_values_are_rejected_by_line(tmp_path, name, text, expected):
    with pytest.raises(CsvFormatError) as info:
        parse_activities_csv(write(tmp_path, text), client_id="auxer")
    assert info.value.problems[0][0] == expected[0]
    assert expected[1] in info.value.problems[0][1]
    assert "nothing was stored" in str(info.value)


def test_bounds_themselves_are_accepted(tmp_path):
    text = ("date,end_date,type,title,reach,cost\n1900-01-01,2100-12-31,other,a,10000000000,1000000000000\n"
            "1999-01-11,,other," + "t" * FIELD_LIMITS["title"] + ",0,0\n")
    frame = parse_activities_csv(write(tmp_path, text), client_id="auxer")
    assert frame["date"].iloc[0] == pd.Timestamp("1900-01-01") and frame["end_date"].iloc[0] == pd.Timestamp("2100-12-31")
    assert frame["reach"].tolist() == [10_000_000_000, 0] and frame["cost"].tolist() == [1e12, 0.0]


ECHOED = [
    ("control characters", "date,type\n1999-01-11,road\x1b[31mshow\x07\n", "type 'road\\x1b[31mshow\\x07' is unknown"),
    ("long type", "date,type\n1999-01-11," + "r" * 90 + "\n", "type '" + "r" * 40 + "...' is unknown"),
    ("bidi override in a date", "date,type\n\u202e1102-10-9991,other\n", "date '\\u202e1102-10-9991' is not a date"),
]


@pytest.mark.parametrize("name, text, message", ECHOED, ids=[e[0] for e in ECHOED])
def test_echoed_content_is_capped_and_sanitised(tmp_path, name, text, message):
    with pytest.raises(CsvFormatError) as info:
        parse_activities_csv(write(tmp_path, text), client_id="auxer")
    assert message in info.value.problems[0][1]
    assert not any(ord(ch) < 32 and ch != "\n" for ch in str(info.value))


@pytest.mark.parametrize("name, expected", [("", "the uploaded file"), (".", "the uploaded file"),
                                            ("..", "the uploaded file"), ("  ", "the uploaded file"),
                                            (None, "the uploaded file"), ("log.csv", "log.csv"),
                                            ("dir/log.csv", "log.csv"), ("bad\x1bname.csv", "bad\\x1bname.csv"),
                                            ("n" * 100 + ".csv", "n" * 80 + "...")])
def test_display_name_of_uploads(name, expected):
    assert display_name(name) == expected


@pytest.mark.parametrize("upload_name", ["", ".", ".."])
def test_upload_named_empty_dot_or_dotdot_gets_a_message(upload_name):
    import io
    buffer = io.BytesIO(b"date,type\n1999-01-11,roadshow\n")
    buffer.name = upload_name
    with pytest.raises(CsvFormatError, match="^the uploaded file: activity log rejected") as info:
        parse_activities_csv(buffer, client_id="auxer")
    assert info.value.problems[0][0] == 2
    ok = io.BytesIO(b"date,type\n1999-01-11,other\n")
    ok.name = upload_name
    assert len(parse_activities_csv(ok, client_id="auxer")) == 1


def test_validate_activities_bounds_for_the_editor():
    import datetime
    frame = pd.DataFrame({"date": [datetime.date(1, 1, 1), pd.Timestamp("1999-01-11"), pd.Timestamp("1999-01-11")],
                          "end_date": [None, datetime.date(9999, 12, 31), None],
                          "type": ["other", "other", "other"], "reach": [1, 1e30, float("nan")],
                          "cost": [float("inf"), 2.0, 1e13], "title": ["x", "t" * 301, None]})
    assert validate_activities(frame) == [
        (0, "date 0001-01-01 is outside 1900-01-01..2100-12-31: check the year"),
        (0, "cost is not a finite number (nan, inf or too large)"),
        (1, "end_date 9999-12-31 is outside 1900-01-01..2100-12-31: check the year"),
        (1, "reach 1e+30 is more than 10,000,000,000 people"),
        (1, "title is 301 characters long, more than 300"),
        (2, "cost 1e+13 is more than $1,000,000,000,000 for one activity"),
    ]


# Idempotent imports: natural key (client, date, type, title, end date).
def _stored(store):
    return store.activities("auxer").sort_values("activity_id").reset_index(drop=True)


def test_importing_the_same_log_twice_adds_nothing(empty_store, tmp_path):
    empty_store.save_client("auxer", "Auxer Group, Inc.", "AXGI", "^RUT")
    frame = parse_activities_csv(write(tmp_path, GOOD), client_id="auxer")
    first = merge_activities(empty_store, frame)
    before = _stored(empty_store)
    second = merge_activities(empty_store, parse_activities_csv(write(tmp_path, GOOD), client_id="auxer"))
    assert (first.added, first.updated, first.unchanged) == (3, 0, 0)
    assert (second.added, second.updated, second.unchanged) == (0, 0, 3)
    pd.testing.assert_frame_equal(before, _stored(empty_store))


EDITS = [
    # (name, line 2 of GOOD rewritten, expected (added, updated, unchanged), changed column, its new value)
    ("cost edited", "1999-01-11,,press_release,Auxer signs PMR,BusinessWire,\"1,500\",$275,yes,,https://x.test/pr",
     (0, 1, 2), "cost", 275.0),
    ("reach edited", "1999-01-11,,press_release,Auxer signs PMR,BusinessWire,2000,$250,yes,,https://x.test/pr",
     (0, 1, 2), "reach", 2000),
    ("notes added", "1999-01-11,,press_release,Auxer signs PMR,BusinessWire,\"1,500\",$250,yes,late,https://x.test/pr",
     (0, 1, 2), "notes", "late"),
    ("after_close flipped", "1999-01-11,,press_release,Auxer signs PMR,BusinessWire,\"1,500\",$250,no,,https://x.test/pr",
     (0, 1, 2), "after_close", False),
    ("title changed is a new activity", "1999-01-11,,press_release,Auxer signs PMR (revised),BusinessWire,\"1,500\","
     "$250,yes,,https://x.test/pr", (1, 0, 2), "title", "Auxer signs PMR (revised)"),
    ("end date added is a new activity", "1999-01-11,1999-01-12,press_release,Auxer signs PMR,BusinessWire,"
     "\"1,500\",$250,yes,,https://x.test/pr", (1, 0, 2), "end_date", pd.Timestamp("1999-01-12")),
    ("type given by its label is the same key", "1999-01-11,,Press release,Auxer signs PMR,BusinessWire,\"1,500\","
     "$250,yes,,https://x.test/pr", (0, 0, 3), None, None),
]


@pytest.mark.parametrize("name, line, counts, column, value", EDITS, ids=[e[0] for e in EDITS])
def test_edited_rows_are_updated_and_new_keys_added(empty_store, tmp_path, name, line, counts, column, value):
    empty_store.save_client("auxer", "Auxer Group, Inc.", "AXGI", "^RUT")
    merge_activities(empty_store, parse_activities_csv(write(tmp_path, GOOD), client_id="auxer"))
    lines = GOOD.splitlines()
    edited = "\n".join([lines[0], line, *lines[2:]]) + "\n"
    result = merge_activities(empty_store, parse_activities_csv(write(tmp_path, edited), client_id="auxer"))
    assert (result.added, result.updated, result.unchanged) == counts
    stored = _stored(empty_store)
    assert len(stored) == 3 + counts[0]
    if column is not None:
        row = stored.iloc[-1] if counts[0] else stored.iloc[0]
        assert row[column] == value
    if counts[1]:
        assert result.updated_ids == [1] and pd.notna(stored.loc[0, "updated_at"])
        assert stored.loc[0, "created_at"] == _stored(empty_store).loc[0, "created_at"]


def test_duplicates_already_stored_match_the_oldest(empty_store, tmp_path):
    empty_store.save_client("auxer", "Auxer Group, Inc.", "AXGI", "^RUT")
    frame = parse_activities_csv(write(tmp_path, GOOD), client_id="auxer")
    empty_store.add_activities(frame)
    empty_store.add_activities(frame)  # what a second import did before imports were idempotent
    result = merge_activities(empty_store, frame.assign(cost=[1.0, 2.0, 3.0]))
    assert (result.added, result.updated, result.unchanged) == (0, 3, 0)
    assert result.updated_ids == [1, 2, 3]
    costs = _stored(empty_store)["cost"].tolist()
    assert costs[:3] == [1.0, 2.0, 3.0]  # the oldest copy of each key took the edit
    assert costs[3:5] == [250.0, 1200.5] and pd.isna(costs[5])  # the later copies stay as they were


def test_merge_is_all_or_nothing(empty_store, tmp_path):
    empty_store.save_client("auxer", "Auxer Group, Inc.", "AXGI", "^RUT")
    merge_activities(empty_store, parse_activities_csv(write(tmp_path, GOOD), client_id="auxer"))
    before = _stored(empty_store)
    frame = parse_activities_csv(write(tmp_path, GOOD), client_id="auxer")
    frame.loc[0, "cost"] = 999.0
    frame.loc[3] = frame.loc[2].copy()
    frame.loc[3, "title"], frame.loc[3, "type"] = "new", "roadshow"  # the store refuses this type
    with pytest.raises(StoreError):
        merge_activities(empty_store, frame)
    pd.testing.assert_frame_equal(before, _stored(empty_store))


PATHS = [
    ("a folder", lambda tmp: tmp, jobs.PathError, "is a folder, not a file"),
    ("a missing file", lambda tmp: tmp / "nope.csv", CsvFormatError, "file not found: check the path"),
    ("a name over 255 bytes", lambda tmp: tmp / ("a" * 256 + ".csv"), jobs.PathError, "at most 255 bytes"),
]


@pytest.mark.parametrize("name, path, error, message", PATHS, ids=[p[0] for p in PATHS])
def test_unusable_paths_get_a_message(empty_store, tmp_path, name, path, error, message):
    empty_store.save_client("auxer", "Auxer Group, Inc.", "AXGI", "^RUT")
    with pytest.raises(error, match=message) as info:
        jobs.import_activities(empty_store, path(tmp_path), "auxer")
    assert len(str(info.value)) < 400 and len(empty_store.activities()) == 0
