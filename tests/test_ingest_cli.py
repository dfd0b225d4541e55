"""`python -m ingest`: help, summary line, exit codes (run as a subprocess, offline)."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

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
