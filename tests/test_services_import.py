"""The services' logs: CSV validation (ingest.services), idempotent merges (store.services) and the CLI jobs."""
from __future__ import annotations

import pandas as pd
import pytest

from ingest import jobs
from ingest.__main__ import main
from ingest.providers.errors import CsvFormatError
from ingest.services import parse_services_csv
from store import Store
from store import services as ss

INQUIRIES = ("received_at,channel,topic,answered_at,answered_by\n"
             "1999-01-06 09:15,phone,annual report,1999-01-06 15:00,PMR desk\n"
             "1999-01-07,e-mail,acquisition,,\n")
MAILINGS = ("date,kind,recipients,list_name,calls,meetings,inquiries,cost\n"
            "1999-01-12,H,1800,PMR fax list,5,0,9,270\n"
            "1999-01-19,broker/dealer mailing,120,brokers,4,2,1,540\n")
COVERAGE = "date,market_makers,analysts,source\n1999-01-04,1,0,OTC BB montage\n1999-01-21,2,,\n"


@pytest.fixture
def ws(tmp_path) -> Store:
    store = Store(tmp_path / "ws.duckdb")
    store.init()
    store.save_client("acme", "Acme", "ACME", None)
    return store


def write(tmp_path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_inquiry_csv_parses_dates_times_and_open_inquiries():
    frame = parse_services_csv(INQUIRIES.encode(), "inquiries", client_id="acme")
    assert frame["received_at"].tolist() == [pd.Timestamp("1999-01-06 09:15"), pd.Timestamp("1999-01-07")]
    assert frame["answered_at"].iloc[0] == pd.Timestamp("1999-01-06 15:00") and pd.isna(frame["answered_at"].iloc[1])
    assert frame["channel"].tolist() == ["phone", "e-mail"] and pd.isna(frame["answered_by"].iloc[1])


BAD_FILES = {  # name: (table, file text, what the message must say, its line)
    "answered_before_received": ("inquiries", "received_at,answered_at\n1999-01-06 09:00,1999-01-05 10:00\n",
                                 "is before received_at", 2),
    "year_out_of_range": ("inquiries", "received_at\n1899-12-31\n", "outside 1900-01-01..2100-12-31", 2),
    "not_a_day": ("inquiries", "received_at\n2000-02-30\n", "is not a date", 2),
    "not_a_time": ("inquiries", "received_at\n1999-01-06 25:61\n", "is not a time of day", 2),
    "missing_received": ("inquiries", "channel,topic\nphone,x\n", "missing column(s) received_at", 1),
    "negative_recipients": ("mailings", "date,kind,recipients\n1999-01-12,H,-5\n", "recipients -5 is negative", 2),
    "infinite_cost": ("mailings", "date,kind,recipients,cost\n1999-01-12,H,5,inf\n", "not a finite number", 2),
    "fractional_calls": ("mailings", "date,kind,recipients,calls\n1999-01-12,H,5,1.5\n", "not a whole number", 2),
    "more_responses_than_recipients": ("mailings", "date,kind,recipients,calls,meetings\n1999-01-12,B,3,2,2\n",
                                       "4 responses (calls + meetings + inquiries) for 3 recipients", 2),
    "not_a_mailing_kind": ("mailings", "date,kind,recipients\n1999-01-12,press release,5\n", "is not a mailing", 2),
    "no_count": ("coverage_counts", "date,market_makers,analysts\n1999-01-04,,\n", "neither market_makers", 2),
    "nan_count": ("coverage_counts", "date,market_makers\n1999-01-04,nan\n", "not a finite number", 2),
    "duplicate_key": ("coverage_counts", "date,market_makers\n1999-01-04,1\n1999-01-04,2\n", "same client_id, date "
                      "as line 2", 3),
    "binary": ("inquiries", "\x00\x01\x02", "not a text CSV file", 1),
    "ragged": ("inquiries", "received_at,channel\n1999-01-06,phone,extra\n", "expected 2 fields", 2),
}


@pytest.mark.parametrize("name", BAD_FILES)
def test_bad_files_are_rejected_with_the_line_and_what_to_fix(name):
    table, text, message, line = BAD_FILES[name]
    with pytest.raises(CsvFormatError) as err:
        parse_services_csv(text.encode(), table, client_id="acme")
    assert any(n == line and message in p for n, p in err.value.problems), err.value.problems
    assert "nothing was stored" in str(err.value)


def test_echoed_file_content_is_capped_and_sanitised():
    hostile = "\x1b[31m" + "x" * 500
    with pytest.raises(CsvFormatError) as err:
        parse_services_csv(f"date,kind,recipients\n1999-01-12,{hostile},5\n".encode(), "mailings", client_id="acme")
    text = str(err.value)
    assert "\x1b" not in text and "\\x1b" in text and "x" * 100 not in text


def test_merges_are_idempotent_and_count_updates(ws):
    frame = parse_services_csv(INQUIRIES.encode(), "inquiries", client_id="acme")
    assert ss.merge(ws, "inquiries", frame) == ss.WriteSummary(2, 0, 0)
    assert ss.merge(ws, "inquiries", frame) == ss.WriteSummary(0, 0, 2)
    frame.loc[1, "answered_at"] = pd.Timestamp("1999-01-08 10:00")   # the open inquiry got its answer
    assert ss.merge(ws, "inquiries", frame) == ss.WriteSummary(0, 1, 1)
    stored = ss.inquiries(ws, "acme")
    assert len(stored) == 2 and stored["answered_at"].iloc[1] == pd.Timestamp("1999-01-08 10:00")
    mail = parse_services_csv(MAILINGS.encode(), "mailings", client_id="acme")
    assert ss.merge(ws, "mailings", mail) == ss.WriteSummary(2, 0, 0)
    mail.loc[0, "calls"] = 6
    assert ss.merge(ws, "mailings", mail) == ss.WriteSummary(0, 1, 1)
    cov = parse_services_csv(COVERAGE.encode(), "coverage_counts", client_id="acme")
    assert ss.merge(ws, "coverage_counts", cov) == ss.WriteSummary(2, 0, 0)
    assert ss.merge(ws, "coverage_counts", cov) == ss.WriteSummary(0, 0, 2)
    got = ss.coverage_counts(ws, "acme")
    assert got["market_makers"].tolist() == [1, 2] and pd.isna(got["analysts"].iloc[1])


def test_edits_touch_only_the_named_clients_rows(ws):
    ws.save_client("other", "Other", "OTH", None)
    ss.merge(ws, "mailings", parse_services_csv(MAILINGS.encode(), "mailings", client_id="acme"))
    ids = ss.mailings(ws, "acme")["mailing_id"].tolist()
    # another client's editor naming acme's ids changes nothing
    assert ss.apply_edits(ws, "mailings", "other", updated={ids[0]: {"calls": 99}}, deleted=[ids[1]])
    assert ss.mailings(ws, "acme")["calls"].tolist() == [5, 4]
    ss.apply_edits(ws, "mailings", "acme", updated={ids[0]: {"calls": 7}}, deleted=[ids[1]])
    assert ss.mailings(ws, "acme")["calls"].tolist() == [7]


CLI = {  # job: (file text, first summary, second summary)
    "import-inquiries": (INQUIRIES, "2 added, 0 updated, 0 unchanged", "0 added, 0 updated, 2 unchanged"),
    "import-mailings": (MAILINGS, "2 added, 0 updated, 0 unchanged", "0 added, 0 updated, 2 unchanged"),
    "import-coverage": (COVERAGE, "2 added, 0 updated, 0 unchanged", "0 added, 0 updated, 2 unchanged"),
}


@pytest.mark.parametrize("job", CLI)
def test_cli_jobs_are_idempotent_and_say_so(job, ws, tmp_path, capsys):
    text, first, second = CLI[job]
    path = write(tmp_path, "log.csv", text)
    assert main(["--db", str(ws.path), job, path, "--client", "acme"]) == jobs.EXIT_OK
    assert first in capsys.readouterr().out
    assert main(["--db", str(ws.path), job, path, "--client", "acme"]) == jobs.EXIT_OK
    assert second in capsys.readouterr().out


def test_cli_exit_codes(ws, tmp_path, capsys):
    good = write(tmp_path, "good.csv", COVERAGE)
    bad = write(tmp_path, "bad.csv", "date,market_makers\n1999-01-04,-1\n")
    assert main(["--db", str(ws.path), "import-coverage", bad, "--client", "acme"]) == jobs.EXIT_BAD_INPUT
    assert "line 2: market_makers -1 is negative" in capsys.readouterr().err
    assert main(["--db", str(ws.path), "import-coverage", good, "--client", "nobody"]) == jobs.EXIT_CLIENT
    assert "Unknown client 'nobody'" in capsys.readouterr().err
    assert main(["--db", str(ws.path), "import-coverage", str(tmp_path), "--client", "acme"]) == jobs.EXIT_NOT_WORKSPACE
    assert ss.coverage_counts(ws).empty   # nothing was written by the failures


def test_a_mailing_linked_to_an_unknown_activity_is_rejected(ws, tmp_path, capsys):
    path = write(tmp_path, "m.csv", "date,kind,recipients,activity_id\n1999-01-12,H,10,999\n")
    assert main(["--db", str(ws.path), "import-mailings", path, "--client", "acme"]) == jobs.EXIT_BAD_INPUT
    assert "activity_id 999 is not an activity of acme" in capsys.readouterr().err


def test_the_demo_services_are_simulated_idempotent_and_cluster_after_mailings(demo_db, tmp_path):
    from analytics import services as sv
    from ingest.demo_services import write_demo_services

    copy = tmp_path / "demo.duckdb"
    copy.write_bytes(demo_db.read_bytes())
    store = Store(copy)
    with store.transaction() as con:  # the demo build wrote them already: write them again from nothing
        for table in ("inquiries", "mailings", "coverage_counts"):
            con.execute(f"DELETE FROM {table}")
    summary = {"client_id": "auxer", "seed": 19990104}
    first = write_demo_services(store, summary)
    again = write_demo_services(store, summary)
    assert all(again[t]["added"] == again[t]["updated"] == again[t]["deleted"] == 0 for t in again)
    assert all(again[t]["unchanged"] == first[t]["added"] > 0 for t in first)
    q, m, c = ss.inquiries(store, "auxer"), ss.mailings(store, "auxer"), ss.coverage_counts(store, "auxer")
    assert q["answered_by"].dropna().str.endswith("(simulated)").all() and q["answered_at"].isna().sum() >= 3
    assert m["list_name"].str.endswith("(simulated)").all() and c["source"].str.endswith("(simulated)").all()
    acts = store.activities("auxer")
    mailing_acts = acts[acts["type"].isin(["broker_dealer_mailing", "fax_mail_blast"])]
    assert sorted(m["activity_id"]) == sorted(mailing_acts["activity_id"])          # one per mailing activity
    reach = mailing_acts.set_index("activity_id")["reach"].astype(int)
    assert m.set_index("activity_id")["recipients"].sort_index().tolist() == reach.sort_index().tolist()
    # by construction inquiries cluster after releases and mailings, and not after the other activity types
    _, after = sv.activity_inquiries(q, acts[acts["type"].isin(["press_release", *mailing_acts["type"]])])
    assert after["low"] > 1
    _, others = sv.activity_inquiries(q, acts[acts["type"].isin(["ir_website", "other"])])
    assert others["low"] < 1 < others["high"] or others["ratio"] < 1.5


def test_an_edit_that_repeats_a_stored_key_is_refused_in_words_and_writes_nothing(ws):
    from store import StoreError

    ss.merge(ws, "coverage_counts", parse_services_csv(COVERAGE.encode(), "coverage_counts", client_id="acme"))
    dup = pd.DataFrame([{"date": pd.Timestamp("1999-01-05"), "market_makers": 3},
                        {"date": pd.Timestamp("1999-01-04"), "market_makers": 9}])
    with pytest.raises(StoreError, match="repeats a row's key"):
        ss.apply_edits(ws, "coverage_counts", "acme", added=dup)
    assert ss.coverage_counts(ws, "acme")["market_makers"].tolist() == [1, 2]   # the whole edit rolled back


def test_two_fresh_demo_builds_write_identical_services_rows(demo_db, tmp_path):
    from ingest.demo_services import write_demo_services

    frames = []
    for name in ("a", "b"):
        copy = tmp_path / f"{name}.duckdb"
        copy.write_bytes(demo_db.read_bytes())
        store = Store(copy)
        write_demo_services(store, {"client_id": "auxer", "seed": 19990104})
        frames.append([ss.inquiries(store), ss.mailings(store), ss.coverage_counts(store)])
    for one, other in zip(*frames):
        pd.testing.assert_frame_equal(one, other)   # ids and created_at included
