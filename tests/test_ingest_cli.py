"""`python -m ingest`: help, summary line, exit codes (run as a subprocess, offline)."""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from ingest import jobs

ROOT = Path(__file__).resolve().parents[1]
H = "Date,Open,High,Low,Close,Adj Close,Volume\n"


def run(*args, env=None, timeout=60):
    full_env = {**os.environ, **(env or {})}
    return subprocess.run([sys.executable, "-m", "ingest", *map(str, args)], cwd=ROOT, capture_output=True,
                          text=True, timeout=timeout, env=full_env)


def test_help_lists_jobs_and_exit_codes():
    out = run("--help")
    assert out.returncode == 0
    for job in ("load-yahoo", "load-csv", "refresh", "import-activities", "import-terms", "demo"):
        assert job in out.stdout
    for code, text in jobs.EXIT_CODES.items():
        assert f"  {code}  {text}" in out.stdout
    assert "IRDASH_DB" in out.stdout and "IRDASH_LOCK_TIMEOUT" in out.stdout


def test_job_help_shows_its_options():
    out = run("load-yahoo", "--help")
    assert out.returncode == 0 and "--start" in out.stdout and "--end" in out.stdout


def test_load_csv_prints_one_summary_line(tmp_path):
    csv = tmp_path / "axgi.csv"
    csv.write_text(H + "1999-01-04,0.04,0.05,0.04,0.05,0.05,1200\n1999-01-05,0.05,0.05,0.04,0.04,0.04,0\n")
    db = tmp_path / "ws.duckdb"
    first = run("--db", db, "load-csv", csv, "--ticker", "axgi")
    assert first.returncode == 0, first.stderr
    lines = first.stdout.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("load-csv AXGI: ok, 2 added, 0 updated, 0 unchanged, 0 rejected")
    again = run("--db", db, "load-csv", csv, "--ticker", "AXGI")
    assert "0 added, 0 updated, 2 unchanged" in again.stdout


def test_bad_csv_exits_3_with_the_lines(tmp_path):
    csv = tmp_path / "bad.csv"
    csv.write_text(H + "1999-01-04,0.04,0.03,0.05,0.04,0.04,100\n")
    out = run("--db", tmp_path / "ws.duckdb", "load-csv", csv, "--ticker", "AXGI")
    assert out.returncode == jobs.EXIT_BAD_INPUT == 3
    assert "line 2: high 0.03 is below low 0.05" in out.stderr
    assert out.stdout.strip() == "load-csv: failed (input rejected (CSV, bar or terms validation)), exit code 3"


def test_missing_file_is_bad_input(tmp_path):
    out = run("--db", tmp_path / "ws.duckdb", "load-csv", tmp_path / "nope.csv", "--ticker", "AXGI")
    assert out.returncode == 3 and "file not found" in out.stderr


def test_usage_error_exits_2():
    out = run("load-csv")
    assert out.returncode == 2 and "--ticker" in out.stderr


def test_refresh_of_an_empty_workspace_is_ok(tmp_path):
    out = run("--db", tmp_path / "ws.duckdb", "refresh")
    assert out.returncode == 0
    assert out.stdout.strip().startswith("refresh 0 tickers: ok, 0 added")


def test_demo_builds_once_with_if_missing(tmp_path):
    db = tmp_path / "demo.duckdb"
    built = run("--db", db, "demo", "--if-missing", timeout=120)
    assert built.returncode == 0, built.stderr
    assert built.stdout.startswith(f"demo {db}: ok, ") and built.stderr  # progress went to stderr
    again = run("--db", db, "demo", "--if-missing")
    assert again.returncode == 0 and "already there" in again.stdout


def test_busy_workspace_exits_7(tmp_path):
    db = tmp_path / "ws.duckdb"
    assert run("--db", db, "migrate").returncode == 0
    holder = subprocess.Popen([sys.executable, "-c", f"import duckdb, time; c = duckdb.connect({str(db)!r}); "
                                                     "print('locked', flush=True); time.sleep(30)"],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        csv = tmp_path / "a.csv"
        csv.write_text(H + "1999-01-04,0.04,0.05,0.04,0.05,0.05,1200\n")
        out = run("--db", db, "load-csv", csv, "--ticker", "AXGI", env={"IRDASH_LOCK_TIMEOUT": "0.5"})
    finally:
        holder.kill()
        holder.wait()
    assert out.returncode == jobs.EXIT_BUSY == 7
    assert f"process {holder.pid}" in out.stderr


def test_refresh_lists_csv_only_tickers_as_skipped_and_exits_0(tmp_path):
    csv = tmp_path / "oldco.csv"
    csv.write_text(H + "1999-01-04,0.04,0.05,0.04,0.05,0.05,1200\n")
    db = tmp_path / "ws.duckdb"
    assert run("--db", db, "load-csv", csv, "--ticker", "OLDCO").returncode == 0
    out = run("--db", db, "refresh")  # no network needed: nothing is fetched
    assert out.returncode == jobs.EXIT_OK, out.stderr
    assert out.stdout.strip().startswith("refresh 0 tickers: ok") and "1 skipped" in out.stdout
    assert "skipped: OLDCO: loaded from CSV; re-upload the file to update" in out.stderr


# --- issue 11: user errors get their own exit codes and a message; nothing is written ------------------

TERMS_A = '[client]\nclient_id = "alpha"\nname = "Alpha"\nticker = "ALP"\n[engagement]\nstart_date = 2024-01-02\nretainer_amount = 1\n'
TERMS_B_STEALS_1 = ('[client]\nclient_id = "beta"\nname = "Beta"\n[engagement]\nengagement_id = 1\n'
                    'start_date = 2024-01-02\nretainer_amount = 1\n')
TERMS_GHOST = '[engagement]\nclient_id = "ghost"\nstart_date = 2024-01-02\nretainer_amount = 1\n'


def _case_files(tmp: Path) -> dict:
    (tmp / "junk.duckdb").write_text("this is not a database")
    (tmp / "folder.duckdb").mkdir()
    (tmp / "acts.csv").write_text("date,type,title\n1999-01-05,press_release,PR\n")
    (tmp / "a.toml").write_text(TERMS_A)
    (tmp / "b.toml").write_text(TERMS_B_STEALS_1)
    (tmp / "ghost.toml").write_text(TERMS_GHOST)
    (tmp / "bars.csv").write_text(H + "1999-01-04,0.04,0.05,0.04,0.05,0.05,100\n")
    return {"junk": tmp / "junk.duckdb", "folder": tmp / "folder.duckdb", "long": tmp / ("x" * 300 + ".csv")}


# (name, arguments with {tmp} and {ws}, prepare with the alpha terms first, expected exit code, message fragment)
USER_ERRORS = [
    ("db not duckdb", ["--db", "{tmp}/junk.duckdb", "refresh"], False, jobs.EXIT_NOT_WORKSPACE,
     "is not a DuckDB workspace file"),
    ("db is a folder", ["--db", "{tmp}/folder.duckdb", "load-csv", "{tmp}/bars.csv", "--ticker", "X"], False,
     jobs.EXIT_NOT_WORKSPACE, "is a folder"),
    ("db component over 255 bytes", ["--db", "{tmp}/" + "d" * 300 + "/ws.duckdb", "refresh"], False,
     jobs.EXIT_NOT_WORKSPACE, "at most 255 bytes"),
    ("csv name over 255 bytes", ["--db", "{ws}", "load-csv", "{tmp}/" + "x" * 300 + ".csv", "--ticker", "X"], False,
     jobs.EXIT_NOT_WORKSPACE, "at most 255 bytes"),
    ("terms name over 255 bytes", ["--db", "{ws}", "import-terms", "{tmp}/" + "t" * 300 + ".toml"], False,
     jobs.EXIT_NOT_WORKSPACE, "at most 255 bytes"),
    ("start month 13", ["--db", "{ws}", "load-yahoo", "AXGI", "--start", "2024-13-45"], False, jobs.EXIT_USAGE,
     "--start '2024-13-45' is not a date"),
    ("start year 1850", ["--db", "{ws}", "load-yahoo", "AXGI", "--start", "1850-01-01"], False, jobs.EXIT_USAGE,
     "--start 1850-01-01 is outside 1900-01-01..2100-12-31"),
    ("end before start", ["--db", "{ws}", "load-yahoo", "AXGI", "--start", "2024-02-01", "--end", "2024-01-01"],
     False, jobs.EXIT_USAGE, "is before --start"),
    ("activities of an unknown client", ["--db", "{ws}", "import-activities", "{tmp}/acts.csv", "--client", "ghost"],
     True, jobs.EXIT_CLIENT, "Unknown client 'ghost' (known: alpha)"),
    ("terms of an unknown client", ["--db", "{ws}", "import-terms", "{tmp}/ghost.toml"], True, jobs.EXIT_CLIENT,
     "client 'ghost' is not in the workspace"),
    ("another client's engagement", ["--db", "{ws}", "import-terms", "{tmp}/b.toml"], True, jobs.EXIT_CLIENT,
     "engagement 1 belongs to client 'alpha', not 'beta'"),
]


def test_user_error_codes_are_listed_in_help_and_are_not_1():
    out = run("--help").stdout
    for code in (jobs.EXIT_NOT_WORKSPACE, jobs.EXIT_CLIENT, jobs.EXIT_USAGE):
        assert code != jobs.EXIT_ERROR and f"{code:>2}  {jobs.EXIT_CODES[code]}" in out


@pytest.mark.parametrize("name, args, prepare, code, fragment", USER_ERRORS, ids=[c[0] for c in USER_ERRORS])
def test_user_errors_exit_with_their_code_and_write_nothing(tmp_path, name, args, prepare, code, fragment):
    _case_files(tmp_path)
    ws = tmp_path / "ws.duckdb"
    if prepare:
        assert run("--db", ws, "import-terms", tmp_path / "a.toml").returncode == 0
    from store import Store

    before = (Store(ws).engagements(), Store(ws).clients(), Store(ws).activities()) if ws.exists() else None
    out = run(*[a.format(tmp=tmp_path, ws=ws) for a in args])
    assert out.returncode == code, out.stdout + out.stderr
    assert fragment in out.stderr
    assert "Traceback" not in out.stderr
    if before is None:
        assert not ws.exists()
    else:
        for frame, now in zip(before, (Store(ws).engagements(), Store(ws).clients(), Store(ws).activities())):
            assert frame.equals(now)


def test_the_first_line_of_a_csv_is_not_copied_raw_into_the_ingest_log(tmp_path):
    hostile = "\x1b[2J![x](http://evil.example/p.png) <img src=x onerror=alert(1)>" + "A" * 5000
    path = tmp_path / "bad.csv"
    path.write_text(hostile + "\n1,2,3\n")
    out = run("--db", tmp_path / "ws.duckdb", "load-csv", path, "--ticker", "AXGI")
    assert out.returncode == jobs.EXIT_BAD_INPUT
    from store import Store

    error = Store(tmp_path / "ws.duckdb").ingest_log()["error"].iloc[0]
    assert "\x1b" not in error and "\x1b" not in out.stderr  # control characters are escaped
    assert "A" * 200 not in error  # echoed content is capped
    assert len(error) <= jobs.MAX_LOGGED


@pytest.mark.parametrize("text, expected", [
    ("plain", "plain"),
    ("line one\nline two", "line one\nline two"),
    ("bell\x07 escape\x1b[31m", "bell\\x07 escape\\x1b[31m"),
    ("bidi \u202egnp.exe", "bidi \\u202egnp.exe"),
])
def test_sanitise_escapes_control_characters(text, expected):
    assert jobs.sanitise(text) == expected


@pytest.mark.parametrize("value, expected", [
    (None, None), ("", None), ("2024-01-02", "2024-01-02"), (" 2024-01-02 ", "2024-01-02"),
    (__import__("datetime").date(2024, 1, 2), "2024-01-02"),  # a date widget's value
    (__import__("pandas").Timestamp("2024-01-02 15:30"), "2024-01-02"),
    ("1900-01-01", "1900-01-01"), ("2100-12-31", "2100-12-31"),
    ("2024-13-45", "is not a date"), ("2024-02-30", "is not a date"), ("01/02/2024", "is not a date"),
    ("1899-12-31", "is outside 1900-01-01..2100-12-31"), ("9999-12-31", "is outside"),
    (__import__("datetime").date(1, 1, 1), "0001-01-01 is outside"),
])
def test_parse_day(value, expected):
    if expected is None or re.fullmatch(r"\d{4}-\d{2}-\d{2}", expected):
        got = jobs.parse_day(value, "--start")
        assert (got if got is None else str(got.date())) == expected
    else:
        with pytest.raises(jobs.UsageError, match=expected):
            jobs.parse_day(value, "--start")
