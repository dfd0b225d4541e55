"""Integrity imports (ingest.integrity, store.integrity): trades, compensation, objectives, sale rules; idempotent,
rejected whole with line numbers, and the exit codes of ingest.jobs."""
from __future__ import annotations

import pandas as pd
import pytest

from ingest import jobs
from ingest.__main__ import main
from ingest.integrity import parse_objectives_csv, parse_trades_csv
from ingest.providers import CsvFormatError
from store import Store
from store import integrity as si


@pytest.fixture
def ws(tmp_path):
    """A workspace with client 'acme' and one engagement (1999-01-04 to 1999-07-03)."""
    store = Store(tmp_path / "ws.duckdb")
    store.init()
    store.save_client("acme", "Acme Inc.", "ACME", None)
    store.save_engagement(client_id="acme", consultant="PMR", signed_date="1999-01-04", start_date="1999-01-04",
                          end_date="1999-07-03", retainer_amount=3500.0)
    return store


def cli(store, capsys, *args):
    code = main(["--db", str(store.path), "-q", *map(str, args)])
    out = capsys.readouterr()
    return code, out.out.strip(), out.err


TRADES = ("holder,date,shares,side,price,role,notes\n"
          "PMR,1999-01-06,\"50,000\",sell,$0.05,consultant,\n"
          "PMR,1999-01-07,-20000,,0.045,,\n"
          "Jane CEO,1999-02-01,1000,buy,,insider,open market\n")


def test_trades_import_is_idempotent_and_counts(ws, tmp_path, capsys):
    f = tmp_path / "trades.csv"
    f.write_text(TRADES)
    code, out, _ = cli(ws, capsys, "import-trades", f, "--client", "acme")
    assert code == 0 and out.startswith("import-trades acme: ok, 3 added, 0 updated, 0 unchanged, 0 rejected")
    stored = si.trades(ws, "acme")
    assert stored["shares"].tolist() == [-50_000, -20_000, 1_000]  # "sell" 50,000 -> -50,000
    assert stored["role"].tolist() == ["consultant", "consultant", "insider"]
    assert stored["price"].iloc[0] == 0.05 and pd.isna(stored["price"].iloc[2])
    code, out, _ = cli(ws, capsys, "import-trades", f, "--client", "acme")
    assert "0 added, 0 updated, 3 unchanged" in out
    f.write_text(TRADES.replace("open market", "10b5-1 plan"))
    code, out, _ = cli(ws, capsys, "import-trades", f, "--client", "acme")
    assert "0 added, 1 updated, 2 unchanged" in out
    assert si.trades(ws, "acme")["notes"].iloc[2] == "10b5-1 plan"
    log = ws.ingest_log(5)
    assert log["job"].iloc[0] == "import-trades"


BAD_TRADES = {
    "missing_column": ("holder,date\nPMR,1999-01-06\n", (1, "missing column(s) shares")),
    "not_a_number": ("holder,date,shares\nPMR,1999-01-06,lots\n", (2, "shares 'lots' is not a number")),
    "infinite": ("holder,date,shares\nPMR,1999-01-06,inf\n", (2, "not a finite number")),
    "year_out_of_range": ("holder,date,shares\nPMR,2199-01-06,-5\n", (2, "outside 1900-01-01..2100-12-31")),
    "zero_shares": ("holder,date,shares\nPMR,1999-01-06,0\n", (2, "shares is 0")),
    "bad_side": ("holder,date,shares,side\nPMR,1999-01-06,5,short\n", (2, "side 'short' must be buy or sell")),
    "bad_role": ("holder,date,shares,role\nPMR,1999-01-06,5,ceo\n", (2, "role 'ceo' must be one of")),
    "negative_price": ("holder,date,shares,price\nPMR,1999-01-06,5,-1\n", (2, "price -1 is negative")),
    "duplicate": ("holder,date,shares\nPMR,1999-01-06,-5\nPMR,1999-01-06,-5\n", (3, "same holder, date, shares")),
    "other_client": ("holder,date,shares,client\nPMR,1999-01-06,-5,beta\n", (2, "client 'beta' is not the client")),
}


@pytest.mark.parametrize("case", BAD_TRADES)
def test_bad_trades_are_rejected_with_their_line(case, tmp_path):
    text, (line, message) = BAD_TRADES[case]
    f = tmp_path / "t.csv"
    f.write_text(text)
    with pytest.raises(CsvFormatError) as err:
        parse_trades_csv(f, "acme")
    assert any(n == line and message in p for n, p in err.value.problems), err.value.problems


def test_echoes_are_capped_and_sanitised(tmp_path):
    f = tmp_path / "t.csv"
    f.write_text("holder,date,shares\nPMR,1999-01-06,\x1b[31m" + "9" * 100 + "x\n")
    with pytest.raises(CsvFormatError) as err:
        parse_trades_csv(f, "acme")
    text = str(err.value)
    assert "\x1b" not in text and "\\x1b" in text and "9" * 60 not in text


def test_rejected_file_exits_3_and_stores_nothing(ws, tmp_path, capsys):
    f = tmp_path / "t.csv"
    f.write_text("holder,date,shares\nPMR,1999-01-06,-5\nPMR,soon,-5\n")
    code, out, err = cli(ws, capsys, "import-trades", f, "--client", "acme")
    assert code == jobs.EXIT_BAD_INPUT and "line 3: date 'soon' is not a date" in err
    assert si.trades(ws, "acme").empty


def test_unknown_client_exits_11(ws, tmp_path, capsys):
    f = tmp_path / "t.csv"
    f.write_text("holder,date,shares\nPMR,1999-01-06,-5\n")
    code, out, err = cli(ws, capsys, "import-trades", f, "--client", "nobody")
    assert code == jobs.EXIT_CLIENT and "Unknown client 'nobody' (known: acme)" in err


def test_missing_file_and_folder(ws, tmp_path, capsys):
    code, _, err = cli(ws, capsys, "import-trades", tmp_path / "none.csv", "--client", "acme")
    assert code == jobs.EXIT_BAD_INPUT and "file not found" in err
    code, _, err = cli(ws, capsys, "import-trades", tmp_path, "--client", "acme")
    assert code == jobs.EXIT_NOT_WORKSPACE and "is a folder" in err


def test_compensation_goes_to_the_engagement_in_force(ws, tmp_path, capsys):
    f = tmp_path / "c.csv"
    f.write_text("date,payer,recipient,kind,amount,shares,notes\n"
                 "1999-02-01,Acme Inc.,PMR,cash,500,,expenses\n"
                 "1999-03-01,Acme Inc.,PMR,option exercise,,1000000,exercised at $0.04\n")
    code, out, _ = cli(ws, capsys, "import-compensation", f, "--client", "acme")
    assert code == 0 and "2 added" in out
    rows = si.compensation(ws, "acme")
    assert rows["engagement_id"].tolist() == [1, 1] and rows["amount"].iloc[0] == 500
    code, out, _ = cli(ws, capsys, "import-compensation", f, "--client", "acme")
    assert "2 unchanged" in out
    f.write_text("date,payer,recipient,kind\n1999-02-01,Acme Inc.,PMR,cash\n")
    code, _, err = cli(ws, capsys, "import-compensation", f, "--client", "acme")
    assert code == jobs.EXIT_BAD_INPUT and "line 2: give amount or shares" in err
    code, _, err = cli(ws, capsys, "import-compensation", tmp_path / "c.csv", "--client", "acme", "--engagement", 9)
    assert code == jobs.EXIT_BAD_INPUT  # the file is bad before the engagement is looked at


OBJECTIVES = ("measure,target,direction,set_date,due_date,notes\n"
              "Share of days traded,0.6,at least,1999-01-02,,\n"
              "market_makers,3,>=,1999-01-02,1999-06-30,C\n"
              "median_response_hours,24,at_most,1999-01-02,,\n")


def test_objectives_import_by_key_or_label(ws, tmp_path, capsys):
    f = tmp_path / "o.csv"
    f.write_text(OBJECTIVES)
    code, out, _ = cli(ws, capsys, "import-objectives", f, "--client", "acme")
    assert code == 0 and "3 added" in out
    o = si.objectives(ws, "acme")
    assert o["measure"].tolist() == ["share_days_traded", "market_makers", "median_response_hours"]
    assert o["direction"].tolist() == ["at_least", "at_least", "at_most"]
    f.write_text(OBJECTIVES.replace("0.6,", "0.7,"))
    code, out, _ = cli(ws, capsys, "import-objectives", f, "--client", "acme")
    assert "1 updated, 2 unchanged" in out and si.objectives(ws, "acme")["target"].iloc[0] == 0.7


@pytest.mark.parametrize("text, message", [
    ("measure,target,set_date\nlikes,5,1999-01-02\n", "measure 'likes' is unknown"),
    ("measure,target,set_date,direction\nturnover,5,1999-01-02,up\n", "direction 'up' must be at_least or at_most"),
    ("measure,target,set_date,due_date\nturnover,5,1999-01-02,1998-12-31\n", "due_date 1998-12-31 is before"),
    ("measure,target,set_date\nturnover,nan,1999-01-02\n", "not a finite number"),
])
def test_bad_objectives(text, message, tmp_path):
    f = tmp_path / "o.csv"
    f.write_text(text)
    with pytest.raises(CsvFormatError, match=message):
        parse_objectives_csv(f, "acme")


def test_sale_rules_show_set_and_refuse(ws, capsys):
    code, out, _ = cli(ws, capsys, "sale-rules", "--client", "acme")
    assert code == 0 and "shown (defaults)" in out and "sale_flag_days=5" in out
    code, out, _ = cli(ws, capsys, "sale-rules", "--client", "acme", "--affiliate", "yes", "--sale-flag-days", "3")
    assert code == 0 and "added" in out and "affiliate=True" in out and "sale_flag_days=3" in out
    code, out, _ = cli(ws, capsys, "sale-rules", "--client", "acme", "--affiliate", "yes", "--sale-flag-days", "3")
    assert "unchanged" in out
    assert ws.ingest_log(1)["job"].iloc[0] == "sale-rules"
    code, out, _ = cli(ws, capsys, "sale-rules", "--client", "acme", "--otc", "no")
    assert "updated" in out and "affiliate=True" in out and "otc=False" in out  # earlier settings kept
    code, _, err = cli(ws, capsys, "sale-rules", "--client", "acme", "--sale-flag-days", "999")
    assert code == jobs.EXIT_USAGE and "outside 0..365" in err
    code, _, err = cli(ws, capsys, "sale-rules", "--client", "acme", "--engagement", "7")
    assert code == jobs.EXIT_CLIENT and "Engagement 7 is not one of client acme's" in err


def test_disclosed_flag_round_trips(ws):
    ids = ws.add_activities(pd.DataFrame({"client_id": ["acme"], "date": [pd.Timestamp("1999-01-05")],
                                          "type": ["press_release"], "title": ["pr"]}))
    assert pd.isna(ws.activities("acme")["disclosed"].iloc[0])  # not recorded
    si.set_disclosed(ws, ids[0], False)
    assert ws.activities("acme")["disclosed"].iloc[0] == False  # noqa: E712 (a nullable boolean)
    si.set_disclosed(ws, ids[0], None)
    assert pd.isna(ws.activities("acme")["disclosed"].iloc[0])
