"""Activity-log CSV: codes or labels, dates, reach/cost >= 0; rejected whole with line numbers."""
from __future__ import annotations

import pandas as pd
import pytest

from analytics.constants import ACTIVITY_TYPES
from ingest import jobs
from ingest.activities import activity_type_code, parse_activities_csv, validate_activities
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
