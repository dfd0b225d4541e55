"""CSV provider: Yahoo's export and its variants load; every malformed file is rejected whole, by line."""
from __future__ import annotations

from datetime import datetime

import pandas as pd
import pytest

from ingest import jobs
from ingest.providers import CsvFormatError, CsvProvider, parse_price_csv

TODAY = datetime(2024, 6, 28)
H = "Date,Open,High,Low,Close,Adj Close,Volume\n"
R1 = "1999-01-04,0.04,0.05,0.04,0.05,0.05,1200\n"
R2 = "1999-01-05,0.05,0.05,0.04,0.04,0.04,0\n"


def parse(tmp_path, text: str | bytes, name="AXGI.csv"):
    path = tmp_path / name
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    return parse_price_csv(path, "axgi", today=TODAY)


# (name, file content, expected (line, message fragment) of the first problem)
MALFORMED = [
    ("empty file", "", (1, "the file is empty")),
    ("only blank lines", "\n\n  \n", (1, "the file is empty")),
    ("header only", H, (1, "no data rows after the header")),
    ("no close column", "Date,Open,High,Low,Adj Close,Volume\n1999-01-04,1,1,1,1,1\n",
     (1, "missing column(s) close")),
    ("no date column", "Open,High,Low,Close,Volume\n1,1,1,1,1\n", (1, "missing column(s) date")),
    ("no high and low", "Date,Open,Close,Volume\n1999-01-04,1,1,1\n", (1, "missing column(s) high, low")),
    ("no volume", "Date,Open,High,Low,Close\n1999-01-04,1,1,1,1\n", (1, "missing column(s) volume")),
    ("space delimited", "Date Open High Low Close Volume\n1999-01-04 1 1 1 1 1\n", (1, "missing column(s)")),
    ("column twice", "Date,Open,High,Low,Close,Close,Volume\n1999-01-04,1,1,1,1,1,1\n",
     (1, "column 'close' appears twice")),
    ("html page", "<!DOCTYPE html><html><body>Yahoo</body></html>\n", (1, "this is an HTML page, not a CSV export")),
    ("json", '{"chart": {"result": []}}\n', (1, "this is JSON, not CSV")),
    ("binary", b"PK\x03\x04\x00\x00binary", (1, "not a text CSV file (binary content)")),
    ("non-numeric open", H + "1999-01-04,abc,0.05,0.04,0.05,0.05,1200\n", (2, "open 'abc' is not a number")),
    ("yahoo null row", H + R1 + "1999-01-05,null,null,null,null,null,null\n",
     (3, "open is 'null' (no data for this day): delete the row")),
    ("nan close", H + "1999-01-04,0.04,0.05,0.04,nan,0.05,1200\n", (2, "close is 'nan'")),
    ("empty volume", H + "1999-01-04,0.04,0.05,0.04,0.05,0.05,\n", (2, "volume is empty")),
    ("volume with suffix", H + "1999-01-04,0.04,0.05,0.04,0.05,0.05,1.2M\n", (2, "volume '1.2M' is not a number")),
    ("infinite price", H + "1999-01-04,0.04,inf,0.04,0.05,0.05,1200\n", (2, "high 'inf' is not a finite number")),
    ("negative volume", H + "1999-01-04,0.04,0.05,0.04,0.05,0.05,-5\n", (2, "volume -5 is negative")),
    ("high below low", H + "1999-01-04,0.04,0.03,0.05,0.04,0.04,100\n", (2, "high 0.03 is below low 0.05")),
    ("open above high", H + "1999-01-04,0.07,0.05,0.04,0.05,0.05,100\n",
     (2, "open 0.07 is outside low..high (0.04..0.05)")),
    ("close below low", H + "1999-01-04,0.04,0.05,0.04,0.03,0.03,100\n",
     (2, "close 0.03 is outside low..high (0.04..0.05)")),
    ("zero close", H + "1999-01-04,0.04,0.05,0.04,0,0.05,100\n", (2, "close 0 must be positive")),
    ("negative open", H + "1999-01-04,-0.04,0.05,0.04,0.05,0.05,100\n", (2, "open -0.04 must be positive")),
    ("zero adj close", H + "1999-01-04,0.04,0.05,0.04,0.05,0,100\n", (2, "adj_close 0 must be positive")),
    ("duplicate date", H + R1 + R2 + R1, (4, "date 1999-01-04 repeats line 2")),
    ("future date", H + "2099-01-04,0.04,0.05,0.04,0.05,0.05,100\n", (2, "date 2099-01-04 is in the future")),
    # issue 11: years outside pandas' range (and outside 1900..2100) get a message, not a traceback
    ("year 1", H + "0001-01-04,0.04,0.05,0.04,0.05,0.05,100\n", (2, "date 0001-01-04 is outside 1900-01-01..2100-12-31")),
    ("year 1677", H + "1677-09-21,0.04,0.05,0.04,0.05,0.05,100\n", (2, "date 1677-09-21 is outside")),
    ("year 2262", H + "2262-04-12,0.04,0.05,0.04,0.05,0.05,100\n", (2, "date 2262-04-12 is outside")),
    ("year 9999", H + "9999-12-31,0.04,0.05,0.04,0.05,0.05,100\n", (2, "date 9999-12-31 is outside")),
    ("year 1899", H + R1 + "1899-12-31,0.04,0.05,0.04,0.05,0.05,100\n", (3, "date 1899-12-31 is outside")),
    ("price 1e30", H + "1999-01-04,0.04,1e30,0.04,0.05,0.05,100\n", (2, "high 1e+30 is above 1e+09")),
    ("volume 1e30", H + "1999-01-04,0.04,0.05,0.04,0.05,0.05,1e30\n", (2, "volume 1e+30 is above 1e+15")),
    ("price 1e309", H + "1999-01-04,0.04,1e309,0.04,0.05,0.05,100\n", (2, "high '1e309' is not a finite number")),
    ("control characters echoed escaped", H + "1999-01-04,\x1b[31m0.04,0.05,0.04,0.05,0.05,100\n",
     (2, "open '\\x1b[31m0.04' is not a number")),
    ("long value echoed capped", H + "1999-01-04," + "9" * 50 + "x,0.05,0.04,0.05,0.05,100\n",
     (2, "open '" + "9" * 40 + "...' is not a number")),
    ("not a date", H + R1 + "yesterday,0.04,0.05,0.04,0.05,0.05,100\n", (3, "date 'yesterday' is not a date")),
    ("impossible date", H + R1 + "1999-02-30,0.04,0.05,0.04,0.05,0.05,100\n", (3, "date '1999-02-30' is not a date")),
    ("mixed date formats", H + R1 + "01/05/1999,0.04,0.05,0.04,0.05,0.05,100\n",
     (3, "date '01/05/1999' is not a date in the file's format (%Y-%m-%d)")),
    ("empty date", H + ",0.04,0.05,0.04,0.05,0.05,100\n", (2, "date is empty")),
    ("too few fields", H + R1 + "1999-01-05,0.05,0.05,0.04,0.04,0\n", (3, "expected 7 fields like the header, found 6")),
    ("too many fields", H + "1999-01-04,0.04,0.05,0.04,0.05,0.05,1200,9\n",
     (2, "expected 7 fields like the header, found 8")),
    ("split row", H + R1 + "1999-01-05,1:10 Stock Split\n", (3, "is a split/dividend row, not a price bar")),
    ("dividend row", H + R1 + "1999-01-05,0.01 Dividend\n", (3, "is a split/dividend row")),
    ("semicolon file without close", "Datum;Open;High;Low;Volume\n04.01.1999;0,04;0,05;0,04;100\n",
     (1, "missing column(s) date, close")),
]


@pytest.mark.parametrize("name, content, expected", MALFORMED, ids=[m[0] for m in MALFORMED])
def test_malformed_csv_is_rejected_with_line_and_message(tmp_path, name, content, expected):
    with pytest.raises(CsvFormatError) as info:
        parse(tmp_path, content)
    line, fragment = expected
    first_line, first_problem = info.value.problems[0]
    assert first_line == line
    assert fragment in first_problem
    assert f"line {line}: " in str(info.value) and "nothing was stored" in str(info.value)


def test_table_has_at_least_30_cases():
    assert len(MALFORMED) >= 30


def test_all_problems_are_listed_first_ten_in_the_message(tmp_path):
    rows = "".join(f"1999-01-{d:02d},0.04,0.03,0.05,0.04,0.04,100\n" for d in range(4, 20))
    with pytest.raises(CsvFormatError) as info:
        parse(tmp_path, H + rows)
    assert len(info.value.problems) == 16
    assert "line 11:" in str(info.value) and "line 12:" not in str(info.value)
    assert "... and 6 more" in str(info.value)


EXPECTED = pd.DataFrame({"date": pd.to_datetime(["1999-01-04", "1999-01-05"]), "close": [0.05, 0.04],
                         "volume": [1200.0, 0.0]})

VARIANTS = [
    ("yahoo export", H + R1 + R2, [0.05, 0.04]),
    ("lower-case headers", H.lower() + R1 + R2, [0.05, 0.04]),
    ("no adj close", "Date,Open,High,Low,Close,Volume\n1999-01-04,0.04,0.05,0.04,0.05,1200\n"
                     "1999-01-05,0.05,0.05,0.04,0.04,0\n", [0.05, 0.04]),
    ("utf-8 bom and crlf", ("\ufeff" + H + R1 + R2).replace("\n", "\r\n"), [0.05, 0.04]),
    ("us dates", H + R1.replace("1999-01-04", "01/04/1999") + R2.replace("1999-01-05", "01/05/1999"), [0.05, 0.04]),
    ("yahoo web copy", 'Date,Open,High,Low,Close*,Adj Close**,Volume\n"Jan 05, 1999",0.05,0.05,0.04,0.04,0.04,0\n'
                       '"Jan 04, 1999",0.04,0.05,0.04,0.05,0.05,"1,200"\n', [0.05, 0.04]),
    ("european semicolons", "Date;Open;High;Low;Close;Adj Close;Volume\n04.01.1999;0,04;0,05;0,04;0,05;0,05;1.200\n"
                            "05.01.1999;0,05;0,05;0,04;0,04;0,04;0\n", [0.05, 0.04]),
    ("tab separated", (H + R1 + R2).replace(",", "\t"), [0.05, 0.04]),
    ("iso timestamps", H + R1.replace("1999-01-04", "1999-01-04 00:00:00-05:00")
     + R2.replace("1999-01-05", "1999-01-05 00:00:00-05:00"), [0.05, 0.04]),
    ("extra columns and blank tail", "Date,Open,High,Low,Close,Adj Close,Volume,Note\n"
                                     + R1.strip() + ",x\n" + R2.strip() + ",\n\n\n", [0.05, 0.04]),
    ("descending order", H + R2 + R1, [0.05, 0.04]),
    ("compact dates", H + R1.replace("1999-01-04", "19990104") + R2.replace("1999-01-05", "19990105"), [0.05, 0.04]),
]


@pytest.mark.parametrize("name, content, closes", VARIANTS, ids=[v[0] for v in VARIANTS])
def test_variants_load(tmp_path, name, content, closes):
    bars = parse(tmp_path, content)
    assert bars["date"].tolist() == EXPECTED["date"].tolist()
    assert bars["close"].tolist() == closes
    assert bars["volume"].tolist() == [1200.0, 0.0]
    assert (bars["ticker"] == "AXGI").all() and (bars["source"] == "csv:AXGI.csv").all()
    assert bars["adj_close"].tolist() == closes


def test_provider_interface_filters_range(tmp_path):
    path = tmp_path / "a.csv"
    path.write_text(H + R1 + R2)
    bars = CsvProvider(path, today=TODAY).fetch_bars("AXGI", start="1999-01-05")
    assert bars["date"].tolist() == [pd.Timestamp("1999-01-05")]


def test_load_csv_job_is_repeatable_and_a_bad_file_changes_nothing(empty_store, tmp_path):
    good = tmp_path / "good.csv"
    good.write_text(H + R1 + R2)
    first = jobs.load_csv(empty_store, good, "axgi")
    assert (first.added, first.unchanged) == (2, 0)
    again = jobs.load_csv(empty_store, good, "AXGI")
    assert (again.added, again.updated, again.unchanged) == (0, 0, 2)
    before = empty_store.bars("AXGI")
    bad = tmp_path / "bad.csv"
    bad.write_text(H + R1.replace("0.05,1200", "0.05,-1") + "1999-01-06,0.06,0.06,0.06,0.06,0.06,10\n")
    with pytest.raises(CsvFormatError, match="line 2: volume -1 is negative"):
        jobs.load_csv(empty_store, bad, "AXGI")
    pd.testing.assert_frame_equal(before, empty_store.bars("AXGI"))
    log = empty_store.ingest_log()
    assert log.loc[0, "status"] == "failed" and log.loc[0, "rejected"] == 1
    assert empty_store.bars("AXGI")["zero_volume"].tolist() == [False, True]
